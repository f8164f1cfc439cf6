// An in-process depin App on a real LevelDB, driven block by block the way consensus drives it
// (finalizeBlock with block time, last-commit votes and misbehavior, then commit), with signed txs
// from the dev accounts and typed staking/slashing/bank queries.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Level } from 'level';
import { openDepinApp, type DepinKeepers } from '../../modules/depin-app.ts';
import { devGenesis } from '../../node/dev-genesis.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from '../../node/keys/hd.ts';
import { signTx } from '../../chain/tx/builder.ts';
import { codec, type Codec } from '../../chain/codec/proto.ts';
import type { App, FinalizeBlockResult, TxResult } from '../../chain/app.ts';
import type { GenesisDoc } from '../../chain/genesis.ts';
import { Context, type Timestamp, type VoteInfo, type Misbehavior } from '../../chain/context.ts';
import { CacheKV } from '../../chain/store/cache-kv.ts';
import { GasMeter } from '../../chain/gas.ts';
import { EventManager } from '../../chain/events.ts';
import type { Any } from '../../chain/tx/types.ts';
import { publicKeyCreate } from '../../chain/crypto/secp256k1.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { addressBytesFromPubkey, toBech32, fromBech32, VALOPER_PREFIX } from '../../chain/crypto/address.ts';
import { parseRfc3339 } from '../../chain/genesis.ts';
import * as S from '../../modules/staking/types.ts';
import { pubKeyAny } from '../../modules/staking/validator.ts';
import * as SL from '../../modules/slashing/types.ts';

export const CHAIN = 'depin-local-1';
export const keys = Array.from({ length: 10 }, (_, i) => deriveKey(DEV_MNEMONIC, cosmosHdPath(i)));
export const addr = (i: number) => keys[i]!.address;
export const valoper = (i: number) => toBech32(VALOPER_PREFIX, fromBech32(addr(i)));
export const DPIN = 1_000_000n;

/** A deterministic consensus key per test validator. */
export function consKey(i: number): { priv: Uint8Array; pub: Uint8Array; address: Uint8Array } {
  const priv = sha256(new TextEncoder().encode(`test consensus key ${i}`));
  const pub = publicKeyCreate(priv);
  return { priv, pub, address: addressBytesFromPubkey(pub) };
}

export const msg = <T>(c: Codec<T>, value: T): Any => ({ typeUrl: c.typeUrl, value: c.encode(value) });
export const coin = (amount: bigint) => ({ denom: 'udpin', amount: amount.toString() });
const DEC = 10n ** 18n;

export function createValidatorMsg(i: number, amount: bigint, opts: { pubkey?: Any; minSelf?: bigint; rate?: bigint; denom?: string } = {}): Any {
  return msg(S.MsgCreateValidator, {
    description: { moniker: `val-${i}`, identity: '', website: '', securityContact: '', details: '' },
    commission: { rate: (opts.rate ?? DEC / 10n).toString(), maxRate: (DEC / 5n).toString(), maxChangeRate: (DEC / 100n).toString() },
    minSelfDelegation: (opts.minSelf ?? 1n).toString(),
    delegatorAddress: '',
    validatorAddress: valoper(i),
    pubkey: opts.pubkey ?? pubKeyAny(consKey(i).pub),
    value: { denom: opts.denom ?? 'udpin', amount: amount.toString() },
  });
}
export const delegateMsg = (from: number, val: number, amount: bigint) => msg(S.MsgDelegate, { delegatorAddress: addr(from), validatorAddress: valoper(val), amount: coin(amount) });
export const undelegateMsg = (from: number, val: number, amount: bigint) => msg(S.MsgUndelegate, { delegatorAddress: addr(from), validatorAddress: valoper(val), amount: coin(amount) });
export const unjailMsg = (val: number) => msg(SL.MsgUnjail, { validatorAddr: valoper(val) });

export interface BlockOpts {
  /** Seconds since the previous block (default 1). */
  dt?: bigint;
  lastCommit?: VoteInfo[];
  misbehavior?: Misbehavior[];
}

export const FEE = 5000n;

export class TestChain {
  readonly app: App;
  readonly keepers: DepinKeepers;
  readonly genesis: GenesisDoc;
  readonly initialValidators: { pubKey: Uint8Array; power: bigint }[];
  /** The app hash initChain returned (the state before the first block). */
  readonly initAppHash: Uint8Array;
  private readonly db: Level<Uint8Array, Uint8Array>;
  private readonly dir: string;
  height = 0n;
  time: Timestamp;
  private readonly seqs = new Map<number, bigint>();

  private constructor(app: App, keepers: DepinKeepers, db: Level<Uint8Array, Uint8Array>, dir: string, genesis: GenesisDoc, init: { appHash: Uint8Array; validators: { pubKey: Uint8Array; power: bigint }[] }) {
    this.app = app;
    this.keepers = keepers;
    this.db = db;
    this.dir = dir;
    this.genesis = genesis;
    this.initialValidators = init.validators;
    this.initAppHash = init.appHash;
    this.time = parseRfc3339(genesis.genesis_time);
  }

  /** A fresh chain from the dev genesis, edited by `edit` (e.g. to change params). */
  static async open(edit?: (g: GenesisDoc) => void, genesis?: GenesisDoc): Promise<TestChain> {
    const g = genesis ?? devGenesis();
    edit?.(g);
    const dir = mkdtempSync(join(tmpdir(), 'depin-staking-'));
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const { app, keepers } = await openDepinApp(db.sublevel<Uint8Array, Uint8Array>('state', { keyEncoding: 'view', valueEncoding: 'view' }));
    try {
      return new TestChain(app, keepers, db, dir, g, app.initChain(g));
    } catch (err) {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Signs a tx from dev account `from` (sequence tracked locally: every tx that passes the ante
   * handler bumps it, which is every tx these tests send). */
  tx(from: number, msgs: Any[], opts: { gas?: bigint; fee?: bigint } = {}): Uint8Array {
    const seq = this.seqs.get(from) ?? 0n;
    this.seqs.set(from, seq + 1n);
    return signTx({ messages: msgs, fee: [coin(opts.fee ?? FEE)], gasLimit: opts.gas ?? 400_000n }, { privateKey: keys[from]!.privateKey, chainId: CHAIN, accountNumber: BigInt(from), sequence: seq });
  }

  async block(txs: Uint8Array[] = [], opts: BlockOpts = {}): Promise<FinalizeBlockResult> {
    this.height += 1n;
    this.time = { seconds: this.time.seconds + (opts.dt ?? 1n), nanos: 0 };
    const res = this.app.finalizeBlock({ height: this.height, time: this.time, txs, lastCommit: opts.lastCommit, misbehavior: opts.misbehavior });
    await this.app.commit();
    return res;
  }

  /** One block with one tx; asserts the tx's code (0 unless given). */
  async exec(from: number, msgs: Any[], expectCode = 0, opts: BlockOpts = {}): Promise<{ tx: TxResult; block: FinalizeBlockResult }> {
    const block = await this.block([this.tx(from, msgs)], opts);
    const tx = block.txResults[0]!;
    assert.equal(tx.code, expectCode, `expected code ${expectCode}, got ${tx.code} (${tx.codespace}): ${tx.log}`);
    return { tx, block };
  }

  query<Res>(path: string, reqCodec: Codec<any>, req: unknown, resCodec: Codec<Res>): Res {
    const r = this.app.query({ path, data: reqCodec.encode(req) });
    assert.equal(r.code, 0, `${path}: ${r.log}`);
    return resCodec.decode(r.value);
  }

  queryCode(path: string, reqCodec: Codec<any>, req: unknown): { code: number; codespace: string; log: string } {
    const r = this.app.query({ path, data: reqCodec.encode(req) });
    return { code: r.code, codespace: r.codespace, log: r.log };
  }

  balance(address: string): bigint {
    const r = this.query('/cosmos.bank.v1beta1.Query/Balance', BalanceReq, { address, denom: 'udpin' }, BalanceRes);
    return BigInt(r.balance.amount);
  }

  supply(): bigint {
    return BigInt(this.query('/cosmos.bank.v1beta1.Query/SupplyOf', SupplyReq, { denom: 'udpin' }, SupplyRes).amount.amount);
  }

  validator(i: number | string): S.ValidatorMsg {
    return this.query('/cosmos.staking.v1beta1.Query/Validator', S.QueryValidatorRequest, { validatorAddr: typeof i === 'number' ? valoper(i) : i }, S.QueryValidatorResponse).validator;
  }

  validators(status = ''): S.ValidatorMsg[] {
    return this.query('/cosmos.staking.v1beta1.Query/Validators', S.QueryValidatorsRequest, { status }, S.QueryValidatorsResponse).validators;
  }

  pool(): { bonded: bigint; notBonded: bigint } {
    const p = this.query('/cosmos.staking.v1beta1.Query/Pool', S.QueryPoolRequest, {}, S.QueryPoolResponse).pool;
    return { bonded: BigInt(p.bondedTokens), notBonded: BigInt(p.notBondedTokens) };
  }

  signingInfo(consAddress: string): SL.ValidatorSigningInfoMsg {
    return this.query('/cosmos.slashing.v1beta1.Query/SigningInfo', SL.QuerySigningInfoRequest, { consAddress }, SL.QuerySigningInfoResponse).valSigningInfo;
  }

  /** The set consensus would run with, as powers by consensus pubkey (base64). */
  bondedSet(): Map<string, bigint> {
    const ctx = this.readCtx();
    return new Map(this.keepers.staking.bondedValidators(ctx).map((v) => [Buffer.from(v.consPubKey).toString('base64'), v.power]));
  }

  /** A read-only view of the committed state for keeper calls (a throw-away cache branch). */
  readCtx(): Context {
    return new Context(new CacheKV(this.app.store), { chainId: CHAIN, height: this.height, time: this.time }, new GasMeter(Infinity), new EventManager(false), 'query');
  }
}

const BalanceReq = codec<{ address: string; denom: string }>('cosmos.bank.v1beta1.QueryBalanceRequest');
const BalanceRes = codec<{ balance: { amount: string } }>('cosmos.bank.v1beta1.QueryBalanceResponse');
const SupplyReq = codec<{ denom: string }>('cosmos.bank.v1beta1.QuerySupplyOfRequest');
const SupplyRes = codec<{ amount: { amount: string } }>('cosmos.bank.v1beta1.QuerySupplyOfResponse');

/** Applies validator updates the way CometBFT does: power 0 removes, anything else sets. */
export function applyUpdates(set: Map<string, bigint>, updates: { pubKey: Uint8Array; power: bigint }[]): Map<string, bigint> {
  const out = new Map(set);
  for (const u of updates) {
    const k = Buffer.from(u.pubKey).toString('base64');
    if (u.power === 0n) out.delete(k);
    else out.set(k, u.power);
  }
  return out;
}

export const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

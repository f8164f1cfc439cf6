// The depin app in-process on a real LevelDB, for module tests: blocks with explicit times,
// signed txs (fee granter supported), typed queries and a full state dump for "changes nothing"
// and genesis round-trip checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { openDepinApp, type DepinKeepers, type DepinAppExtras } from '../../modules/depin-app.ts';
import { devGenesis, NO_ANCHOR_PARAMS } from '../../node/dev-genesis.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC, type DerivedKey } from '../../node/keys/hd.ts';
import type { App, TxResult } from '../../chain/app.ts';
import type { Event } from '../../chain/events.ts';
import type { GenesisDoc } from '../../chain/genesis.ts';
import type { Codec } from '../../chain/codec/proto.ts';
import { codec, u64, u64Field } from '../../chain/codec/proto.ts';
import { encodeBody } from '../../chain/tx/builder.ts';
import { TxRaw, AuthInfo, SignDoc, PubKeySecp256k1, SECP256K1_PUBKEY_URL, SIGN_MODE_DIRECT, type Any } from '../../chain/tx/types.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { signDigest, publicKeyCreate } from '../../chain/crypto/secp256k1.ts';
import { accountAddress } from '../../chain/crypto/address.ts';
import { decodeAccount } from '../../modules/auth/keeper.ts';

export const CHAIN = 'depin-local-1';
export const devKeys: DerivedKey[] = Array.from({ length: 10 }, (_, i) => deriveKey(DEV_MNEMONIC, cosmosHdPath(i)));

export interface Signer {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  address: string;
}

export function signerFromPrivateKey(privateKey: Uint8Array): Signer {
  const publicKey = publicKeyCreate(privateKey);
  return { privateKey, publicKey, address: accountAddress(publicKey) };
}

const QueryAccountRequest = codec<{ address: string }>('cosmos.auth.v1beta1.QueryAccountRequest');
const QueryAccountResponse = codec<{ account: Any }>('cosmos.auth.v1beta1.QueryAccountResponse');
const BalanceReq = codec<{ address: string; denom: string }>('cosmos.bank.v1beta1.QueryBalanceRequest');
const BalanceRes = codec<{ balance: { amount: string } }>('cosmos.bank.v1beta1.QueryBalanceResponse');
const AnyCodec = codec<Any>('google.protobuf.Any');

export interface TxOptions {
  fee?: bigint;
  gas?: bigint;
  granter?: string;
  sequence?: bigint;
  accountNumber?: bigint;
  memo?: string;
}

/**
 * The dev genesis without the chain's periodic work: no Ethereum checkpoints (anchoring off) and
 * reward epochs that never close in a test's lifetime. A module's test then sees only what its
 * own txs and blocks do ("a refused tx changes nothing but fee and sequence" is exact). Tests of
 * anchoring and rewards pass their own genesis.
 */
export function isolatedDevGenesis(): GenesisDoc {
  const g = devGenesis();
  (g.app_state.anchor as { params: unknown }).params = NO_ANCHOR_PARAMS;
  (g.app_state.rewards as { params: { epoch_blocks: string } }).params.epoch_blocks = '1000000000';
  return g;
}

export class TestChain {
  readonly app: App;
  readonly keepers: DepinKeepers;
  readonly genesis: GenesisDoc;
  height = 0n;
  /** Block time in seconds; each block advances it by `blockSeconds`. */
  time: bigint;
  blockSeconds = 5n;
  /** Begin/end-block events of the last block (finalize-block events). */
  lastBlockEvents: Event[] = [];
  private readonly closeFn: () => Promise<void>;

  private constructor(app: App, keepers: DepinKeepers, genesis: GenesisDoc, close: () => Promise<void>) {
    this.app = app;
    this.keepers = keepers;
    this.genesis = genesis;
    this.closeFn = close;
    this.time = BigInt(Date.parse(genesis.genesis_time) / 1000);
  }

  static async open(genesis: GenesisDoc = isolatedDevGenesis(), extras: DepinAppExtras = {}): Promise<TestChain> {
    const dir = mkdtempSync(join(tmpdir(), 'depin-inproc-'));
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const { app, keepers } = await openDepinApp(db.sublevel<Uint8Array, Uint8Array>('state', { keyEncoding: 'view', valueEncoding: 'view' }), {}, extras);
    app.initChain(genesis);
    const chain = new TestChain(app, keepers, genesis, async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    chain.height = BigInt(genesis.initial_height || '1') - 1n; // an exported chain continues its heights
    await chain.block([]);
    return chain;
  }

  async close(): Promise<void> {
    await this.closeFn();
  }

  async block(txs: Uint8Array[]): Promise<TxResult[]> {
    this.height += 1n;
    this.time += this.blockSeconds;
    // The header's app hash of the previous block, as the node passes it (seeds come from it).
    const r = this.app.finalizeBlock({ height: this.height, time: { seconds: this.time, nanos: 0 }, txs, lastAppHash: this.app.info().lastBlockAppHash });
    await this.app.commit();
    this.lastBlockEvents = r.events;
    return r.txResults;
  }

  /** Runs one tx in its own block and returns its result. */
  async deliver(tx: Uint8Array): Promise<TxResult> {
    return (await this.block([tx]))[0]!;
  }

  account(address: string): { accountNumber: bigint; sequence: bigint; exists: boolean } {
    const r = this.app.query({ path: '/cosmos.auth.v1beta1.Query/Account', data: QueryAccountRequest.encode({ address }) });
    if (r.code !== 0) return { accountNumber: 0n, sequence: 0n, exists: false };
    const acc = decodeAccount(AnyCodec.encode(QueryAccountResponse.decode(r.value).account));
    return { accountNumber: acc.accountNumber, sequence: acc.sequence, exists: true };
  }

  balance(address: string, denom = 'udpin'): bigint {
    const r = this.app.query({ path: '/cosmos.bank.v1beta1.Query/Balance', data: BalanceReq.encode({ address, denom }) });
    if (r.code !== 0) throw new Error(r.log);
    return BigInt(BalanceRes.decode(r.value).balance.amount);
  }

  supply(denom = 'udpin'): bigint {
    const Req = codec<{ denom: string }>('cosmos.bank.v1beta1.QuerySupplyOfRequest');
    const Res = codec<{ amount: { amount: string } }>('cosmos.bank.v1beta1.QuerySupplyOfResponse');
    return BigInt(Res.decode(this.app.query({ path: '/cosmos.bank.v1beta1.Query/SupplyOf', data: Req.encode({ denom }) }).value).amount.amount);
  }

  /** Signs msgs as `signer` with its current sequence and account number (SIGN_MODE_DIRECT). */
  tx(signer: Signer, msgs: Any[], o: TxOptions = {}): Uint8Array {
    const acc = this.account(signer.address);
    const bodyBytes = encodeBody({ messages: msgs, memo: o.memo, fee: [], gasLimit: 0n });
    const fee = o.fee ?? 5000n;
    const authInfoBytes = AuthInfo.encode({
      signerInfos: [{ publicKey: { typeUrl: SECP256K1_PUBKEY_URL, value: PubKeySecp256k1.encode({ key: signer.publicKey }) }, modeInfo: { single: { mode: SIGN_MODE_DIRECT } }, sequence: u64Field(o.sequence ?? acc.sequence) }],
      fee: { amount: fee > 0n ? [{ denom: 'udpin', amount: fee.toString() }] : [], gasLimit: u64Field(o.gas ?? 400_000n), granter: o.granter || undefined },
    } as never);
    const signDoc = SignDoc.encode({ bodyBytes, authInfoBytes, chainId: CHAIN, accountNumber: u64Field(o.accountNumber ?? acc.accountNumber) } as never);
    return TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [signDigest(sha256(signDoc), signer.privateKey)] });
  }

  query<Req, Res>(path: string, req: Codec<Req>, value: Req, res: Codec<Res>): Res {
    const r = this.app.query({ path, data: req.encode(value) });
    if (r.code !== 0) throw Object.assign(new Error(r.log), { code: r.code, codespace: r.codespace });
    return res.decode(r.value);
  }

  queryRaw(path: string, data: Uint8Array) {
    return this.app.query({ path, data });
  }

  appHash(): string {
    return Buffer.from(this.app.info().lastBlockAppHash).toString('hex');
  }

  /** Every committed key/value, hex-encoded: for "changes nothing" checks and diffs. */
  dump(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of this.app.store.iterator(undefined, undefined)) out.set(Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex'));
    return out;
  }
}

/** Keys whose values differ between two dumps (for readable assertion messages). */
export function diffDumps(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  const out: string[] = [];
  for (const k of [...keys].sort()) {
    if (a.get(k) !== b.get(k)) out.push(`${Buffer.from(k, 'hex').toString('latin1').replace(/[^\x20-\x7e]/g, '.')} (${k}): ${a.get(k) ?? '-'} -> ${b.get(k) ?? '-'}`);
  }
  return out;
}

export { u64 };

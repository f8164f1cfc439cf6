// The real depin App in-process on a real LevelDB, driven block by block the way the node drives it:
// FinalizeBlock with the header's time, the previous app hash, the last commit of the validator set
// (every validator of the previous block's set, as CometBFT lists them) and verified misbehavior,
// then Commit. The validator set follows the app's validator updates with CometBFT's H+2 rule, so
// the last commit and evidence always name the set the consensus engine would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { openDepinApp, type DepinKeepers } from '../modules/depin-app.ts';
import type { App, FinalizeBlockResult, TxResult } from '../chain/app.ts';
import type { GenesisDoc } from '../chain/genesis.ts';
import { parseRfc3339 } from '../chain/genesis.ts';
import { Context, type Misbehavior, type Timestamp, type VoteInfo } from '../chain/context.ts';
import { GasMeter } from '../chain/gas.ts';
import { EventManager } from '../chain/events.ts';
import type { Event } from '../chain/events.ts';
import { CacheKV } from '../chain/store/cache-kv.ts';
import { sha256 } from '../chain/crypto/hash.ts';
import { signDigest, publicKeyCreate } from '../chain/crypto/secp256k1.ts';
import { accountAddress } from '../chain/crypto/address.ts';
import { u64Field } from '../chain/codec/proto.ts';
import { encodeBody } from '../chain/tx/builder.ts';
import { TxRaw, AuthInfo, SignDoc, PubKeySecp256k1, SECP256K1_PUBKEY_URL, SIGN_MODE_DIRECT, type Any } from '../chain/tx/types.ts';
import { ValidatorSet } from '../node/consensus/validator-set.ts';
import { validatorAddress } from '../node/validator-key.ts';

/** An account the simulator signs for: keys, and the account number and sequence it signs with. */
export class SimAccount {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly address: string;
  accountNumber = -1n;
  /** Next sequence to sign with (advanced per signed tx, resynchronised from state after blocks). */
  sequence = 0n;

  constructor(privateKey: Uint8Array) {
    this.privateKey = privateKey;
    this.publicKey = publicKeyCreate(privateKey);
    this.address = accountAddress(this.publicKey);
  }
}

export interface BlockOptions {
  misbehavior?: readonly Misbehavior[];
}

export interface BlockOutcome {
  height: bigint;
  time: Timestamp;
  txs: Uint8Array[];
  result: FinalizeBlockResult;
  /** Wall-clock milliseconds of FinalizeBlock + Commit (the state machine's share of the run). */
  execMs: number;
}

/** Fee per unit of gas the simulated clients pay (the dev chain's min gas price is 0.0025udpin). */
export const GAS_PRICE_MILLI = 3n; // 0.003 udpin

export class SimChain {
  readonly app: App;
  readonly keepers: DepinKeepers;
  readonly genesis: GenesisDoc;
  readonly chainId: string;
  readonly blockSeconds: bigint;
  height = 0n;
  time: Timestamp;
  /** App hash after each height (the header of the next block carries it; seeds come from it). */
  readonly appHashes = new Map<bigint, Uint8Array>();
  readonly times = new Map<bigint, Timestamp>();
  /** Validator set of each height that can still be asked for (the last commit, evidence). */
  readonly valsets = new Map<bigint, ValidatorSet>();
  initAppHash: Uint8Array;
  private readonly dir: string | undefined;
  private readonly db: Level<Uint8Array, Uint8Array>;
  /** Accounts that signed txs since the last resync (their sequences are re-read from state). */
  private readonly touched = new Set<SimAccount>();

  private constructor(app: App, keepers: DepinKeepers, genesis: GenesisDoc, db: Level<Uint8Array, Uint8Array>, dir: string | undefined, blockSeconds: bigint, init: { appHash: Uint8Array; validators: { pubKey: Uint8Array; power: bigint }[] }) {
    this.app = app;
    this.keepers = keepers;
    this.genesis = genesis;
    this.chainId = genesis.chain_id;
    this.db = db;
    this.dir = dir;
    this.blockSeconds = blockSeconds;
    this.time = parseRfc3339(genesis.genesis_time);
    this.height = BigInt(genesis.initial_height || '1') - 1n;
    this.initAppHash = init.appHash;
    const set = ValidatorSet.fromGenesis(init.validators.map((v) => ({ address: validatorAddress(v.pubKey), pubKey: v.pubKey, votingPower: v.power })));
    this.valsets.set(this.height + 1n, set);
    this.valsets.set(this.height + 2n, set.next());
  }

  /** Opens a fresh LevelDB (a temp directory unless `dir` is given) and loads genesis. */
  static async open(genesis: GenesisDoc, opts: { dir?: string; blockSeconds?: bigint } = {}): Promise<SimChain> {
    const owned = opts.dir === undefined;
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'depin-sim-'));
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const { app, keepers } = await openDepinApp(db.sublevel<Uint8Array, Uint8Array>('state', { keyEncoding: 'view', valueEncoding: 'view' }));
    const init = app.initChain(genesis);
    return new SimChain(app, keepers, genesis, db, owned ? dir : undefined, opts.blockSeconds ?? 5n, init);
  }

  async close(): Promise<void> {
    await this.db.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs one block: FinalizeBlock(txs) with the last commit of the previous block's set, then Commit. */
  async block(txs: Uint8Array[], opts: BlockOptions = {}): Promise<BlockOutcome> {
    const height = this.height + 1n;
    const time = { seconds: this.time.seconds + this.blockSeconds, nanos: 0 };
    const prevSet = this.valsets.get(height - 1n);
    // Every validator of the previous block's set signed it (honest validators never miss a block
    // in the simulation; CometBFT lists the whole set, absent ones with signed = false).
    const lastCommit: VoteInfo[] | undefined = prevSet && height > 1n ? prevSet.validators.map((v) => ({ validatorAddress: v.address, power: v.votingPower, signed: true })) : undefined;
    const proposer = this.valsets.get(height)?.proposer.address;
    const t0 = performance.now();
    const result = this.app.finalizeBlock({
      height, time, txs, proposer, lastAppHash: this.app.info().lastBlockAppHash, lastCommit, misbehavior: opts.misbehavior,
    });
    const { appHash } = await this.app.commit();
    const execMs = performance.now() - t0;
    this.height = height;
    this.time = time;
    this.appHashes.set(height, appHash);
    this.times.set(height, time);
    // Validator updates of block H take effect at H+2.
    const next = this.valsets.get(height + 1n)!;
    this.valsets.set(height + 2n, next.updateWithChangeSet(result.validatorUpdates.map((u) => ({ pubKey: u.pubKey, power: u.power }))).next());
    for (const h of [...this.valsets.keys()]) if (h < height - 50n) this.valsets.delete(h);
    this.resync();
    return { height, time, txs, result, execMs };
  }

  /** A read-only context over committed state, as queries see it (writes go to a throwaway branch). */
  readCtx(): Context {
    return new Context(new CacheKV(this.app.store), { chainId: this.chainId, height: this.height + 1n, time: this.time }, new GasMeter(Infinity), new EventManager(false), 'query');
  }

  /** Looks up account numbers and sequences of accounts created at genesis or since. */
  load(accounts: readonly SimAccount[]): void {
    const ctx = this.readCtx();
    for (const a of accounts) {
      const acc = this.keepers.auth.getAccount(ctx, a.address);
      if (!acc) throw new Error(`account ${a.address} does not exist on chain`);
      a.accountNumber = acc.accountNumber;
      a.sequence = acc.sequence;
    }
  }

  /** Sequences as the chain has them (a tx whose ante handler failed did not use its sequence). */
  private resync(): void {
    if (this.touched.size === 0) return;
    const ctx = this.readCtx();
    for (const a of this.touched) {
      const acc = this.keepers.auth.getAccount(ctx, a.address);
      if (acc) a.sequence = acc.sequence;
    }
    this.touched.clear();
  }

  /** Signs `msgs` as `signer` (SIGN_MODE_DIRECT) with its next sequence; the fee pays `gas` at the
   * simulated clients' gas price. */
  sign(signer: SimAccount, msgs: Any[], gas: bigint, memo = ''): Uint8Array {
    if (signer.accountNumber < 0n) this.load([signer]);
    const bodyBytes = encodeBody({ messages: msgs, memo, fee: [], gasLimit: 0n });
    const fee = (gas * GAS_PRICE_MILLI + 999n) / 1000n;
    const authInfoBytes = AuthInfo.encode({
      signerInfos: [{ publicKey: { typeUrl: SECP256K1_PUBKEY_URL, value: PubKeySecp256k1.encode({ key: signer.publicKey }) }, modeInfo: { single: { mode: SIGN_MODE_DIRECT } }, sequence: u64Field(signer.sequence) }],
      fee: { amount: [{ denom: 'udpin', amount: fee.toString() }], gasLimit: u64Field(gas) },
    } as never);
    const signDoc = SignDoc.encode({ bodyBytes, authInfoBytes, chainId: this.chainId, accountNumber: u64Field(signer.accountNumber) } as never);
    signer.sequence += 1n;
    this.touched.add(signer);
    return TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [signDigest(sha256(signDoc), signer.privateKey)] });
  }

  appHashHex(): string {
    return Buffer.from(this.app.info().lastBlockAppHash).toString('hex');
  }
}

/** Attributes of an event as a plain record. */
export function attrs(e: Event): Record<string, string> {
  const o: Record<string, string> = {};
  for (const a of e.attributes) o[a.key] = a.value;
  return o;
}

export function txFailed(r: TxResult): boolean {
  return r.code !== 0;
}

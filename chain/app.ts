// The application state machine with the ABCI 2.0 shape: initChain, checkTx, finalizeBlock,
// commit, query, info. It owns no sockets and no clocks: the same genesis and the same blocks give
// the same app hash on any machine.
import type { AbstractLevel } from 'abstract-level';
import { Context, type BlockInfo, type Timestamp, type VoteInfo, type Misbehavior } from './context.ts';
import { GasMeter, MAX_GAS } from './gas.ts';
import { EventManager, event, type Event } from './events.ts';
import { Router } from './router.ts';
import type { AppModule, ValidatorUpdate } from './module.ts';
import { TxDecoder, type DecodedTx } from './tx/decode.ts';
import { codec } from './codec/proto.ts';
import { MerkleStore, TreeWalkLimitError } from './store/merkle-store.ts';
import { CacheKV } from './store/cache-kv.ts';
import { GasKV } from './store/gas-kv.ts';
import { compareBytes, type Bytes, type KVReader, type KVStore } from './store/kv.ts';
import { encodeProof } from './store/proof.ts';
import { fromLatin1 } from './store/smt-hash.ts';
import { parseGasPrice, type GasPrice } from './coins.ts';
import {
  SdkError, toSdkError, ErrTxTooLarge, ErrInvalidGasLimit, ErrUnknownRequest, ErrInvalidHeight, ErrInvalidRequest, ErrTxDecode,
} from './errors.ts';
import type { GenesisDoc } from './genesis.ts';
import { parseRfc3339 } from './genesis.ts';
import { txHash } from './tx/tx-hash.ts';
import type { Any } from './tx/types.ts';
import { verifiedSignatures } from './crypto/sig-cache.ts';

const TxMsgData = codec<{ data: unknown[]; msgResponses: Any[] }>('cosmos.base.abci.v1beta1.TxMsgData');
const SimulateRequest = codec<{ txBytes: Uint8Array }>('cosmos.tx.v1beta1.SimulateRequest');
const SimulateResponse = codec<object>('cosmos.tx.v1beta1.SimulateResponse');

export const SIMULATE_PATH = '/cosmos.tx.v1beta1.Service/Simulate';
const CHAIN_ID_KEY = new TextEncoder().encode('app/chain_id');

export interface TxResult {
  code: number;
  codespace: string;
  log: string;
  info: string;
  data: Uint8Array;
  gasWanted: bigint;
  gasUsed: bigint;
  events: Event[];
}

export interface CheckTxResult extends TxResult {
  /** Set when the tx decoded: the mempool orders and replaces by (first signer, sequence). */
  sender?: string;
  sequence?: bigint;
  tx?: DecodedTx;
}

export interface FinalizeBlockRequest {
  height: bigint;
  time: Timestamp;
  txs: Uint8Array[];
  proposer?: Uint8Array;
  lastAppHash?: Uint8Array;
  lastCommit?: readonly VoteInfo[];
  misbehavior?: readonly Misbehavior[];
  /**
   * Takes each tx's result, events included, as soon as the tx has run; txResults then hold the
   * results without their events. A node encodes each result here, so a tx's event objects die
   * young instead of every event of the block staying alive (and being copied by the garbage
   * collector) until the end of the block.
   */
  onTxResult?: (result: TxResult, index: number) => void;
}

export interface FinalizeBlockResult {
  txResults: TxResult[];
  events: Event[];
  appHash: Uint8Array;
  /** Validator power changes from end block, applied by consensus from height + 2 (as CometBFT). */
  validatorUpdates: ValidatorUpdate[];
}

export interface QueryRequest {
  path: string;
  data: Uint8Array;
  height?: bigint;
  prove?: boolean;
}

export interface QueryResult {
  code: number;
  codespace: string;
  log: string;
  key: Uint8Array;
  value: Uint8Array;
  height: bigint;
  proofOps?: { type: string; key: Uint8Array; data: Uint8Array }[];
}

export interface AppOptions {
  /** Validator-local minimum gas price for mempool admission, e.g. "0.025udpin". */
  minGasPrice?: string;
  /** Largest tx accepted, in bytes (consensus rule: also enforced in finalizeBlock). */
  maxTxBytes?: number;
  /** The Merkle store's bound on tree nodes in memory (MerkleStoreOptions.cacheNodes). */
  storeCacheNodes?: number;
}

export interface AnteOptions {
  /** Gas estimation: no signature checks, no minimum fee. */
  simulate: boolean;
  /** Validator-local minimum gas price, enforced only when admitting txs to the mempool. */
  minGasPrice?: GasPrice;
  /** True when these exact signatures were already verified (CheckTx cache, recheck). */
  signaturesVerified?: (tx: DecodedTx, accountNumbers: bigint[]) => boolean;
  onSignaturesVerified?: (tx: DecodedTx, accountNumbers: bigint[]) => void;
}

/** Runs before a tx's messages (auth's ante handler: fees, signatures, sequences). */
export type AnteHandler = (ctx: Context, tx: DecodedTx, opts: AnteOptions) => void;

/** One signature the ante handler will require: lets the node verify it ahead, off-thread. */
export interface SignatureJob {
  sig: Uint8Array;
  digest: Uint8Array;
  pubkey: Uint8Array;
}

/** Computes the signature checks a tx needs against the given state (undefined: let the ante
 * handler decide, e.g. unknown signer), with the signers' account numbers. */
export type SignatureJobs = (ctx: Context, tx: DecodedTx) => { jobs: SignatureJob[]; accountNumbers: bigint[] } | undefined;

export interface AppWiring {
  modules: AppModule[];
  ante: AnteHandler;
  signatureJobs?: SignatureJobs;
}

/** Store reads at a past height: point lookups walk that version's Merkle tree; range scans read
 * the version's entries once (MerkleStore.entriesAt, a bounded walk of its whole tree) and are
 * then served from them by binary search. */
class HistoricalReader implements KVStore {
  readonly merkle: MerkleStore;
  readonly version: number;
  private entries: [Bytes, Bytes][] | undefined;
  constructor(store: MerkleStore, version: number) {
    this.merkle = store;
    this.version = version;
  }
  get(key: Bytes) {
    return this.merkle.getAt(key, this.version);
  }
  has(key: Bytes) {
    return this.merkle.getAt(key, this.version) !== undefined;
  }
  getS(key: string) {
    return this.merkle.getAt(fromLatin1(key), this.version);
  }
  hasS(key: string) {
    return this.getS(key) !== undefined;
  }
  *iterator(start: Bytes | undefined, end: Bytes | undefined, reverse = false): IterableIterator<[Bytes, Bytes]> {
    if (!this.entries) {
      try {
        this.entries = this.merkle.entriesAt(this.version);
      } catch (err) {
        if (err instanceof TreeWalkLimitError) throw ErrInvalidRequest.wrap(err.message);
        throw err;
      }
    }
    const e = this.entries;
    // First index with key >= k (e.length when none).
    const lowerBound = (k: Bytes) => {
      let lo = 0;
      let hi = e.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareBytes(e[mid]![0], k) < 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const from = start ? lowerBound(start) : 0;
    const to = end ? lowerBound(end) : e.length;
    if (reverse) for (let i = to - 1; i >= from; i--) yield e[i]!;
    else for (let i = from; i < to; i++) yield e[i]!;
  }
  set(): void {
    throw ErrInvalidRequest.wrap('queries are read-only');
  }
  delete(): void {
    throw ErrInvalidRequest.wrap('queries are read-only');
  }
  setS(): void {
    throw ErrInvalidRequest.wrap('queries are read-only');
  }
  deleteS(): void {
    throw ErrInvalidRequest.wrap('queries are read-only');
  }
}

class ReadOnly implements KVStore {
  readonly parent: KVReader;
  constructor(parent: KVReader) {
    this.parent = parent;
  }
  get(key: Bytes) {
    return this.parent.get(key);
  }
  has(key: Bytes) {
    return this.parent.has(key);
  }
  getS(key: string) {
    return this.parent.getS(key);
  }
  hasS(key: string) {
    return this.parent.hasS(key);
  }
  iterator(start: Bytes | undefined, end: Bytes | undefined, reverse?: boolean) {
    return this.parent.iterator(start, end, reverse);
  }
  set(): void {
    throw ErrInvalidRequest.wrap('queries are read-only');
  }
  delete(): void {
    throw ErrInvalidRequest.wrap('queries are read-only');
  }
  setS(): void {
    throw ErrInvalidRequest.wrap('queries are read-only');
  }
  deleteS(): void {
    throw ErrInvalidRequest.wrap('queries are read-only');
  }
}

function failure(err: unknown, gasWanted: bigint, gasUsed: bigint, events: Event[] = []): TxResult {
  const e = toSdkError(err);
  return { code: e.code, codespace: e.codespace, log: e.message, info: '', data: new Uint8Array(), gasWanted, gasUsed, events };
}

/** The events of a result handed to FinalizeBlockRequest.onTxResult, in txResults (frozen: shared). */
const NO_EVENTS = Object.freeze([]) as unknown as Event[];

const hashKey = (bytes: Uint8Array): string => {
  const h = txHash(bytes);
  return Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('latin1');
};

/** Bounded map that drops its oldest entry when full. */
class Bounded<V> {
  readonly map = new Map<string, V>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  set(k: string, v: V): void {
    if (this.map.size >= this.max && !this.map.has(k)) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(k, v);
  }
}

/** Memo of signatures this node already verified (CheckTx), so block execution does not pay for
 * the same ECDSA verification twice. Keyed by tx hash, holding the signers' account numbers the
 * signatures were checked under, so a hit proves exactly the verification the ante handler would
 * redo; results are identical either way. Entries leave when their tx is committed. */
class SignatureCache extends Bounded<string> {
  has(tx: DecodedTx, numbers: bigint[]): boolean {
    return this.map.get(hashKey(tx.raw)) === numbers.join(',');
  }
  add(tx: DecodedTx, numbers: bigint[]): void {
    this.set(hashKey(tx.raw), numbers.join(','));
  }
}

/** Decoded txs by hash: a tx is decoded on admission, on recheck and in the block; the result is
 * a pure function of the bytes, so decoding once is enough. Entries leave when their tx is
 * committed, so the cache holds about the mempool, not every tx ever seen (old-generation
 * garbage was a large share of GC time under load). */
class DecodeCache extends Bounded<DecodedTx> {
  get(bytes: Uint8Array, decode: () => DecodedTx): DecodedTx {
    const k = hashKey(bytes);
    const hit = this.map.get(k);
    if (hit) return hit;
    const tx = decode();
    this.set(k, tx);
    return tx;
  }
}

export class App {
  readonly store: MerkleStore;
  readonly modules: AppModule[];
  readonly router: Router;
  readonly decoder: TxDecoder;
  readonly ante: AnteHandler;
  private readonly signatureJobsFn: SignatureJobs | undefined;
  readonly minGasPrice: GasPrice;
  readonly maxTxBytes: number;
  chainId: string;
  private checkState: CacheKV;
  private deliverState: CacheKV | undefined;
  private pendingHeight: bigint | undefined;
  private pendingTxs: readonly Uint8Array[] = [];
  private pendingTime: Timestamp | undefined;
  private readonly sigCache = new SignatureCache(500_000);
  private readonly decoded = new DecodeCache(200_000);
  /** Message-level signature jobs handed out by signatureJobs(), until reported verified. */
  private readonly msgJobs = new WeakMap<DecodedTx, SignatureJob[]>();

  private constructor(store: MerkleStore, wiring: AppWiring, opts: AppOptions) {
    this.store = store;
    this.modules = wiring.modules;
    this.router = new Router(wiring.modules);
    this.decoder = new TxDecoder(this.router);
    this.ante = wiring.ante;
    this.signatureJobsFn = wiring.signatureJobs;
    this.minGasPrice = parseGasPrice(opts.minGasPrice ?? '0udpin');
    this.maxTxBytes = opts.maxTxBytes ?? 128 * 1024;
    const raw = store.get(CHAIN_ID_KEY);
    this.chainId = raw ? new TextDecoder().decode(raw) : '';
    this.checkState = new CacheKV(store);
  }

  static async open(db: AbstractLevel<any, any, any>, wiring: AppWiring, opts: AppOptions = {}): Promise<App> {
    return new App(await MerkleStore.open(db, opts.storeCacheNodes === undefined ? {} : { cacheNodes: opts.storeCacheNodes }), wiring, opts);
  }

  info(): { lastBlockHeight: bigint; lastBlockAppHash: Uint8Array; chainId: string } {
    return { lastBlockHeight: BigInt(this.store.version), lastBlockAppHash: this.store.rootHash(), chainId: this.chainId };
  }

  /**
   * Time of the last block executed (or of genesis): what CheckTx, Simulate and queries see as the
   * block time, like the Cosmos SDK's check state carrying the last committed header. Never used
   * in block execution, which gets the block's own time. After a restart the node sets it from
   * the last stored header (setLastBlockTime).
   */
  private lastBlockTime: Timestamp = { seconds: 0n, nanos: 0 };

  /** The node tells a reopened app the time of the last committed block. */
  setLastBlockTime(t: Timestamp): void {
    this.lastBlockTime = t;
  }

  private ctx(store: KVStore, meter: GasMeter, events: EventManager, mode: Context['mode'], block?: Partial<BlockInfo>): Context {
    const info: BlockInfo = {
      chainId: this.chainId,
      height: block?.height ?? BigInt(this.store.version) + 1n,
      time: block?.time ?? this.lastBlockTime,
    };
    return new Context(store, info, meter, events, mode);
  }

  /** Loads genesis into a fresh state; the result is committed together with the first block.
   * `validators` is the initial set when a module (staking) defines it in app state. */
  initChain(genesis: GenesisDoc): { appHash: Uint8Array; validators: ValidatorUpdate[] } {
    if (this.store.version !== 0) throw new Error(`initChain on a chain already at height ${this.store.version}`);
    if (!genesis.chain_id) throw new Error('genesis: chain_id is required');
    this.chainId = genesis.chain_id;
    this.deliverState = new CacheKV(this.store);
    const time = parseRfc3339(genesis.genesis_time);
    this.lastBlockTime = time;
    const ctx = this.ctx(this.deliverState, new GasMeter(Infinity), new EventManager(), 'genesis', { height: BigInt(genesis.initial_height || '1'), time });
    ctx.store.set(CHAIN_ID_KEY, new TextEncoder().encode(genesis.chain_id));
    const validators: ValidatorUpdate[] = [];
    for (const m of this.modules) {
      if (!m.initGenesis) continue;
      const section = genesis.app_state?.[m.name] ?? m.defaultGenesis?.();
      const out = m.initGenesis(ctx, section);
      if (out?.validatorUpdates) validators.push(...out.validatorUpdates);
    }
    const appHash = this.store.stageChanges(this.deliverState.changes());
    this.checkState = new CacheKV(this.deliverState);
    return { appHash, validators };
  }

  exportGenesis(): Record<string, unknown> {
    const ctx = this.ctx(new ReadOnly(this.store), new GasMeter(Infinity), new EventManager(), 'query');
    const out: Record<string, unknown> = {};
    for (const m of this.modules) if (m.exportGenesis) out[m.name] = m.exportGenesis(ctx);
    return out;
  }

  // ---------------------------------------------------------------- mempool admission

  /** Size limit, decoding and gas limit: the stateless gate of CheckTx and block execution. */
  private admit(bytes: Uint8Array): { tx: DecodedTx; meter: GasMeter } | TxResult {
    if (bytes.length > this.maxTxBytes) return failure(ErrTxTooLarge.wrap(`tx is ${bytes.length} bytes, limit ${this.maxTxBytes}`), 0n, 0n);
    let tx: DecodedTx;
    try {
      tx = this.decode(bytes);
    } catch (err) {
      return failure(err, 0n, 0n);
    }
    const gasWanted = tx.fee.gasLimit;
    if (gasWanted > BigInt(MAX_GAS)) return failure(ErrInvalidGasLimit.wrap(`gas limit ${gasWanted} exceeds ${MAX_GAS}`), gasWanted, 0n);
    return { tx, meter: new GasMeter(Number(gasWanted)) };
  }

  checkTx(txBytes: Uint8Array, mode: 'new' | 'recheck' = 'new'): CheckTxResult {
    const admitted = this.admit(txBytes);
    if (!('tx' in admitted)) return admitted;
    const { tx, meter } = admitted;
    const gasWanted = tx.fee.gasLimit;
    const branch = new CacheKV(this.checkState);
    const events = new EventManager(false); // CheckTx results carry no events
    const ctx = this.ctx(new GasKV(branch, meter), meter, events, mode === 'new' ? 'check' : 'recheck');
    try {
      this.ante(ctx, tx, {
        simulate: false,
        minGasPrice: this.minGasPrice,
        // A recheck re-runs the stateful checks only; the signatures were verified on admission.
        signaturesVerified: (t, n) => mode === 'recheck' || this.sigCache.has(t, n),
        onSignaturesVerified: (t, n) => this.sigCache.add(t, n),
      });
    } catch (err) {
      return { ...failure(err, gasWanted, BigInt(meter.consumed)), sender: tx.signers[0], sequence: tx.signerInfos[0]?.sequence, tx };
    }
    branch.write();
    return {
      code: 0, codespace: '', log: '', info: '', data: new Uint8Array(), gasWanted, gasUsed: BigInt(meter.consumed), events: [],
      sender: tx.signers[0], sequence: tx.signerInfos[0]?.sequence, tx,
    };
  }

  /** Decodes broadcast bytes (memoized by hash; failures are not cached and rethrow). */
  decode(bytes: Uint8Array): DecodedTx {
    return this.decoded.get(bytes, () => this.decoder.decode(bytes));
  }

  /** The signatures `tx` must carry, against the mempool's check state, for verification ahead of
   * checkTx (e.g. on a worker thread); report success with markSignaturesVerified. */
  signatureJobs(tx: DecodedTx): { jobs: SignatureJob[]; accountNumbers: bigint[] } | undefined {
    if (!this.signatureJobsFn) return undefined;
    const ctx = this.ctx(this.checkState, new GasMeter(Infinity), new EventManager(), 'check');
    let out: { jobs: SignatureJob[]; accountNumbers: bigint[] } | undefined;
    try {
      out = this.signatureJobsFn(ctx, tx);
    } catch {
      return undefined;
    }
    // Signatures inside messages (MsgDef.signatureJobs), verified in the same batch.
    const extra: SignatureJob[] = [];
    for (const m of tx.msgs) {
      if (!m.def.signatureJobs) continue;
      try {
        extra.push(...m.def.signatureJobs(ctx, m.value));
      } catch {
        // advisory only: the handler verifies whatever is not in the cache
      }
    }
    if (!out || extra.length === 0) return out;
    this.msgJobs.set(tx, extra);
    return { jobs: [...out.jobs, ...extra], accountNumbers: out.accountNumbers };
  }

  markSignaturesVerified(tx: DecodedTx, accountNumbers: bigint[]): void {
    this.sigCache.add(tx, accountNumbers);
    const extra = this.msgJobs.get(tx);
    if (extra) {
      for (const j of extra) verifiedSignatures.add(j.pubkey, j.digest, j.sig);
      this.msgJobs.delete(tx);
    }
  }

  // ---------------------------------------------------------------- block execution

  finalizeBlock(req: FinalizeBlockRequest): FinalizeBlockResult {
    if (this.pendingHeight !== undefined) throw new Error(`finalizeBlock(${req.height}) before commit of ${this.pendingHeight}`);
    const expected = BigInt(this.store.version) + 1n;
    if (this.store.version !== 0 && req.height !== expected) throw new Error(`finalizeBlock: expected height ${expected}, got ${req.height}`);
    if (!this.deliverState) {
      if (this.store.version === 0) throw new Error('finalizeBlock before initChain');
      this.deliverState = new CacheKV(this.store);
    }
    this.pendingTime = req.time;
    const block: BlockInfo = {
      chainId: this.chainId, height: req.height, time: req.time,
      proposer: req.proposer, lastAppHash: req.lastAppHash, lastCommit: req.lastCommit, misbehavior: req.misbehavior,
    };
    const blockEvents = new EventManager();
    const blockCtx = new Context(this.deliverState, block, new GasMeter(Infinity), blockEvents, 'finalize');
    for (const m of this.modules) m.beginBlock?.(blockCtx);
    const sink = req.onTxResult;
    const txResults = req.txs.map((bytes, i) => {
      const r = this.deliverTx(bytes, block);
      if (!sink) return r;
      sink(r, i);
      return { ...r, events: NO_EVENTS };
    });
    const validatorUpdates: ValidatorUpdate[] = [];
    for (const m of this.modules) {
      const out = m.endBlock?.(blockCtx);
      if (out?.validatorUpdates) validatorUpdates.push(...out.validatorUpdates);
    }
    const appHash = this.store.stageChanges(this.deliverState.changes());
    this.pendingHeight = req.height;
    this.pendingTxs = req.txs;
    return { txResults, events: blockEvents.events, appHash, validatorUpdates };
  }

  private deliverTx(bytes: Uint8Array, block: BlockInfo): TxResult {
    const admitted = this.admit(bytes);
    if (!('tx' in admitted)) return admitted;
    return this.runTx(admitted.tx, this.deliverState!, admitted.meter, block, false);
  }

  /** Ante on one branch, messages on another: state is written only for the parts that succeed. */
  private runTx(tx: DecodedTx, parent: CacheKV, meter: GasMeter, block: BlockInfo, simulate: boolean): TxResult & { msgResponses: Any[] } {
    const anteBranch = new CacheKV(parent);
    const anteEvents = new EventManager();
    const mode = simulate ? 'simulate' : 'finalize';
    const ctx = new Context(new GasKV(anteBranch, meter), block, meter, anteEvents, mode);
    const gasWanted = tx.fee.gasLimit;
    try {
      this.ante(ctx, tx, {
        simulate,
        signaturesVerified: (t, n) => this.sigCache.has(t, n),
      });
    } catch (err) {
      return { ...failure(err, gasWanted, BigInt(meter.consumed)), msgResponses: [] };
    }
    anteBranch.write();

    const msgBranch = new CacheKV(parent);
    const msgStore = new GasKV(msgBranch, meter);
    const msgEvents: Event[] = [];
    const msgResponses: Any[] = [];
    try {
      tx.msgs.forEach((msg, i) => {
        const em = new EventManager();
        const moduleName = msg.typeUrl.split('.')[1] ?? '';
        em.emit(event('message', { action: msg.typeUrl, sender: tx.signers[0]!, module: moduleName }));
        const resp = msg.def.handle(new Context(msgStore, block, meter, em, mode), msg.value);
        msgResponses.push({ typeUrl: msg.def.responseTypeUrl, value: resp });
        const msgIndex = { key: 'msg_index', value: String(i), index: true };
        for (const e of em.events) msgEvents.push({ type: e.type, attributes: e.attributes.concat(msgIndex) });
      });
    } catch (err) {
      // Ante effects (fee, sequence) stay; message effects are discarded.
      return { ...failure(err, gasWanted, BigInt(meter.consumed), anteEvents.events), msgResponses: [] };
    }
    msgBranch.write();
    return {
      code: 0, codespace: '', log: '', info: '',
      data: TxMsgData.encode({ data: [], msgResponses }),
      gasWanted, gasUsed: BigInt(meter.consumed),
      events: [...anteEvents.events, ...msgEvents],
      msgResponses,
    };
  }

  async commit(): Promise<{ height: bigint; appHash: Uint8Array }> {
    await this.persist();
    return this.finishCommit();
  }

  /**
   * The first half of commit(): makes the finalized block durable (one synced LevelDB batch).
   * Until finishCommit(), CheckTx, queries and simulations keep seeing the previous block's state,
   * so a node goes on admitting broadcasts during the write instead of idling through the fsync.
   */
  async persist(): Promise<void> {
    if (this.pendingHeight === undefined) throw new Error('commit without finalizeBlock');
    await this.store.write(Number(this.pendingHeight));
  }

  /**
   * The second half: the persisted block becomes the state everything reads, and CheckTx starts
   * again from it. Synchronous, so the caller can recheck its mempool before any other admission.
   */
  finishCommit(): { height: bigint; appHash: Uint8Array } {
    if (this.pendingHeight === undefined) throw new Error('commit without finalizeBlock');
    const appHash = this.store.publish();
    this.pendingHeight = undefined;
    // From now on CheckTx runs against this block's state, so it sees this block's time.
    if (this.pendingTime) this.lastBlockTime = this.pendingTime;
    this.pendingTime = undefined;
    // Committed txs are never decoded or verified here again (a replay is refused by sequence).
    for (const bytes of this.pendingTxs) {
      const k = hashKey(bytes);
      this.decoded.map.delete(k);
      this.sigCache.map.delete(k);
    }
    this.pendingTxs = [];
    this.deliverState = undefined;
    this.checkState = new CacheKV(this.store);
    return { height: BigInt(this.store.version), appHash };
  }

  // ---------------------------------------------------------------- queries

  simulate(txBytes: Uint8Array): { gasUsed: bigint; result: TxResult & { msgResponses: Any[] } } {
    const tx = this.decoder.decode(txBytes, { requireCanonical: false });
    const meter = new GasMeter(Infinity);
    // Against committed state (what CosmJS read the sequence from), on a throw-away branch.
    const block: BlockInfo = { chainId: this.chainId, height: BigInt(this.store.version) + 1n, time: this.lastBlockTime };
    const result = this.runTx(tx, new CacheKV(this.store), meter, block, true);
    if (result.code !== 0) throw new SdkError(result.codespace, result.code, result.log);
    return { gasUsed: BigInt(meter.consumed), result };
  }

  query(req: QueryRequest): QueryResult {
    const latest = BigInt(this.store.version);
    const height = req.height && req.height > 0n ? req.height : latest;
    const base = { key: new Uint8Array(), value: new Uint8Array(), height, codespace: '', log: '', code: 0 };
    try {
      if (height > latest) throw ErrInvalidHeight.wrap(`cannot query with height in the future (${height}); latest is ${latest}`);
      if (height < 1n) throw ErrInvalidHeight.wrap('no committed state yet');
      if (req.path === SIMULATE_PATH) {
        const { txBytes } = SimulateRequest.decode(req.data);
        if (!txBytes || txBytes.length === 0) throw ErrTxDecode.wrap('empty tx_bytes (the deprecated tx field is not supported)');
        const { gasUsed, result } = this.simulate(txBytes);
        const value = SimulateResponse.encode({
          gasInfo: { gasWanted: '0', gasUsed: gasUsed.toString() },
          result: { data: result.data, log: '', events: result.events, msgResponses: result.msgResponses },
        });
        return { ...base, value };
      }
      if (req.path === '/store/key' || /^\/store\/[a-z0-9_]+\/key$/.test(req.path)) {
        const version = Number(height);
        const value = version === this.store.version ? this.store.get(req.data) : this.store.getAt(req.data, version);
        const out: QueryResult = { ...base, key: req.data, value: value ?? new Uint8Array() };
        if (req.prove) {
          out.proofOps = [{ type: 'depin:smt', key: req.data, data: encodeProof(this.store.prove(req.data, version)) }];
        }
        return out;
      }
      const def = this.router.queries.get(req.path);
      if (!def) throw ErrUnknownRequest.wrap(`unknown query path ${req.path}`);
      const reader: KVStore = height === latest ? new ReadOnly(this.store) : new HistoricalReader(this.store, Number(height));
      const ctx = this.ctx(reader, new GasMeter(Infinity), new EventManager(), 'query', { height });
      let request;
      try {
        request = def.request.decode(req.data);
      } catch (err) {
        throw ErrInvalidRequest.wrap(`failed to decode request: ${(err as Error).message}`);
      }
      return { ...base, value: def.handle(ctx, request) };
    } catch (err) {
      const e = toSdkError(err);
      return { ...base, code: e.code, codespace: e.codespace, log: e.message };
    }
  }
}

// The index of committed blocks: the tx index (tx-indexer.ts) and every view (views/), written
// for each block in ONE atomic LevelDB batch together with the indexed height, so after a crash
// the tx index and all views are at the same block boundary. Reads of views take a shared lock
// that block writes wait for, so an answer and the height it reports as "as of" always agree.
import type { AbstractLevel } from 'abstract-level';
import { TxIndexer, DEFAULT_INDEX_EXCLUDE, TX_INDEX_FORMAT } from './tx-indexer.ts';
import { readBlockEvents, resultsAppHash } from '../store/results-codec.ts';
import { BlockWriter, ReadCache, ViewReader, ViewWriter, viewPrefix, PageRequestError, cat, u64, str, jsonBytes, parseJson, type DB, type PageRequest } from './views/kv.ts';
import { VIEWS } from './views/registry.ts';
import type { BlockSummary, QueryContext, View, ViewEvent } from './views/view.ts';

const LAST = Uint8Array.of(0x4c); // 'L' -> last indexed height (shared with the tx index)
const VERSION = Uint8Array.of(0x56); // 'V' -> format (tx index format + view versions)
const VIEW_ERRORS = Uint8Array.of(0x45); // 'E' lp(view) -> the last error of that view
const APP_HASH = Uint8Array.of(0x48); // 'H' height(8) -> the block's state root (which chain this index is of)
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;

/** Shared/exclusive lock: queries share it, a block's batch write takes it alone. */
class ReadWriteLock {
  private readers = 0;
  private writer: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  async read<T>(fn: () => Promise<T>): Promise<T> {
    while (this.writer) await this.writer;
    this.readers++;
    try {
      return await fn();
    } finally {
      if (--this.readers === 0 && this.drained) this.drained();
    }
  }

  async write<T>(fn: () => Promise<T>): Promise<T> {
    while (this.writer) await this.writer;
    let release!: () => void;
    this.writer = new Promise<void>((r) => (release = r));
    try {
      if (this.readers > 0) await new Promise<void>((r) => (this.drained = r));
      this.drained = undefined;
      return await fn();
    } finally {
      this.writer = undefined;
      release();
    }
  }
}

export class ViewQueryError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

/** An answer from a view, with the height it is as of. */
export interface ViewAnswer {
  as_of_height: string;
  /** undefined = not found (404). */
  result: unknown;
}

/** A view that failed on a block (it lost that block's writes; see indexOne). */
export interface ViewError {
  view: string;
  height: string;
  message: string;
  count: number;
  first_height: string;
}

export function indexFormat(views: readonly View[] = VIEWS): string {
  return JSON.stringify({ tx: TX_INDEX_FORMAT, views: Object.fromEntries(views.map((v) => [v.name, v.version])) });
}

export class BlockIndexer {
  readonly db: DB;
  readonly tx: TxIndexer;
  readonly views: readonly View[];
  private readonly wanted = new Map<string, View[]>();
  private readonly wantedTypes: Set<string>;
  private readonly cache = new ReadCache();
  private readonly lock = new ReadWriteLock();
  private height = 0n;

  constructor(db: AbstractLevel<any, any, any>, opts: { exclude?: readonly string[]; views?: readonly View[] } = {}) {
    this.db = db as DB;
    this.tx = new TxIndexer(db, opts.exclude ?? DEFAULT_INDEX_EXCLUDE);
    this.views = opts.views ?? VIEWS;
    for (const v of this.views) for (const type of v.events) {
      const list = this.wanted.get(type) ?? [];
      list.push(v);
      this.wanted.set(type, list);
    }
    this.wantedTypes = new Set(this.wanted.keys());
  }

  /** Opens the index; one in another format (tx index or any view version) is cleared, and the
   * node rebuilds it from the block store. */
  async init(): Promise<void> {
    const want = new TextEncoder().encode(indexFormat(this.views));
    const have = await this.db.get(VERSION, VIEW);
    if (!have || Buffer.compare(Buffer.from(have), Buffer.from(want)) !== 0) {
      await this.db.clear();
      await this.db.put(VERSION, want, VIEW);
    }
    this.height = await this.tx.lastHeight();
  }

  lastHeight(): Promise<bigint> {
    return this.tx.lastHeight();
  }

  /** Indexes one block: tx positions, attribute postings and every view, in one batch. */
  indexEncodedBlock(height: bigint, txs: readonly Uint8Array[], resultsBytes: Uint8Array): Promise<BlockSummary> {
    // Blocks arrive as messages that may overlap (reducers await reads): one at a time, in order.
    const run = this.writing.then(() => this.indexOne(height, txs, resultsBytes));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private writing: Promise<unknown> = Promise.resolve();

  private async indexOne(height: bigint, txs: readonly Uint8Array[], resultsBytes: Uint8Array): Promise<BlockSummary> {
    // Views fold events into counters, so a block must be indexed exactly once, in order. A block
    // already indexed is skipped — unless its state root differs from the one recorded: then this
    // index belongs to another chain (a data directory replaced without its index.db).
    if (height <= this.height) {
      const recorded = await this.db.get(cat(APP_HASH, u64(height)), VIEW);
      const now = resultsAppHash(resultsBytes);
      if (recorded && now.length && Buffer.compare(Buffer.from(recorded), Buffer.from(now)) !== 0) {
        throw new Error(`the index holds another chain's block ${height} (state roots differ): delete the index directory (data/index.db) and restart to rebuild it`);
      }
      return { height };
    }
    if (this.height !== 0n && height !== this.height + 1n) throw new Error(`index is at height ${this.height}; cannot index block ${height} before ${this.height + 1n}`);
    const batch = this.db.batch();
    this.tx.writeBlock(batch, height, txs, resultsBytes);
    const summary: BlockSummary = { height };
    const events = readBlockEvents(resultsBytes, this.wantedTypes);
    const writers: BlockWriter[] = [];
    if (events.length) {
      const perView = new Map<View, ViewEvent[]>();
      for (const e of events) for (const v of this.wanted.get(e.type)!) {
        const list = perView.get(v) ?? [];
        list.push(e);
        perView.set(v, list);
      }
      // In registry order, so a block always folds the same way. Each view writes through its own
      // overlay: a view that fails on a block (an event it cannot read) loses that block's writes
      // and records the error, and the tx index and the other views go on — one view's bug must
      // not stop tx_search or the rest of the index.
      for (const v of this.views) {
        const evs = perView.get(v);
        if (!evs) continue;
        const w = new BlockWriter(this.db, height, this.cache);
        const part: BlockSummary = { height };
        try {
          await v.apply(new ViewWriter(w, viewPrefix(v.name)), evs, part);
        } catch (err) {
          const message = (err as Error).message;
          const key = cat(VIEW_ERRORS, str(v.name));
          const prev = parseJson<ViewError>(await this.db.get(key, VIEW));
          batch.put(key, jsonBytes({ view: v.name, height: height.toString(), message, count: (prev?.count ?? 0) + 1, first_height: prev?.first_height ?? height.toString() } satisfies ViewError), VIEW);
          (summary.viewErrors ??= []).push({ view: v.name, message });
          continue;
        }
        writers.push(w);
        if (part.proofs) summary.proofs = part.proofs;
      }
    }
    for (const w of writers) w.flush(batch);
    const hb = Buffer.allocUnsafe(8);
    hb.writeBigUInt64BE(height, 0);
    batch.put(LAST, hb, VIEW);
    const appHash = resultsAppHash(resultsBytes);
    if (appHash.length) batch.put(cat(APP_HASH, hb), appHash, VIEW);
    try {
      await this.lock.write(async () => {
        await batch.write();
        this.height = height;
      });
    } catch (err) {
      this.cache.clear(); // reads done for the failed block may describe a state that never landed
      throw err;
    }
    for (const w of writers) w.committed();
    return summary;
  }

  /** Indexed height, views and their versions, and any view's recorded failure. */
  async status(): Promise<{ height: string; views: { name: string; version: number; events: readonly string[]; error: ViewError | null }[] }> {
    return this.lock.read(async () => {
      const views = [];
      for (const v of this.views) views.push({ name: v.name, version: v.version, events: v.events, error: parseJson<ViewError>(await this.db.get(cat(VIEW_ERRORS, str(v.name)), VIEW)) ?? null });
      return { height: this.height.toString(), views };
    });
  }

  position(hash: string) {
    return this.tx.position(hash);
  }

  candidates(query: string) {
    return this.tx.candidates(query);
  }

  private resolve(name: string): { view: View; q: View['queries'][string] } {
    const dot = name.indexOf('.');
    const view = this.views.find((v) => v.name === name.slice(0, dot));
    const q = view?.queries[name.slice(dot + 1)];
    if (!view || !q) throw new ViewQueryError(`unknown view query ${name}`, 404);
    return { view, q };
  }

  private async run(name: string, params: Record<string, string | undefined>, page: PageRequest): Promise<unknown> {
    const { view, q } = this.resolve(name);
    const ctx: QueryContext = {
      reader: new ViewReader(this.db, viewPrefix(view.name)),
      other: (n) => new ViewReader(this.db, viewPrefix(n)),
      height: this.height,
    };
    try {
      return await q(ctx, params, page);
    } catch (err) {
      if (err instanceof PageRequestError) throw new ViewQueryError(err.message, 400);
      throw err;
    }
  }

  /** Runs `<view>.<query>` as of the last indexed height. */
  async query(name: string, params: Record<string, string | undefined>, page: PageRequest = {}): Promise<ViewAnswer> {
    this.resolve(name);
    return this.lock.read(async () => ({ as_of_height: this.height.toString(), result: await this.run(name, params, page) }));
  }

  /** Several queries as of one height (no block lands between them). */
  async queryMany(reqs: { name: string; params?: Record<string, string | undefined>; page?: PageRequest }[]): Promise<{ as_of_height: string; results: unknown[] }> {
    for (const r of reqs) this.resolve(r.name);
    return this.lock.read(async () => {
      const results: unknown[] = [];
      for (const r of reqs) results.push(await this.run(r.name, r.params ?? {}, r.page ?? {}));
      return { as_of_height: this.height.toString(), results };
    });
  }
}

// The node's handle on the index running in a worker thread (indexer-thread.ts): the tx index
// and the views. `tx` and `tx_search` take positions from the index and records from the block
// store (tx-search.ts). Index writes are ordered (one message queue) and each block is one atomic
// batch there, so after a crash the index is at a block boundary and the node re-indexes what it
// missed.
import { Worker } from 'node:worker_threads';
import type { IndexedTxRecord, Candidate } from './tx-indexer.ts';
import { searchTxs, txByHash, type TxSearchSource } from './tx-search.ts';
import type { ViewAnswer, ViewError } from './block-indexer.ts';
import type { BlockSummary } from './views/view.ts';
import type { PageRequest } from './views/kv.ts';

export interface TxIndex {
  indexEncodedBlock(height: bigint, txs: Uint8Array[], resultsBytes: Uint8Array): Promise<unknown>;
  lastHeight(): Promise<bigint>;
  getByHash(hash: string): Promise<IndexedTxRecord | undefined>;
  search(query: string, page: number, perPage: number, orderBy?: 'asc' | 'desc'): Promise<{ txs: IndexedTxRecord[]; totalCount: number }>;
  /** `<view>.<query>` (views/registry.ts) as of the last indexed block. */
  query(name: string, params: Record<string, string | undefined>, page?: PageRequest): Promise<ViewAnswer>;
  /** Indexed height, views (name, version, events) and any view's recorded failure. */
  status(): Promise<{ height: string; views: { name: string; version: number; events: readonly string[]; error: ViewError | null }[] }>;
  /** Several view queries as of one height. */
  queryMany(reqs: { name: string; params?: Record<string, string | undefined>; page?: PageRequest }[]): Promise<{ as_of_height: string; results: unknown[] }>;
  /** Called after each block is indexed (metrics, live dashboard); returns an unsubscribe. */
  onBlockIndexed(listener: (s: BlockSummary) => void): () => void;
  close(): Promise<void>;
}

/** A failed view query, with the HTTP status the REST layer should answer with. */
export class IndexQueryError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** Concatenated txs and their end offsets (what indexer-thread.ts unpacks). */
export function packTxs(txs: readonly Uint8Array[]): { packed: Uint8Array; offsets: Uint32Array } {
  let total = 0;
  for (const t of txs) total += t.length;
  const packed = new Uint8Array(total);
  const offsets = new Uint32Array(txs.length);
  let o = 0;
  txs.forEach((t, i) => {
    packed.set(t, o);
    o += t.length;
    offsets[i] = o;
  });
  return { packed, offsets };
}

export function unpackTxs(packed: Uint8Array, offsets: Uint32Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const end of offsets) {
    out.push(packed.subarray(start, end));
    start = end;
  }
  return out;
}

/** What the client reads records from: the block store (tx-search.ts loadRecords). */
export type TxRecordLoader = TxSearchSource['load'];

export class IndexerClient implements TxIndex {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(s: BlockSummary) => void>();
  private nextId = 0;
  private readonly ready: Promise<void>;

  private readonly load: TxRecordLoader;

  /** `load`: the records at given positions (the node's block store). */
  constructor(path: string, load: TxRecordLoader, exclude?: string[]) {
    this.load = load;
    this.worker = new Worker(new URL('./indexer-thread.ts', import.meta.url), { workerData: { path, exclude } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (m: { ready?: boolean; id: number; result?: unknown; error?: { message: string; status?: number } }) => {
        if (m.ready) return resolve();
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(m.error.status ? new IndexQueryError(m.error.message, m.error.status) : new Error(m.error.message));
        else p.resolve(m.result);
      });
    });
    this.worker.on('error', (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  private async call<T>(method: string, ...args: unknown[]): Promise<T> {
    await this.ready;
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args });
    });
  }

  private notify(s: BlockSummary): BlockSummary {
    for (const l of this.listeners) {
      try {
        l(s);
      } catch {
        /* a listener's failure is its own */
      }
    }
    return s;
  }

  async indexEncodedBlock(height: bigint, txs: Uint8Array[], resultsBytes: Uint8Array): Promise<BlockSummary> {
    // One packed buffer instead of an array of txs: each tx is usually a view into an 8 KiB pooled
    // ArrayBuffer, and structured clone would copy that whole ArrayBuffer for every tx.
    const { packed, offsets } = packTxs(txs);
    return this.notify(await this.call<BlockSummary>('indexPackedBlock', height, packed, offsets, resultsBytes));
  }

  lastHeight(): Promise<bigint> {
    return this.call('lastHeight');
  }

  /** The index finds where the tx is; the record comes from the block store. */
  getByHash(hash: string): Promise<IndexedTxRecord | undefined> {
    return txByHash({ position: (h) => this.call<Candidate | undefined>('position', h), load: this.load }, hash);
  }

  search(query: string, page: number, perPage: number, orderBy: 'asc' | 'desc' = 'asc') {
    return searchTxs({ candidates: (q) => this.call<{ candidates: Candidate[]; exact: boolean }>('candidates', q), load: this.load }, query, page, perPage, orderBy);
  }

  query(name: string, params: Record<string, string | undefined>, page: PageRequest = {}): Promise<ViewAnswer> {
    return this.call<ViewAnswer>('query', name, params, page);
  }

  status() {
    return this.call<{ height: string; views: { name: string; version: number; events: readonly string[]; error: ViewError | null }[] }>('status');
  }

  queryMany(reqs: { name: string; params?: Record<string, string | undefined>; page?: PageRequest }[]) {
    return this.call<{ as_of_height: string; results: unknown[] }>('queryMany', reqs);
  }

  onBlockIndexed(listener: (s: BlockSummary) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.call('close');
    await this.worker.terminate();
  }
}

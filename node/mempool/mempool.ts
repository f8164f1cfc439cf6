// The mempool: txs admitted by the app's CheckTx (against a check state that advances with each
// admitted tx, so one account can have many pending txs with consecutive sequences), kept in
// arrival order, reaped into blocks, and rechecked after every commit.
import type { App, CheckTxResult } from '../../chain/app.ts';
import { txHashHex } from '../../chain/tx/tx-hash.ts';
import type { SigVerifierPool } from './sig-verifier.ts';

export interface MempoolTx {
  bytes: Uint8Array;
  hash: string; // uppercase hex
  sender: string | undefined;
  sequence: bigint | undefined;
  gasWanted: bigint;
  /** Local arrival time, for queue-time metrics only (never enters consensus). */
  receivedAtMs: number;
}

/** Rejections CometBFT reports as JSON-RPC errors rather than CheckTx codes. */
export class MempoolError extends Error {}

export interface MempoolLimits {
  maxTxs: number;
  maxBytes: number;
  maxTxBytes: number;
  cacheSize: number;
}

/** Recently seen tx hashes (admitted or committed): a replay of the same bytes is refused early. */
class SeenCache {
  private readonly set = new Set<string>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  has(h: string) {
    return this.set.has(h);
  }
  add(h: string) {
    if (this.set.size >= this.max) {
      const oldest = this.set.values().next().value;
      if (oldest !== undefined) this.set.delete(oldest);
    }
    this.set.add(h);
  }
  delete(h: string) {
    this.set.delete(h);
  }
}

export class Mempool {
  readonly app: App;
  readonly limits: MempoolLimits;
  private readonly txs = new Map<string, MempoolTx>();
  private bytes = 0;
  private readonly seen: SeenCache;
  private readonly verifier: SigVerifierPool | undefined;
  /** Called for each pending tx a committed block included, before it leaves the pool (node-local
   * queue-time metrics: node/metrics/queue-times.ts). */
  onIncluded: ((tx: MempoolTx) => void) | undefined;
  /** Admissions complete in arrival order, so one account's txs enter with rising sequences. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(app: App, limits: MempoolLimits, verifier?: SigVerifierPool) {
    this.app = app;
    this.limits = limits;
    this.seen = new SeenCache(limits.cacheSize);
    this.verifier = verifier;
  }

  /**
   * Like add(), but verifies signatures on the worker pool first; the stateful CheckTx then runs
   * on this thread in arrival order and finds the signatures already checked. Broadcasts that
   * arrive in the same turn of the event loop (a JSON-RPC batch, many connections) are admitted
   * as one group: one verification request and one promise chain for all of them.
   */
  addAsync(bytes: Uint8Array): Promise<{ hash: string; result: CheckTxResult }> {
    return new Promise((resolve, reject) => {
      this.incoming.push({ bytes, resolve, reject });
      if (this.incoming.length === 1) setImmediate(() => this.admitIncoming());
    });
  }

  private readonly incoming: { bytes: Uint8Array; resolve: (r: { hash: string; result: CheckTxResult }) => void; reject: (e: unknown) => void }[] = [];

  private admitIncoming(): void {
    const group = this.incoming.splice(0);
    const prepared = group.map(({ bytes }) => {
      if (!this.verifier || bytes.length > this.limits.maxTxBytes) return undefined;
      try {
        const tx = this.app.decode(bytes);
        const prep = this.app.signatureJobs(tx);
        return prep && { tx, prep };
      } catch {
        return undefined; // undecodable: add() reports the proper CheckTx error
      }
    });
    const verified = this.verifier ? this.verifier.verifyMany(prepared.map((p) => p?.prep.jobs)) : Promise.resolve([]);
    const run = Promise.all([this.tail, verified]).then(([, oks]) => {
      group.forEach(({ bytes, resolve, reject }, i) => {
        const p = prepared[i];
        if (p && oks[i]) this.app.markSignaturesVerified(p.tx, p.prep.accountNumbers);
        try {
          resolve(this.add(bytes));
        } catch (err) {
          reject(err);
        }
      });
    });
    this.tail = run.catch(() => undefined);
  }

  size(): number {
    return this.txs.size;
  }

  sizeBytes(): number {
    return this.bytes;
  }

  /** Runs CheckTx; on success the tx waits for a block. Returns the CheckTx result and hash. */
  add(bytes: Uint8Array): { hash: string; result: CheckTxResult } {
    const hash = txHashHex(bytes);
    if (bytes.length > this.limits.maxTxBytes) {
      throw new MempoolError(`tx too large. Max size is ${this.limits.maxTxBytes}, but got ${bytes.length}`);
    }
    if (this.seen.has(hash)) throw new MempoolError('tx already exists in cache');
    if (this.txs.size >= this.limits.maxTxs || this.bytes + bytes.length > this.limits.maxBytes) {
      throw new MempoolError(`mempool is full: number of txs ${this.txs.size} (max: ${this.limits.maxTxs}), total txs bytes ${this.bytes} (max: ${this.limits.maxBytes})`);
    }
    const result = this.app.checkTx(bytes, 'new');
    if (result.code === 0) {
      this.seen.add(hash);
      this.txs.set(hash, { bytes, hash, sender: result.sender, sequence: result.sequence, gasWanted: result.gasWanted, receivedAtMs: Date.now() });
      this.bytes += bytes.length;
    }
    return { hash, result };
  }

  /** Txs for the next block in arrival order (which is sequence order per account). */
  reap(maxTxs: number, maxBytes: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let total = 0;
    for (const tx of this.txs.values()) {
      if (out.length >= maxTxs || total + tx.bytes.length > maxBytes) break;
      out.push(tx.bytes);
      total += tx.bytes.length;
    }
    return out;
  }

  /** After a commit: drop included txs, keep them in the seen cache, recheck the rest in order. */
  update(committed: readonly Uint8Array[]): { removed: number; evicted: number } {
    let removed = 0;
    for (const bytes of committed) {
      const hash = txHashHex(bytes);
      this.seen.add(hash);
      const tx = this.txs.get(hash);
      if (tx) {
        this.onIncluded?.(tx);
        this.txs.delete(hash);
        this.bytes -= tx.bytes.length;
        removed++;
      }
    }
    let evicted = 0;
    for (const tx of [...this.txs.values()]) {
      const r = this.app.checkTx(tx.bytes, 'recheck');
      if (r.code !== 0) {
        this.txs.delete(tx.hash);
        this.bytes -= tx.bytes.length;
        this.seen.delete(tx.hash); // may be resubmitted once it can pass
        evicted++;
      }
    }
    return { removed, evicted };
  }

  list(limit: number): MempoolTx[] {
    const out: MempoolTx[] = [];
    for (const tx of this.txs.values()) {
      if (out.length >= limit) break;
      out.push(tx);
    }
    return out;
  }

  get(hash: string): MempoolTx | undefined {
    return this.txs.get(hash.toUpperCase());
  }
}

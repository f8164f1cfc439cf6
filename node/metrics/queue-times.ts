// Queue times: how long this node's mempool held each tx before a committed block included it
// (local receive time -> commit), the "queue time" users feel. Node-local: receive times never
// enter consensus and other nodes see other times; kept in memory for the last N included txs.
import type { MempoolTx } from '../mempool/mempool.ts';

export interface QueueSample {
  hash: string;
  ms: number;
  height: bigint;
}

export class QueueTimes {
  readonly max: number;
  // A fixed ring: `next` is where the next sample goes. (Shifting an array on every committed tx
  // was O(n) per tx once full: 10,000 moves per tx, measured as the node's top function.)
  private readonly ring: QueueSample[] = [];
  private next = 0;
  private total = 0;
  /** Listeners get each sample (the Prometheus histogram). */
  onSample: ((s: QueueSample) => void) | undefined;

  constructor(max = 10_000) {
    this.max = max;
  }

  record(tx: Pick<MempoolTx, 'hash' | 'receivedAtMs'>, height: bigint, nowMs = Date.now()): void {
    const s = { hash: tx.hash, ms: Math.max(0, nowMs - tx.receivedAtMs), height };
    this.ring[this.next] = s;
    this.next = (this.next + 1) % this.max;
    this.total++;
    this.onSample?.(s);
  }

  /** The kept samples, oldest first. */
  private ordered(): QueueSample[] {
    return this.ring.length < this.max ? this.ring.slice() : this.ring.slice(this.next).concat(this.ring.slice(0, this.next));
  }

  get(hash: string): QueueSample | undefined {
    const h = hash.toUpperCase();
    const xs = this.ordered();
    for (let i = xs.length - 1; i >= 0; i--) if (xs[i]!.hash === h) return xs[i];
    return undefined;
  }

  /** Percentiles over the last `n` samples (all kept ones by default). */
  summary(n = this.max): { count: number; total: number; p50_ms: number | null; p90_ms: number | null; p99_ms: number | null; max_ms: number | null; from_height: string | null; to_height: string | null } {
    const xs = this.ordered().slice(-n);
    if (!xs.length) return { count: 0, total: this.total, p50_ms: null, p90_ms: null, p99_ms: null, max_ms: null, from_height: null, to_height: null };
    const sorted = xs.map((s) => s.ms).sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
    return {
      count: xs.length, total: this.total, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: sorted[sorted.length - 1]!,
      from_height: xs[0]!.height.toString(), to_height: xs[xs.length - 1]!.height.toString(),
    };
  }
}

// Tx gossip in batches: locally submitted txs are queued and published as one message of many
// txs when the batch reaches its size or count limit or a short timer fires. At 10,000 tx/s one
// message per tx would be 10,000 gossip messages per second, above what gossipsub sustains here
// (~2,300 msg/s for 200 B messages, perf-limits.md §6); 64 KiB batches are ~40 messages/s.
//
// Only txs submitted to this node are batched. Txs received by gossip are not re-batched:
// gossipsub already forwards the accepted batch itself, and re-batching would send every tx once
// more per node.
import { TOPIC } from './topics.ts';
import { Reader, Writer, WireError } from './wire.ts';
import type { P2PHost, Verdict } from './host.ts';

export interface TxBatchLimits {
  /** Flush when the queued txs reach this many bytes. */
  maxBatchBytes: number;
  maxBatchTxs: number;
  /** Flush this long after the first tx of a batch was queued. */
  flushMs: number;
  /** Larger txs are refused by broadcast() and make a received batch invalid. */
  maxTxBytes: number;
}

export const DEFAULT_TX_BATCH: TxBatchLimits = { maxBatchBytes: 64 * 1024, maxBatchTxs: 2000, flushMs: 20, maxTxBytes: 128 * 1024 };

/** u32 count, then u32 length ‖ bytes per tx. */
export function encodeTxBatch(txs: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(txs.reduce((n, t) => n + 4 + t.length, 4));
  w.u32(txs.length);
  for (const tx of txs) w.bytes(tx);
  return w.finish();
}

/** Decodes a batch; throws WireError if it is empty, malformed or breaks the limits. */
export function decodeTxBatch(data: Uint8Array, limits: Pick<TxBatchLimits, 'maxBatchTxs' | 'maxTxBytes'> = DEFAULT_TX_BATCH): Uint8Array[] {
  const r = new Reader(data);
  const n = r.count(limits.maxBatchTxs, 5, 'tx batch');
  if (n === 0) throw new WireError('empty tx batch');
  const txs: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const tx = r.bytes(limits.maxTxBytes, 'tx');
    if (tx.length === 0) throw new WireError('empty tx in batch');
    txs[i] = tx;
  }
  r.end('tx batch');
  return txs;
}

export interface TxGossipOptions {
  /**
   * Receives the txs of each distinct batch from the network, before the batch is forwarded.
   * Return 'accept' to forward it, 'reject' only for provable garbage (the peer is penalised),
   * 'ignore' to drop it silently. Keep it fast: hand the txs to the mempool and return; CheckTx
   * failures of individual txs are normal (another node's state differs) and not a reason to reject.
   */
  onTxs: (txs: Uint8Array[], fromPeer: string) => Verdict | Promise<Verdict>;
  limits?: Partial<TxBatchLimits>;
  log?: (msg: string) => void;
}

export class TxGossip {
  readonly limits: TxBatchLimits;
  private readonly host: P2PHost;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly log: (msg: string) => void;
  private publishing: Promise<unknown> = Promise.resolve();
  /** Batches and txs published by this node. */
  readonly sent = { batches: 0, txs: 0 };

  constructor(host: P2PHost, opts: TxGossipOptions) {
    this.host = host;
    this.limits = { ...DEFAULT_TX_BATCH, ...opts.limits };
    this.log = opts.log ?? (() => {});
    const limits = this.limits;
    host.subscribe(TOPIC.txs, {
      // A batch is at most maxBatchBytes, or one tx on its own when that tx is larger.
      maxBytes: Math.max(limits.maxBatchBytes, limits.maxTxBytes) + 8,
      validate: async (data, from) => {
        let txs: Uint8Array[];
        try {
          txs = decodeTxBatch(data, limits);
        } catch {
          return 'reject';
        }
        return opts.onTxs(txs, from);
      },
    });
  }

  /** Queues a locally submitted tx for the next batch. */
  broadcast(tx: Uint8Array): void {
    if (tx.length === 0 || tx.length > this.limits.maxTxBytes) throw new RangeError(`tx of ${tx.length} bytes cannot be gossiped (max ${this.limits.maxTxBytes})`);
    if (this.queue.length > 0 && this.queuedBytes + tx.length + 4 > this.limits.maxBatchBytes) void this.flush();
    this.queue.push(tx);
    this.queuedBytes += tx.length + 4;
    if (this.queue.length >= this.limits.maxBatchTxs || this.queuedBytes >= this.limits.maxBatchBytes) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.limits.flushMs);
    }
  }

  /** Publishes what is queued now; resolves when it (and earlier batches) were handed to gossipsub. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length > 0) {
      const txs = this.queue;
      this.queue = [];
      this.queuedBytes = 0;
      const data = encodeTxBatch(txs);
      this.publishing = this.publishing
        .then(() => this.host.publish(TOPIC.txs, data))
        .then(() => {
          this.sent.batches++;
          this.sent.txs += txs.length;
        })
        .catch((err) => this.log(`p2p: tx batch publish failed: ${(err as Error).message}`));
    }
    return this.publishing.then(() => undefined);
  }

  async close(): Promise<void> {
    await this.flush();
  }
}

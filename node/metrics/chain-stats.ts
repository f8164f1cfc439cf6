// Recent blocks as the node saw them commit (height, block time, tx counts, commit round): the
// source of block-time and tx/s figures for the metrics and the dashboard. Node-local, in memory,
// backfilled from the block store at start.
import type { Block } from '../store/block-types.ts';
import type { BlockStore } from '../store/block-store.ts';

export interface BlockStat {
  height: bigint;
  /** Block time (header), ms since the epoch. */
  timeMs: number;
  txs: number;
  failed: number;
  /** Round at which the previous height was committed (from this block's last commit). */
  lastCommitRound: number;
  proposer: string;
}

type ResultLike = { code: number };

function timeMs(t: { seconds: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return 0;
  return Number(BigInt(t.seconds as never)) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

export function blockStat(block: Block, results?: readonly ResultLike[]): BlockStat {
  return {
    height: BigInt(block.header.height as never),
    timeMs: timeMs(block.header.time),
    txs: block.txs.length,
    failed: results ? results.filter((r) => r.code !== 0).length : 0,
    lastCommitRound: block.lastCommit?.round ?? 0,
    proposer: Buffer.from(block.header.proposerAddress ?? []).toString('hex').toUpperCase(),
  };
}

export class ChainStats {
  readonly max: number;
  private readonly ring: BlockStat[] = [];

  constructor(max = 2000) {
    this.max = max;
  }

  /** The last `n` stored blocks (tx failure counts from their stored results). */
  async backfill(blocks: BlockStore, n = 300): Promise<void> {
    const top = blocks.height();
    const from = top - BigInt(n) + 1n > blocks.base() ? top - BigInt(n) + 1n : blocks.base();
    for (let h = from; h <= top && h > 0n; h++) {
      const b = await blocks.loadBlock(h);
      if (!b) continue;
      const r = await blocks.loadResults(h);
      this.add(blockStat(b.block, r?.txResults.map((x) => ({ code: x.code ?? 0 }))));
    }
  }

  add(s: BlockStat): void {
    const last = this.ring[this.ring.length - 1];
    if (last && s.height <= last.height) return;
    this.ring.push(s);
    if (this.ring.length > this.max) this.ring.splice(0, this.ring.length - this.max);
  }

  latest(): BlockStat | undefined {
    return this.ring[this.ring.length - 1];
  }

  get(height: bigint): BlockStat | undefined {
    const last = this.latest();
    if (!last) return undefined;
    const i = this.ring.length - 1 - Number(last.height - height);
    const s = this.ring[i];
    return s && s.height === height ? s : undefined;
  }

  recent(n: number): BlockStat[] {
    return this.ring.slice(-n);
  }

  /** Txs per second and mean block interval over the blocks of the last `windowMs` of block time. */
  rates(windowMs = 60_000): { txPerSec: number; blockTimeMs: number; blocks: number; txs: number } {
    const last = this.latest();
    if (!last) return { txPerSec: 0, blockTimeMs: 0, blocks: 0, txs: 0 };
    let i = this.ring.length - 1;
    while (i > 0 && last.timeMs - this.ring[i - 1]!.timeMs <= windowMs) i--;
    const first = this.ring[i]!;
    const span = last.timeMs - first.timeMs;
    let txs = 0;
    for (let j = i + 1; j < this.ring.length; j++) txs += this.ring[j]!.txs;
    const blocks = this.ring.length - 1 - i;
    return { txPerSec: span > 0 ? (txs * 1000) / span : 0, blockTimeMs: blocks > 0 ? span / blocks : 0, blocks, txs };
  }
}

// Txs of recently proposed and decided blocks, by hash, bounded by bytes (oldest dropped first).
// A proposer must keep serving its block's txs after they leave its mempool (on commit), while
// slower validators are still reconstructing the block; the tx fetch server looks here after the
// mempool.
import { txHash } from '../../chain/tx/tx-hash.ts';
import { hex } from './wire.ts';

export class RecentTxCache {
  private readonly maxBytes: number;
  private readonly txs = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.maxBytes = maxBytes;
  }

  /** Adds txs; `hashes` (32-byte sha256 each, same order) saves rehashing when the caller has them. */
  add(txs: readonly Uint8Array[], hashes?: readonly Uint8Array[]): void {
    txs.forEach((tx, i) => {
      const k = hex(hashes?.[i] ?? txHash(tx));
      if (this.txs.has(k)) return;
      this.txs.set(k, tx);
      this.bytes += tx.length;
    });
    for (const [k, tx] of this.txs) {
      if (this.bytes <= this.maxBytes) break;
      this.txs.delete(k);
      this.bytes -= tx.length;
    }
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.txs.get(hex(hash));
  }

  get size(): number {
    return this.txs.size;
  }
}

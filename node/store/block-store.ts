// Blocks, their commits and execution results, by height, in LevelDB. A block is saved (fsync'd)
// before it is executed, so after a crash the node can re-execute any block the app did not
// commit yet (the CometBFT handshake), and results are saved before the app commits.
// Keys: 'b:' height -> block, 'i:' height -> id ‖ part-set hash, 'h:' hash -> height, 'c:' height
// -> seen commit, 'r:' height -> results head, 'R:' height ‖ chunk -> 64 txs with their results
// (tx-records.ts: what `tx` and `tx_search` read), 'm:height' / 'm:base'.
import type { AbstractLevel } from 'abstract-level';
import { sha256 } from '../../chain/crypto/hash.ts';
import { concat, u64be } from '../../chain/codec/bytes.ts';
import { BlockCodec, CommitCodec, BlockResultsCodec, encodeBlock, type Block, type Commit, type BlockID, type BlockResultsMsg } from './block-types.ts';
import { RECORDS_PER_CHUNK, splitResults, encodeHead, encodeChunk, isHead, decodeHead, readChunk, type ChunkRecord } from './tx-records.ts';
import { txResultEntries } from './results-codec.ts';

type DB = AbstractLevel<any, Uint8Array, Uint8Array>;

function heightKey(tag: string, h: bigint): Uint8Array {
  return concat(new TextEncoder().encode(tag), u64be(h));
}

/** 'R:' ‖ height ‖ u32be chunk: the records of txs [64 chunk, 64 chunk + 64) (tx-records.ts). */
function chunkKey(h: bigint, chunk: number): Uint8Array {
  const k = Buffer.allocUnsafe(14);
  k.write('R:', 0, 'latin1');
  k.writeBigUInt64BE(h, 2);
  k.writeUInt32BE(chunk, 10);
  return k;
}

/** A stored tx: its bytes and its ExecTxResult bytes. */
export interface StoredTx {
  tx: Uint8Array;
  result: Uint8Array;
}

const META_HEIGHT = new TextEncoder().encode('m:height');
const META_BASE = new TextEncoder().encode('m:base');

export interface StoredBlock {
  block: Block;
  blockId: BlockID;
  /** Size of the encoded block, reported by the `blockchain` RPC. */
  size: number;
}

export class BlockStore {
  readonly db: DB;
  private _height = 0n;
  private _base = 0n;

  private constructor(db: DB) {
    this.db = db;
  }

  static async open(db: AbstractLevel<any, any, any>): Promise<BlockStore> {
    const sub = db.sublevel<Uint8Array, Uint8Array>('blocks', { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as DB;
    await sub.open();
    const s = new BlockStore(sub);
    const h = await sub.get(META_HEIGHT);
    const b = await sub.get(META_BASE);
    s._height = h ? new DataView(h.buffer, h.byteOffset).getBigUint64(0) : 0n;
    s._base = b ? new DataView(b.buffer, b.byteOffset).getBigUint64(0) : 0n;
    return s;
  }

  height(): bigint {
    return this._height;
  }

  base(): bigint {
    return this._base;
  }

  /** Saves a decided block with the commit that decided it, atomically and durably (`encoded`:
   * the block's encoding when the caller already has it). */
  async saveBlock(block: Block, blockId: BlockID, seenCommit: Commit, encoded: Uint8Array = encodeBlock(block)): Promise<void> {
    const h = BigInt(block.header.height.toString());
    if (h !== this._height + 1n && this._height !== 0n) throw new Error(`block store: expected height ${this._height + 1n}, got ${h}`);
    const u64 = u64be;
    const ops = [
      { type: 'put' as const, key: heightKey('b:', h), value: encoded },
      // The id with its part-set hash, so loading a block never re-hashes its (up to MBs of) bytes.
      { type: 'put' as const, key: heightKey('i:', h), value: concat(blockId.hash, blockId.partSetHeader.hash) },
      { type: 'put' as const, key: new Uint8Array([...new TextEncoder().encode('h:'), ...blockId.hash]), value: u64(h) },
      { type: 'put' as const, key: heightKey('c:', h), value: CommitCodec.encode(seenCommit) },
      { type: 'put' as const, key: META_HEIGHT, value: u64(h) },
    ];
    if (this._base === 0n) ops.push({ type: 'put' as const, key: META_BASE, value: u64(h) });
    await this.db.batch(ops, { sync: true } as object); // classic-level honours sync: fsync before the block counts as saved
    this._height = h;
    if (this._base === 0n) this._base = h;
  }

  /** Saves a block's encoded depin.types.v1.BlockResults (see results-codec.ts) with the block's
   * txs, durably: the block-level parts under 'r:' and the txs with their results in chunks
   * (tx-records.ts), so one tx reads back without the whole block. */
  async saveResults(height: bigint, bytes: Uint8Array, txs: readonly Uint8Array[]): Promise<void> {
    const split = splitResults(bytes);
    if (split.entries.length !== txs.length) throw new Error(`block ${height}: ${txs.length} txs but ${split.entries.length} results`);
    const batch = this.db.batch();
    batch.put(heightKey('r:', height), encodeHead(txs.length, split));
    for (let c = 0; c * RECORDS_PER_CHUNK < txs.length; c++) {
      batch.put(chunkKey(height, c), encodeChunk(txs, bytes, split, c * RECORDS_PER_CHUNK, Math.min(txs.length, (c + 1) * RECORDS_PER_CHUNK)));
    }
    await batch.write({ sync: true } as object);
  }

  /** The block's encoded BlockResults, byte for byte as saved. */
  async loadResultsBytes(height: bigint): Promise<Uint8Array | undefined> {
    const stored = await this.db.get(heightKey('r:', height));
    // Stores written before results were chunked hold the whole encoding.
    if (!stored || !isHead(stored)) return stored;
    const head = decodeHead(stored);
    const parts: Uint8Array[] = [head.prefix];
    for await (const chunk of this.db.values({ gte: chunkKey(height, 0), lte: chunkKey(height, 0xffffffff) })) {
      for (const r of readChunk(chunk)) parts.push(r.entry);
    }
    if (parts.length - 1 !== head.txCount) throw new Error(`block store: results of block ${height} have ${parts.length - 1} of ${head.txCount} txs`);
    parts.push(head.suffix);
    return Buffer.concat(parts);
  }

  /** Txs of block `height` with their results, by index (undefined where there is none): one
   * read per chunk of 64 txs. */
  async loadTxs(height: bigint, indices: readonly number[]): Promise<(StoredTx | undefined)[]> {
    const chunks = new Map<number, ChunkRecord[] | null>();
    const out: (StoredTx | undefined)[] = [];
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0) {
        out.push(undefined);
        continue;
      }
      const c = Math.floor(i / RECORDS_PER_CHUNK);
      let recs = chunks.get(c);
      if (recs === undefined) {
        const raw = await this.db.get(chunkKey(height, c));
        recs = raw ? readChunk(raw) : null;
        chunks.set(c, recs);
      }
      if (recs === null) {
        // Past the block's last tx, or a block stored before results were chunked.
        const stored = await this.db.get(heightKey('r:', height));
        if (stored && !isHead(stored)) return this.loadTxsWhole(height, stored, indices);
        out.push(undefined);
        continue;
      }
      const r = recs[i % RECORDS_PER_CHUNK];
      out.push(r && { tx: r.tx, result: r.result });
    }
    return out;
  }

  /** The same from a whole stored encoding (stores written before chunking). */
  private async loadTxsWhole(height: bigint, whole: Uint8Array, indices: readonly number[]): Promise<(StoredTx | undefined)[]> {
    const { entries } = txResultEntries(whole);
    const block = await this.loadBlock(height);
    return indices.map((i) => {
      const e = entries[i];
      const tx = block?.block.txs[i];
      return e && tx ? { tx, result: whole.subarray(e[1], e[2]) } : undefined;
    });
  }

  async loadBlock(height: bigint): Promise<StoredBlock | undefined> {
    const raw = await this.db.get(heightKey('b:', height));
    if (!raw) return undefined;
    const id = (await this.db.get(heightKey('i:', height)))!;
    const block = BlockCodec.decode(raw);
    // A store written before the part hash was kept next to the id holds the id alone.
    const parts = id.length === 64 ? id.subarray(32) : partHash(raw);
    return { block, blockId: { hash: id.subarray(0, 32), partSetHeader: { total: 1, hash: parts } }, size: raw.length };
  }

  /** The block's stored bytes, exactly as decided (serve these; never a re-encoding). */
  async loadBlockBytes(height: bigint): Promise<Uint8Array | undefined> {
    return this.db.get(heightKey('b:', height));
  }

  /** The stored commit bytes of block `height`. */
  async loadCommitBytes(height: bigint): Promise<Uint8Array | undefined> {
    return this.db.get(heightKey('c:', height));
  }

  async heightByHash(hash: Uint8Array): Promise<bigint | undefined> {
    const raw = await this.db.get(new Uint8Array([...new TextEncoder().encode('h:'), ...hash]));
    return raw ? new DataView(raw.buffer, raw.byteOffset).getBigUint64(0) : undefined;
  }

  /** The commit that decided block `height` (CometBFT's "seen commit"). */
  async loadCommit(height: bigint): Promise<Commit | undefined> {
    const raw = await this.db.get(heightKey('c:', height));
    return raw ? CommitCodec.decode(raw) : undefined;
  }

  async loadResults(height: bigint): Promise<BlockResultsMsg | undefined> {
    const raw = await this.loadResultsBytes(height);
    return raw ? BlockResultsCodec.decode(raw) : undefined;
  }
}

/** One part per block: the part-set hash is the hash of the encoded block. */
export function partHash(encodedBlock: Uint8Array): Uint8Array {
  return sha256(encodedBlock);
}

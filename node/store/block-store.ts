// Blocks, their commits and execution results, by height, in LevelDB. A block is saved (fsync'd)
// before it is executed, so after a crash the node can re-execute any block the app did not
// commit yet (the CometBFT handshake), and results are saved before the app commits.
import type { AbstractLevel } from 'abstract-level';
import { sha256 } from '../../chain/crypto/hash.ts';
import { concat, u64be } from '../../chain/codec/bytes.ts';
import { BlockCodec, CommitCodec, BlockResultsCodec, encodeBlock, type Block, type Commit, type BlockID, type BlockResultsMsg } from './block-types.ts';

type DB = AbstractLevel<any, Uint8Array, Uint8Array>;

function heightKey(tag: string, h: bigint): Uint8Array {
  return concat(new TextEncoder().encode(tag), u64be(h));
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

  /** Saves a block's encoded depin.types.v1.BlockResults (see results-codec.ts), durably. */
  async saveResults(height: bigint, bytes: Uint8Array): Promise<void> {
    await this.db.put(heightKey('r:', height), bytes, { sync: true } as object);
  }

  async loadResultsBytes(height: bigint): Promise<Uint8Array | undefined> {
    return this.db.get(heightKey('r:', height));
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
    const raw = await this.db.get(heightKey('r:', height));
    return raw ? BlockResultsCodec.decode(raw) : undefined;
  }
}

/** One part per block: the part-set hash is the hash of the encoded block. */
export function partHash(encodedBlock: Uint8Array): Uint8Array {
  return sha256(encodedBlock);
}

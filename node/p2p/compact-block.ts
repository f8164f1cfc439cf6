// Compact block propagation. A 1-second block at 10,000 tx/s is several MB, but the validators
// already hold nearly all of its txs from tx gossip. So a block travels as
//   skeleton  = the encoded Block without txs (header + last commit), and
//   txHashes  = sha256 of each tx in block order (32 bytes each),
// and each receiver rebuilds it from its mempool, fetching only what it lacks with
// /depin/txs/fetch/1 (from the proposer first). Integrity: sha256(txHashes concatenated) must
// equal header.dataHash (node/store/block-types.ts dataHash), checked before anything is fetched;
// every fetched tx is checked against its hash (sync-client.ts). The rebuilt bytes are exactly
// BlockCodec.encode(block), so BlockID.partSetHeader.hash = sha256(bytes) matches the proposer's.
import { sha256 } from '../../chain/crypto/hash.ts';
import { BlockCodec, type Block } from '../store/block-types.ts';
import { HASH_BYTES } from './protocols.ts';
import { Reader, Writer, WireError, equalBytes, hex } from './wire.ts';

export interface CompactBlock {
  /** BlockCodec encoding of the block with `txs: []`. */
  skeleton: Uint8Array;
  /** Concatenated 32-byte sha256 of each tx, in block order. */
  txHashes: Uint8Array;
  /** Peer id of a peer that holds every tx (the proposer); a hint, never trusted for content. */
  origin: string;
}

export interface CompactLimits {
  maxTxs: number;
  maxSkeletonBytes: number;
}

export const DEFAULT_COMPACT_LIMITS: CompactLimits = { maxTxs: 50_000, maxSkeletonBytes: 1024 * 1024 };

const VERSION = 1;

export function txCount(c: CompactBlock): number {
  return c.txHashes.length / HASH_BYTES;
}

export function txHashAt(c: CompactBlock, i: number): Uint8Array {
  return c.txHashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
}

export function encodeCompactBlock(c: CompactBlock): Uint8Array {
  return new Writer(16 + c.skeleton.length + c.txHashes.length + c.origin.length)
    .u8(VERSION)
    .bytes(c.skeleton)
    .bytes(c.txHashes)
    .string(c.origin)
    .finish();
}

export function decodeCompactBlock(b: Uint8Array, limits: CompactLimits = DEFAULT_COMPACT_LIMITS): CompactBlock {
  const r = new Reader(b);
  const v = r.u8();
  if (v !== VERSION) throw new WireError(`compact block version ${v}`);
  const skeleton = r.bytes(limits.maxSkeletonBytes, 'skeleton');
  const txHashes = r.bytes(limits.maxTxs * HASH_BYTES, 'tx hashes');
  if (txHashes.length % HASH_BYTES !== 0) throw new WireError(`tx hashes: ${txHashes.length} bytes is not a multiple of ${HASH_BYTES}`);
  const origin = r.string(128, 'origin');
  r.end('compact block');
  return { skeleton, txHashes, origin };
}

/** A decided block as announced to full nodes on TOPIC.block: the compact block and its commit. */
export function encodeBlockAnnouncement(compact: Uint8Array, commit: Uint8Array): Uint8Array {
  return new Writer(8 + compact.length + commit.length).bytes(compact).bytes(commit).finish();
}

export function decodeBlockAnnouncement(b: Uint8Array, maxCommitBytes = 1024 * 1024): { compact: Uint8Array; commit: Uint8Array } {
  const r = new Reader(b);
  const out = { compact: r.bytes(b.length, 'compact block'), commit: r.bytes(maxCommitBytes, 'commit') };
  r.end('block announcement');
  return out;
}

/** The compact form of a block, with the block's full encoding (the bytes whose sha256 is the part-set hash). */
export function compactFromBlock(block: Block, origin: string): { compact: CompactBlock; blockBytes: Uint8Array } {
  const hashes = new Uint8Array(block.txs.length * HASH_BYTES);
  block.txs.forEach((tx, i) => hashes.set(sha256(tx), i * HASH_BYTES));
  return {
    compact: { skeleton: BlockCodec.encode({ ...block, txs: [] }), txHashes: hashes, origin },
    blockBytes: BlockCodec.encode(block),
  };
}

function readVarint(b: Uint8Array, pos: number): [value: number, next: number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    if (pos >= b.length || shift > 49) throw new WireError('skeleton: bad varint');
    const byte = b[pos++]!;
    v += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [v, pos];
    shift += 7;
  }
}

function varintBytes(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/**
 * The block's encoding from its skeleton and txs, by splicing the txs (field 2, repeated bytes)
 * between the header (field 1) and the last commit (field 3), as protobuf writes fields in
 * number order; no re-encoding of header or commit.
 */
export function assembleBlockBytes(skeleton: Uint8Array, txs: readonly Uint8Array[]): Uint8Array {
  // Find where field 2 goes: after the last top-level field numbered below 2.
  let pos = 0;
  let insertAt = skeleton.length;
  while (pos < skeleton.length) {
    const start = pos;
    const [tag, p1] = readVarint(skeleton, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 2) throw new WireError('skeleton already contains txs');
    if (field > 2 && insertAt === skeleton.length) insertAt = start;
    if (wire === 2) {
      const [len, p2] = readVarint(skeleton, p1);
      pos = p2 + len;
    } else if (wire === 0) pos = readVarint(skeleton, p1)[1];
    else if (wire === 1) pos = p1 + 8;
    else if (wire === 5) pos = p1 + 4;
    else throw new WireError(`skeleton: wire type ${wire}`);
    if (pos > skeleton.length) throw new WireError('skeleton: truncated field');
  }
  let size = skeleton.length;
  const prefixes = txs.map((tx) => {
    const p = [0x12, ...varintBytes(tx.length)];
    size += p.length + tx.length;
    return p;
  });
  const out = new Uint8Array(size);
  out.set(skeleton.subarray(0, insertAt), 0);
  let o = insertAt;
  txs.forEach((tx, i) => {
    out.set(prefixes[i]!, o);
    o += prefixes[i]!.length;
    out.set(tx, o);
    o += tx.length;
  });
  out.set(skeleton.subarray(insertAt), o);
  return out;
}

/** A compact block that does not match its own header: the sender (or proposer) is at fault. */
export class InvalidCompactBlockError extends Error {
  override name = 'InvalidCompactBlockError';
}

/** Txs could not all be obtained in time; `missing` lists them (not the sender's fault by itself). */
export class IncompleteBlockError extends Error {
  override name = 'IncompleteBlockError';
  readonly missing: Uint8Array[];
  constructor(missing: Uint8Array[]) {
    super(`${missing.length} txs of the block could not be fetched`);
    this.missing = missing;
  }
}

export interface ReconstructOptions {
  /** A tx held locally (mempool, recent blocks), by its 32-byte sha256. */
  lookupTx: (hash: Uint8Array) => Uint8Array | undefined;
  /** Fetches txs by hash from peers, verified (SyncClient.fetchTxs with preferPeers [origin, relayer]). */
  fetchTxs: (hashes: Uint8Array[]) => Promise<{ txs: Map<string, Uint8Array>; missing: Uint8Array[] }>;
  limits?: CompactLimits;
}

export interface ReconstructedBlock {
  block: Block;
  /** BlockCodec encoding: identical to the proposer's. */
  blockBytes: Uint8Array;
  txs: Uint8Array[];
  fromLocal: number;
  fetched: number;
}

/**
 * Rebuilds a block from its compact form. Throws InvalidCompactBlockError if the hash list does
 * not match the header's data hash (nothing is fetched then), IncompleteBlockError if txs are
 * still missing after fetching.
 */
export async function reconstructBlock(compact: CompactBlock, opts: ReconstructOptions): Promise<ReconstructedBlock> {
  const limits = opts.limits ?? DEFAULT_COMPACT_LIMITS;
  const n = txCount(compact);
  if (!Number.isInteger(n) || n > limits.maxTxs) throw new InvalidCompactBlockError(`compact block lists ${compact.txHashes.length / HASH_BYTES} txs (max ${limits.maxTxs})`);
  let skeleton: Block;
  try {
    skeleton = BlockCodec.decode(compact.skeleton);
  } catch (err) {
    throw new InvalidCompactBlockError(`undecodable skeleton: ${(err as Error).message}`);
  }
  if (!skeleton.header) throw new InvalidCompactBlockError('skeleton has no header');
  if ((skeleton.txs ?? []).length > 0) throw new InvalidCompactBlockError('skeleton carries txs');
  // dataHash(txs) = sha256(sha256(tx_0) ‖ … ‖ sha256(tx_n-1)): the hash list itself is committed to by the header.
  if (!equalBytes(sha256(compact.txHashes), skeleton.header.dataHash)) throw new InvalidCompactBlockError('tx hash list does not match the header data hash');

  const txs: (Uint8Array | undefined)[] = new Array(n);
  const missing: Uint8Array[] = [];
  const missingAt = new Map<string, number[]>();
  let fromLocal = 0;
  for (let i = 0; i < n; i++) {
    const h = txHashAt(compact, i);
    const tx = opts.lookupTx(h);
    if (tx) {
      txs[i] = tx;
      fromLocal++;
      continue;
    }
    const k = hex(h);
    const at = missingAt.get(k);
    if (at) at.push(i);
    else {
      missingAt.set(k, [i]);
      missing.push(h);
    }
  }
  let fetched = 0;
  if (missing.length > 0) {
    const got = await opts.fetchTxs(missing);
    for (const [k, at] of missingAt) {
      const tx = got.txs.get(k);
      if (!tx) continue;
      // fetchTxs verifies, but the block's integrity must not depend on the fetcher being right.
      if (!equalBytes(sha256(tx), txHashAt(compact, at[0]!))) throw new Error(`fetchTxs returned a tx that does not match ${k}`);
      for (const i of at) txs[i] = tx;
      fetched += at.length;
    }
    const still = missing.filter((h) => !got.txs.has(hex(h)));
    if (still.length > 0) throw new IncompleteBlockError(still);
  }
  const full = txs as Uint8Array[];
  const blockBytes = assembleBlockBytes(compact.skeleton, full);
  return { block: { ...skeleton, txs: full }, blockBytes, txs: full, fromLocal, fetched };
}

// Nodes of the compressed sparse Merkle tree, their DB encoding, and the bounded cache that holds
// decoded nodes of past versions.
//
// A node is found by its Ref, where it was written: the version that wrote it and its index
// among that version's new nodes. A commit stores its new nodes in chunks of CHUNK_NODES
// consecutive indexes, one LevelDB entry per chunk: keys of one commit are consecutive and every
// commit's keys sort after the previous one's, so LevelDB appends instead of inserting all over
// its key space (the first layout keyed nodes by hash, and compaction kept rewriting them), and a
// commit puts a tenth as many entries as it has nodes (README.md, "Why refs and not hashes", "Why
// chunks"). A parent names each child by hash (for hashing) and by Ref (to find it); an unchanged
// subtree is still stored once and shared by every later version that contains it.
import { type Hash, ZERO, latin1, writeLatin1 } from './smt-hash.ts';

/** u64be version ‖ u32be index, as a 12-character latin1 string. The index's top bit is set for
 * nodes stored in chunks (the current layout); without it the node was stored alone, under its
 * Ref (the layout before chunks). */
export type Ref = string;

/** Ref of a node written by the earlier hash-keyed layout (stored under 'n' ‖ hash). Version 0 is
 * never written, so 12 zero bytes cannot name a node of the current layout. */
export const LEGACY: Ref = '\0'.repeat(12);

/** The Ref of an empty side (and of the empty tree's root): there is no node to find. */
export const NO_REF: Ref = '';

export const REF_BYTES = 12;

/** The first 8 characters of the Refs of `version`'s nodes. */
export function refPrefix(version: number): string {
  const hi = Math.floor(version / 2 ** 32);
  const lo = version >>> 0;
  return String.fromCharCode(hi >>> 24, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255);
}

/** Nodes per chunk: a commit's node i is slot i % CHUNK_NODES of chunk i / CHUNK_NODES. */
export const CHUNK_NODES = 8;
const CHUNKED = 0x80;

/** Ref of node `index` (< 2^31) of a version, given refPrefix(version), stored in a chunk.
 * (Strings this short are built flat, not as a rope, so the result is a cheap Map key.) */
export function refAt(prefix: string, index: number): Ref {
  return prefix + String.fromCharCode(CHUNKED | (index >>> 24), (index >>> 16) & 255, (index >>> 8) & 255, index & 255);
}

/** Whether `ref` names a slot of a chunk (else a node stored alone under its Ref, or LEGACY). */
export function isChunked(ref: Ref): boolean {
  return ref.length === REF_BYTES && ref.charCodeAt(8) >= CHUNKED;
}

/** The node's index among its version's new nodes. */
function indexOf(ref: Ref): number {
  return (((ref.charCodeAt(8) & 0x7f) << 24) | (ref.charCodeAt(9) << 16) | (ref.charCodeAt(10) << 8) | ref.charCodeAt(11)) >>> 0;
}

/** What a chunk is stored under, Ref-shaped: the version, then the chunk number with the top bit
 * set (so chunks and nodes stored alone never share a key). */
export function chunkId(ref: Ref): string {
  const c = Math.floor(indexOf(ref) / CHUNK_NODES);
  return ref.slice(0, 8) + String.fromCharCode(CHUNKED | (c >>> 24), (c >>> 16) & 255, (c >>> 8) & 255, c & 255);
}

export function chunkSlot(ref: Ref): number {
  return indexOf(ref) % CHUNK_NODES;
}

export interface Leaf {
  readonly kind: 0;
  readonly hash: Hash;
  ref: Ref;
  /** sha256(key): the leaf's path. */
  readonly keyHash: Hash;
  /** The key as a latin1 string (one char per byte), as the flat state and CacheKV hold it. */
  readonly key: string;
  readonly value: Uint8Array;
}

export interface Internal {
  readonly kind: 1;
  readonly hash: Hash;
  ref: Ref;
  /** Child hashes; ZERO = empty side. */
  readonly left: Hash;
  readonly right: Hash;
  /** Where the children are stored (NO_REF for an empty side). */
  lref: Ref;
  rref: Ref;
  /** The children themselves when they are in memory (undefined: not loaded, or an empty side).
   * The latest version's tree is held through these pointers (merkle-store.ts, "live tree"); a
   * missing child is read from the DB by its Ref, so a subtree can be dropped from memory at any
   * time. */
  l: Node | undefined;
  r: Node | undefined;
}

export type Node = Leaf | Internal;

/** What identifies a stored node in the node cache, and in the DB key of a node stored alone: its
 * Ref, or for a legacy node its hash (Refs and hashes differ in length, so the two never collide). */
export function nodeId(hash: Hash, ref: Ref): string {
  return ref === LEGACY ? hash : ref;
}

export function cacheKey(n: Node): string {
  return nodeId(n.hash, n.ref);
}

/**
 * internal: 0x01 ‖ left(32) ‖ right(32) ‖ lref(12, if left ≠ ZERO) ‖ rref(12, if right ≠ ZERO)
 *           (the legacy layout wrote the first 65 bytes only)
 * leaf:     0x00 ‖ keyHash(32) ‖ u32be keyLen ‖ key ‖ value
 * The leaf keeps the key and value so past versions can answer getAt and proofs without the flat
 * state (which only holds the latest values).
 */
export function encodeNode(n: Node): Uint8Array {
  const out = Buffer.allocUnsafe(encodedSize(n));
  writeNode(out, 0, n);
  return out;
}

function encodedSize(n: Node): number {
  return n.kind === 1 ? 65 + (n.left === ZERO ? 0 : REF_BYTES) + (n.right === ZERO ? 0 : REF_BYTES) : 37 + n.key.length + n.value.length;
}

/** Writes encodeNode(n) into `out` at `at`; returns where it ends. */
function writeNode(out: Buffer, at: number, n: Node): number {
  if (n.kind === 1) {
    out[at] = 0x01;
    writeLatin1(out, n.left, at + 1, 32);
    writeLatin1(out, n.right, at + 33, 32);
    at += 65;
    if (n.left !== ZERO) at += writeLatin1(out, refFor(n.lref), at, REF_BYTES);
    if (n.right !== ZERO) at += writeLatin1(out, refFor(n.rref), at, REF_BYTES);
    return at;
  }
  out[at] = 0x00;
  writeLatin1(out, n.keyHash, at + 1, 32);
  out.writeUInt32BE(n.key.length, at + 33);
  writeLatin1(out, n.key, at + 37, n.key.length);
  out.set(n.value, at + 37 + n.key.length);
  return at + 37 + n.key.length + n.value.length;
}

/**
 * chunk: u8 count ‖ count × u32be end of each node's encoding (from the end of this header) ‖ the
 * encodings of `count` consecutive nodes, count ≤ CHUNK_NODES.
 *
 * Encodes `nodes` as chunks of CHUNK_NODES, calling `put(first, chunk)` for the chunk that starts
 * at nodes[first]. All chunks are views of one buffer: a chunk of big leaves would otherwise be a
 * buffer of its own, past the size Node's pool serves, each one for the GC to sweep.
 */
export function encodeChunks(nodes: readonly Node[], put: (first: number, chunk: Uint8Array) => void): void {
  let size = Math.ceil(nodes.length / CHUNK_NODES) + 4 * nodes.length;
  for (let i = 0; i < nodes.length; i++) size += encodedSize(nodes[i]!);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let first = 0; first < nodes.length; first += CHUNK_NODES) {
    const count = Math.min(CHUNK_NODES, nodes.length - first);
    const start = at;
    const body = start + 1 + 4 * count;
    out[start] = count;
    at = body;
    for (let i = 0; i < count; i++) {
      at = writeNode(out, at, nodes[first + i]!);
      out.writeUInt32BE(at - body, start + 1 + 4 * i);
    }
    put(first, out.subarray(start, at));
  }
}

/** The encoding of the node in `slot` of a chunk, copied out of it: a decoded leaf's key and value
 * are views of what decodeNode is given, and must not keep the whole chunk alive. */
export function chunkNode(chunk: Uint8Array, slot: number, hash: Hash): Uint8Array {
  const count = chunk[0] ?? 0;
  const header = 1 + 4 * count;
  if (slot >= count || chunk.length < header) throw corrupt(hash);
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const start = header + (slot === 0 ? 0 : view.getUint32(1 + 4 * (slot - 1)));
  const end = header + view.getUint32(1 + 4 * slot);
  if (end < start || end > chunk.length) throw corrupt(hash);
  return Uint8Array.prototype.slice.call(chunk, start, end);
}

function refFor(r: Ref): Ref {
  if (r.length !== REF_BYTES) throw new Error('merkle store: a child of a written node has no ref');
  return r;
}

/** Decodes the node stored at `ref` whose hash (known from its parent or the root) is `hash`. */
export function decodeNode(hash: Hash, ref: Ref, b: Uint8Array): Node {
  if (b[0] === 0x01 && b.length >= 65) {
    const left = latin1(b.subarray(1, 33));
    const right = latin1(b.subarray(33, 65));
    let lref = NO_REF;
    let rref = NO_REF;
    if (b.length === 65) {
      // Legacy layout: children are stored under their hashes.
      if (left !== ZERO) lref = LEGACY;
      if (right !== ZERO) rref = LEGACY;
    } else {
      let at = 65;
      if (left !== ZERO) lref = latin1(b.subarray(at, (at += REF_BYTES)));
      if (right !== ZERO) rref = latin1(b.subarray(at, (at += REF_BYTES)));
      if (at !== b.length) throw corrupt(hash);
    }
    return { kind: 1, hash, ref, left, right, lref, rref, l: undefined, r: undefined };
  }
  if (b[0] === 0x00 && b.length >= 37) {
    const keyLen = ((b[33]! << 24) | (b[34]! << 16) | (b[35]! << 8) | b[36]!) >>> 0;
    if (37 + keyLen <= b.length) {
      // Views, not copies: `b` is this node's own memory (from getSync, or chunkNode's copy).
      return { kind: 0, hash, ref, keyHash: latin1(b.subarray(1, 33)), key: latin1(b.subarray(37, 37 + keyLen)), value: b.subarray(37 + keyLen) };
    }
  }
  throw corrupt(hash);
}

const corrupt = (hash: Hash) => new Error(`merkle store: corrupt node ${Buffer.from(hash, 'latin1').toString('hex')}`);

/**
 * Committed nodes by cacheKey, bounded: the nodes that reads of past versions (getAt, proofs at a
 * height) found in the DB. Over capacity the oldest inserted node goes first (FIFO through one
 * long-lived Map iterator, which skips deleted slots and sees later insertions), so a hit costs one
 * Map lookup with no per-entry list node to allocate or relink. Only committed (persisted) nodes
 * may be cached: an evicted node is simply re-read from the DB.
 */
export class NodeCache {
  private readonly map = new Map<string, Node>();
  /** Eviction cursor: insertion order, persistent across calls so eviction is O(1) amortised. */
  private cursor: Iterator<string> | undefined;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
  }

  get(key: string): Node | undefined {
    return this.map.get(key);
  }

  put(n: Node): void {
    // One lookup: set() of a present key keeps its place in insertion order (and a node's content
    // is fixed by where it is stored), so only a new entry can push the cache over capacity.
    const before = this.map.size;
    this.map.set(cacheKey(n), n);
    if (this.map.size > before && this.map.size > this.capacity) this.evictOldest();
  }

  get size(): number {
    return this.map.size;
  }

  private evictOldest(): void {
    for (;;) {
      this.cursor ??= this.map.keys();
      const r = this.cursor.next();
      if (r.done) {
        this.cursor = undefined; // wrapped: start again from the oldest entry
        continue;
      }
      this.map.delete(r.value);
      return;
    }
  }
}

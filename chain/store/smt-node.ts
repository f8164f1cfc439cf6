// Nodes of the compressed sparse Merkle tree, their DB encoding, and the bounded cache that holds
// decoded nodes of past versions.
//
// A node is stored under its Ref, where it was written: the version that wrote it and its index
// among that version's new nodes. Keys of one commit are consecutive and every commit's keys sort
// after the previous one's, so LevelDB appends instead of inserting all over its key space (the
// earlier layout keyed nodes by hash, and compaction kept rewriting them: README.md, "Why refs and
// not hashes"). A parent names each child by hash (for hashing) and by Ref (to find it); an
// unchanged subtree is still stored once and shared by every later version that contains it.
import { type Hash, ZERO, latin1, writeLatin1 } from './smt-hash.ts';

/** u64be version ‖ u32be index, as a 12-character latin1 string. */
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

/** Ref of node `index` of a version, given refPrefix(version). (Strings this short are built
 * flat, not as a rope, so the result is a cheap Map key.) */
export function refAt(prefix: string, index: number): Ref {
  return prefix + String.fromCharCode(index >>> 24, (index >>> 16) & 255, (index >>> 8) & 255, index & 255);
}

export interface Leaf {
  readonly kind: 0;
  readonly hash: Hash;
  ref: Ref;
  /** sha256(key): the leaf's path. */
  readonly keyHash: Hash;
  readonly key: Uint8Array;
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

/** What identifies a stored node, in the DB key and the node cache: its Ref, or for a legacy node
 * its hash (Refs and hashes differ in length, so the two never collide). */
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
  if (n.kind === 1) {
    const out = Buffer.allocUnsafe(65 + (n.left === ZERO ? 0 : REF_BYTES) + (n.right === ZERO ? 0 : REF_BYTES));
    out[0] = 0x01;
    writeLatin1(out, n.left, 1, 32);
    writeLatin1(out, n.right, 33, 32);
    let at = 65;
    if (n.left !== ZERO) at += writeLatin1(out, refFor(n.lref), at, REF_BYTES);
    if (n.right !== ZERO) writeLatin1(out, refFor(n.rref), at, REF_BYTES);
    return out;
  }
  const out = Buffer.allocUnsafe(37 + n.key.length + n.value.length);
  out[0] = 0x00;
  writeLatin1(out, n.keyHash, 1, 32);
  out.writeUInt32BE(n.key.length, 33);
  out.set(n.key, 37);
  out.set(n.value, 37 + n.key.length);
  return out;
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
      // Views, not copies: `b` comes from getSync and owns its memory.
      return { kind: 0, hash, ref, keyHash: latin1(b.subarray(1, 33)), key: b.subarray(37, 37 + keyLen), value: b.subarray(37 + keyLen) };
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

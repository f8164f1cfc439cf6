// Nodes of the compressed sparse Merkle tree, their DB encoding, and the bounded cache that holds
// decoded committed nodes. Nodes are content-addressed (DB key = 'n' ‖ hash), so a node written
// by one version is shared by every later version whose tree contains the same subtree.
import { type Hash, latin1 } from './smt-hash.ts';

export interface Leaf {
  readonly kind: 0;
  readonly hash: Hash;
  /** sha256(key): the leaf's path. */
  readonly keyHash: Hash;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface Internal {
  readonly kind: 1;
  readonly hash: Hash;
  /** Child hashes; ZERO = empty side. Children are loaded by hash, never held by pointer, so
   * any node can be evicted from the cache and re-read from the DB. */
  readonly left: Hash;
  readonly right: Hash;
}

export type Node = Leaf | Internal;

/**
 * internal: 0x01 ‖ left(32) ‖ right(32)
 * leaf:     0x00 ‖ keyHash(32) ‖ u32be keyLen ‖ key ‖ value
 * The leaf keeps the key and value so past versions can answer getAt and proofs without the flat
 * state (which only holds the latest values).
 */
export function encodeNode(n: Node): Uint8Array {
  if (n.kind === 1) {
    const out = Buffer.allocUnsafe(65);
    out[0] = 0x01;
    out.write(n.left, 1, 32, 'latin1');
    out.write(n.right, 33, 32, 'latin1');
    return out;
  }
  const out = Buffer.allocUnsafe(37 + n.key.length + n.value.length);
  out[0] = 0x00;
  out.write(n.keyHash, 1, 32, 'latin1');
  out.writeUInt32BE(n.key.length, 33);
  out.set(n.key, 37);
  out.set(n.value, 37 + n.key.length);
  return out;
}

export function decodeNode(hash: Hash, b: Uint8Array): Node {
  if (b[0] === 0x01 && b.length === 65) {
    return { kind: 1, hash, left: latin1(b.subarray(1, 33)), right: latin1(b.subarray(33, 65)) };
  }
  if (b[0] === 0x00 && b.length >= 37) {
    const keyLen = ((b[33]! << 24) | (b[34]! << 16) | (b[35]! << 8) | b[36]!) >>> 0;
    if (37 + keyLen <= b.length) {
      // Views, not copies: `b` comes from getSync and owns its memory.
      return { kind: 0, hash, keyHash: latin1(b.subarray(1, 33)), key: b.subarray(37, 37 + keyLen), value: b.subarray(37 + keyLen) };
    }
  }
  throw new Error(`merkle store: corrupt node ${Buffer.from(hash, 'latin1').toString('hex')}`);
}

/**
 * Committed nodes by hash, bounded. The store deletes every node a commit supersedes, so below
 * capacity the cache is exactly the live tree and nothing is evicted. Above it, the oldest
 * inserted node goes first (FIFO through one long-lived Map iterator, which skips deleted slots
 * and sees later insertions): in this tree the nodes that stay unchanged longest are the coldest
 * subtrees, so insertion order is close to recency, and a hit costs one Map lookup with no
 * per-entry list node to allocate or relink. Only committed (persisted) nodes may be cached: an
 * evicted node is simply re-read from the DB.
 */
export class NodeCache {
  private readonly map = new Map<Hash, Node>();
  /** Eviction cursor: insertion order, persistent across calls so eviction is O(1) amortised. */
  private cursor: Iterator<Hash> | undefined;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
  }

  get(h: Hash): Node | undefined {
    return this.map.get(h);
  }

  put(n: Node): void {
    // One lookup: set() of a present hash keeps its place in insertion order (and a node's content
    // is fixed by its hash), so only a new entry can push the cache over capacity.
    const before = this.map.size;
    this.map.set(n.hash, n);
    if (this.map.size > before && this.map.size > this.capacity) this.evictOldest();
  }

  /** Drops a node (superseded by a commit: only past versions can still need it). */
  delete(h: Hash): void {
    this.map.delete(h);
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

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

interface Entry {
  node: Node;
  prev: Entry | null; // towards the most recently used
  next: Entry | null; // towards the least recently used
}

/**
 * Committed nodes by hash, bounded, least recently used evicted first: a Map for lookup plus an
 * intrusive doubly linked list for recency (evicting by iterating the Map from the front would
 * rescan deleted slots and go quadratic). The store drops the nodes a commit supersedes, so with
 * capacity above the live tree's node count (about 2 × keys) updates never read from the DB. Only committed (persisted) nodes may be cached: an evicted node is simply
 * re-read from the DB.
 */
export class NodeCache {
  private readonly map = new Map<Hash, Entry>();
  private head: Entry | null = null;
  private tail: Entry | null = null;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
  }

  get(h: Hash): Node | undefined {
    const e = this.map.get(h);
    if (e === undefined) return undefined;
    if (e !== this.head) {
      this.unlink(e);
      this.pushHead(e);
    }
    return e.node;
  }

  put(n: Node): void {
    const e = this.map.get(n.hash);
    if (e !== undefined) {
      this.unlink(e);
      this.pushHead(e);
      return;
    }
    const fresh: Entry = { node: n, prev: null, next: null };
    this.map.set(n.hash, fresh);
    this.pushHead(fresh);
    if (this.map.size > this.capacity) {
      const lru = this.tail!;
      this.unlink(lru);
      this.map.delete(lru.node.hash);
    }
  }

  /** Drops a node (superseded by a commit: only past versions can still need it). */
  delete(h: Hash): void {
    const e = this.map.get(h);
    if (e === undefined) return;
    this.unlink(e);
    this.map.delete(h);
  }

  get size(): number {
    return this.map.size;
  }

  private unlink(e: Entry): void {
    if (e.prev !== null) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = null;
  }

  private pushHead(e: Entry): void {
    e.next = this.head;
    if (this.head !== null) this.head.prev = e;
    this.head = e;
    if (this.tail === null) this.tail = e;
  }
}

// The authenticated store: a compressed sparse Merkle tree over sha256(key) paths whose root is
// the app hash, persisted in LevelDB. Latest values also live in an in-memory sorted map (loaded at
// open) so reads and range scans are synchronous and cheap; the tree answers proofs and reads at
// past heights. Updates copy only the touched paths, so a commit costs O(changed keys × log n)
// hashes and node writes, independent of the size of the state.
import sortedBtree from 'sorted-btree';
import type { AbstractLevel } from 'abstract-level';
import type { Bytes, KVReader, Write } from './kv.ts';
import { leafHash, internalHash, sha, bit, ZERO, isZero } from './smt-hash.ts';
import type { MerkleProof } from './proof.ts';

// sorted-btree is CommonJS with `exports.default`; Node's ESM import hands us module.exports.
const BTree = sortedBtree.default;
type BTree<K, V> = import('sorted-btree').default<K, V>;

type DB = AbstractLevel<any, Uint8Array, Uint8Array>;

interface Leaf {
  kind: 0;
  keyHash: Uint8Array;
  key: Uint8Array;
  value: Uint8Array;
  hash: Uint8Array;
  persisted: boolean;
}

interface Internal {
  kind: 1;
  leftHash: Uint8Array;
  rightHash: Uint8Array;
  /** Loaded children; undefined = not loaded yet (fetched by hash), null = empty. */
  left: Node | null | undefined;
  right: Node | null | undefined;
  hash: Uint8Array;
  persisted: boolean;
}

type Node = Leaf | Internal;

interface Op {
  keyHash: Uint8Array;
  key: Uint8Array;
  value: Uint8Array | undefined;
}

const NODE = 0x6e; // 'n' + hash -> encoded node
const ROOT = 0x72; // 'r' + u64be version -> root hash
const FLAT = 0x66; // 'f' + key -> latest value
const LATEST = Uint8Array.of(0x4c); // 'L' -> u64be latest version

const str = (b: Bytes) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const fromStr = (s: string) => Buffer.from(s, 'latin1') as Uint8Array;

function prefixed(tag: number, b: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + b.length);
  k[0] = tag;
  k.set(b, 1);
  return k;
}

function versionKey(v: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = ROOT;
  new DataView(k.buffer).setBigUint64(1, BigInt(v));
  return k;
}

function u64be(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v));
  return b;
}

function makeLeaf(keyHash: Uint8Array, key: Uint8Array, value: Uint8Array): Leaf {
  return { kind: 0, keyHash, key, value, hash: leafHash(keyHash, sha(value)), persisted: false };
}

function makeInternal(left: Node | null, right: Node | null): Internal {
  const lh = left ? left.hash : ZERO;
  const rh = right ? right.hash : ZERO;
  return { kind: 1, leftHash: lh, rightHash: rh, left, right, hash: internalHash(lh, rh), persisted: false };
}

/** A subtree holding one leaf is that leaf; only subtrees with >= 2 leaves are internal nodes. */
function join(left: Node | null, right: Node | null): Node | null {
  if (!left && !right) return null;
  if (!left && right && right.kind === 0) return right;
  if (!right && left && left.kind === 0) return left;
  return makeInternal(left, right);
}

function encodeNode(n: Node): Uint8Array {
  if (n.kind === 1) {
    const out = new Uint8Array(65);
    out[0] = 1;
    out.set(n.leftHash, 1);
    out.set(n.rightHash, 33);
    return out;
  }
  const out = new Uint8Array(1 + 32 + 4 + n.key.length + n.value.length);
  out[0] = 0;
  out.set(n.keyHash, 1);
  new DataView(out.buffer).setUint32(33, n.key.length);
  out.set(n.key, 37);
  out.set(n.value, 37 + n.key.length);
  return out;
}

function decodeNode(hash: Uint8Array, b: Uint8Array): Node {
  if (b[0] === 1) {
    return { kind: 1, leftHash: b.slice(1, 33), rightHash: b.slice(33, 65), left: undefined, right: undefined, hash, persisted: true };
  }
  const keyLen = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(33);
  return { kind: 0, keyHash: b.slice(1, 33), key: b.slice(37, 37 + keyLen), value: b.slice(37 + keyLen), hash, persisted: true };
}

export class MerkleStore implements KVReader {
  readonly db: DB;
  private flat = new BTree<string, Uint8Array>();
  private root: Node | null = null;
  private _version = 0;
  private staged: { root: Node | null; writes: Write[] } | undefined;
  /** Versions seen by rootAt, so historical reads do not hit the DB for the root each time. */
  private readonly roots = new Map<number, Uint8Array>();

  private constructor(db: DB) {
    this.db = db;
  }

  static async open(db: AbstractLevel<any, any, any>): Promise<MerkleStore> {
    const s = new MerkleStore(db as DB);
    await s.db.open();
    const latest = await s.db.get(LATEST);
    if (latest) {
      s._version = Number(new DataView(latest.buffer, latest.byteOffset).getBigUint64(0));
      const rootHash = (await s.db.get(versionKey(s._version)))!;
      s.root = isZero(rootHash) ? null : s.loadNode(rootHash);
    }
    // Latest values, in key order, for synchronous reads and range scans.
    const it = s.db.iterator({ gte: Uint8Array.of(FLAT), lt: Uint8Array.of(FLAT + 1), highWaterMarkBytes: 1 << 20 } as object);
    for (;;) {
      const entries = await it.nextv(1000);
      if (entries.length === 0) break;
      for (const [k, v] of entries) s.flat.set(str(k.subarray(1)), v);
    }
    await it.close();
    return s;
  }

  get version(): number {
    return this._version;
  }

  rootHash(): Uint8Array {
    return this.root ? this.root.hash : ZERO;
  }

  // ------------------------------------------------------------------ latest state (KVReader)

  get(key: Bytes): Bytes | undefined {
    return this.flat.get(str(key));
  }

  has(key: Bytes): boolean {
    return this.flat.has(str(key));
  }

  *iterator(start: Bytes | undefined, end: Bytes | undefined, reverse = false): IterableIterator<[Bytes, Bytes]> {
    const lo = start ? str(start) : undefined;
    const hi = end ? str(end) : undefined;
    // Snapshot keys first: the caller may write to a branch above us while iterating.
    const out: [string, Uint8Array][] = [];
    if (!reverse) {
      for (const [k, v] of this.flat.entries(lo)) {
        if (hi !== undefined && k >= hi) break;
        out.push([k, v]);
        if (out.length >= 4096) {
          for (const [kk, vv] of out) yield [fromStr(kk), vv];
          out.length = 0;
        }
      }
    } else {
      for (const [k, v] of this.flat.entriesReversed(hi)) {
        if (hi !== undefined && k >= hi) continue;
        if (lo !== undefined && k < lo) break;
        out.push([k, v]);
      }
    }
    for (const [k, v] of out) yield [fromStr(k), v];
  }

  // ------------------------------------------------------------------ updates

  /** Computes the root after `writes` without making them visible or writing to disk. */
  stage(writes: Write[]): Uint8Array {
    const byPath = new Map<string, Op>();
    for (const [key, value] of writes) {
      const keyHash = sha(key);
      byPath.set(str(keyHash), { keyHash, key, value });
    }
    const ops = [...byPath.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, op]) => op);
    const root = this.apply(this.root, 0, ops);
    this.staged = { root, writes };
    return root ? root.hash : ZERO;
  }

  discardStaged(): void {
    this.staged = undefined;
  }

  private apply(node: Node | null, depth: number, ops: Op[]): Node | null {
    if (ops.length === 0) return node;
    if (node === null) {
      const sets = ops.filter((o) => o.value !== undefined);
      return this.build(depth, sets);
    }
    if (node.kind === 0) {
      // Merge the existing leaf into the ops (an op on the same key wins) and rebuild.
      const same = ops.find((o) => Buffer.compare(o.keyHash, node.keyHash) === 0);
      if (ops.length === 1 && same) {
        if (same.value === undefined) return null;
        if (Buffer.compare(same.value, node.value) === 0) return node;
        return makeLeaf(node.keyHash, node.key, same.value);
      }
      const sets = ops.filter((o) => o.value !== undefined);
      if (!same) sets.push({ keyHash: node.keyHash, key: node.key, value: node.value });
      sets.sort((a, b) => Buffer.compare(a.keyHash, b.keyHash));
      return this.build(depth, sets);
    }
    const split = this.splitIndex(ops, depth);
    const left = this.child(node, 0);
    const right = this.child(node, 1);
    const newLeft = split > 0 ? this.apply(left, depth + 1, ops.slice(0, split)) : left;
    const newRight = split < ops.length ? this.apply(right, depth + 1, ops.slice(split)) : right;
    if (newLeft === left && newRight === right) return node;
    return join(newLeft, newRight);
  }

  /** Builds the canonical subtree for a sorted list of sets (all values defined). */
  private build(depth: number, sets: Op[]): Node | null {
    if (sets.length === 0) return null;
    if (sets.length === 1) return makeLeaf(sets[0]!.keyHash, sets[0]!.key, sets[0]!.value!);
    if (depth >= 256) throw new Error('sha256 path collision');
    const split = this.splitIndex(sets, depth);
    return join(this.build(depth + 1, sets.slice(0, split)), this.build(depth + 1, sets.slice(split)));
  }

  /** Ops are sorted by path, so those going left (bit 0) come first. */
  private splitIndex(ops: Op[], depth: number): number {
    let lo = 0;
    let hi = ops.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bit(ops[mid]!.keyHash, depth) === 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private child(n: Internal, side: 0 | 1): Node | null {
    if (side === 0) {
      if (n.left === undefined) n.left = isZero(n.leftHash) ? null : this.loadNode(n.leftHash);
      return n.left;
    }
    if (n.right === undefined) n.right = isZero(n.rightHash) ? null : this.loadNode(n.rightHash);
    return n.right;
  }

  private loadNode(hash: Uint8Array): Node {
    const raw = this.db.getSync(prefixed(NODE, hash));
    if (!raw) throw new Error(`merkle store: node ${Buffer.from(hash).toString('hex')} missing from the database`);
    return decodeNode(hash, raw);
  }

  /** Persists the staged changes as `version`, atomically (one LevelDB batch), then exposes them. */
  async commit(version: number): Promise<Uint8Array> {
    if (this._version !== 0 && version !== this._version + 1) throw new Error(`merkle store: commit version ${version} after ${this._version}`);
    if (version < 1) throw new Error('merkle store: versions start at 1');
    const staged = this.staged ?? { root: this.root, writes: [] };
    const ops: { type: 'put' | 'del'; key: Uint8Array; value?: Uint8Array }[] = [];
    const fresh: Node[] = [];
    const collect = (n: Node | null | undefined) => {
      if (!n || n.persisted) return;
      fresh.push(n);
      ops.push({ type: 'put', key: prefixed(NODE, n.hash), value: encodeNode(n) });
      if (n.kind === 1) {
        collect(n.left);
        collect(n.right);
      }
    };
    collect(staged.root);
    for (const [k, v] of staged.writes) {
      if (v === undefined) ops.push({ type: 'del', key: prefixed(FLAT, k) });
      else ops.push({ type: 'put', key: prefixed(FLAT, k), value: v });
    }
    const rootHash = staged.root ? staged.root.hash : ZERO;
    ops.push({ type: 'put', key: versionKey(version), value: rootHash });
    ops.push({ type: 'put', key: LATEST, value: u64be(version) });
    await this.db.batch(ops as never, { sync: true } as object);
    for (const n of fresh) n.persisted = true;
    for (const [k, v] of staged.writes) {
      if (v === undefined) this.flat.delete(str(k));
      else this.flat.set(str(k), v);
    }
    this.root = staged.root;
    this._version = version;
    this.roots.set(version, rootHash);
    this.staged = undefined;
    return rootHash;
  }

  // ------------------------------------------------------------------ history and proofs

  rootAt(version: number): Uint8Array | undefined {
    const cached = this.roots.get(version);
    if (cached) return cached;
    const r = this.db.getSync(versionKey(version));
    if (r) this.roots.set(version, r);
    return r;
  }

  /** The root node of a past version (the latest one is kept in memory). */
  private rootNodeAt(version: number): Node | null {
    if (version === this._version) return this.root;
    const h = this.rootAt(version);
    if (!h) throw new Error(`merkle store: no version ${version}`);
    return isZero(h) ? null : this.loadNode(h);
  }

  getAt(key: Bytes, version: number): Bytes | undefined {
    if (version === this._version) return this.get(key);
    const path = sha(key);
    let n = this.rootNodeAt(version);
    for (let depth = 0; n; depth++) {
      if (n.kind === 0) return Buffer.compare(n.keyHash, path) === 0 ? n.value : undefined;
      n = this.child(n, bit(path, depth) as 0 | 1);
    }
    return undefined;
  }

  prove(key: Bytes, version: number = this._version): MerkleProof {
    const path = sha(key);
    const siblings: Uint8Array[] = [];
    let n = this.rootNodeAt(version);
    for (let depth = 0; n; depth++) {
      if (n.kind === 0) {
        if (Buffer.compare(n.keyHash, path) === 0) return { siblings };
        return { siblings, otherLeaf: { keyHash: n.keyHash, valueHash: sha(n.value) } };
      }
      const b = bit(path, depth);
      siblings.push(b === 0 ? n.rightHash : n.leftHash);
      n = this.child(n, b as 0 | 1);
    }
    return { siblings };
  }
}

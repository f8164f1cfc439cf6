// The authenticated store: a compressed sparse Merkle tree over sha256(key) paths whose root is
// the app hash, persisted in LevelDB (layout and formulas in README.md).
//
// Two views of the same data:
// - the latest committed values in an in-memory sorted map (the "flat state", loaded at open), so
//   transaction reads and range scans are synchronous and never walk the tree;
// - the tree itself in the DB, each node under where it was written (version, index: smt-node.ts).
//   It answers the root, proofs and reads at past versions. The latest version's tree is also held
//   in memory as a pointer tree ("live tree", below), loaded lazily with getSync and bounded;
//   nodes of past versions are read through a small cache.
// An update rebuilds only the paths to the changed keys: O(changed keys × log n) hashes and node
// writes, independent of the size of the state. Every version's root stays in the DB.
import sortedBtree from 'sorted-btree';
import type { AbstractLevel } from 'abstract-level';
import type { Bytes, KVReader, Write } from './kv.ts';
import { compareBytes } from './kv.ts';
import { type Hash, ZERO, sha, shaLatin1, leafHash, internalHash, bit, latin1, fromLatin1, writeLatin1 } from './smt-hash.ts';
import { type Node, type Leaf, type Internal, type Ref, LEGACY, NO_REF, REF_BYTES, refPrefix, refAt, nodeId, isChunked, chunkId, chunkSlot, encodeChunks, chunkNode, decodeNode, NodeCache } from './smt-node.ts';
import type { MerkleProof } from './proof.ts';
import { bytesEqual } from '../codec/bytes.ts';

// sorted-btree is CommonJS with `exports.default`; Node's ESM import hands us module.exports.
const BTree = sortedBtree.default;
type BTree<K, V> = import('sorted-btree').default<K, V>;

type DB = AbstractLevel<any, Uint8Array, Uint8Array>;
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;

// DB key prefixes (one byte each; see README.md).
const NODE = 0x6e; // 'n' ‖ chunkId(12)     -> a chunk of one commit's nodes (smt-node.ts encodeChunks)
//                    'n' ‖ ref(12)         -> one encoded node (the layout before chunks)
//                    'n' ‖ hash(32)        -> one encoded node (the first, hash-keyed layout)
const ROOT = 0x72; // 'r' ‖ u64be version   -> root hash(32) ‖ root ref(12) (hash only: empty tree, or legacy)
const FLAT = 0x66; // 'f' ‖ key             -> latest value
const LATEST = Uint8Array.of(0x4c); // 'L'  -> u64be latest version
/** The first byte of each kind of key the store writes (for tools that measure the DB). */
export const STORE_KEY_KINDS = { node: NODE, root: ROOT, flat: FLAT } as const;

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// Every DB key starts with `pre`: the store's own namespace in a shared database (see open()).
/** DB key of the node with hash `h` stored alone at `ref`, or of the chunk `id` = chunkId(ref). */
function nodeKey(pre: Uint8Array, id: string): Uint8Array {
  const k = Buffer.allocUnsafe(pre.length + 1 + id.length);
  k.set(pre, 0);
  k[pre.length] = NODE;
  writeLatin1(k, id, pre.length + 1, id.length);
  return k;
}

function rootValue(h: Hash, ref: Ref): Uint8Array {
  return fromLatin1(h === ZERO ? h : h + ref);
}

/** DB key of the flat-state entry of `key` (latin1). */
function flatKey(pre: Uint8Array, key: string): Uint8Array {
  const k = Buffer.allocUnsafe(pre.length + 1 + key.length);
  k.set(pre, 0);
  k[pre.length] = FLAT;
  writeLatin1(k, key, pre.length + 1, key.length);
  return k;
}

function u64be(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v));
  return b;
}

function rootKey(pre: Uint8Array, version: number): Uint8Array {
  const k = new Uint8Array(pre.length + 9);
  k.set(pre, 0);
  k[pre.length] = ROOT;
  k.set(u64be(version), pre.length + 1);
  return k;
}

const withPrefix = (pre: Uint8Array, key: Uint8Array): Uint8Array => Buffer.concat([pre, key]);

function readU64(b: Uint8Array): number {
  return Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0));
}

/** One effective change of a stage: a set (value) or a delete (undefined) of a key. */
interface Op {
  readonly flat: string; // latin1 key
  readonly keyHash: Hash;
  readonly value: Uint8Array | undefined;
}

interface Staged {
  /** The version the new nodes' Refs name: the next one (write() renames them if the first
   * commit of an empty store uses another). */
  version: number;
  root: Hash;
  rootRef: Ref;
  /** The new live tree's root (null: empty; undefined: unchanged and not loaded). */
  rootNode: Node | null | undefined;
  /** Nodes created by this stage. Each is created once, bottom-up, and every one of them is part
   * of the new tree (a subtree is only rebuilt when its contents change), so commit writes them
   * all without walking the tree. */
  readonly nodes: Node[];
  /** How many nodes of the live tree are not in the new tree. */
  superseded: number;
  /** The effective changes, sorted by key hash; they become the flat-state puts/dels. */
  readonly ops: Op[];
}

/** 2,000,000 decoded nodes: the whole live tree of a ~1M-key state (about 2 nodes per key),
 * ~190 bytes each as commits build them (a leaf shares its key string with the flat state), ~300
 * as read back from LevelDB, so up to ~400-600 MB once the state is that big. Below
 * the live tree's size every changed key reads its path's lower nodes from LevelDB
 * synchronously: with 8,000 devices per sector the proofs benchmark's main thread spends 395 µs
 * per batched sensor proof with 500,000 nodes, 311 µs with this default (README.md). */
export const DEFAULT_CACHE_NODES = 2_000_000;

/** Chunks kept after a read (see MerkleStore.recentChunks). */
const RECENT_CHUNKS = 16;

/** Nodes of past versions kept for historical reads and proofs (at most cacheNodes). */
export const HISTORY_CACHE_NODES = 200_000;

/** entriesAt's bound: a ~1M-node tree (~500k keys) walks in about a second from memory. */
export const DEFAULT_MAX_WALK_NODES = 1_000_000;

export class TreeWalkLimitError extends Error {
  constructor(version: number, maxNodes: number) {
    super(`the state at version ${version} has more than ${maxNodes} tree nodes: too large to scan for a range query at a past height (query the latest height, or point keys)`);
  }
}

export interface MerkleStoreOptions {
  /** Upper bound on the live tree's nodes kept in memory (default DEFAULT_CACHE_NODES); past
   * versions' nodes are cached apart, up to min(cacheNodes, HISTORY_CACHE_NODES). */
  cacheNodes?: number;
}

/** Cumulative counters, for benchmarks and for tests that check the cost of an update. */
export interface MerkleStoreStats {
  /** SHA-256 evaluations done by stage(): key paths, value hashes, leaf and internal nodes. */
  hashes: number;
  /** getSync calls for tree nodes (what was not in the live tree's memory, the history cache or
   * a chunk just read). */
  nodeReads: number;
  /** Nodes written by commits. */
  nodeWrites: number;
  /** Keys set or deleted by commits (effective changes only: a same-value set is not one). */
  keyWrites: number;
}

export class MerkleStore implements KVReader {
  readonly db: DB;
  readonly stats: MerkleStoreStats = { hashes: 0, nodeReads: 0, nodeWrites: 0, keyWrites: 0 };
  private readonly flat: BTree<string, Uint8Array> = new BTree<string, Uint8Array>(undefined, byString);
  /** The same entries in a hash map: point reads are most of tx execution's store traffic, and a
   * B-tree lookup compares long shared key prefixes (module ‖ table ‖ address) at every level. */
  private readonly flatMap = new Map<string, Uint8Array>();
  /** The chunks read last (a chunk's nodes were written together, so a path read top-down often
   * finds a node's child in the chunk it just read: half as many getSync calls on a cold tree).
   * Chunks are immutable once written. */
  private readonly recentChunks = new Map<string, Uint8Array>();
  /** Nodes of past versions read from the DB. */
  private readonly history: NodeCache;
  private root: Hash = ZERO;
  private rootRef: Ref = NO_REF;
  /**
   * The live tree: the latest version's root node (null: empty tree; undefined: not loaded yet),
   * its descendants hanging off Internal.l / .r. Updates walk it by pointer and a commit swaps in
   * the new root, so the tree needs no lookup table: the nodes a commit supersedes are simply no
   * longer reachable. Children missing from memory are read from the DB by Ref and attached.
   * Only committed nodes are ever attached (the staged ones join when publish() swaps the root).
   */
  private rootNode: Node | null | undefined = null;
  /** Nodes reachable from rootNode through pointers (one more per node attached; at publish, plus
   * the new nodes and minus the superseded ones; prune() recounts), and its bound. */
  private resident = 0;
  private readonly maxResident: number;
  /** refPrefix of the version being staged. */
  private refPrefix = '';
  private _version = 0;
  private staged: Staged | undefined;
  /** Between write() and publish(): stage(), commit() and discardStaged() are refused. */
  private committing = false;
  /** Written by write(), not yet published. */
  private written: { version: number; staged: Staged } | undefined;

  /** Prefix of every key this store writes in `db`. */
  private readonly pre: Uint8Array;

  private constructor(db: DB, pre: Uint8Array, opts: MerkleStoreOptions) {
    this.db = db;
    this.pre = pre;
    this.maxResident = Math.max(1, Math.floor(opts.cacheNodes ?? DEFAULT_CACHE_NODES));
    this.history = new NodeCache(Math.min(this.maxResident, HISTORY_CACHE_NODES));
  }

  /**
   * Opens the store in `db` (a `level` database or sublevel, used by this store alone) and loads
   * the latest flat state into memory. A sublevel is unwrapped: the store writes to its root
   * database under the sublevel's prefix itself (same keys on disk), because a commit batch of
   * tens of thousands of node writes went through abstract-level's per-op cloning twice (once per
   * level) and now goes straight to LevelDB through a native chained batch.
   */
  static async open(db: AbstractLevel<any, any, any>, opts: MerkleStoreOptions = {}): Promise<MerkleStore> {
    await db.open();
    const sub = db as unknown as { db?: DB; prefix?: string };
    const root = sub.db && sub.db !== (db as unknown) ? sub.db : (db as DB);
    const pre = root === (db as unknown) ? new Uint8Array() : Buffer.from(sub.prefix ?? '', 'utf8');
    const s = new MerkleStore(root, pre, opts);
    const latest = await s.db.get(withPrefix(pre, LATEST), VIEW);
    if (latest !== undefined) {
      s._version = readU64(latest);
      const r = await s.db.get(rootKey(pre, s._version), VIEW);
      if (r === undefined) throw new Error(`merkle store: root of version ${s._version} missing`);
      ({ hash: s.root, ref: s.rootRef } = parseRoot(r));
      s.rootNode = s.root === ZERO ? null : undefined;
    }
    const it = s.db.iterator({ gte: withPrefix(pre, Uint8Array.of(FLAT)), lt: withPrefix(pre, Uint8Array.of(FLAT + 1)), ...VIEW });
    try {
      for (;;) {
        const entries = await it.nextv(4096);
        if (entries.length === 0) break;
        for (const [k, v] of entries) {
          const key = latin1(k.subarray(pre.length + 1));
          s.flat.set(key, v);
          s.flatMap.set(key, v);
        }
      }
    } finally {
      await it.close();
    }
    return s;
  }

  /** Last committed version (0 = nothing committed yet). */
  get version(): number {
    return this._version;
  }

  get latestVersion(): number {
    return this._version;
  }

  /** Root of the latest committed version (32 zero bytes when empty). */
  rootHash(): Uint8Array {
    return fromLatin1(this.root);
  }

  /** Nodes of the latest version's tree held in memory (the live tree; bounded by cacheNodes). */
  get liveNodes(): number {
    return this.resident;
  }

  /** Number of keys in the latest committed state. */
  get size(): number {
    return this.flat.size;
  }

  // ------------------------------------------------------------------ latest state (KVReader)
  // Returned values are the store's own arrays: callers must not mutate them.

  get(key: Bytes): Bytes | undefined {
    return this.flatMap.get(latin1(key));
  }

  has(key: Bytes): boolean {
    return this.flatMap.has(latin1(key));
  }

  /** Fast path for CacheKV, which already holds the key as a latin1 string. */
  getS(k: string): Bytes | undefined {
    return this.flatMap.get(k);
  }

  hasS(k: string): boolean {
    return this.flatMap.has(k);
  }

  *iterator(start: Bytes | undefined, end: Bytes | undefined, reverse = false): IterableIterator<[Bytes, Bytes]> {
    const lo = start === undefined ? undefined : latin1(start);
    const hi = end === undefined ? undefined : latin1(end);
    if (lo !== undefined && hi !== undefined && lo >= hi) return;
    if (!reverse) {
      for (const [k, v] of this.flat.entries(lo)) {
        if (hi !== undefined && k >= hi) return;
        yield [fromLatin1(k), v];
      }
    } else {
      // entriesReversed(hi, _, true) starts at the largest key <= hi, skipping hi itself.
      for (const [k, v] of this.flat.entriesReversed(hi, undefined, true)) {
        if (lo !== undefined && k < lo) return;
        yield [fromLatin1(k), v];
      }
    }
  }

  // ------------------------------------------------------------------ updates

  /**
   * Computes the root after applying `writes` (last write of a key wins; undefined = delete) to
   * the latest committed state, without changing what reads return and without touching the
   * DB. Replaces any previous stage.
   */
  stage(writes: readonly Write[]): Uint8Array {
    const last = new Map<string, Uint8Array | null>();
    for (const [k, v] of writes) last.set(latin1(k), v ?? null);
    return this.stageChanges(last);
  }

  /**
   * stage() for changes already keyed by latin1 string, each key once (null = delete): a block's
   * CacheKV hands over its own map, with no round trip of every key through bytes and back. The
   * map is only read, and nothing of it is kept.
   */
  stageChanges(changes: ReadonlyMap<string, Uint8Array | null>): Uint8Array {
    if (this.committing) throw new Error('merkle store: stage() during commit()');
    const ops: Op[] = [];
    changes.forEach((value, flat) => {
      // Only effective changes reach the tree: same-value sets and deletes of absent keys are
      // dropped here (the flat state is exactly the committed tree's contents).
      const cur = this.flatMap.get(flat);
      if (value === null ? cur === undefined : cur !== undefined && bytesEqual(cur, value)) return;
      // The value is copied: the staged leaves are hashed now and encoded at commit; a caller
      // mutating its arrays in between must not make the stored node disagree with its hash.
      // Through Uint8Array's slice, because Buffer's slice is a view: a value encoded into Node's
      // buffer pool would keep the whole pool slab alive for as long as it is the latest value.
      // (The key stays the latin1 string it arrived as: strings are immutable.)
      ops.push({ flat, keyHash: shaLatin1(flat), value: value === null ? undefined : copyBytes(value) });
    });
    this.stats.hashes += ops.length;
    ops.sort((a, b) => byString(a.keyHash, b.keyHash));
    const staged: Staged = { version: this._version + 1, root: this.root, rootRef: this.rootRef, rootNode: this.rootNode, nodes: [], superseded: 0, ops };
    if (ops.length > 0) {
      this.refPrefix = refPrefix(staged.version);
      const n = this.apply(this.liveRoot(), 0, ops, 0, ops.length, staged);
      staged.root = this.hashOf(n);
      staged.rootRef = this.refOf(n);
      staged.rootNode = n;
    }
    this.staged = staged;
    return fromLatin1(staged.root);
  }

  discardStaged(): void {
    if (this.committing) throw new Error('merkle store: discardStaged() during commit()');
    this.staged = undefined;
  }

  /** The root that commit() would persist (latest root when nothing is staged). */
  stagedRoot(): Uint8Array {
    return fromLatin1(this.staged?.root ?? this.root);
  }

  private hashOf(n: Node | null): Hash {
    return n === null ? ZERO : n.hash;
  }

  /**
   * The subtree `node` (of the live tree, at `depth`; null = empty) after applying ops[lo, hi),
   * all of whose paths lead into it. Returns the unchanged node when nothing below changes, null
   * for an empty subtree.
   */
  private apply(node: Node | null, depth: number, ops: Op[], lo: number, hi: number, st: Staged): Node | null {
    if (node === null) {
      const leaves = this.newLeaves(ops, lo, hi, undefined, st);
      return this.build(depth, leaves, 0, leaves.length, st);
    }
    if (node.kind === 0) {
      const leaves = this.newLeaves(ops, lo, hi, node, st);
      // An untouched leaf stays (possibly pushed down by new neighbours): same node, same hash,
      // same place in the DB.
      if (!leaves.includes(node)) st.superseded++;
      return this.build(depth, leaves, 0, leaves.length, st);
    }
    const mid = splitIndex(ops, lo, hi, depth);
    // undefined = that side is untouched.
    const left = mid > lo ? this.apply(this.child(node, false), depth + 1, ops, lo, mid, st) : undefined;
    const right = mid < hi ? this.apply(this.child(node, true), depth + 1, ops, mid, hi, st) : undefined;
    const lh = left === undefined ? node.left : this.hashOf(left);
    const rh = right === undefined ? node.right : this.hashOf(right);
    if (lh === node.left && rh === node.right) return node;
    st.superseded++;
    if (lh === ZERO && rh === ZERO) return null;
    // A subtree left with a single leaf is that leaf (it moves up; a leaf's hash does not depend
    // on its position). A lone internal child keeps an internal parent with a ZERO sibling.
    if (lh === ZERO || rh === ZERO) {
      const only = lh === ZERO ? (right ?? this.child(node, true))! : (left ?? this.child(node, false))!;
      if (only.kind === 0) return only;
    }
    const l = left === undefined ? node.l : (left ?? undefined);
    const r = right === undefined ? node.r : (right ?? undefined);
    return this.newInternal(lh, left === undefined ? node.lref : this.refOf(left), l, rh, right === undefined ? node.rref : this.refOf(right), r, st);
  }

  /** The live tree's root node, read from the DB the first time it is needed. */
  private liveRoot(): Node | null {
    if (this.rootNode === undefined) {
      this.rootNode = this.fetch(this.root, this.rootRef);
      this.resident = 1;
    }
    return this.rootNode;
  }

  /** A child of a live-tree node (null: empty side), read from the DB and attached if it is not
   * in memory. */
  private child(n: Internal, right: boolean): Node | null {
    const h = right ? n.right : n.left;
    if (h === ZERO) return null;
    let c = right ? n.r : n.l;
    if (c === undefined) {
      c = this.fetch(h, right ? n.rref : n.lref);
      if (right) n.r = c;
      else n.l = c;
      this.resident++;
    }
    return c;
  }

  /**
   * The leaves of a subtree that held at most `existing` once ops[lo, hi) are applied, sorted by
   * path. The existing leaf is reused as is unless an op targets its key.
   */
  private newLeaves(ops: Op[], lo: number, hi: number, existing: Leaf | undefined, st: Staged): Leaf[] {
    const out: Leaf[] = [];
    let keep = existing !== undefined;
    for (let i = lo; i < hi; i++) {
      const op = ops[i]!;
      if (existing !== undefined && op.keyHash === existing.keyHash) keep = false;
      if (op.value !== undefined) out.push(this.newLeaf(op.keyHash, op.flat, op.value, st));
    }
    if (keep) {
      const at = out.findIndex((l) => l.keyHash > existing!.keyHash);
      out.splice(at < 0 ? out.length : at, 0, existing!);
    }
    return out;
  }

  /** The canonical subtree at `depth` holding exactly leaves[lo, hi) (sorted by path). */
  private build(depth: number, leaves: Leaf[], lo: number, hi: number, st: Staged): Node | null {
    if (hi - lo === 0) return null;
    if (hi - lo === 1) return leaves[lo]!;
    if (depth >= 256) throw new Error('merkle store: sha256 path collision');
    const mid = splitIndex(leaves, lo, hi, depth);
    // With >= 2 leaves this is an internal node even when one side is empty.
    const l = this.build(depth + 1, leaves, lo, mid, st);
    const r = this.build(depth + 1, leaves, mid, hi, st);
    return this.newInternal(this.hashOf(l), this.refOf(l), l ?? undefined, this.hashOf(r), this.refOf(r), r ?? undefined, st);
  }

  private newLeaf(keyHash: Hash, key: string, value: Uint8Array, st: Staged): Leaf {
    const n: Leaf = { kind: 0, hash: leafHash(keyHash, sha(value)), ref: refAt(this.refPrefix, st.nodes.length), keyHash, key, value };
    this.stats.hashes += 2;
    st.nodes.push(n);
    return n;
  }

  private refOf(n: Node | null): Ref {
    return n === null ? NO_REF : n.ref;
  }

  /** A new node's Ref is (staged version, its index among the stage's new nodes). */
  private newInternal(left: Hash, lref: Ref, l: Node | undefined, right: Hash, rref: Ref, r: Node | undefined, st: Staged): Internal {
    const n: Internal = { kind: 1, hash: internalHash(left, right), ref: refAt(this.refPrefix, st.nodes.length), left, right, lref, rref, l, r };
    this.stats.hashes += 1;
    st.nodes.push(n);
    return n;
  }

  /**
   * A committed node of a past (or the latest) version, hash `h` stored at `ref`: from the history
   * cache, else from the DB. `cache: false` (whole-tree scans) reads misses without caching them,
   * so an archive query cannot evict the nodes that other queries keep asking for.
   */
  private load(h: Hash, ref: Ref, cache = true): Node {
    const cached = this.history.get(nodeId(h, ref));
    if (cached !== undefined) return cached;
    const n = this.fetch(h, ref);
    if (cache) this.history.put(n);
    return n;
  }

  /** Reads and decodes the committed node with hash `h` stored at `ref`, synchronously. */
  private fetch(h: Hash, ref: Ref): Node {
    if (ref.length !== REF_BYTES) throw new Error(`merkle store: node ${Buffer.from(h, 'latin1').toString('hex')} has no location`);
    const chunked = isChunked(ref);
    const id = chunked ? chunkId(ref) : nodeId(h, ref);
    let raw = chunked ? this.recentChunks.get(id) : undefined;
    if (raw === undefined) {
      raw = this.db.getSync(nodeKey(this.pre, id), VIEW);
      if (raw === undefined) throw new Error(`merkle store: node ${Buffer.from(h, 'latin1').toString('hex')} missing from the database`);
      this.stats.nodeReads++;
      if (chunked) {
        if (this.recentChunks.size >= RECENT_CHUNKS) this.recentChunks.delete(this.recentChunks.keys().next().value!);
        this.recentChunks.set(id, raw);
      }
    }
    return decodeNode(h, ref, chunked ? chunkNode(raw, chunkSlot(ref), h) : raw);
  }

  /**
   * Persists the staged changes (or, if nothing is staged, the unchanged root) as `version`,
   * atomically: new nodes, flat-state puts/dels, the version's root and the latest-version marker
   * go in ONE synced LevelDB batch, so after a crash the DB is at the old or the new version.
   * Only then do reads see the new state. `version` must be `this.version + 1`; the first commit
   * of an empty store may use any version >= 1 (genesis at an initial height).
   */
  async commit(version: number): Promise<Uint8Array> {
    await this.write(version);
    return this.publish();
  }

  /**
   * commit() in two steps: write() makes `version` durable while reads keep returning the previous
   * version (so a node can go on admitting txs against it during the write); publish() then
   * exposes it, synchronously. Nothing else may change the store in between.
   */
  async write(version: number): Promise<void> {
    if (this.committing || this.written !== undefined) throw new Error('merkle store: concurrent commit()');
    if (!Number.isSafeInteger(version) || version < 1) throw new Error(`merkle store: invalid version ${version}`);
    if (this._version !== 0 && version !== this._version + 1) throw new Error(`merkle store: commit version ${version} after ${this._version}`);
    const staged: Staged = this.staged ?? { version, root: this.root, rootRef: this.rootRef, rootNode: this.rootNode, nodes: [], superseded: 0, ops: [] };
    if (staged.version !== version) renameRefs(staged, version);
    const pre = this.pre;
    const batch = this.db.batch();
    const { nodes, ops } = staged;
    // Node i is slot i % CHUNK_NODES of chunk i / CHUNK_NODES (its Ref says so).
    encodeChunks(nodes, (first, chunk) => batch.put(nodeKey(pre, chunkId(nodes[first]!.ref)), chunk, VIEW));
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.value === undefined) batch.del(flatKey(pre, op.flat), VIEW);
      else batch.put(flatKey(pre, op.flat), op.value, VIEW);
    }
    batch.put(rootKey(pre, version), rootValue(staged.root, staged.rootRef), VIEW);
    batch.put(withPrefix(pre, LATEST), u64be(version), VIEW);
    this.committing = true;
    try {
      await batch.write({ sync: true } as never);
    } catch (err) {
      this.committing = false;
      throw err;
    }
    this.written = { version, staged };
  }

  /** Exposes the version write() made durable: the new root (and live tree) and the flat state. */
  publish(): Uint8Array {
    const w = this.written;
    if (w === undefined) throw new Error('merkle store: publish() without write()');
    const { staged } = w;
    for (let i = 0; i < staged.ops.length; i++) {
      const op = staged.ops[i]!;
      if (op.value === undefined) {
        this.flat.delete(op.flat);
        this.flatMap.delete(op.flat);
      } else {
        this.flat.set(op.flat, op.value);
        this.flatMap.set(op.flat, op.value);
      }
    }
    this.stats.nodeWrites += staged.nodes.length;
    this.stats.keyWrites += staged.ops.length;
    this.root = staged.root;
    this.rootRef = staged.rootRef;
    this.rootNode = staged.rootNode;
    this.resident = this.rootNode == null ? 0 : this.resident + staged.nodes.length - staged.superseded;
    this._version = w.version;
    this.staged = undefined;
    this.written = undefined;
    this.committing = false;
    if (this.resident > this.maxResident) this.prune();
    return fromLatin1(this.root);
  }

  /**
   * Drops the live tree's lower levels from memory once it holds more than maxResident nodes. It
   * keeps whole top levels, as many as fit in half the bound: every update's path starts there,
   * and the lower a node the fewer updates pass through it. Half, so that one pass (two walks of
   * what is in memory) pays for many blocks of reloading before the next.
   */
  private prune(): void {
    const root = this.rootNode;
    if (root == null) return;
    const perDepth: number[] = [];
    const stack: Node[] = [root];
    const depths: number[] = [0];
    while (stack.length > 0) {
      const n = stack.pop()!;
      const d = depths.pop()!;
      perDepth[d] = (perDepth[d] ?? 0) + 1;
      if (n.kind === 0) continue;
      if (n.l !== undefined) stack.push(n.l), depths.push(d + 1);
      if (n.r !== undefined) stack.push(n.r), depths.push(d + 1);
    }
    const target = Math.max(1, Math.floor(this.maxResident / 2));
    let cut = 0;
    let kept = perDepth[0]!;
    while (cut + 1 < perDepth.length && kept + perDepth[cut + 1]! <= target) kept += perDepth[++cut]!;
    stack.push(root);
    depths.push(0);
    while (stack.length > 0) {
      const n = stack.pop()!;
      const d = depths.pop()!;
      if (n.kind === 0) continue;
      if (d === cut) {
        n.l = undefined;
        n.r = undefined;
        continue;
      }
      if (n.l !== undefined) stack.push(n.l), depths.push(d + 1);
      if (n.r !== undefined) stack.push(n.r), depths.push(d + 1);
    }
    this.resident = kept;
  }

  // ------------------------------------------------------------------ history and proofs

  /** Root hash committed for `version`, or undefined if that version was never committed. */
  rootAt(version: number): Uint8Array | undefined {
    if (version === 0) return undefined;
    const r = this.rootOf(version);
    return r === undefined ? undefined : fromLatin1(r.hash);
  }

  /** Hash and location of the root of `version` (the latest, even 0 = empty), or undefined if
   * that version was never committed. */
  private rootOf(version: number): { hash: Hash; ref: Ref } | undefined {
    if (version === this._version) return { hash: this.root, ref: this.rootRef };
    if (!Number.isSafeInteger(version) || version < 1 || version > this._version) return undefined;
    const r = this.db.getSync(rootKey(this.pre, version), VIEW);
    return r === undefined ? undefined : parseRoot(r);
  }

  private rootNodeAt(version: number): { hash: Hash; ref: Ref } {
    const r = this.rootOf(version);
    if (r === undefined) throw new Error(`merkle store: no version ${version}`);
    return r;
  }

  /** Value of `key` at a past (or the latest) version, read from that version's tree. */
  getAt(key: Bytes, version: number): Bytes | undefined {
    if (version === this._version) return this.get(key);
    const path = sha(key);
    let { hash: h, ref } = this.rootNodeAt(version);
    for (let depth = 0; h !== ZERO; depth++) {
      const n = this.load(h, ref);
      if (n.kind === 0) return n.keyHash === path ? n.value : undefined;
      if (bit(path, depth) === 0) ({ left: h, lref: ref } = n);
      else ({ right: h, rref: ref } = n);
    }
    return undefined;
  }

  /**
   * Every entry of a past (or the latest) version, sorted by key. The tree places keys by hash, not
   * order, so this walks the version's whole tree: O(state) node reads, refused (throws) beyond
   * `maxNodes` visited nodes so an archive query cannot take the node down. Range queries at past
   * heights are served from it (App's HistoricalReader).
   */
  entriesAt(version: number, maxNodes = DEFAULT_MAX_WALK_NODES): [Bytes, Bytes][] {
    const out: [Bytes, Bytes][] = [];
    const root = this.rootNodeAt(version);
    const stack: (Hash | Ref)[] = [root.hash, root.ref]; // pairs: hash, ref
    const live: (Node | null | undefined)[] = [this.liveNodeAt(version)]; // the node itself when in memory
    let visited = 0;
    while (stack.length) {
      const ref = stack.pop()!;
      const h = stack.pop()!;
      const mem = live.pop();
      if (h === ZERO) continue;
      if (++visited > maxNodes) throw new TreeWalkLimitError(version, maxNodes);
      const n = mem ?? this.load(h, ref, false);
      if (n.kind === 0) out.push([fromLatin1(n.key), n.value]);
      else stack.push(n.right, n.rref, n.left, n.lref), live.push(n.r, n.l);
    }
    out.sort((a, b) => compareBytes(a[0], b[0]));
    return out;
  }

  /**
   * Proof of `key`'s value (membership) or absence (non-membership) in the tree of `version`
   * (default: latest). Check it with verifyProof(rootAt(version), key, value, proof).
   */
  prove(key: Bytes, version: number = this._version): MerkleProof {
    const path = sha(key);
    const siblings: Uint8Array[] = [];
    let { hash: h, ref } = this.rootNodeAt(version);
    let mem = this.liveNodeAt(version);
    for (let depth = 0; h !== ZERO; depth++) {
      const n = mem ?? this.load(h, ref);
      if (n.kind === 0) {
        if (n.keyHash === path) return { siblings };
        return { siblings, otherLeaf: { keyHash: fromLatin1(n.keyHash), valueHash: fromLatin1(sha(n.value)) } };
      }
      const b = bit(path, depth);
      siblings.push(fromLatin1(b === 0 ? n.right : n.left));
      if (b === 0) ({ left: h, lref: ref, l: mem } = n);
      else ({ right: h, rref: ref, r: mem } = n);
    }
    return { siblings };
  }

  /** The root node of `version` if it is the latest and in memory: reads then follow the live
   * tree's pointers as far as they go (and never attach what they read from the DB). */
  private liveNodeAt(version: number): Node | null | undefined {
    return version === this._version ? this.rootNode : undefined;
  }
}

/** First index in [lo, hi) whose path has bit `depth` = 1 (items are sorted by path). */
function splitIndex(items: readonly { keyHash: Hash }[], lo: number, hi: number, depth: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bit(items[mid]!.keyHash, depth) === 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Only the first commit of an empty store may name another version than the one staged (genesis
 * at an initial height): every node in it is new, so every Ref is the stage's own. */
function renameRefs(st: Staged, version: number): void {
  const prefix = refPrefix(version);
  const to = new Map<Ref, Ref>();
  for (let i = 0; i < st.nodes.length; i++) to.set(st.nodes[i]!.ref, refAt(prefix, i));
  const map = (r: Ref): Ref => to.get(r) ?? r;
  for (const n of st.nodes) {
    n.ref = map(n.ref);
    if (n.kind === 1) {
      n.lref = map(n.lref);
      n.rref = map(n.rref);
    }
  }
  st.rootRef = map(st.rootRef);
  st.version = version;
}

/** A stored root: 32 bytes of hash, then the root node's Ref unless the tree is empty; a legacy
 * root is the hash alone (its nodes are stored under their hashes). */
function parseRoot(r: Uint8Array): { hash: Hash; ref: Ref } {
  if (r.length !== 32 && r.length !== 32 + REF_BYTES) throw new Error('merkle store: corrupt root entry');
  const hash = latin1(r.subarray(0, 32));
  if (r.length > 32) return { hash, ref: latin1(r.subarray(32)) };
  return { hash, ref: hash === ZERO ? NO_REF : LEGACY };
}

/** A copy with its own exact-size memory, even for a Buffer (whose slice() is a view). */
const copyBytes = (b: Uint8Array): Uint8Array => Uint8Array.prototype.slice.call(b);


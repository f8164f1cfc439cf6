// A write-back cache branch over any KV reader: reads fall through to the parent, writes and
// deletes stay local until write() pushes them down, or changes() hands them to MerkleStore.stageChanges.
// Every tx runs on a branch of the block's branch, so a failed tx is dropped by forgetting its
// branch. This is the hot path of tx execution: point reads and writes are one Map operation on
// the key's latin1 string (string order = byte order), and that string is passed down through
// nested branches instead of being re-derived at every level.
import sortedBtree from 'sorted-btree';
import type { Bytes, KVReader, KVStore } from './kv.ts';
import { latin1, fromLatin1 } from './smt-hash.ts';

// sorted-btree is CommonJS with `exports.default`; Node's ESM import hands us module.exports.
const BTree = sortedBtree.default;
type BTree<K, V> = import('sorted-btree').default<K, V>;

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Below this many unindexed keys a scan indexes them (cheap at that size). */
const FILTER_MIN_KEYS = 1024;
/** Scans a branch answers by filtering before it builds the index: 20 filters cost about as much
 * as one build, so a branch scanned many times pays at most about twice the cheapest way. */
const FILTERED_SCANS_BEFORE_INDEX = 20;

/** Local entry: a value, or null for a delete that shadows the parent. */
type Entry = Bytes | null;

export class CacheKV implements KVStore {
  readonly parent: KVReader;
  // Point lookups hit the Map. Range scans need the local keys in order: a B-tree of them, built
  // at a scan and caught up lazily, from `unsorted`, at the next one (only the keys written since:
  // end blocks that scan once per item, e.g. one witness list per beacon, interleave thousands of
  // scans with a few writes each). But a block's branch holds every key the block wrote (tens of
  // thousands), and a typical end block scans small prefixes of it a dozen times: building the
  // index costs ~13 ms per 16,000 keys, filtering the Map for one range ~0.3 ms (most keys differ
  // from the bounds in their first bytes). So while many keys are unindexed (all of them, or those
  // written since a begin-block scan indexed a small branch), the first scans filter; a branch
  // scanned more often pays for the index once.
  private readonly local = new Map<string, Entry>();
  private sorted: BTree<string, true> | undefined;
  // Keys written since the index was last brought up to date (may repeat, may already be in it).
  // Writes only append here; maintaining the index on every write made every tx of a block pay
  // for it once any begin-block hook had scanned the block's branch.
  private unsorted: string[] = [];
  private filteredScans = 0;

  constructor(parent: KVReader) {
    this.parent = parent;
  }

  get(key: Bytes): Bytes | undefined {
    return this.getS(latin1(key));
  }

  getS(k: string): Bytes | undefined {
    const e = this.local.get(k);
    if (e !== undefined) return e ?? undefined;
    return this.parent.getS(k);
  }

  has(key: Bytes): boolean {
    return this.hasS(latin1(key));
  }

  hasS(k: string): boolean {
    const e = this.local.get(k);
    if (e !== undefined) return e !== null;
    return this.parent.hasS(k);
  }

  set(key: Bytes, value: Bytes): void {
    this.setS(latin1(key), value);
  }

  setS(k: string, value: Bytes): void {
    this.local.set(k, value);
    if (this.sorted !== undefined) this.unsorted.push(k);
  }

  delete(key: Bytes): void {
    this.deleteS(latin1(key));
  }

  deleteS(k: string): void {
    this.local.set(k, null);
    if (this.sorted !== undefined) this.unsorted.push(k);
  }

  /** Number of locally written keys (sets and deletes). */
  get size(): number {
    return this.local.size;
  }

  /** The local writes by latin1 key (null = delete), each key once, in no particular order (the
   * store orders them by path itself), for MerkleStore.stageChanges: the map itself, not a copy,
   * so it is only valid until the next write to this branch. */
  changes(): ReadonlyMap<string, Bytes | null> {
    return this.local;
  }

  /** Pushes the local writes into the parent (which must be a KVStore) and clears them. */
  write(): void {
    const parent = this.parent as Partial<KVStore>;
    if (typeof parent.setS !== 'function' || typeof parent.deleteS !== 'function') {
      throw new Error('CacheKV.write(): parent is read-only; hand changes() to MerkleStore.stageChanges instead');
    }
    // forEach, not for-of: no [key, value] array per entry on this per-tx path.
    const p = parent as KVStore;
    this.local.forEach((v, k) => {
      if (v === null) p.deleteS(k);
      else p.setS(k, v);
    });
    this.discard();
  }

  /** Drops the local writes. */
  discard(): void {
    this.local.clear();
    this.sorted = undefined;
    this.unsorted = [];
    this.filteredScans = 0;
  }

  /** The local keys, in order. */
  private index(): BTree<string, true> {
    if (this.sorted === undefined) {
      const keys = [...this.local.keys()].sort();
      this.sorted = new BTree<string, true>(undefined, byString);
      for (const k of keys) this.sorted.set(k, true);
    } else if (this.unsorted.length > 0) {
      for (const k of this.unsorted) this.sorted.set(k, true);
    }
    this.unsorted = [];
    return this.sorted;
  }

  /**
   * Local writes merged with the parent's entries, in byte order. The local entries in range are
   * snapshotted when the iterator is created, so writes to this branch while iterating (e.g.
   * deleting what was just read) do not disturb it; the parent is read lazily.
   */
  iterator(start: Bytes | undefined, end: Bytes | undefined, reverse = false): IterableIterator<[Bytes, Bytes]> {
    const lo = start === undefined ? undefined : latin1(start);
    const hi = end === undefined ? undefined : latin1(end);
    const locals: [string, Entry][] = [];
    if (lo !== undefined && hi !== undefined && lo >= hi) {
      // empty range
    } else if ((this.sorted === undefined ? this.local.size : this.unsorted.length) > FILTER_MIN_KEYS && this.filteredScans < FILTERED_SCANS_BEFORE_INDEX) {
      this.filteredScans++;
      this.local.forEach((v, k) => {
        if ((lo === undefined || k >= lo) && (hi === undefined || k < hi)) locals.push([k, v]);
      });
      locals.sort(reverse ? (a, b) => (a[0] < b[0] ? 1 : -1) : (a, b) => (a[0] < b[0] ? -1 : 1));
    } else {
      const t = this.index();
      if (!reverse) {
        for (const k of t.keys(lo)) {
          if (hi !== undefined && k >= hi) break;
          locals.push([k, this.local.get(k)!]);
        }
      } else {
        for (const [k] of t.entriesReversed(hi, undefined, true)) {
          if (lo !== undefined && k < lo) break;
          locals.push([k, this.local.get(k)!]);
        }
      }
    }
    if (locals.length === 0) return this.parent.iterator(start, end, reverse);
    return merge(locals, this.parent.iterator(start, end, reverse), reverse);
  }
}

function* merge(locals: [string, Entry][], parent: Iterator<[Bytes, Bytes]>, reverse: boolean): IterableIterator<[Bytes, Bytes]> {
  let p = parent.next();
  let pk = p.done ? undefined : latin1(p.value[0]);
  let i = 0;
  while (i < locals.length) {
    const [lk, lv] = locals[i]!;
    if (pk !== undefined && (reverse ? pk > lk : pk < lk)) {
      // The parent's entry comes first.
      yield p.value as [Bytes, Bytes];
      p = parent.next();
      pk = p.done ? undefined : latin1(p.value[0]);
      continue;
    }
    if (pk === lk) {
      // The local entry shadows the parent's.
      p = parent.next();
      pk = p.done ? undefined : latin1(p.value[0]);
    }
    i++;
    if (lv !== null) yield [fromLatin1(lk), lv];
  }
  while (!p.done) {
    yield p.value;
    p = parent.next();
  }
}

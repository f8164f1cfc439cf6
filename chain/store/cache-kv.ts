// A write-back cache branch over any KV reader: reads fall through to the parent, writes and
// deletes stay local until write() pushes them down, or writes() hands them (sorted) to
// MerkleStore.stage. Every tx runs on a branch of the block's branch, so a failed tx is dropped
// by forgetting its branch. This is the hot path of tx execution: point reads and writes are one
// Map operation on the key's latin1 string (string order = byte order), and that string is passed
// down through nested branches instead of being re-derived at every level.
import sortedBtree from 'sorted-btree';
import type { Bytes, KVReader, KVStore, Write } from './kv.ts';
import { latin1, fromLatin1 } from './smt-hash.ts';

// sorted-btree is CommonJS with `exports.default`; Node's ESM import hands us module.exports.
const BTree = sortedBtree.default;
type BTree<K, V> = import('sorted-btree').default<K, V>;

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Local entry: a value, or null for a delete that shadows the parent. */
type Entry = Bytes | null;

export class CacheKV implements KVStore {
  readonly parent: KVReader;
  // Point lookups hit the Map; the sorted index exists only once someone iterates, and catches
  // up with later writes lazily, from `unsorted`, at the next iteration.
  private readonly local = new Map<string, Entry>();
  private sorted: BTree<string, Entry> | undefined;
  // Keys written since the sorted index was last brought up to date. Writes only append here; the
  // next iteration merges them. (Maintaining the B-tree on every write made every tx of a block
  // pay string-compare inserts once any begin-block hook had iterated the block's branch.)
  private unsorted: string[] = [];

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

  /** The local writes in ascending key order (undefined value = delete). */
  writes(): Write[] {
    const out: Write[] = [];
    if (this.sorted !== undefined && this.unsorted.length === 0) {
      this.sorted.forEachPair((k, v) => void out.push([fromLatin1(k), v ?? undefined]));
      return out;
    }
    const keys = [...this.local.keys()].sort();
    for (const k of keys) out.push([fromLatin1(k), this.local.get(k) ?? undefined]);
    return out;
  }

  /** Pushes the local writes into the parent (which must be a KVStore) and clears them. */
  write(): void {
    const parent = this.parent as Partial<KVStore>;
    if (typeof parent.setS !== 'function' || typeof parent.deleteS !== 'function') {
      throw new Error('CacheKV.write(): parent is read-only; hand writes() to MerkleStore.stage instead');
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
  }

  private index(): BTree<string, Entry> {
    if (this.sorted === undefined) {
      const keys = [...this.local.keys()].sort();
      this.sorted = new BTree<string, Entry>(undefined, byString);
      for (const k of keys) this.sorted.set(k, this.local.get(k)!);
    } else if (this.unsorted.length > 0) {
      for (const k of this.unsorted) this.sorted.set(k, this.local.get(k)!);
      this.unsorted = [];
    }
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
    if (lo === undefined || hi === undefined || lo < hi) {
      const t = this.index();
      if (!reverse) {
        for (const [k, v] of t.entries(lo)) {
          if (hi !== undefined && k >= hi) break;
          locals.push([k, v]);
        }
      } else {
        for (const [k, v] of t.entriesReversed(hi, undefined, true)) {
          if (lo !== undefined && k < lo) break;
          locals.push([k, v]);
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

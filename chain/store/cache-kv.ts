// A write-back cache branch over any KV reader: reads fall through to the parent, writes and
// deletes stay local until write() pushes them down (or writes() hands them to the Merkle store).
// Every tx runs on one of these, so a failed tx leaves its parent untouched.
import sortedBtree from 'sorted-btree';
import type { Bytes, KVReader, KVStore, Write } from './kv.ts';

// sorted-btree is CommonJS with `exports.default`; Node's ESM import hands us module.exports.
const BTree = sortedBtree.default;
type BTree<K, V> = import('sorted-btree').default<K, V>;

const key = (b: Bytes): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const bytes = (s: string): Bytes => Buffer.from(s, 'latin1');

/** Local entry: a value, or null for a delete that shadows the parent. */
type Entry = Bytes | null;

export class CacheKV implements KVStore {
  readonly parent: KVReader;
  // Point lookups hit the Map; the sorted tree is built only when someone iterates.
  private readonly local = new Map<string, Entry>();
  private sorted: BTree<string, Entry> | undefined;

  constructor(parent: KVReader) {
    this.parent = parent;
  }

  get(k: Bytes): Bytes | undefined {
    const e = this.local.get(key(k));
    if (e !== undefined) return e ?? undefined;
    return this.parent.get(k);
  }

  has(k: Bytes): boolean {
    const e = this.local.get(key(k));
    if (e !== undefined) return e !== null;
    return this.parent.has(k);
  }

  set(k: Bytes, v: Bytes): void {
    const s = key(k);
    this.local.set(s, v);
    this.sorted?.set(s, v);
  }

  delete(k: Bytes): void {
    const s = key(k);
    this.local.set(s, null);
    this.sorted?.set(s, null);
  }

  /** Number of locally written keys (sets and deletes). */
  get size(): number {
    return this.local.size;
  }

  /** The local writes in ascending key order (undefined value = delete). */
  writes(): Write[] {
    return [...this.local.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]): Write => [bytes(k), v ?? undefined]);
  }

  /** Pushes the local writes into the parent (which must be writable) and clears them. */
  write(): void {
    const parent = this.parent as KVStore;
    for (const [k, v] of this.local) {
      if (v === null) parent.delete(bytes(k));
      else parent.set(bytes(k), v);
    }
    this.local.clear();
    this.sorted = undefined;
  }

  private tree(): BTree<string, Entry> {
    if (!this.sorted) {
      this.sorted = new BTree<string, Entry>();
      for (const [k, v] of this.local) this.sorted.set(k, v);
    }
    return this.sorted;
  }

  *iterator(start: Bytes | undefined, end: Bytes | undefined, reverse = false): IterableIterator<[Bytes, Bytes]> {
    const lo = start ? key(start) : undefined;
    const hi = end ? key(end) : undefined;
    const inRange = (s: string) => (lo === undefined || s >= lo) && (hi === undefined || s < hi);
    // Snapshot the local entries in range so writes during iteration cannot corrupt it.
    const locals: [string, Entry][] = [];
    const t = this.tree();
    if (!reverse) {
      for (const [k, v] of t.entries(lo)) {
        if (hi !== undefined && k >= hi) break;
        locals.push([k, v]);
      }
    } else {
      for (const [k, v] of t.entriesReversed(hi)) {
        if (hi !== undefined && k >= hi) continue;
        if (lo !== undefined && k < lo) break;
        locals.push([k, v]);
      }
    }
    const parentIt = this.parent.iterator(start, end, reverse)[Symbol.iterator]();
    let p = parentIt.next();
    let i = 0;
    const before = (a: string, b: string) => (reverse ? a > b : a < b);
    while (!p.done || i < locals.length) {
      const pk = p.done ? undefined : key(p.value[0]);
      const l = locals[i];
      if (l && (pk === undefined || before(l[0], pk) || l[0] === pk)) {
        if (pk !== undefined && l[0] === pk) p = parentIt.next(); // local shadows parent
        i++;
        if (l[1] !== null && inRange(l[0])) yield [bytes(l[0]), l[1]];
      } else {
        yield p.value as [Bytes, Bytes];
        p = parentIt.next();
      }
    }
  }
}

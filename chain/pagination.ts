// cosmos.base.query.v1beta1 pagination over a store iterator: key-based (next_key) or
// offset-based, with an optional total count, like the SDK's query.Paginate.
import { u64, type U64 } from './codec/proto.ts';
import type { Bytes, KVReader } from './store/kv.ts';
import { prefixEnd } from './store/kv.ts';
import { ErrInvalidRequest } from './errors.ts';

export interface PageRequest {
  key?: Uint8Array | null;
  offset?: U64 | null;
  limit?: U64 | null;
  countTotal?: boolean | null;
  reverse?: boolean | null;
}

export interface PageResponse {
  nextKey: Uint8Array;
  total: string;
}

export const DEFAULT_LIMIT = 100n;
export const MAX_LIMIT = 1000n;

/** A PageRequest's fields, validated, with the SDK's defaults and bounds. */
function pageParams(req: PageRequest | null | undefined) {
  const key = req?.key && req.key.length > 0 ? req.key : undefined;
  const offset = u64(req?.offset);
  if (key && offset > 0n) throw ErrInvalidRequest.wrap('paginate: invalid request, either offset or key is expected, got both');
  let limit = u64(req?.limit);
  if (limit === 0n) limit = DEFAULT_LIMIT;
  if (limit > MAX_LIMIT) limit = MAX_LIMIT;
  return { key, offset, limit, reverse: !!req?.reverse, countTotal: !!req?.countTotal && !key };
}

/** Takes items in page order: skips `offset`, keeps `limit`, notes the next key, counts the total. */
class PageCollector<T> {
  readonly items: T[] = [];
  private nextKey: Uint8Array = new Uint8Array();
  private seen = 0n;
  private readonly p: ReturnType<typeof pageParams>;
  constructor(p: ReturnType<typeof pageParams>) {
    this.p = p;
  }

  /** Offers the next item (made only if the page keeps it); false: stop walking. */
  offer(item: () => T, key: () => Uint8Array): boolean {
    if (this.seen < this.p.offset) {
      this.seen++;
      return true;
    }
    if (BigInt(this.items.length) >= this.p.limit) {
      if (!this.nextKey.length) this.nextKey = key();
      if (!this.p.countTotal) return false;
      this.seen++;
      return true;
    }
    this.items.push(item());
    this.seen++;
    return true;
  }

  result(): { items: T[]; page: PageResponse } {
    return { items: this.items, page: { nextKey: this.nextKey, total: this.p.countTotal ? this.seen.toString() : '0' } };
  }
}

/**
 * Pages through entries under `prefix`, returning the mapped values and the page response.
 * `next_key` is relative to the prefix, as in the SDK. With `filtered`, `map` may return
 * undefined to skip an entry (the SDK's FilteredPaginate): offsets, limits and totals then count
 * only the entries kept, so `map` runs on every entry scanned; otherwise only on the page's.
 */
export function paginate<T>(store: KVReader, prefix: Bytes, req: PageRequest | null | undefined, map: (key: Bytes, value: Bytes) => T | undefined, opts: { filtered?: boolean } = {}): { items: T[]; page: PageResponse } {
  const p = pageParams(req);
  const full = (k: Bytes) => {
    const out = new Uint8Array(prefix.length + k.length);
    out.set(prefix, 0);
    out.set(k, prefix.length);
    return out;
  };
  let start: Bytes | undefined = prefix;
  let end: Bytes | undefined = prefixEnd(prefix);
  if (p.key) {
    if (p.reverse) end = prefixEnd(full(p.key)) ?? end; // inclusive of key in reverse
    else start = full(p.key);
  }
  const page = new PageCollector<T>(p);
  for (const [k, v] of store.iterator(start, end, p.reverse)) {
    const rel = k.subarray(prefix.length);
    let item: T | undefined;
    if (opts.filtered) {
      item = map(rel, v);
      if (item === undefined) continue;
    }
    if (!page.offer(() => (opts.filtered ? item! : map(rel, v)!), () => Uint8Array.from(rel))) break;
  }
  return page.result();
}

/**
 * The same pagination over items that are not a store range (e.g. a linked chain of records):
 * `walk(from)` yields them in page order starting at the item whose key is `from` (all when
 * undefined); `keyOf` gives an item's `next_key`.
 */
export function paginateSequence<T>(req: PageRequest | null | undefined, walk: (from: Uint8Array | undefined) => Iterable<T>, keyOf: (item: T) => Uint8Array): { items: T[]; page: PageResponse } {
  const p = pageParams(req);
  const page = new PageCollector<T>(p);
  for (const item of walk(p.key)) if (!page.offer(() => item, () => keyOf(item))) break;
  return page.result();
}

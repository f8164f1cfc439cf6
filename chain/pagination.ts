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

/**
 * Pages through entries under `prefix`, returning the mapped values and the page response.
 * `next_key` is relative to the prefix, as in the SDK. With `filtered`, `map` may return
 * undefined to skip an entry (the SDK's FilteredPaginate): offsets, limits and totals then count
 * only the entries kept, so `map` runs on every entry scanned; otherwise only on the page's.
 */
export function paginate<T>(store: KVReader, prefix: Bytes, req: PageRequest | null | undefined, map: (key: Bytes, value: Bytes) => T | undefined, opts: { filtered?: boolean } = {}): { items: T[]; page: PageResponse } {
  const key = req?.key && req.key.length > 0 ? req.key : undefined;
  const offset = u64(req?.offset);
  if (key && offset > 0n) throw ErrInvalidRequest.wrap('paginate: invalid request, either offset or key is expected, got both');
  let limit = u64(req?.limit);
  if (limit === 0n) limit = DEFAULT_LIMIT;
  if (limit > MAX_LIMIT) limit = MAX_LIMIT;
  const reverse = !!req?.reverse;
  const countTotal = !!req?.countTotal && !key;

  const full = (k: Bytes) => {
    const out = new Uint8Array(prefix.length + k.length);
    out.set(prefix, 0);
    out.set(k, prefix.length);
    return out;
  };
  let start: Bytes | undefined = prefix;
  let end: Bytes | undefined = prefixEnd(prefix);
  if (key) {
    if (reverse) end = prefixEnd(full(key)) ?? end; // inclusive of key in reverse
    else start = full(key);
  }
  const items: T[] = [];
  let nextKey: Uint8Array = new Uint8Array();
  let seen = 0n;
  for (const [k, v] of store.iterator(start, end, reverse)) {
    const rel = k.subarray(prefix.length);
    let item: T | undefined;
    if (opts.filtered) {
      item = map(rel, v);
      if (item === undefined) continue;
    }
    if (seen < offset) {
      seen++;
      continue;
    }
    if (BigInt(items.length) >= limit) {
      if (!nextKey.length) nextKey = Uint8Array.from(rel);
      if (!countTotal) break;
      seen++;
      continue;
    }
    items.push(opts.filtered ? item! : map(rel, v)!);
    seen++;
  }
  return { items, page: { nextKey, total: countTotal ? seen.toString() : '0' } };
}

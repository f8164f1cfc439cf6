// Key/value plumbing for views in the index LevelDB: order-preserving key encoding, a per-block
// write overlay that feeds the block's atomic batch (reads see the block's own earlier writes), a
// read cache of committed values (the indexer thread is the only writer), and Cosmos-style
// pagination over key ranges for the read side.
import type { AbstractLevel, AbstractChainedBatch } from 'abstract-level';
import { u64be as u64, readU64 } from '../../../chain/codec/bytes.ts';

export type DB = AbstractLevel<any, Uint8Array, Uint8Array>;
export type Batch = AbstractChainedBatch<any, Uint8Array, Uint8Array>;
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;

/** Every view's keys start with 'v' ‖ lp(view name): the tx index uses other first bytes. */
export const VIEW_PREFIX = 0x76;

// ------------------------------------------------------------------ key parts (big-endian, so
// byte order is numeric order and ranges are prefix scans)

export const u8 = (n: number): Uint8Array => Uint8Array.of(n & 0xff);

export function u32(n: number): Uint8Array {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

// Big-endian u64, range-checked: an out-of-range id must not wrap onto another device's key.
export { u64, readU64 };

/** A length-prefixed UTF-8 string (so "ab" + x never collides with "a" + y). */
export function str(s: string): Uint8Array {
  const len = Buffer.byteLength(s);
  if (len > 0xffff) throw new Error('key string too long');
  const out = Buffer.allocUnsafe(2 + len);
  out.writeUInt16BE(len, 0);
  out.write(s, 2, 'utf8');
  return out;
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

export const readU32 = (b: Uint8Array, at = 0): number => new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0);

/** The smallest key greater than every key starting with `p`. */
export function prefixEnd(p: Uint8Array): Uint8Array {
  const out = Uint8Array.from(p);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export const jsonBytes = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
export const parseJson = <T>(b: Uint8Array | undefined): T | undefined => (b ? (JSON.parse(dec.decode(b)) as T) : undefined);

export function viewPrefix(name: string): Uint8Array {
  return cat(u8(VIEW_PREFIX), str(name));
}

const hexKey = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1');

// ------------------------------------------------------------------ read cache

/** Committed values by key (undefined = known absent), bounded; the writer keeps it exact. */
export class ReadCache {
  private readonly map = new Map<string, Uint8Array | undefined>();
  readonly max: number;
  constructor(max = 200_000) {
    this.max = max;
  }
  has(k: string): boolean {
    return this.map.has(k);
  }
  get(k: string): Uint8Array | undefined {
    return this.map.get(k);
  }
  set(k: string, v: Uint8Array | undefined): void {
    if (this.map.size >= this.max && !this.map.has(k)) {
      // Drop the oldest tenth: cheap, and hot keys (coarse coverage cells, counters) are re-read.
      let n = Math.ceil(this.max / 10);
      for (const key of this.map.keys()) {
        this.map.delete(key);
        if (--n === 0) break;
      }
    }
    this.map.set(k, v);
  }
  clear(): void {
    this.map.clear();
  }
}

// ------------------------------------------------------------------ writing one block

/**
 * The writes of one block: reads see this block's earlier writes, then the read cache, then the
 * DB; `flush` appends everything to the block's batch (written atomically with the tx index).
 */
export class BlockWriter {
  readonly db: DB;
  readonly height: bigint;
  private readonly cache: ReadCache;
  private readonly overlay = new Map<string, { key: Uint8Array; value: Uint8Array | undefined }>();

  constructor(db: DB, height: bigint, cache: ReadCache) {
    this.db = db;
    this.height = height;
    this.cache = cache;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const k = hexKey(key);
    const o = this.overlay.get(k);
    if (o) return o.value;
    if (this.cache.has(k)) return this.cache.get(k);
    const v = await this.db.get(key, VIEW);
    this.cache.set(k, v);
    return v;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.overlay.set(hexKey(key), { key, value });
  }

  /** Loads many keys in one native call (reducers call it with every key a block will read:
   * one getMany instead of an await per key). */
  async prefetch(keys: readonly Uint8Array[]): Promise<void> {
    const missing: Uint8Array[] = [];
    const seen = new Set<string>();
    for (const key of keys) {
      const k = hexKey(key);
      if (seen.has(k) || this.overlay.has(k) || this.cache.has(k)) continue;
      seen.add(k);
      missing.push(key);
    }
    if (!missing.length) return;
    const values = await this.db.getMany(missing, VIEW);
    missing.forEach((key, i) => this.cache.set(hexKey(key), values[i]));
  }

  del(key: Uint8Array): void {
    this.overlay.set(hexKey(key), { key, value: undefined });
  }

  async getJson<T>(key: Uint8Array): Promise<T | undefined> {
    return parseJson<T>(await this.get(key));
  }

  putJson(key: Uint8Array, v: unknown): void {
    this.put(key, jsonBytes(v));
  }

  /** Keys under `prefix` as committed before this block, plus this block's puts, minus its deletes. */
  async keysUnder(prefix: Uint8Array, limit = Infinity): Promise<Uint8Array[]> {
    const seen = new Map<string, Uint8Array>();
    for await (const k of this.db.keys({ gte: prefix, lt: prefixEnd(prefix), limit: Number.isFinite(limit) ? limit : -1, ...VIEW })) seen.set(hexKey(k), k);
    for (const [hk, o] of this.overlay) {
      if (!startsWith(o.key, prefix)) continue;
      if (o.value === undefined) seen.delete(hk);
      else seen.set(hk, o.key);
    }
    return [...seen.values()].sort(Buffer.compare as (a: Uint8Array, b: Uint8Array) => number);
  }

  flush(batch: Batch): void {
    for (const { key, value } of this.overlay.values()) {
      if (value === undefined) batch.del(key, VIEW);
      else batch.put(key, value, VIEW);
    }
  }

  /** After the batch is durably written: committed values enter the read cache. */
  committed(): void {
    for (const [k, { value }] of this.overlay) this.cache.set(k, value);
  }
}

export function startsWith(k: Uint8Array, p: Uint8Array): boolean {
  if (k.length < p.length) return false;
  for (let i = 0; i < p.length; i++) if (k[i] !== p[i]) return false;
  return true;
}

/** A view's key space inside the block writer: every key is prefixed with the view's prefix. */
export class ViewWriter {
  readonly w: BlockWriter;
  readonly prefix: Uint8Array;
  constructor(w: BlockWriter, prefix: Uint8Array) {
    this.w = w;
    this.prefix = prefix;
  }
  get height(): bigint {
    return this.w.height;
  }
  key(...parts: Uint8Array[]): Uint8Array {
    return cat(this.prefix, ...parts);
  }
  get(...parts: Uint8Array[]): Promise<Uint8Array | undefined> {
    return this.w.get(this.key(...parts));
  }
  getJson<T>(...parts: Uint8Array[]): Promise<T | undefined> {
    return this.w.getJson<T>(this.key(...parts));
  }
  put(value: Uint8Array, ...parts: Uint8Array[]): void {
    this.w.put(this.key(...parts), value);
  }
  putJson(value: unknown, ...parts: Uint8Array[]): void {
    this.w.putJson(this.key(...parts), value);
  }
  del(...parts: Uint8Array[]): void {
    this.w.del(this.key(...parts));
  }
  /** Reads these keys (each given as its parts) ahead, in one batch. */
  prefetch(keys: readonly Uint8Array[][]): Promise<void> {
    return this.w.prefetch(keys.map((parts) => this.key(...parts)));
  }
  /** Adds `delta` to a u64 counter (absent = 0), returning the new value. */
  async add(delta: bigint, ...parts: Uint8Array[]): Promise<bigint> {
    const k = this.key(...parts);
    const v = await this.w.get(k);
    const n = (v ? readU64(v) : 0n) + delta;
    if (n < 0n) throw new Error(`view counter below zero at ${Buffer.from(k).toString('hex')}`);
    if (n === 0n) this.w.del(k);
    else this.w.put(k, u64(n));
    return n;
  }
}

// ------------------------------------------------------------------ reading

export interface PageRequest {
  key?: Uint8Array;
  offset?: number;
  limit?: number;
  countTotal?: boolean;
  reverse?: boolean;
}

export interface PageResponse {
  /** base64 of the key to pass as pagination.key for the next page; null on the last page. */
  next_key: string | null;
  /** Total entries when count_total was asked (and no key given), else "0" as the SDK does. */
  total: string;
  /** Set when a filtered scan stopped at its scan limit: the page may hold fewer than `limit`
   * items, `next_key` continues the scan, and `total` counts only what was scanned. */
  scan_limited?: true;
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 1000;

export class PageRequestError extends Error {}

/** Iterates a key range in batches (one native call per 256 entries, not one per entry). */
async function* entries(db: DB, range: { gte: Uint8Array; lt: Uint8Array; reverse: boolean; limit?: number }): AsyncGenerator<[Uint8Array, Uint8Array]> {
  const it = db.iterator({ ...range, ...VIEW });
  try {
    for (;;) {
      const batch = await it.nextv(256);
      if (batch.length === 0) return;
      for (const e of batch) yield e as [Uint8Array, Uint8Array];
    }
  } finally {
    await it.close();
  }
}

/** A view's key space for queries. */
export class ViewReader {
  readonly db: DB;
  readonly prefix: Uint8Array;
  constructor(db: DB, prefix: Uint8Array) {
    this.db = db;
    this.prefix = prefix;
  }
  key(...parts: Uint8Array[]): Uint8Array {
    return cat(this.prefix, ...parts);
  }
  get(...parts: Uint8Array[]): Promise<Uint8Array | undefined> {
    return this.db.get(this.key(...parts), VIEW);
  }
  async getJson<T>(...parts: Uint8Array[]): Promise<T | undefined> {
    return parseJson<T>(await this.get(...parts));
  }
  async counter(...parts: Uint8Array[]): Promise<bigint> {
    const v = await this.get(...parts);
    return v ? readU64(v) : 0n;
  }
  /** Entries under a sub-prefix in key order (keys relative to that sub-prefix). */
  async *range(sub: Uint8Array, opts: { gte?: Uint8Array; lte?: Uint8Array; reverse?: boolean; limit?: number } = {}): AsyncGenerator<[Uint8Array, Uint8Array]> {
    const p = this.key(sub);
    const gte = opts.gte ? cat(p, opts.gte) : p;
    const lt = opts.lte ? prefixEnd(cat(p, opts.lte)) : prefixEnd(p);
    for await (const [k, v] of entries(this.db, { gte, lt, reverse: !!opts.reverse, limit: opts.limit ?? -1 })) {
      yield [k.subarray(p.length), v];
    }
  }

  /**
   * Cosmos query.Paginate over the entries under `sub`: key-based (pagination.key = next_key of
   * the previous page) or offset-based, optional count_total, reverse. `accept` filters entries
   * (offset, limit and total then count accepted entries); `map` turns an entry into an item.
   */
  async paginate<T>(
    sub: Uint8Array, req: PageRequest, map: (key: Uint8Array, value: Uint8Array) => Promise<T | undefined> | T | undefined,
    opts: { maxScan?: number; from?: Uint8Array; to?: Uint8Array; maxLimit?: number } = {},
  ): Promise<{ items: T[]; pagination: PageResponse }> {
    const key = req.key && req.key.length ? req.key : undefined;
    const offset = req.offset ?? 0;
    if (key && offset > 0) throw new PageRequestError('invalid request, either offset or key is expected, got both');
    let limit = req.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0 || !Number.isInteger(offset) || offset < 0) throw new PageRequestError('pagination limit and offset must be non-negative integers');
    if (limit === 0) limit = DEFAULT_PAGE_LIMIT;
    if (limit > (opts.maxLimit ?? MAX_PAGE_LIMIT)) limit = opts.maxLimit ?? MAX_PAGE_LIMIT;
    const countTotal = !!req.countTotal && !key;
    const reverse = !!req.reverse;
    const p = this.key(sub);
    // opts.from / opts.to: relative bounds [from, to) inside the sub-prefix.
    let gte: Uint8Array = opts.from ? cat(p, opts.from) : p;
    let lt: Uint8Array = opts.to ? cat(p, opts.to) : prefixEnd(p);
    if (key) {
      const k = cat(p, key);
      if (reverse) {
        const end = prefixEnd(k);
        if (Buffer.compare(end, lt) < 0) lt = end;
      } else if (Buffer.compare(k, gte) > 0) gte = k;
    }
    const items: T[] = [];
    let nextKey: Uint8Array | undefined;
    let seen = 0;
    let scanned = 0;
    let limited = false;
    const maxScan = opts.maxScan ?? Infinity;
    // Batched reads, and no await for maps that answer synchronously (most do).
    const it = this.db.iterator({ gte, lt, reverse, ...VIEW });
    try {
      scan: for (;;) {
        const batch = await it.nextv(256);
        if (batch.length === 0) break;
        for (const [k, v] of batch as [Uint8Array, Uint8Array][]) {
          const rel = k.subarray(p.length);
          if (++scanned > maxScan) {
            // Not silently short: the caller learns where to resume.
            limited = true;
            nextKey ??= Uint8Array.from(rel);
            break scan;
          }
          const m = map(rel, v);
          const item = m instanceof Promise ? await m : m;
          if (item === undefined) continue;
          if (items.length >= limit) {
            // Past the page: remember where the next one starts, then only count (if asked).
            if (!nextKey) nextKey = Uint8Array.from(rel);
            seen++;
            if (!countTotal) break scan;
            continue;
          }
          if (seen++ < offset) continue;
          items.push(item);
        }
      }
    } finally {
      await it.close();
    }
    const pagination: PageResponse = { next_key: nextKey ? Buffer.from(nextKey).toString('base64') : null, total: countTotal ? String(seen) : '0' };
    if (limited) pagination.scan_limited = true;
    return { items, pagination };
  }
}

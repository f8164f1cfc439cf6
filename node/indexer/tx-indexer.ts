// The tx indexer behind `tx` and `tx_search`: every tx by (height, index) and by hash, and each
// indexed event attribute's value as a per-block posting list, in LevelDB. One atomic batch per
// block also records the last indexed height, so a crash leaves the index before or after a
// block, and re-indexing is idempotent.
import type { AbstractLevel, AbstractChainedBatch } from 'abstract-level';
import { codec, i64 } from '../../chain/codec/proto.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { encodeBlockResults, forEachIndexedAttribute, txResultSpans } from '../store/results-codec.ts';
import type { Event } from '../../chain/events.ts';
import { parseQuery, matchEvents, matchValue, flattenEvents, type Condition, type Query } from './query.ts';
import { u64be as u64 } from '../../chain/codec/bytes.ts';

type DB = AbstractLevel<any, Uint8Array, Uint8Array>;
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;

export interface EventAttribute {
  key: string;
  value: string;
  index: boolean;
}

export interface TxEvent {
  type: string;
  attributes: EventAttribute[];
}

export interface IndexedTxRecord {
  hash: string; // uppercase hex
  height: bigint;
  index: number;
  tx: Uint8Array;
  result: { code: number; codespace: string; log: string; info: string; data: Uint8Array; gasWanted: bigint; gasUsed: bigint; events: TxEvent[] };
}

export class PageError extends Error {}

const TxRecordCodec = codec<{ height: unknown; index: number; tx: Uint8Array; result: { code: number; data: Uint8Array; log: string; info: string; gasWanted: unknown; gasUsed: unknown; events: Event[]; codespace: string } }>('depin.types.v1.TxRecord');

const dec = new TextDecoder();
// Layout (format 2). Records are keyed by position so searches read them without a hash hop;
// attribute entries are posting lists, one per (attribute, value, block): a value shared by many
// txs of a block (an action, a fee collector, a popular recipient) costs one write, not one per tx.
const T_POS = 0x70; // 'p' height(8) index(4) -> TxRecord
const T_HASH = 0x78; // 'x' hash(32) -> height(8) index(4)
const T_ATTR = 0x61; // 'a' len key, key, len value, value, height(8) -> u32 BE tx indices
/** The first byte of each kind of key the tx index writes (views use others). */
export const TX_INDEX_KEY_KINDS = { record: T_POS, hash: T_HASH, attribute: T_ATTR } as const;
const LAST = Uint8Array.of(0x4c); // 'L' -> last indexed height
const VERSION = Uint8Array.of(0x56); // 'V' -> format version
const FORMAT = 2;
/** Format of the tx index's own keys (block-indexer.ts adds the views' versions). */
export const TX_INDEX_FORMAT = FORMAT;

function cat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** Attributes not worth an index entry: unique per tx (signature) or never searched alone. */
export const DEFAULT_INDEX_EXCLUDE = ['tx.signature', '*.msg_index'];

function lenPrefixed(s: string): Buffer {
  const len = Buffer.byteLength(s);
  const out = Buffer.allocUnsafe(2 + len);
  out.writeUInt16BE(len, 0);
  out.write(s, 2, 'utf8');
  return out;
}

/** A string holding raw bytes (one char per byte) as a length-prefixed key part. */
function lenPrefixedLatin1(s: string): Buffer {
  const out = Buffer.allocUnsafe(2 + s.length);
  out.writeUInt16BE(s.length, 0);
  out.write(s, 2, 'latin1');
  return out;
}

const utf8AsLatin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

function posKey(height: bigint, index: number): Buffer {
  const b = Buffer.allocUnsafe(13);
  b[0] = T_POS;
  b.writeBigUInt64BE(height, 1);
  b.writeUInt32BE(index, 9);
  return b;
}

function nextPrefix(p: Uint8Array): Uint8Array {
  const out = Uint8Array.from(p);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return Uint8Array.of(0xff, 0xff, 0xff, 0xff);
}

function varint(n: number, out: number[]): void {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

/** A TxRecord assembled from already-encoded parts (no re-encoding of the result). */
function txRecordBytes(height: bigint, index: number, tx: Uint8Array, result: Buffer, rs: number, re: number): Buffer {
  const head: number[] = [];
  if (height) {
    head.push(0x08);
    varint(Number(height), head);
  }
  if (index) {
    head.push(0x10);
    varint(index, head);
  }
  head.push(0x1a);
  varint(tx.length, head);
  const mid: number[] = [0x22];
  varint(re - rs, mid);
  const out = Buffer.allocUnsafe(head.length + tx.length + mid.length + (re - rs));
  let o = 0;
  for (const b of head) out[o++] = b;
  out.set(tx, o);
  o += tx.length;
  for (const b of mid) out[o++] = b;
  result.copy(out, o, rs, re);
  return out;
}

interface Candidate {
  height: bigint;
  index: number;
}

const posId = (c: Candidate) => `${c.height}/${c.index}`;

export class TxIndexer {
  readonly db: DB;
  private readonly excludeKeys: Set<string>;
  private readonly excludeAttrs: Set<string>;

  /** `exclude`: composite keys ("tx.signature") or "*.attr" never written to the attribute index
   * (they stay in the stored events, so subscriptions and results still show them). */
  constructor(db: AbstractLevel<any, any, any>, exclude: readonly string[] = DEFAULT_INDEX_EXCLUDE) {
    this.db = db as DB;
    // Compared against raw attribute bytes (see forEachIndexedAttribute), hence latin1 forms.
    this.excludeKeys = new Set(exclude.filter((k) => !k.startsWith('*.')).map(utf8AsLatin1));
    this.excludeAttrs = new Set(exclude.filter((k) => k.startsWith('*.')).map((k) => utf8AsLatin1(k.slice(2))));
  }

  /** Opens the index; one written in an older format is cleared, and the node rebuilds it from
   * the block store (it is a derived view). */
  async init(): Promise<void> {
    const v = await this.db.get(VERSION);
    if (v && v.length === 1 && v[0] === FORMAT) return;
    await this.db.clear();
    await this.db.put(VERSION, Uint8Array.of(FORMAT));
  }

  async lastHeight(): Promise<bigint> {
    const v = await this.db.get(LAST);
    return v ? new DataView(v.buffer, v.byteOffset).getBigUint64(0) : 0n;
  }

  /**
   * Indexes a block from its txs and its encoded depin.types.v1.BlockResults (the bytes the block
   * store keeps): one atomic batch that also records the height, so a crash leaves the index at a
   * block boundary and re-indexing a block writes the same keys again.
   */
  async indexEncodedBlock(height: bigint, txs: readonly Uint8Array[], resultsBytes: Uint8Array): Promise<void> {
    // A native chained batch: each put goes straight to LevelDB (the array form clones every op).
    const batch = this.db.batch();
    this.writeBlock(batch, height, txs, resultsBytes);
    batch.put(LAST, u64(height), VIEW);
    await batch.write();
  }

  /** Adds a block's tx records and attribute postings to `batch` (the caller records the height
   * and writes the batch: block-indexer.ts adds the views to the same batch). */
  writeBlock(batch: AbstractChainedBatch<any, Uint8Array, Uint8Array>, height: bigint, txs: readonly Uint8Array[], resultsBytes: Uint8Array): void {
    const results = Buffer.isBuffer(resultsBytes) ? resultsBytes : Buffer.from(resultsBytes.buffer, resultsBytes.byteOffset, resultsBytes.byteLength);
    const spans = txResultSpans(results);
    if (spans.length !== txs.length) throw new Error(`block ${height}: ${txs.length} txs but ${spans.length} results`);
    const put = (key: Uint8Array, value: Uint8Array) => batch.put(key, value, VIEW);
    // composite key ("type.key") -> value -> tx indices, all as latin1 strings of raw UTF-8 bytes
    const postings = new Map<string, Map<string, number[]>>();
    const hb = u64(height);
    let i = 0;
    const add = (type: string, key: string, value: string) => {
      if (this.excludeAttrs.has(key)) return;
      const k = `${type}.${key}`;
      let byValue = postings.get(k);
      if (!byValue) {
        if (this.excludeKeys.has(k)) return;
        byValue = new Map();
        postings.set(k, byValue);
      }
      const list = byValue.get(value);
      if (!list) byValue.set(value, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    };
    for (; i < txs.length; i++) {
      const tx = txs[i]!;
      const [rs, re] = spans[i]!;
      const pk = posKey(height, i);
      put(pk, txRecordBytes(height, i, tx, results, rs, re));
      put(cat(Uint8Array.of(T_HASH), sha256(tx)), pk.subarray(1));
      forEachIndexedAttribute(results, rs, re, add);
    }
    for (const [k, byValue] of postings) {
      const kb = lenPrefixedLatin1(k);
      for (const [v, list] of byValue) {
        const vb = lenPrefixedLatin1(v);
        const key = Buffer.allocUnsafe(1 + kb.length + vb.length + 8);
        key[0] = T_ATTR;
        kb.copy(key, 1);
        vb.copy(key, 1 + kb.length);
        key.set(hb, 1 + kb.length + vb.length);
        const value = Buffer.allocUnsafe(4 * list.length);
        for (let j = 0; j < list.length; j++) value.writeUInt32BE(list[j]!, 4 * j);
        put(key, value);
      }
    }
  }

  /** Indexes decoded records (tests, tools): encodes their results the way the node does. */
  async indexBlock(height: bigint, txs: readonly IndexedTxRecord[]): Promise<void> {
    await this.indexEncodedBlock(height, txs.map((t) => t.tx), encodeBlockResults(height, txs.map((t) => t.result), [], new Uint8Array()));
  }

  async getByHash(hash: string): Promise<IndexedTxRecord | undefined> {
    if (!/^[0-9a-fA-F]{64}$/.test(hash)) return undefined;
    const pos = await this.db.get(cat(Uint8Array.of(T_HASH), Buffer.from(hash, 'hex')));
    if (!pos) return undefined;
    const dv = new DataView(pos.buffer, pos.byteOffset, 12);
    return this.getByPos({ height: dv.getBigUint64(0), index: dv.getUint32(8) });
  }

  private async getByPos(c: Candidate): Promise<IndexedTxRecord | undefined> {
    const raw = await this.db.get(posKey(c.height, c.index));
    if (!raw) return undefined;
    const m = TxRecordCodec.decode(raw);
    return {
      hash: Buffer.from(sha256(m.tx)).toString('hex').toUpperCase(),
      height: c.height,
      index: c.index,
      tx: m.tx,
      result: {
        code: m.result.code, codespace: m.result.codespace, log: m.result.log, info: m.result.info, data: m.result.data,
        gasWanted: i64(m.result.gasWanted as never), gasUsed: i64(m.result.gasUsed as never),
        events: (m.result.events ?? []).map((e) => ({ type: e.type, attributes: (e.attributes ?? []).map((a) => ({ key: a.key, value: a.value, index: a.index })) })),
      },
    };
  }

  /** CometBFT tx_search: all matches ordered by (height, index), one page of them returned. */
  async search(query: string, page: number, perPage: number, orderBy: 'asc' | 'desc' = 'asc'): Promise<{ txs: IndexedTxRecord[]; totalCount: number }> {
    const q = parseQuery(query);
    perPage = Math.min(100, Math.max(1, Math.floor(perPage) || 30));
    const { candidates, exact } = await this.candidates(q);
    let matches = candidates;
    if (!exact) {
      matches = [];
      for (const c of candidates) {
        const rec = await this.getByPos(c);
        if (rec && matchEvents(q, recordEvents(rec))) matches.push(c);
      }
    }
    matches.sort((a, b) => (a.height === b.height ? a.index - b.index : a.height < b.height ? -1 : 1));
    if (orderBy === 'desc') matches.reverse();
    const total = matches.length;
    const pages = Math.max(1, Math.ceil(total / perPage));
    if (!Number.isInteger(page) || page < 1 || page > pages) {
      throw new PageError(`page should be within [1, ${pages}] range, given ${page}`);
    }
    const slice = matches.slice((page - 1) * perPage, page * perPage);
    const txs: IndexedTxRecord[] = [];
    for (const c of slice) txs.push((await this.getByPos(c))!);
    return { txs, totalCount: total };
  }

  /** Candidates from the most selective index; `exact` when the index alone decides every condition. */
  private async candidates(q: Query): Promise<{ candidates: Candidate[]; exact: boolean }> {
    const conds = q.conditions;
    const hashCond = conds.find((c) => c.key === 'tx.hash' && c.op === '=' && c.operand?.kind === 'string');
    if (hashCond) {
      const rec = await this.getByHash(hashCond.operand!.value);
      return { candidates: rec ? [{ height: rec.height, index: rec.index }] : [], exact: conds.length === 1 };
    }
    const heightConds = conds.filter((c) => c.key === 'tx.height' && c.operand?.kind === 'number' && c.op !== 'CONTAINS');
    let lo = 0n;
    let hi = (1n << 63n) - 1n;
    for (const c of heightConds) {
      const n = BigInt(c.operand!.value.split('.')[0]!);
      if (c.op === '=') {
        lo = lo > n ? lo : n;
        hi = hi < n ? hi : n;
      } else if (c.op === '>' || c.op === '>=') lo = lo > n ? lo : n;
      else hi = hi < n ? hi : n;
    }
    const inHeight = (h: bigint) => heightConds.every((c) => matchValue(c, h.toString()));
    const eq = conds.find((c) => c.key !== 'tx.height' && c.op === '=' && c.operand?.kind === 'string');
    if (eq) {
      const prefix = cat(Uint8Array.of(T_ATTR), lenPrefixed(eq.key), lenPrefixed(eq.operand!.value));
      const out: Candidate[] = [];
      if (lo <= hi && lo >= 0n) {
        const range = { gte: cat(prefix, u64(lo)), lt: hi + 1n < 1n << 64n ? cat(prefix, u64(hi + 1n)) : nextPrefix(prefix) };
        for await (const [k, v] of this.db.iterator(range)) {
          const height = new DataView(k.buffer, k.byteOffset + prefix.length, 8).getBigUint64(0);
          if (!inHeight(height)) continue;
          const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
          for (let j = 0; j + 4 <= v.byteLength; j += 4) out.push({ height, index: dv.getUint32(j) });
        }
      }
      const others = conds.filter((c) => c !== eq && !heightConds.includes(c));
      return { candidates: out, exact: others.length === 0 };
    }
    if (heightConds.length > 0) {
      const out: Candidate[] = [];
      if (lo <= hi && lo >= 0n) {
        const lt = hi + 1n < 1n << 64n ? cat(Uint8Array.of(T_POS), u64(hi + 1n)) : Uint8Array.of(T_POS + 1);
        for await (const k of this.db.keys({ gte: cat(Uint8Array.of(T_POS), u64(lo)), lt })) {
          const dv = new DataView(k.buffer, k.byteOffset + 1, 12);
          const c = { height: dv.getBigUint64(0), index: dv.getUint32(8) };
          if (inHeight(c.height)) out.push(c);
        }
      }
      return { candidates: out, exact: conds.length === heightConds.length };
    }
    // Only CONTAINS / EXISTS / ranges on attributes: scan that key's index.
    const first: Condition = conds[0]!;
    const prefix = cat(Uint8Array.of(T_ATTR), lenPrefixed(first.key));
    const out = new Map<string, Candidate>();
    for await (const [k, v] of this.db.iterator({ gte: prefix, lt: nextPrefix(prefix) })) {
      const kv = new DataView(k.buffer, k.byteOffset, k.byteLength);
      const vlen = kv.getUint16(prefix.length);
      const value = dec.decode(k.subarray(prefix.length + 2, prefix.length + 2 + vlen));
      if (!matchValue(first, value)) continue;
      const height = kv.getBigUint64(prefix.length + 2 + vlen);
      const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
      for (let j = 0; j + 4 <= v.byteLength; j += 4) {
        const c = { height, index: dv.getUint32(j) };
        out.set(posId(c), c);
      }
    }
    return { candidates: [...out.values()], exact: conds.length === 1 };
  }
}

/** The "type.key" -> values map a record's query conditions are checked against. */
export function recordEvents(r: IndexedTxRecord): Map<string, string[]> {
  return flattenEvents(r.result.events, { 'tx.hash': r.hash, 'tx.height': r.height.toString() });
}

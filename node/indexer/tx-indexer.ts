// The tx indexer behind `tx` and `tx_search`: each tx's position (height, index) by hash, each
// block's tx count, and each indexed event attribute's value as a per-block posting list, in
// LevelDB. The txs and their results themselves stay in the block store (tx-records.ts), which
// the node reads for the positions this index finds (tx-search.ts): stored once, not twice. One
// atomic batch per block also records the last indexed height, so a crash leaves the index before
// or after a block, and re-indexing is idempotent.
import type { AbstractLevel, AbstractChainedBatch } from 'abstract-level';
import { sha256 } from '../../chain/crypto/hash.ts';
import { encodeBlockResults, forEachIndexedAttribute, txResultSpans } from '../store/results-codec.ts';
import { parseQuery, matchValue, flattenEvents, type Condition, type Query } from './query.ts';
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

const dec = new TextDecoder();
// Layout (format 3). Attribute entries are posting lists, one per (attribute, value, block): a
// value shared by many txs of a block (an action, a fee collector, a popular recipient) costs one
// write, not one per tx. Format 2 also kept every tx with its result (1.6 KB per MsgSend), a second
// copy of what the block store holds.
const T_COUNT = 0x6e; // 'n' height(8) -> u32 BE number of txs (blocks with txs only)
const T_HASH = 0x78; // 'x' hash(32) -> height(8) index(4)
const T_ATTR = 0x61; // 'a' len key, key, len value, value, height(8) -> u32 BE tx indices
/** The first byte of each kind of key the tx index writes (views use others). */
export const TX_INDEX_KEY_KINDS = { count: T_COUNT, hash: T_HASH, attribute: T_ATTR } as const;
const LAST = Uint8Array.of(0x4c); // 'L' -> last indexed height
const VERSION = Uint8Array.of(0x56); // 'V' -> format version
const FORMAT = 3;
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

function countKey(height: bigint): Buffer {
  const b = Buffer.allocUnsafe(9);
  b[0] = T_COUNT;
  b.writeBigUInt64BE(height, 1);
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

/** A tx's position: block height and index in the block. */
export interface Candidate {
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

  /** Adds a block's tx positions and attribute postings to `batch` (the caller records the height
   * and writes the batch: block-indexer.ts adds the views to the same batch). */
  writeBlock(batch: AbstractChainedBatch<any, Uint8Array, Uint8Array>, height: bigint, txs: readonly Uint8Array[], resultsBytes: Uint8Array): void {
    const results = Buffer.isBuffer(resultsBytes) ? resultsBytes : Buffer.from(resultsBytes.buffer, resultsBytes.byteOffset, resultsBytes.byteLength);
    const spans = txResultSpans(results);
    if (spans.length !== txs.length) throw new Error(`block ${height}: ${txs.length} txs but ${spans.length} results`);
    const put = (key: Uint8Array, value: Uint8Array) => batch.put(key, value, VIEW);
    // type -> key -> value -> tx indices (null: an excluded attribute), all as latin1 strings of
    // raw UTF-8 bytes. Two levels rather than one "type.key" string: no concatenated string to
    // build and hash for every attribute of every tx.
    const postings = new Map<string, Map<string, Map<string, number[]> | null>>();
    const hb = u64(height);
    let i = 0;
    const add = (type: string, key: string, value: string) => {
      let byKey = postings.get(type);
      if (!byKey) postings.set(type, (byKey = new Map()));
      let byValue = byKey.get(key);
      if (byValue === undefined) {
        byValue = this.excludeAttrs.has(key) || this.excludeKeys.has(`${type}.${key}`) ? null : new Map();
        byKey.set(key, byValue);
      }
      if (byValue === null) return;
      const list = byValue.get(value);
      if (!list) byValue.set(value, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    };
    if (txs.length > 0) {
      const n = Buffer.allocUnsafe(4);
      n.writeUInt32BE(txs.length, 0);
      put(countKey(height), n);
    }
    for (; i < txs.length; i++) {
      const [rs, re] = spans[i]!;
      const hk = Buffer.allocUnsafe(33);
      hk[0] = T_HASH;
      hk.set(sha256(txs[i]!), 1);
      const pos = Buffer.allocUnsafe(12);
      pos.writeBigUInt64BE(height, 0);
      pos.writeUInt32BE(i, 8);
      put(hk, pos);
      forEachIndexedAttribute(results, rs, re, add);
    }
    for (const [type, byKey] of postings) for (const [attr, byValue] of byKey) {
      if (byValue === null) continue;
      const kb = lenPrefixedLatin1(`${type}.${attr}`);
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

  /** Where the tx with this hash (hex, any case) is, if indexed. */
  async position(hash: string): Promise<Candidate | undefined> {
    if (!/^[0-9a-fA-F]{64}$/.test(hash)) return undefined;
    const pos = await this.db.get(cat(Uint8Array.of(T_HASH), Buffer.from(hash, 'hex')));
    if (!pos) return undefined;
    const dv = new DataView(pos.buffer, pos.byteOffset, 12);
    return { height: dv.getBigUint64(0), index: dv.getUint32(8) };
  }

  /** Positions of the txs a query may match, from the most selective index (a superset, in no
   * particular order); `exact` when the index alone decides every condition. */
  async candidates(query: string): Promise<{ candidates: Candidate[]; exact: boolean }> {
    return this.candidatesOf(parseQuery(query));
  }

  private async candidatesOf(q: Query): Promise<{ candidates: Candidate[]; exact: boolean }> {
    const conds = q.conditions;
    const hashCond = conds.find((c) => c.key === 'tx.hash' && c.op === '=' && c.operand?.kind === 'string');
    if (hashCond) {
      const pos = await this.position(hashCond.operand!.value);
      return { candidates: pos ? [pos] : [], exact: conds.length === 1 };
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
        const lt = hi + 1n < 1n << 64n ? countKey(hi + 1n) : Uint8Array.of(T_COUNT + 1);
        for await (const [k, v] of this.db.iterator({ gte: countKey(lo), lt })) {
          const height = new DataView(k.buffer, k.byteOffset + 1, 8).getBigUint64(0);
          if (!inHeight(height)) continue;
          const n = new DataView(v.buffer, v.byteOffset, 4).getUint32(0);
          for (let index = 0; index < n; index++) out.push({ height, index });
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

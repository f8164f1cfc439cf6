// The tx indexer behind `tx` and `tx_search`: every tx by hash, by (height, index), and by each
// indexed event attribute, in LevelDB. One atomic batch per block also records the last indexed
// height, so a crash leaves the index before or after a block, and re-indexing is idempotent.
import type { AbstractLevel } from 'abstract-level';
import { codec, i64 } from '../../chain/codec/proto.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { BlockResultsCodec } from '../store/block-types.ts';
import type { Event } from '../../chain/events.ts';
import { parseQuery, matchEvents, matchValue, flattenEvents, type Condition, type Query } from './query.ts';

type DB = AbstractLevel<any, Uint8Array, Uint8Array>;

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
const T_HASH = 0x74; // 't' hash -> record
const T_HEIGHT = 0x68; // 'h' height index -> hash
const T_ATTR = 0x61; // 'a' len key, key, len value, value, height, index -> hash
const LAST = Uint8Array.of(0x4c); // 'L' -> last indexed height

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v);
  return b;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** Attributes not worth an index entry: unique per tx (signature) or never searched alone. */
export const DEFAULT_INDEX_EXCLUDE = ['tx.signature', '*.msg_index'];

function lenPrefixed(s: string): Uint8Array {
  const len = Buffer.byteLength(s);
  const out = Buffer.allocUnsafe(2 + len);
  out.writeUInt16BE(len, 0);
  out.write(s, 2, 'utf8');
  return out;
}

function pos(height: bigint, index: number): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, height);
  dv.setUint32(8, index);
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

interface Candidate {
  height: bigint;
  index: number;
  hash: Uint8Array;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

export class TxIndexer {
  readonly db: DB;
  private readonly excludeKeys: Set<string>;
  private readonly excludeAttrs: Set<string>;

  /** `exclude`: composite keys ("tx.signature") or "*.attr" never written to the attribute index
   * (they stay in the stored events, so subscriptions and results still show them). */
  constructor(db: AbstractLevel<any, any, any>, exclude: readonly string[] = DEFAULT_INDEX_EXCLUDE) {
    this.db = db as DB;
    this.excludeKeys = new Set(exclude.filter((k) => !k.startsWith('*.')));
    this.excludeAttrs = new Set(exclude.filter((k) => k.startsWith('*.')).map((k) => k.slice(2)));
  }

  async lastHeight(): Promise<bigint> {
    const v = await this.db.get(LAST);
    return v ? new DataView(v.buffer, v.byteOffset).getBigUint64(0) : 0n;
  }

  async indexBlock(height: bigint, txs: IndexedTxRecord[]): Promise<void> {
    const ops: { type: 'put'; key: Uint8Array; value: Uint8Array }[] = [];
    for (const r of txs) {
      const hash = Buffer.from(r.hash, 'hex');
      const p = pos(r.height, r.index);
      const record = TxRecordCodec.encode({
        height: r.height.toString(), index: r.index, tx: r.tx,
        result: { code: r.result.code, data: r.result.data, log: r.result.log, info: r.result.info, gasWanted: r.result.gasWanted.toString(), gasUsed: r.result.gasUsed.toString(), events: r.result.events, codespace: r.result.codespace },
      });
      ops.push({ type: 'put', key: cat(Uint8Array.of(T_HASH), hash), value: record });
      ops.push({ type: 'put', key: cat(Uint8Array.of(T_HEIGHT), p), value: hash });
      const seen = new Set<string>();
      for (const e of r.result.events) {
        for (const a of e.attributes) {
          if (!a.index || !a.key || this.excludeAttrs.has(a.key)) continue;
          const k = `${e.type}.${a.key}`;
          if (this.excludeKeys.has(k)) continue;
          const id = `${k}\u0000${a.value}`;
          if (seen.has(id)) continue;
          seen.add(id);
          ops.push({ type: 'put', key: cat(Uint8Array.of(T_ATTR), lenPrefixed(k), lenPrefixed(a.value), p), value: hash });
        }
      }
    }
    ops.push({ type: 'put', key: LAST, value: u64(height) });
    await this.db.batch(ops);
  }

  /** Indexes a block from its txs and its encoded depin.types.v1.BlockResults (as the block store
   * keeps them): lets the node hand over one buffer instead of cloning every record. */
  async indexEncodedBlock(height: bigint, txs: Uint8Array[], resultsBytes: Uint8Array): Promise<void> {
    const results = BlockResultsCodec.decode(resultsBytes).txResults ?? [];
    await this.indexBlock(height, txs.map((tx, index) => {
      const r = results[index]!;
      return {
        hash: Buffer.from(sha256(tx)).toString('hex').toUpperCase(),
        height,
        index,
        tx,
        result: {
          code: r.code, codespace: r.codespace, log: r.log, info: r.info, data: r.data,
          gasWanted: i64(r.gasWanted), gasUsed: i64(r.gasUsed),
          events: (r.events ?? []).map((e) => ({ type: e.type, attributes: (e.attributes ?? []).map((a) => ({ key: a.key, value: a.value, index: a.index })) })),
        },
      };
    }));
  }

  async getByHash(hash: string): Promise<IndexedTxRecord | undefined> {
    if (!/^[0-9a-fA-F]{64}$/.test(hash)) return undefined;
    const raw = await this.db.get(cat(Uint8Array.of(T_HASH), Buffer.from(hash, 'hex')));
    if (!raw) return undefined;
    const m = TxRecordCodec.decode(raw);
    return {
      hash: hash.toUpperCase(),
      height: i64(m.height as never),
      index: m.index,
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
        const rec = await this.getByHash(hexOf(c.hash));
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
    for (const c of slice) txs.push((await this.getByHash(hexOf(c.hash)))!);
    return { txs, totalCount: total };
  }

  /** Candidates from the most selective index; `exact` when the index alone decides every condition. */
  private async candidates(q: Query): Promise<{ candidates: Candidate[]; exact: boolean }> {
    const conds = q.conditions;
    const hashCond = conds.find((c) => c.key === 'tx.hash' && c.op === '=' && c.operand?.kind === 'string');
    if (hashCond) {
      const rec = await this.getByHash(hashCond.operand!.value);
      return { candidates: rec ? [{ height: rec.height, index: rec.index, hash: Buffer.from(rec.hash, 'hex') }] : [], exact: conds.length === 1 };
    }
    const heightConds = conds.filter((c) => c.key === 'tx.height' && c.operand?.kind === 'number' && c.op !== 'CONTAINS');
    const inHeight = (h: bigint) => heightConds.every((c) => matchValue(c, h.toString()));
    const eq = conds.find((c) => c.key !== 'tx.height' && c.op === '=' && c.operand?.kind === 'string');
    if (eq) {
      const prefix = cat(Uint8Array.of(T_ATTR), lenPrefixed(eq.key), lenPrefixed(eq.operand!.value));
      const out: Candidate[] = [];
      for await (const [k, v] of this.db.iterator({ gte: prefix, lt: nextPrefix(prefix) })) {
        const dv = new DataView(k.buffer, k.byteOffset + prefix.length, 12);
        const c = { height: dv.getBigUint64(0), index: dv.getUint32(8), hash: v };
        if (inHeight(c.height)) out.push(c);
      }
      const others = conds.filter((c) => c !== eq && !heightConds.includes(c));
      return { candidates: out, exact: others.length === 0 };
    }
    if (heightConds.length > 0) {
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
      const out: Candidate[] = [];
      if (lo <= hi && lo >= 0n) {
        for await (const [k, v] of this.db.iterator({ gte: cat(Uint8Array.of(T_HEIGHT), u64(lo)), lt: cat(Uint8Array.of(T_HEIGHT), u64(hi + 1n)) })) {
          const dv = new DataView(k.buffer, k.byteOffset + 1, 12);
          const c = { height: dv.getBigUint64(0), index: dv.getUint32(8), hash: v };
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
      const dv = new DataView(k.buffer, k.byteOffset);
      const vlen = dv.getUint16(prefix.length);
      const value = dec.decode(k.subarray(prefix.length + 2, prefix.length + 2 + vlen));
      if (!matchValue(first, value)) continue;
      const p = new DataView(k.buffer, k.byteOffset + prefix.length + 2 + vlen, 12);
      out.set(hexOf(v), { height: p.getBigUint64(0), index: p.getUint32(8), hash: v });
    }
    return { candidates: [...out.values()], exact: conds.length === 1 };
  }
}

/** The "type.key" -> values map a record's query conditions are checked against. */
export function recordEvents(r: IndexedTxRecord): Map<string, string[]> {
  return flattenEvents(r.result.events, { 'tx.hash': r.hash, 'tx.height': r.height.toString() });
}

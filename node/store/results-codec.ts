// Hand-written protobuf encoding of block results (depin.types.v1.BlockResults / ExecTxResult,
// tendermint.abci.Event): every committed tx's result is encoded once, on the block's hot path,
// and the indexer thread reads its events straight out of those bytes. Output is canonical proto3
// (default values omitted), so protobufjs' BlockResultsCodec decodes it unchanged; the tests
// compare both ways on generated results.
import type { Event } from '../../chain/events.ts';
import { ProtoWriter } from '../../chain/codec/proto-writer.ts';

export interface EncodableTxResult {
  code: number;
  data: Uint8Array;
  log: string;
  info: string;
  gasWanted: bigint;
  gasUsed: bigint;
  events: readonly Event[];
  codespace: string;
}

// One writer for the results (its buffer grows to the largest block's results and stays).
const out = new ProtoWriter();

function writeEvents(w: ProtoWriter, field: number, events: readonly Event[]): void {
  for (const e of events) {
    const ev = w.begin(field);
    w.string(1, e.type);
    for (const a of e.attributes) {
      const at = w.begin(2);
      w.string(1, a.key).string(2, a.value).bool(3, a.index).end(at);
    }
    w.end(ev);
  }
}

function writeTxResult(w: ProtoWriter, r: EncodableTxResult): void {
  w.uint32(1, r.code).bytes(2, r.data).string(3, r.log).string(4, r.info).int64(5, r.gasWanted).int64(6, r.gasUsed);
  writeEvents(w, 7, r.events);
  w.string(8, r.codespace);
}

/** One ExecTxResult. */
export function encodeTxResult(r: EncodableTxResult): Uint8Array {
  writeTxResult(out.start(), r);
  return out.finish();
}

/**
 * BlockResults {height, tx_results, finalize_block_events, app_hash}, written while the block
 * runs: begin, each tx's result as soon as the tx has run, then finish. One encoder per node
 * (its buffer grows to the largest block's results and stays); a new begin drops an unfinished block.
 */
export class BlockResultsEncoder {
  private readonly w = new ProtoWriter();
  private open = false;

  begin(height: bigint): void {
    this.w.start().int64(1, height);
    this.open = true;
  }

  tx(r: EncodableTxResult): void {
    if (!this.open) throw new Error('block results: tx() before begin()');
    const at = this.w.begin(2);
    writeTxResult(this.w, r);
    this.w.end(at);
  }

  finish(finalizeEvents: readonly Event[], appHash: Uint8Array): Uint8Array {
    if (!this.open) throw new Error('block results: finish() before begin()');
    this.open = false;
    writeEvents(this.w, 3, finalizeEvents);
    this.w.bytes(4, appHash);
    return this.w.finish();
  }
}

const blockOut = new BlockResultsEncoder();

/** BlockResults {height, tx_results, finalize_block_events, app_hash} in one buffer. */
export function encodeBlockResults(height: bigint, results: readonly EncodableTxResult[], finalizeEvents: readonly Event[], appHash: Uint8Array): Uint8Array {
  blockOut.begin(height);
  for (const r of results) blockOut.tx(r);
  return blockOut.finish(finalizeEvents, appHash);
}

// ------------------------------------------------------------------------------------- reading

// Readers for the indexer's hot loop: no objects per event or attribute, a module-level cursor.
let P = 0;

function rv(buf: Buffer, end: number): number {
  let n = 0;
  let mul = 1;
  for (;;) {
    if (P >= end) throw new Error('truncated varint');
    const b = buf[P++]!;
    n += (b & 0x7f) * mul;
    if (b < 0x80) return n;
    mul *= 0x80;
    if (mul > 2 ** 63) throw new Error('varint too long');
  }
}

function skipField(buf: Buffer, end: number, wire: number): void {
  if (wire === 0) rv(buf, end);
  else if (wire === 2) {
    const len = rv(buf, end); // read before P: `P += rv()` would add to the old P
    P += len;
  } else if (wire === 1) P += 8;
  else if (wire === 5) P += 4;
  else throw new Error(`unsupported wire type ${wire}`);
  if (P > end) throw new Error('truncated field');
}

// Buffer#latin1Slice skips toString's encoding lookup and argument checks: three strings per
// attribute, for every indexed attribute of every tx.
const latin1Of = (buf: Buffer, start: number, end: number): string => (buf as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(start, end);

/**
 * Calls `fn(type, key, value)` for every attribute with index = true of one encoded ExecTxResult,
 * each as the latin1 string of its raw UTF-8 bytes: byte-exact (Buffer.from(s, 'latin1') gives
 * the bytes back) and much cheaper than decoding UTF-8, which the index never needs.
 */
export function forEachIndexedAttribute(buf: Buffer, start: number, end: number, fn: (type: string, key: string, value: string) => void): void {
  P = start;
  while (P < end) {
    const tag = rv(buf, end);
    if (tag !== 0x3a) {
      skipField(buf, end, tag & 7);
      continue;
    }
    const evLen = rv(buf, end);
    const evEnd = P + evLen;
    if (evEnd > end) throw new Error('truncated field');
    // The type may sit anywhere in the event; find it first.
    const evStart = P;
    let type = '';
    while (P < evEnd) {
      const t = rv(buf, evEnd);
      if (t === 0x0a) {
        const len = rv(buf, evEnd);
        type = latin1Of(buf, P, P + len);
        P += len;
      } else skipField(buf, evEnd, t & 7);
    }
    P = evStart;
    while (P < evEnd) {
      const t = rv(buf, evEnd);
      if (t !== 0x12) {
        skipField(buf, evEnd, t & 7);
        continue;
      }
      const aLen = rv(buf, evEnd);
      const aEnd = P + aLen;
      if (aEnd > evEnd) throw new Error('truncated field');
      let ks = 0;
      let ke = 0;
      let vs = 0;
      let ve = 0;
      let index = false;
      while (P < aEnd) {
        const at = rv(buf, aEnd);
        if (at === 0x0a) {
          const len = rv(buf, aEnd);
          ks = P;
          ke = P += len;
        } else if (at === 0x12) {
          const len = rv(buf, aEnd);
          vs = P;
          ve = P += len;
        } else if (at === 0x18) index = rv(buf, aEnd) !== 0;
        else skipField(buf, aEnd, at & 7);
      }
      if (P > aEnd) throw new Error('truncated field');
      if (index && ke > ks) fn(type, latin1Of(buf, ks, ke), latin1Of(buf, vs, ve));
    }
  }
}

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** A varint at `at` (below 2^53): [value, position after it]. */
export function readVarint(b: Uint8Array, at: number, end: number): [number, number] {
  P = at;
  const n = rv(asBuffer(b), end);
  return [n, P];
}

/** Where the tx results sit in encoded BlockResults: each entry's [start (its tag), start of the
 * ExecTxResult, end], in order, and the bounds of the whole run (`from` = `to` = where they would
 * be when there are none). The encoder writes them contiguously after the height; other layouts
 * are refused. */
export function txResultEntries(blockResults: Uint8Array): { entries: [number, number, number][]; from: number; to: number } {
  const buf = asBuffer(blockResults);
  const entries: [number, number, number][] = [];
  let from = -1;
  let to = -1;
  P = 0;
  while (P < buf.length) {
    const start = P;
    const tag = rv(buf, buf.length);
    if (tag !== 0x12) {
      if (from === -1 && tag > 0x12) from = to = start; // no tx results: they would go here
      skipField(buf, buf.length, tag & 7);
      continue;
    }
    if (to !== -1 && to !== start) throw new Error('tx results are not contiguous');
    const len = rv(buf, buf.length);
    if (P + len > buf.length) throw new Error('truncated field');
    entries.push([start, P, P + len]);
    if (from === -1) from = start;
    P += len;
    to = P;
  }
  if (from === -1) from = to = buf.length;
  return { entries, from, to };
}

/** [start, end) of every ExecTxResult inside encoded BlockResults, in order. */
export function txResultSpans(blockResults: Uint8Array): [number, number][] {
  return txResultEntries(blockResults).entries.map(([, s, e]) => [s, e]);
}

// ------------------------------------------------------------------ events for the index views
// Only events whose type some view wants are decoded, so a block of bank sends costs the views
// one pass over the bytes and no objects. Events of failed txs are skipped (a failed Cosmos tx
// keeps only its ante events anyway).

export interface ViewEvent {
  type: string;
  /** Attribute key -> value (UTF-8 decoded; a repeated key keeps its last value). */
  attrs: Record<string, string>;
  /** Index of the tx in the block; -1 for finalize-block (begin/end block) events. */
  tx: number;
}

/** One tendermint.abci.Event at [P, end): returns it if its type is wanted (P ends at `end`). */
function readEvent(buf: Buffer, end: number, wanted: ReadonlySet<string>, tx: number): ViewEvent | undefined {
  const start = P;
  let type: string | undefined;
  while (P < end) {
    const t = rv(buf, end);
    if (t === 0x0a) {
      const len = rv(buf, end);
      type = buf.toString('utf8', P, P + len);
      P += len;
      break; // our encoder writes the type first; anything else is found by the slow path below
    }
    skipField(buf, end, t & 7);
  }
  if (type === undefined || !wanted.has(type)) {
    P = end;
    return undefined;
  }
  P = start;
  const attrs: Record<string, string> = {};
  while (P < end) {
    const t = rv(buf, end);
    if (t !== 0x12) {
      skipField(buf, end, t & 7);
      continue;
    }
    const aEnd = rv(buf, end) + P;
    if (aEnd > end) throw new Error('truncated field');
    let key = '';
    let value = '';
    while (P < aEnd) {
      const at = rv(buf, aEnd);
      if (at === 0x0a || at === 0x12) {
        const len = rv(buf, aEnd);
        const s = buf.toString('utf8', P, P + len);
        P += len;
        if (at === 0x0a) key = s;
        else value = s;
      } else skipField(buf, aEnd, at & 7);
    }
    attrs[key] = value;
  }
  return { type, attrs, tx };
}

/**
 * The wanted events of a block, in order: every successful tx's events (tx order), then the
 * finalize-block events (begin block, then end block, as the app emits them).
 */
export function readBlockEvents(results: Uint8Array, wanted: ReadonlySet<string>): ViewEvent[] {
  const buf = asBuffer(results);
  const txEvents: ViewEvent[] = [];
  const blockEvents: ViewEvent[] = [];
  if (wanted.size === 0) return txEvents;
  let txIndex = 0;
  P = 0;
  while (P < buf.length) {
    const tag = rv(buf, buf.length);
    if (tag === 0x12) {
      // ExecTxResult: code (1) and events (7)
      const end = rv(buf, buf.length) + P;
      if (end > buf.length) throw new Error('truncated field');
      let code = 0;
      const found: ViewEvent[] = [];
      while (P < end) {
        const t = rv(buf, end);
        if (t === 0x08) code = rv(buf, end);
        else if (t === 0x3a) {
          const evEnd = rv(buf, end) + P;
          if (evEnd > end) throw new Error('truncated field');
          const ev = readEvent(buf, evEnd, wanted, txIndex);
          if (ev) found.push(ev);
        } else skipField(buf, end, t & 7);
      }
      if (code === 0) for (const e of found) txEvents.push(e);
      txIndex++;
    } else if (tag === 0x1a) {
      const evEnd = rv(buf, buf.length) + P;
      if (evEnd > buf.length) throw new Error('truncated field');
      const ev = readEvent(buf, evEnd, wanted, -1);
      if (ev) blockEvents.push(ev);
    } else skipField(buf, buf.length, tag & 7);
  }
  return blockEvents.length ? txEvents.concat(blockEvents) : txEvents;
}

/** The app_hash field of encoded BlockResults (the state root after the block), or empty. */
export function resultsAppHash(results: Uint8Array): Uint8Array {
  const buf = asBuffer(results);
  let hash: Uint8Array = new Uint8Array();
  P = 0;
  while (P < buf.length) {
    const tag = rv(buf, buf.length);
    if (tag === 0x22) {
      const len = rv(buf, buf.length);
      hash = buf.subarray(P, P + len);
      P += len;
    } else skipField(buf, buf.length, tag & 7);
  }
  return hash;
}

// Reads the events views consume straight out of a block's encoded BlockResults (the bytes the
// block store keeps, see node/store/results-codec.ts): only events whose type some view wants are
// decoded, so a block of bank sends costs the views one pass over the bytes and no objects.
// Events of failed txs are skipped (a failed Cosmos tx keeps only its ante events anyway).

export interface ViewEvent {
  type: string;
  /** Attribute key -> value (UTF-8 decoded; a repeated key keeps its last value). */
  attrs: Record<string, string>;
  /** Index of the tx in the block; -1 for finalize-block (begin/end block) events. */
  tx: number;
}

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

function skip(buf: Buffer, end: number, wire: number): void {
  if (wire === 0) rv(buf, end);
  else if (wire === 2) {
    const len = rv(buf, end);
    P += len;
  } else if (wire === 1) P += 8;
  else if (wire === 5) P += 4;
  else throw new Error(`unsupported wire type ${wire}`);
  if (P > end) throw new Error('truncated field');
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
    skip(buf, end, t & 7);
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
      skip(buf, end, t & 7);
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
      } else skip(buf, aEnd, at & 7);
    }
    attrs[key] = value;
  }
  return { type, attrs, tx };
}

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

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
        } else skip(buf, end, t & 7);
      }
      if (code === 0) for (const e of found) txEvents.push(e);
      txIndex++;
    } else if (tag === 0x1a) {
      const evEnd = rv(buf, buf.length) + P;
      if (evEnd > buf.length) throw new Error('truncated field');
      const ev = readEvent(buf, evEnd, wanted, -1);
      if (ev) blockEvents.push(ev);
    } else skip(buf, buf.length, tag & 7);
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
    } else skip(buf, buf.length, tag & 7);
  }
  return hash;
}

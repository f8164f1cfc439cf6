// How the block store keeps a block's results so that one tx can be read without the whole block:
// the encoded BlockResults is split into its block-level parts (the "head": height, finalize-block
// events, app hash) and chunks of RECORDS_PER_CHUNK txs, each holding every tx's bytes next to its
// ExecTxResult entry exactly as it sits in the encoded BlockResults. `tx` and `tx_search` read one
// chunk per tx (the tx index only points here, by height and index), `block_results` concatenates
// the head and the chunks back into the original bytes.
//
// head  = 0xff ‖ u32be txCount ‖ u32be prefixLen ‖ prefix ‖ suffix
//         (prefix: the fields before the tx results; suffix: those after; 0xff cannot start a
//         BlockResults encoding, so a head is told apart from a whole encoding stored before)
// chunk = per tx: varint txLen ‖ tx ‖ the tx's results entry (0x12 ‖ varint len ‖ ExecTxResult)
import { readVarint, txResultEntries } from './results-codec.ts';
import { varintSize } from '../../chain/codec/proto-writer.ts';

/** Txs per chunk: a `tx` lookup reads ~64 x 1.6 KB; a block of 4,000 sends is 63 chunk writes. */
export const RECORDS_PER_CHUNK = 64;
const HEAD_MAGIC = 0xff;

export interface SplitResults {
  prefix: Uint8Array;
  /** [start, end) of each tx's results entry (tag and length included), in order. */
  entries: [number, number][];
  suffix: Uint8Array;
}

/** Splits encoded BlockResults around its tx results. */
export function splitResults(blob: Uint8Array): SplitResults {
  const { entries, from, to } = txResultEntries(blob);
  return { prefix: blob.subarray(0, from), entries: entries.map(([s, , e]) => [s, e]), suffix: blob.subarray(to) };
}

export function encodeHead(txCount: number, split: SplitResults): Uint8Array {
  const out = Buffer.allocUnsafe(9 + split.prefix.length + split.suffix.length);
  out[0] = HEAD_MAGIC;
  out.writeUInt32BE(txCount, 1);
  out.writeUInt32BE(split.prefix.length, 5);
  out.set(split.prefix, 9);
  out.set(split.suffix, 9 + split.prefix.length);
  return out;
}

export function isHead(stored: Uint8Array): boolean {
  return stored.length >= 9 && stored[0] === HEAD_MAGIC;
}

export function decodeHead(head: Uint8Array): { txCount: number; prefix: Uint8Array; suffix: Uint8Array } {
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const txCount = dv.getUint32(1);
  const prefixLen = dv.getUint32(5);
  if (9 + prefixLen > head.length) throw new Error('block results: corrupt head');
  return { txCount, prefix: head.subarray(9, 9 + prefixLen), suffix: head.subarray(9 + prefixLen) };
}


/** The chunk of txs [from, to): each tx's bytes next to its results entry. */
export function encodeChunk(txs: readonly Uint8Array[], blob: Uint8Array, split: SplitResults, from: number, to: number): Uint8Array {
  let size = 0;
  for (let i = from; i < to; i++) size += varintSize(txs[i]!.length) + txs[i]!.length + split.entries[i]![1] - split.entries[i]![0];
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = from; i < to; i++) {
    const tx = txs[i]!;
    for (let v = tx.length; ; v = Math.floor(v / 0x80)) {
      if (v < 0x80) {
        out[o++] = v;
        break;
      }
      out[o++] = (v % 0x80) | 0x80;
    }
    out.set(tx, o);
    o += tx.length;
    const [s, e] = split.entries[i]!;
    out.set(blob.subarray(s, e), o);
    o += e - s;
  }
  return out;
}

export interface ChunkRecord {
  tx: Uint8Array;
  /** The results entry: 0x12 ‖ varint len ‖ ExecTxResult. */
  entry: Uint8Array;
  /** The ExecTxResult bytes alone. */
  result: Uint8Array;
}

/** Every record of a chunk, in order (views into `chunk`). */
export function readChunk(chunk: Uint8Array): ChunkRecord[] {
  const out: ChunkRecord[] = [];
  let p = 0;
  while (p < chunk.length) {
    const [txLen, q] = readVarint(chunk, p, chunk.length);
    const tx = chunk.subarray(q, q + txLen);
    const es = q + txLen;
    if (chunk[es] !== 0x12) throw new Error('block results: corrupt chunk');
    const [len, rs] = readVarint(chunk, es + 1, chunk.length);
    const end = rs + len;
    if (end > chunk.length) throw new Error('block results: truncated chunk');
    out.push({ tx, entry: chunk.subarray(es, end), result: chunk.subarray(rs, end) });
    p = end;
  }
  return out;
}

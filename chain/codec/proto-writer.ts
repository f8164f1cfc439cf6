// A minimal protobuf wire writer for hand-written encoders of records written with every tx:
// protobufjs' generated encoder goes through Long conversions, a per-call writer object and one
// native call per string, which costs several times the bytes' worth on these hot paths. The
// encoders built on it must write proto3 canonical bytes (fields in number order, defaults left
// out: the same bytes as chain/codec/proto-json's encodeCanonical), which each one's test checks.

import protobuf from 'protobufjs';

const utf8 = protobuf.util.utf8;

/** Strings up to this many UTF-16 units are copied in JS when ASCII (a native write costs more);
 * at most 127, so their length prefix is one byte. */
const SHORT = 64;
const TWO_32 = 0x1_0000_0000;

export class ProtoWriter {
  private buf = Buffer.allocUnsafe(512);
  private pos = 0;

  /** Starts a new message (drops anything left by an encoder that threw midway). */
  start(): this {
    this.pos = 0;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned varint of a non-negative integer below 2^53. */
  private varint(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (n >= 0x80) {
      buf[pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** uint32 field; 0 is left out. */
  uint32(field: number, v: number): this {
    if (v === 0) return this;
    if (!(Number.isInteger(v) && v > 0 && v < TWO_32)) throw new RangeError(`uint32 field ${field}: ${v}`);
    this.tag(field, 0);
    this.varint(v);
    return this;
  }

  /** Enum field (an int32 on the wire; only non-negative values, which encode as uint32 does). */
  enum(field: number, v: number): this {
    if (v >= 0x8000_0000) throw new RangeError(`enum field ${field}: ${v}`);
    return this.uint32(field, v);
  }

  /** uint64 field; 0 is left out. */
  uint64(field: number, v: bigint): this {
    if (v === 0n) return this;
    if (v < 0n || v >= 1n << 64n) throw new RangeError(`uint64 field ${field}: ${v}`);
    this.tag(field, 0);
    this.rawUint64(v);
    return this;
  }

  /** The varint of 0 <= v < 2^64 (checked by the callers). */
  private rawUint64(v: bigint): void {
    if (v <= 0x1f_ffff_ffff_ffffn) {
      this.varint(Number(v));
      return;
    }
    // Above 2^53: split into two exact 32-bit halves and emit 7 bits at a time.
    let lo = Number(v & 0xffff_ffffn);
    let hi = Number(v >> 32n);
    this.ensure(10);
    while (hi > 0 || lo >= 0x80) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
  }

  /** int64 field (two's complement: a negative value takes 10 bytes); 0 is left out. */
  int64(field: number, v: bigint): this {
    if (v < -(1n << 63n) || v >= 1n << 63n) throw new RangeError(`int64 field ${field}: ${v}`);
    return this.uint64(field, v < 0n ? v + (1n << 64n) : v);
  }

  /** bool field; false is left out. */
  bool(field: number, v: boolean): this {
    if (!v) return this;
    this.tag(field, 0);
    this.varint(1);
    return this;
  }

  /** string field; '' is left out. */
  string(field: number, s: string): this {
    if (s === '') return this;
    this.tag(field, 2);
    this.stringBody(s);
    return this;
  }

  /** bytes field; empty is left out. */
  bytes(field: number, b: Uint8Array): this {
    if (b.length === 0) return this;
    this.tag(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** One element of a repeated string field: written even when '' (an element is never a default). */
  stringElement(field: number, s: string): this {
    this.tag(field, 2);
    this.stringBody(s);
    return this;
  }

  /** A repeated uint32 field, packed (proto3's default for numeric repeated fields); nothing when empty. */
  packedUint32(field: number, xs: readonly number[]): this {
    if (xs.length === 0) return this;
    for (const v of xs) if (!(Number.isInteger(v) && v >= 0 && v < TWO_32)) throw new RangeError(`uint32 element of field ${field}: ${v}`);
    const at = this.begin(field);
    for (const v of xs) this.varint(v);
    return this.end(at);
  }

  /** A repeated uint64 field, packed; nothing when empty. */
  packedUint64(field: number, xs: readonly bigint[]): this {
    if (xs.length === 0) return this;
    for (const v of xs) if (v < 0n || v >= 1n << 64n) throw new RangeError(`uint64 element of field ${field}: ${v}`);
    const at = this.begin(field);
    for (const v of xs) this.rawUint64(v);
    return this.end(at);
  }

  /**
   * Opens an embedded message field (written even when empty: repeated elements and set
   * sub-messages): the fields written next are its body, until end() with the returned mark.
   * Marks nest like brackets. No callback form: these encoders run for every event of every tx,
   * and a closure per attribute was ~7 % of the bytes a MsgSend allocated.
   */
  begin(field: number): number {
    this.tag(field, 2);
    // Reserve one length byte (the common case); end() moves the body if the length needs more.
    this.ensure(1);
    return this.pos++;
  }

  /** Closes the message opened by begin() that returned `at`, fitting its length prefix. */
  end(at: number): this {
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return this;
    }
    const extra = varintSize(len) - 1;
    this.ensure(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    const end = this.pos + extra;
    this.pos = at; // the prefix goes in front of the moved body (>= 128 bytes: no reallocation)
    this.varint(len);
    this.pos = end;
    return this;
  }

  private stringBody(s: string): void {
    const n = s.length;
    if (n <= SHORT) {
      // Optimistically ASCII: then the UTF-8 length is n (one prefix byte) and the bytes are the
      // char codes, copied in the same pass that checks them; on the first other char, rewind.
      this.ensure(1 + n);
      const buf = this.buf;
      const at = this.pos;
      buf[at] = n;
      let i = 0;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + 1 + i++] = c;
      }
      if (i === n) {
        this.pos = at + 1 + n;
        return;
      }
    }
    if (n < 40 && !s.isWellFormed()) {
      // A lone surrogate in a string under 40 UTF-16 units: protobufjs' Node writer writes such a
      // string with its own UTF-8 writer, which gives a lone surrogate its 3-byte form (Buffer
      // writes U+FFFD, as protobufjs does for longer strings); write it the same way.
      const n8 = utf8.length(s);
      this.varint(n8);
      this.ensure(n8);
      this.pos += utf8.write(s, this.buf, this.pos);
      return;
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /** The bytes written so far, in an array of their own; the writer is emptied for reuse. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

/** Bytes of the varint of a non-negative integer below 2^53. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

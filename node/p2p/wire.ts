// Bounded binary encoding for p2p payloads (requests, responses, tx batches, compact blocks).
// Everything a peer sends is untrusted: every read checks the remaining length first and every
// count is capped by the caller, so a malformed or hostile message fails with a WireError
// (which the receiver turns into a penalty) instead of allocating or reading out of bounds.

/** Malformed bytes from a peer. */
export class WireError extends Error {
  override name = 'WireError';
}

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`u64 out of range: ${v}`);
    this.ensure(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
    return this;
  }

  /** Raw bytes, no length (fixed-size fields such as 32-byte hashes). */
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** u32 length followed by the bytes. */
  bytes(b: Uint8Array): this {
    this.u32(b.length);
    return this.raw(b);
  }

  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }

  get length(): number {
    return this.pos;
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

export class Reader {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) throw new WireError(`truncated ${what}: need ${n} bytes, have ${this.remaining}`);
  }

  u8(): number {
    this.need(1, 'u8');
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4, 'u32');
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8, 'u64');
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** A count that must not exceed `max`, and whose items need at least `minItemBytes` each. */
  count(max: number, minItemBytes: number, what: string): number {
    const n = this.u32();
    if (n > max) throw new WireError(`${what}: ${n} items exceeds the limit of ${max}`);
    if (n * minItemBytes > this.remaining) throw new WireError(`${what}: ${n} items cannot fit in ${this.remaining} bytes`);
    return n;
  }

  /** `n` raw bytes; a view into the input (no copy). */
  raw(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** u32-length-prefixed bytes, at most `max` long. */
  bytes(max: number, what = 'bytes'): Uint8Array {
    const n = this.u32();
    if (n > max) throw new WireError(`${what}: length ${n} exceeds the limit of ${max}`);
    return this.raw(n, what);
  }

  string(max: number, what = 'string'): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(max, what));
  }

  /** Rejects trailing bytes: one message has exactly one encoding. */
  end(what: string): void {
    if (this.remaining !== 0) throw new WireError(`${what}: ${this.remaining} trailing bytes`);
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export { bytesEqual as equalBytes } from '../../chain/codec/bytes.ts';

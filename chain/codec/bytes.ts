// Byte helpers every store layout and signed payload uses: big-endian u64 (range-checked:
// DataView.setBigUint64 would silently wrap a negative or oversized value) and concatenation.

const U64_LIMIT = 1n << 64n;

/** Big-endian u64. Store keys build several of these per access, so it allocates from Node's
 * buffer pool (a fresh Uint8Array(8) costs its own ArrayBuffer) and writes without a DataView. */
export function u64be(n: bigint): Uint8Array {
  if (n < 0n || n >= U64_LIMIT) throw new Error(`${n} is not a uint64`);
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(n, 0);
  return b;
}

/** Same length and bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export function readU64(b: Uint8Array, at = 0): bigint {
  return new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

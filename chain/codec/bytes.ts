// Byte helpers every store layout and signed payload uses: big-endian u64 (range-checked:
// DataView.setBigUint64 would silently wrap a negative or oversized value) and concatenation.

export function u64be(n: bigint): Uint8Array {
  if (n < 0n || n >= 1n << 64n) throw new Error(`${n} is not a uint64`);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n);
  return b;
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

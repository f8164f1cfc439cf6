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

const u64Scratch = new DataView(new ArrayBuffer(8));
const u64Bytes = new Uint8Array(u64Scratch.buffer);

/**
 * A store key in one allocation: the table byte, then each part, bytes as they are and bigints as
 * big-endian u64 (range-checked like u64be). The same bytes as concat(Uint8Array.of(table),
 * ...parts with u64be), without a typed array per part: module keys are built several times per
 * proof, and each small typed array is an object and an ArrayBuffer for the GC.
 */
export function storeKey(table: number, ...parts: (Uint8Array | bigint)[]): Uint8Array {
  let n = 1;
  for (const p of parts) n += typeof p === 'bigint' ? 8 : p.length;
  const out = new Uint8Array(n);
  out[0] = table;
  let o = 1;
  for (const p of parts) {
    if (typeof p === 'bigint') {
      if (p < 0n || p >= U64_LIMIT) throw new Error(`${p} is not a uint64`);
      u64Scratch.setBigUint64(0, p);
      out.set(u64Bytes, o);
      o += 8;
    } else {
      out.set(p, o);
      o += p.length;
    }
  }
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

/** concat of an array (no spread, so any number of parts). */
export function concatAll(parts: readonly Uint8Array[]): Uint8Array {
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

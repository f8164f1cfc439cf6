// Hashing of the compressed sparse Merkle tree (formulas in README.md): domain-separated SHA-256,
// simple enough to recompute in Solidity with the sha256 precompile.
//
// Inside the store a hash is a 32-character latin1 string (one char per byte), not a Uint8Array:
// node:crypto returns a string digest about 3x faster than a Buffer digest (0.36 µs vs 1.2 µs for
// 65 bytes on the dev machine: a Buffer result costs a fresh ArrayBuffer each time), strings are
// cheap Map keys, and `<` on them is byte order. Bytes are produced only at the
// API boundary (roots, proofs) and in the DB encoding. proof.ts does not use this file: its
// verifier is an independent implementation over Uint8Arrays.
import { hash } from 'node:crypto';

/** 32 bytes as a latin1 string. */
export type Hash = string;

/** The hash of an empty subtree: 32 zero bytes. */
export const ZERO: Hash = '\0'.repeat(32);

const scratch = Buffer.alloc(65);

/** sha256(data) as a Hash. */
export function sha(data: Uint8Array): Hash {
  return hash('sha256', data, 'latin1');
}

// Buffer.prototype.latin1Write skips write()'s argument normalisation (about 50 vs 25 ns for the
// short strings here: node hashing and encoding write several per changed key).
const latin1Write = (Buffer.prototype as unknown as { latin1Write?: (this: Buffer, s: string, offset: number, length: number) => number }).latin1Write;

/** Writes latin1 string `s` into `b` at `offset` (at most `length` bytes); returns bytes written. */
export const writeLatin1: (b: Buffer, s: string, offset: number, length: number) => number =
  typeof latin1Write === 'function' ? (b, s, offset, length) => latin1Write.call(b, s, offset, length) : (b, s, offset, length) => b.write(s, offset, length, 'latin1');

/** sha(bytes of latin1 string `s`), through a reused buffer: no allocation for the key bytes. */
export function shaLatin1(s: string): Hash {
  if (s.length > keyScratch.length) keyScratch = Buffer.allocUnsafeSlow(Math.max(s.length, 2 * keyScratch.length));
  writeLatin1(keyScratch, s, 0, s.length);
  return hash('sha256', keyScratch.subarray(0, s.length), 'latin1');
}
let keyScratch = Buffer.allocUnsafeSlow(256);

/** leaf = sha256(0x00 ‖ keyHash ‖ valueHash), with keyHash = sha256(key), valueHash = sha256(value). */
export function leafHash(keyHash: Hash, valueHash: Hash): Hash {
  scratch[0] = 0x00;
  writeLatin1(scratch, keyHash, 1, 32);
  writeLatin1(scratch, valueHash, 33, 32);
  return hash('sha256', scratch, 'latin1');
}

/** internal = sha256(0x01 ‖ left ‖ right); an empty side is ZERO. */
export function internalHash(left: Hash, right: Hash): Hash {
  scratch[0] = 0x01;
  writeLatin1(scratch, left, 1, 32);
  writeLatin1(scratch, right, 33, 32);
  return hash('sha256', scratch, 'latin1');
}

/** Bit `i` of a 256-bit path, most significant bit of byte 0 first; 0 goes left. */
export function bit(path: Hash, i: number): number {
  return (path.charCodeAt(i >> 3) >> (7 - (i & 7))) & 1;
}

// Buffer.prototype.latin1Slice accepts any Uint8Array view and skips the Buffer wrapper that
// Buffer.from(view).toString('latin1') would allocate (65 ns vs 125 ns for 32 bytes).
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

/** Bytes -> latin1 string (string order = byte order, so it doubles as a sort/Map key). */
export const latin1: (b: Uint8Array) => string =
  typeof latin1Slice === 'function'
    ? (b) => latin1Slice.call(b, 0, b.length)
    : (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** latin1 string -> bytes. */
export function fromLatin1(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

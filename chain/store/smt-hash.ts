// Hashing of the compressed sparse Merkle tree (see README.md): domain-separated SHA-256,
// simple enough to recompute in Solidity with the sha256 precompile.
import { hash } from 'node:crypto';

export const ZERO = new Uint8Array(32);

const leafBuf = Buffer.alloc(65);
const nodeBuf = Buffer.alloc(65);

/** leaf = sha256(0x00 ‖ sha256(key) ‖ sha256(value)) */
export function leafHash(keyHash: Uint8Array, valueHash: Uint8Array): Uint8Array {
  leafBuf[0] = 0x00;
  leafBuf.set(keyHash, 1);
  leafBuf.set(valueHash, 33);
  return hash('sha256', leafBuf, 'buffer');
}

/** internal = sha256(0x01 ‖ left ‖ right), an empty side hashing to 32 zero bytes */
export function internalHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeBuf[0] = 0x01;
  nodeBuf.set(left, 1);
  nodeBuf.set(right, 33);
  return hash('sha256', nodeBuf, 'buffer');
}

export function sha(data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer');
}

/** Bit `i` of a 256-bit path, most significant bit of byte 0 first; 0 goes left. */
export function bit(path: Uint8Array, i: number): number {
  return (path[i >> 3]! >> (7 - (i & 7))) & 1;
}

export function isZero(h: Uint8Array): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false;
  return true;
}

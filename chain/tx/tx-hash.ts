// The hash of a tx's bytes, computed once per byte array: the same Uint8Array travels from the
// RPC through the mempool into the block, the app and the indexer, and each of them needs its
// hash (mempool key, decode cache, data hash, recheck). Memoized by identity in a WeakMap, so an
// entry lives exactly as long as the bytes do.
import { sha256 } from '../crypto/hash.ts';

const hashes = new WeakMap<Uint8Array, Uint8Array>();
const hexes = new WeakMap<Uint8Array, string>();

/** sha256 of the tx bytes (shared: do not mutate). */
export function txHash(bytes: Uint8Array): Uint8Array {
  let h = hashes.get(bytes);
  if (h === undefined) {
    h = sha256(bytes);
    hashes.set(bytes, h);
  }
  return h;
}

/** The tx hash as CometBFT shows it: uppercase hex. */
export function txHashHex(bytes: Uint8Array): string {
  let s = hexes.get(bytes);
  if (s === undefined) {
    const h = txHash(bytes);
    s = Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('hex').toUpperCase();
    hexes.set(bytes, s);
  }
  return s;
}

// Membership and non-membership proofs of the compressed sparse Merkle tree, with a stand-alone
// verifier (only SHA-256 needed) and a compact binary encoding for ABCI proofOps and Solidity.
import { leafHash, internalHash, sha, bit, ZERO, isZero } from './smt-hash.ts';

export interface MerkleProof {
  /** Sibling hashes from the root down to the proven position (depth = siblings.length). */
  siblings: Uint8Array[];
  /** Non-membership only: the different leaf that occupies the key's position, if any. */
  otherLeaf?: { keyHash: Uint8Array; valueHash: Uint8Array };
}

export function verifyProof(root: Uint8Array, key: Uint8Array, value: Uint8Array | undefined, proof: MerkleProof): boolean {
  const path = sha(key);
  const depth = proof.siblings.length;
  if (depth > 256) return false;
  let h: Uint8Array;
  if (value !== undefined) {
    if (proof.otherLeaf) return false;
    h = leafHash(path, sha(value));
  } else if (proof.otherLeaf) {
    const other = proof.otherLeaf.keyHash;
    if (Buffer.compare(other, path) === 0) return false; // that would prove membership
    // The other leaf must sit on this key's path (share the first `depth` bits).
    for (let i = 0; i < depth; i++) if (bit(other, i) !== bit(path, i)) return false;
    h = leafHash(other, proof.otherLeaf.valueHash);
  } else {
    h = ZERO;
  }
  for (let i = depth - 1; i >= 0; i--) {
    const s = proof.siblings[i]!;
    if (s.length !== 32) return false;
    h = bit(path, i) === 0 ? internalHash(h, s) : internalHash(s, h);
  }
  return Buffer.compare(h, root) === 0;
}

/**
 * Layout: u16 depth (big-endian) ‖ bitmap of non-zero siblings (ceil(depth/8) bytes, bit i =
 * sibling i, MSB first) ‖ the non-zero siblings (32 bytes each, root side first) ‖ u8 flag
 * (0 = none, 1 = other leaf follows) ‖ [keyHash 32 ‖ valueHash 32].
 */
export function encodeProof(p: MerkleProof): Uint8Array {
  const depth = p.siblings.length;
  const bitmap = new Uint8Array((depth + 7) >> 3);
  const nonZero: Uint8Array[] = [];
  p.siblings.forEach((s, i) => {
    if (!isZero(s)) {
      bitmap[i >> 3]! |= 0x80 >> (i & 7);
      nonZero.push(s);
    }
  });
  const out = new Uint8Array(2 + bitmap.length + 32 * nonZero.length + 1 + (p.otherLeaf ? 64 : 0));
  out[0] = depth >> 8;
  out[1] = depth & 0xff;
  out.set(bitmap, 2);
  let o = 2 + bitmap.length;
  for (const s of nonZero) {
    out.set(s, o);
    o += 32;
  }
  out[o++] = p.otherLeaf ? 1 : 0;
  if (p.otherLeaf) {
    out.set(p.otherLeaf.keyHash, o);
    out.set(p.otherLeaf.valueHash, o + 32);
  }
  return out;
}

export function decodeProof(b: Uint8Array): MerkleProof {
  if (b.length < 3) throw new Error('proof too short');
  const depth = (b[0]! << 8) | b[1]!;
  if (depth > 256) throw new Error(`proof depth ${depth} > 256`);
  const bm = (depth + 7) >> 3;
  let o = 2 + bm;
  const siblings: Uint8Array[] = [];
  for (let i = 0; i < depth; i++) {
    if (b[2 + (i >> 3)]! & (0x80 >> (i & 7))) {
      if (o + 32 > b.length) throw new Error('proof truncated');
      siblings.push(b.slice(o, o + 32));
      o += 32;
    } else siblings.push(ZERO);
  }
  const flag = b[o++];
  if (flag === 1) {
    if (o + 64 !== b.length) throw new Error('proof length mismatch');
    return { siblings, otherLeaf: { keyHash: b.slice(o, o + 32), valueHash: b.slice(o + 32, o + 64) } };
  }
  if (flag !== 0 || o !== b.length) throw new Error('proof length mismatch');
  return { siblings };
}

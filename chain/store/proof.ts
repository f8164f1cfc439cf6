// Membership and non-membership proofs of the compressed sparse Merkle tree: a stand-alone
// verifier that needs nothing but SHA-256 (it deliberately shares no code with the store, so a
// Solidity port can follow it line by line), and the compact binary encoding returned in ABCI
// proofOps (type "depin:smt"). Formulas and byte layout: README.md.
import { sha256 } from '../crypto/hash.ts';

export interface MerkleProof {
  /** Sibling hashes on the key's path, ROOT SIDE FIRST: siblings[i] is the sibling at depth i+1
   * (the child of the depth-i node that the path does not take). depth = siblings.length. */
  siblings: Uint8Array[];
  /** Non-membership only: the different leaf that occupies the key's position, if any
   * (absent = the position is an empty subtree). */
  otherLeaf?: { keyHash: Uint8Array; valueHash: Uint8Array };
}

const ZERO32 = new Uint8Array(32);

function node(tag: number, a: Uint8Array, b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = tag;
  buf.set(a, 1);
  buf.set(b, 33);
  return sha256(buf);
}

/** Bit i of a 256-bit path, most significant bit of byte 0 first. */
function bitAt(path: Uint8Array, i: number): number {
  return (path[i >> 3]! >> (7 - (i & 7))) & 1;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * True iff `proof` shows that, in the tree with root `root`, `key` maps to `value`
 * (or, with value undefined, that `key` is absent).
 */
export function verifyProof(root: Uint8Array, key: Uint8Array, value: Uint8Array | undefined, proof: MerkleProof): boolean {
  const path = sha256(key);
  const depth = proof.siblings.length;
  if (root.length !== 32 || depth > 256) return false;
  let h: Uint8Array;
  if (value !== undefined) {
    if (proof.otherLeaf) return false;
    h = node(0x00, path, sha256(value));
  } else if (proof.otherLeaf) {
    const { keyHash, valueHash } = proof.otherLeaf;
    if (keyHash.length !== 32 || valueHash.length !== 32) return false;
    if (equal(keyHash, path)) return false; // that would be the key itself: membership
    // The other leaf must lie on this key's path (share its first `depth` bits): then it is the
    // only leaf of the subtree where the key would be.
    for (let i = 0; i < depth; i++) if (bitAt(keyHash, i) !== bitAt(path, i)) return false;
    h = node(0x00, keyHash, valueHash);
  } else {
    h = ZERO32;
  }
  for (let i = depth - 1; i >= 0; i--) {
    const s = proof.siblings[i]!;
    if (s.length !== 32) return false;
    h = bitAt(path, i) === 0 ? node(0x01, h, s) : node(0x01, s, h);
  }
  return equal(h, root);
}

/**
 * Layout (big-endian, no padding):
 *   u16 depth (0..256)
 *   bitmap, ceil(depth/8) bytes: bit i (byte i>>3, mask 0x80>>(i&7)) = 1 iff siblings[i] != zero
 *   the non-zero siblings, 32 bytes each, in order (root side first)
 *   u8 kind: 0 = no other leaf, 1 = other leaf follows
 *   [keyHash(32) ‖ valueHash(32)] if kind = 1
 * Canonical: decodeProof rejects any other encoding of the same proof, so
 * encodeProof(decodeProof(b)) equals b whenever decodeProof accepts b.
 */
export function encodeProof(p: MerkleProof): Uint8Array {
  const depth = p.siblings.length;
  if (depth > 256) throw new Error(`proof depth ${depth} > 256`);
  const bitmapLen = (depth + 7) >> 3;
  const nonZero = p.siblings.filter((s) => !equal(s, ZERO32));
  const out = new Uint8Array(2 + bitmapLen + 32 * nonZero.length + 1 + (p.otherLeaf ? 64 : 0));
  out[0] = depth >> 8;
  out[1] = depth & 0xff;
  let o = 2 + bitmapLen;
  p.siblings.forEach((s, i) => {
    if (s.length !== 32) throw new Error('proof sibling is not 32 bytes');
    if (equal(s, ZERO32)) return;
    out[2 + (i >> 3)]! |= 0x80 >> (i & 7);
    out.set(s, o);
    o += 32;
  });
  out[o++] = p.otherLeaf ? 1 : 0;
  if (p.otherLeaf) {
    if (p.otherLeaf.keyHash.length !== 32 || p.otherLeaf.valueHash.length !== 32) throw new Error('proof leaf hash is not 32 bytes');
    out.set(p.otherLeaf.keyHash, o);
    out.set(p.otherLeaf.valueHash, o + 32);
  }
  return out;
}

export function decodeProof(b: Uint8Array): MerkleProof {
  if (b.length < 3) throw new Error('proof too short');
  const depth = (b[0]! << 8) | b[1]!;
  if (depth > 256) throw new Error(`proof depth ${depth} > 256`);
  const bitmapLen = (depth + 7) >> 3;
  if (depth & 7 && b[1 + bitmapLen]! & (0xff >> (depth & 7))) throw new Error('proof bitmap padding is not zero');
  let o = 2 + bitmapLen;
  const siblings: Uint8Array[] = [];
  for (let i = 0; i < depth; i++) {
    if (b[2 + (i >> 3)]! & (0x80 >> (i & 7))) {
      if (o + 32 > b.length) throw new Error('proof truncated');
      const s = b.slice(o, o + 32);
      if (equal(s, ZERO32)) throw new Error('proof lists a zero sibling explicitly');
      siblings.push(s);
      o += 32;
    } else siblings.push(new Uint8Array(32));
  }
  if (o >= b.length) throw new Error('proof truncated');
  const kind = b[o++];
  if (kind === 0 && o === b.length) return { siblings };
  if (kind === 1 && o + 64 === b.length) return { siblings, otherLeaf: { keyHash: b.slice(o, o + 32), valueHash: b.slice(o + 32, o + 64) } };
  throw new Error('proof: bad kind byte or length');
}

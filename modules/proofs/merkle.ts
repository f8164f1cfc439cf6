// Binary SHA-256 Merkle trees over 32-byte leaves, padded with zero leaves to a power of two, as
// Filecoin PDP commits pieces: node = SHA-256(left ‖ right), a single-leaf tree's root is the leaf.
// The chain only verifies paths (verifyPath); the tree builder is for the SDK and tests.
import { hash } from 'node:crypto';
import { sha256 } from '../../chain/crypto/hash.ts';
import { latin1, writeLatin1 } from '../../chain/store/smt-hash.ts';

export const LEAF_BYTES = 32;
const ZERO = new Uint8Array(32);

/** Path length of a piece of `leafCount` leaves: ceil(log2(leafCount)). */
export function treeDepth(leafCount: bigint): number {
  let d = 0;
  while (1n << BigInt(d) < leafCount) d++;
  return d;
}

function node(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(left, 0);
  buf.set(right, 32);
  return sha256(buf);
}

export type PathCheck = 'ok' | 'path_length' | 'root_mismatch';

/**
 * Does `leaf` at `index` with sibling `path` (leaf level first) hash to `root`?
 * Each level hashes one reused 64-byte buffer to a latin1 string and writes it back in place: a
 * Buffer digest per level (~50 per PDP proof) cost a fresh allocation each and twice the time.
 */
export function verifyPath(root: Uint8Array, leafCount: bigint, index: bigint, leaf: Uint8Array, path: readonly Uint8Array[]): PathCheck {
  if (path.length !== treeDepth(leafCount) || leaf.length !== LEAF_BYTES) return 'path_length';
  if (path.some((sibling) => sibling.length !== 32)) return 'path_length';
  let i = index;
  let h = latin1(leaf);
  for (const sibling of path) {
    const mine = (i & 1n) === 0n ? 0 : 32;
    writeLatin1(pathScratch, h, mine, 32);
    pathScratch.set(sibling, 32 - mine);
    h = hash('sha256', pathScratch, 'latin1');
    i >>= 1n;
  }
  return h === latin1(root) ? 'ok' : 'root_mismatch';
}
const pathScratch = Buffer.alloc(64);

/** Every level of the padded tree, leaves first (SDK / tests). */
export function buildTree(leaves: readonly Uint8Array[]): Uint8Array[][] {
  if (leaves.length === 0) throw new Error('a piece needs at least one leaf');
  for (const l of leaves) if (l.length !== LEAF_BYTES) throw new Error('leaves are 32 bytes');
  const width = 1 << treeDepth(BigInt(leaves.length));
  let level = Array.from({ length: width }, (_, i) => leaves[i] ?? ZERO);
  const levels = [level];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(node(level[i]!, level[i + 1]!));
    levels.push(next);
    level = next;
  }
  return levels;
}

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  const levels = buildTree(leaves);
  return levels[levels.length - 1]![0]!;
}

/** Sibling path of leaf `index` (leaf level first). */
export function merklePath(levels: readonly Uint8Array[][], index: number): Uint8Array[] {
  const path: Uint8Array[] = [];
  let i = index;
  for (let d = 0; d < levels.length - 1; d++) {
    path.push(levels[d]![i ^ 1]!);
    i >>= 1;
  }
  return path;
}

/** Splits bytes into 32-byte leaves (the last one zero-padded). */
export function chunkLeaves(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += LEAF_BYTES) {
    const leaf = new Uint8Array(LEAF_BYTES);
    leaf.set(data.subarray(o, o + LEAF_BYTES));
    out.push(leaf);
  }
  return out;
}

// Block-local keys: written by a block's txs and folded by the same block's end block into one key
// per height, then deleted. A failed tx's branch drops them like any write, and a key set and
// deleted within one block leaves the committed state as it was, so they never reach the Merkle
// tree: a block costs one tree write per height it touches, where a key per item cost a path when
// set and another when it was deleted (coverage's finalization queue and witness candidates,
// storage's deadline queue).
import type { Context } from '../../chain/context.ts';
import { concatAll, readU64 } from '../../chain/codec/bytes.ts';
import { prefixEnd, type KVStore } from '../../chain/store/kv.ts';
import { K, keys } from './store-keys.ts';
import type { ProofsKeeper } from './keeper.ts';

/**
 * Folds every block-local table into its per-height key. End block calls it first (so the steps
 * that pop a height see what this block's txs queued for it) and last (what those steps queued).
 */
export function foldBlockLocal(k: ProofsKeeper, ctx: Context): void {
  const s = k.store(ctx);
  fold(s, K.newBeacon, keys.beaconFinalize, (key) => key.subarray(9, 17));
  fold(s, K.newCandidate, keys.candidatesAt, (key) => key.subarray(9, 25));
  fold(s, K.newDeadline, keys.dataSetDeadline, (key) => key.subarray(9, 17));
}

/** Keys `prefix ‖ u64(height) ‖ …`, in key order: each height's values appended to `target(height)`. */
function fold(s: KVStore, prefix: number, target: (height: bigint) => Uint8Array, value: (key: Uint8Array) => Uint8Array): void {
  const start = Uint8Array.of(prefix);
  const found: [Uint8Array, bigint][] = [];
  for (const [key] of s.iterator(start, prefixEnd(start))) found.push([Uint8Array.from(key), readU64(key, 1)]);
  for (let i = 0; i < found.length; ) {
    const height = found[i]![1];
    const parts: Uint8Array[] = [s.get(target(height)) ?? new Uint8Array()];
    for (; i < found.length && found[i]![1] === height; i++) {
      parts.push(value(found[i]![0]));
      s.delete(found[i]![0]);
    }
    s.set(target(height), concatAll(parts)); // no spread: a block may hold thousands
  }
}

/** The ids under the per-height keys `prefix ‖ u64(height)` (packed u64s) up to `height`, and under
 * the one-key-per-item form of databases written before 2026-11-25 (`prefix ‖ u64(height) ‖
 * u64(id)`), in key order; deletes those keys. */
export function popPackedIds(s: KVStore, prefix: number, upTo: (height: bigint) => Uint8Array, height: bigint): bigint[] {
  const ids: bigint[] = [];
  const dead: Uint8Array[] = [];
  for (const [key, value] of s.iterator(Uint8Array.of(prefix), upTo(height + 1n))) {
    dead.push(Uint8Array.from(key));
    if (key.length > 9) ids.push(readU64(key, 9));
    else for (let i = 0; i + 8 <= value.length; i += 8) ids.push(readU64(value, i));
  }
  for (const key of dead) s.delete(key);
  return ids;
}

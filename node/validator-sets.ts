// The validator set of every height, persisted next to the blocks: the set that signs height h is
// needed to verify its commit (block sync, evidence, the `validators` RPC) and, with its proposer
// priorities, to know who proposes. CometBFT's rule: the updates returned by executing block H take
// effect at H+2, so set(H+2) = set(H+1).updateWithChangeSet(updates of H).next() is written while
// block H is applied, before the app commits (a crash in between re-executes H and rewrites it).
//
// Only sets that are not simply the previous one advanced (`next()`: membership or powers changed)
// are written in full, plus one every CHECKPOINT_EVERY heights (as CometBFT's state store does):
// any other height is the nearest stored set at or below it, advanced once per height. A full set
// of 100 validators is ~8 KB, so storing every height grew the block store by gigabytes a week.
import type { AbstractLevel } from 'abstract-level';
import { ValidatorSet } from './consensus/validator-set.ts';
import { Reader, Writer } from './p2p/wire.ts';
import { u64be, readU64, bytesEqual } from '../chain/codec/bytes.ts';

type DB = AbstractLevel<any, Uint8Array, Uint8Array>;

const PRIORITY_OFFSET = 1n << 63n; // int64 priorities stored as offset uint64

const key = u64be;

export function encodeValidatorSet(set: ValidatorSet): Uint8Array {
  const w = new Writer(64 + set.size * 100);
  w.u32(set.size);
  for (const v of set.validators) {
    w.raw(v.address).raw(v.pubKey).u64(v.votingPower).u64(v.proposerPriority + PRIORITY_OFFSET).string(v.name ?? '');
  }
  w.raw(set.proposer.address);
  return w.finish();
}

export function decodeValidatorSet(b: Uint8Array): ValidatorSet {
  const r = new Reader(b);
  const n = r.count(100_000, 70, 'validators');
  const vals = [];
  for (let i = 0; i < n; i++) {
    const address = r.raw(20, 'address');
    const pubKey = r.raw(33, 'pub key');
    const votingPower = r.u64();
    const proposerPriority = r.u64() - PRIORITY_OFFSET;
    const name = r.string(256, 'name');
    vals.push({ address, pubKey, votingPower, proposerPriority, ...(name ? { name } : {}) });
  }
  const proposer = r.raw(20, 'proposer');
  r.end('validator set');
  return ValidatorSet.withPriorities(vals, proposer);
}

/** A set is stored in full at least this often, bounding the next() calls of a lookup. */
export const CHECKPOINT_EVERY = 256n;
const LATEST = Uint8Array.of(0x4c); // 'L' -> u64be: the highest height put (1 byte: never a height key)

export class ValidatorSetStore {
  private readonly db: DB;
  private readonly cache = new Map<bigint, ValidatorSet>();
  /** Highest height put (0 = none): heights above it are unknown, below it derivable. */
  private latest: bigint;

  private constructor(db: DB, latest: bigint) {
    this.db = db;
    this.latest = latest;
  }

  static async open(db: AbstractLevel<any, any, any>): Promise<ValidatorSetStore> {
    const sub = db.sublevel<Uint8Array, Uint8Array>('valsets', { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as DB;
    await sub.open();
    const raw = await sub.get(LATEST);
    let latest = raw ? readU64(raw) : 0n;
    // A store written before the marker existed holds every height: its last key is the latest.
    if (!raw) for await (const k of sub.keys({ lt: LATEST, reverse: true, limit: 1 })) if (k.length === 8) latest = readU64(k);
    return new ValidatorSetStore(sub, latest);
  }

  /** The set of height h, if known (cached sets first). */
  async get(h: bigint): Promise<ValidatorSet | undefined> {
    const c = this.cache.get(h);
    if (c) return c;
    if (h < 1n || h > this.latest) return undefined;
    // The nearest stored set at or below h, advanced to h.
    let base: bigint | undefined;
    let set: ValidatorSet | undefined;
    for await (const [k, v] of this.db.iterator({ gte: key(0n), lt: key(h + 1n), reverse: true, limit: 1 })) {
      base = readU64(k);
      set = decodeValidatorSet(v);
    }
    if (base === undefined || !set) return undefined;
    for (let x = base; x < h; x++) set = set.next();
    this.remember(h, set);
    return set;
  }

  /** The set of height h from memory (the heights around the tip are always there after get/put). */
  cached(h: bigint): ValidatorSet | undefined {
    return this.cache.get(h);
  }

  /** Records set(h), writing it in full only when it is not set(h-1).next() (or at a checkpoint).
   * Not synced by itself: the block's results write right after it is (same LevelDB log). */
  async put(h: bigint, set: ValidatorSet): Promise<void> {
    const bytes = encodeValidatorSet(set);
    const prev = h > 1n && h - 1n <= this.latest ? await this.get(h - 1n) : undefined;
    const derivable = prev !== undefined && h % CHECKPOINT_EVERY !== 0n && bytesEqual(encodeValidatorSet(prev.next()), bytes);
    const batch = this.db.batch();
    if (derivable) batch.del(key(h), VIEW_ENC); // a re-executed block may have written it in full before
    else batch.put(key(h), bytes, VIEW_ENC);
    if (h > this.latest) batch.put(LATEST, u64be(h), VIEW_ENC);
    await batch.write();
    if (h > this.latest) this.latest = h;
    // Sets above h derived from an older set(h) would be stale (a replay rewrites h, then h+1...).
    for (const k of this.cache.keys()) if (k > h) this.cache.delete(k);
    this.remember(h, set);
  }

  private remember(h: bigint, set: ValidatorSet): void {
    this.cache.set(h, set);
    if (this.cache.size > 64) {
      // Keep the newest heights (the tip and the next two), drop the oldest.
      const oldest = [...this.cache.keys()].reduce((a, b) => (a < b ? a : b));
      this.cache.delete(oldest);
    }
  }
}

const VIEW_ENC = { keyEncoding: 'view', valueEncoding: 'view' } as const;

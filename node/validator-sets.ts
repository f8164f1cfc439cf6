// The validator set of every height, persisted next to the blocks: the set that signs height h is
// needed to verify its commit (block sync, evidence, the `validators` RPC) and, with its proposer
// priorities, to know who proposes. CometBFT's rule: the updates returned by executing block H take
// effect at H+2, so set(H+2) = set(H+1).updateWithChangeSet(updates of H).next() is written while
// block H is applied, before the app commits (a crash in between re-executes H and rewrites it).
import type { AbstractLevel } from 'abstract-level';
import { ValidatorSet } from './consensus/validator-set.ts';
import { Reader, Writer } from './p2p/wire.ts';
import { u64be } from '../chain/codec/bytes.ts';

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

export class ValidatorSetStore {
  private readonly db: DB;
  private readonly cache = new Map<bigint, ValidatorSet>();

  private constructor(db: DB) {
    this.db = db;
  }

  static async open(db: AbstractLevel<any, any, any>): Promise<ValidatorSetStore> {
    const sub = db.sublevel<Uint8Array, Uint8Array>('valsets', { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as DB;
    await sub.open();
    return new ValidatorSetStore(sub);
  }

  /** The set of height h, if known (cached sets first). */
  async get(h: bigint): Promise<ValidatorSet | undefined> {
    const c = this.cache.get(h);
    if (c) return c;
    const raw = await this.db.get(key(h));
    if (!raw) return undefined;
    const set = decodeValidatorSet(raw);
    this.remember(h, set);
    return set;
  }

  /** The set of height h from memory (the heights around the tip are always there after get/put). */
  cached(h: bigint): ValidatorSet | undefined {
    return this.cache.get(h);
  }

  /** Writes set(h). Not synced by itself: the block's results write right after it is (same LevelDB log). */
  async put(h: bigint, set: ValidatorSet): Promise<void> {
    await this.db.put(key(h), encodeValidatorSet(set));
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

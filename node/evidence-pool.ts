// Evidence of double signing, from the engine (two conflicting votes it received) or from peers
// (gossip), waiting to be committed in a block; and the record of evidence already committed, so
// one offence is punished once. Evidence is checked when it enters the pool and again when a
// block carrying it is validated: both votes verify against the validator set of their height,
// it is older than the block that carries it, not expired (CometBFT: expired when older than
// max_age_num_blocks AND max_age_duration), and not committed before. The app receives it as
// `misbehavior` in FinalizeBlock (the staking/slashing modules slash and jail).
import type { AbstractLevel } from 'abstract-level';
import type { Misbehavior, Timestamp } from '../chain/context.ts';
import { decodeDuplicateVoteEvidence, encodeDuplicateVoteEvidence } from './consensus/codec.ts';
import { evidenceKey, verifyDuplicateVoteEvidence, type DuplicateVoteEvidence } from './consensus/evidence.ts';
import type { ValidatorSet } from './consensus/validator-set.ts';
import { toNanos } from './bft-time.ts';
import { u64be } from '../chain/codec/bytes.ts';

type DB = AbstractLevel<any, Uint8Array, Uint8Array>;

export interface EvidenceParams {
  maxAgeNumBlocks: bigint;
  maxAgeDurationNs: bigint;
  /** Total bytes of evidence one block may carry. */
  maxBytes: number;
}

/** consensus_params.evidence of a genesis document, CometBFT defaults for what is missing. */
export function evidenceParams(consensusParams: unknown): EvidenceParams {
  const e = (consensusParams as { evidence?: { max_age_num_blocks?: string; max_age_duration?: string; max_bytes?: string } } | undefined)?.evidence;
  return {
    maxAgeNumBlocks: BigInt(e?.max_age_num_blocks ?? '100000'),
    maxAgeDurationNs: BigInt(e?.max_age_duration ?? '172800000000000'),
    maxBytes: Number(e?.max_bytes ?? '1048576'),
  };
}

/** What checking evidence needs from the node: the validator set and block time of a past height. */
export interface EvidenceContext {
  chainId: string;
  valSetAt(height: bigint): Promise<ValidatorSet | undefined>;
  blockTimeAt(height: bigint): Promise<Timestamp | undefined>;
}

export interface CheckedEvidence {
  ev: DuplicateVoteEvidence;
  bytes: Uint8Array;
  key: string;
  /** Time of the block at the offence's height. */
  time: Timestamp;
}

export class EvidencePool {
  private readonly db: DB;
  readonly params: EvidenceParams;
  private readonly pending = new Map<string, { ev: DuplicateVoteEvidence; bytes: Uint8Array }>();
  private readonly committed = new Set<string>();

  private constructor(db: DB, params: EvidenceParams) {
    this.db = db;
    this.params = params;
  }

  static async open(db: AbstractLevel<any, any, any>, params: EvidenceParams): Promise<EvidencePool> {
    const sub = db.sublevel<Uint8Array, Uint8Array>('evidence', { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as DB;
    await sub.open();
    const pool = new EvidencePool(sub, params);
    for await (const k of sub.keys()) pool.committed.add(new TextDecoder().decode(k));
    return pool;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  isCommitted(key: string): boolean {
    return this.committed.has(key);
  }

  /**
   * Checks one piece of evidence for inclusion in a block at `height` (time `time`): throws with
   * the reason if it is invalid, committed or expired.
   */
  async check(bytes: Uint8Array, height: bigint, time: Timestamp, ctx: EvidenceContext): Promise<CheckedEvidence> {
    const ev = decodeDuplicateVoteEvidence(bytes);
    const key = evidenceKey(ev);
    const evHeight = ev.voteA.height;
    if (evHeight >= height) throw new Error(`evidence ${key} is for height ${evHeight}, not below block ${height}`);
    if (this.committed.has(key)) throw new Error(`evidence ${key} was already committed`);
    const set = await ctx.valSetAt(evHeight);
    if (!set) throw new Error(`evidence ${key}: no validator set for height ${evHeight}`);
    verifyDuplicateVoteEvidence(ctx.chainId, set, ev);
    const evTime = await ctx.blockTimeAt(evHeight);
    if (!evTime) throw new Error(`evidence ${key}: no block at height ${evHeight}`);
    if (height - evHeight > this.params.maxAgeNumBlocks && toNanos(time) - toNanos(evTime) > this.params.maxAgeDurationNs) {
      throw new Error(`evidence ${key} expired (height ${evHeight}, block ${height})`);
    }
    // Canonical bytes only: one offence, one encoding (the header's evidence hash commits to bytes).
    if (Buffer.compare(encodeDuplicateVoteEvidence(ev), bytes) !== 0) throw new Error(`evidence ${key} is not canonically encoded`);
    return { ev, bytes, key, time: evTime };
  }

  /** Adds evidence the node verified (the engine's, or a peer's after check-less gossip validation). */
  add(ev: DuplicateVoteEvidence): boolean {
    const key = evidenceKey(ev);
    if (this.committed.has(key) || this.pending.has(key)) return false;
    this.pending.set(key, { ev, bytes: encodeDuplicateVoteEvidence(ev) });
    return true;
  }

  /** Pending evidence valid for a block at `height`, within the byte budget; invalid entries are dropped. */
  async forBlock(height: bigint, time: Timestamp, ctx: EvidenceContext): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let bytes = 0;
    for (const [key, { bytes: b }] of [...this.pending]) {
      if (b.length + bytes > this.params.maxBytes) break;
      try {
        await this.check(b, height, time, ctx);
      } catch (err) {
        if (!/not below block/.test((err as Error).message)) this.pending.delete(key); // too recent: keep for a later block
        continue;
      }
      out.push(b);
      bytes += b.length;
    }
    return out;
  }

  /**
   * Validates a block's evidence list: each valid, none twice, within the byte budget. Returns the
   * checked evidence (for the app's misbehavior list) or throws.
   */
  async checkBlock(list: readonly Uint8Array[], height: bigint, time: Timestamp, ctx: EvidenceContext): Promise<CheckedEvidence[]> {
    const out: CheckedEvidence[] = [];
    const keys = new Set<string>();
    let total = 0;
    for (const b of list) {
      total += b.length;
      if (total > this.params.maxBytes) throw new Error(`block evidence exceeds ${this.params.maxBytes} bytes`);
      const c = await this.check(b, height, time, ctx);
      if (keys.has(c.key)) throw new Error(`evidence ${c.key} appears twice in the block`);
      keys.add(c.key);
      out.push(c);
    }
    return out;
  }

  /** Records committed evidence (written before the app commits, made durable by the block's results write). */
  async markCommitted(list: readonly CheckedEvidence[], height: bigint): Promise<void> {
    for (const c of list) {
      this.committed.add(c.key);
      this.pending.delete(c.key);
      await this.db.put(new TextEncoder().encode(c.key), u64be(height));
    }
  }
}

/** The app's view of committed evidence. */
export function toMisbehavior(c: CheckedEvidence): Misbehavior {
  return {
    type: 'duplicate_vote', validatorAddress: c.ev.voteA.validatorAddress, height: c.ev.voteA.height, time: c.time,
    totalVotingPower: c.ev.totalVotingPower, power: c.ev.validatorPower,
  };
}

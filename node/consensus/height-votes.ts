// Everything received at one height, by round: the proposal, the prevotes and precommits, and who
// sent anything (for the paper's f+1 round-skip rule, which counts distinct validators by power).
//
// Memory is bounded against a Byzantine validator signing messages for arbitrarily many future
// rounds: each validator may occupy at most FUTURE_ROUNDS_PER_VALIDATOR rounds above the current
// one; a message for a newer round evicts its oldest future round (the newest ones are what a lagging
// node needs to skip ahead). A future round never holds more than 1/3 of the power (that would have
// triggered the skip), so no upon-rule can have fired on what is evicted. Rounds at or below the
// current one are bounded by how far honest validators have advanced.
import { VoteSet, type AddVoteResult } from './vote-set.ts';
import { SIGNED_MSG_TYPE_PREVOTE, blockIdKey, isNilBlockId, type BlockID, type Proposal, type Vote } from './types.ts';
import type { ValidatorSet } from './validator-set.ts';

export const FUTURE_ROUNDS_PER_VALIDATOR = 2;

interface RoundState {
  prevotes: VoteSet;
  precommits: VoteSet;
  proposal: Proposal | undefined;
  proposerIndex: number;
  /** Validators with any message in this round, and their total power. */
  senders: Set<number>;
  senderPower: bigint;
}

export type HeightAddResult = AddVoteResult | { kind: 'ignored'; reason: string };

export class HeightVoteSet {
  readonly height: bigint;
  readonly valSet: ValidatorSet;
  private readonly rounds = new Map<number, RoundState>();
  private current = 0;
  /** Per validator index: its rounds above `current`, ascending. */
  private readonly future = new Map<number, number[]>();

  constructor(height: bigint, valSet: ValidatorSet) {
    this.height = height;
    this.valSet = valSet;
  }

  get currentRound(): number {
    return this.current;
  }

  /** Rounds at or below the current round stop being "future". */
  setRound(round: number): void {
    this.current = round;
    for (const [idx, rs] of this.future) {
      const left = rs.filter((r) => r > round);
      if (left.length === 0) this.future.delete(idx);
      else this.future.set(idx, left);
    }
  }

  private round(r: number): RoundState {
    let s = this.rounds.get(r);
    if (!s) {
      s = {
        prevotes: new VoteSet(this.height, r, SIGNED_MSG_TYPE_PREVOTE, this.valSet),
        precommits: new VoteSet(this.height, r, 2, this.valSet),
        proposal: undefined, proposerIndex: -1, senders: new Set(), senderPower: 0n,
      };
      this.rounds.set(r, s);
    }
    return s;
  }

  /** Makes room for validator `idx` in round `r`; false when the message must be ignored. */
  private admit(idx: number, r: number): boolean {
    if (r <= this.current) return true;
    const rs = this.future.get(idx) ?? [];
    if (rs.includes(r)) return true;
    if (rs.length >= FUTURE_ROUNDS_PER_VALIDATOR) {
      if (r < rs[0]!) return false; // older than everything it keeps: not worth an eviction
      this.evict(idx, rs.shift()!);
    }
    rs.push(r);
    rs.sort((a, b) => a - b);
    this.future.set(idx, rs);
    return true;
  }

  private evict(idx: number, r: number): void {
    const s = this.rounds.get(r);
    if (!s) return;
    s.prevotes.remove(idx);
    s.precommits.remove(idx);
    if (s.proposerIndex === idx) {
      s.proposal = undefined;
      s.proposerIndex = -1;
    }
    if (s.senders.delete(idx)) s.senderPower -= this.valSet.get(idx)!.votingPower;
  }

  private noteSender(s: RoundState, idx: number): void {
    if (s.senders.has(idx)) return;
    s.senders.add(idx);
    s.senderPower += this.valSet.get(idx)!.votingPower;
  }

  prevotes(r: number): VoteSet | undefined {
    return this.rounds.get(r)?.prevotes;
  }

  precommits(r: number): VoteSet | undefined {
    return this.rounds.get(r)?.precommits;
  }

  proposal(r: number): Proposal | undefined {
    return this.rounds.get(r)?.proposal;
  }

  /** Whether exactly this vote is already held (so its signature need not be checked again). */
  hasVote(v: Vote): boolean {
    const s = this.rounds.get(v.round);
    if (!s) return false;
    return (v.type === SIGNED_MSG_TYPE_PREVOTE ? s.prevotes : s.precommits).has(v);
  }

  /** Adds a vote whose signature has been verified. */
  addVote(v: Vote): HeightAddResult {
    const existing = this.rounds.get(v.round);
    const set = existing ? (v.type === SIGNED_MSG_TYPE_PREVOTE ? existing.prevotes : existing.precommits) : undefined;
    // A second vote in a round the validator already occupies needs no admission (and a conflict
    // must still be reported, whatever the future-round budget says).
    if (!set?.get(v.validatorIndex) && !this.admit(v.validatorIndex, v.round)) return { kind: 'ignored', reason: 'too many future rounds from this validator' };
    const s = this.round(v.round);
    const res = (v.type === SIGNED_MSG_TYPE_PREVOTE ? s.prevotes : s.precommits).add(v, (id) => this.wanted(v.round, id));
    if (res.kind === 'added') this.noteSender(s, v.validatorIndex);
    return res;
  }

  /**
   * Values worth counting an equivocator's extra vote for, in round r: nil, the proposal of round r
   * (lines 36 and 49) and values re-proposed with POL round r (line 28). Anything else cannot
   * complete an upon-rule, so storing it would only let an equivocator fill our memory.
   */
  private wanted(r: number, id: BlockID): boolean {
    if (isNilBlockId(id)) return true;
    for (const [, s] of this.rounds) {
      const p = s.proposal;
      if (p && (p.round === r || p.polRound === r) && blockIdKey(p.blockId) === blockIdKey(id)) return true;
    }
    return false;
  }

  /** Stores the first proposal of a round (signature and proposer already checked). */
  setProposal(p: Proposal, proposerIndex: number): 'added' | 'duplicate' | 'conflict' | 'ignored' {
    const existing = this.rounds.get(p.round)?.proposal;
    if (existing) return existing.signature.length === p.signature.length && Buffer.compare(existing.signature, p.signature) === 0 ? 'duplicate' : 'conflict';
    if (!this.admit(proposerIndex, p.round)) return 'ignored';
    const s = this.round(p.round);
    s.proposal = p;
    s.proposerIndex = proposerIndex;
    this.noteSender(s, proposerIndex);
    return 'added';
  }

  /** The highest round above `round` in which validators with more than 1/3 of the power sent something. */
  skipTarget(round: number): number {
    let best = -1;
    for (const [r, s] of this.rounds) {
      if (r > round && r > best && this.valSet.hasOneThird(s.senderPower)) best = r;
    }
    return best;
  }

  /** The lowest round with +2/3 precommits for a block (not nil), if any. */
  decision(): { round: number; blockId: BlockID } | undefined {
    let found: { round: number; blockId: BlockID } | undefined;
    for (const [r, s] of this.rounds) {
      const maj = s.precommits.twoThirdsMajority();
      if (maj && !isNilBlockId(maj) && (!found || r < found.round)) found = { round: r, blockId: maj };
    }
    return found;
  }

  /** Rounds held, ascending. */
  roundNumbers(): number[] {
    return [...this.rounds.keys()].sort((a, b) => a - b);
  }

  /** Every vote (first votes and counted conflicting ones) and every proposal held, rounds ascending (what the node re-gossips). */
  messages(): { proposals: Proposal[]; votes: Vote[] } {
    const proposals: Proposal[] = [];
    const votes: Vote[] = [];
    for (const r of this.roundNumbers()) {
      const s = this.rounds.get(r)!;
      if (s.proposal) proposals.push(s.proposal);
      votes.push(...s.prevotes.list(), ...s.precommits.list());
    }
    return { proposals, votes };
  }
}

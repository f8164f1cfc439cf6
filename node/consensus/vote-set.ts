// The votes of one type (prevote or precommit) at one height and round, tallied by voting power per
// block id. Each validator counts once: its first vote is the one tallied; a later vote for a
// different block id is an equivocation, returned to the caller (who makes evidence of it) and not
// counted. Signatures are checked by the caller before add().
import { BLOCK_ID_FLAG_ABSENT, BLOCK_ID_FLAG_COMMIT, BLOCK_ID_FLAG_NIL, type Commit, type CommitSig } from '../store/block-types.ts';
import { blockIdEquals, blockIdKey, isNilBlockId, sameVote, type BlockID, type Vote, type VoteType } from './types.ts';
import type { ValidatorSet } from './validator-set.ts';

export type AddVoteResult =
  | { kind: 'added' }
  | { kind: 'duplicate' }
  /** Same validator, same block id, different timestamp/signature: not counted, not evidence. */
  | { kind: 'redundant' }
  | { kind: 'conflict'; existing: Vote };

export class VoteSet {
  readonly height: bigint;
  readonly round: number;
  readonly type: VoteType;
  readonly valSet: ValidatorSet;
  private readonly votes: (Vote | undefined)[];
  private readonly powerByBlock = new Map<string, bigint>();
  private readonly blockIds = new Map<string, BlockID>();
  private sum = 0n;
  private maj23: BlockID | undefined;
  private count = 0;

  constructor(height: bigint, round: number, type: VoteType, valSet: ValidatorSet) {
    this.height = height;
    this.round = round;
    this.type = type;
    this.valSet = valSet;
    this.votes = new Array<Vote | undefined>(valSet.size).fill(undefined);
  }

  get(index: number): Vote | undefined {
    return this.votes[index];
  }

  /** Whether the exact vote (bytes-equal, signature included) is already held: no need to verify it again. */
  has(vote: Vote): boolean {
    const v = this.votes[vote.validatorIndex];
    return !!v && sameVote(v, vote);
  }

  add(vote: Vote): AddVoteResult {
    if (vote.height !== this.height || vote.round !== this.round || vote.type !== this.type) throw new Error('vote does not belong to this vote set');
    const existing = this.votes[vote.validatorIndex];
    if (existing) {
      if (sameVote(existing, vote)) return { kind: 'duplicate' };
      if (blockIdEquals(existing.blockId, vote.blockId)) return { kind: 'redundant' };
      return { kind: 'conflict', existing };
    }
    const val = this.valSet.get(vote.validatorIndex);
    if (!val) throw new Error('validator index out of range');
    this.votes[vote.validatorIndex] = vote;
    this.count++;
    const key = blockIdKey(vote.blockId);
    const power = (this.powerByBlock.get(key) ?? 0n) + val.votingPower;
    this.powerByBlock.set(key, power);
    if (!this.blockIds.has(key)) this.blockIds.set(key, vote.blockId);
    this.sum += val.votingPower;
    if (this.maj23 === undefined && this.valSet.hasTwoThirds(power)) this.maj23 = vote.blockId;
    return { kind: 'added' };
  }

  /**
   * Forgets a validator's vote (used only for far-future rounds that never reached 1/3 of the power,
   * so no rule can have fired on them). Never call it on a round that has a 2/3 majority.
   */
  remove(index: number): void {
    const v = this.votes[index];
    if (!v) return;
    if (this.maj23 !== undefined) throw new Error('cannot remove a vote from a round with a 2/3 majority');
    const power = this.valSet.get(index)!.votingPower;
    const key = blockIdKey(v.blockId);
    const left = this.powerByBlock.get(key)! - power;
    if (left === 0n) {
      this.powerByBlock.delete(key);
      this.blockIds.delete(key);
    } else {
      this.powerByBlock.set(key, left);
    }
    this.sum -= power;
    this.votes[index] = undefined;
    this.count--;
  }

  get size(): number {
    return this.count;
  }

  /** Voting power of all votes held, whatever they are for. */
  get totalPower(): bigint {
    return this.sum;
  }

  powerFor(blockId: BlockID): bigint {
    return this.powerByBlock.get(blockIdKey(blockId)) ?? 0n;
  }

  /** The paper's "2f+1 ⟨·, h, r, ∗⟩": more than 2/3 of the power voted, for anything. */
  hasTwoThirdsAny(): boolean {
    return this.valSet.hasTwoThirds(this.sum);
  }

  /** The block id (possibly nil) with more than 2/3 of the power, if any. */
  twoThirdsMajority(): BlockID | undefined {
    return this.maj23;
  }

  /** Votes held, in validator order. */
  list(): Vote[] {
    const out: Vote[] = [];
    for (const v of this.votes) if (v) out.push(v);
    return out;
  }

  /**
   * The Commit for `blockId` (which must hold a 2/3 majority of these precommits): one CommitSig per
   * validator in set order, COMMIT for precommits of the block, NIL for nil precommits, ABSENT for
   * missing votes and for votes for other blocks (as CometBFT does).
   */
  makeCommit(blockId: BlockID): Commit {
    if (this.type !== 2) throw new Error('a commit is made of precommits');
    if (isNilBlockId(blockId) || !this.valSet.hasTwoThirds(this.powerFor(blockId))) throw new Error('no 2/3 majority of precommits for this block');
    const signatures: CommitSig[] = this.votes.map((v) => {
      if (!v || !(isNilBlockId(v.blockId) || blockIdEquals(v.blockId, blockId))) {
        return { blockIdFlag: BLOCK_ID_FLAG_ABSENT, validatorAddress: new Uint8Array(), timestamp: { seconds: '0', nanos: 0 }, signature: new Uint8Array() };
      }
      return {
        blockIdFlag: isNilBlockId(v.blockId) ? BLOCK_ID_FLAG_NIL : BLOCK_ID_FLAG_COMMIT,
        validatorAddress: v.validatorAddress,
        timestamp: { seconds: v.timestamp.seconds.toString(), nanos: v.timestamp.nanos },
        signature: v.signature,
      };
    });
    return { height: this.height.toString(), round: this.round, blockId, signatures };
  }
}

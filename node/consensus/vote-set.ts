// The votes of one type (prevote or precommit) at one height and round, tallied by voting power per
// block id. A validator's first vote counts toward "2f+1 votes for anything". The paper counts
// messages per value, so a validator that equivocates may also count once toward each other value
// it signed: without that, an honest node that happened to receive the equivocator's other vote first
// would never see the proof-of-lock its peers see, and could stall forever. The caller decides which
// extra values are worth storing (nil, and block ids of proposals at this height), which bounds the
// memory an equivocator can make us spend. Signatures are checked by the caller before add().
import { BLOCK_ID_FLAG_ABSENT, BLOCK_ID_FLAG_COMMIT, BLOCK_ID_FLAG_NIL, type Commit, type CommitSig } from '../store/block-types.ts';
import { blockIdEquals, blockIdKey, isNilBlockId, sameVote, type BlockID, type Vote, type VoteType } from './types.ts';
import type { ValidatorSet } from './validator-set.ts';

export type AddVoteResult =
  | { kind: 'added' }
  | { kind: 'duplicate' }
  /** Same validator, same block id, different timestamp/signature: not counted, not evidence. */
  | { kind: 'redundant' }
  /** A vote for another block id than the validator's first vote: evidence; `counted` if stored for its value. */
  | { kind: 'conflict'; existing: Vote; counted: boolean };

export class VoteSet {
  readonly height: bigint;
  readonly round: number;
  readonly type: VoteType;
  readonly valSet: ValidatorSet;
  /** Per validator: its first vote, then conflicting votes kept for their values. */
  private readonly votes: (Vote[] | undefined)[];
  private readonly powerByBlock = new Map<string, bigint>();
  private sum = 0n;
  private maj23: BlockID | undefined;
  private count = 0;

  constructor(height: bigint, round: number, type: VoteType, valSet: ValidatorSet) {
    this.height = height;
    this.round = round;
    this.type = type;
    this.valSet = valSet;
    this.votes = new Array<Vote[] | undefined>(valSet.size).fill(undefined);
  }

  /** The validator's first vote. */
  get(index: number): Vote | undefined {
    return this.votes[index]?.[0];
  }

  /** Whether the exact vote (bytes-equal, signature included) is already held: no need to verify it again. */
  has(vote: Vote): boolean {
    return !!this.votes[vote.validatorIndex]?.some((v) => sameVote(v, vote));
  }

  private credit(blockId: BlockID, power: bigint): void {
    const key = blockIdKey(blockId);
    const total = (this.powerByBlock.get(key) ?? 0n) + power;
    this.powerByBlock.set(key, total);
    if (this.maj23 === undefined && this.valSet.hasTwoThirds(total)) this.maj23 = blockId;
  }

  /** `wanted` says whether a conflicting vote's value is worth storing and counting. */
  add(vote: Vote, wanted: (blockId: BlockID) => boolean = () => false): AddVoteResult {
    if (vote.height !== this.height || vote.round !== this.round || vote.type !== this.type) throw new Error('vote does not belong to this vote set');
    const val = this.valSet.get(vote.validatorIndex);
    if (!val) throw new Error('validator index out of range');
    const mine = this.votes[vote.validatorIndex];
    if (mine) {
      for (const v of mine) {
        if (sameVote(v, vote)) return { kind: 'duplicate' };
        if (blockIdEquals(v.blockId, vote.blockId)) return { kind: 'redundant' };
      }
      const counted = wanted(vote.blockId);
      if (counted) {
        mine.push(vote);
        this.credit(vote.blockId, val.votingPower);
      }
      return { kind: 'conflict', existing: mine[0]!, counted };
    }
    this.votes[vote.validatorIndex] = [vote];
    this.count++;
    this.sum += val.votingPower;
    this.credit(vote.blockId, val.votingPower);
    return { kind: 'added' };
  }

  /**
   * Forgets a validator's votes (used only for far-future rounds that never reached 1/3 of the power,
   * so no rule can have fired on them). Never call it on a round that has a 2/3 majority.
   */
  remove(index: number): void {
    const mine = this.votes[index];
    if (!mine) return;
    if (this.maj23 !== undefined) throw new Error('cannot remove a vote from a round with a 2/3 majority');
    const power = this.valSet.get(index)!.votingPower;
    for (const v of mine) {
      const key = blockIdKey(v.blockId);
      const left = this.powerByBlock.get(key)! - power;
      if (left === 0n) this.powerByBlock.delete(key);
      else this.powerByBlock.set(key, left);
    }
    this.sum -= power;
    this.votes[index] = undefined;
    this.count--;
  }

  /** Validators with a vote here. */
  get size(): number {
    return this.count;
  }

  /** Voting power of the validators that voted, whatever for (each once). */
  get totalPower(): bigint {
    return this.sum;
  }

  /** Voting power of the validators that voted for this block id. */
  powerFor(blockId: BlockID): bigint {
    return this.powerByBlock.get(blockIdKey(blockId)) ?? 0n;
  }

  /** The paper's "2f+1 ⟨·, h, r, ∗⟩": more than 2/3 of the power voted, for anything. */
  hasTwoThirdsAny(): boolean {
    return this.valSet.hasTwoThirds(this.sum);
  }

  /** The first block id (possibly nil) to gather more than 2/3 of the power, if any. */
  twoThirdsMajority(): BlockID | undefined {
    return this.maj23;
  }

  /** Every vote held (first votes and counted conflicting ones), in validator order. */
  list(): Vote[] {
    const out: Vote[] = [];
    for (const mine of this.votes) if (mine) out.push(...mine);
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
    const signatures: CommitSig[] = this.votes.map((mine) => {
      const v = mine?.find((x) => blockIdEquals(x.blockId, blockId)) ?? mine?.find((x) => isNilBlockId(x.blockId));
      if (!v) {
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

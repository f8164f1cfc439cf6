// The validator set of one height: validators in CometBFT order (voting power descending, then
// address ascending), which fixes every vote's validator_index and the order of a commit's
// signatures; the total power that quorums are measured against; and the proposer priorities.
import { validatorSetHash, type Validator } from '../store/block-types.ts';
import { validatorAddress } from '../validator-key.ts';
import { isValidPublicKey } from '../../chain/crypto/secp256k1.ts';
import {
  MAX_TOTAL_VOTING_POWER, incrementProposerPriority, incrementOnce, rescalePriorities, shiftByAveragePriority,
  PRIORITY_WINDOW_SIZE_FACTOR, INT64_MIN, INT64_MAX, type PriorityEntry,
} from './proposer-priority.ts';
import { bytesEqual } from './types.ts';

export interface ConsensusValidator {
  readonly address: Uint8Array;
  readonly pubKey: Uint8Array;
  readonly votingPower: bigint;
  readonly proposerPriority: bigint;
  readonly name?: string;
}

function addrKey(a: Uint8Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

export class ValidatorSet {
  readonly validators: readonly ConsensusValidator[];
  readonly totalVotingPower: bigint;
  /** Index of the round-0 proposer of the height this set belongs to. */
  readonly proposerIndex: number;
  private readonly byAddress: Map<string, number>;

  private constructor(validators: ConsensusValidator[], proposerIndex: number) {
    this.validators = validators;
    this.proposerIndex = proposerIndex;
    let total = 0n;
    this.byAddress = new Map();
    for (let i = 0; i < validators.length; i++) {
      total += validators[i]!.votingPower;
      this.byAddress.set(addrKey(validators[i]!.address), i);
    }
    this.totalVotingPower = total;
  }

  /**
   * The set a chain starts with (CometBFT's NewValidatorSet): sorted, all priorities zero, then one
   * election step, so the first proposer is the most powerful validator.
   */
  static fromGenesis(vals: readonly Validator[]): ValidatorSet {
    const entries = checkAndSort(vals.map((v) => ({ ...v, proposerPriority: 0n })));
    const p = incrementProposerPriority(entries as PriorityEntry[], 1);
    return new ValidatorSet(entries, p);
  }

  /**
   * A set restored from what the node persisted: the validators with their priorities and the
   * address of the round-0 proposer of the height (it is not derivable from the priorities: the
   * elected validator had the total power subtracted from its priority).
   */
  static withPriorities(vals: readonly (Validator & { proposerPriority: bigint })[], proposerAddress: Uint8Array): ValidatorSet {
    const entries = checkAndSort(vals.map((v) => ({ ...v })));
    for (const e of entries) {
      if (typeof e.proposerPriority !== 'bigint' || e.proposerPriority < INT64_MIN || e.proposerPriority > INT64_MAX) throw new Error('proposer priority out of int64 range');
    }
    const idx = entries.findIndex((e) => bytesEqual(e.address, proposerAddress));
    if (idx < 0) throw new Error('the proposer is not in the validator set');
    return new ValidatorSet(entries, idx);
  }

  get size(): number {
    return this.validators.length;
  }

  get proposer(): ConsensusValidator {
    return this.validators[this.proposerIndex]!;
  }

  indexOf(address: Uint8Array): number {
    return this.byAddress.get(addrKey(address)) ?? -1;
  }

  get(index: number): ConsensusValidator | undefined {
    return Number.isInteger(index) && index >= 0 ? this.validators[index] : undefined;
  }

  /** The set of the next height when the membership is unchanged (CometBFT increments once per height). */
  next(): ValidatorSet {
    return this.copyIncrementProposerPriority(1);
  }

  copyIncrementProposerPriority(times: number): ValidatorSet {
    const entries = this.validators.map((v) => ({ ...v })) as PriorityEntry[] & ConsensusValidator[];
    const p = incrementProposerPriority(entries, times);
    return new ValidatorSet(entries, p);
  }

  /** More than 2/3 of the total voting power (the paper's 2f+1). */
  hasTwoThirds(power: bigint): boolean {
    return power * 3n > this.totalVotingPower * 2n;
  }

  /** More than 1/3 of the total voting power (the paper's f+1: at least one honest validator). */
  hasOneThird(power: bigint): boolean {
    return power * 3n > this.totalVotingPower;
  }

  /** What the header's validators_hash commits to (this order). */
  hash(): Uint8Array {
    return validatorSetHash(this.validators);
  }

  /** Proposer of each round of this height; round r advances the priorities r times. */
  proposerSchedule(): ProposerSchedule {
    return new ProposerSchedule(this);
  }
}

/**
 * proposer(h, r) for one height. Round 0 is the set's proposer; round r >= 1 is the r-th election
 * step after one window normalisation (CometBFT's CopyIncrementProposerPriority(r)), so every node
 * gets the same proposer for a round whether it got there round by round or by a round skip.
 */
export class ProposerSchedule {
  private readonly set: ValidatorSet;
  private readonly work: PriorityEntry[];
  private readonly total: bigint;
  private readonly byRound: number[];

  constructor(set: ValidatorSet) {
    this.set = set;
    this.work = set.validators.map((v) => ({ address: v.address, votingPower: v.votingPower, proposerPriority: v.proposerPriority }));
    this.total = set.totalVotingPower;
    rescalePriorities(this.work, PRIORITY_WINDOW_SIZE_FACTOR * this.total);
    shiftByAveragePriority(this.work);
    this.byRound = [set.proposerIndex];
  }

  /** Cost is linear in the highest round asked for; callers bound the round (see ConsensusState). */
  proposerIndex(round: number): number {
    if (!Number.isInteger(round) || round < 0) throw new Error(`bad round ${round}`);
    while (this.byRound.length <= round) this.byRound.push(incrementOnce(this.work, this.total));
    return this.byRound[round]!;
  }

  proposer(round: number): ConsensusValidator {
    return this.set.validators[this.proposerIndex(round)]!;
  }
}

function checkAndSort<T extends ConsensusValidator>(vals: T[]): T[] {
  if (vals.length === 0) throw new Error('validator set is empty');
  const seen = new Set<string>();
  let total = 0n;
  for (const v of vals) {
    const k = addrKey(v.address);
    if (seen.has(k)) throw new Error(`duplicate validator ${k.toUpperCase()}`);
    seen.add(k);
    if (v.address.length !== 20) throw new Error(`validator ${k.toUpperCase()}: address must be 20 bytes`);
    if (v.pubKey.length !== 33 || !isValidPublicKey(v.pubKey)) throw new Error(`validator ${k.toUpperCase()}: not a compressed secp256k1 public key`);
    if (!bytesEqual(validatorAddress(v.pubKey), v.address)) throw new Error(`validator ${k.toUpperCase()}: address does not match its public key`);
    if (typeof v.votingPower !== 'bigint' || v.votingPower <= 0n) throw new Error(`validator ${k.toUpperCase()}: voting power must be positive`);
    total += v.votingPower;
    if (total > MAX_TOTAL_VOTING_POWER) throw new Error(`total voting power exceeds ${MAX_TOTAL_VOTING_POWER}`);
  }
  return [...vals].sort((a, b) => (a.votingPower !== b.votingPower ? (a.votingPower > b.votingPower ? -1 : 1) : Buffer.compare(a.address, b.address)));
}

// The validator set of one height: validators in CometBFT order (voting power descending, then
// address ascending), which fixes every vote's validator_index and the order of a commit's
// signatures; the total power that quorums are measured against; and the proposer priorities.
import { validatorSetHash, type Validator } from '../store/block-types.ts';
import { validatorAddress } from '../validator-key.ts';
import { isValidPublicKey } from '../../chain/crypto/secp256k1.ts';
import {
  MAX_TOTAL_VOTING_POWER, incrementProposerPriority, incrementOnce, rescalePriorities, shiftByAveragePriority, indexOfMostPriority, totalPower,
  PRIORITY_WINDOW_SIZE_FACTOR, INT64_MIN, INT64_MAX, type PriorityEntry,
} from './proposer-priority.ts';
import { bytesEqual } from './types.ts';

/** One validator power change from the app (ABCI ValidatorUpdate): power 0 removes the validator. */
export interface ValidatorChange {
  readonly pubKey: Uint8Array;
  readonly power: bigint;
}

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

  /**
   * CometBFT's UpdateWithChangeSet: `changes` (the app's validator updates; power 0 removes a
   * validator) applied to this set, as a new set. A new validator starts at priority
   * -1.125 × (total power after the updates, before removals), so leaving and rejoining cannot
   * reset a negative priority; changed validators keep theirs; then priorities are rescaled into
   * the 2 × total window and centred. Throws (and changes nothing) on duplicates, negative or
   * oversized powers, removal of an unknown validator, an empty result or a total above
   * MAX_TOTAL_VOTING_POWER. The result's proposer is provisional: the node always advances it
   * with next(), as CometBFT's state update calls IncrementProposerPriority(1) after this.
   */
  updateWithChangeSet(changes: readonly ValidatorChange[]): ValidatorSet {
    if (changes.length === 0) return this.copyWith(this.validators.map((v) => ({ ...v })));
    // processChanges: addresses, duplicates, powers; split into updates and deletes (by address).
    const seen = new Set<string>();
    const updates: ConsensusValidator[] = [];
    const deletes: ConsensusValidator[] = [];
    for (const c of changes) {
      if (!(c.pubKey instanceof Uint8Array) || c.pubKey.length !== 33 || !isValidPublicKey(c.pubKey)) throw new Error('validator update: not a compressed secp256k1 public key');
      const address = validatorAddress(c.pubKey);
      const k = addrKey(address);
      if (seen.has(k)) throw new Error(`validator update: duplicate entry for ${k.toUpperCase()}`);
      seen.add(k);
      if (typeof c.power !== 'bigint' || c.power < 0n) throw new Error(`validator update for ${k.toUpperCase()}: negative voting power`);
      if (c.power > MAX_TOTAL_VOTING_POWER) throw new Error(`validator update for ${k.toUpperCase()}: voting power exceeds ${MAX_TOTAL_VOTING_POWER}`);
      (c.power === 0n ? deletes : updates).push({ address, pubKey: Uint8Array.from(c.pubKey), votingPower: c.power, proposerPriority: 0n });
    }
    const byAddr = (a: { address: Uint8Array }, b: { address: Uint8Array }) => Buffer.compare(a.address, b.address);
    updates.sort(byAddr);
    deletes.sort(byAddr);
    const existing = (a: Uint8Array) => this.validators[this.indexOf(a)];
    const added = updates.filter((u) => !existing(u.address)).length;
    if (added === 0 && this.validators.length === deletes.length) throw new Error('validator updates would leave the validator set empty');
    // verifyRemovals
    let removed = 0n;
    for (const d of deletes) {
      const v = existing(d.address);
      if (!v) throw new Error(`validator update: cannot remove ${addrKey(d.address).toUpperCase()}, not in the set`);
      removed += v.votingPower;
    }
    // verifyUpdates: apply power deltas smallest first; the running total must stay within bounds.
    const delta = (u: ConsensusValidator) => u.votingPower - (existing(u.address)?.votingPower ?? 0n);
    let tvp = this.totalVotingPower - removed;
    for (const u of [...updates].sort((a, b) => (delta(a) < delta(b) ? -1 : delta(a) > delta(b) ? 1 : 0))) {
      tvp += delta(u);
      if (tvp > MAX_TOTAL_VOTING_POWER) throw new Error(`validator updates: total voting power would exceed ${MAX_TOTAL_VOTING_POWER}`);
    }
    const tvpBeforeRemovals = tvp + removed;
    // computeNewPriorities, then apply updates and removals.
    const merged = new Map<string, ConsensusValidator & PriorityEntry>();
    for (const v of this.validators) merged.set(addrKey(v.address), { ...v });
    for (const u of updates) {
      const old = existing(u.address);
      const priority = old ? old.proposerPriority : -(tvpBeforeRemovals + (tvpBeforeRemovals >> 3n));
      merged.set(addrKey(u.address), { ...u, name: old?.name, proposerPriority: priority });
    }
    for (const d of deletes) merged.delete(addrKey(d.address));
    const entries = [...merged.values()];
    const total = totalPower(entries);
    if (total > MAX_TOTAL_VOTING_POWER) throw new Error(`total voting power exceeds ${MAX_TOTAL_VOTING_POWER}`);
    rescalePriorities(entries, PRIORITY_WINDOW_SIZE_FACTOR * total);
    shiftByAveragePriority(entries);
    return this.copyWith(entries);
  }

  /** A set with these validators (sorted here), proposer = the highest priority (provisional, see updateWithChangeSet). */
  private copyWith(vals: ConsensusValidator[]): ValidatorSet {
    const sorted = checkAndSort(vals);
    return new ValidatorSet(sorted, indexOfMostPriority(sorted as PriorityEntry[]));
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

// The Tendermint consensus algorithm: Algorithm 1 of Buchman, Kwon and Milosevic, "The latest gossip
// on BFT consensus" (arXiv:1807.04938), for one validator, as a deterministic state machine.
//
// It does no I/O and keeps no time of its own. The node feeds it inputs (proposals and votes from
// peers, timeouts that fired, the node's verdict on proposed values, the value to propose, catch-up
// commits) and carries out the actions it returns (broadcast, schedule a timeout, build a value,
// validate a value, commit a decided block, report evidence). The only outside calls it makes are
// the injected clock (vote timestamps), the signer (double-sign protected) and the optional
// synchronous validity callback. Given the same inputs in the same order it takes the same steps,
// which is what the write-ahead log relies on to restore a validator after a crash.
//
// Values are BlockIDs. Quorums are by voting power: "2f+1" is more than 2/3 of the total power,
// "f+1" more than 1/3. Line numbers in comments refer to Algorithm 1 of the paper.
//
// Deliberate differences from the paper, all as in CometBFT:
// - Every validator, the proposer included, schedules timeoutPropose on entering a round (the
//   proposer's own value may never come if the node cannot build one).
// - A block is decided on +2/3 precommits for its id alone (line 49 also wants the proposal). Those
//   precommits include at least one honest validator that checked the value, so the choice is just
//   as safe; the node then fetches the block by id if it lacks it (catch-up).
// - Only the first proposal from a round's proposer counts; a conflicting second one is dropped.
import type { Commit } from '../store/block-types.ts';
import { i64 } from '../../chain/codec/proto.ts';
import { commitToVotes, verifyCommit } from './commit.ts';
import { makeDuplicateVoteEvidence, type DuplicateVoteEvidence } from './evidence.ts';
import { HeightVoteSet } from './height-votes.ts';
import { DoubleSignError, type ConsensusSigner } from './signer.ts';
import {
  NIL_BLOCK_ID, SIGNED_MSG_TYPE_PRECOMMIT, SIGNED_MSG_TYPE_PREVOTE, STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE,
  blockIdEquals, blockIdKey, copyBlockId, isNilBlockId, isWellFormedBlockId, stepName,
  type BlockID, type Proposal, type Step, type Timestamp, type Vote, type VoteType,
} from './types.ts';
import { proposalBasicError, verifyProposal, verifyVote, voteBasicError } from './verify.ts';
import type { ProposerSchedule, ValidatorSet } from './validator-set.ts';

/** timeout(step, round) = base + delta * round, in milliseconds (the paper's timeouts grow with the round). */
export interface TimeoutParams {
  proposeMs: number;
  proposeDeltaMs: number;
  prevoteMs: number;
  prevoteDeltaMs: number;
  precommitMs: number;
  precommitDeltaMs: number;
}

/** CometBFT's defaults. */
export const DEFAULT_TIMEOUT_PARAMS: TimeoutParams = {
  proposeMs: 3000, proposeDeltaMs: 500, prevoteMs: 1000, prevoteDeltaMs: 500, precommitMs: 1000, precommitDeltaMs: 500,
};

/** setTimeout's ceiling; a round this late is not a practical concern, but the value stays valid. */
const MAX_TIMEOUT_MS = 0x7fffffff;

export function timeoutDuration(p: TimeoutParams, step: Step, round: number): number {
  const [base, delta] = step === STEP_PROPOSE ? [p.proposeMs, p.proposeDeltaMs] : step === STEP_PREVOTE ? [p.prevoteMs, p.prevoteDeltaMs] : [p.precommitMs, p.precommitDeltaMs];
  return Math.min(MAX_TIMEOUT_MS, base + delta * round);
}

/** Everything that can change the engine's state. The write-ahead log stores these. */
export type ConsensusInput =
  | { type: 'proposal'; proposal: Proposal }
  | { type: 'vote'; vote: Vote }
  | { type: 'timeout'; height: bigint; round: number; step: Step }
  /** The node's verdict on a proposed value (answer to a validateValue action). */
  | { type: 'validity'; height: bigint; blockId: BlockID; valid: boolean }
  /** The value to propose (answer to a requestValue action). */
  | { type: 'value'; height: bigint; round: number; blockId: BlockID }
  /** A verified commit for the current height from a peer: decide without waiting for votes. */
  | { type: 'commit'; commit: Commit };

/** What the node must do. Actions come back in the order they must be carried out. */
export type ConsensusAction =
  | { type: 'broadcastProposal'; proposal: Proposal }
  | { type: 'broadcastVote'; vote: Vote }
  /** Call back onTimeout(height, round, step) after durationMs (do not cancel earlier ones: stale timeouts are ignored). */
  | { type: 'scheduleTimeout'; height: bigint; round: number; step: Step; durationMs: number }
  /** We propose this round: build a block and call onProposalValue(height, round, blockId). */
  | { type: 'requestValue'; height: bigint; round: number }
  /** Validate the block with this id (once its content has arrived) and call onValueValidity. */
  | { type: 'validateValue'; height: bigint; round: number; blockId: BlockID }
  /** The height is decided: save the block with this commit, execute it, then call startHeight(height + 1). */
  | { type: 'decide'; height: bigint; round: number; blockId: BlockID; commit: Commit }
  /** A validator double-signed: put the evidence in a block / hand it to the staking module. */
  | { type: 'evidence'; evidence: DuplicateVoteEvidence }
  /** Our signer refused to sign (it signed something conflicting before, e.g. before a crash). */
  | { type: 'signRefused'; height: bigint; round: number; step: Step; reason: string };

export interface InputResult {
  /** The input changed the engine's state (and so belongs in the write-ahead log). */
  accepted: boolean;
  /** Why it was not accepted. */
  reason?: string;
  actions: ConsensusAction[];
}

export interface ConsensusOptions {
  chainId: string;
  /** Omit for a non-validator that follows consensus without voting. */
  signer?: ConsensusSigner;
  /** Vote and proposal timestamps (the node passes wall-clock time; tests a virtual clock). */
  clock: () => Timestamp;
  timeouts?: Partial<TimeoutParams>;
  /**
   * The paper's valid(v), if it can be answered at once: true/false, or undefined when the block is
   * not known yet (the engine then emits validateValue and waits for onValueValidity).
   */
  validate?: (height: bigint, blockId: BlockID) => boolean | undefined;
  /** Called with every input the engine accepts, before acting on it (the write-ahead log hook). */
  journal?: (input: ConsensusInput) => void;
  /** Messages for the next height kept until startHeight (default 10 000). */
  maxBufferedNextHeight?: number;
  /** Proposals are accepted up to this many rounds ahead of the current round (default 4). */
  proposalRoundLead?: number;
}

export interface ConsensusSnapshot {
  height: bigint;
  round: number;
  step: Step;
  lockedValue: BlockID | undefined;
  lockedRound: number;
  validValue: BlockID | undefined;
  validRound: number;
  decision: { round: number; blockId: BlockID } | undefined;
}

type Buffered = { proposal: Proposal } | { vote: Vote };

export class ConsensusState {
  readonly chainId: string;
  private readonly signer: ConsensusSigner | undefined;
  private readonly clock: () => Timestamp;
  private readonly timeouts: TimeoutParams;
  private readonly validateCb: ((height: bigint, blockId: BlockID) => boolean | undefined) | undefined;
  private readonly journal: ((input: ConsensusInput) => void) | undefined;
  private readonly maxBuffered: number;
  private readonly proposalLead: number;

  // --- per height (reset by startHeight) ---
  private started = false;
  private h = 0n;
  private valSet!: ValidatorSet;
  private schedule!: ProposerSchedule;
  private votes!: HeightVoteSet;
  private myIndex = -1;
  private r = 0;
  private step: Step = STEP_PROPOSE;
  private lockedValue: BlockID | undefined;
  private lockedRound = -1;
  private validValue: BlockID | undefined;
  private validRound = -1;
  private decision: { round: number; blockId: BlockID; commit: Commit } | undefined;
  /** valid(v) verdicts by block id key, and the keys already asked of the node. */
  private validity = new Map<string, boolean>();
  private validationAsked = new Set<string>();
  /** Round whose value we asked the node for (-1: none pending). */
  private awaitingValue = -1;
  /** Rounds for which the "for the first time" rules (lines 34, 36, 47) have fired. */
  private prevoteTimeoutRound = -1;
  private line36Round = -1;
  private precommitTimeoutRound = -1;
  private evidenceSeen = new Set<string>();
  private nextHeight: Buffered[] = [];

  constructor(opts: ConsensusOptions) {
    this.chainId = opts.chainId;
    this.signer = opts.signer;
    this.clock = opts.clock;
    this.timeouts = { ...DEFAULT_TIMEOUT_PARAMS, ...opts.timeouts };
    for (const [k, v] of Object.entries(this.timeouts)) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`timeout parameter ${k} must be a non-negative integer (ms), got ${v}`);
    }
    this.validateCb = opts.validate;
    this.journal = opts.journal;
    this.maxBuffered = opts.maxBufferedNextHeight ?? 10_000;
    this.proposalLead = opts.proposalRoundLead ?? 4;
  }

  // ------------------------------------------------------------------ inputs

  /**
   * Starts consensus at `height` with that height's validator set (CometBFT priorities: the set of
   * height h+1 is `set.next()` when membership does not change). Messages for this height that
   * arrived early are processed now.
   */
  startHeight(height: bigint, valSet: ValidatorSet): ConsensusAction[] {
    if (this.started && height <= this.h) throw new Error(`startHeight(${height}): already at height ${this.h}`);
    if (height <= 0n) throw new Error('heights start at 1');
    const buffered = this.nextHeight;
    this.nextHeight = [];
    this.started = true;
    this.h = height;
    this.valSet = valSet;
    this.schedule = valSet.proposerSchedule();
    this.votes = new HeightVoteSet(height, valSet);
    this.myIndex = this.signer ? valSet.indexOf(this.signer.address) : -1;
    this.r = 0;
    this.step = STEP_PROPOSE;
    this.lockedValue = undefined;
    this.lockedRound = -1;
    this.validValue = undefined;
    this.validRound = -1;
    this.decision = undefined;
    this.validity = new Map();
    this.validationAsked = new Set();
    this.awaitingValue = -1;
    this.prevoteTimeoutRound = -1;
    this.line36Round = -1;
    this.precommitTimeoutRound = -1;
    this.evidenceSeen = new Set();
    const out: ConsensusAction[] = [];
    this.startRound(0, out); // line 10: upon start do StartRound(0)
    this.applyRules(out);
    for (const m of buffered) {
      const res = 'proposal' in m ? this.onProposal(m.proposal) : this.onVote(m.vote);
      out.push(...res.actions);
    }
    return out;
  }

  handle(input: ConsensusInput): InputResult {
    switch (input.type) {
      case 'proposal': return this.onProposal(input.proposal);
      case 'vote': return this.onVote(input.vote);
      case 'timeout': return this.onTimeout(input.height, input.round, input.step);
      case 'validity': return this.onValueValidity(input.height, input.blockId, input.valid);
      case 'value': return this.onProposalValue(input.height, input.round, input.blockId);
      case 'commit': return this.onCommit(input.commit);
    }
  }

  onProposal(p: Proposal): InputResult {
    const early = this.checkHeight(p.height, () => ({ proposal: p }));
    if (early) return early;
    const basic = proposalBasicError(p);
    if (basic) return reject(basic);
    if (this.decision) return reject('height already decided');
    if (p.round < this.r) return reject('proposal for a past round');
    if (p.round > this.r + this.proposalLead) return reject('proposal too far ahead');
    const existing = this.votes.proposal(p.round);
    if (existing) return reject(Buffer.compare(existing.signature, p.signature) === 0 ? 'duplicate proposal' : 'conflicting proposal (the first one counts)');
    const proposerIdx = this.schedule.proposerIndex(p.round);
    const err = verifyProposal(this.chainId, this.valSet.validators[proposerIdx]!.pubKey, p);
    if (err) return reject(`proposal not signed by the proposer of round ${p.round}: ${err}`);
    if (this.votes.setProposal(p, proposerIdx) !== 'added') return reject('too many future rounds from this proposer');
    this.journal?.({ type: 'proposal', proposal: p });
    const out: ConsensusAction[] = [];
    this.validityOf(p.blockId, p.round, out); // start validating early
    this.applyRules(out);
    return { accepted: true, actions: out };
  }

  onVote(v: Vote): InputResult {
    const early = this.checkHeight(v.height, () => ({ vote: v }));
    if (early) return early;
    const basic = voteBasicError(v);
    if (basic) return reject(basic);
    // After the decision only precommits of the deciding round matter (they enrich the commit).
    if (this.decision && !(v.type === SIGNED_MSG_TYPE_PRECOMMIT && v.round === this.decision.round)) return reject('height already decided');
    if (this.votes.hasVote(v)) return reject('duplicate vote');
    const err = verifyVote(this.chainId, this.valSet, v);
    if (err) return reject(err);
    const res = this.votes.addVote(v);
    if (res.kind === 'duplicate' || res.kind === 'redundant') return reject(`${res.kind} vote`);
    if (res.kind === 'ignored') return reject(res.reason);
    this.journal?.({ type: 'vote', vote: v });
    const out: ConsensusAction[] = [];
    if (res.kind === 'conflict') {
      this.reportConflict(res.existing, v, out);
      if (!res.counted) return { accepted: true, actions: out };
    }
    this.applyRules(out);
    return { accepted: true, actions: out };
  }

  /** A timeout scheduled by a scheduleTimeout action fired. Stale ones are ignored. */
  onTimeout(height: bigint, round: number, step: Step): InputResult {
    if (!this.started || height !== this.h || round !== this.r || this.decision) return reject('stale timeout');
    const out: ConsensusAction[] = [];
    if (step === STEP_PROPOSE) {
      if (this.step !== STEP_PROPOSE) return reject('stale timeout');
      this.journal?.({ type: 'timeout', height, round, step });
      // line 57: OnTimeoutPropose → prevote nil
      this.castVote(SIGNED_MSG_TYPE_PREVOTE, NIL_BLOCK_ID, out);
      this.step = STEP_PREVOTE;
    } else if (step === STEP_PREVOTE) {
      if (this.step !== STEP_PREVOTE) return reject('stale timeout');
      this.journal?.({ type: 'timeout', height, round, step });
      // line 61: OnTimeoutPrevote → precommit nil
      this.castVote(SIGNED_MSG_TYPE_PRECOMMIT, NIL_BLOCK_ID, out);
      this.step = STEP_PRECOMMIT;
    } else if (step === STEP_PRECOMMIT) {
      this.journal?.({ type: 'timeout', height, round, step });
      // line 65: OnTimeoutPrecommit → next round, whatever the step
      this.startRound(this.r + 1, out);
    } else {
      return reject('bad step');
    }
    this.applyRules(out);
    return { accepted: true, actions: out };
  }

  /** The node's verdict on a value (the paper's valid(v)), e.g. after its block content arrived. */
  onValueValidity(height: bigint, blockId: BlockID, valid: boolean): InputResult {
    if (!this.started || height !== this.h) return reject('wrong height');
    if (typeof valid !== 'boolean' || !isWellFormedBlockId(blockId) || isNilBlockId(blockId)) return reject('malformed verdict');
    const key = blockIdKey(blockId);
    const known = this.validity.get(key);
    if (known !== undefined) return reject(known === valid ? 'verdict already known' : 'contradicts an earlier verdict');
    this.journal?.({ type: 'validity', height, blockId, valid });
    this.validity.set(key, valid);
    const out: ConsensusAction[] = [];
    this.applyRules(out);
    return { accepted: true, actions: out };
  }

  /** The value the node built for our proposal (answer to requestValue). */
  onProposalValue(height: bigint, round: number, blockId: BlockID): InputResult {
    if (!this.started || height !== this.h || round !== this.r || this.awaitingValue !== round || this.step !== STEP_PROPOSE || this.decision) {
      return reject('no value is awaited for this height and round');
    }
    if (!isWellFormedBlockId(blockId) || isNilBlockId(blockId)) return reject('a proposal needs a complete block id');
    if (this.votes.proposal(round)) return reject('round already has a proposal');
    this.journal?.({ type: 'value', height, round, blockId });
    this.awaitingValue = -1;
    const out: ConsensusAction[] = [];
    this.validity.set(blockIdKey(blockId), true); // our own node built it
    this.propose(copyBlockId(blockId), -1, out); // line 18: proposal ← getValue()
    this.applyRules(out);
    return { accepted: true, actions: out };
  }

  /** A commit for the current height from a peer (we fell behind): verified, then decided. */
  onCommit(commit: Commit): InputResult {
    if (!this.started) return reject('not started');
    let height: bigint;
    try {
      height = i64(commit.height);
    } catch {
      return reject('malformed commit');
    }
    if (height !== this.h) return reject(`commit for height ${height}, we are at ${this.h}`);
    if (this.decision) return reject('height already decided');
    try {
      verifyCommit(this.chainId, this.valSet, this.h, commit.blockId, commit);
    } catch (err) {
      return reject((err as Error).message);
    }
    this.journal?.({ type: 'commit', commit });
    const out: ConsensusAction[] = [];
    // Its precommits are verified votes like any other: one may betray an equivocator.
    for (const v of commitToVotes(commit)) {
      const res = this.votes.addVote(v);
      if (res.kind === 'conflict') this.reportConflict(res.existing, v, out);
    }
    this.decision = { round: commit.round ?? 0, blockId: copyBlockId(commit.blockId), commit };
    out.push({ type: 'decide', height: this.h, round: this.decision.round, blockId: this.decision.blockId, commit });
    return { accepted: true, actions: out };
  }

  // ------------------------------------------------------------------ queries

  get height(): bigint {
    return this.h;
  }

  get round(): number {
    return this.r;
  }

  get validatorSet(): ValidatorSet {
    return this.valSet;
  }

  /** Our index in the current validator set, -1 if we are not a validator of this height. */
  get validatorIndex(): number {
    return this.myIndex;
  }

  snapshot(): ConsensusSnapshot {
    return {
      height: this.h, round: this.r, step: this.step,
      lockedValue: this.lockedValue, lockedRound: this.lockedRound, validValue: this.validValue, validRound: this.validRound,
      decision: this.decision ? { round: this.decision.round, blockId: this.decision.blockId } : undefined,
    };
  }

  /**
   * The commit of the decided height, rebuilt from every precommit received so far (later
   * precommits make it fuller than the one in the decide action). Undefined before a decision.
   */
  commit(): Commit | undefined {
    if (!this.decision) return undefined;
    const set = this.votes.precommits(this.decision.round);
    if (!set || !this.valSet.hasTwoThirds(set.powerFor(this.decision.blockId))) return this.decision.commit; // decided by a catch-up commit
    return set.makeCommit(this.decision.blockId);
  }

  /**
   * Every proposal and counted vote held at this height. The node re-broadcasts these periodically
   * (and to new peers): the algorithm assumes messages of correct validators eventually reach
   * everyone, which a lossy network only gives through such re-gossip.
   */
  gossip(): { proposals: Proposal[]; votes: Vote[] } {
    if (!this.started) return { proposals: [], votes: [] };
    return this.votes.messages();
  }

  /**
   * The actions that put a restored engine (after write-ahead-log replay) back in business:
   * re-broadcast our own messages of this height (we may have crashed before sending them),
   * re-schedule the current step's timeouts, re-ask for a value or a verdict, or re-announce the
   * decision.
   */
  resume(): ConsensusAction[] {
    const out: ConsensusAction[] = [];
    if (!this.started) return out;
    const { proposals, votes } = this.votes.messages();
    for (const p of proposals) if (this.myIndex >= 0 && this.schedule.proposerIndex(p.round) === this.myIndex) out.push({ type: 'broadcastProposal', proposal: p });
    for (const v of votes) if (v.validatorIndex === this.myIndex) out.push({ type: 'broadcastVote', vote: v });
    if (this.decision) {
      out.push({ type: 'decide', height: this.h, round: this.decision.round, blockId: this.decision.blockId, commit: this.commit()! });
      return out;
    }
    if (this.step === STEP_PROPOSE) out.push(this.timeoutAction(STEP_PROPOSE));
    if (this.step === STEP_PREVOTE && this.prevoteTimeoutRound === this.r) out.push(this.timeoutAction(STEP_PREVOTE));
    if (this.precommitTimeoutRound === this.r) out.push(this.timeoutAction(STEP_PRECOMMIT));
    if (this.awaitingValue === this.r) out.push({ type: 'requestValue', height: this.h, round: this.r });
    this.validationAsked = new Set();
    const p = this.votes.proposal(this.r);
    if (p) this.validityOf(p.blockId, this.r, out);
    this.applyRules(out);
    return out;
  }

  // ------------------------------------------------------------------ the algorithm

  /** Duplicate-vote evidence, once per validator, round and vote type. */
  private reportConflict(existing: Vote, v: Vote, out: ConsensusAction[]): void {
    const key = `${v.validatorIndex}/${v.round}/${v.type}`;
    if (this.evidenceSeen.has(key)) return;
    this.evidenceSeen.add(key);
    out.push({ type: 'evidence', evidence: makeDuplicateVoteEvidence(existing, v, this.valSet) });
  }

  /** Messages for the next height wait in a bounded buffer; other heights are dropped. */
  private checkHeight(height: bigint, buffered: () => Buffered): InputResult | undefined {
    if (!this.started) return reject('not started');
    if (typeof height !== 'bigint') return reject('bad height');
    if (height === this.h) return undefined;
    if (height === this.h + 1n) {
      if (this.nextHeight.length >= this.maxBuffered) return reject('next-height buffer full');
      this.nextHeight.push(buffered());
      return reject('buffered for the next height');
    }
    return reject(height < this.h ? 'message for a past height' : 'message for a future height');
  }

  private timeoutAction(step: Step): ConsensusAction {
    return { type: 'scheduleTimeout', height: this.h, round: this.r, step, durationMs: timeoutDuration(this.timeouts, step, this.r) };
  }

  private isProposer(round: number): boolean {
    return this.myIndex >= 0 && this.schedule.proposerIndex(round) === this.myIndex;
  }

  /** Lines 11-21: StartRound(round). */
  private startRound(round: number, out: ConsensusAction[]): void {
    this.r = round;
    this.votes.setRound(round);
    this.step = STEP_PROPOSE;
    this.awaitingValue = -1;
    if (this.isProposer(round)) {
      if (this.validValue) this.propose(this.validValue, this.validRound, out); // line 16
      else {
        this.awaitingValue = round; // line 18: getValue(), answered by onProposalValue
        out.push({ type: 'requestValue', height: this.h, round });
      }
    }
    out.push(this.timeoutAction(STEP_PROPOSE)); // line 21 (for the proposer too, see the header)
  }

  /** Line 19: broadcast ⟨PROPOSAL, h, round, value, validRound⟩ (and receive it ourselves). */
  private propose(blockId: BlockID, polRound: number, out: ConsensusAction[]): void {
    if (!this.signer) return;
    let p: Proposal;
    try {
      p = this.signer.signProposal(this.chainId, { height: this.h, round: this.r, polRound, blockId, timestamp: this.clock() });
    } catch (err) {
      if (!(err instanceof DoubleSignError)) throw err;
      out.push({ type: 'signRefused', height: this.h, round: this.r, step: STEP_PROPOSE, reason: err.message });
      const prev = err.signed;
      if (!prev || 'type' in prev || prev.height !== this.h || prev.round !== this.r) return;
      p = prev; // the proposal we signed before a crash: send that one
    }
    this.votes.setProposal(p, this.myIndex);
    this.validity.set(blockIdKey(p.blockId), true); // our own value (or validValue, known valid)
    out.push({ type: 'broadcastProposal', proposal: p });
  }

  /** Signs and broadcasts our vote, and counts it like any received vote. */
  private castVote(type: VoteType, blockId: BlockID, out: ConsensusAction[]): void {
    if (!this.signer || this.myIndex < 0) return;
    let v: Vote;
    try {
      v = this.signer.signVote(this.chainId, {
        type, height: this.h, round: this.r, blockId, timestamp: this.clock(),
        validatorAddress: this.signer.address, validatorIndex: this.myIndex,
      });
    } catch (err) {
      if (!(err instanceof DoubleSignError)) throw err;
      out.push({ type: 'signRefused', height: this.h, round: this.r, step: type === SIGNED_MSG_TYPE_PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT, reason: err.message });
      const prev = err.signed;
      if (!prev || !('type' in prev) || prev.type !== type || prev.height !== this.h || prev.round !== this.r || prev.validatorIndex !== this.myIndex) return;
      // The vote we signed for this step before a crash (whose cause the WAL lost): send that one,
      // so we still take part in the round. A block precommit means we had locked on the block
      // at this round (2f+1 prevotes and its proposal), so the lock comes back with it.
      v = prev;
      if (type === SIGNED_MSG_TYPE_PRECOMMIT && !isNilBlockId(v.blockId)) {
        if (this.r > this.lockedRound) {
          this.lockedValue = v.blockId;
          this.lockedRound = this.r;
        }
        if (this.r > this.validRound) {
          this.validValue = v.blockId;
          this.validRound = this.r;
        }
      }
    }
    const res = this.votes.addVote(v);
    if (res.kind === 'conflict') {
      // We hold a different vote of ours for this slot that our signer did not know about: the same
      // key signs elsewhere too (a second node running this validator). Do not make it worse.
      out.push({ type: 'signRefused', height: this.h, round: this.r, step: type === SIGNED_MSG_TYPE_PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT,
        reason: `a different ${stepName(type === SIGNED_MSG_TYPE_PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT)} of this validator is already known: is the key in use on another node?` });
      return;
    }
    out.push({ type: 'broadcastVote', vote: v });
  }

  /** valid(v): known verdict, else the synchronous callback, else ask the node (once) and wait. */
  private validityOf(blockId: BlockID, round: number, out: ConsensusAction[]): boolean | undefined {
    const key = blockIdKey(blockId);
    const known = this.validity.get(key);
    if (known !== undefined) return known;
    const v = this.validateCb?.(this.h, blockId);
    if (v === true || v === false) {
      this.journal?.({ type: 'validity', height: this.h, blockId, valid: v });
      this.validity.set(key, v);
      return v;
    }
    if (!this.validationAsked.has(key)) {
      this.validationAsked.add(key);
      out.push({ type: 'validateValue', height: this.h, round, blockId });
    }
    return undefined;
  }

  /** Fires upon-rules until none applies (each firing changes state, so this terminates). */
  private applyRules(out: ConsensusAction[]): void {
    for (let i = 0; i < 100_000; i++) {
      if (this.decision || !this.fireOneRule(out)) return;
    }
    throw new Error('consensus rules did not settle');
  }

  private fireOneRule(out: ConsensusAction[]): boolean {
    // Line 49: +2/3 precommits for a block in any round → decide.
    const dec = this.votes.decision();
    if (dec) {
      const commit = this.votes.precommits(dec.round)!.makeCommit(dec.blockId);
      this.decision = { round: dec.round, blockId: dec.blockId, commit };
      out.push({ type: 'decide', height: this.h, round: dec.round, blockId: dec.blockId, commit });
      return true;
    }
    // Line 55: f+1 messages from a higher round → skip to it.
    const skip = this.votes.skipTarget(this.r);
    if (skip > this.r) {
      this.startRound(skip, out);
      return true;
    }
    const proposal = this.votes.proposal(this.r);
    const prevotes = this.votes.prevotes(this.r);
    const prevoteMaj = prevotes?.twoThirdsMajority();
    if (this.step === STEP_PROPOSE && proposal) {
      const v = proposal.blockId;
      if (proposal.polRound === -1) {
        // Line 22: a fresh proposal. Prevote it if valid and we are not locked on something else.
        const valid = this.validityOf(v, this.r, out);
        if (valid !== undefined) {
          const ok = valid && (this.lockedRound === -1 || blockIdEquals(this.lockedValue!, v));
          this.castVote(SIGNED_MSG_TYPE_PREVOTE, ok ? v : NIL_BLOCK_ID, out);
          this.step = STEP_PREVOTE;
          return true;
        }
      } else {
        // Line 28: a re-proposal with a proof-of-lock at round vr < round: 2f+1 prevotes for v at vr.
        const pol = this.votes.prevotes(proposal.polRound)?.twoThirdsMajority();
        if (pol && blockIdEquals(pol, v)) {
          const valid = this.validityOf(v, this.r, out);
          if (valid !== undefined) {
            const ok = valid && (this.lockedRound <= proposal.polRound || blockIdEquals(this.lockedValue!, v));
            this.castVote(SIGNED_MSG_TYPE_PREVOTE, ok ? v : NIL_BLOCK_ID, out);
            this.step = STEP_PREVOTE;
            return true;
          }
        }
      }
    }
    // Line 34: 2f+1 prevotes for anything, for the first time → schedule timeoutPrevote.
    if (this.step === STEP_PREVOTE && this.prevoteTimeoutRound !== this.r && prevotes?.hasTwoThirdsAny()) {
      this.prevoteTimeoutRound = this.r;
      out.push(this.timeoutAction(STEP_PREVOTE));
      return true;
    }
    // Line 36: the proposal and 2f+1 prevotes for it, for the first time → lock, precommit, remember as valid.
    if (this.step >= STEP_PREVOTE && this.line36Round !== this.r && proposal && prevoteMaj && !isNilBlockId(prevoteMaj) && blockIdEquals(prevoteMaj, proposal.blockId)) {
      const valid = this.validityOf(proposal.blockId, this.r, out);
      if (valid === true) {
        this.line36Round = this.r;
        if (this.step === STEP_PREVOTE) {
          this.lockedValue = proposal.blockId;
          this.lockedRound = this.r;
          this.castVote(SIGNED_MSG_TYPE_PRECOMMIT, proposal.blockId, out);
          this.step = STEP_PRECOMMIT;
        }
        this.validValue = proposal.blockId;
        this.validRound = this.r;
        return true;
      }
    }
    // Line 44: 2f+1 prevotes for nil → precommit nil.
    if (this.step === STEP_PREVOTE && prevoteMaj && isNilBlockId(prevoteMaj)) {
      this.castVote(SIGNED_MSG_TYPE_PRECOMMIT, NIL_BLOCK_ID, out);
      this.step = STEP_PRECOMMIT;
      return true;
    }
    // Line 47: 2f+1 precommits for anything, for the first time → schedule timeoutPrecommit.
    if (this.precommitTimeoutRound !== this.r && this.votes.precommits(this.r)?.hasTwoThirdsAny()) {
      this.precommitTimeoutRound = this.r;
      out.push(this.timeoutAction(STEP_PRECOMMIT));
      return true;
    }
    return false;
  }
}

function reject(reason: string): InputResult {
  return { accepted: false, reason, actions: [] };
}

// Unit tests of the Tendermint state machine: one engine under test, every other validator simulated
// by hand-signed messages, each upon-rule of Algorithm 1 exercised on its own.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ConsensusState, DEFAULT_TIMEOUT_PARAMS, type ConsensusAction, type ConsensusOptions } from './state-machine.ts';
import { PrivValidator, MemorySignStateStore } from './privval.ts';
import { verifyCommit } from './commit.ts';
import { verifyDuplicateVoteEvidence } from './evidence.ts';
import {
  CHAIN_ID, blockId, keyAt, makeKeys, makeValSet, precommit, prevote, signedProposal, signedVote, ts,
} from './test-fixtures.ts';
import {
  NIL_BLOCK_ID, SIGNED_MSG_TYPE_PRECOMMIT, SIGNED_MSG_TYPE_PREVOTE, STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE,
  blockIdEquals, isNilBlockId, type BlockID, type Vote,
} from './types.ts';
import type { ValidatorKey } from '../validator-key.ts';
import type { ValidatorSet } from './validator-set.ts';

const H = 1n;
const B = blockId('B');
const C = blockId('C');

interface Harness {
  cs: ConsensusState;
  set: ValidatorSet;
  keys: ValidatorKey[];
  me: number;
  /** Key of the validator at set index i. */
  k(i: number): ValidatorKey;
  /** Set index of the proposer of round r. */
  proposer(r: number): number;
  /** Indices other than mine and other than `except`, in order. */
  others(...except: number[]): number[];
  actions: ConsensusAction[];
}

/**
 * An engine for validator `meRole`: 'proposer' (of round 0) or 'other' (not the proposer of
 * rounds 0..2, so tests control every proposal).
 */
function harness(opts: { n?: number; powers?: bigint[]; role?: 'proposer' | 'other'; engine?: Partial<ConsensusOptions> } = {}): Harness {
  const n = opts.n ?? 4;
  const keys = makeKeys(n);
  const set = makeValSet(keys, opts.powers);
  const sched = set.proposerSchedule();
  let me: number;
  if (opts.role === 'proposer') me = sched.proposerIndex(0);
  else {
    me = -1;
    for (let i = 0; i < n && me < 0; i++) if (![0, 1, 2].some((r) => sched.proposerIndex(r) === i)) me = i;
    if (me < 0) me = [...Array(n).keys()].find((i) => i !== sched.proposerIndex(0))!;
  }
  const myKey = keyAt(keys, set, me);
  const cs = new ConsensusState({
    chainId: CHAIN_ID, signer: new PrivValidator(myKey, new MemorySignStateStore()), clock: () => ts(1000),
    validate: () => true, ...opts.engine,
  });
  const actions = cs.startHeight(H, set);
  return {
    cs, set, keys, me, actions,
    k: (i) => keyAt(keys, set, i),
    proposer: (r) => sched.proposerIndex(r),
    others: (...except) => [...Array(n).keys()].filter((i) => i !== me && !except.includes(i)),
  };
}

function votesOf(actions: ConsensusAction[], type?: number): Vote[] {
  return actions.flatMap((a) => (a.type === 'broadcastVote' && (type === undefined || a.vote.type === type) ? [a.vote] : []));
}

function timeouts(actions: ConsensusAction[]): { round: number; step: number; durationMs: number }[] {
  return actions.flatMap((a) => (a.type === 'scheduleTimeout' ? [{ round: a.round, step: a.step, durationMs: a.durationMs }] : []));
}

function feed(h: Harness, votes: Vote[]): ConsensusAction[] {
  const out: ConsensusAction[] = [];
  for (const v of votes) {
    const res = h.cs.onVote(v);
    assert.ok(res.accepted, `vote refused: ${res.reason}`);
    out.push(...res.actions);
  }
  return out;
}

function propose(h: Harness, round: number, id: BlockID, polRound = -1): ConsensusAction[] {
  const res = h.cs.onProposal(signedProposal(h.k(h.proposer(round)), H, round, id, polRound));
  assert.ok(res.accepted, `proposal refused: ${res.reason}`);
  return res.actions;
}

/** Brings the harness to round 1 locked on B at round 0 (proposal B, 2f+1 prevotes B, own precommit B, no commit). */
function lockOnBThenRound1(h: Harness): void {
  propose(h, 0, B);
  const pv = feed(h, h.others().slice(0, 2).map((i) => prevote(h.k(i), h.set, H, 0, B)));
  assert.equal(votesOf(pv, SIGNED_MSG_TYPE_PRECOMMIT).length, 1);
  assert.equal(h.cs.snapshot().lockedRound, 0);
  // Precommits for nil from the others: 2f+1 precommits for anything → timeoutPrecommit.
  const pc = feed(h, h.others().slice(0, 2).map((i) => precommit(h.k(i), h.set, H, 0)));
  assert.deepEqual(timeouts(pc).map((t) => t.step), [STEP_PRECOMMIT]);
  const next = h.cs.onTimeout(H, 0, STEP_PRECOMMIT);
  assert.ok(next.accepted);
  assert.equal(h.cs.round, 1);
}

describe('happy path', () => {
  test('a non-proposer prevotes the proposal, locks on 2f+1 prevotes, decides on 2f+1 precommits with a valid commit', () => {
    const h = harness();
    assert.deepEqual(timeouts(h.actions), [{ round: 0, step: STEP_PROPOSE, durationMs: DEFAULT_TIMEOUT_PARAMS.proposeMs }]);
    const a1 = propose(h, 0, B);
    const pv = votesOf(a1);
    assert.equal(pv.length, 1);
    assert.equal(pv[0]!.type, SIGNED_MSG_TYPE_PREVOTE);
    assert.ok(blockIdEquals(pv[0]!.blockId, B));
    // One more prevote: 2 of 4 is not 2f+1.
    const [x, y, z] = h.others();
    assert.equal(votesOf(feed(h, [prevote(h.k(x!), h.set, H, 0, B)])).length, 0);
    const a2 = feed(h, [prevote(h.k(y!), h.set, H, 0, B)]);
    const pc = votesOf(a2, SIGNED_MSG_TYPE_PRECOMMIT);
    assert.equal(pc.length, 1);
    assert.ok(blockIdEquals(pc[0]!.blockId, B));
    const s = h.cs.snapshot();
    assert.equal(s.lockedRound, 0);
    assert.ok(blockIdEquals(s.lockedValue!, B));
    assert.equal(s.validRound, 0);
    assert.equal(feed(h, [precommit(h.k(x!), h.set, H, 0, B)]).filter((a) => a.type === 'decide').length, 0);
    const a3 = feed(h, [precommit(h.k(z!), h.set, H, 0, B)]);
    const dec = a3.find((a) => a.type === 'decide');
    assert.ok(dec && dec.type === 'decide');
    assert.ok(blockIdEquals(dec.blockId, B));
    assert.equal(verifyCommit(CHAIN_ID, h.set, H, B, dec.commit), 3n);
    // Nothing moves after the decision; more precommits of the round fill the commit.
    assert.equal(h.cs.onTimeout(H, 0, STEP_PRECOMMIT).accepted, false);
    feed(h, [precommit(h.k(y!), h.set, H, 0, B)]);
    assert.equal(verifyCommit(CHAIN_ID, h.set, H, B, h.cs.commit()!), 4n);
  });

  test('the proposer asks for a value, proposes it with POL round -1 and prevotes it', () => {
    const h = harness({ role: 'proposer' });
    assert.ok(h.actions.some((a) => a.type === 'requestValue' && a.round === 0 && a.height === H));
    assert.equal(h.cs.onProposalValue(H, 1, B).accepted, false, 'value for another round');
    const res = h.cs.onProposalValue(H, 0, B);
    assert.ok(res.accepted);
    const p = res.actions.find((a) => a.type === 'broadcastProposal');
    assert.ok(p && p.type === 'broadcastProposal');
    assert.equal(p.proposal.polRound, -1);
    assert.ok(blockIdEquals(p.proposal.blockId, B));
    const pv = votesOf(res.actions);
    assert.equal(pv.length, 1);
    assert.ok(blockIdEquals(pv[0]!.blockId, B));
    assert.equal(h.cs.onProposalValue(H, 0, C).accepted, false, 'second value for the same round');
  });

  test('voting power, not the number of validators, makes a quorum', () => {
    // Powers 10,1,1,1: the big validator alone has 10/13 > 2/3; the three small ones have 3/13.
    const h = harness({ powers: [10n, 1n, 1n, 1n] });
    const big = h.set.validators.findIndex((v) => v.votingPower === 10n);
    assert.equal(big, 0, 'sorted by power');
    assert.notEqual(h.me, big);
    propose(h, 0, B);
    const smalls = h.others(big);
    const a1 = feed(h, smalls.map((i) => prevote(h.k(i), h.set, H, 0, B)));
    assert.equal(votesOf(a1, SIGNED_MSG_TYPE_PRECOMMIT).length, 0, 'all small validators together are not 2/3');
    const a2 = feed(h, [prevote(h.k(big), h.set, H, 0, B)]);
    assert.equal(votesOf(a2, SIGNED_MSG_TYPE_PRECOMMIT).length, 1);
    const a3 = feed(h, [precommit(h.k(big), h.set, H, 0, B)]);
    assert.ok(a3.some((a) => a.type === 'decide'), 'big validator + own precommit = 11/13');
  });

  test('a non-validator follows and decides without signing', () => {
    const keys = makeKeys(4);
    const set = makeValSet(keys);
    const cs = new ConsensusState({ chainId: CHAIN_ID, clock: () => ts(1), validate: () => true });
    cs.startHeight(H, set);
    const prop = set.proposerSchedule().proposerIndex(0);
    assert.ok(cs.onProposal(signedProposal(keyAt(keys, set, prop), H, 0, B)).accepted);
    const all: ConsensusAction[] = [];
    for (let i = 0; i < 3; i++) all.push(...cs.onVote(prevote(keyAt(keys, set, i), set, H, 0, B)).actions);
    for (let i = 0; i < 3; i++) all.push(...cs.onVote(precommit(keyAt(keys, set, i), set, H, 0, B)).actions);
    assert.equal(votesOf(all).length, 0);
    assert.ok(all.some((a) => a.type === 'decide'));
  });
});

describe('validity', () => {
  test('an invalid value gets a nil prevote', () => {
    const h = harness({ engine: { validate: (_h, id) => !blockIdEquals(id, C) } });
    const pv = votesOf(propose(h, 0, C));
    assert.equal(pv.length, 1);
    assert.ok(isNilBlockId(pv[0]!.blockId));
  });

  test('an unknown value is asked for once, and prevoted when the verdict comes', () => {
    const h = harness({ engine: { validate: () => undefined } });
    const a1 = propose(h, 0, B);
    assert.equal(votesOf(a1).length, 0);
    assert.equal(a1.filter((a) => a.type === 'validateValue').length, 1);
    assert.equal(h.cs.onValueValidity(H, B, true).accepted, true);
    assert.equal(h.cs.onValueValidity(H, B, false).accepted, false, 'a verdict cannot be changed');
    const s = h.cs.snapshot();
    assert.equal(s.step, STEP_PREVOTE);
  });

  test('no verdict before timeoutPropose: prevote nil', () => {
    const h = harness({ engine: { validate: () => undefined } });
    propose(h, 0, B);
    const res = h.cs.onTimeout(H, 0, STEP_PROPOSE);
    const pv = votesOf(res.actions);
    assert.equal(pv.length, 1);
    assert.ok(isNilBlockId(pv[0]!.blockId));
  });
});

describe('locking (lines 22, 28, 36)', () => {
  test('locked on B in round 0, a fresh proposal of C in round 1 gets a nil prevote', () => {
    const h = harness();
    lockOnBThenRound1(h);
    const pv = votesOf(propose(h, 1, C));
    assert.equal(pv.length, 1);
    assert.ok(isNilBlockId(pv[0]!.blockId), 'locked validators do not prevote another value');
    assert.ok(blockIdEquals(h.cs.snapshot().lockedValue!, B));
  });

  test('locked on B, a fresh proposal of B itself is prevoted', () => {
    const h = harness();
    lockOnBThenRound1(h);
    const pv = votesOf(propose(h, 1, B));
    assert.ok(blockIdEquals(pv[0]!.blockId, B));
  });

  test('locked on B at round 0, C re-proposed with a claimed POL round but no POL prevotes: no prevote for C', () => {
    const h = harness();
    lockOnBThenRound1(h);
    // Claims POL round 0 for C; nobody prevoted C at round 0, so line 28 does not apply and the
    // validator waits for timeoutPropose, then prevotes nil.
    assert.equal(votesOf(propose(h, 1, C, 0)).length, 0);
    const pv = votesOf(h.cs.onTimeout(H, 1, STEP_PROPOSE).actions);
    assert.ok(isNilBlockId(pv[0]!.blockId));
  });

  test('locked on B at round 0, 2f+1 prevotes for the round-1 proposal C move the lock to C (line 36)', () => {
    const h = harness();
    lockOnBThenRound1(h);
    propose(h, 1, C); // we are locked on B: prevote nil
    const a = feed(h, h.others().map((i) => prevote(h.k(i), h.set, H, 1, C)));
    assert.ok(blockIdEquals(votesOf(a, SIGNED_MSG_TYPE_PRECOMMIT)[0]!.blockId, C));
    assert.equal(h.cs.snapshot().lockedRound, 1);
    assert.ok(blockIdEquals(h.cs.snapshot().lockedValue!, C));
  });

  test('locked on B at round 1, C re-proposed with a real POL at round 0 < lockedRound gets a nil prevote', () => {
    // Build: round 0 prevotes for C exist (2f+1) but we did not see the proposal in time (prevoted nil).
    const h = harness();
    const others = h.others();
    assert.ok(h.cs.onTimeout(H, 0, STEP_PROPOSE).accepted); // prevote nil at round 0
    feed(h, others.map((i) => prevote(h.k(i), h.set, H, 0, C))); // 3 of 4 prevote C at round 0: a POL for C at 0
    // step is prevote, proposal for round 0 unknown: no lock; timeoutPrevote → precommit nil.
    assert.ok(h.cs.onTimeout(H, 0, STEP_PREVOTE).accepted);
    feed(h, others.slice(0, 2).map((i) => precommit(h.k(i), h.set, H, 0)));
    assert.ok(h.cs.onTimeout(H, 0, STEP_PRECOMMIT).accepted);
    // Round 1: B proposed, everyone prevotes B: we lock on B at round 1.
    propose(h, 1, B);
    const a1 = feed(h, others.slice(0, 2).map((i) => prevote(h.k(i), h.set, H, 1, B)));
    assert.ok(blockIdEquals(votesOf(a1, SIGNED_MSG_TYPE_PRECOMMIT)[0]!.blockId, B));
    assert.equal(h.cs.snapshot().lockedRound, 1);
    feed(h, others.slice(0, 2).map((i) => precommit(h.k(i), h.set, H, 1)));
    assert.ok(h.cs.onTimeout(H, 1, STEP_PRECOMMIT).accepted);
    assert.equal(h.cs.round, 2);
    // Round 2: C re-proposed with POL round 0 (a real POL, but older than our lock) → nil.
    const pv = votesOf(propose(h, 2, C, 0));
    assert.equal(pv.length, 1);
    assert.ok(isNilBlockId(pv[0]!.blockId), 'a POL older than the lock does not unlock');
  });

  test('a locked validator prevotes a re-proposed value whose POL round is >= its locked round (line 28)', () => {
    const h = harness();
    lockOnBThenRound1(h); // locked on B at round 0
    const others = h.others();
    // Round 1: C proposed fresh; we are locked, so we prevote nil; the others' precommits are nil.
    assert.ok(isNilBlockId(votesOf(propose(h, 1, C))[0]!.blockId));
    feed(h, others.map((i) => precommit(h.k(i), h.set, H, 1)));
    assert.ok(h.cs.onTimeout(H, 1, STEP_PRECOMMIT).accepted);
    assert.equal(h.cs.round, 2);
    assert.ok(blockIdEquals(h.cs.snapshot().lockedValue!, B));
    // The others' round-1 prevotes for C arrive late: a POL for C at round 1.
    feed(h, others.map((i) => prevote(h.k(i), h.set, H, 1, C)));
    assert.ok(blockIdEquals(h.cs.snapshot().lockedValue!, B), 'a POL of a past round does not lock by itself');
    // C re-proposed at round 2 with POL round 1 >= locked round 0: prevote C.
    const pv = votesOf(propose(h, 2, C, 1));
    assert.equal(pv.length, 1);
    assert.ok(blockIdEquals(pv[0]!.blockId, C));
  });

  test('a proposer with a valid value re-proposes it with its valid round instead of asking for a new one', () => {
    // Find a validator that is the proposer of round 1 but not of round 0.
    const keys = makeKeys(4);
    const set = makeValSet(keys);
    const sched = set.proposerSchedule();
    const me = sched.proposerIndex(1);
    assert.notEqual(me, sched.proposerIndex(0));
    const cs = new ConsensusState({ chainId: CHAIN_ID, signer: new PrivValidator(keyAt(keys, set, me), new MemorySignStateStore()), clock: () => ts(1), validate: () => true });
    cs.startHeight(H, set);
    cs.onProposal(signedProposal(keyAt(keys, set, sched.proposerIndex(0)), H, 0, B));
    const others = [0, 1, 2, 3].filter((i) => i !== me);
    for (const i of others.slice(0, 2)) cs.onVote(prevote(keyAt(keys, set, i), set, H, 0, B));
    assert.equal(cs.snapshot().validRound, 0);
    for (const i of others.slice(0, 2)) cs.onVote(precommit(keyAt(keys, set, i), set, H, 0));
    const res = cs.onTimeout(H, 0, STEP_PRECOMMIT);
    assert.equal(res.actions.filter((a) => a.type === 'requestValue').length, 0);
    const p = res.actions.find((a) => a.type === 'broadcastProposal');
    assert.ok(p && p.type === 'broadcastProposal');
    assert.ok(blockIdEquals(p.proposal.blockId, B));
    assert.equal(p.proposal.polRound, 0);
    assert.equal(p.proposal.round, 1);
  });
});

describe('round skips (line 55)', () => {
  test('f+1 messages from a higher round make the validator jump to it; f alone do not', () => {
    const h = harness({ n: 4 });
    const [x, y] = h.others();
    // One validator of four (1/4 <= 1/3) at round 5: no skip.
    feed(h, [prevote(h.k(x!), h.set, H, 5)]);
    assert.equal(h.cs.round, 0);
    // A second one (2/4 > 1/3), with a different message type: skip to round 5.
    const a = feed(h, [precommit(h.k(y!), h.set, H, 5)]);
    assert.equal(h.cs.round, 5);
    assert.equal(h.cs.snapshot().step, STEP_PROPOSE);
    const t = timeouts(a);
    assert.deepEqual(t, [{ round: 5, step: STEP_PROPOSE, durationMs: DEFAULT_TIMEOUT_PARAMS.proposeMs + 5 * DEFAULT_TIMEOUT_PARAMS.proposeDeltaMs }]);
  });

  test('weighted: one validator with more than 1/3 of the power is enough', () => {
    const h = harness({ powers: [10n, 1n, 1n, 1n] });
    const small = h.others(0);
    feed(h, small.map((i) => prevote(h.k(i), h.set, H, 3)));
    assert.equal(h.cs.round, 0, 'small validators (2/13) do not make f+1');
    feed(h, [prevote(h.k(0), h.set, H, 7)]);
    assert.equal(h.cs.round, 7);
  });

  test('a proposal counts as a message of its round', () => {
    const h = harness();
    const p2 = h.proposer(2);
    const other = h.others(p2)[0]!;
    feed(h, [prevote(h.k(other), h.set, H, 2)]);
    assert.equal(h.cs.round, 0);
    propose(h, 2, B);
    assert.equal(h.cs.round, 2);
  });

  test('a Byzantine validator signing many future rounds is held to two of them', () => {
    const h = harness();
    const x = h.others()[0]!;
    for (let r = 10; r < 110; r++) h.cs.onVote(prevote(h.k(x), h.set, H, r));
    const held = h.cs.gossip().votes.filter((v) => v.validatorIndex === x);
    assert.deepEqual(held.map((v) => v.round), [108, 109]);
    assert.equal(h.cs.round, 0);
  });
});

describe('timeouts (lines 34, 44, 47, 57, 61, 65)', () => {
  test('durations grow with the round; stale timeouts are ignored', () => {
    const params = { proposeMs: 100, proposeDeltaMs: 10, prevoteMs: 50, prevoteDeltaMs: 5, precommitMs: 70, precommitDeltaMs: 7 };
    const h = harness({ engine: { timeouts: params } });
    assert.deepEqual(timeouts(h.actions), [{ round: 0, step: STEP_PROPOSE, durationMs: 100 }]);
    assert.equal(h.cs.onTimeout(H, 0, STEP_PREVOTE).accepted, false, 'prevote timeout during propose');
    assert.equal(h.cs.onTimeout(H, 1, STEP_PROPOSE).accepted, false, 'wrong round');
    assert.equal(h.cs.onTimeout(2n, 0, STEP_PROPOSE).accepted, false, 'wrong height');
    // Propose timeout → prevote nil.
    const t1 = h.cs.onTimeout(H, 0, STEP_PROPOSE);
    assert.ok(isNilBlockId(votesOf(t1.actions)[0]!.blockId));
    assert.equal(h.cs.onTimeout(H, 0, STEP_PROPOSE).accepted, false, 'fired twice');
    // 2f+1 prevotes for different things (no majority) → timeoutPrevote, once.
    const [x, y, z] = h.others();
    const a = feed(h, [prevote(h.k(x!), h.set, H, 0, B), prevote(h.k(y!), h.set, H, 0, C)]);
    assert.deepEqual(timeouts(a), [{ round: 0, step: STEP_PREVOTE, durationMs: 50 }]);
    assert.deepEqual(timeouts(feed(h, [prevote(h.k(z!), h.set, H, 0, B)])), []);
    // Prevote timeout → precommit nil.
    const t2 = h.cs.onTimeout(H, 0, STEP_PREVOTE);
    const pc = votesOf(t2.actions, SIGNED_MSG_TYPE_PRECOMMIT);
    assert.ok(isNilBlockId(pc[0]!.blockId));
    // 2f+1 precommits for anything → timeoutPrecommit → round 1 with longer timeouts.
    const b = feed(h, [precommit(h.k(x!), h.set, H, 0, B), precommit(h.k(y!), h.set, H, 0)]);
    assert.deepEqual(timeouts(b), [{ round: 0, step: STEP_PRECOMMIT, durationMs: 70 }]);
    const t3 = h.cs.onTimeout(H, 0, STEP_PRECOMMIT);
    assert.equal(h.cs.round, 1);
    assert.deepEqual(timeouts(t3.actions), [{ round: 1, step: STEP_PROPOSE, durationMs: 110 }]);
  });

  test('2f+1 nil prevotes → precommit nil at once (line 44)', () => {
    const h = harness();
    h.cs.onTimeout(H, 0, STEP_PROPOSE);
    const a = feed(h, h.others().slice(0, 2).map((i) => prevote(h.k(i), h.set, H, 0)));
    const pc = votesOf(a, SIGNED_MSG_TYPE_PRECOMMIT);
    assert.equal(pc.length, 1);
    assert.ok(isNilBlockId(pc[0]!.blockId));
    assert.equal(h.cs.snapshot().step, STEP_PRECOMMIT);
  });

  test('2f+1 precommits for a block of an earlier round decide (line 49, any round)', () => {
    const h = harness();
    const [x, y, z] = h.others();
    feed(h, [prevote(h.k(x!), h.set, H, 1), prevote(h.k(y!), h.set, H, 1)]); // f+1 at round 1: skip
    assert.equal(h.cs.round, 1);
    const a = feed(h, [x, y, z].map((i) => precommit(h.k(i!), h.set, H, 0, B)));
    const d = a.find((e) => e.type === 'decide');
    assert.ok(d && d.type === 'decide' && d.round === 0 && blockIdEquals(d.blockId, B));
    assert.equal(verifyCommit(CHAIN_ID, h.set, H, B, d.commit), 3n);
  });
});

describe('messages the engine refuses', () => {
  test('proposals by someone other than the round proposer, or badly signed', () => {
    const h = harness();
    const notProposer = h.others(h.proposer(0))[0]!;
    const r1 = h.cs.onProposal(signedProposal(h.k(notProposer), H, 0, B));
    assert.equal(r1.accepted, false);
    assert.match(r1.reason!, /not signed by the proposer/);
    const wrongChain = h.cs.onProposal(signedProposal(h.k(h.proposer(0)), H, 0, B, -1, ts(1000), 'other-chain'));
    assert.equal(wrongChain.accepted, false);
    const badPol = h.cs.onProposal(signedProposal(h.k(h.proposer(0)), H, 0, B, 0));
    assert.match(badPol.reason!, /POL round/);
    assert.ok(h.cs.onProposal(signedProposal(h.k(h.proposer(0)), H, 0, B)).accepted);
    const conflicting = h.cs.onProposal(signedProposal(h.k(h.proposer(0)), H, 0, C));
    assert.match(conflicting.reason!, /conflicting proposal/);
  });

  test('votes with a wrong index, unknown validator, wrong chain id or a forged signature', () => {
    const h = harness();
    const x = h.others()[0]!;
    const v = prevote(h.k(x), h.set, H, 0, B);
    assert.match(h.cs.onVote({ ...v, validatorIndex: (x + 1) % 4 }).reason!, /wrong validator index|invalid signature/);
    const outsider = makeKeys(1, 'outsider')[0]!;
    assert.match(h.cs.onVote({ ...v, validatorAddress: outsider.address }).reason!, /unknown validator/);
    assert.match(h.cs.onVote(signedVote(h.k(x), h.set, SIGNED_MSG_TYPE_PREVOTE, H, 0, B, ts(1000), 'other-chain')).reason!, /invalid signature/);
    const forged = Uint8Array.from(v.signature);
    forged[10]! ^= 1;
    assert.match(h.cs.onVote({ ...v, signature: forged }).reason!, /invalid signature/);
    assert.match(h.cs.onVote({ ...v, round: 1 }).reason!, /invalid signature/);
    assert.ok(h.cs.onVote(v).accepted);
    assert.match(h.cs.onVote(v).reason!, /duplicate/);
  });

  test('messages for the next height wait for startHeight; older and farther ones are dropped', () => {
    const h = harness();
    const next = h.set.next();
    const x = h.others()[0]!;
    const vNext = signedVote(h.k(x), next, SIGNED_MSG_TYPE_PREVOTE, 2n, 0, B);
    assert.match(h.cs.onVote(vNext).reason!, /buffered/);
    assert.match(h.cs.onVote(signedVote(h.k(x), next, SIGNED_MSG_TYPE_PREVOTE, 3n, 0, B)).reason!, /future height/);
    h.cs.startHeight(2n, next);
    assert.ok(h.cs.gossip().votes.some((v) => v.height === 2n && v.validatorIndex === vNext.validatorIndex));
    assert.match(h.cs.onVote(prevote(h.k(x), h.set, H, 0, B)).reason!, /past height/);
  });
});

describe('evidence', () => {
  test('two validly signed prevotes for different blocks by one validator produce verifiable evidence, once', () => {
    const h = harness();
    const x = h.others()[0]!;
    feed(h, [prevote(h.k(x), h.set, H, 0, B)]);
    const a = feed(h, [prevote(h.k(x), h.set, H, 0, C)]);
    const ev = a.find((e) => e.type === 'evidence');
    assert.ok(ev && ev.type === 'evidence');
    verifyDuplicateVoteEvidence(CHAIN_ID, h.set, ev.evidence);
    assert.equal(ev.evidence.validatorPower, 1n);
    // The equivocating second vote is not counted.
    assert.equal(h.cs.gossip().votes.filter((v) => v.validatorIndex === x).length, 1);
    const again = h.cs.onVote(prevote(h.k(x), h.set, H, 0));
    assert.equal(again.actions.filter((e) => e.type === 'evidence').length, 0, 'one evidence per validator/round/type');
  });
});

describe('equivocators are counted per value, as in the paper', () => {
  test("an equivocator's second vote for the proposed block completes the POL it completes for others", () => {
    const h = harness();
    const [x, , z] = h.others();
    propose(h, 0, B); // we prevote B
    feed(h, [prevote(h.k(z!), h.set, H, 0)]); // z's nil prevote reaches us first
    const a1 = feed(h, [prevote(h.k(x!), h.set, H, 0, B)]);
    assert.equal(votesOf(a1, SIGNED_MSG_TYPE_PRECOMMIT).length, 0, 'B has 2 of 4 prevotes');
    // z's prevote for B (relayed by a peer that counted it) is evidence, and counts for B.
    const a2 = feed(h, [prevote(h.k(z!), h.set, H, 0, B)]);
    assert.equal(a2.filter((e) => e.type === 'evidence').length, 1);
    const pc = votesOf(a2, SIGNED_MSG_TYPE_PRECOMMIT);
    assert.equal(pc.length, 1);
    assert.ok(blockIdEquals(pc[0]!.blockId, B), 'locked on B with z counted for both nil and B');
    // "2f+1 of anything" still counts z once: 3 validators voted, not 4.
    assert.equal(h.cs.gossip().votes.filter((v) => v.type === SIGNED_MSG_TYPE_PREVOTE).length, 4);
  });

  test('a conflicting vote for a value nobody proposed is evidence but is not stored', () => {
    const h = harness();
    const z = h.others()[0]!;
    feed(h, [prevote(h.k(z), h.set, H, 0, B)]);
    const a = feed(h, [prevote(h.k(z), h.set, H, 0, C)]);
    assert.equal(a.filter((e) => e.type === 'evidence').length, 1);
    assert.equal(h.cs.gossip().votes.filter((v) => v.validatorIndex === z).length, 1);
  });
});

describe('catch-up commit', () => {
  test('a valid commit for the current height decides it; a forged one is refused', () => {
    const keys = makeKeys(4);
    const set = makeValSet(keys);
    // Another engine decides B; its commit is handed to a fresh engine.
    const h = harness();
    propose(h, 0, B);
    feed(h, h.others().map((i) => prevote(h.k(i), h.set, H, 0, B)));
    const d = feed(h, h.others().map((i) => precommit(h.k(i), h.set, H, 0, B))).find((a) => a.type === 'decide');
    assert.ok(d && d.type === 'decide');
    const follower = new ConsensusState({ chainId: CHAIN_ID, clock: () => ts(1) });
    follower.startHeight(H, set);
    const forged = structuredClone(d.commit);
    const signedAt = forged.signatures.findIndex((c) => c.signature.length === 64);
    forged.signatures[signedAt]!.signature[5]! ^= 1;
    assert.equal(follower.onCommit(forged).accepted, false);
    const ok = follower.onCommit(d.commit);
    assert.ok(ok.accepted);
    assert.ok(ok.actions.some((a) => a.type === 'decide' && blockIdEquals(a.blockId, B)));
  });
});

test('votes of every type are attributed to their own round and type', () => {
  const h = harness();
  const x = h.others()[0]!;
  feed(h, [prevote(h.k(x), h.set, H, 0, B), precommit(h.k(x), h.set, H, 0, B)]);
  const g = h.cs.gossip().votes.filter((v) => v.validatorIndex === x);
  assert.deepEqual(g.map((v) => v.type).sort(), [SIGNED_MSG_TYPE_PREVOTE, SIGNED_MSG_TYPE_PRECOMMIT]);
  assert.ok(NIL_BLOCK_ID);
});

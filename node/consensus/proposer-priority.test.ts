// Proposer selection: known sequences worked out by hand, frequency proportional to power, the
// rescale/centre rules with Go's integer semantics, and the validator set around them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  incrementOnce, incrementProposerPriority, rescalePriorities, shiftByAveragePriority, totalPower, type PriorityEntry,
} from './proposer-priority.ts';
import { ValidatorSet } from './validator-set.ts';
import { makeKeys, makeValSet } from './test-fixtures.ts';

function entries(powers: bigint[], addrBytes?: number[]): PriorityEntry[] {
  return powers.map((p, i) => ({ address: new Uint8Array(20).fill(addrBytes?.[i] ?? i + 1), votingPower: p, proposerPriority: 0n }));
}

function names(e: PriorityEntry[], seq: number[]): string {
  return seq.map((i) => 'ABCDEFG'[e.indexOf(e[i]!)]).join('');
}

test('powers 1,2,3 (A<B<C by address): C B A C B C, repeating; ties go to the smaller address', () => {
  // Worked by hand from zero priorities, total 6:
  //  +power: A1 B2 C3 → C, C=-3 | A2 B4 C0 → B, B=-2 | A3 B0 C3 → tie A/C → A (smaller), A=-3
  //  A-2 B2 C6 → C, C=0 | A-1 B4 C3 → B, B=-2 | A0 B0 C6 → C, C=0 → back to all zero.
  const e = entries([1n, 2n, 3n]);
  const seq = Array.from({ length: 12 }, () => incrementOnce(e, 6n));
  assert.equal(names(e, seq), 'CBACBC' + 'CBACBC');
  assert.deepEqual(e.map((x) => x.proposerPriority), [0n, 0n, 0n]);
});

test('same powers with C the smallest address: the step-3 tie goes to C instead', () => {
  //  A1 B2 C3 → C, C=-3 | A2 B4 C0 → B, B=-2 | A3 B0 C3 → tie → C (smaller), C=-3
  //  A4 B2 C0 → A, A=-2 | A-1 B4 C3 → B, B=-2 | A0 B0 C6 → C
  const e = entries([1n, 2n, 3n], [3, 2, 1]);
  const seq = Array.from({ length: 6 }, () => incrementOnce(e, 6n));
  assert.equal(names(e, seq), 'CBCABC');
});

test('over many rounds each validator proposes in proportion to its power', () => {
  const e = entries([1n, 2n, 3n]);
  const counts = [0, 0, 0];
  for (let i = 0; i < 6000; i++) counts[incrementOnce(e, 6n)]!++;
  assert.deepEqual(counts, [1000, 2000, 3000]);

  const powers = [5n, 17n, 100n, 3n, 42n, 1n, 1n];
  const w = entries(powers);
  const total = totalPower(w);
  const n = Number(total) * 20;
  const c = new Array(powers.length).fill(0);
  for (let i = 0; i < n; i++) c[incrementOnce(w, total)]++;
  powers.forEach((p, i) => {
    const expected = Number(p) * 20;
    assert.ok(Math.abs(c[i] - expected) <= powers.length, `validator ${i}: ${c[i]} proposals, expected ~${expected}`);
  });
});

test('rescale divides by ceil(diff / (2*total)) truncating toward zero; centring floors the average', () => {
  const e = entries([1n, 1n]);
  e[0]!.proposerPriority = 1001n;
  e[1]!.proposerPriority = -1001n;
  rescalePriorities(e, 4n); // diff 2002, ratio ceil(2002/4) = 501
  assert.deepEqual(e.map((x) => x.proposerPriority), [1n, -1n]); // 1001/501 = 1.99 → 1, -1001/501 → -1 (not -2)
  const f = entries([1n, 1n]);
  f[0]!.proposerPriority = -3n;
  f[1]!.proposerPriority = 0n;
  shiftByAveragePriority(f); // avg floor(-1.5) = -2
  assert.deepEqual(f.map((x) => x.proposerPriority), [-1n, 2n]);
  // Within the window nothing is rescaled.
  const g = entries([1n, 1n]);
  g[0]!.proposerPriority = 2n;
  g[1]!.proposerPriority = -2n;
  rescalePriorities(g, 4n);
  assert.deepEqual(g.map((x) => x.proposerPriority), [2n, -2n]);
  assert.throws(() => incrementProposerPriority(g, 0), /positive/);
});

test('validator set: CometBFT order, first proposer, round r = r priority increments, next height = one increment', () => {
  const keys = makeKeys(5);
  const set = makeValSet(keys, [3n, 10n, 3n, 1n, 7n]);
  const powers = set.validators.map((v) => v.votingPower);
  assert.deepEqual(powers, [10n, 7n, 3n, 3n, 1n]);
  assert.ok(Buffer.compare(set.validators[2]!.address, set.validators[3]!.address) < 0, 'equal powers by address');
  assert.equal(set.totalVotingPower, 24n);
  assert.equal(set.proposer.votingPower, 10n, 'genesis: one increment from zero elects the most powerful');
  const sched = set.proposerSchedule();
  for (let r = 1; r <= 30; r++) {
    assert.equal(sched.proposerIndex(r), set.indexOf(set.copyIncrementProposerPriority(r).proposer.address), `round ${r}`);
  }
  // Asking out of order gives the same answers (the schedule does not depend on how a round was reached).
  const fresh = set.proposerSchedule();
  assert.equal(fresh.proposerIndex(17), sched.proposerIndex(17));
  assert.equal(fresh.proposerIndex(3), sched.proposerIndex(3));
  // Height h+1's round 0 proposer is height h's set incremented once.
  const next = set.next();
  assert.equal(next.proposerIndex, set.indexOf(set.copyIncrementProposerPriority(1).proposer.address));
  // Priorities always sum to zero and stay within the window.
  let s = set;
  for (let h = 0; h < 200; h++) {
    s = s.next();
    const prios = s.validators.map((v) => v.proposerPriority);
    assert.equal(prios.reduce((a, b) => a + b, 0n), 0n);
    const spread = prios.reduce((a, b) => (a > b ? a : b)) - prios.reduce((a, b) => (a < b ? a : b));
    assert.ok(spread <= 2n * s.totalVotingPower + s.totalVotingPower);
  }
});

test('proposer frequency across heights follows power', () => {
  const keys = makeKeys(3);
  let set = makeValSet(keys, [1n, 2n, 3n]);
  const counts = new Map<string, number>();
  for (let h = 0; h < 600; h++) {
    const p = Buffer.from(set.proposer.address).toString('hex');
    counts.set(p, (counts.get(p) ?? 0) + 1);
    set = set.next();
  }
  const byPower = set.validators.map((v) => counts.get(Buffer.from(v.address).toString('hex')));
  assert.deepEqual(byPower, [300, 200, 100]);
});

test('restoring a set with persisted priorities gives the same proposers', () => {
  const keys = makeKeys(4);
  let set = makeValSet(keys, [4n, 3n, 2n, 1n]);
  for (let i = 0; i < 7; i++) set = set.next();
  const restored = ValidatorSet.withPriorities(set.validators.map((v) => ({ ...v })), set.proposer.address);
  assert.equal(restored.proposerIndex, set.proposerIndex);
  assert.equal(restored.next().proposerIndex, set.next().proposerIndex);
});

test('bad validator sets are refused', () => {
  const [a, b] = makeKeys(2);
  const v = (k: typeof a, power: bigint) => ({ address: k!.address, pubKey: k!.publicKey, votingPower: power });
  assert.throws(() => ValidatorSet.fromGenesis([]), /empty/);
  assert.throws(() => ValidatorSet.fromGenesis([v(a, 1n), v(a, 2n)]), /duplicate/);
  assert.throws(() => ValidatorSet.fromGenesis([v(a, 0n)]), /positive/);
  assert.throws(() => ValidatorSet.fromGenesis([{ ...v(a, 1n), address: b!.address }]), /does not match/);
  assert.throws(() => ValidatorSet.fromGenesis([v(a, 1n << 62n)]), /exceeds/);
});

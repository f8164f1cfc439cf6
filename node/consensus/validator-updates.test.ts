// ValidatorSet.updateWithChangeSet (CometBFT's UpdateWithChangeSet): hand-worked priorities for
// additions, power changes and removals, rescaling, the refusals, and the H+2 rule's increment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidatorSet } from './validator-set.ts';
import { MAX_TOTAL_VOTING_POWER } from './proposer-priority.ts';
import { makeKeys } from './test-fixtures.ts';
import type { ValidatorKey } from '../validator-key.ts';

// Keys named A < B < C < D by address, so hand-worked tie-breaks are readable.
const [A, B, C, D] = makeKeys(4, 'updates').sort((x, y) => Buffer.compare(x.address, y.address)) as [ValidatorKey, ValidatorKey, ValidatorKey, ValidatorKey];
const name = (addr: Uint8Array) => 'ABCD'[[A, B, C, D].findIndex((k) => Buffer.compare(k.address, addr) === 0)];

function set(vals: [ValidatorKey, bigint, bigint][], proposer: ValidatorKey): ValidatorSet {
  return ValidatorSet.withPriorities(vals.map(([k, power, prio]) => ({ address: k.address, pubKey: k.publicKey, votingPower: power, proposerPriority: prio })), proposer.address);
}

function summary(s: ValidatorSet): string {
  return s.validators.map((v) => `${name(v.address)}:${v.votingPower}/${v.proposerPriority}`).join(' ');
}

test('a new validator starts at -1.125 x the total after updates; then the set is centred and sorted by power', () => {
  const s = set([[A, 10n, 5n], [B, 10n, -5n]], A);
  // total after updates 40 → C gets -(40 + 40>>3) = -45; window 80 > spread 50, no rescale;
  // centre: sum -45, floor(-45/3) = -15 → A 20, B 10, C -30; sorted C (20) first, then A, B.
  const u = s.updateWithChangeSet([{ pubKey: C.publicKey, power: 20n }]);
  assert.equal(summary(u), 'C:20/-30 A:10/20 B:10/10');
  assert.equal(u.totalVotingPower, 40n);
  // CometBFT then increments once (height H+2's set): +power → C -10, A 30, B 20 → A, A -= 40.
  const n = u.next();
  assert.equal(summary(n), 'C:20/-10 A:10/-10 B:10/20');
  assert.equal(name(n.proposer.address), 'A');
  assert.deepEqual(s.validators.map((v) => v.proposerPriority), [5n, -5n], 'the original set is unchanged');
});

test('a power change keeps the priority; a removal drops the validator and re-centres', () => {
  const s = set([[A, 10n, 20n], [B, 10n, 10n], [C, 20n, -30n]], A);
  const changed = s.updateWithChangeSet([{ pubKey: A.publicKey, power: 30n }]);
  // A keeps 20; sum 0, nothing to centre; A first by power.
  assert.equal(summary(changed), 'A:30/20 C:20/-30 B:10/10');
  const removed = s.updateWithChangeSet([{ pubKey: B.publicKey, power: 0n }]);
  // A 20, C -30: sum -10, floor(-10/2) = -5 → A 25, C -25.
  assert.equal(summary(removed), 'C:20/-25 A:10/25');
  assert.equal(removed.totalVotingPower, 30n);
  // Add and remove in one change set: total before removals = 40 + 10 = 50 → D at -(50 + 6) = -56.
  const both = s.updateWithChangeSet([{ pubKey: B.publicKey, power: 0n }, { pubKey: D.publicKey, power: 10n }]);
  // A 20, C -30, D -56: sum -66 → avg -22 → A 42, C -8, D -34; total 40, window 80 > spread 76.
  assert.equal(summary(both), 'C:20/-8 A:10/42 D:10/-34');
});

test('priorities beyond 2 x total are rescaled with truncation toward zero', () => {
  const s = set([[A, 1n, 1000n], [B, 1n, -1000n]], A);
  // C: total after updates 3 → -(3 + 0) = -3. Spread 2000 > 6: ratio ceil(2000/6) = 334:
  // 1000/334 = 2, -1000/334 = -2, -3/334 = 0 (toward zero); sum 0.
  const u = s.updateWithChangeSet([{ pubKey: C.publicKey, power: 1n }]);
  assert.equal(summary(u), 'A:1/2 B:1/-2 C:1/0');
});

test('refused change sets change nothing', () => {
  const s = set([[A, 10n, 0n], [B, 10n, 0n]], A);
  assert.throws(() => s.updateWithChangeSet([{ pubKey: C.publicKey, power: 1n }, { pubKey: C.publicKey, power: 2n }]), /duplicate/);
  assert.throws(() => s.updateWithChangeSet([{ pubKey: C.publicKey, power: -1n }]), /negative/);
  assert.throws(() => s.updateWithChangeSet([{ pubKey: C.publicKey, power: 0n }]), /not in the set/);
  assert.throws(() => s.updateWithChangeSet([{ pubKey: A.publicKey, power: 0n }, { pubKey: B.publicKey, power: 0n }]), /empty/);
  assert.throws(() => s.updateWithChangeSet([{ pubKey: C.publicKey, power: MAX_TOTAL_VOTING_POWER + 1n }]), /exceeds/);
  assert.throws(() => s.updateWithChangeSet([{ pubKey: C.publicKey, power: MAX_TOTAL_VOTING_POWER - 5n }]), /exceed/);
  assert.throws(() => s.updateWithChangeSet([{ pubKey: new Uint8Array(33), power: 1n }]), /public key/);
  // Replacing the whole set in one go is allowed (new validators are added before the removals).
  const replaced = s.updateWithChangeSet([{ pubKey: A.publicKey, power: 0n }, { pubKey: B.publicKey, power: 0n }, { pubKey: C.publicKey, power: 5n }]);
  assert.equal(summary(replaced), 'C:5/0');
  assert.equal(summary(s), 'A:10/0 B:10/0');
});

test('an empty change set is the same set; the hash commits to membership and power only', () => {
  const s = set([[A, 10n, 3n], [B, 10n, -3n]], B);
  const same = s.updateWithChangeSet([]);
  assert.equal(summary(same), summary(s));
  assert.deepEqual(same.hash(), s.hash());
  assert.notDeepEqual(s.updateWithChangeSet([{ pubKey: A.publicKey, power: 11n }]).hash(), s.hash());
});

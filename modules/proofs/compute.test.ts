// Compute in-process: the availability puzzle (honest, wrong nonce, replayed answer); escrowed
// jobs paid per tenant-signed receipt (forged tenant signature, escrow exhausted with an explicit
// close reason, wrong provider); seeded spot checks with commit-reveal (matching outputs pay both;
// mismatched outputs go to a bonded verifier committee whose quorum slashes the loser and pays the
// winner and the agreeing verifiers; no reveal; no quorum).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ProofsHarness, cellAt, type TestDevice } from '../../test/helpers/proofs.ts';
import { devKeys, type Signer } from '../../test/helpers/inproc.ts';
import * as P from '../../sdk/proofs.ts';
import { randomPrivateKey, publicKeyCreate } from '../../chain/crypto/secp256k1.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { concat } from '../../chain/codec/bytes.ts';
import { R } from './reasons.ts';
import { UNIT } from './hooks.ts';
import { getJob, getDispute } from './compute.ts';
import { PHASE, JOB_CLOSED, DISPUTE_RESOLVED, DISPUTE_EXPIRED } from './types.ts';
import { puzzleChallenge, leadingZeroBits } from './envelope.ts';

const BOND = { denom: 'udpin', amount: 100_000_000n };
const CELL = cellAt(35.6762, 139.6503);
const tenant = devKeys[4]!;

async function providers(t: ProofsHarness, owners: Signer[]): Promise<TestDevice[]> {
  const out: TestDevice[] = [];
  for (const o of owners) {
    const d = await t.device('compute', { owner: o, cell: CELL, hardwareClass: 'gpu' });
    await t.ok(o, [P.bondProviderMsg(o.address, d.id, BOND)]);
    out.push(d);
  }
  return out;
}

function badNonce(seed: Uint8Array, device: bigint, window: bigint, bits: number): Uint8Array {
  const c = puzzleChallenge(seed, device, window);
  for (let i = 0; ; i++) {
    const n = new Uint8Array([i & 255, i >> 8, 7]);
    if (leadingZeroBits(sha256(concat(c, n))) < bits) return n;
  }
}

test('availability puzzle: a solved challenge earns units, a wrong or replayed answer is recorded invalid', async () => {
  const t = await ProofsHarness.open();
  const [gpu] = await providers(t, [devKeys[0]!]);
  const cpu = await t.device('compute', { cell: CELL });
  await t.enterWindow(2n);
  const w = t.nextBlockWindow();
  const seed = t.seed(w);
  const gpuBits = 10;
  const nonce = P.solvePuzzle(seed, gpu!.id, w, gpuBits);
  const r = await t.submit([P.availability(gpu!.key, t.ec(gpu!, w), nonce), P.availability(cpu.key, t.ec(cpu, w), badNonce(seed, cpu.id, w, t.params.defaultDifficultyBits))]);
  const [ok, wrong] = ProofsHarness.verdictEvents(r);
  assert.deepEqual([ok!.valid, ok!.units], ['true', UNIT.toString()]);
  assert.equal(Number(wrong!.reason), R.PUZZLE_WRONG);
  assert.equal(t.record(BigInt(ok!.proof_id!)).inputs.find((x) => x.key === 'difficulty_bits')!.value, String(gpuBits), 'class-dependent target');
  // The same nonce in the next window answers the wrong challenge (bound to seed, device, window).
  await t.enterWindow(w + 1n);
  const w2 = t.nextBlockWindow();
  const replay = await t.submit([P.availability(gpu!.key, t.ec(gpu!, w2), nonce)]);
  const ev = ProofsHarness.verdictEvents(replay)[0]!;
  const zeros = Number(t.record(BigInt(ev.proof_id!)).inputs.find((x) => x.key === 'leading_zero_bits')!.value);
  assert.equal(ev.valid, zeros >= gpuBits ? 'true' : 'false'); // valid only by a 2^-10 accident
  await t.close();
});

async function jobSetup(tweak: object = {}) {
  const t = await ProofsHarness.open(() => ({ spotCheckBps: 0, ...tweak }));
  const ps = await providers(t, [devKeys[0]!, devKeys[1]!, devKeys[2]!]);
  const tenantKey = randomPrivateKey();
  const r = await t.ok(tenant, [P.createJobMsg(tenant.address, ps[0]!.id, publicKeyCreate(tenantKey), { denom: 'udpin', amount: 1_000_000n }, 1_000n, sha256(new Uint8Array([1])))]);
  const jobId = BigInt(r.events.find((e) => e.type === 'job_created')!.attributes.find((a) => a.key === 'job_id')!.value);
  return { t, ps, tenantKey, jobId };
}

test('job receipts: paid from escrow on the tenant\'s signature; forged signature, wrong provider and exhausted escrow recorded', async () => {
  const { t, ps, tenantKey, jobId } = await jobSetup();
  const [A, B] = ps as [TestDevice, TestDevice];
  const owner = devKeys[0]!.address;
  const out = sha256(new Uint8Array([42]));
  await t.enterWindow(t.window() + 1n);
  let w = t.nextBlockWindow();
  const before = t.chain.balance(owner);
  const good = P.receipt(A.key, t.ec(A, w), { jobId, units: 100n, outputHash: out, tenantSignature: P.signReceipt(tenantKey, 'depin-local-1', jobId, w, 100n, out) });
  const forged = P.receipt(B.key, t.ec(B, w), { jobId, units: 100n, outputHash: out, tenantSignature: P.signReceipt(tenantKey, 'depin-local-1', jobId, w, 100n, out) });
  const r = await t.submit([good, forged]);
  const [e1, e2] = ProofsHarness.verdictEvents(r);
  assert.deepEqual([e1!.valid, e1!.kind], ['true', 'compute/job']);
  assert.equal(Number(e2!.reason), R.JOB_NOT_PROVIDER);
  assert.equal(t.chain.balance(owner), before + 100_000n, '100 units x 1,000 udpin to the provider\'s owner');
  assert.equal(getJob(t.chain.keepers.proofs, t.ctx(), jobId)!.remaining, 900_000n);
  // Tenant signature over other units than claimed.
  await t.enterWindow(w + 1n);
  w = t.nextBlockWindow();
  const lie = P.receipt(A.key, t.ec(A, w), { jobId, units: 500n, outputHash: out, tenantSignature: P.signReceipt(tenantKey, 'depin-local-1', jobId, w, 100n, out) });
  assert.equal(Number(ProofsHarness.verdictEvents(await t.submit([lie]))[0]!.reason), R.TENANT_SIGNATURE_INVALID);
  assert.equal(getJob(t.chain.keepers.proofs, t.ctx(), jobId)!.remaining, 900_000n, 'nothing paid');
  // More than the escrow holds: recorded, the job closes with an explicit reason and refunds.
  await t.enterWindow(w + 1n);
  w = t.nextBlockWindow();
  const tenantBefore = t.chain.balance(tenant.address);
  const big = P.receipt(A.key, t.ec(A, w), { jobId, units: 1_000n, outputHash: out, tenantSignature: P.signReceipt(tenantKey, 'depin-local-1', jobId, w, 1_000n, out) });
  const rb = await t.submit([big]);
  assert.equal(Number(ProofsHarness.verdictEvents(rb)[0]!.reason), R.ESCROW_EXHAUSTED);
  const closed = rb.events.find((e) => e.type === 'job_closed')!;
  assert.equal(closed.attributes.find((a) => a.key === 'reason')!.value, 'escrow exhausted');
  assert.equal(t.chain.balance(tenant.address), tenantBefore + 900_000n);
  const j = getJob(t.chain.keepers.proofs, t.ctx(), jobId)!;
  assert.deepEqual([j.status, j.closeReason, j.paid, j.receipts], [JOB_CLOSED, 'escrow exhausted', 100_000n, 1n]);
  await t.enterWindow(w + 1n);
  w = t.nextBlockWindow();
  const late = P.receipt(A.key, t.ec(A, w), { jobId, units: 1n, outputHash: out, tenantSignature: P.signReceipt(tenantKey, 'depin-local-1', jobId, w, 1n, out) });
  assert.equal(Number(ProofsHarness.verdictEvents(await t.submit([late]))[0]!.reason), R.JOB_CLOSED);
  await t.close();
});

/** A job under a spot check: creates it with spot_check_bps = 100 % and waits for the draw. */
async function checkedJob(tweak: object = {}) {
  const s = await jobSetup({ spotCheckBps: 10_000, ...tweak });
  const { t, jobId } = s;
  const j0 = getJob(t.chain.keepers.proofs, t.ctx(), jobId)!;
  await t.advanceTo(j0.checkWindow * t.params.windowBlocks);
  const j = getJob(t.chain.keepers.proofs, t.ctx(), jobId)!;
  assert.equal(j.checkPhase, PHASE.COMMIT, 'selected for redundant execution');
  const second = s.ps.find((p) => p.id === j.secondary.deviceId)!;
  assert.ok(second && second.id !== s.ps[0]!.id, 'a second, different provider');
  return { ...s, j, second };
}

async function commitReveal(t: ProofsHarness, jobId: bigint, d: TestDevice, output: Uint8Array, reveal = true) {
  const salt = randomBytes(16);
  await t.ok(d.owner, [P.commitResultMsg(d.owner.address, jobId, d.id, P.resultCommitment(output, salt))]);
  return async () => (reveal ? t.ok(d.owner, [P.revealResultMsg(d.owner.address, jobId, d.id, output, salt)]) : undefined);
}

test('spot check, matching outputs: both providers\' checks are valid and the second is paid the check fee', async () => {
  const { t, jobId, ps, second } = await checkedJob();
  const out = sha256(new Uint8Array([1, 2, 3]));
  const secondOwnerBefore = t.chain.balance(second.owner.address);
  const revealA = await commitReveal(t, jobId, ps[0]!, out);
  const revealB = await commitReveal(t, jobId, second, out);
  // A reveal that does not match the commitment is a tx error.
  const wrong = await t.tx(ps[0]!.owner, [P.revealResultMsg(ps[0]!.owner.address, jobId, ps[0]!.id, out, new Uint8Array([9]))]);
  assert.equal(`${wrong.codespace}/${wrong.code}`, 'proofs/41');
  await revealA();
  await revealB();
  const checks = t.hooks.verdicts.filter((v) => v.kind === 'compute/check');
  assert.deepEqual(checks.map((c) => [c.deviceId, c.valid]).sort(), [[ps[0]!.id, true], [second.id, true]].sort());
  assert.equal(t.chain.balance(second.owner.address), secondOwnerBefore + 100_000n - 2n * 50_000n, 'check fee minus its two tx fees');
  assert.equal(getJob(t.chain.keepers.proofs, t.ctx(), jobId)!.checkPhase, PHASE.DONE);
  await t.close();
});

test('spot check, mismatched outputs: the verifier quorum decides, the loser is slashed, winner and agreeing verifiers paid', async () => {
  const { t, jobId, ps, second } = await checkedJob();
  const verifiers = [devKeys[5]!, devKeys[6]!, devKeys[7]!];
  for (const v of verifiers) await t.ok(v, [P.bondVerifierMsg(v.address, BOND)]);
  const truth = sha256(new Uint8Array([7]));
  const lie = sha256(new Uint8Array([8]));
  const revealA = await commitReveal(t, jobId, ps[0]!, lie);
  const revealB = await commitReveal(t, jobId, second, truth);
  await revealA();
  const rb = await revealB();
  const opened = rb!.events.find((e) => e.type === 'dispute_opened')!;
  const disputeId = BigInt(opened.attributes.find((a) => a.key === 'dispute_id')!.value);
  const committee = getDispute(t.chain.keepers.proofs, t.ctx(), disputeId)!.committee;
  assert.deepEqual([...committee].sort(), verifiers.map((v) => v.address).sort());
  const byAddr = new Map(verifiers.map((v) => [v.address, v]));
  const [v1, v2, v3] = committee.map((a) => byAddr.get(a)!);
  const bal = (s: Signer) => t.chain.balance(s.address);
  const before = { winner: bal(second.owner), v1: bal(v1!), v2: bal(v2!), tenant: bal(tenant), supply: t.chain.supply() };
  // A non-member cannot vote.
  const outsider = await t.tx(devKeys[8]!, [P.voteDisputeMsg(devKeys[8]!.address, disputeId, truth)]);
  assert.equal(`${outsider.codespace}/${outsider.code}`, 'proofs/43');
  await t.ok(v3!, [P.voteDisputeMsg(v3!.address, disputeId, lie)]);
  await t.ok(v1!, [P.voteDisputeMsg(v1!.address, disputeId, truth)]);
  await t.ok(v2!, [P.voteDisputeMsg(v2!.address, disputeId, truth)]);
  const d = getDispute(t.chain.keepers.proofs, t.ctx(), disputeId)!;
  assert.equal(d.status, DISPUTE_RESOLVED);
  // Pot: 10 % of the loser's 100 DPIN bond + 5 % of the dissenting verifier's 100 DPIN = 15 DPIN;
  // 50 % to the winner, 20 % split by the two agreeing verifiers, the rest (30 %) burned.
  assert.equal(t.chain.keepers.proofs.getBond(t.ctx(), ps[0]!.id)!.bonded, 90_000_000n);
  assert.equal(t.chain.keepers.proofs.getVerifier(t.ctx(), v3!.address)!.bonded, 95_000_000n);
  const pot = 15_000_000n;
  assert.equal(bal(second.owner), before.winner + pot / 2n + 100_000n, 'winner share + check fee');
  assert.equal(bal(v1!), before.v1 + (pot / 5n) / 2n - 50_000n, 'verifier share minus its vote fee');
  assert.equal(bal(v2!), before.v2 + (pot / 5n) / 2n - 50_000n);
  assert.ok(t.chain.supply() < before.supply - (pot * 3n) / 10n + 1n, 'the rest is burned');
  const checks = t.hooks.verdicts.filter((v) => v.kind === 'compute/check');
  assert.deepEqual(checks.map((c) => [c.deviceId, c.reason]).sort(), [[ps[0]!.id, R.CHECK_DISPUTE_LOST], [second.id, R.VALID]].sort());
  const j = getJob(t.chain.keepers.proofs, t.ctx(), jobId)!;
  assert.equal(j.status, JOB_CLOSED);
  assert.match(j.closeReason, /lost dispute/);
  assert.equal(bal(tenant), before.tenant + 1_000_000n - 100_000n, 'tenant refunded (the check fee went to the winner)');
  await t.close();
});

test('spot check: a primary that does not reveal fails it; a dispute without quorum expires unresolved', async () => {
  const a = await checkedJob();
  await commitReveal(a.t, a.jobId, a.second, sha256(new Uint8Array([1])));
  await a.t.advanceTo(a.j.revealDeadline);
  const ca = a.t.hooks.verdicts.filter((v) => v.kind === 'compute/check');
  assert.deepEqual(ca.map((c) => [c.deviceId, c.reason]).sort(), [[a.ps[0]!.id, R.CHECK_NO_REVEAL], [a.second.id, R.CHECK_NO_REVEAL]].sort());
  assert.match(getJob(a.t.chain.keepers.proofs, a.t.ctx(), a.jobId)!.closeReason, /no reveal/);
  await a.t.close();

  const b = await checkedJob();
  for (const v of [devKeys[5]!, devKeys[6]!, devKeys[7]!]) await b.t.ok(v, [P.bondVerifierMsg(v.address, BOND)]);
  const ra = await commitReveal(b.t, b.jobId, b.ps[0]!, sha256(new Uint8Array([1])));
  const rb = await commitReveal(b.t, b.jobId, b.second, sha256(new Uint8Array([2])));
  await ra();
  await rb();
  const j = getJob(b.t.chain.keepers.proofs, b.t.ctx(), b.jobId)!;
  const d = getDispute(b.t.chain.keepers.proofs, b.t.ctx(), j.disputeId)!;
  await b.t.advanceTo(d.deadline + 1n);
  assert.equal(getDispute(b.t.chain.keepers.proofs, b.t.ctx(), d.id)!.status, DISPUTE_EXPIRED);
  const cb = b.t.hooks.verdicts.filter((v) => v.kind === 'compute/check');
  assert.ok(cb.every((c) => c.reason === R.CHECK_DISPUTE_UNRESOLVED) && cb.length === 2);
  assert.equal(getJob(b.t.chain.keepers.proofs, b.t.ctx(), b.jobId)!.checkFee, 0n);
  await b.t.close();
});

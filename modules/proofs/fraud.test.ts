// Fraud challenges in-process: equivocation and location-conflict evidence judged on chain (upheld:
// proof reversed through ProofHooks.afterProofReversed with the penalty, device banned with the
// evidence hash, staked provider slashed with the challenger's share, challenger paid; rejected:
// bond forfeited to the fraud fund); arbitrated challenges decided by the authority or expired
// with the bond returned; challenges against invalid, unknown or old proofs refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProofsHarness, RecordingHooks, cellAt, cellNear, type TestDevice } from '../../test/helpers/proofs.ts';
import { devKeys } from '../../test/helpers/inproc.ts';
import * as P from '../../sdk/proofs.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { R, STATUS } from './reasons.ts';
import { CH, type EnvelopeMsg } from './types.ts';
import { getChallenge, BAN_REASON } from './fraud.ts';
import { keys as rewardsKeys } from '../rewards/keys.ts';
import { R as RR } from '../rewards/types.ts';

const BOND = { denom: 'udpin', amount: 10_000_000n };
const challenger = devKeys[6]!;
const LAT = 19.4326;
const LNG = -99.1332;

const readings = (tag: string) => [new TextEncoder().encode(tag)];

async function challenge(t: ProofsHarness, proofId: bigint, kind: number, evidence: Uint8Array, bond = BOND) {
  const r = await t.tx(challenger, [P.challengeProofMsg(challenger.address, proofId, kind, evidence, bond)]);
  const id = r.code === 0 ? BigInt(r.events.find((e) => e.type === 'challenge_opened')!.attributes.find((a) => a.key === 'challenge_id')!.value) : 0n;
  return { r, id };
}

async function acceptedBatch(t: ProofsHarness, d: TestDevice, tag: string): Promise<{ id: bigint; w: bigint; seed: Uint8Array; env: EnvelopeMsg }> {
  const w = t.nextBlockWindow();
  const seed = t.seed(w);
  const env = P.sensorBatch(d.key, t.ec(d, w, seed), { readings: readings(tag), cell: d.cell });
  const r = await t.submit([env]);
  const ev = ProofsHarness.verdictEvents(r)[0]!;
  assert.equal(ev.valid, 'true');
  return { id: BigInt(ev.proof_id!), w, seed, env };
}

test('with the rewards module: the verdict records what rewards credited, and the upheld challenge takes exactly that back', async () => {
  const t = await ProofsHarness.open(undefined, { rewards: true });
  const home = cellAt(LAT, LNG);
  const d = await t.device('sensor', { cell: home });
  await t.enterWindow(2n);
  const { id, w, seed } = await acceptedBatch(t, d, 'first');
  const rewards = t.chain.keepers.rewards;
  const r = t.record(id);
  assert.equal(r.creditOwner, d.owner.address);
  const epoch = rewards.epochOfHeight(rewards.state(t.ctx()), r.height);
  const rec = () => rewards.get(t.ctx(), rewardsKeys.deviceEpoch(epoch, d.id, d.owner.address), RR.DeviceEpoch)!;
  assert.deepEqual([rec().units, rec().weightedUnits], [r.units, r.creditWeightedUnits]);
  assert.ok(r.creditWeightedUnits > 0n);
  const second = P.sensorBatch(d.key, t.ec(d, w, seed), { readings: readings('second'), cell: home });
  const up = await challenge(t, id, P.EVIDENCE_KIND.equivocation, P.envelopeBytes(second));
  assert.equal(getChallenge(t.chain.keepers.proofs, t.ctx(), up.id)!.status, CH.UPHELD);
  const after = rec();
  assert.equal(after.proofsReversed, 1n);
  // Still the proof's epoch (dev epochs are 30 blocks): its units leave the record.
  assert.equal(rewards.currentEpoch(t.ctx()), epoch);
  assert.deepEqual([after.units, after.weightedUnits], [0n, 0n]);
  await t.close();
});

test('equivocation: a failed challenge forfeits its bond; a proven one reverses the proof, bans the device and pays the challenger', async () => {
  const t = await ProofsHarness.open();
  const home = cellAt(LAT, LNG);
  const d = await t.device('sensor', { cell: home });
  await t.enterWindow(2n);
  const { id, w, seed, env } = await acceptedBatch(t, d, 'first');

  // Evidence that proves nothing: the proof itself, and a retry of the same payload with a new seq.
  const bal0 = t.chain.balance(challenger.address);
  const self = await challenge(t, id, P.EVIDENCE_KIND.equivocation, P.envelopeBytes(env));
  assert.equal(self.r.code, 0, self.r.log);
  const c0 = getChallenge(t.chain.keepers.proofs, t.ctx(), self.id)!;
  assert.equal(c0.status, CH.REJECTED);
  assert.match(c0.detail, /the proof itself/);
  const retry = P.signEnvelopeOf(d.key, 6, { chainId: 'depin-local-1', deviceId: d.id, window: w, seed, seq: 99n }, env.payload);
  const c1 = await challenge(t, id, P.EVIDENCE_KIND.equivocation, P.envelopeBytes(retry));
  assert.match(getChallenge(t.chain.keepers.proofs, t.ctx(), c1.id)!.detail, /same payload/);
  assert.equal(t.chain.balance(challenger.address), bal0 - 2n * BOND.amount - 2n * 50_000n, 'both bonds forfeited');
  assert.equal(t.chain.keepers.proofs.fraudFund(t.ctx()), 2n * BOND.amount);
  assert.equal(t.record(id).status, STATUS.FINAL, 'the proof stands');

  // The device also signed a different batch for the same window (refused at submission as a
  // duplicate window, but it is the device's signature on a second claim).
  const second = P.sensorBatch(d.key, t.ec(d, w, seed), { readings: readings('second'), cell: home });
  const refused = await t.submit([second]);
  assert.equal(`${refused.codespace}/${refused.code}`, 'proofs/17');
  const bal1 = t.chain.balance(challenger.address);
  const up = await challenge(t, id, P.EVIDENCE_KIND.equivocation, P.envelopeBytes(second));
  const c2 = getChallenge(t.chain.keepers.proofs, t.ctx(), up.id)!;
  assert.equal(c2.status, CH.UPHELD, c2.detail);
  assert.equal(t.record(id).status, STATUS.REVERSED);
  assert.equal(t.record(id).challengeId, up.id);
  const rev = t.hooks.reversals.at(-1)!;
  assert.deepEqual([rev.outcome.proofId, rev.outcome.kind, rev.outcome.units, rev.challenger, rev.penaltyUnits], [id, 'sensor/batch', t.record(id).units, challenger.address, t.params.fraudPenaltyUnits]);
  // What the rewards hook credited at the verdict is kept in the record and handed back.
  assert.deepEqual(rev.outcome.credit, RecordingHooks.creditFor({ proofId: id, units: t.record(id).units }));
  assert.deepEqual([t.record(id).creditOwner, t.record(id).creditWeightedUnits], [`credited-${id}`, 3n * t.record(id).units + 1n]);
  const activity = t.chain.keepers.devices.activity(t.ctx(), d.id);
  assert.deepEqual([activity.active, activity.reason, activity.ban?.reasonCode], [false, 'banned', BAN_REASON[1]]);
  assert.deepEqual(activity.ban!.evidenceHash, sha256(P.envelopeBytes(second)));
  assert.equal(t.chain.balance(challenger.address), bal1 - 50_000n + 5_000_000n, 'bond back + challenge_reward from the fund');
  assert.equal(t.chain.keepers.proofs.fraudFund(t.ctx()), 2n * BOND.amount - 5_000_000n);
  // Reversed proofs cannot be challenged again, and the banned device's proofs are refused.
  assert.equal((await challenge(t, id, 1, P.envelopeBytes(second))).r.code, 47);
  await t.enterWindow(w + 1n);
  const after = await t.submit([P.sensorBatch(d.key, t.ec(d, t.nextBlockWindow()), { readings: readings('x'), cell: home })]);
  assert.equal(`${after.codespace}/${after.code}`, 'proofs/9');
  await t.close();
});

test('location conflict: a same-window envelope placing the device elsewhere reverses its beacon', async () => {
  const t = await ProofsHarness.open(() => ({ reciprocityBlocks: 0n }));
  const b = await t.device('coverage', { cell: cellNear(LAT, LNG, 0, 0) });
  await t.enterWindow(2n);
  const w = t.nextBlockWindow();
  const seed = t.seed(w);
  const { envelope } = P.beacon(b.key, t.ec(b, w, seed), { region: 1, frequencyKhz: 868_100, dataRate: 5, txPowerDbm10: 140, antennaGainDbi10: 20 });
  const beaconId = ProofsHarness.proofIds(await t.submit([envelope]))[0]!;
  await t.advanceTo(t.height() + t.params.witnessWindowBlocks);
  assert.equal(t.record(beaconId).valid, true);
  // A witness report the device signed in the same window, from 8 km away.
  const elsewhere = P.witness(b.key, t.ec(b, w, seed), { beaconPayload: sha256(new Uint8Array([1])), rssiDbm10: -1000, snrDb10: 10, frequencyKhz: 868_100, region: 1, antennaGainDbi10: 20, cell: cellNear(LAT, LNG, 8_000, 0) });
  // Evidence within the ring limit proves nothing.
  const nearby = P.witness(b.key, t.ec(b, w, seed), { beaconPayload: sha256(new Uint8Array([2])), rssiDbm10: -1000, snrDb10: 10, frequencyKhz: 868_100, region: 1, antennaGainDbi10: 20, cell: cellNear(LAT, LNG, 40, 0) });
  const weak = await challenge(t, beaconId, P.EVIDENCE_KIND.locationConflict, P.envelopeBytes(nearby));
  assert.equal(getChallenge(t.chain.keepers.proofs, t.ctx(), weak.id)!.status, CH.REJECTED);
  const strong = await challenge(t, beaconId, P.EVIDENCE_KIND.locationConflict, P.envelopeBytes(elsewhere));
  const c = getChallenge(t.chain.keepers.proofs, t.ctx(), strong.id)!;
  assert.equal(c.status, CH.UPHELD, c.detail);
  assert.match(c.detail, /rings from its asserted/);
  assert.equal(t.record(beaconId).status, STATUS.REVERSED);
  assert.equal(t.chain.keepers.devices.activity(t.ctx(), b.id).ban?.reasonCode, BAN_REASON[2]);
  await t.close();
});

test('a staked compute provider that equivocates is slashed; the challenger gets its share', async () => {
  const t = await ProofsHarness.open();
  const owner = devKeys[0]!;
  const g = await t.device('compute', { cell: cellAt(LAT, LNG), owner });
  await t.ok(owner, [P.bondProviderMsg(owner.address, g.id, { denom: 'udpin', amount: 100_000_000n })]);
  await t.enterWindow(2n);
  const w = t.nextBlockWindow();
  const seed = t.seed(w);
  const bits = t.params.defaultDifficultyBits;
  const n1 = P.solvePuzzle(seed, g.id, w, bits);
  const r = await t.submit([P.availability(g.key, t.ec(g, w, seed), n1)]);
  const id = ProofsHarness.proofIds(r)[0]!;
  // A second availability answer for the same window (another payload under the same seed).
  const n2 = Uint8Array.of(...n1, 0);
  const second = P.availability(g.key, t.ec(g, w, seed), n2);
  const before = t.chain.balance(challenger.address);
  const up = await challenge(t, id, P.EVIDENCE_KIND.equivocation, P.envelopeBytes(second));
  assert.equal(getChallenge(t.chain.keepers.proofs, t.ctx(), up.id)!.status, CH.UPHELD);
  assert.equal(t.chain.keepers.proofs.getBond(t.ctx(), g.id)!.bonded, 90_000_000n, '10 % slashed');
  assert.equal(t.chain.balance(challenger.address), before - 50_000n + 5_000_000n, 'half of the slash; the fund is empty');
  await t.close();
});

test('arbitrated evidence: the authority upholds or rejects before the deadline; undecided ones expire with the bond returned', async () => {
  const t = await ProofsHarness.open();
  const d = await t.device('sensor', { cell: cellAt(LAT, LNG) });
  const d2 = await t.device('sensor', { cell: cellAt(LAT, LNG) });
  await t.enterWindow(2n);
  const a = await acceptedBatch(t, d, 'a');
  const b = await acceptedBatch(t, d2, 'b');
  const evidence = new TextEncoder().encode('photos: both devices on one antenna mast (ipfs://bafy...)');
  const c1 = await challenge(t, a.id, P.EVIDENCE_KIND.arbitrated, evidence);
  assert.equal(getChallenge(t.chain.keepers.proofs, t.ctx(), c1.id)!.status, CH.PENDING);
  // Only the authority decides.
  const notAuth = await t.tx(challenger, [P.resolveChallengeMsg(challenger.address, c1.id, true)]);
  assert.equal(`${notAuth.codespace}/${notAuth.code}`, 'proofs/32');
  await t.ok(t.authority, [P.resolveChallengeMsg(t.authority.address, c1.id, true, 'cluster confirmed')]);
  assert.equal(getChallenge(t.chain.keepers.proofs, t.ctx(), c1.id)!.status, CH.UPHELD);
  assert.equal(t.record(a.id).status, STATUS.REVERSED);
  const bal = t.chain.balance(challenger.address);
  const c2 = await challenge(t, b.id, P.EVIDENCE_KIND.arbitrated, evidence);
  await t.advanceTo(getChallenge(t.chain.keepers.proofs, t.ctx(), c2.id)!.deadline + 1n);
  const x = getChallenge(t.chain.keepers.proofs, t.ctx(), c2.id)!;
  assert.equal(x.status, CH.EXPIRED);
  assert.equal(t.chain.balance(challenger.address), bal - 50_000n, 'bond returned, only the fee spent');
  assert.equal(t.record(b.id).status, STATUS.FINAL);
  await t.close();
});

test('challenges against invalid, unknown or old proofs, or with a small bond, are tx errors', async () => {
  const t = await ProofsHarness.open(() => ({ challengePeriodBlocks: 30n }));
  const d = await t.device('sensor', { cell: cellAt(LAT, LNG) });
  await t.enterWindow(2n);
  const ok = await acceptedBatch(t, d, 'ok');
  const w = t.nextBlockWindow();
  await t.enterWindow(w + 1n);
  const bad = await t.submit([P.sensorBatch(d.key, t.ec(d, t.nextBlockWindow()), { readings: readings('far'), cell: cellNear(LAT, LNG, 9_000, 0) })]);
  const badId = ProofsHarness.proofIds(bad)[0]!;
  assert.equal(t.record(badId).reason, R.LOCATION_MISMATCH);
  const ev = new Uint8Array([1]);
  assert.equal((await challenge(t, badId, 3, ev)).r.code, 47, 'nothing to reverse on an invalid proof');
  assert.equal((await challenge(t, 999_999n, 3, ev)).r.code, 46);
  assert.equal((await challenge(t, ok.id, 3, ev, { denom: 'udpin', amount: 1n })).r.code, 33);
  await t.advanceTo(t.record(ok.id).height + 31n);
  assert.equal((await challenge(t, ok.id, 3, ev)).r.code, 47, 'challenge period over');
  await t.close();
});

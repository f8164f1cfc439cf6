// The rewards module in a real App (LevelDB, real txs and end blocks). Verdicts come from the
// TEST-ONLY proof driver (test/helpers/proof-driver.ts) that calls the ProofHooks where the proofs
// module does; the invariant checker runs after every block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h3 from 'h3-js';
import { devKeys } from '../../test/helpers/inproc.ts';
import { RewardsHarness, msg } from '../../test/helpers/rewards-harness.ts';
import { rewardsGenesis, cellNear, AUTHORITY, type DeviceSpec } from '../../test/helpers/rewards-fixtures.ts';
import { moduleAddress as moduleAddressOf } from '../auth/keeper.ts';
import { UNIT } from '../proofs/hooks.ts';
import { Q, type Params } from './types.ts';

const [alice, bob, carol] = [devKeys[0]!, devKeys[1]!, devKeys[2]!];

/** Simple economics: 1,000,000 udpin per 10-block epoch, 10% validators, 90% coverage pool. */
const SIMPLE: Partial<Params> = {
  epochBlocks: 10n, initialEpochEmission: 1_000_000n, decayBps: 0, decayIntervalEpochs: 0n, tailEpochEmission: 0n, reemissionCap: 0n,
  breakerThreshold: 10n ** 15n, validatorsBps: 1000, oraclesBps: 0, verifiersBps: 0, treasuryBps: 0,
  sectorShares: [{ sector: 1, bps: 9000 }, { sector: 2, bps: 0 }, { sector: 3, bps: 0 }, { sector: 4, bps: 0 }],
  densityResolution: 8, densityTarget: 2n, unlocatedTrustPpm: 0n, relocationTrustPpm: 250_000n, trustCooldownBlocks: 5n,
  seniorityBasePpm: 1_000_000n, seniorityMaxPpm: 1_000_000n, seniorityRampBlocks: 100n, downtimeGraceEpochs: 1, fraudWithholdEpochs: 1,
};

/** Three res-12 cells inside one res-8 cell, and one far away. */
function cells() {
  const x = h3.latLngToCell(48.8566, 2.3522, 8);
  const kids = h3.cellToChildren(x, 12);
  return { crowded: [kids[0]!, kids[100]!, kids[200]!].map((c) => BigInt('0x' + c)), alone: cellNear(-33.86, 151.2), parent: BigInt('0x' + x) };
}

test('per-device breakdown: units, reason codes, density / trust / seniority, two-level pro-rata to the unit, claim once', async () => {
  const c = cells();
  const devices: DeviceSpec[] = [
    { owner: alice.address, sector: 1, cell: c.crowded[0]!, locationHeight: 0n, seniorityHeight: 1n, locationCount: 1n },
    { owner: alice.address, sector: 1, cell: c.crowded[1]!, locationHeight: 0n, seniorityHeight: 1n, locationCount: 1n },
    { owner: bob.address, sector: 1, cell: c.crowded[2]!, locationHeight: 0n, seniorityHeight: 1n, locationCount: 1n },
    { owner: bob.address, sector: 1, cell: c.alone, locationHeight: 8n, seniorityHeight: 8n, locationCount: 2n }, // moved recently
    { owner: carol.address, sector: 1, cell: 0n }, // never located
  ];
  const h = await RewardsHarness.open(rewardsGenesis(SIMPLE, devices));
  try {
    await h.blocks(5); // heights 2..6: devices 1-3 (located at 0) leave the 5-block trust cool-down
    const d = h.driver;
    d.verdict({ deviceId: 1n, sector: 1, valid: true, units: 3n * UNIT });
    d.verdict({ deviceId: 1n, sector: 1, valid: false, reason: 7, units: 0n });
    d.verdict({ deviceId: 1n, sector: 1, valid: false, reason: 7, units: 0n });
    d.verdict({ deviceId: 1n, sector: 1, valid: false, reason: 3, units: 0n });
    d.verdict({ deviceId: 2n, sector: 1, valid: true, units: 1n * UNIT });
    d.verdict({ deviceId: 3n, sector: 1, valid: true, units: 2n * UNIT });
    d.verdict({ deviceId: 4n, sector: 1, valid: true, units: 4n * UNIT });
    d.verdict({ deviceId: 5n, sector: 1, valid: true, units: 5n * UNIT });
    d.verdict({ deviceId: 5n, sector: 2, valid: true, units: 5n * UNIT }); // wrong sector: ignored
    const s = await h.finishEpoch();
    assert.equal(s.epoch, 1n);
    assert.equal(s.minted, 1_000_000n);
    assert.equal(s.validators, 100_000n);
    const pool = s.sectors.find((x) => x.sector === 1)!;
    assert.equal(pool.pool, 900_000n);

    // independent arithmetic: crowded res-8 cell holds 3 devices > target 2 -> density 2/3
    const density = (1_000_000n * 2n) / 3n;
    const WX = (6n * UNIT * density) / 1_000_000n;
    const WB = (4n * UNIT * 250_000n) / 1_000_000n; // trust 0.25 during the cool-down
    const AX = (900_000n * WX) / (WX + WB);
    const AB = (900_000n * WB) / (WX + WB);
    const expected = [(AX * 3n) / 6n, (AX * 1n) / 6n, (AX * 2n) / 6n, AB, 0n];
    for (let i = 0; i < 5; i++) assert.equal(h.record(1n, BigInt(i + 1)).earned, expected[i], `device ${i + 1}`);
    const paid = expected.reduce((a, b) => a + b, 0n);
    assert.equal(pool.proofPaid, paid);
    assert.equal(s.paid, 100_000n + paid);
    assert.equal(s.unallocated, s.minted - s.paid);
    assert.ok(s.unallocated > 0n && s.unallocated < 10n, `only rounding dust is unallocated here: ${s.unallocated}`);

    // the same figures as block events, for the index: one rewards_device_paid per device record
    // (the unlocated device included, with 0), and the epoch's demand paid and subsidy ratio
    const attrs = (type: string) => h.chain.lastBlockEvents.filter((e) => e.type === type).map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));
    assert.deepEqual(attrs('rewards_device_paid').map((a) => [a.device_id, a.epoch, a.amount, a.proof, a.demand, a.units]),
      expected.map((x, i) => [String(i + 1), '1', x.toString(), x.toString(), '0', [3n, 1n, 2n, 4n, 5n][i]! * UNIT + '']));
    assert.deepEqual(h.chain.lastBlockEvents.find((e) => e.type === 'rewards_device_paid')!.attributes.filter((a) => a.index).map((a) => a.key), ['device_id', 'epoch', 'owner']);
    const [dist] = attrs('rewards_epoch_distributed');
    assert.deepEqual([dist!.paid, dist!.demand_paid, dist!.subsidy_to_revenue_ppm, dist!.revenue_zero], [s.paid.toString(), '0', '0', 'true']);

    const r1 = h.record(1n, 1n);
    assert.deepEqual(r1.reasons, [{ reason: 3, count: 1n }, { reason: 7, count: 2n }]);
    assert.equal(r1.proofsValid, 1n);
    assert.equal(r1.proofsInvalid, 3n);
    assert.equal(r1.units, 3n * UNIT);
    assert.equal(r1.densityPpm, density);
    assert.equal(r1.cellDevices, 3n);
    assert.equal(r1.densityCell, c.parent);
    assert.equal(r1.trustPpm, 1_000_000n);
    assert.equal(h.record(1n, 4n).trustPpm, 250_000n);
    assert.equal(h.record(1n, 5n).trustPpm, 0n); // unlocated: units shown, nothing earned
    assert.equal(h.record(1n, 5n).units, 5n * UNIT);
    assert.equal(h.record(1n, 5n).weightedUnits, 0n);

    // the breakdown query answers the same, with the claimable balances
    const q = h.chain.queryRaw('/depin.rewards.v1.Query/DeviceEpoch', Q.DeviceEpoch[0].encode({ deviceId: 1n, epoch: 1n }));
    const view = Q.DeviceEpoch[1].decode(q.value);
    assert.equal(view.records[0].earned, expected[0]);
    assert.equal(view.claimable[0].claimable, expected[0]);

    // alice claims devices 1 and 2; claiming again pays nothing and still succeeds
    const before = h.chain.balance(alice.address);
    const r = await h.send(alice, [msg('Claim', { owner: alice.address, deviceIds: [] })]);
    assert.equal(r.code, 0, r.log);
    assert.equal(h.chain.balance(alice.address), before + expected[0]! + expected[1]! - 5000n);
    const again = await h.send(alice, [msg('Claim', { owner: alice.address, deviceIds: [1n, 2n] })]);
    assert.equal(again.code, 0, again.log);
    assert.equal(h.chain.balance(alice.address), before + expected[0]! + expected[1]! - 10_000n);
    assert.equal(h.claimable(1n, alice.address), 0n);
    // bob cannot claim alice's devices
    const bobBefore = h.chain.balance(bob.address);
    await h.send(bob, [msg('Claim', { owner: bob.address, deviceIds: [1n, 2n] })]);
    assert.equal(h.chain.balance(bob.address), bobBefore - 5000n);
  } finally {
    await h.close();
  }
});

test('queries: epochs (paginated), device history, claimable totals, totals = module balance, the published schedule, oracles, credits; bad requests refused', async () => {
  const params = { ...SIMPLE, decayBps: 5000, decayIntervalEpochs: 3n, tailEpochEmission: 100_000n, locationSectors: [] as number[] };
  const h = await RewardsHarness.open(rewardsGenesis(params, [{ owner: alice.address, sector: 1, cell: 0n }, { owner: alice.address, sector: 1, cell: 0n }]));
  try {
    const q = (name: keyof typeof Q, req: Record<string, unknown>) => {
      const r = h.chain.queryRaw(`/depin.rewards.v1.Query/${name}`, Q[name][0].encode(req));
      if (r.code !== 0) throw Object.assign(new Error(r.log), { code: r.code, codespace: r.codespace });
      return Q[name][1].decode(r.value);
    };
    for (let i = 0; i < 4; i++) {
      h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
      if (i % 2) h.driver.verdict({ deviceId: 2n, sector: 1, valid: true, units: UNIT });
      await h.finishEpoch();
    }
    const page1 = q('Epochs', { pagination: { limit: 2n, countTotal: true } });
    assert.deepEqual(page1.epochs.map((e: any) => e.epoch), [1n, 2n]);
    assert.equal(page1.pagination.total, 5n); // 4 done + the open one
    const page2 = q('Epochs', { pagination: { key: page1.pagination.nextKey, limit: 10n } });
    assert.deepEqual(page2.epochs.map((e: any) => e.epoch), [3n, 4n, 5n]);
    assert.deepEqual(q('Epoch', {}).summary.status, 1);
    assert.deepEqual(q('DeviceEpochs', { deviceId: 1n }).records.map((r: any) => r.epoch), [1n, 2n, 3n, 4n]);
    assert.deepEqual(q('DeviceEpochs', { deviceId: 2n, pagination: { reverse: true } }).records.map((r: any) => r.epoch), [4n, 2n]);
    const claim = q('Claimable', { owner: alice.address });
    const sum = [1n, 2n].reduce((a, d) => a + h.claimable(d, alice.address), 0n);
    assert.equal(claim.total, sum);
    assert.equal(claim.devices.length, 2);
    const totals = q('Totals', {});
    assert.equal(totals.moduleBalance, totals.outstanding); // nothing in flight after a finished epoch
    assert.equal(totals.outstanding, sum);
    const sched = q('Schedule', { fromEpoch: 1n, count: 8 });
    assert.deepEqual(sched.scheduled, [1_000_000n, 1_000_000n, 1_000_000n, 500_000n, 500_000n, 500_000n, 250_000n, 250_000n]);
    for (let e = 1n; e <= 4n; e++) assert.equal(h.summary(e).scheduled, sched.scheduled[Number(e) - 1]);
    assert.deepEqual(q('Oracles', {}).oracles, []);
    assert.equal(q('Credits', { address: bob.address }).account.balance, 0n);
    assert.throws(() => q('Credits', { address: 'nope' }), /invalid address/);
    assert.throws(() => q('DeviceEpoch', { deviceId: 0n }), /device_id is required/);
    assert.throws(() => q('Epoch', { epoch: 99n }), /not found/);
  } finally {
    await h.close();
  }
});

test('fixed shares: validators to fee_collector, treasury, verifiers pro-rata to the wired source (unallocated without one); params only by the authority, a new schedule restarts from the current epoch', async () => {
  const params = { ...SIMPLE, validatorsBps: 1000, treasuryBps: 500, verifiersBps: 1000, sectorShares: [{ sector: 1, bps: 7500 }, { sector: 2, bps: 0 }, { sector: 3, bps: 0 }, { sector: 4, bps: 0 }] };
  const h = await RewardsHarness.open(rewardsGenesis(params, []));
  try {
    const fc0 = h.chain.balance(moduleAddressOf('fee_collector'));
    const s1 = await h.finishEpoch();
    assert.equal(s1.validators, 100_000n);
    assert.equal(s1.treasury, 50_000n);
    assert.equal(s1.verifiers, 0n, 'no verifier source wired: the share is unallocated');
    assert.equal(s1.unallocated, 1_000_000n - 150_000n);
    assert.ok(h.chain.balance(moduleAddressOf('fee_collector')) - fc0 >= 100_000n);
    assert.equal(h.chain.balance(moduleAddressOf('treasury')), 50_000n);
    // proofs wires its verifiers: paid pro-rata (floor), the dust stays unallocated
    h.rewards.verifierSource = { verifierWeights: () => [{ address: bob.address, weight: 1n }, { address: carol.address, weight: 2n }] };
    const [b0, c0] = [h.chain.balance(bob.address), h.chain.balance(carol.address)];
    const s2 = await h.finishEpoch();
    assert.equal(h.chain.balance(bob.address) - b0, 33_333n);
    assert.equal(h.chain.balance(carol.address) - c0, 66_666n);
    assert.equal(s2.verifiers, 99_999n);
    h.rewards.verifierSource = undefined;

    // params: only the authority; a schedule change re-anchors at the current epoch
    const newParams = { ...h.rewards.params(h.ctx()), initialEpochEmission: 2_000_000n, decayBps: 5000, decayIntervalEpochs: 1n };
    const denied = await h.send(bob, [msg('UpdateParams', { authority: bob.address, params: newParams })]);
    assert.equal(`${denied.codespace}:${denied.code}`, 'rewards:3');
    const bad = await h.send(AUTHORITY, [msg('UpdateParams', { authority: AUTHORITY.address, params: { ...newParams, treasuryBps: 501 } })]);
    assert.equal(`${bad.codespace}:${bad.code}`, 'rewards:2'); // shares must sum to 10000
    const ok = await h.send(AUTHORITY, [msg('UpdateParams', { authority: AUTHORITY.address, params: newParams })]);
    assert.equal(ok.code, 0, ok.log);
    const anchor = h.state().scheduleAnchorEpoch;
    assert.equal(anchor, h.currentEpoch());
    const s3 = await h.finishEpoch();
    const s4 = await h.finishEpoch();
    assert.deepEqual([s3.scheduled, s4.scheduled], [2_000_000n, 1_000_000n]);
  } finally {
    await h.close();
  }
});

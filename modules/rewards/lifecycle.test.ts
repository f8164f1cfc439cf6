// Rewards over time in a real App: the schedule followed to the unit over thousands of epochs;
// claims after a transfer (each owner keeps what the device earned under him) in any order;
// reversals (removed before distribution, withheld during it, clawed back after it, debt beyond
// the claimable balance) with the fraud withholding window; honest downtime within the grace
// window keeps seniority; hooks inside a failing tx leave nothing; genesis export -> import keeps
// the app hash mid-distribution; the invariant checker catches tampering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { devKeys, TestChain, diffDumps } from '../../test/helpers/inproc.ts';
import { formatRfc3339 } from '../../chain/genesis.ts';
import { RewardsHarness, msg } from '../../test/helpers/rewards-harness.ts';
import { rewardsGenesis, fleet, transferDevice, FLAT_REWARDS, type DeviceSpec } from '../../test/helpers/rewards-fixtures.ts';
import { ProofDriver } from '../../test/helpers/proof-driver.ts';
import { CacheKV } from '../../chain/store/cache-kv.ts';
import { Context } from '../../chain/context.ts';
import { GasMeter } from '../../chain/gas.ts';
import { EventManager } from '../../chain/events.ts';
import { MODULE_NAME } from './keeper.ts';
import { checkInvariants } from './invariants.ts';
import { scheduledEmission } from './math.ts';
import { UNIT } from '../proofs/hooks.ts';
import { R, EPOCH_DONE, type Params } from './types.ts';
import { keys } from './keys.ts';

const [alice, bob, carol] = [devKeys[0]!, devKeys[1]!, devKeys[2]!];
const transfer = transferDevice;
const FLAT = FLAT_REWARDS;

test('a long run follows the schedule to the unit: 3,000 one-block epochs, halving every 250 with a tail, supply grows by exactly what was paid', async () => {
  const params: Partial<Params> = {
    ...FLAT, epochBlocks: 1n, initialEpochEmission: 1_000_000_007n, decayBps: 5000, decayIntervalEpochs: 250n, tailEpochEmission: 3_333n,
    validatorsBps: 1000, treasuryBps: 500, sectorShares: [{ sector: 1, bps: 8500 }, { sector: 2, bps: 0 }, { sector: 3, bps: 0 }, { sector: 4, bps: 0 }],
    breakerWindowEpochs: 7, breakerThreshold: 7n * 1_000_000_007n + 1n, historyEpochs: 5, reversalWindowEpochs: 3,
  };
  const g = rewardsGenesis(params, fleet(3));
  const h = await RewardsHarness.open(g, { check: false });
  try {
    // supply at genesis (the first block already closed epoch 1)
    const supply0 = (g.app_state.bank as { balances: { coins: { amount: string }[] }[] }).balances.reduce((a, b) => a + BigInt(b.coins[0]!.amount), 0n);
    const t0 = performance.now();
    for (let i = 0; i < 3000; i++) {
      if (i % 7 === 0) h.driver.verdict({ deviceId: BigInt(1 + (i % 3)), sector: 1, valid: true, units: UNIT });
      await h.block();
      if (i % 500 === 0) h.check(); // the full checker every 500 epochs (it reads every summary)
    }
    const ms = performance.now() - t0;
    h.check();
    const p = h.rewards.params(h.ctx());
    const st = h.state();
    let minted = 0n;
    let unallocated = 0n;
    for (let e = 1n; e < st.currentEpoch; e++) {
      const s = h.summary(e);
      const expected = scheduledEmission(p, 1n, e);
      assert.equal(s.scheduled, expected, `epoch ${e}`);
      assert.equal(s.minted, expected, `epoch ${e}: no burns, no breaker: minted = schedule`);
      minted += s.minted;
      assert.equal(s.status, EPOCH_DONE);
      unallocated += s.unallocated;
    }
    // halvings: 1,000,000,007 -> 500,000,003 after 250 epochs -> ... -> the 3,333 tail
    assert.equal(h.summary(250n).scheduled, 1_000_000_007n);
    assert.equal(h.summary(251n).scheduled, 500_000_003n);
    assert.equal(h.summary(2999n).scheduled, 488_281n); // 11 halvings: floor(floor(...)/2) of 1,000,000,007
    assert.equal(scheduledEmission(p, 1n, 250n * 30n), 3_333n);
    assert.equal(st.totalMinted, minted);
    assert.equal(h.chain.supply() - supply0, minted - unallocated, 'supply grew by what was paid (the unallocated rest was burned)');
    assert.equal(minted - unallocated, st.totalPaid);
    console.log(`# ${st.currentEpoch - 1n} epochs in ${ms.toFixed(0)} ms (${(ms / 3000).toFixed(2)} ms per block incl. commit); minted ${minted}`);
  } finally {
    await h.close();
  }
});

test('claims: cumulative and order-free; a transferred device\'s earlier rewards stay with the previous owner; double claims pay once', async () => {
  const h = await RewardsHarness.open(rewardsGenesis(FLAT, fleet(2, { owners: [alice.address, carol.address] })));
  try {
    h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    h.driver.verdict({ deviceId: 2n, sector: 1, valid: true, units: UNIT });
    const e1 = await h.finishEpoch();
    const underAlice = h.record(e1.epoch, 1n).earned;
    assert.equal(underAlice, 500_000n);
    // alice transfers device 1 to bob mid-epoch: both earn in that epoch, each under his name
    h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    await h.block();
    assert.equal((await h.send(alice, [transfer(alice, 1n, bob.address)])).code, 0);
    h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    h.driver.verdict({ deviceId: 2n, sector: 1, valid: true, units: 2n * UNIT });
    const e2 = await h.finishEpoch();
    const recs = h.records(e2.epoch, 1n);
    assert.deepEqual(recs.map((r) => r.owner).sort(), [alice.address, bob.address].sort());
    assert.deepEqual(recs.map((r) => r.earned), [250_000n, 250_000n]);
    // three more epochs of bob only
    for (let i = 0; i < 3; i++) {
      h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
      await h.finishEpoch();
    }
    // bob claims first (any order), then alice; then both again
    const b0 = h.chain.balance(bob.address);
    const rb = await h.send(bob, [msg('Claim', { owner: bob.address, deviceIds: [1n] })]);
    assert.equal(rb.code, 0, rb.log);
    assert.equal(h.chain.balance(bob.address) - b0, 250_000n + 3n * 1_000_000n - 5000n);
    const a0 = h.chain.balance(alice.address);
    assert.equal((await h.send(alice, [msg('Claim', { owner: alice.address, deviceIds: [] })])).code, 0);
    assert.equal(h.chain.balance(alice.address) - a0, 500_000n + 250_000n - 5000n);
    for (const who of [alice, bob]) {
      const before = h.chain.balance(who.address);
      assert.equal((await h.send(who, [msg('Claim', { owner: who.address, deviceIds: [] })])).code, 0);
      assert.equal(h.chain.balance(who.address), before - 5000n, 'a second claim pays nothing');
    }
    assert.equal(h.ledger(1n, alice.address).claimed, 750_000n);
    assert.equal(h.ledger(1n, bob.address).claimed, 3_250_000n);
  } finally {
    await h.close();
  }
});

test('reversals: removed while open, withheld while paying, clawed back once paid (debt beyond the claimable), then withheld for the fraud window', async () => {
  const p = { ...FLAT, distributionBatch: 10, epochBlocks: 4n };
  const h = await RewardsHarness.open(rewardsGenesis(p, fleet(12, { owners: [alice.address, bob.address] })));
  try {
    // epoch 1: device 1 has two proofs, one reversed before the epoch closes -> only 1 unit counts
    const a = h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    h.driver.verdict({ deviceId: 2n, sector: 1, valid: true, units: UNIT });
    await h.block();
    h.driver.reverse(a, carol.address);
    await h.block();
    assert.equal(h.record(1n, 1n).units, UNIT);
    assert.equal(h.record(1n, 1n).proofsReversed, 1n);
    const e1 = await h.finishEpoch();
    assert.equal(h.record(e1.epoch, 1n).earned, 0n, 'fraud window: epoch 1 withheld entirely');
    assert.equal(h.record(e1.epoch, 1n).withheldReason, 'fraud_withhold');
    assert.equal(h.record(e1.epoch, 2n).earned, 500_000n);

    // epoch 3 (after the window): device 3 earns, gets paid, owner claims part... then a reversal claws back
    for (let i = 0; i < 2; i++) await h.finishEpoch();
    const st = h.state();
    const b = h.driver.verdict({ deviceId: 3n, sector: 1, valid: true, units: UNIT });
    h.driver.verdict({ deviceId: 3n, sector: 1, valid: true, units: UNIT });
    h.driver.verdict({ deviceId: 4n, sector: 1, valid: true, units: 2n * UNIT });
    const e3 = await h.finishEpoch();
    assert.equal(e3.epoch, st.currentEpoch);
    assert.equal(h.record(e3.epoch, 3n).earned, 500_000n);
    // device 3's owner (alice) claims everything; the reversal then finds nothing claimable: debt
    assert.equal((await h.send(alice, [msg('Claim', { owner: alice.address, deviceIds: [] })])).code, 0);
    h.driver.reverse(b, carol.address, UNIT); // the proof (1 unit) + 1 unit of penalty = all of device 3's units
    await h.block();
    const ds = h.rewards.deviceState(h.ctx(), 3n);
    assert.equal(ds.debt, 500_000n);
    // device 4 (bob) is reversed while still claimable: clawed back from earned-not-claimed, burned
    const c = h.driver.recorded.find((o) => o.deviceId === 4n && o.height > 0n && h.rewards.epochOfHeight(h.state(), o.height) === e3.epoch)!;
    const supply = h.chain.supply();
    h.driver.reverse(c.proofId, carol.address);
    await h.block();
    assert.equal(h.ledger(4n, bob.address).clawedBack, 500_000n);
    assert.equal(h.chain.supply(), supply - 500_000n);
    // device 3's debt is recovered from its next rewards (after its fraud window)
    for (let i = 0; i < 2; i++) await h.finishEpoch();
    h.driver.verdict({ deviceId: 3n, sector: 1, valid: true, units: UNIT });
    const e6 = await h.finishEpoch();
    const r = h.record(e6.epoch, 3n);
    assert.equal(r.debtCollected, 500_000n);
    assert.equal(r.earned, 500_000n);
    assert.equal(h.rewards.deviceState(h.ctx(), 3n).debt, 0n);

    // reversal of a proof whose epoch is closed but not yet paid (distribution is chunked: 10 records per block)
    for (let d = 1n; d <= 12n; d++) h.driver.verdict({ deviceId: d, sector: 1, valid: true, units: UNIT });
    const open = h.currentEpoch();
    while (h.currentEpoch() === open) await h.block();
    const late = h.driver.recorded.filter((o) => h.rewards.epochOfHeight(h.state(), o.height) === open && o.deviceId === 12n)[0]!;
    assert.equal(h.record(open, 12n).paid, false, 'device 12 comes last in key order: not paid in the closing block');
    h.driver.reverse(late.proofId, carol.address);
    while (h.summary(open).status !== EPOCH_DONE) await h.block();
    const r12 = h.record(open, 12n);
    assert.equal(r12.withheldReason.split(',')[0], 'fraud_withhold');
    assert.equal(r12.earned, 0n);
  } finally {
    await h.close();
  }
});

test('honest downtime: silent for up to the grace window keeps seniority; longer silence restarts it', async () => {
  const p = { ...FLAT, seniorityBasePpm: 500_000n, seniorityMaxPpm: 1_000_000n, seniorityRampBlocks: 1000n, downtimeGraceEpochs: 2 };
  const devices: DeviceSpec[] = [{ owner: alice.address, sector: 1, cell: 0n, registeredHeight: 1n }, { owner: bob.address, sector: 1, cell: 0n, registeredHeight: 1n }];
  const h = await RewardsHarness.open(rewardsGenesis(p, devices));
  try {
    const proof = (d: bigint) => h.driver.verdict({ deviceId: d, sector: 1, valid: true, units: UNIT });
    proof(1n);
    proof(2n);
    await h.finishEpoch();
    // device 1 silent 2 epochs (within grace), device 2 silent 3 epochs
    await h.finishEpoch();
    await h.finishEpoch();
    proof(1n);
    await h.block();
    const e = h.currentEpoch();
    assert.ok(h.record(e, 1n).seniorityPpm > 500_000n + 5000n, 'seniority kept');
    await h.finishEpoch();
    proof(2n);
    await h.block();
    const r2 = h.record(h.currentEpoch(), 2n);
    assert.equal(r2.seniorityPpm, 500_000n, 'silent for 3 epochs > grace 2: seniority restarts');
    assert.ok(h.rewards.deviceState(h.ctx(), 2n).activeSince > 0n);
  } finally {
    await h.close();
  }
});

test('hooks run on the tx branch: a tx whose later message fails leaves no verdict; a good tx records it', async () => {
  const h = await RewardsHarness.open(rewardsGenesis(FLAT, fleet(1, { owners: [alice.address] })));
  try {
    const v = { proofId: 1n, deviceId: 1n, sector: 1, valid: true, units: 5n * UNIT };
    const bad = await h.send(bob, [ProofDriver.msg(bob.address, [v], true)]);
    assert.notEqual(bad.code, 0);
    assert.deepEqual(h.records(h.currentEpoch(), 1n), []);
    const good = await h.send(bob, [ProofDriver.msg(bob.address, [v])]);
    assert.equal(good.code, 0, good.log);
    assert.equal(h.record(h.currentEpoch(), 1n).units, 5n * UNIT);
    // and a reversal inside a tx
    const rev = await h.send(bob, [ProofDriver.msg(bob.address, [{ ...v, reverse: true, verdictHeight: h.height, challenger: carol.address }])]);
    assert.equal(rev.code, 0, rev.log);
    assert.equal(h.record(h.currentEpoch(), 1n).units, 0n);
  } finally {
    await h.close();
  }
});

test('genesis export -> import mid-distribution reproduces the app hash, and the imported chain finishes the epoch identically', async () => {
  const p = { ...FLAT, distributionBatch: 10, epochBlocks: 3n, validatorsBps: 1000, sectorShares: [{ sector: 1, bps: 9000 }, { sector: 2, bps: 0 }, { sector: 3, bps: 0 }, { sector: 4, bps: 0 }] };
  const h = await RewardsHarness.open(rewardsGenesis({ ...p, priceMinOracles: 1, priceQuorumBps: 5000 }, fleet(30, { owners: [alice.address, bob.address] })));
  try {
    const o = devKeys[3]!;
    await h.send(o, [msg('RegisterOracle', { oracle: o.address, bond: 100_000_000n })]);
    await h.send(o, [msg('PostPrice', { oracle: o.address, price: 1_000_000n, observedAt: h.chain.time + 5n })]);
    await h.send(alice, [msg('MintCredits', { buyer: alice.address, amount: 1_000n }), msg('SpendCredits', { buyer: alice.address, deviceId: 2n, amount: 500n, eventId: Buffer.from('x') })]);
    for (let d = 1n; d <= 30n; d++) h.driver.verdict({ deviceId: d, sector: 1, valid: true, units: d * UNIT });
    await h.block();
    h.driver.reverse(h.driver.recorded[4]!.proofId, carol.address);
    const e = h.currentEpoch();
    while (h.currentEpoch() === e) await h.block();
    assert.equal(h.summary(e).status, 2, 'mid-distribution');
    const exported = h.chain.app.exportGenesis();
    const json = JSON.parse(JSON.stringify(exported));
    assert.ok(json.rewards.device_epochs.length >= 30 && json.rewards.ledgers.length > 0 && json.rewards.oracles.length === 1);
    // the imported chain continues at the next height, at the same block time
    const g = { ...h.chain.genesis, initial_height: String(h.height + 1n), genesis_time: formatRfc3339({ seconds: h.chain.time, nanos: 0 }), app_state: json };
    const c2 = await TestChain.open(g, { beforeRewards: new ProofDriver().module });
    try {
      await h.block();
      assert.equal(c2.height, h.height);
      assert.deepEqual(diffDumps(h.chain.dump(), c2.dump()), []);
      assert.equal(c2.appHash(), h.chain.appHash());
      // both finish the distribution the same way
      for (let i = 0; i < 5; i++) {
        await h.block();
        await c2.block([]);
      }
      assert.equal(h.summary(e).status, EPOCH_DONE);
      assert.equal(c2.appHash(), h.chain.appHash());
    } finally {
      await c2.close();
    }
  } finally {
    await h.close();
  }
});

test('the invariant checker catches a broken economy (it is not vacuous)', async () => {
  const h = await RewardsHarness.open(rewardsGenesis(FLAT, fleet(2, { owners: [alice.address] })));
  try {
    h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    await h.finishEpoch();
    const k = h.rewards;
    const tamper = (f: (ctx: Context) => void): string[] => {
      const ctx = new Context(new CacheKV(h.chain.app.store), { chainId: '', height: h.height, time: { seconds: h.chain.time, nanos: 0 } }, new GasMeter(Infinity), new EventManager(false), 'finalize');
      f(ctx);
      return checkInvariants(ctx, k);
    };
    assert.deepEqual(tamper(() => {}), []);
    assert.match(tamper((ctx) => h.chain.keepers.bank.mintCoins(ctx, MODULE_NAME, [{ denom: 'udpin', amount: 1n }])).join('\n'), /module account holds/);
    assert.match(tamper((ctx) => h.chain.keepers.bank.setSupply(ctx, 'udpin', h.chain.keepers.bank.supplyOf(ctx, 'udpin') + 1n)).join('\n'), /supply .* != sum of balances/);
    assert.match(tamper((ctx) => {
      const l = k.ledger(ctx, 1n, alice.address);
      k.setLedger(ctx, { ...l, claimed: l.earned + 1n }, 0n);
    }).join('\n'), /claimed .* > earned/);
    assert.match(tamper((ctx) => {
      const s = k.summary(ctx, 1n)!;
      k.setSummary(ctx, { ...s, minted: s.minted + 1n });
    }).join('\n'), /minted .* != scheduled/);
    assert.match(tamper((ctx) => {
      const s = k.summary(ctx, 1n)!;
      k.setSummary(ctx, { ...s, scheduled: s.scheduled + 5n, minted: s.minted + 5n, reemission: 0n });
    }).join('\n'), /sum of epochs minted/);
    assert.match(tamper((ctx) => {
      const s = k.summary(ctx, 1n)!;
      k.setSummary(ctx, { ...s, reemission: s.reemissionCap + 1n, scheduled: s.scheduled - s.reemissionCap - 1n });
    }).join('\n'), /reemission .* > cap/);
  } finally {
    await h.close();
  }
});

test('a reversal takes back what its verdict credited: from the owner credited (not the current one), and only within reversal_window_epochs', async () => {
  const p = { ...FLAT, epochBlocks: 4n, historyEpochs: 6, reversalWindowEpochs: 3 };
  const h = await RewardsHarness.open(rewardsGenesis(p, fleet(2, { owners: [alice.address, bob.address] })));
  try {
    // Device 1 earns once under alice, is transferred to bob, earns once more: two records of one
    // epoch (started at an epoch's first block so all of it fits in the epoch).
    const first = h.currentEpoch();
    while (h.currentEpoch() === first) await h.block();
    const e = h.currentEpoch();
    const a = h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    await h.block();
    assert.equal((await h.send(alice, [transfer(alice, 1n, bob.address)])).code, 0);
    h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: 2n * UNIT });
    await h.block();
    assert.equal(h.currentEpoch(), e);
    const units = (owner: string) => h.rewards.get(h.ctx(), keys.deviceEpoch(e, 1n, owner), R.DeviceEpoch)!;
    assert.deepEqual([units(alice.address).units, units(bob.address).units], [UNIT, 2n * UNIT]);
    h.driver.reverse(a, carol.address);
    await h.block();
    assert.deepEqual([units(alice.address).units, units(alice.address).proofsReversed, units(bob.address).units, units(bob.address).proofsReversed], [0n, 1n, 2n * UNIT, 0n], 'alice was credited, alice loses it');

    // Device 2: a proof reversed exactly reversal_window_epochs later is withheld; one a further
    // epoch later only withholds the device's future rewards.
    const inWindow = h.driver.verdict({ deviceId: 2n, sector: 1, valid: true, units: UNIT });
    await h.block();
    const e2 = h.currentEpoch();
    while (h.currentEpoch() < e2 + 3n) await h.block();
    h.driver.reverse(inWindow, carol.address);
    await h.block();
    assert.equal(h.record(e2, 2n).reversedUnits, UNIT);
    const late = h.driver.verdict({ deviceId: 2n, sector: 1, valid: true, units: UNIT });
    await h.block();
    const e3 = h.currentEpoch();
    while (h.currentEpoch() < e3 + 4n) await h.block();
    const before = h.record(e3, 2n);
    const reversals = h.rewards.deviceState(h.ctx(), 2n).reversals;
    h.driver.reverse(late, carol.address);
    await h.block();
    assert.deepEqual(h.record(e3, 2n), before, 'past the window: the record is untouched');
    assert.equal(h.rewards.deviceState(h.ctx(), 2n).reversals, reversals + 1n);
    assert.ok(h.rewards.deviceState(h.ctx(), 2n).withholdUntilEpoch >= h.currentEpoch());
  } finally {
    await h.close();
  }
});

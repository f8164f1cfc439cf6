// Property tests over random economies in a real App: random params (shares, density, demand
// floor/cap, tiny distribution batches so every epoch is paid over several blocks, short history
// so pruning runs), random fleets and random blocks of verdicts (valid / invalid), reversals with
// penalties, credit mints and spends (device and sector), price moves, claims, transfers and bans.
// After EVERY block the invariant checker runs (supply = sum of balances, module balance = owed +
// in flight, paid + unallocated = minted, emission <= schedule + re-emission cap, no negative
// amount, ...). After the run every finished epoch is recomputed by an independent one-pass
// reference model and must match the chain per device, to the unit. A second property runs one
// scenario with batch 10 and with an unbounded batch: identical payouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { devKeys } from '../../test/helpers/inproc.ts';
import { RewardsHarness, msg } from '../../test/helpers/rewards-harness.ts';
import { rewardsGenesis, fleet } from '../../test/helpers/rewards-fixtures.ts';
import { codec } from '../../chain/codec/proto.ts';
import { UNIT } from '../proofs/hooks.ts';
import { BPS, PPM } from './params.ts';
import { EPOCH_DONE, type DeviceEpoch, type EpochSummary, type Params } from './types.ts';

const owners = [devKeys[0]!, devKeys[1]!, devKeys[2]!];
const oracle = devKeys[3]!;
const authority = devKeys[9]!;
const MsgTransferDevice = codec<any>('depin.devices.v1.MsgTransferDevice');
const MsgBan = codec<any>('depin.devices.v1.MsgBan');
const MsgUnban = codec<any>('depin.devices.v1.MsgUnban');

// ------------------------------------------------------------------ reference model

const clamp = (v: bigint, lo: bigint, hi: bigint) => (v < lo ? lo : v > hi ? hi : v);

/** One finished epoch recomputed in one pass from its inputs; returns gross rewards per record. */
function reference(s: EpochSummary, recs: DeviceEpoch[], p: Params): Map<string, { demand: bigint; sectorDemand: bigint; proof: bigint }> {
  const out = new Map<string, { demand: bigint; sectorDemand: bigint; proof: bigint }>();
  for (const sector of [1, 2, 3, 4]) {
    const bps = BigInt(p.sectorShares.find((x) => x.sector === sector)?.bps ?? 0);
    const pool = (s.minted * bps) / BPS;
    const sp = s.sectors.find((x) => x.sector === sector)!;
    assert.equal(sp.pool, pool, `epoch ${s.epoch} sector ${sector} pool`);
    const mine = recs.filter((r) => r.sector === sector);
    const value = (credits: bigint, basis: bigint) => (s.settlePrice > 0n ? (credits * 1_000_000n) / s.settlePrice : basis);
    const target = (credits: bigint, basis: bigint) => clamp(value(credits, basis), (basis * BigInt(p.demandFloorBps)) / BPS, (basis * BigInt(p.demandCapBps)) / BPS);
    const td = new Map(mine.map((r) => [r, r.demandCredits > 0n ? target(r.demandCredits, r.demandBasis) : 0n]));
    const tS = target(sp.sectorDemandCredits, sp.sectorDemandBasis);
    let T = tS;
    for (const v of td.values()) T += v;
    assert.equal(sp.demandTarget, T, `epoch ${s.epoch} sector ${sector} demand target`);
    const share = (t: bigint) => (T <= pool ? t : (pool * t) / T);
    const R = pool - (T < pool ? T : pool);
    assert.equal(sp.proofBucket, R, `epoch ${s.epoch} sector ${sector} proof bucket`);
    const cells = new Map<bigint, { n: bigint; U: bigint }>();
    for (const r of mine) {
      if (r.weightedUnits === 0n) continue;
      const c = cells.get(r.densityCell) ?? { n: 0n, U: 0n };
      if (r.counted) c.n += 1n;
      c.U += r.weightedUnits;
      cells.set(r.densityCell, c);
    }
    const W = new Map<bigint, bigint>();
    let sumW = 0n;
    for (const [cell, c] of cells) {
      const density = cell === 0n || c.n <= p.densityTarget ? PPM : (PPM * p.densityTarget) / c.n;
      const w = (c.U * density) / PPM;
      W.set(cell, w);
      sumW += w;
    }
    assert.equal(sp.weightTotal, sumW, `epoch ${s.epoch} sector ${sector} weight total`);
    const sectorDemand = share(tS);
    for (const r of mine) {
      const c = cells.get(r.densityCell);
      const byWeight = (bucket: bigint) => (r.weightedUnits === 0n || !c || sumW === 0n ? 0n : (((bucket * W.get(r.densityCell)!) / sumW) * r.weightedUnits) / c.U);
      out.set(`${r.deviceId}/${r.owner}`, { demand: share(td.get(r)!), sectorDemand: byWeight(sectorDemand), proof: byWeight(R) });
    }
  }
  return out;
}

// ------------------------------------------------------------------ random economies

interface Scenario {
  seed: number;
  devices: number;
  sectors: number[];
  clusters: number;
  epochBlocks: number;
  epochs: number;
  shares: number[]; // validators, oracles, verifiers, treasury, s1..s4 (weights, normalised to 10000)
  densityTarget: number;
  floorBps: number;
  capBps: number;
  emission: bigint;
  halvingEvery: number;
  ops: { kind: number; a: number; b: number; c: number }[];
}

const scenario = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  devices: fc.integer({ min: 1, max: 14 }),
  sectors: fc.subarray([1, 2, 3, 4], { minLength: 1 }),
  clusters: fc.integer({ min: 1, max: 4 }),
  epochBlocks: fc.integer({ min: 2, max: 5 }),
  epochs: fc.integer({ min: 2, max: 5 }),
  shares: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 8, maxLength: 8 }),
  densityTarget: fc.integer({ min: 1, max: 3 }),
  floorBps: fc.integer({ min: 0, max: 10_000 }),
  capBps: fc.integer({ min: 10_000, max: 30_000 }),
  emission: fc.bigInt({ min: 0n, max: 5_000_000_000n }),
  halvingEvery: fc.integer({ min: 0, max: 3 }),
  ops: fc.array(fc.record({ kind: fc.integer({ min: 0, max: 9 }), a: fc.nat(1000), b: fc.nat(1000), c: fc.nat(1_000_000) }), { minLength: 30, maxLength: 150 }),
});

function normalise(weights: number[]): number[] {
  const w = weights.map((x, i) => (i >= 4 ? x + 1 : x)); // sector pools never all zero
  const total = w.reduce((a, b) => a + b, 0);
  const out = w.map((x) => Math.floor((x * 10_000) / total));
  out[4]! += 10_000 - out.reduce((a, b) => a + b, 0);
  return out;
}

function paramsOf(sc: Scenario, batch: number): Partial<Params> {
  const sh = normalise(sc.shares);
  return {
    epochBlocks: BigInt(sc.epochBlocks), initialEpochEmission: sc.emission, tailEpochEmission: sc.emission / 10n,
    decayBps: sc.halvingEvery ? 5000 : 0, decayIntervalEpochs: BigInt(sc.halvingEvery), reemissionCap: sc.emission / 20n, burnSmoothingEpochs: 3,
    // window 3 epochs: a steady emission e fills the window to ~3e, so 1.5e..4e thresholds bite or not
    breakerWindowEpochs: 3, breakerThreshold: (sc.emission * BigInt([15, 25, 40][sc.seed % 3]!)) / 10n + 1n,
    validatorsBps: sh[0]!, oraclesBps: sh[1]!, verifiersBps: sh[2]!, treasuryBps: sh[3]!,
    sectorShares: [1, 2, 3, 4].map((sector, i) => ({ sector, bps: sh[4 + i]! })),
    demandFloorBps: Math.min(sc.floorBps, sc.capBps), demandCapBps: sc.capBps, densityTarget: BigInt(sc.densityTarget),
    trustCooldownBlocks: 3n, seniorityRampBlocks: 20n, downtimeGraceEpochs: 1, fraudWithholdEpochs: 1,
    priceMinOracles: 1, priceQuorumBps: 5000, priceMaxAgeSeconds: 100_000n, oraclePostIntervalBlocks: 1n, oracleJudgeDelayBlocks: 2n,
    minSpendCredits: 1n, distributionBatch: batch, historyEpochs: 3, eventRetentionEpochs: 2, reversalWindowEpochs: 2,
  };
}

const stats = { txOk: 0, txFailed: 0, failures: new Map<string, number>(), oraclesPaid: 0n, claimed: 0n, withheld: 0n, clawedBack: 0n, demandPaid: 0n, clipped: 0n, reemitted: 0n, reversalsOpen: 0, reversalsClosed: 0 };

async function run(sc: Scenario, batch: number, check: boolean): Promise<RewardsHarness> {
  const devices = fleet(sc.devices, { seed: sc.seed, clusters: sc.clusters, owners: owners.map((o) => o.address), sectors: sc.sectors, located: 0.85 });
  const h = await RewardsHarness.open(rewardsGenesis(paramsOf(sc, batch), devices), { check, invariants: { scheduleUnchanged: true } });
  await h.send(oracle, [msg('RegisterOracle', { oracle: oracle.address, bond: 100_000_000n })]);
  await h.send(oracle, [msg('PostPrice', { oracle: oracle.address, price: 1_000_000n, observedAt: h.chain.time + 5n })]);
  const blocks = sc.epochs * sc.epochBlocks;
  const perBlock = Math.max(1, Math.ceil(sc.ops.length / blocks));
  let event = 0;
  let i = 0;
  for (let b = 0; b < blocks; b++) {
    const txs: Uint8Array[] = [];
    const signers = new Set<string>();
    for (const op of sc.ops.slice(i, i + perBlock)) {
      const dev = BigInt(1 + (op.a % sc.devices));
      const owner = owners[op.b % owners.length]!;
      const sector = h.chain.keepers.devices.sector(h.ctx(), dev)!;
      switch (op.kind) {
        case 0: case 1: case 2: // verdicts (mostly valid)
          h.driver.verdict({ deviceId: dev, sector, valid: op.kind !== 2, reason: 1 + (op.b % 5), units: BigInt(1 + (op.c % 5)) * UNIT + BigInt(op.c) });
          break;
        case 3: { // reversal of a recorded valid proof, with a penalty sometimes
          const valid = h.driver.recorded.filter((o) => o.valid);
          if (valid.length) h.driver.reverse(valid[op.c % valid.length]!.proofId, owner.address, op.b % 2 ? BigInt(op.b) * 1000n : 0n);
          break;
        }
        case 4: case 5: { // buy credits and spend them on a device or a sector
          if (signers.has(owner.address)) break;
          signers.add(owner.address);
          const credits = h.rewards.credits(h.ctx(), owner.address).balance;
          const spend = op.kind === 4 ? { deviceId: dev } : { sector: 1 + (op.b % 4) };
          const msgs = [msg('MintCredits', { buyer: owner.address, amount: BigInt(1 + op.c) })];
          if (credits > 0n) msgs.push(msg('SpendCredits', { buyer: owner.address, ...spend, amount: 1n + (credits * BigInt(op.a)) / 1000n > credits ? credits : 1n + (credits * BigInt(op.a)) / 1000n, eventId: Buffer.from(`ev${event++}`) }));
          txs.push(h.chain.tx(owner, msgs, { fee: 5000n, gas: 2_000_000n }));
          break;
        }
        case 6: { // the price moves
          if (signers.has(oracle.address)) break;
          signers.add(oracle.address);
          txs.push(h.chain.tx(oracle, [msg('PostPrice', { oracle: oracle.address, price: BigInt(200_000 + op.c * 3), observedAt: h.chain.time + 5n })]));
          break;
        }
        case 7: { // claim all
          if (signers.has(owner.address)) break;
          signers.add(owner.address);
          txs.push(h.chain.tx(owner, [msg('Claim', { owner: owner.address, deviceIds: [] })]));
          break;
        }
        case 8: { // transfer the device to another owner
          const cur = h.chain.keepers.devices.owner(h.ctx(), dev)!;
          const from = owners.find((o) => o.address === cur)!;
          const to = owners[(owners.indexOf(from) + 1 + (op.b % 2)) % owners.length]!;
          if (signers.has(from.address)) break;
          signers.add(from.address);
          txs.push(h.chain.tx(from, [{ typeUrl: MsgTransferDevice.typeUrl, value: MsgTransferDevice.encode({ owner: from.address, deviceId: dev.toString(), newOwner: to.address }) }]));
          break;
        }
        case 9: { // ban for a few blocks, or unban
          if (signers.has(authority.address)) break;
          signers.add(authority.address);
          const m = op.b % 3 === 0
            ? { typeUrl: MsgUnban.typeUrl, value: MsgUnban.encode({ authority: authority.address, targetType: 1, targetId: dev.toString() }) }
            : { typeUrl: MsgBan.typeUrl, value: MsgBan.encode({ authority: authority.address, targetType: 1, targetId: dev.toString(), reasonCode: 5, evidenceHash: new Uint8Array(32).fill(7), durationBlocks: String(1 + (op.c % 6)) }) };
          txs.push(h.chain.tx(authority, [m]));
          break;
        }
      }
    }
    i += perBlock;
    for (const r of await h.block(txs)) {
      if (r.code === 0) stats.txOk++;
      else {
        stats.txFailed++;
        const k = `${r.codespace}:${r.code}`;
        stats.failures.set(k, (stats.failures.get(k) ?? 0) + 1);
      }
    }
  }
  // let every closed epoch finish paying out
  await h.finishEpoch();
  const st = h.state();
  stats.claimed += st.totalClaimed;
  stats.clawedBack += st.totalClawedBack;
  for (let e = 1n; e < st.currentEpoch; e++) {
    const s = h.summary(e);
    stats.withheld += s.withheld;
    stats.clipped += s.breakerClipped;
    stats.reemitted += s.reemission;
    stats.oraclesPaid += s.oracles;
    for (const sp of s.sectors) stats.demandPaid += sp.demandPaid;
  }
  return h;
}

test('random economies: invariants after every block, and every finished epoch matches the reference model to the unit', async () => {
  let epochsChecked = 0;
  let recordsChecked = 0;
  let blocks = 0;
  await fc.assert(
    fc.asyncProperty(scenario, async (sc) => {
      const h = await run(sc, 10, true);
      try {
        blocks += h.blocksChecked;
        const p = h.rewards.params(h.ctx());
        const st = h.state();
        for (let e = 1n; e < st.currentEpoch; e++) {
          const s = h.summary(e);
          assert.equal(s.status, EPOCH_DONE);
          assert.equal(s.paid + s.unallocated, s.minted);
          if (e + BigInt(p.historyEpochs) < st.currentEpoch) continue; // records pruned
          const recs: DeviceEpoch[] = [];
          for (let d = 1n; d <= BigInt(sc.devices); d++) recs.push(...h.records(e, d));
          const ref = reference(s, recs, p);
          for (const r of recs) {
            const x = ref.get(`${r.deviceId}/${r.owner}`)!;
            assert.deepEqual([r.demandReward, r.sectorDemandReward, r.proofReward], [x.demand, x.sectorDemand, x.proof], `epoch ${e} device ${r.deviceId} (${r.owner})`);
            recordsChecked++;
          }
          epochsChecked++;
        }
      } finally {
        await h.close();
      }
    }),
    { numRuns: 20, seed: 424242 },
  );
  assert.ok(epochsChecked > 20 && recordsChecked > 50, `too little checked: ${epochsChecked} epochs, ${recordsChecked} records`);
  console.log(`# checked invariants after ${blocks} blocks; ${epochsChecked} epochs and ${recordsChecked} device records against the reference model`);
  console.log(`# txs ok ${stats.txOk}, failed ${stats.txFailed} ${JSON.stringify([...stats.failures])}; claimed ${stats.claimed}, withheld ${stats.withheld}, clawed back ${stats.clawedBack}, demand paid ${stats.demandPaid}, oracles paid ${stats.oraclesPaid}, breaker clipped ${stats.clipped}, re-emitted ${stats.reemitted}`);
  // the random economies must actually exercise the paths they claim to
  for (const [k, v] of Object.entries({ oraclesPaid: stats.oraclesPaid, claimed: stats.claimed, withheld: stats.withheld, clawedBack: stats.clawedBack, demandPaid: stats.demandPaid, clipped: stats.clipped, reemitted: stats.reemitted })) {
    assert.ok(v > 0n, `no run exercised ${k}`);
  }
  assert.ok(stats.txOk > stats.txFailed * 3, 'most random txs must succeed');
});

test('chunking does not change the result: batch 10 and an unbounded batch pay every device the same', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (sc) => {
      const a = await run({ ...sc, devices: 14 }, 10, false);
      const b = await run({ ...sc, devices: 14 }, 1_000_000, false);
      try {
        const last = a.state().currentEpoch;
        assert.equal(b.state().currentEpoch, last);
        for (let e = 1n; e < last; e++) {
          const [sa, sb] = [a.summary(e), b.summary(e)];
          for (const f of ['minted', 'paid', 'unallocated', 'withheld'] as const) assert.equal(sa[f], sb[f], `epoch ${e} ${f}`);
          for (let d = 1n; d <= 14n; d++) assert.deepEqual(a.records(e, d).map((r) => r.earned), b.records(e, d).map((r) => r.earned), `epoch ${e} device ${d}`);
        }
        for (let d = 1n; d <= 14n; d++) for (const o of owners) assert.equal(a.ledger(d, o.address).earned, b.ledger(d, o.address).earned);
      } finally {
        await a.close();
        await b.close();
      }
    }),
    { numRuns: 4, seed: 777 },
  );
});

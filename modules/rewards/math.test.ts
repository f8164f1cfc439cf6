// The reward formulas as pure functions (fast-check): shares and pro-rata never pay more than
// they split and lose less than one unit per recipient; demand targets stay within [floor, cap]
// of the payer's burn; the breaker never lets the window exceed its threshold; the schedule only
// decays, never below its tail; the price aggregate refuses stale / no-quorum / outlier prices and
// cannot be moved by splitting a bond; the record codec writes encodeCanonical's exact bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCanonical } from '../../chain/codec/proto-json.ts';
import {
  breaker, creditValue, decayStep, demandShare, demandTarget, densityPpm, deviceProofReward, proRata, scheduledEmission, seniorityPpm,
  splitEmission, trustPpm, weighted,
} from './math.ts';
import { aggregatePrice, weightedMedian } from './oracle.ts';
import { DEFAULT_PARAMS, validateParams } from './params.ts';
import { R, ORACLE_ACTIVE, type Oracle, type Params, type PricePost } from './types.ts';

const amount = fc.bigInt({ min: 0n, max: 10n ** 18n });

test('splitEmission: shares + dust = E exactly; dust < number of shares', () => {
  fc.assert(fc.property(amount, fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 8, maxLength: 8 }), (E, w) => {
    const total = w.reduce((a, b) => a + b, 0) || 1;
    const bps = w.map((x) => Math.floor((x * 10_000) / total));
    bps[0]! += 10_000 - bps.reduce((a, b) => a + b, 0);
    const p: Params = { ...DEFAULT_PARAMS, validatorsBps: bps[0]!, oraclesBps: bps[1]!, verifiersBps: bps[2]!, treasuryBps: bps[3]!, sectorShares: [1, 2, 3, 4].map((sector, i) => ({ sector, bps: bps[4 + i]! })) };
    validateParams(p);
    const s = splitEmission(E, p);
    const sum = s.validators + s.oracles + s.verifiers + s.treasury + [...s.sectors.values()].reduce((a, b) => a + b, 0n);
    assert.equal(sum + s.dust, E);
    assert.ok(s.dust >= 0n && s.dust < 8n);
  }));
});

test('proRata and the two-level cell/device split: never more than the bucket, less than one unit lost per recipient', () => {
  fc.assert(fc.property(amount, fc.array(fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 6, maxLength: 6 }), (R, cells, dens) => {
    const U = cells.map((c) => c.reduce((a, b) => a + b, 0n));
    const W = U.map((u, i) => (u * BigInt(dens[i]!)) / 1_000_000n);
    const totalW = W.reduce((a, b) => a + b, 0n);
    let paid = 0n;
    let recipients = 0n;
    cells.forEach((c, i) => c.forEach((u) => {
      paid += deviceProofReward(R, W[i]!, totalW, u, U[i]!);
      recipients++;
    }));
    assert.ok(paid <= R);
    if (totalW > 0n) assert.ok(R - paid <= recipients + BigInt(cells.length), `lost ${R - paid}`);
    else assert.equal(paid, 0n);
    const flat = proRata(R, U);
    const s = flat.reduce((a, b) => a + b, 0n);
    assert.ok(s <= R && (U.every((u) => u === 0n) || R - s < BigInt(U.length)));
  }));
});

test('demand: target within [floor, cap] x the payer\'s burn; shares of a pool never exceed it', () => {
  fc.assert(fc.property(amount, fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 10_000, max: 100_000 }), (credits, basis, price, floor, cap) => {
    const t = demandTarget(creditValue(credits, price, basis), basis, floor, cap);
    assert.ok(t * 10_000n >= basis * BigInt(floor) - 10_000n && t * 10_000n <= basis * BigInt(cap));
  }));
  fc.assert(fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 15n }), { minLength: 1, maxLength: 10 }), amount, (targets, pool) => {
    const T = targets.reduce((a, b) => a + b, 0n);
    const paid = targets.reduce((a, t) => a + demandShare(t, T, pool), 0n);
    assert.ok(paid <= pool && paid <= T);
    if (T <= pool) assert.equal(paid, T);
  }));
  // without a price, credits are worth what was burned for them
  assert.equal(creditValue(123n, 0n, 77n), 77n);
});

test('breaker: the decayed window never exceeds the threshold; allowed <= wanted', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 1, max: 3 })), { maxLength: 40 }), fc.integer({ min: 1, max: 10 }), fc.bigInt({ min: 0n, max: 10n ** 13n }), (wants, window, threshold) => {
    let v = 0n;
    let last = 0n;
    let e = 1n;
    for (const [want, step] of wants) {
      e += BigInt(step);
      const r = breaker(v, last, e, window, threshold, want);
      assert.ok(r.allowed <= want && r.allowed >= 0n);
      assert.ok(r.value <= (threshold > v ? threshold : v), `window ${r.value} over threshold ${threshold}`);
      v = r.value;
      last = e;
    }
  }));
});

test('schedule: non-increasing, never below the tail, exact halvings', () => {
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.integer({ min: 0, max: 10_000 }), fc.bigInt({ min: 0n, max: 10n ** 9n }), (initial, decay, tail0) => {
    const tail = tail0 > initial ? initial : tail0;
    let e = initial;
    for (let i = 0; i < 50; i++) {
      const n = decayStep(e, { decayBps: decay, tailEpochEmission: tail });
      assert.ok(n <= e || n === tail);
      assert.ok(n >= tail);
      e = n;
    }
  }));
  const p: Params = { ...DEFAULT_PARAMS, initialEpochEmission: 1000n, decayBps: 5000, decayIntervalEpochs: 10n, tailEpochEmission: 100n };
  assert.deepEqual([1n, 10n, 11n, 20n, 21n, 31n, 41n, 1000n].map((e) => scheduledEmission(p, 1n, e)), [1000n, 1000n, 500n, 500n, 250n, 125n, 100n, 100n]);
});

test('multipliers: density clips crowded cells only; trust and seniority follow their params', () => {
  assert.equal(densityPpm(0n, 100n, 2n), 1_000_000n);
  assert.equal(densityPpm(5n, 2n, 2n), 1_000_000n);
  assert.equal(densityPpm(5n, 3n, 2n), 666_666n);
  assert.equal(densityPpm(5n, 8n, 2n), 250_000n);
  const p: Params = { ...DEFAULT_PARAMS, unlocatedTrustPpm: 100_000n, relocationTrustPpm: 250_000n, trustCooldownBlocks: 10n, seniorityBasePpm: 500_000n, seniorityMaxPpm: 1_500_000n, seniorityRampBlocks: 100n };
  assert.equal(trustPpm(p, false, 0n, 0n, 5n), 1_000_000n);
  assert.equal(trustPpm(p, true, 0n, 0n, 5n), 100_000n);
  assert.equal(trustPpm(p, true, 7n, 50n, 59n), 250_000n);
  assert.equal(trustPpm(p, true, 7n, 50n, 60n), 1_000_000n);
  assert.equal(seniorityPpm(p, 100n, 100n), 500_000n);
  assert.equal(seniorityPpm(p, 100n, 150n), 1_000_000n);
  assert.equal(seniorityPpm(p, 100n, 10_000n), 1_500_000n);
  assert.equal(weighted(3_000_000n, 250_000n, 1_500_000n), 1_125_000n);
});

// ------------------------------------------------------------------ price

const oracleSet = (bonds: bigint[]) => new Map<string, Oracle>(bonds.map((bond, i) => [`o${i}`, { ...emptyOracle(), address: `o${i}`, bond, status: ORACLE_ACTIVE }]));
function emptyOracle(): Oracle {
  return { address: '', bond: 0n, status: 0, unbondHeight: 0n, registeredHeight: 0n, posts: 0n, outliers: 0n, slashed: 0n, lastPostHeight: 0n };
}
const P: Params = { ...DEFAULT_PARAMS, priceMinOracles: 3, priceQuorumBps: 6667, priceMaxAgeSeconds: 600n, priceOutlierBps: 1000, priceSpreadWeightBps: 5000 };

test('price: no posts, stale, no quorum (count or bond), outliers excluded; conservative low/high around the median', () => {
  const os = oracleSet([100n, 100n, 100n, 100n]);
  const post = (i: number, price: bigint, at = 1000n): PricePost => ({ oracle: `o${i}`, price, observedAt: at, height: 1n });
  assert.equal(aggregatePrice([], os, 1000n, P).error, 'no_posts');
  assert.equal(aggregatePrice([post(0, 5n, 0n), post(1, 5n, 0n), post(2, 5n, 0n)], os, 1000n, P).error, 'stale');
  assert.equal(aggregatePrice([post(0, 5n), post(1, 5n)], os, 1000n, P).error, 'no_quorum');
  const a = aggregatePrice([post(0, 1000n), post(1, 1010n), post(2, 990n), post(3, 5000n)], os, 1000n, P);
  assert.deepEqual([a.ok, a.median, a.low, a.high, a.outliers], [true, 1000n, 990n, 1010n, ['o3']]);
  // three of four fresh, but the outlier leaves only 2 -> no quorum
  assert.equal(aggregatePrice([post(0, 1000n), post(1, 1010n), post(3, 5000n)], os, 1000n, P).error, 'no_quorum');
  // by bond: 3 posts holding less than 2/3 of the bond
  const heavy = oracleSet([100n, 100n, 100n, 1000n]);
  assert.equal(aggregatePrice([post(0, 1000n), post(1, 1000n), post(2, 1000n)], heavy, 1000n, P).error, 'no_quorum');
});

test('price: splitting a bond into many oracles does not move the bond-weighted median', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 10n ** 6n })), { minLength: 1, maxLength: 12 }), fc.integer({ min: 2, max: 10 }), (xs, k) => {
    const base = xs.map(([price, weight], i) => ({ oracle: `o${String(i).padStart(3, '0')}`, price, weight }));
    const m = weightedMedian(base);
    // split the first oracle's weight into k equal parts (weight multiplied by k everywhere so parts stay integral)
    const scaled = base.map((x) => ({ ...x, weight: x.weight * BigInt(k) }));
    const split = [...scaled.slice(1), ...Array.from({ length: k }, (_, j) => ({ oracle: `s${j}`, price: base[0]!.price, weight: base[0]!.weight }))];
    assert.equal(weightedMedian(split), m);
  }));
});

test('record codec: the compiled encoder writes exactly encodeCanonical\'s bytes and round-trips', () => {
  fc.assert(fc.property(fc.record({
    epoch: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), deviceId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), owner: fc.constantFrom('', 'depin15yk64u7zc9g9k2yr2wmzeva5qgwxps6ygahgn9'),
    units: amount, earned: amount, counted: fc.boolean(), paid: fc.boolean(), sector: fc.integer({ min: 0, max: 4 }), withheldReason: fc.constantFrom('', 'banned,debt'),
    reasons: fc.array(fc.record({ reason: fc.integer({ min: 0, max: 50 }), count: fc.bigInt({ min: 0n, max: 1000n }) }), { maxLength: 3 }),
  }), (v) => {
    const rec = { ...R.DeviceEpoch.decode(new Uint8Array()), ...v, reasons: v.reasons.map((r) => ({ ...r })) };
    const bytes = R.DeviceEpoch.encode(rec);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(encodeCanonical(R.DeviceEpoch.type, rec as never)));
    assert.deepEqual(R.DeviceEpoch.decode(bytes), rec);
  }));
});

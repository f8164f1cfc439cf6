// The reward formulas as pure integer functions (bigint, floor rounding). The keeper and the
// distribution call these and nothing else computes an amount, so the property tests in
// math.test.ts cover every number the chain pays. README "Formulas" states each one.
import type { Params } from './types.ts';
import { BPS, PPM } from './params.ts';

export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

// ------------------------------------------------------------------ emission schedule

/** One decay step: e' = max(tail, floor(e x (10000 - decay_bps) / 10000)). */
export function decayStep(e: bigint, p: Pick<Params, 'decayBps' | 'tailEpochEmission'>): bigint {
  return max(p.tailEpochEmission, (e * (BPS - BigInt(p.decayBps))) / BPS);
}

/** n decay steps from e (stops early at the fixed point: the tail, or decay 0). */
export function advance(p: Pick<Params, 'decayBps' | 'tailEpochEmission'>, e: bigint, n: bigint): bigint {
  for (let i = 0n; i < n; i++) {
    const next = decayStep(e, p);
    if (next === e) break;
    e = next;
  }
  return e;
}

/** schedule value for the given period index k (k decay steps from the initial emission). */
export function scheduleAtPeriod(p: Pick<Params, 'initialEpochEmission' | 'decayBps' | 'tailEpochEmission'>, k: bigint): bigint {
  return advance(p, p.initialEpochEmission, k);
}

/** Period index of an epoch counted from the schedule's anchor epoch. */
export function periodOf(p: Pick<Params, 'decayIntervalEpochs' | 'decayBps'>, epochsSinceAnchor: bigint): bigint {
  if (p.decayBps === 0 || p.decayIntervalEpochs === 0n) return 0n;
  return epochsSinceAnchor / p.decayIntervalEpochs;
}

/** schedule(t): the scheduled emission of epoch `epoch` for a schedule anchored at `anchor`. */
export function scheduledEmission(p: Params, anchor: bigint, epoch: bigint): bigint {
  return scheduleAtPeriod(p, periodOf(p, epoch - anchor));
}

// ------------------------------------------------------------------ re-emission and breaker

/** floor(sum of the last `window` epochs' credit burns / window). */
export function smoothedBurn(burns: readonly bigint[], window: number): bigint {
  let s = 0n;
  for (const b of burns) s += b;
  return s / BigInt(window);
}

export const reemission = (smoothed: bigint, cap: bigint): bigint => min(smoothed, cap);

/**
 * Windowed mint circuit breaker with linear decay (Helium circuit-breaker window): the window's
 * total decays linearly to zero over `window` epochs; a mint may only bring the decayed total up
 * to `threshold`. Returns the allowed mint and the new window value.
 */
export function breaker(value: bigint, lastEpoch: bigint, epoch: bigint, window: number, threshold: bigint, want: bigint): { allowed: bigint; value: bigint } {
  const w = BigInt(window);
  const elapsed = epoch - lastEpoch;
  const decayed = elapsed >= w ? 0n : (value * (w - elapsed)) / w;
  const room = threshold > decayed ? threshold - decayed : 0n;
  const allowed = min(want, room);
  return { allowed, value: decayed + allowed };
}

// ------------------------------------------------------------------ shares

export interface Split {
  validators: bigint;
  oracles: bigint;
  verifiers: bigint;
  treasury: bigint;
  sectors: Map<number, bigint>;
  dust: bigint;
}

/** Each share = floor(E x bps / 10000); the rounding remainder is dust (unallocated). */
export function splitEmission(E: bigint, p: Params): Split {
  const part = (bps: number) => (E * BigInt(bps)) / BPS;
  const s: Split = { validators: part(p.validatorsBps), oracles: part(p.oraclesBps), verifiers: part(p.verifiersBps), treasury: part(p.treasuryBps), sectors: new Map(), dust: 0n };
  let used = s.validators + s.oracles + s.verifiers + s.treasury;
  for (const sh of p.sectorShares) {
    const v = part(sh.bps);
    s.sectors.set(sh.sector, v);
    used += v;
  }
  s.dust = E - used;
  return s;
}

/** floor(total x w / W) for every weight, with W = sum(w); 0 everywhere when W = 0. */
export function proRata(total: bigint, weights: readonly bigint[]): bigint[] {
  let W = 0n;
  for (const w of weights) W += w;
  if (W === 0n) return weights.map(() => 0n);
  return weights.map((w) => (total * w) / W);
}

// ------------------------------------------------------------------ demand bucket

/** udpin value of credits at a price in micro-USD per DPIN (udc per 1e6 udpin); without a price
 * the credits are valued at what the payer burned for them. */
export function creditValue(credits: bigint, price: bigint, basis: bigint): bigint {
  return price > 0n ? (credits * 1_000_000n) / price : basis;
}

/** A device's demand target: its credits' value, clamped to [floor x basis, cap x basis] where
 * basis is the udpin its payers burned (HIP-10: paying yourself cannot return more than cap x burn). */
export function demandTarget(value: bigint, basis: bigint, floorBps: number, capBps: number): bigint {
  const lo = (basis * BigInt(floorBps)) / BPS;
  const hi = (basis * BigInt(capBps)) / BPS;
  return min(max(value, lo), hi);
}

/** One target's share when the targets (total T) compete for a pool: all of it when T <= pool,
 * else floor(pool x target / T). */
export function demandShare(target: bigint, totalTarget: bigint, pool: bigint): bigint {
  if (totalTarget <= pool) return target;
  return totalTarget === 0n ? 0n : (pool * target) / totalTarget;
}

// ------------------------------------------------------------------ multipliers (ppm)

/** HIP-17-style density scaling: 1.0 up to `target` devices in the cell, target/n beyond. Cell 0
 * (no location scaling) is always 1.0. */
export function densityPpm(cell: bigint, devices: bigint, target: bigint): bigint {
  if (cell === 0n || devices <= target) return PPM;
  return (PPM * target) / devices;
}

/** Location trust: 1.0 for sectors that do not depend on location; unlocated devices get
 * unlocated_trust; a device whose location changed less than trust_cooldown_blocks ago gets
 * relocation_trust (WeatherXM zeroes proof-of-location for 7 days after a move). */
export function trustPpm(p: Params, locationSector: boolean, cell: bigint, locationHeight: bigint, height: bigint): bigint {
  if (!locationSector) return PPM;
  if (cell === 0n) return p.unlocatedTrustPpm;
  if (height < locationHeight + p.trustCooldownBlocks) return p.relocationTrustPpm;
  return PPM;
}

/** Seniority: base + (max - base) x min(age, ramp) / ramp, age in blocks since `start`. */
export function seniorityPpm(p: Params, start: bigint, height: bigint): bigint {
  const age = height > start ? height - start : 0n;
  if (p.seniorityRampBlocks === 0n) return p.seniorityMaxPpm;
  return p.seniorityBasePpm + ((p.seniorityMaxPpm - p.seniorityBasePpm) * min(age, p.seniorityRampBlocks)) / p.seniorityRampBlocks;
}

/** Weighted units of one proof: floor(floor(units x trust / 1e6) x seniority / 1e6). */
export function weighted(units: bigint, trust: bigint, seniority: bigint): bigint {
  return (((units * trust) / PPM) * seniority) / PPM;
}

/** A cell's weight in its sector's proof bucket: floor(weighted units x density / 1e6). */
export const cellWeight = (weightedUnits: bigint, density: bigint): bigint => (weightedUnits * density) / PPM;

/**
 * A device's proof-bucket reward: two-level floor pro-rata. The bucket R goes to cells by weight
 * (A_c = floor(R x W_c / sum W)), then a cell's allotment to its devices by weighted units
 * (floor(A_c x u_d / U_c)).
 */
export function deviceProofReward(R: bigint, cellW: bigint, totalW: bigint, deviceU: bigint, cellU: bigint): bigint {
  if (totalW === 0n || cellU === 0n) return 0n;
  const allot = (R * cellW) / totalW;
  return (allot * deviceU) / cellU;
}

/** Part of `amount` attributable to `part` of `whole` weighted units (floor), capped at amount. */
export function portion(amount: bigint, part: bigint, whole: bigint): bigint {
  if (whole === 0n) return 0n;
  return (amount * min(part, whole)) / whole;
}

/** ppm ratio a/b, 0 when b = 0. */
export const ratioPpm = (a: bigint, b: bigint): bigint => (b === 0n ? 0n : (a * PPM) / b);

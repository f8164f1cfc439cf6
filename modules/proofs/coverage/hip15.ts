// Coverage reward units (Helium HIP-15 lineage, iot_verifier runner.rs: WITNESS_REDUNDANCY = 4,
// decay 0.8, cap 2) in exact integer fixed point: 0.8^k = 4^k / 5^k as a bigint fraction, results
// rounded down to UNIT = 1,000,000 per unit.
//   beaconer: n/4 if n <= 4, else min(2, 2 − 0.8^(n−4))
//   witness:  1   if n <= 4, else min(2, (4 − (1 − 0.8^(n−4))) / n)
// where n is the number of selected (rewarded) witnesses of the beacon.
import { UNIT } from '../hooks.ts';

const REDUNDANCY = 4n;

export function beaconerUnits(n: number): bigint {
  const w = BigInt(n);
  if (w <= REDUNDANCY) return (w * UNIT) / REDUNDANCY;
  const k = w - REDUNDANCY;
  const num = 4n ** k;
  const den = 5n ** k;
  // 2 − 0.8^k < 2 for every k >= 1, so the cap never binds; kept explicit for the formula's sake.
  const v = (2n * UNIT * den - UNIT * num) / den;
  return v < 2n * UNIT ? v : 2n * UNIT;
}

export function witnessUnits(n: number): bigint {
  const w = BigInt(n);
  if (w <= 0n) return 0n;
  if (w <= REDUNDANCY) return UNIT;
  const k = w - REDUNDANCY;
  const num = 4n ** k;
  const den = 5n ** k;
  // (4 − (1 − 4^k/5^k)) / n = (3·5^k + 4^k) / (5^k · n)
  const v = (UNIT * (3n * den + num)) / (den * w);
  return v < 2n * UNIT ? v : 2n * UNIT;
}

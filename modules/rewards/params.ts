// Rewards parameters: production-style defaults, the development chain's (short epochs, one
// oracle is a quorum), and the checks every params value must pass (genesis and MsgUpdateParams).
import { fromBech32 } from '../../chain/crypto/address.ts';
import { ErrInvalidField } from './errors.ts';
import type { Params } from './types.ts';
import { SECTOR } from '../proofs/hooks.ts';

export const BPS = 10_000n;
export const PPM = 1_000_000n;

/**
 * Defaults sized for a chain with ~6 s blocks: daily epochs (14,400 blocks), emission halving
 * every 2 years (730 epochs, HIP-20), a 7-epoch smoothing of burns (HIP-20) with a re-emission cap
 * of 10% of the initial emission, a 7-epoch circuit breaker with 20% headroom over the maximum
 * steady emission, "data eats first" with the payer's burn as both anchor and cap (1x, HIP-10) and
 * a 0.5x floor (HIP-149), HIP-17-style density (target 2 devices per res-8 cell), a 7-day
 * relocation trust cool-down at 0.25 (WeatherXM zeroes PoL for 7 days), seniority ramping 0.9 ->
 * 1.1 over 90 days, a 3-epoch downtime grace (Filecoin FIP-0008 lesson), 10-minute price age
 * (Helium data credits), oracle quorum of 3 holding 2/3 of the bond.
 */
export const DEFAULT_PARAMS: Params = {
  authority: '',
  epochBlocks: 14_400n,
  initialEpochEmission: 100_000_000_000n, // 100,000 DPIN per daily epoch
  decayIntervalEpochs: 730n,
  decayBps: 5000,
  tailEpochEmission: 1_000_000_000n,
  reemissionCap: 10_000_000_000n,
  burnSmoothingEpochs: 7,
  breakerWindowEpochs: 7,
  breakerThreshold: 924_000_000_000n, // 7 x (100,000 + 10,000) DPIN x 1.2
  validatorsBps: 1000,
  oraclesBps: 300,
  verifiersBps: 400,
  treasuryBps: 1000,
  sectorShares: [
    { sector: SECTOR.coverage, bps: 2400 },
    { sector: SECTOR.storage, bps: 2000 },
    { sector: SECTOR.compute, bps: 2000 },
    { sector: SECTOR.sensor, bps: 900 },
  ],
  demandFloorBps: 5000,
  demandCapBps: 10000,
  locationSectors: [SECTOR.coverage, SECTOR.sensor],
  densityResolution: 8,
  densityTarget: 2n,
  unlocatedTrustPpm: 0n,
  relocationTrustPpm: 250_000n,
  trustCooldownBlocks: 100_800n,
  seniorityBasePpm: 900_000n,
  seniorityMaxPpm: 1_100_000n,
  seniorityRampBlocks: 1_296_000n,
  downtimeGraceEpochs: 3,
  fraudWithholdEpochs: 7,
  minSpendCredits: 10n,
  eventRetentionEpochs: 30,
  oracleMinBond: 1_000_000_000n,
  maxOracles: 32,
  priceMinOracles: 3,
  priceQuorumBps: 6667,
  priceMaxAgeSeconds: 600n,
  priceMaxFutureSeconds: 30n,
  priceOutlierBps: 1000,
  priceSpreadWeightBps: 5000,
  oracleSlashDeviationBps: 5000,
  oracleSlashBps: 1000,
  oraclePostIntervalBlocks: 10n,
  oracleUnbondingBlocks: 201_600n,
  distributionBatch: 500,
  historyEpochs: 30,
  oracleJudgeDelayBlocks: 50n,
  reversalWindowEpochs: 7,
};

/**
 * The development chain (1 s blocks): 30-block epochs, 1,000 DPIN per epoch halving every 2,880
 * epochs (a day), one bonded oracle is a quorum (min 1 oracle, 100 DPIN bond), prices valid for
 * 10 minutes, 60-block trust cool-down, 300-block seniority ramp, short penalties.
 */
export function devParams(authority: string): Params {
  return {
    ...DEFAULT_PARAMS,
    authority,
    epochBlocks: 30n,
    initialEpochEmission: 1_000_000_000n,
    decayIntervalEpochs: 2880n,
    tailEpochEmission: 10_000_000n,
    reemissionCap: 100_000_000n,
    breakerThreshold: 9_240_000_000n,
    trustCooldownBlocks: 60n,
    seniorityRampBlocks: 300n,
    fraudWithholdEpochs: 2,
    oracleMinBond: 100_000_000n,
    priceMinOracles: 1,
    priceQuorumBps: 5000,
    oraclePostIntervalBlocks: 2n,
    oracleUnbondingBlocks: 100n,
    oracleJudgeDelayBlocks: 10n,
    distributionBatch: 500,
    historyEpochs: 100,
    eventRetentionEpochs: 100,
    reversalWindowEpochs: 20,
  };
}

const maxU32 = 0xffffffff;

/** Every rule a params value must satisfy; the first failure is thrown (code: invalid field). */
export function validateParams(p: Params): void {
  const bad = (m: string): never => {
    throw ErrInvalidField.wrap(`params: ${m}`);
  };
  if (p.authority) {
    try {
      fromBech32(p.authority);
    } catch (e) {
      bad(`authority: ${(e as Error).message}`);
    }
  }
  if (p.epochBlocks < 1n) bad('epoch_blocks must be >= 1');
  if (p.decayBps < 0 || p.decayBps > 10_000) bad('decay_bps must be within 0..10000');
  if (p.decayBps > 0 && p.decayIntervalEpochs < 1n) bad('decay_interval_epochs must be >= 1 when decay_bps > 0');
  if (p.tailEpochEmission > p.initialEpochEmission) bad('tail_epoch_emission must not exceed initial_epoch_emission');
  if (p.burnSmoothingEpochs < 1 || p.burnSmoothingEpochs > 1000) bad('burn_smoothing_epochs must be within 1..1000');
  if (p.breakerWindowEpochs < 1) bad('breaker_window_epochs must be >= 1');
  const shares = [p.validatorsBps, p.oraclesBps, p.verifiersBps, p.treasuryBps, ...p.sectorShares.map((s) => s.bps)];
  if (shares.some((s) => s < 0 || s > 10_000)) bad('every share must be within 0..10000 bps');
  if (shares.reduce((a, b) => a + b, 0) !== 10_000) bad(`shares must sum to 10000 bps, got ${shares.reduce((a, b) => a + b, 0)}`);
  const seen = new Set<number>();
  for (const s of p.sectorShares) {
    if (s.sector < 1 || s.sector > 4) bad(`sector_shares: unknown sector ${s.sector}`);
    if (seen.has(s.sector)) bad(`sector_shares: sector ${s.sector} listed twice`);
    seen.add(s.sector);
  }
  for (const s of p.locationSectors) if (s < 1 || s > 4) bad(`location_sectors: unknown sector ${s}`);
  if (p.demandFloorBps > p.demandCapBps) bad('demand_floor_bps must not exceed demand_cap_bps');
  if (p.demandCapBps > 100_000) bad('demand_cap_bps must be <= 100000 (10x)');
  if (p.densityResolution < 0 || p.densityResolution > 12) bad('density_resolution must be within 0..12');
  if (p.densityTarget < 1n) bad('density_target must be >= 1');
  for (const [name, v] of [['unlocated_trust_ppm', p.unlocatedTrustPpm], ['relocation_trust_ppm', p.relocationTrustPpm]] as const) {
    if (v > PPM) bad(`${name} must be <= 1000000`);
  }
  if (p.seniorityBasePpm > p.seniorityMaxPpm) bad('seniority_base_ppm must not exceed seniority_max_ppm');
  if (p.seniorityMaxPpm > 10n * PPM) bad('seniority_max_ppm must be <= 10000000');
  if (p.minSpendCredits < 1n) bad('min_spend_credits must be >= 1');
  if (p.eventRetentionEpochs < 1) bad('event_retention_epochs must be >= 1');
  if (p.oracleMinBond < 1n) bad('oracle_min_bond must be >= 1');
  if (p.maxOracles < 1 || p.maxOracles > 256) bad('max_oracles must be within 1..256');
  if (p.priceMinOracles < 1 || p.priceMinOracles > p.maxOracles) bad('price_min_oracles must be within 1..max_oracles');
  if (p.priceQuorumBps < 1 || p.priceQuorumBps > 10_000) bad('price_quorum_bps must be within 1..10000');
  if (p.priceMaxAgeSeconds < 1n) bad('price_max_age_seconds must be >= 1');
  if (p.priceOutlierBps < 1 || p.priceOutlierBps > 10_000) bad('price_outlier_bps must be within 1..10000');
  if (p.priceSpreadWeightBps > 10_000) bad('price_spread_weight_bps must be <= 10000');
  if (p.oracleSlashDeviationBps < p.priceOutlierBps) bad('oracle_slash_deviation_bps must be >= price_outlier_bps');
  if (p.oracleSlashBps > 10_000) bad('oracle_slash_bps must be <= 10000');
  if (p.distributionBatch < 10 || p.distributionBatch > maxU32) bad('distribution_batch must be >= 10');
  if (p.historyEpochs < 2) bad('history_epochs must be >= 2');
  if (p.reversalWindowEpochs < 1 || p.reversalWindowEpochs > p.historyEpochs) bad('reversal_window_epochs must be within 1..history_epochs');
  if (p.oraclePostIntervalBlocks < 1n) bad('oracle_post_interval_blocks must be >= 1');
  if (p.oracleUnbondingBlocks <= p.oracleJudgeDelayBlocks) bad('oracle_unbonding_blocks must exceed oracle_judge_delay_blocks (a post stays slashable until judged)');
}

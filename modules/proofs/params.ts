// Parameters of the proofs module: defaults modelled on the anchors (depin-anchors.md §2) at 5 s
// blocks, a fast development set, conversion from the protobuf form and validation.
import { u64 } from '../../chain/codec/proto.ts';
import { fromBech32 } from '../../chain/crypto/address.ts';
import type { ProtoCoin } from '../../chain/coins.ts';
import { ErrInvalidField } from './errors.ts';

export const DENOM = 'udpin';

export interface Region {
  id: number;
  name: string;
  minFrequencyKhz: number;
  maxFrequencyKhz: number;
  maxEirpDbm10: number;
}

export interface HardwareClassLimit {
  hardwareClass: string;
  difficultyBits: number;
  maxReadings: bigint;
}

export interface Params {
  authority: string;
  windowBlocks: bigint;
  seedDelayBlocks: bigint;
  seedLifetimeWindows: bigint;
  maxEnvelopesPerMsg: number;
  recordRetentionWindows: bigint;
  locationRingLimit: number;
  witnessWindowBlocks: bigint;
  reciprocityBlocks: bigint;
  maxWitnesses: number;
  minWitnessGridDistance: number;
  maxWitnessGridDistance: number;
  frequencyToleranceKhz: number;
  maxAntennaGainDbi10: number;
  regions: Region[];
  provingPeriodBlocks: bigint;
  challengeWindowBlocks: bigint;
  challengeFinalityBlocks: bigint;
  challengesPerProof: number;
  faultGracePeriods: number;
  faultSlashBps: number;
  maxConsecutiveFaults: number;
  maxPieces: number;
  unitsPerChallenge: bigint;
  minProviderBond: ProtoCoin | null;
  minVerifierBond: ProtoCoin | null;
  unbondingBlocks: bigint;
  classes: HardwareClassLimit[];
  defaultDifficultyBits: number;
  availabilityUnits: bigint;
  receiptUnits: bigint;
  spotCheckBps: number;
  commitBlocks: bigint;
  revealBlocks: bigint;
  checkFee: ProtoCoin | null;
  checkUnits: bigint;
  disputeCommitteeSize: number;
  disputeQuorum: number;
  disputeBlocks: bigint;
  disputeSlashBps: number;
  winnerShareBps: number;
  verifierShareBps: number;
  verifierSlashBps: number;
  defaultMaxReadings: bigint;
  sensorBatchUnits: bigint;
  eventDedupeWindows: bigint;
  minChallengeBond: ProtoCoin | null;
  challengePeriodBlocks: bigint;
  arbitrationBlocks: bigint;
  fraudBanBlocks: bigint;
  fraudPenaltyUnits: bigint;
  fraudSlashBps: number;
  challengerShareBps: number;
  challengeReward: ProtoCoin | null;
}

const UNIT = 1_000_000n;
const udpin = (n: bigint): ProtoCoin => ({ denom: DENOM, amount: n.toString() });

/** LoRaWAN regional plans (frequency ranges in kHz, max EIRP in dBm x 10), per LoRa Alliance RP002. */
export const DEFAULT_REGIONS: Region[] = [
  { id: 1, name: 'EU868', minFrequencyKhz: 863_000, maxFrequencyKhz: 870_000, maxEirpDbm10: 160 },
  { id: 2, name: 'US915', minFrequencyKhz: 902_000, maxFrequencyKhz: 928_000, maxEirpDbm10: 300 },
  { id: 3, name: 'AS923', minFrequencyKhz: 915_000, maxFrequencyKhz: 928_000, maxEirpDbm10: 160 },
  { id: 4, name: 'AU915', minFrequencyKhz: 915_000, maxFrequencyKhz: 928_000, maxEirpDbm10: 300 },
  { id: 5, name: 'CN470', minFrequencyKhz: 470_000, maxFrequencyKhz: 510_000, maxEirpDbm10: 191 },
  { id: 6, name: 'EU433', minFrequencyKhz: 433_050, maxFrequencyKhz: 434_790, maxEirpDbm10: 121 },
  { id: 7, name: 'IN865', minFrequencyKhz: 865_000, maxFrequencyKhz: 867_000, maxEirpDbm10: 300 },
  { id: 8, name: 'KR920', minFrequencyKhz: 920_900, maxFrequencyKhz: 923_300, maxEirpDbm10: 140 },
];

/** Production-style defaults at 5 s blocks (README "Parameters" gives the anchor for each). */
export const DEFAULT_PARAMS: Params = {
  authority: '',
  windowBlocks: 720n, // 1 h
  seedDelayBlocks: 12n, // 1 min: seed(w) comes from the app hash 12 blocks before the window
  seedLifetimeWindows: 1n, // proofs for window w are accepted until the end of window w + 1
  maxEnvelopesPerMsg: 100,
  recordRetentionWindows: 24n * 30n, // 30 days of records
  locationRingLimit: 10, // res-12 rings (~10 x 19 m)
  witnessWindowBlocks: 12n, // witnesses for a beacon within 1 min of it
  reciprocityBlocks: 34_560n, // 48 h (HIP-106)
  maxWitnesses: 14, // Helium max_witnesses_per_poc
  minWitnessGridDistance: 8, // res-11 parents >= 8 cells apart (Helium oracles)
  maxWitnessGridDistance: 2_200, // about 100 km at res 11 (HIP-58)
  frequencyToleranceKhz: 100,
  maxAntennaGainDbi10: 150,
  regions: DEFAULT_REGIONS,
  provingPeriodBlocks: 17_280n, // 1 day (SimplePDPService: 2,880 epochs of 30 s)
  challengeWindowBlocks: 360n, // 30 min (PDP: 60 epochs)
  challengeFinalityBlocks: 24n,
  challengesPerProof: 5, // PDP
  faultGracePeriods: 1,
  faultSlashBps: 100,
  maxConsecutiveFaults: 42, // WindowPoSt terminates sectors after 42 days faulty
  maxPieces: 64,
  unitsPerChallenge: UNIT / 5n,
  minProviderBond: udpin(1_000n * UNIT),
  minVerifierBond: udpin(1_000n * UNIT),
  unbondingBlocks: 17_280n * 7n,
  classes: [
    { hardwareClass: 'gpu', difficultyBits: 24, maxReadings: 0n },
    { hardwareClass: 'weather-station', difficultyBits: 0, maxReadings: 3_600n },
  ],
  defaultDifficultyBits: 20,
  availabilityUnits: UNIT,
  receiptUnits: UNIT,
  spotCheckBps: 1_000, // 10 % of jobs run twice
  commitBlocks: 720n,
  revealBlocks: 360n,
  checkFee: udpin(100_000n),
  checkUnits: UNIT,
  disputeCommitteeSize: 3,
  disputeQuorum: 2,
  disputeBlocks: 2_880n,
  disputeSlashBps: 1_000,
  winnerShareBps: 5_000,
  verifierShareBps: 2_000,
  verifierSlashBps: 500,
  defaultMaxReadings: 720n,
  sensorBatchUnits: UNIT,
  eventDedupeWindows: 24n * 7n,
  minChallengeBond: udpin(10n * UNIT),
  challengePeriodBlocks: 17_280n, // 1 day (Filecoin disputes WindowPoSt within 15 h)
  arbitrationBlocks: 17_280n,
  fraudBanBlocks: 17_280n * 30n,
  fraudPenaltyUnits: 10n * UNIT,
  fraudSlashBps: 1_000,
  challengerShareBps: 5_000,
  challengeReward: udpin(5n * UNIT),
};

/** The development chain: short windows so a laptop sees every path within a minute. */
export function devParams(authority: string): Params {
  return {
    ...DEFAULT_PARAMS,
    authority,
    windowBlocks: 20n,
    seedDelayBlocks: 2n,
    recordRetentionWindows: 500n,
    witnessWindowBlocks: 5n,
    reciprocityBlocks: 2_000n,
    provingPeriodBlocks: 40n,
    challengeWindowBlocks: 15n,
    challengeFinalityBlocks: 3n,
    challengesPerProof: 3,
    minProviderBond: udpin(100n * UNIT),
    minVerifierBond: udpin(100n * UNIT),
    unbondingBlocks: 50n,
    defaultDifficultyBits: 8,
    classes: [
      { hardwareClass: 'gpu', difficultyBits: 10, maxReadings: 0n },
      { hardwareClass: 'weather-station', difficultyBits: 0, maxReadings: 3_600n },
    ],
    commitBlocks: 10n,
    revealBlocks: 10n,
    disputeBlocks: 20n,
    challengePeriodBlocks: 500n,
    arbitrationBlocks: 50n,
    fraudBanBlocks: 1_000n,
  };
}

type Raw = Record<string, any>;
const coin = (x: Raw | null | undefined): ProtoCoin | null => (x ? { denom: x.denom ?? '', amount: x.amount || '0' } : null);

export function paramsFrom(m: Raw): Params {
  const n = (v: unknown) => (v as number) ?? 0;
  return {
    authority: m.authority ?? '',
    windowBlocks: u64(m.windowBlocks),
    seedDelayBlocks: u64(m.seedDelayBlocks),
    seedLifetimeWindows: u64(m.seedLifetimeWindows),
    maxEnvelopesPerMsg: n(m.maxEnvelopesPerMsg),
    recordRetentionWindows: u64(m.recordRetentionWindows),
    locationRingLimit: n(m.locationRingLimit),
    witnessWindowBlocks: u64(m.witnessWindowBlocks),
    reciprocityBlocks: u64(m.reciprocityBlocks),
    maxWitnesses: n(m.maxWitnesses),
    minWitnessGridDistance: n(m.minWitnessGridDistance),
    maxWitnessGridDistance: n(m.maxWitnessGridDistance),
    frequencyToleranceKhz: n(m.frequencyToleranceKhz),
    maxAntennaGainDbi10: n(m.maxAntennaGainDbi10),
    regions: (m.regions ?? []).map((r: Raw) => ({ id: n(r.id), name: r.name ?? '', minFrequencyKhz: n(r.minFrequencyKhz), maxFrequencyKhz: n(r.maxFrequencyKhz), maxEirpDbm10: n(r.maxEirpDbm10) })),
    provingPeriodBlocks: u64(m.provingPeriodBlocks),
    challengeWindowBlocks: u64(m.challengeWindowBlocks),
    challengeFinalityBlocks: u64(m.challengeFinalityBlocks),
    challengesPerProof: n(m.challengesPerProof),
    faultGracePeriods: n(m.faultGracePeriods),
    faultSlashBps: n(m.faultSlashBps),
    maxConsecutiveFaults: n(m.maxConsecutiveFaults),
    maxPieces: n(m.maxPieces),
    unitsPerChallenge: u64(m.unitsPerChallenge),
    minProviderBond: coin(m.minProviderBond),
    minVerifierBond: coin(m.minVerifierBond),
    unbondingBlocks: u64(m.unbondingBlocks),
    classes: (m.classes ?? []).map((x: Raw) => ({ hardwareClass: x.hardwareClass ?? '', difficultyBits: n(x.difficultyBits), maxReadings: u64(x.maxReadings) })),
    defaultDifficultyBits: n(m.defaultDifficultyBits),
    availabilityUnits: u64(m.availabilityUnits),
    receiptUnits: u64(m.receiptUnits),
    spotCheckBps: n(m.spotCheckBps),
    commitBlocks: u64(m.commitBlocks),
    revealBlocks: u64(m.revealBlocks),
    checkFee: coin(m.checkFee),
    checkUnits: u64(m.checkUnits),
    disputeCommitteeSize: n(m.disputeCommitteeSize),
    disputeQuorum: n(m.disputeQuorum),
    disputeBlocks: u64(m.disputeBlocks),
    disputeSlashBps: n(m.disputeSlashBps),
    winnerShareBps: n(m.winnerShareBps),
    verifierShareBps: n(m.verifierShareBps),
    verifierSlashBps: n(m.verifierSlashBps),
    defaultMaxReadings: u64(m.defaultMaxReadings),
    sensorBatchUnits: u64(m.sensorBatchUnits),
    eventDedupeWindows: u64(m.eventDedupeWindows),
    minChallengeBond: coin(m.minChallengeBond),
    challengePeriodBlocks: u64(m.challengePeriodBlocks),
    arbitrationBlocks: u64(m.arbitrationBlocks),
    fraudBanBlocks: u64(m.fraudBanBlocks),
    fraudPenaltyUnits: u64(m.fraudPenaltyUnits),
    fraudSlashBps: n(m.fraudSlashBps),
    challengerShareBps: n(m.challengerShareBps),
    challengeReward: coin(m.challengeReward),
  };
}

/** udpin amount of a coin parameter (absent = 0). */
export function coinAmount(c: ProtoCoin | null | undefined): bigint {
  if (!c) return 0n;
  if (c.denom !== DENOM) throw ErrInvalidField.wrap(`amounts are in ${DENOM}, got ${c.denom}`);
  if (!/^[0-9]{1,30}$/.test(c.amount)) throw ErrInvalidField.wrap(`invalid amount ${JSON.stringify(c.amount)}`);
  return BigInt(c.amount);
}

/** Every parameter within its range; the relations the protocol relies on (README "Parameters"). */
export function validateParams(p: Params): void {
  const bad = (m: string) => ErrInvalidField.wrap(`params: ${m}`);
  if (p.authority) {
    try {
      fromBech32(p.authority);
    } catch (err) {
      throw bad(`authority: ${(err as Error).message}`);
    }
  }
  if (p.windowBlocks < 2n) throw bad('window_blocks must be >= 2');
  // The seed of window w+2 must not exist while w is current (compute spot checks rely on it),
  // and every window needs a seed strictly before it starts: 1 <= L < W.
  if (p.seedDelayBlocks < 1n || p.seedDelayBlocks >= p.windowBlocks) throw bad('seed_delay_blocks must be in [1, window_blocks)');
  if (p.seedLifetimeWindows < 1n || p.seedLifetimeWindows > 16n) throw bad('seed_lifetime_windows must be in [1, 16]');
  if (p.maxEnvelopesPerMsg < 1 || p.maxEnvelopesPerMsg > 1_000) throw bad('max_envelopes_per_msg must be in [1, 1000]');
  if (p.recordRetentionWindows !== 0n && p.recordRetentionWindows * p.windowBlocks <= p.challengePeriodBlocks + p.arbitrationBlocks) throw bad('records must outlive the challenge period and arbitration (record_retention_windows x window_blocks)');
  if (p.locationRingLimit > 1_000) throw bad('location_ring_limit must be <= 1000');
  if (p.eventDedupeWindows < 1n) throw bad('event_dedupe_windows must be >= 1');
  if (p.witnessWindowBlocks < 1n) throw bad('witness_window_blocks must be >= 1');
  if (p.maxWitnesses < 1 || p.maxWitnesses > 100) throw bad('max_witnesses must be in [1, 100]');
  if (p.minWitnessGridDistance < 1 || p.maxWitnessGridDistance < p.minWitnessGridDistance) throw bad('need 1 <= min_witness_grid_distance <= max_witness_grid_distance');
  const ids = new Set<number>();
  for (const r of p.regions) {
    if (r.id < 1 || ids.has(r.id)) throw bad(`region ids must be unique and >= 1 (${r.id})`);
    ids.add(r.id);
    if (r.minFrequencyKhz < 400_000 || r.maxFrequencyKhz < r.minFrequencyKhz || r.maxFrequencyKhz > 6_000_000) throw bad(`region ${r.id}: frequencies must be within 400 MHz - 6 GHz (the FSPL table's bands)`);
  }
  if (p.provingPeriodBlocks <= p.challengeWindowBlocks + p.challengeFinalityBlocks) throw bad('proving_period_blocks must exceed challenge_window_blocks + challenge_finality_blocks');
  if (p.challengeWindowBlocks < 1n || p.challengeFinalityBlocks < 1n) throw bad('challenge_window_blocks and challenge_finality_blocks must be >= 1');
  if (p.challengesPerProof < 1 || p.challengesPerProof > 64) throw bad('challenges_per_proof must be in [1, 64]');
  if (p.maxPieces < 1 || p.maxPieces > 1_024) throw bad('max_pieces must be in [1, 1024]');
  if (p.maxConsecutiveFaults < 1) throw bad('max_consecutive_faults must be >= 1');
  for (const [k, v] of Object.entries({ faultSlashBps: p.faultSlashBps, spotCheckBps: p.spotCheckBps, disputeSlashBps: p.disputeSlashBps, verifierSlashBps: p.verifierSlashBps, fraudSlashBps: p.fraudSlashBps, challengerShareBps: p.challengerShareBps })) {
    if (v < 0 || v > 10_000) throw bad(`${k} must be in [0, 10000]`);
  }
  if (p.winnerShareBps + p.verifierShareBps > 10_000) throw bad('winner_share_bps + verifier_share_bps must be <= 10000');
  for (const c of [p.minProviderBond, p.minVerifierBond, p.checkFee, p.minChallengeBond, p.challengeReward]) coinAmount(c);
  if (coinAmount(p.minChallengeBond) < 1n) throw bad('min_challenge_bond must be positive');
  if (p.defaultDifficultyBits > 64) throw bad('default_difficulty_bits must be <= 64');
  const classes = new Set<string>();
  for (const c of p.classes) {
    if (!c.hardwareClass || classes.has(c.hardwareClass)) throw bad('hardware classes must be unique and named');
    classes.add(c.hardwareClass);
    if (c.difficultyBits > 64) throw bad('difficulty_bits must be <= 64');
  }
  if (p.disputeCommitteeSize < 1 || p.disputeQuorum < 1 || p.disputeQuorum > p.disputeCommitteeSize) throw bad('need 1 <= dispute_quorum <= dispute_committee_size');
  if (p.disputeQuorum * 2 <= p.disputeCommitteeSize) throw bad('dispute_quorum must be a majority of the committee');
  if (p.commitBlocks < 1n || p.revealBlocks < 1n || p.disputeBlocks < 1n || p.arbitrationBlocks < 1n) throw bad('commit, reveal, dispute and arbitration periods must be >= 1 block');
}

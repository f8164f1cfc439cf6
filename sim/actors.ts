// The actors of a simulated DePIN network and the catalogue of frauds they may commit. Each fraud
// kind names how the chain is expected to catch it; the simulator only ever counts a catch when the
// chain's own record says so (a refused transaction's error code, a recorded verdict's reason code,
// a reversed proof, a ban, a slash, a capped demand reward, a tombstone).
import type { DeviceKey } from '../sdk/device-key.ts';
import type { Piece } from '../sdk/proofs.ts';
import type { ValidatorKey } from '../node/validator-key.ts';
import type { SimAccount } from './chain.ts';
import type { Place } from './geo.ts';
import type { SectorName } from './config.ts';

export type FraudKind =
  | 'fake_device'
  | 'spoofed_location'
  | 'witness_ring'
  | 'replayed_proof'
  | 'forged_proof'
  | 'storage_dropper'
  | 'lazy_compute'
  | 'self_dealing_buyer'
  | 'equivocating_validator';

export interface FraudInfo {
  title: string;
  /** What one attempt is. */
  unit: string;
  /** How the chain catches it (what the simulator reads back). */
  caughtBy: string;
  /** Why some attempts escape, when the protocol cannot catch every one. */
  limits?: string;
}

export const FRAUDS: Record<FraudKind, FraudInfo> = {
  fake_device: {
    title: 'Fake devices',
    unit: 'registration',
    caughtBy: 'MsgRegisterDevice refused: devices 2 unknown manufacturer, 3 manufacturer revoked, 5 attestation invalid, 6 device signature invalid, 7 key already registered',
  },
  spoofed_location: {
    title: 'Spoofed locations',
    unit: 'proof',
    caughtBy: 'recorded verdicts 2 location_mismatch (sensor cell beyond the ring limit), 115/116 witness too far, 117 RSSI stronger than free-space loss allows; location-conflict fraud challenges (evidence kind 2) reverse and ban; later envelopes refused (proofs 9 banned)',
    limits: 'a spoofer that keeps every signed report consistent with its asserted location passes all deterministic checks; it is caught only when a watcher obtains an envelope it signed with its true cell (location-conflict challenge)',
  },
  witness_ring: {
    title: 'Witness rings',
    unit: 'witness report',
    caughtBy: 'cap of max_witnesses per beacon (120 not selected), reciprocity (119 for members that never beacon), 117 for rings reporting the strong RSSI of co-located radios, arbitrated fraud challenges (evidence kind 3, upheld by the authority) that reverse and ban; later envelopes refused (proofs 9)',
    limits: 'a ring whose members assert plausible separate locations and tune RSSI under the free-space bound passes the deterministic checks; only the cap limits it until an arbitrated challenge bans it (Helium retired PoC for this reason)',
  },
  replayed_proof: {
    title: 'Replayed / duplicated proofs',
    unit: 'envelope',
    caughtBy: 'tx errors proofs 12 stale sequence (replay), 17 duplicate proof (second claim for a slot; the first is then reversed by an equivocation challenge, evidence kind 1), 15 seed expired (old window); recorded 402 sensor_duplicate_event (copied readings)',
  },
  forged_proof: {
    title: 'Forged proofs',
    unit: 'envelope',
    caughtBy: 'tx errors proofs 11 invalid signature, 10 payload hash, 3 wrong chain id, 16 seed mismatch, 14 seed not available (future window)',
  },
  storage_dropper: {
    title: 'Storage providers dropping data',
    unit: 'proving period',
    caughtBy: 'recorded verdicts 205 pdp_missed_period (end block) or 204 pdp_root_mismatch; after fault_grace_periods consecutive faults the provider bond is slashed',
    limits: 'a provider that dropped part of its data passes a period when none of the challenges_per_proof challenged leaves is missing: P(caught per period) = 1 - (1 - dropped share)^challenges',
  },
  lazy_compute: {
    title: 'Lazy compute',
    unit: 'puzzle answer or job',
    caughtBy: 'recorded verdict 300 puzzle_wrong; spot checks: a mismatched redundant output opens a dispute, the verifier committee votes the true output, 321 check_dispute_lost and the provider bond is slashed',
    limits: 'a random nonce meets an 8-bit puzzle once in 256 tries; a lazy job is caught only if its seeded spot check selects it (spot_check_bps)',
  },
  self_dealing_buyer: {
    title: 'Self-dealing buyers',
    unit: 'credit spend',
    caughtBy: 'neutralised, not detected: the demand reward for credits spent on a device is capped at demand_cap_bps x the udpin its buyer burned (DeviceEpoch demand target), so spending on your own devices cannot pay back more than it burned',
    limits: 'the chain cannot tell a self-dealer from a customer; with demand_cap_bps above 10000 it would be profitable',
  },
  equivocating_validator: {
    title: 'Equivocating validators',
    unit: 'double sign',
    caughtBy: 'duplicate-vote evidence (two conflicting signed votes, verified by node/consensus/evidence.ts) handed to FinalizeBlock as misbehavior: slashed slash_fraction_double_sign, jailed, tombstoned',
  },
};

export type Behaviour =
  | { kind: 'honest' }
  | { kind: 'spoofed_location'; variant: 'witness_rssi' | 'witness_far' | 'sensor_cell' | 'stealth' }
  | { kind: 'witness_ring'; variant: 'tuned' | 'naive' | 'freeloader'; ring: number }
  | { kind: 'replayed_proof'; variant: 'replay' | 'duplicate_slot' | 'expired_window' | 'copied_batch' }
  | { kind: 'forged_proof'; variant: 'forged_signature' | 'tampered_payload' | 'wrong_chain' | 'guessed_seed' | 'future_window' }
  | { kind: 'storage_dropper'; variant: 'full' | 'partial' | 'garbage' }
  | { kind: 'lazy_compute'; variant: 'puzzle' | 'job' };

export interface SimManufacturer {
  id: string;
  operator: SimAccount;
  secp: DeviceKey;
  p256: DeviceKey;
  models: Record<SectorName, string>;
  /** Added then revoked by the authority in setup (its attestations are refused afterwards). */
  revoked: boolean;
}

export interface Owner {
  index: number;
  account: SimAccount;
  /** False for cheaters' accounts and self-dealing buyers. */
  honest: boolean;
  devices: SimDevice[];
  /** Last registration nonce used. */
  nonce: bigint;
  /** Self-dealing buyer: buys credits and spends them on its own devices. */
  selfDealer: boolean;
}

export interface StorageState {
  pieces: Piece[];
  dataSetId: bigint;
  period: bigint;
  challengeHeight: bigint;
  deadline: bigint;
  /** Global leaf indexes the provider no longer has (droppers), from dropHeight on. */
  dropped: Set<bigint>;
  dropHeight: bigint;
  totalLeaves: bigint;
  /** Period already answered or given up. */
  handledPeriod: bigint;
}

export interface JobState {
  jobId: bigint;
  tenant: Buyer;
  specHash: Uint8Array;
  pricePerUnit: bigint;
}

export interface SimDevice {
  index: number;
  sector: SectorName;
  sectorId: number;
  key: DeviceKey;
  owner: Owner;
  mfr: SimManufacturer;
  model: string;
  hardwareClass: string;
  serial: string;
  behaviour: Behaviour;
  /** Does honest work for an honest owner: counted in "honest devices" (penalties must be zero). */
  honest: boolean;
  /** Asserted location (what the chain knows). */
  place: Place;
  /** Where the device physically is (differs for location spoofers and rings). */
  truePlace: Place;
  id: bigint;
  located: boolean;
  /** Last envelope sequence number used. */
  seq: bigint;
  gateway: number;
  /** Offset inside a window at which it submits its window proofs. */
  slot: number;
  // coverage
  neighbours: SimDevice[];
  beaconed: boolean;
  witnessedInWindow: Map<bigint, number>;
  // storage
  storage?: StorageState;
  // compute
  provider: boolean;
  job?: JobState;
  /** Banned by the chain (learned from ban events). */
  banned: boolean;
}

export interface Buyer {
  index: number;
  account: SimAccount;
  /** Secp256k1 key that signs compute receipts (MsgCreateJob tenant_key). */
  tenantKey: Uint8Array;
  tenantPub: Uint8Array;
  selfDealer: boolean;
  /** A self-dealer is also this owner. */
  owner?: Owner;
}

export interface SimValidator {
  index: number;
  key: ValidatorKey;
  operator: SimAccount;
  power: bigint;
  equivocates: boolean;
}

/** Attempt outcomes the simulator predicts from its own model, checked against the chain. */
export type Expectation = 'caught' | 'escape' | 'chance';

export interface Attempt {
  id: number;
  kind: FraudKind;
  variant: string;
  height: bigint;
  actor: string;
  expect: Expectation;
  /** Why the model expects it (e.g. "leaf 12 of the challenged set is missing"). */
  why?: string;
  outcome?: { status: 'caught' | 'escaped' | 'pending'; how: string };
}

// Store layout of the proofs module (prefix "proofs/"); README "State" documents each table.
// Queue keys start with a big-endian height or window so end block pops them with one range scan.
import { storeKey } from '../../chain/codec/bytes.ts';
import { fromBech32 } from '../../chain/crypto/address.ts';

export const STORE_PREFIX = new TextEncoder().encode('proofs/');

export const K = {
  params: 0x00,
  nextProofId: 0x01,
  record: 0x02,
  byDevice: 0x03,
  deviceState: 0x04,
  slot: 0x05,
  appHash: 0x06,
  beaconByPayload: 0x07,
  witnessCandidate: 0x08,
  beaconFinalize: 0x09,
  providerBond: 0x0a,
  providerIndex: 0x0b,
  verifier: 0x0c,
  nextDataSetId: 0x0d,
  dataSet: 0x0e,
  dataSetDeadline: 0x0f,
  nextJobId: 0x10,
  job: 0x11,
  jobCheck: 0x12,
  jobDeadline: 0x13,
  nextDisputeId: 0x14,
  dispute: 0x15,
  disputeDeadline: 0x16,
  nextChallengeId: 0x17,
  challenge: 0x18,
  challengeDeadline: 0x19,
  eventId: 0x1a,
  // 0x1b unused (was the event ids' expiry queue, before event ids were bucketed)
  windowFirstId: 0x1c,
  pruneCursor: 0x1d,
  unbonding: 0x1e,
  fraudFund: 0x1f,
  challengeAt: 0x20,
  // Block-local: written by this block's txs, folded and deleted by its end block, so they never
  // reach the Merkle tree (a key set and deleted within one block leaves the committed state as it
  // was).
  newBeacon: 0x21,
  newCandidate: 0x22,
  candidatesAt: 0x23,
  newDeadline: 0x24,
} as const;

const b = storeKey;
const addr = (a: string) => fromBech32(a);

export const keys = {
  record: (id: bigint) => b(K.record, id),
  byDevicePrefix: (device: bigint) => b(K.byDevice, device),
  byDevice: (device: bigint, id: bigint) => b(K.byDevice, device, id),
  deviceState: (device: bigint) => b(K.deviceState, device),
  slotWindowPrefix: (window: bigint) => b(K.slot, window),
  slot: (window: bigint, device: bigint, kind: number, subject: bigint) => b(K.slot, window, device, Uint8Array.of(kind), subject),
  appHash: (height: bigint) => b(K.appHash, height),
  beaconByPayload: (payload: Uint8Array) => b(K.beaconByPayload, payload),
  witnessCandidatePrefix: (beacon: bigint) => b(K.witnessCandidate, beacon),
  witnessCandidate: (beacon: bigint, witness: bigint) => b(K.witnessCandidate, beacon, witness),
  /** The beacons that finalize at `height`, packed u64 ids (databases written before 2026-11-25
   * also hold `‖ u64(beacon)` keys, one per beacon). */
  beaconFinalize: (height: bigint) => b(K.beaconFinalize, height),
  newBeacon: (finalizeHeight: bigint, beacon: bigint) => b(K.newBeacon, finalizeHeight, beacon),
  newCandidate: (finalizeHeight: bigint, beacon: bigint, witness: bigint) => b(K.newCandidate, finalizeHeight, beacon, witness),
  /** Witness candidates of the beacons that finalize at `height`: packed (u64 beacon, u64 witness). */
  candidatesAt: (height: bigint) => b(K.candidatesAt, height),
  providerBond: (device: bigint) => b(K.providerBond, device),
  providerIndexPrefix: (sector: number) => b(K.providerIndex, Uint8Array.of(sector)),
  providerIndex: (sector: number, device: bigint) => b(K.providerIndex, Uint8Array.of(sector), device),
  verifier: (address: string) => b(K.verifier, addr(address)),
  dataSet: (id: bigint) => b(K.dataSet, id),
  /** Data sets whose proving period ends at `height`, packed u64 ids; an entry is stale (skipped)
   * when its data set has moved on (databases written before 2026-11-25 also hold `‖ u64(id)`). */
  dataSetDeadline: (height: bigint) => b(K.dataSetDeadline, height),
  newDeadline: (height: bigint, id: bigint) => b(K.newDeadline, height, id),
  job: (id: bigint) => b(K.job, id),
  jobCheck: (window: bigint, id: bigint) => b(K.jobCheck, window, id),
  jobDeadline: (height: bigint, id: bigint) => b(K.jobDeadline, height, id),
  dispute: (id: bigint) => b(K.dispute, id),
  disputeDeadline: (height: bigint, id: bigint) => b(K.disputeDeadline, height, id),
  challenge: (id: bigint) => b(K.challenge, id),
  challengeDeadline: (height: bigint, id: bigint) => b(K.challengeDeadline, height, id),
  eventBucket: (bucket: bigint) => b(K.eventId, bucket),
  eventId: (bucket: bigint, id: Uint8Array) => b(K.eventId, bucket, id),
  windowFirstId: (window: bigint) => b(K.windowFirstId, window),
  /** "Some data set is challenged at this height": one key per height, set by every data set
   * scheduled there (databases written before 2026-11-25 also hold `‖ u64(set)` keys under it). */
  challengeAt: (height: bigint) => b(K.challengeAt, height),
  /** kind 1 = provider bond (id = device), 2 = verifier (id = address bytes). */
  unbonding: (height: bigint, kind: number, id: Uint8Array) => b(K.unbonding, height, Uint8Array.of(kind), id),
};

/** Counter keys. */
export const COUNTERS = {
  proof: Uint8Array.of(K.nextProofId),
  dataSet: Uint8Array.of(K.nextDataSetId),
  job: Uint8Array.of(K.nextJobId),
  dispute: Uint8Array.of(K.nextDisputeId),
  challenge: Uint8Array.of(K.nextChallengeId),
};


// Stable reason codes of recorded verdicts (proto enum depin.proofs.v1.ProofReason; a test keeps
// the two identical). 0 = valid. Codes are grouped by sector: 1-99 any, 100s coverage, 200s
// storage, 300s compute, 400s sensor. Never renumber: the indexer, dashboards and the rewards
// module key on the numbers.
export const R = {
  VALID: 0,
  NOT_LOCATED: 1,
  LOCATION_MISMATCH: 2,
  INVALID_CELL: 3,
  BEACON_PAYLOAD_MISMATCH: 100,
  BEACON_BAD_RADIO: 101,
  BEACON_NO_RECENT_WITNESS: 102,
  WITNESS_UNKNOWN_BEACON: 110,
  WITNESS_SELF: 111,
  WITNESS_REGION_MISMATCH: 112,
  WITNESS_FREQUENCY_MISMATCH: 113,
  WITNESS_TOO_CLOSE: 114,
  WITNESS_TOO_FAR: 115,
  WITNESS_DISTANCE_UNDEFINED: 116,
  WITNESS_RSSI_TOO_STRONG: 117,
  WITNESS_LATE: 118,
  WITNESS_NO_RECENT_BEACON: 119,
  WITNESS_NOT_SELECTED: 120,
  WITNESS_BAD_RADIO: 121,
  PDP_NOT_PROVIDER: 200,
  PDP_ANSWER_COUNT: 202,
  PDP_PATH_LENGTH: 203,
  PDP_ROOT_MISMATCH: 204,
  PDP_MISSED_PERIOD: 205,
  PUZZLE_WRONG: 300,
  PUZZLE_NONCE_SIZE: 301,
  JOB_UNKNOWN: 310,
  JOB_NOT_PROVIDER: 311,
  JOB_CLOSED: 312,
  TENANT_SIGNATURE_INVALID: 313,
  ESCROW_EXHAUSTED: 314,
  RECEIPT_UNITS_ZERO: 315,
  CHECK_NO_REVEAL: 320,
  CHECK_DISPUTE_LOST: 321,
  CHECK_DISPUTE_UNRESOLVED: 322,
  SENSOR_NO_READINGS: 400,
  SENSOR_TOO_MANY_READINGS: 401,
  SENSOR_DUPLICATE_EVENT: 402,
  SENSOR_BAD_ROOT: 403,
} as const;

export type ReasonName = keyof typeof R;

const NAMES = new Map<number, string>(Object.entries(R).map(([k, v]) => [v, k.toLowerCase()]));

/** e.g. 115 -> "witness_too_far" (the `reason_name` event attribute). */
export function reasonName(code: number): string {
  return NAMES.get(code) ?? `reason_${code}`;
}

// Proof kinds (proto enum ProofKind) and their stable names (ProofOutcome.kind).
export const KIND = {
  BEACON: 1,
  WITNESS: 2,
  PDP: 3,
  AVAILABILITY: 4,
  RECEIPT: 5,
  SENSOR_BATCH: 6,
  COMPUTE_CHECK: 7,
} as const;

export const KIND_NAMES: Record<number, string> = {
  1: 'coverage/beacon',
  2: 'coverage/witness',
  3: 'storage/pdp',
  4: 'compute/availability',
  5: 'compute/job',
  6: 'sensor/batch',
  7: 'compute/check',
};

/** Sector of each kind (devices numbering: 1 coverage, 2 storage, 3 compute, 4 sensor). */
export const KIND_SECTOR: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 3, 5: 3, 6: 4, 7: 3 };

export const STATUS = { PENDING: 1, FINAL: 2, REVERSED: 3 } as const;

// Protobuf codecs of depin.proofs.v1 and the bigint-typed records the keeper works with. Records
// are written with the canonical encoder (proto3 defaults omitted), so equal state gives equal
// bytes and app hashes.
import { codec, u64, type U64 } from '../../chain/codec/proto.ts';
import { encodeCanonical } from '../../chain/codec/proto-json.ts';
import { ProtoWriter } from '../../chain/codec/proto-writer.ts';
import type { ProtoCoin } from '../../chain/coins.ts';
import type { PageRequest } from '../../chain/pagination.ts';

type Raw = Record<string, any>;
const c = <T = Raw>(name: string) => codec<T>(`depin.proofs.v1.${name}`);

export const EnvelopeHeaderCodec = c<EnvelopeHeaderMsg>('EnvelopeHeader');
export const EnvelopeCodec = c<EnvelopeMsg>('Envelope');
export const BeaconPayloadCodec = c<BeaconPayload>('BeaconPayload');
export const WitnessPayloadCodec = c<WitnessPayload>('WitnessPayload');
export const PdpPayloadCodec = c<PdpPayload>('PdpPayload');
export const AvailabilityPayloadCodec = c<AvailabilityPayload>('AvailabilityPayload');
export const ReceiptPayloadCodec = c<ReceiptPayload>('ReceiptPayload');
export const SensorBatchPayloadCodec = c<SensorBatchPayload>('SensorBatchPayload');
export const ProofRecordCodec = c('ProofRecord');
export const DeviceProofStateCodec = c('DeviceProofState');
export const ProviderBondCodec = c('ProviderBond');
export const VerifierCodec = c('Verifier');
export const DataSetCodec = c('DataSet');
export const JobCodec = c('Job');
export const DisputeCodec = c('Dispute');
export const ChallengeCodec = c('Challenge');
export const ParamsCodec = c('Params');
export const GenesisStateCodec = c('GenesisState');

/** Canonical bytes of a record (proto3 defaults omitted). */
export const encode = (codecOf: { type: import('protobufjs').Type }, value: object): Uint8Array => encodeCanonical(codecOf.type, value as Record<string, unknown>);

// ------------------------------------------------------------------ envelope and payloads

export interface EnvelopeHeaderMsg {
  version: number;
  chainId: string;
  sector: number;
  kind: number;
  deviceId: U64;
  window: U64;
  seed: Uint8Array;
  payloadHash: Uint8Array;
  seq: U64;
}

export interface EnvelopeHeader {
  version: number;
  chainId: string;
  sector: number;
  kind: number;
  deviceId: bigint;
  window: bigint;
  seed: Uint8Array;
  payloadHash: Uint8Array;
  seq: bigint;
}

export function headerFrom(m: Raw): EnvelopeHeader {
  return {
    version: m.version ?? 0,
    chainId: m.chainId ?? '',
    sector: m.sector ?? 0,
    kind: m.kind ?? 0,
    deviceId: u64(m.deviceId),
    window: u64(m.window),
    seed: bytes(m.seed),
    payloadHash: bytes(m.payloadHash),
    seq: u64(m.seq),
  };
}

export interface EnvelopeMsg {
  header: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
}

export interface BeaconPayload {
  localEntropy: Uint8Array;
  region: number;
  frequencyKhz: number;
  dataRate: number;
  txPowerDbm10: number;
  antennaGainDbi10: number;
  payload: Uint8Array;
  cell: U64;
}

export interface WitnessPayload {
  beaconPayload: Uint8Array;
  rssiDbm10: number;
  snrDb10: number;
  frequencyKhz: number;
  region: number;
  antennaGainDbi10: number;
  cell: U64;
}

export interface PdpAnswer {
  leaf: Uint8Array;
  path: Uint8Array[];
}

export interface PdpPayload {
  dataSetId: U64;
  answers: PdpAnswer[];
}

export interface AvailabilityPayload {
  nonce: Uint8Array;
}

export interface ReceiptPayload {
  jobId: U64;
  units: U64;
  outputHash: Uint8Array;
  tenantSignature: Uint8Array;
}

export interface SensorBatchPayload {
  readingCount: U64;
  readingsRoot: Uint8Array;
  cell: U64;
  eventId: Uint8Array;
}

export const EMPTY = new Uint8Array();

/** protobufjs leaves unset bytes fields as its prototype default (not always a Uint8Array). */
export const bytes = (x: unknown): Uint8Array => (x instanceof Uint8Array ? x : Array.isArray(x) && x.length ? Uint8Array.from(x as number[]) : EMPTY);

// ------------------------------------------------------------------ records

export interface Input {
  key: string;
  value: string;
}

export interface ProofRecord {
  id: bigint;
  deviceId: bigint;
  sector: number;
  kind: number;
  window: bigint;
  height: bigint;
  status: number;
  valid: boolean;
  reason: number;
  units: bigint;
  inputs: Input[];
  envelopeHash: Uint8Array;
  seq: bigint;
  submitter: string;
  subject: bigint;
  submittedHeight: bigint;
  challengeId: bigint;
  seed: Uint8Array;
  payloadHash: Uint8Array;
  /** What the rewards module credited for the verdict (ProofHooks): '' / 0n when nothing. */
  creditOwner: string;
  creditWeightedUnits: bigint;
  /** The device's previous proof record (0: none linked). */
  prevByDevice: bigint;
}

export function recordFrom(m: Raw): ProofRecord {
  return {
    id: u64(m.id),
    deviceId: u64(m.deviceId),
    sector: m.sector ?? 0,
    kind: m.kind ?? 0,
    window: u64(m.window),
    height: u64(m.height),
    status: m.status ?? 0,
    valid: !!m.valid,
    reason: m.reason ?? 0,
    units: u64(m.units),
    inputs: (m.inputs ?? []).map((x: Raw) => ({ key: x.key ?? '', value: x.value ?? '' })),
    envelopeHash: bytes(m.envelopeHash),
    seq: u64(m.seq),
    submitter: m.submitter ?? '',
    subject: u64(m.subject),
    submittedHeight: u64(m.submittedHeight),
    challengeId: u64(m.challengeId),
    seed: bytes(m.seed),
    payloadHash: bytes(m.payloadHash),
    creditOwner: m.creditOwner ?? '',
    creditWeightedUnits: u64(m.creditWeightedUnits),
    prevByDevice: u64(m.prevByDevice),
  };
}

export interface KindWindows {
  kind: number;
  lastWindow: bigint;
  mask: bigint;
}

export interface DeviceProofState {
  lastSeq: bigint;
  lastBeaconHeight: bigint;
  lastWitnessHeight: bigint;
  windows: KindWindows[];
  /** The device's newest proof record (0: none linked yet). */
  lastProofId: bigint;
}

export const deviceStateFrom = (m: Raw): DeviceProofState => ({
  lastSeq: u64(m.lastSeq),
  lastBeaconHeight: u64(m.lastBeaconHeight),
  lastWitnessHeight: u64(m.lastWitnessHeight),
  windows: (m.windows ?? []).map((w: Raw) => ({ kind: w.kind ?? 0, lastWindow: u64(w.lastWindow), mask: u64(w.mask) })),
  lastProofId: u64(m.lastProofId),
});

// Hand-written canonical encoders for the records written with every proof: the same bytes as
// encodeCanonical (proto3 defaults omitted, fields in number order; units.test.ts compares them on
// generated records), without protobufjs' generic writer, which was a visible share of per-proof
// CPU (its Long conversions and one native call per string).
const writer = new ProtoWriter();

export function encodeRecord(r: ProofRecord): Uint8Array {
  const w = writer.start();
  w.uint64(1, r.id).uint64(2, r.deviceId).uint32(3, r.sector).enum(4, r.kind).uint64(5, r.window).uint64(6, r.height)
    .enum(7, r.status).bool(8, r.valid).enum(9, r.reason).uint64(10, r.units);
  for (const x of r.inputs) {
    const at = w.begin(11);
    w.string(1, x.key).string(2, x.value).end(at);
  }
  w.bytes(12, r.envelopeHash).uint64(13, r.seq).string(14, r.submitter).uint64(15, r.subject).uint64(16, r.submittedHeight)
    .uint64(17, r.challengeId).bytes(18, r.seed).bytes(19, r.payloadHash).string(20, r.creditOwner).uint64(21, r.creditWeightedUnits)
    .uint64(22, r.prevByDevice);
  return w.finish();
}

export function encodeDeviceState(s: DeviceProofState): Uint8Array {
  const w = writer.start();
  w.uint64(1, s.lastSeq).uint64(2, s.lastBeaconHeight).uint64(3, s.lastWitnessHeight);
  for (const x of s.windows) {
    const at = w.begin(4);
    w.enum(1, x.kind).uint64(2, x.lastWindow).uint64(3, x.mask).end(at);
  }
  w.uint64(5, s.lastProofId);
  return w.finish();
}

const amount = (s: unknown): bigint => (typeof s === 'string' && s !== '' ? BigInt(s) : 0n);

export interface ProviderBond {
  deviceId: bigint;
  owner: string;
  bonded: bigint;
  unbonding: bigint;
  unbondingHeight: bigint;
}

export const bondFrom = (m: Raw): ProviderBond => ({ deviceId: u64(m.deviceId), owner: m.owner ?? '', bonded: amount(m.bonded), unbonding: amount(m.unbonding), unbondingHeight: u64(m.unbondingHeight) });
export const bondTo = (b: ProviderBond) => ({ ...b, bonded: b.bonded.toString(), unbonding: b.unbonding.toString() });

export interface Verifier {
  address: string;
  bonded: bigint;
  unbonding: bigint;
  unbondingHeight: bigint;
}

export const verifierFrom = (m: Raw): Verifier => ({ address: m.address ?? '', bonded: amount(m.bonded), unbonding: amount(m.unbonding), unbondingHeight: u64(m.unbondingHeight) });
export const verifierTo = (v: Verifier) => ({ ...v, bonded: v.bonded.toString(), unbonding: v.unbonding.toString() });

export interface Piece {
  root: Uint8Array;
  leafCount: bigint;
}

export const DS_ACTIVE = 1;
export const DS_DELETED = 2;
export const DS_TERMINATED = 3;

export interface DataSet {
  id: bigint;
  deviceId: bigint;
  owner: string;
  pieces: Piece[];
  totalLeaves: bigint;
  period: bigint;
  challengeHeight: bigint;
  deadlineHeight: bigint;
  provenPeriods: bigint;
  faults: bigint;
  consecutiveFaults: bigint;
  lastProvenHeight: bigint;
  status: number;
  createdHeight: bigint;
}

/** A data set's canonical bytes (rewritten with every storage proof that moves its period). */
export function encodeDataSet(d: DataSet): Uint8Array {
  const w = writer.start();
  w.uint64(1, d.id).uint64(2, d.deviceId).string(3, d.owner);
  for (const p of d.pieces) {
    const at = w.begin(4);
    w.bytes(1, p.root).uint64(2, p.leafCount).end(at);
  }
  w.uint64(5, d.totalLeaves).uint64(6, d.period).uint64(7, d.challengeHeight).uint64(8, d.deadlineHeight).uint64(9, d.provenPeriods)
    .uint64(10, d.faults).uint64(11, d.consecutiveFaults).uint64(12, d.lastProvenHeight).enum(13, d.status).uint64(14, d.createdHeight);
  return w.finish();
}

export function dataSetFrom(m: Raw): DataSet {
  return {
    id: u64(m.id),
    deviceId: u64(m.deviceId),
    owner: m.owner ?? '',
    pieces: (m.pieces ?? []).map((p: Raw) => ({ root: bytes(p.root), leafCount: u64(p.leafCount) })),
    totalLeaves: u64(m.totalLeaves),
    period: u64(m.period),
    challengeHeight: u64(m.challengeHeight),
    deadlineHeight: u64(m.deadlineHeight),
    provenPeriods: u64(m.provenPeriods),
    faults: u64(m.faults),
    consecutiveFaults: u64(m.consecutiveFaults),
    lastProvenHeight: u64(m.lastProvenHeight),
    status: m.status ?? 0,
    createdHeight: u64(m.createdHeight),
  };
}

export const JOB_OPEN = 1;
export const JOB_CLOSED = 2;
export const PHASE = { NONE: 0, COMMIT: 1, REVEAL: 2, DISPUTE: 3, DONE: 4, SKIPPED: 5 } as const;

export interface CheckSide {
  deviceId: bigint;
  commitment: Uint8Array;
  outputHash: Uint8Array;
  revealed: boolean;
}

const side = (m: Raw | null | undefined): CheckSide => ({ deviceId: u64(m?.deviceId), commitment: bytes(m?.commitment), outputHash: bytes(m?.outputHash), revealed: !!m?.revealed });

export interface Job {
  id: bigint;
  tenant: string;
  tenantKey: Uint8Array;
  providerDeviceId: bigint;
  deposit: bigint;
  remaining: bigint;
  pricePerUnit: bigint;
  specHash: Uint8Array;
  createdHeight: bigint;
  checkWindow: bigint;
  status: number;
  closeReason: string;
  paid: bigint;
  receipts: bigint;
  checkPhase: number;
  primary: CheckSide;
  secondary: CheckSide;
  commitDeadline: bigint;
  revealDeadline: bigint;
  disputeId: bigint;
  checkFee: bigint;
}

export function jobFrom(m: Raw): Job {
  return {
    id: u64(m.id),
    tenant: m.tenant ?? '',
    tenantKey: bytes(m.tenantKey),
    providerDeviceId: u64(m.providerDeviceId),
    deposit: amount(m.deposit),
    remaining: amount(m.remaining),
    pricePerUnit: amount(m.pricePerUnit),
    specHash: bytes(m.specHash),
    createdHeight: u64(m.createdHeight),
    checkWindow: u64(m.checkWindow),
    status: m.status ?? 0,
    closeReason: m.closeReason ?? '',
    paid: amount(m.paid),
    receipts: u64(m.receipts),
    checkPhase: m.checkPhase ?? 0,
    primary: side(m.primary),
    secondary: side(m.secondary),
    commitDeadline: u64(m.commitDeadline),
    revealDeadline: u64(m.revealDeadline),
    disputeId: u64(m.disputeId),
    checkFee: amount(m.checkFee),
  };
}

export const jobTo = (j: Job) => ({
  ...j, deposit: j.deposit.toString(), remaining: j.remaining.toString(), pricePerUnit: j.pricePerUnit.toString(), paid: j.paid.toString(), checkFee: j.checkFee.toString(),
  primary: j.primary.deviceId ? j.primary : null, secondary: j.secondary.deviceId ? j.secondary : null,
});

export const DISPUTE_OPEN = 1;
export const DISPUTE_RESOLVED = 2;
export const DISPUTE_EXPIRED = 3;

export interface Dispute {
  id: bigint;
  jobId: bigint;
  committee: string[];
  votes: { verifier: string; outputHash: Uint8Array }[];
  deadline: bigint;
  status: number;
  agreedHash: Uint8Array;
  resolvedHeight: bigint;
}

export function disputeFrom(m: Raw): Dispute {
  return {
    id: u64(m.id),
    jobId: u64(m.jobId),
    committee: [...(m.committee ?? [])],
    votes: (m.votes ?? []).map((v: Raw) => ({ verifier: v.verifier ?? '', outputHash: bytes(v.outputHash) })),
    deadline: u64(m.deadline),
    status: m.status ?? 0,
    agreedHash: bytes(m.agreedHash),
    resolvedHeight: u64(m.resolvedHeight),
  };
}

export const EVIDENCE = { EQUIVOCATION: 1, LOCATION_CONFLICT: 2, ARBITRATED: 3 } as const;
export const CH = { PENDING: 1, UPHELD: 2, REJECTED: 3, EXPIRED: 4 } as const;

export interface Challenge {
  id: bigint;
  challenger: string;
  proofId: bigint;
  evidenceKind: number;
  evidenceHash: Uint8Array;
  bond: bigint;
  status: number;
  detail: string;
  height: bigint;
  deadline: bigint;
  resolvedHeight: bigint;
  reward: bigint;
}

export function challengeFrom(m: Raw): Challenge {
  return {
    id: u64(m.id),
    challenger: m.challenger ?? '',
    proofId: u64(m.proofId),
    evidenceKind: m.evidenceKind ?? 0,
    evidenceHash: bytes(m.evidenceHash),
    bond: amount(m.bond),
    status: m.status ?? 0,
    detail: m.detail ?? '',
    height: u64(m.height),
    deadline: u64(m.deadline),
    resolvedHeight: u64(m.resolvedHeight),
    reward: amount(m.reward),
  };
}

export const challengeTo = (x: Challenge) => ({ ...x, bond: x.bond.toString(), reward: x.reward.toString() });

// ------------------------------------------------------------------ messages

export interface MsgSubmitProofs { submitter: string; envelopes: EnvelopeMsg[] }
export interface MsgBondProvider { owner: string; deviceId: U64; amount?: ProtoCoin | null }
export interface MsgUnbondProvider { owner: string; deviceId: U64 }
export interface MsgBondVerifier { verifier: string; amount?: ProtoCoin | null }
export interface MsgUnbondVerifier { verifier: string }
export interface MsgCreateDataSet { owner: string; deviceId: U64; pieces: { root: Uint8Array; leafCount: U64 }[] }
export interface MsgDeleteDataSet { owner: string; dataSetId: U64 }
export interface MsgCreateJob { tenant: string; providerDeviceId: U64; tenantKey: Uint8Array; deposit?: ProtoCoin | null; pricePerUnit: string; specHash: Uint8Array }
export interface MsgCloseJob { tenant: string; jobId: U64 }
export interface MsgCommitResult { operator: string; jobId: U64; deviceId: U64; commitment: Uint8Array }
export interface MsgRevealResult { operator: string; jobId: U64; deviceId: U64; outputHash: Uint8Array; salt: Uint8Array }
export interface MsgVoteDispute { verifier: string; disputeId: U64; outputHash: Uint8Array }
export interface MsgChallengeProof { challenger: string; proofId: U64; evidenceKind: number; evidence: Uint8Array; bond?: ProtoCoin | null }
export interface MsgResolveChallenge { authority: string; challengeId: U64; upheld: boolean; detail: string }
export interface MsgUpdateParams { authority: string; params?: Raw | null }

export const Msgs = {
  SubmitProofs: c<MsgSubmitProofs>('MsgSubmitProofs'),
  BondProvider: c<MsgBondProvider>('MsgBondProvider'),
  UnbondProvider: c<MsgUnbondProvider>('MsgUnbondProvider'),
  BondVerifier: c<MsgBondVerifier>('MsgBondVerifier'),
  UnbondVerifier: c<MsgUnbondVerifier>('MsgUnbondVerifier'),
  CreateDataSet: c<MsgCreateDataSet>('MsgCreateDataSet'),
  DeleteDataSet: c<MsgDeleteDataSet>('MsgDeleteDataSet'),
  CreateJob: c<MsgCreateJob>('MsgCreateJob'),
  CloseJob: c<MsgCloseJob>('MsgCloseJob'),
  CommitResult: c<MsgCommitResult>('MsgCommitResult'),
  RevealResult: c<MsgRevealResult>('MsgRevealResult'),
  VoteDispute: c<MsgVoteDispute>('MsgVoteDispute'),
  ChallengeProof: c<MsgChallengeProof>('MsgChallengeProof'),
  ResolveChallenge: c<MsgResolveChallenge>('MsgResolveChallenge'),
  UpdateParams: c<MsgUpdateParams>('MsgUpdateParams'),
} as const;

export type MsgName = keyof typeof Msgs;
export const response = (name: MsgName) => c(`Msg${name}Response`);

// ------------------------------------------------------------------ queries

type Paged<T> = T & { pagination?: PageRequest | null };

export const Q = {
  Params: [c('QueryParamsRequest'), c('QueryParamsResponse')],
  Seed: [c<{ window: U64; height: U64 }>('QuerySeedRequest'), c('QuerySeedResponse')],
  Proof: [c<{ id: U64 }>('QueryProofRequest'), c('QueryProofResponse')],
  ProofsByDevice: [c<Paged<{ deviceId: U64 }>>('QueryProofsByDeviceRequest'), c('QueryProofsResponse')],
  DeviceWindow: [c<{ deviceId: U64; window: U64 }>('QueryDeviceWindowRequest'), c('QueryDeviceWindowResponse')],
  DeviceState: [c<{ deviceId: U64 }>('QueryDeviceStateRequest'), c('QueryDeviceStateResponse')],
  DataSet: [c<{ id: U64 }>('QueryDataSetRequest'), c('QueryDataSetResponse')],
  DataSets: [c<Paged<object>>('QueryDataSetsRequest'), c('QueryDataSetsResponse')],
  Job: [c<{ id: U64 }>('QueryJobRequest'), c('QueryJobResponse')],
  Jobs: [c<Paged<object>>('QueryJobsRequest'), c('QueryJobsResponse')],
  Dispute: [c<{ id: U64 }>('QueryDisputeRequest'), c('QueryDisputeResponse')],
  Challenge: [c<{ id: U64 }>('QueryChallengeRequest'), c('QueryChallengeResponse')],
  Challenges: [c<Paged<object>>('QueryChallengesRequest'), c('QueryChallengesResponse')],
  Verifiers: [c<Paged<object>>('QueryVerifiersRequest'), c('QueryVerifiersResponse')],
} as const;

export type QueryName = keyof typeof Q;
export const queryPath = (name: QueryName) => `/depin.proofs.v1.Query/${name}`;

// The anchor module's state and message types (proto/depin/anchor/v1) as TypeScript values with
// bigint numbers, and their canonical protobuf encodings: zero numbers, empty bytes and false are
// left out, as proto3 does, so the same value always has the same bytes (state is hashed).
import { codec, u64, u64Field, type U64 } from '../../chain/codec/proto.ts';
import type { PageRequest, PageResponse } from '../../chain/pagination.ts';

export const STATUS = { PENDING: 1, SIGNED: 2, SUBMITTED: 3, ACKNOWLEDGED: 4 } as const;
export type CheckpointStatus = (typeof STATUS)[keyof typeof STATUS];
export const STATUS_NAME: Record<number, string> = { 1: 'pending', 2: 'signed', 3: 'submitted', 4: 'acknowledged' };

export interface AnchorParams {
  checkpointInterval: bigint;
  ethChainId: bigint;
  contract: Uint8Array; // 20 bytes, or empty when not configured
  ackTimeout: bigint;
}

export interface AnchorMember {
  consensusPubkey: Uint8Array;
  consensusAddress: Uint8Array;
  ethAddress: Uint8Array;
  power: bigint;
}

export interface EthTxRef {
  txHash: Uint8Array;
  blockNumber: bigint;
  logIndex: bigint;
}

export interface CheckpointRecord {
  number: bigint;
  height: bigint;
  stateRoot: Uint8Array;
  validatorSetHash: Uint8Array;
  nextValidatorSetHash: Uint8Array;
  status: CheckpointStatus;
  createdHeight: bigint;
  signedHeight: bigint;
  signedPower: bigint;
  totalPower: bigint;
  rotations: bigint;
  submitterDeadline: bigint;
  eth: EthTxRef | undefined;
  acknowledgedHeight: bigint;
}

export interface AckVote {
  eth: EthTxRef;
  round: bigint;
  signature: Uint8Array;
}

export interface AnchorState {
  lastNumber: bigint;
  lastAcknowledged: bigint;
  anchoredSetHash: Uint8Array;
}

// ------------------------------------------------------------------ wire shapes (protobufjs)

type B = Uint8Array | undefined;
interface ParamsMsg { checkpointInterval?: U64; ethChainId?: U64; contract?: B; ackTimeout?: U64 }
interface MemberMsg { consensusPubkey?: B; consensusAddress?: B; ethAddress?: B; power?: U64 }
interface EthTxRefMsg { txHash?: B; blockNumber?: U64; logIndex?: U64 }
interface RecordMsg {
  number?: U64; height?: U64; stateRoot?: B; validatorSetHash?: B; nextValidatorSetHash?: B; status?: number;
  createdHeight?: U64; signedHeight?: U64; signedPower?: U64; totalPower?: U64; rotations?: U64; submitterDeadline?: U64;
  eth?: EthTxRefMsg | null; acknowledgedHeight?: U64;
}

export const ParamsCodec = codec<ParamsMsg>('depin.anchor.v1.Params');
export const ValidatorSetCodec = codec<{ validators?: MemberMsg[] }>('depin.anchor.v1.ValidatorSet');
export const RecordCodec = codec<RecordMsg>('depin.anchor.v1.CheckpointRecord');
export const ConfirmationCodec = codec<{ signature?: B }>('depin.anchor.v1.Confirmation');
export const AckVoteCodec = codec<{ eth?: EthTxRefMsg | null; round?: U64; signature?: B }>('depin.anchor.v1.AckVote');
export const StateCodec = codec<{ lastNumber?: U64; lastAcknowledged?: U64; anchoredSetHash?: B }>('depin.anchor.v1.AnchorState');

const bytes = (b: Uint8Array | undefined | null): Uint8Array => (b ? Uint8Array.from(b) : new Uint8Array());
const optBytes = (b: Uint8Array): B => (b.length ? b : undefined);

export const encodeParams = (p: AnchorParams) =>
  ParamsCodec.encode({ checkpointInterval: u64Field(p.checkpointInterval), ethChainId: u64Field(p.ethChainId), contract: optBytes(p.contract), ackTimeout: u64Field(p.ackTimeout) } as ParamsMsg);
export const decodeParams = (b: Uint8Array): AnchorParams => paramsFromMsg(ParamsCodec.decode(b));
export function paramsFromMsg(m: ParamsMsg | null | undefined): AnchorParams {
  return { checkpointInterval: u64(m?.checkpointInterval), ethChainId: u64(m?.ethChainId), contract: bytes(m?.contract), ackTimeout: u64(m?.ackTimeout) };
}
export const paramsToMsg = (p: AnchorParams): ParamsMsg => ({ checkpointInterval: p.checkpointInterval.toString(), ethChainId: p.ethChainId.toString(), contract: p.contract, ackTimeout: p.ackTimeout.toString() });

const memberToMsg = (v: AnchorMember): MemberMsg => ({ consensusPubkey: v.consensusPubkey, consensusAddress: v.consensusAddress, ethAddress: v.ethAddress, power: u64Field(v.power) });
export const memberFromMsg = (m: MemberMsg): AnchorMember => ({ consensusPubkey: bytes(m.consensusPubkey), consensusAddress: bytes(m.consensusAddress), ethAddress: bytes(m.ethAddress), power: u64(m.power) });
export const encodeSet = (set: readonly AnchorMember[]) => ValidatorSetCodec.encode({ validators: set.map(memberToMsg) });
export const decodeSet = (b: Uint8Array): AnchorMember[] => (ValidatorSetCodec.decode(b).validators ?? []).map(memberFromMsg);
export const setToMsg = (set: readonly AnchorMember[]) => ({ validators: set.map(memberToMsg) });

export const ethRefToMsg = (e: EthTxRef): EthTxRefMsg => ({ txHash: optBytes(e.txHash), blockNumber: u64Field(e.blockNumber), logIndex: u64Field(e.logIndex) });
const ethRefFromMsg = (m: EthTxRefMsg): EthTxRef => ({ txHash: bytes(m.txHash), blockNumber: u64(m.blockNumber), logIndex: u64(m.logIndex) });

export function recordToMsg(r: CheckpointRecord): RecordMsg {
  return {
    number: u64Field(r.number), height: u64Field(r.height), stateRoot: optBytes(r.stateRoot), validatorSetHash: optBytes(r.validatorSetHash),
    nextValidatorSetHash: optBytes(r.nextValidatorSetHash), status: r.status, createdHeight: u64Field(r.createdHeight),
    signedHeight: u64Field(r.signedHeight), signedPower: u64Field(r.signedPower), totalPower: u64Field(r.totalPower),
    rotations: u64Field(r.rotations), submitterDeadline: u64Field(r.submitterDeadline), eth: r.eth ? ethRefToMsg(r.eth) : undefined,
    acknowledgedHeight: u64Field(r.acknowledgedHeight),
  };
}
export function recordFromMsg(m: RecordMsg): CheckpointRecord {
  const status = m.status ?? 0;
  if (status < 1 || status > 4) throw new Error(`checkpoint ${u64(m.number)}: invalid status ${status}`);
  return {
    number: u64(m.number), height: u64(m.height), stateRoot: bytes(m.stateRoot), validatorSetHash: bytes(m.validatorSetHash),
    nextValidatorSetHash: bytes(m.nextValidatorSetHash), status: status as CheckpointStatus, createdHeight: u64(m.createdHeight),
    signedHeight: u64(m.signedHeight), signedPower: u64(m.signedPower), totalPower: u64(m.totalPower), rotations: u64(m.rotations),
    submitterDeadline: u64(m.submitterDeadline), eth: m.eth ? ethRefFromMsg(m.eth) : undefined, acknowledgedHeight: u64(m.acknowledgedHeight),
  };
}
export const encodeRecord = (r: CheckpointRecord) => RecordCodec.encode(recordToMsg(r));
export const decodeRecord = (b: Uint8Array) => recordFromMsg(RecordCodec.decode(b));

export const encodeConfirmation = (sig: Uint8Array) => ConfirmationCodec.encode({ signature: optBytes(sig) });
export const decodeConfirmation = (b: Uint8Array) => bytes(ConfirmationCodec.decode(b).signature);

export const encodeAckVote = (v: AckVote) => AckVoteCodec.encode({ eth: ethRefToMsg(v.eth), round: u64Field(v.round), signature: optBytes(v.signature) });
export function decodeAckVote(b: Uint8Array): AckVote {
  const m = AckVoteCodec.decode(b);
  return { eth: ethRefFromMsg(m.eth ?? {}), round: u64(m.round), signature: bytes(m.signature) };
}

export const encodeState = (s: AnchorState) =>
  StateCodec.encode({ lastNumber: u64Field(s.lastNumber), lastAcknowledged: u64Field(s.lastAcknowledged), anchoredSetHash: optBytes(s.anchoredSetHash) });
export function decodeState(b: Uint8Array | undefined): AnchorState {
  if (!b) return { lastNumber: 0n, lastAcknowledged: 0n, anchoredSetHash: new Uint8Array() };
  const m = StateCodec.decode(b);
  return { lastNumber: u64(m.lastNumber), lastAcknowledged: u64(m.lastAcknowledged), anchoredSetHash: bytes(m.anchoredSetHash) };
}

// ------------------------------------------------------------------ messages

export interface MsgConfirmCheckpointMsg {
  sender: string;
  number: U64;
  validatorAddress: Uint8Array;
  signature: Uint8Array;
}
export interface MsgAckCheckpointMsg {
  sender: string;
  number: U64;
  validatorAddress: Uint8Array;
  ethTxHash: Uint8Array;
  ethBlockNumber: U64;
  logIndex: U64;
  signature: Uint8Array;
}
export const MsgConfirmCheckpoint = codec<MsgConfirmCheckpointMsg>('depin.anchor.v1.MsgConfirmCheckpoint');
export const MsgConfirmCheckpointResponse = codec<{ signed?: boolean }>('depin.anchor.v1.MsgConfirmCheckpointResponse');
export const MsgAckCheckpoint = codec<MsgAckCheckpointMsg>('depin.anchor.v1.MsgAckCheckpoint');
export const MsgAckCheckpointResponse = codec<{ acknowledged?: boolean }>('depin.anchor.v1.MsgAckCheckpointResponse');

// ------------------------------------------------------------------ queries

export interface SignerInfoMsg { consensusAddress: Uint8Array; ethAddress: Uint8Array; power: U64; signature: Uint8Array }
export interface AckVoteInfoMsg { validatorAddress: Uint8Array; eth: EthTxRefMsg; round: U64 }
export interface CheckpointInfoMsg {
  checkpoint: RecordMsg;
  validators: SignerInfoMsg[];
  submitter?: Uint8Array;
  ackVotes: AckVoteInfoMsg[];
  digest: Uint8Array;
}

export const Q = {
  Params: [codec<object>('depin.anchor.v1.QueryParamsRequest'), codec<{ params: ParamsMsg }>('depin.anchor.v1.QueryParamsResponse')],
  Checkpoint: [codec<{ number: U64 }>('depin.anchor.v1.QueryCheckpointRequest'), codec<{ checkpoint?: CheckpointInfoMsg | null }>('depin.anchor.v1.QueryCheckpointResponse')],
  Checkpoints: [
    codec<{ pagination?: PageRequest | null }>('depin.anchor.v1.QueryCheckpointsRequest'),
    codec<{ checkpoints: CheckpointInfoMsg[]; pagination?: PageResponse }>('depin.anchor.v1.QueryCheckpointsResponse'),
  ],
  LatestCheckpoint: [codec<{ acknowledged?: boolean }>('depin.anchor.v1.QueryLatestCheckpointRequest'), codec<{ checkpoint?: CheckpointInfoMsg | null }>('depin.anchor.v1.QueryLatestCheckpointResponse')],
  AnchoredValidatorSet: [
    codec<object>('depin.anchor.v1.QueryAnchoredValidatorSetRequest'),
    codec<{ hash: Uint8Array; validatorSet?: { validators?: MemberMsg[] } | null }>('depin.anchor.v1.QueryAnchoredValidatorSetResponse'),
  ],
} as const;

export type QueryName = keyof typeof Q;
export const queryPath = (name: QueryName) => `/depin.anchor.v1.Query/${name}`;

/** A checkpoint as the query returns it, decoded to TypeScript values. */
export interface CheckpointInfo {
  checkpoint: CheckpointRecord;
  validators: { consensusAddress: Uint8Array; ethAddress: Uint8Array; power: bigint; signature: Uint8Array | undefined }[];
  submitter: Uint8Array | undefined;
  ackVotes: { validatorAddress: Uint8Array; eth: EthTxRef; round: bigint }[];
  digest: Uint8Array;
}

export function checkpointInfoFromMsg(m: CheckpointInfoMsg): CheckpointInfo {
  return {
    checkpoint: recordFromMsg(m.checkpoint),
    validators: (m.validators ?? []).map((v) => ({
      consensusAddress: bytes(v.consensusAddress), ethAddress: bytes(v.ethAddress), power: u64(v.power),
      signature: v.signature && v.signature.length ? bytes(v.signature) : undefined,
    })),
    submitter: m.submitter && m.submitter.length ? bytes(m.submitter) : undefined,
    ackVotes: (m.ackVotes ?? []).map((a) => ({ validatorAddress: bytes(a.validatorAddress), eth: ethRefFromMsg(a.eth ?? {}), round: u64(a.round) })),
    digest: bytes(m.digest),
  };
}

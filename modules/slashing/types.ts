// Protobuf codecs of cosmos.slashing.v1beta1 (standard names and field numbers).
import { codec, type U64 } from '../../chain/codec/proto.ts';
import type { PageRequest, PageResponse } from '../../chain/pagination.ts';

export interface ProtoTimestamp {
  seconds: U64;
  nanos: number;
}

export interface ValidatorSigningInfoMsg {
  address: string;
  startHeight: U64;
  indexOffset: U64;
  jailedUntil?: ProtoTimestamp | null;
  tombstoned: boolean;
  missedBlocksCounter: U64;
}

export interface SlashingParamsMsg {
  signedBlocksWindow: U64;
  minSignedPerWindow: Uint8Array;
  downtimeJailDuration?: ProtoTimestamp | null;
  slashFractionDoubleSign: Uint8Array;
  slashFractionDowntime: Uint8Array;
}

const s = (name: string) => `cosmos.slashing.v1beta1.${name}`;

export const ValidatorSigningInfo = codec<ValidatorSigningInfoMsg>(s('ValidatorSigningInfo'));
export const Params = codec<SlashingParamsMsg>(s('Params'));
export const MsgUnjail = codec<{ validatorAddr: string }>(s('MsgUnjail'));
export const MsgUnjailResponse = codec<object>(s('MsgUnjailResponse'));
export const QueryParamsRequest = codec<object>(s('QueryParamsRequest'));
export const QueryParamsResponse = codec<{ params: SlashingParamsMsg }>(s('QueryParamsResponse'));
export const QuerySigningInfoRequest = codec<{ consAddress: string }>(s('QuerySigningInfoRequest'));
export const QuerySigningInfoResponse = codec<{ valSigningInfo: ValidatorSigningInfoMsg }>(s('QuerySigningInfoResponse'));
export const QuerySigningInfosRequest = codec<{ pagination?: PageRequest | null }>(s('QuerySigningInfosRequest'));
export const QuerySigningInfosResponse = codec<{ info: ValidatorSigningInfoMsg[]; pagination?: PageResponse }>(s('QuerySigningInfosResponse'));

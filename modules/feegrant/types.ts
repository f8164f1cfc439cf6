// Protobuf codecs of cosmos.feegrant.v1beta1 (standard names, field numbers and type URLs).
import { codec, type U64 } from '../../chain/codec/proto.ts';
import type { ProtoCoin } from '../../chain/coins.ts';
import type { PageRequest, PageResponse } from '../../chain/pagination.ts';
import type { Any } from '../../chain/tx/types.ts';

export interface TimestampMsg {
  seconds: U64;
  nanos: number;
}

export interface BasicAllowanceMsg {
  spendLimit: ProtoCoin[];
  expiration?: TimestampMsg | null;
}

export interface PeriodicAllowanceMsg {
  basic?: BasicAllowanceMsg | null;
  period?: TimestampMsg | null; // google.protobuf.Duration has the same shape
  periodSpendLimit: ProtoCoin[];
  periodCanSpend: ProtoCoin[];
  periodReset?: TimestampMsg | null;
}

export interface AllowedMsgAllowanceMsg {
  allowance?: Any | null;
  allowedMessages: string[];
}

export interface GrantMsg {
  granter: string;
  grantee: string;
  allowance?: Any | null;
}

export const BasicAllowance = codec<BasicAllowanceMsg>('cosmos.feegrant.v1beta1.BasicAllowance');
export const PeriodicAllowance = codec<PeriodicAllowanceMsg>('cosmos.feegrant.v1beta1.PeriodicAllowance');
export const AllowedMsgAllowance = codec<AllowedMsgAllowanceMsg>('cosmos.feegrant.v1beta1.AllowedMsgAllowance');
export const Grant = codec<GrantMsg>('cosmos.feegrant.v1beta1.Grant');
export const GenesisState = codec<{ allowances: GrantMsg[] }>('cosmos.feegrant.v1beta1.GenesisState');

export const MsgGrantAllowance = codec<GrantMsg>('cosmos.feegrant.v1beta1.MsgGrantAllowance');
export const MsgGrantAllowanceResponse = codec<object>('cosmos.feegrant.v1beta1.MsgGrantAllowanceResponse');
export const MsgRevokeAllowance = codec<{ granter: string; grantee: string }>('cosmos.feegrant.v1beta1.MsgRevokeAllowance');
export const MsgRevokeAllowanceResponse = codec<object>('cosmos.feegrant.v1beta1.MsgRevokeAllowanceResponse');
export const MsgPruneAllowances = codec<{ pruner: string }>('cosmos.feegrant.v1beta1.MsgPruneAllowances');
export const MsgPruneAllowancesResponse = codec<object>('cosmos.feegrant.v1beta1.MsgPruneAllowancesResponse');

type Paged<T> = T & { pagination?: PageRequest | null };
export const QueryAllowanceRequest = codec<{ granter: string; grantee: string }>('cosmos.feegrant.v1beta1.QueryAllowanceRequest');
export const QueryAllowanceResponse = codec<{ allowance?: GrantMsg | null }>('cosmos.feegrant.v1beta1.QueryAllowanceResponse');
export const QueryAllowancesRequest = codec<Paged<{ grantee: string }>>('cosmos.feegrant.v1beta1.QueryAllowancesRequest');
export const QueryAllowancesResponse = codec<{ allowances: GrantMsg[]; pagination?: PageResponse }>('cosmos.feegrant.v1beta1.QueryAllowancesResponse');
export const QueryAllowancesByGranterRequest = codec<Paged<{ granter: string }>>('cosmos.feegrant.v1beta1.QueryAllowancesByGranterRequest');
export const QueryAllowancesByGranterResponse = codec<{ allowances: GrantMsg[]; pagination?: PageResponse }>('cosmos.feegrant.v1beta1.QueryAllowancesByGranterResponse');

export const BASIC_ALLOWANCE_URL = BasicAllowance.typeUrl;
export const PERIODIC_ALLOWANCE_URL = PeriodicAllowance.typeUrl;
export const ALLOWED_MSG_ALLOWANCE_URL = AllowedMsgAllowance.typeUrl;

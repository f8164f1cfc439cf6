// Protobuf codecs of cosmos.staking.v1beta1 (standard names, so CosmJS's staking helpers and
// QueryClient staking extension work unmodified).
import { codec, type U64 } from '../../chain/codec/proto.ts';
import type { ProtoCoin } from '../../chain/coins.ts';
import type { PageRequest, PageResponse } from '../../chain/pagination.ts';
import type { Any } from '../../chain/tx/types.ts';

export interface ProtoTimestamp {
  seconds: U64;
  nanos: number;
}

export interface DescriptionMsg {
  moniker: string;
  identity: string;
  website: string;
  securityContact: string;
  details: string;
}

export interface CommissionRatesMsg {
  rate: string;
  maxRate: string;
  maxChangeRate: string;
}

export interface ValidatorMsg {
  operatorAddress: string;
  consensusPubkey?: Any | null;
  jailed: boolean;
  status: number;
  tokens: string;
  delegatorShares: string;
  description?: DescriptionMsg | null;
  unbondingHeight: U64;
  unbondingTime?: ProtoTimestamp | null;
  commission?: { commissionRates?: CommissionRatesMsg | null; updateTime?: ProtoTimestamp | null } | null;
  minSelfDelegation: string;
  unbondingOnHoldRefCount?: U64;
  unbondingIds?: U64[];
}

export interface DelegationMsg {
  delegatorAddress: string;
  validatorAddress: string;
  shares: string;
}

export interface UnbondingDelegationEntryMsg {
  creationHeight: U64;
  completionTime?: ProtoTimestamp | null;
  initialBalance: string;
  balance: string;
  unbondingId?: U64;
  unbondingOnHoldRefCount?: U64;
}

export interface UnbondingDelegationMsg {
  delegatorAddress: string;
  validatorAddress: string;
  entries: UnbondingDelegationEntryMsg[];
}

export interface ParamsMsg {
  unbondingTime?: ProtoTimestamp | null;
  maxValidators: number;
  maxEntries: number;
  historicalEntries: number;
  bondDenom: string;
  minCommissionRate: string;
}

export interface DelegationResponseMsg {
  delegation: DelegationMsg;
  balance: ProtoCoin;
}

export interface MsgCreateValidatorMsg {
  description?: DescriptionMsg | null;
  commission?: CommissionRatesMsg | null;
  minSelfDelegation: string;
  delegatorAddress: string;
  validatorAddress: string;
  pubkey?: Any | null;
  value?: ProtoCoin | null;
}

export interface MsgEditValidatorMsg {
  description?: DescriptionMsg | null;
  validatorAddress: string;
  commissionRate: string;
  minSelfDelegation: string;
}

export interface MsgDelegateMsg {
  delegatorAddress: string;
  validatorAddress: string;
  amount?: ProtoCoin | null;
}

export interface MsgBeginRedelegateMsg {
  delegatorAddress: string;
  validatorSrcAddress: string;
  validatorDstAddress: string;
  amount?: ProtoCoin | null;
}

type Paged<T> = T & { pagination?: PageRequest | null };
type PagedRes<T> = T & { pagination?: PageResponse };

const s = (name: string) => `cosmos.staking.v1beta1.${name}`;

export const Validator = codec<ValidatorMsg>(s('Validator'));
export const Delegation = codec<DelegationMsg>(s('Delegation'));
export const UnbondingDelegation = codec<UnbondingDelegationMsg>(s('UnbondingDelegation'));
export const Params = codec<ParamsMsg>(s('Params'));

export const MsgCreateValidator = codec<MsgCreateValidatorMsg>(s('MsgCreateValidator'));
export const MsgCreateValidatorResponse = codec<object>(s('MsgCreateValidatorResponse'));
export const MsgEditValidator = codec<MsgEditValidatorMsg>(s('MsgEditValidator'));
export const MsgEditValidatorResponse = codec<object>(s('MsgEditValidatorResponse'));
export const MsgDelegate = codec<MsgDelegateMsg>(s('MsgDelegate'));
export const MsgDelegateResponse = codec<object>(s('MsgDelegateResponse'));
export const MsgUndelegate = codec<MsgDelegateMsg>(s('MsgUndelegate'));
export const MsgUndelegateResponse = codec<{ completionTime: ProtoTimestamp; amount: ProtoCoin }>(s('MsgUndelegateResponse'));
export const MsgBeginRedelegate = codec<MsgBeginRedelegateMsg>(s('MsgBeginRedelegate'));
export const MsgBeginRedelegateResponse = codec<object>(s('MsgBeginRedelegateResponse'));

export const QueryValidatorsRequest = codec<Paged<{ status: string }>>(s('QueryValidatorsRequest'));
export const QueryValidatorsResponse = codec<PagedRes<{ validators: ValidatorMsg[] }>>(s('QueryValidatorsResponse'));
export const QueryValidatorRequest = codec<{ validatorAddr: string }>(s('QueryValidatorRequest'));
export const QueryValidatorResponse = codec<{ validator: ValidatorMsg }>(s('QueryValidatorResponse'));
export const QueryValidatorDelegationsRequest = codec<Paged<{ validatorAddr: string }>>(s('QueryValidatorDelegationsRequest'));
export const QueryValidatorDelegationsResponse = codec<PagedRes<{ delegationResponses: DelegationResponseMsg[] }>>(s('QueryValidatorDelegationsResponse'));
export const QueryValidatorUnbondingDelegationsRequest = codec<Paged<{ validatorAddr: string }>>(s('QueryValidatorUnbondingDelegationsRequest'));
export const QueryValidatorUnbondingDelegationsResponse = codec<PagedRes<{ unbondingResponses: UnbondingDelegationMsg[] }>>(s('QueryValidatorUnbondingDelegationsResponse'));
export const QueryDelegationRequest = codec<{ delegatorAddr: string; validatorAddr: string }>(s('QueryDelegationRequest'));
export const QueryDelegationResponse = codec<{ delegationResponse: DelegationResponseMsg }>(s('QueryDelegationResponse'));
export const QueryUnbondingDelegationRequest = codec<{ delegatorAddr: string; validatorAddr: string }>(s('QueryUnbondingDelegationRequest'));
export const QueryUnbondingDelegationResponse = codec<{ unbond: UnbondingDelegationMsg }>(s('QueryUnbondingDelegationResponse'));
export const QueryDelegatorDelegationsRequest = codec<Paged<{ delegatorAddr: string }>>(s('QueryDelegatorDelegationsRequest'));
export const QueryDelegatorDelegationsResponse = codec<PagedRes<{ delegationResponses: DelegationResponseMsg[] }>>(s('QueryDelegatorDelegationsResponse'));
export const QueryDelegatorUnbondingDelegationsRequest = codec<Paged<{ delegatorAddr: string }>>(s('QueryDelegatorUnbondingDelegationsRequest'));
export const QueryDelegatorUnbondingDelegationsResponse = codec<PagedRes<{ unbondingResponses: UnbondingDelegationMsg[] }>>(s('QueryDelegatorUnbondingDelegationsResponse'));
export const QueryDelegatorValidatorsRequest = codec<Paged<{ delegatorAddr: string }>>(s('QueryDelegatorValidatorsRequest'));
export const QueryDelegatorValidatorsResponse = codec<PagedRes<{ validators: ValidatorMsg[] }>>(s('QueryDelegatorValidatorsResponse'));
export const QueryDelegatorValidatorRequest = codec<{ delegatorAddr: string; validatorAddr: string }>(s('QueryDelegatorValidatorRequest'));
export const QueryDelegatorValidatorResponse = codec<{ validator: ValidatorMsg }>(s('QueryDelegatorValidatorResponse'));
export const QueryPoolRequest = codec<object>(s('QueryPoolRequest'));
export const QueryPoolResponse = codec<{ pool: { notBondedTokens: string; bondedTokens: string } }>(s('QueryPoolResponse'));
export const QueryParamsRequest = codec<object>(s('QueryParamsRequest'));
export const QueryParamsResponse = codec<{ params: ParamsMsg }>(s('QueryParamsResponse'));

export const BOND_STATUS = { UNSPECIFIED: 0, UNBONDED: 1, UNBONDING: 2, BONDED: 3 } as const;
export const BOND_STATUS_NAMES = ['BOND_STATUS_UNSPECIFIED', 'BOND_STATUS_UNBONDED', 'BOND_STATUS_UNBONDING', 'BOND_STATUS_BONDED'] as const;

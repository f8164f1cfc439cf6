// Protobuf codecs of cosmos.bank.v1beta1 used by the bank module.
import { codec } from '../../chain/codec/proto.ts';
import type { ProtoCoin } from '../../chain/coins.ts';
import type { PageRequest, PageResponse } from '../../chain/pagination.ts';

export interface MsgSendMsg {
  fromAddress: string;
  toAddress: string;
  amount: ProtoCoin[];
}

export interface IOMsg {
  address: string;
  coins: ProtoCoin[];
}

export interface MsgMultiSendMsg {
  inputs: IOMsg[];
  outputs: IOMsg[];
}

export interface DenomUnitMsg {
  denom: string;
  exponent: number;
  aliases: string[];
}

export interface MetadataMsg {
  description: string;
  denomUnits: DenomUnitMsg[];
  base: string;
  display: string;
  name: string;
  symbol: string;
  uri: string;
  uriHash: string;
}

export interface BankParamsMsg {
  sendEnabled: { denom: string; enabled: boolean }[];
  defaultSendEnabled: boolean;
}

type Paged<T> = T & { pagination?: PageRequest | null };

export const MsgSend = codec<MsgSendMsg>('cosmos.bank.v1beta1.MsgSend');
export const MsgSendResponse = codec<object>('cosmos.bank.v1beta1.MsgSendResponse');
export const MsgMultiSend = codec<MsgMultiSendMsg>('cosmos.bank.v1beta1.MsgMultiSend');
export const MsgMultiSendResponse = codec<object>('cosmos.bank.v1beta1.MsgMultiSendResponse');
export const Metadata = codec<MetadataMsg>('cosmos.bank.v1beta1.Metadata');
export const BankParams = codec<BankParamsMsg>('cosmos.bank.v1beta1.Params');

export const QueryBalanceRequest = codec<{ address: string; denom: string }>('cosmos.bank.v1beta1.QueryBalanceRequest');
export const QueryBalanceResponse = codec<{ balance: ProtoCoin }>('cosmos.bank.v1beta1.QueryBalanceResponse');
export const QueryAllBalancesRequest = codec<Paged<{ address: string; resolveDenom?: boolean }>>('cosmos.bank.v1beta1.QueryAllBalancesRequest');
export const QueryAllBalancesResponse = codec<{ balances: ProtoCoin[]; pagination?: PageResponse }>('cosmos.bank.v1beta1.QueryAllBalancesResponse');
export const QuerySpendableBalancesRequest = codec<Paged<{ address: string }>>('cosmos.bank.v1beta1.QuerySpendableBalancesRequest');
export const QuerySpendableBalancesResponse = codec<{ balances: ProtoCoin[]; pagination?: PageResponse }>('cosmos.bank.v1beta1.QuerySpendableBalancesResponse');
export const QueryTotalSupplyRequest = codec<Paged<object>>('cosmos.bank.v1beta1.QueryTotalSupplyRequest');
export const QueryTotalSupplyResponse = codec<{ supply: ProtoCoin[]; pagination?: PageResponse }>('cosmos.bank.v1beta1.QueryTotalSupplyResponse');
export const QuerySupplyOfRequest = codec<{ denom: string }>('cosmos.bank.v1beta1.QuerySupplyOfRequest');
export const QuerySupplyOfResponse = codec<{ amount: ProtoCoin }>('cosmos.bank.v1beta1.QuerySupplyOfResponse');
export const QueryParamsRequest = codec<object>('cosmos.bank.v1beta1.QueryParamsRequest');
export const QueryParamsResponse = codec<{ params: BankParamsMsg }>('cosmos.bank.v1beta1.QueryParamsResponse');
export const QueryDenomMetadataRequest = codec<{ denom: string }>('cosmos.bank.v1beta1.QueryDenomMetadataRequest');
export const QueryDenomMetadataResponse = codec<{ metadata: MetadataMsg }>('cosmos.bank.v1beta1.QueryDenomMetadataResponse');
export const QueryDenomsMetadataRequest = codec<Paged<object>>('cosmos.bank.v1beta1.QueryDenomsMetadataRequest');
export const QueryDenomsMetadataResponse = codec<{ metadatas: MetadataMsg[]; pagination?: PageResponse }>('cosmos.bank.v1beta1.QueryDenomsMetadataResponse');

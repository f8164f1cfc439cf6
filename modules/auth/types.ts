// Protobuf codecs of cosmos.auth.v1beta1 used by the auth module.
import { codec, type U64 } from '../../chain/codec/proto.ts';
import type { Any } from '../../chain/tx/types.ts';

export interface BaseAccountMsg {
  address: string;
  pubKey?: Any | null;
  accountNumber: U64;
  sequence: U64;
}

export interface ModuleAccountMsg {
  baseAccount?: BaseAccountMsg | null;
  name: string;
  permissions: string[];
}

export interface AuthParamsMsg {
  maxMemoCharacters: U64;
  txSigLimit: U64;
  txSizeCostPerByte: U64;
  sigVerifyCostEd25519: U64;
  sigVerifyCostSecp256k1: U64;
}

export const BaseAccount = codec<BaseAccountMsg>('cosmos.auth.v1beta1.BaseAccount');
export const ModuleAccount = codec<ModuleAccountMsg>('cosmos.auth.v1beta1.ModuleAccount');
export const AuthParams = codec<AuthParamsMsg>('cosmos.auth.v1beta1.Params');
export const AnyCodec = codec<Any>('google.protobuf.Any');
export const QueryAccountRequest = codec<{ address: string }>('cosmos.auth.v1beta1.QueryAccountRequest');
export const QueryAccountResponse = codec<{ account?: Any | null }>('cosmos.auth.v1beta1.QueryAccountResponse');
export const QueryAccountsRequest = codec<{ pagination?: PageRequestMsg | null }>('cosmos.auth.v1beta1.QueryAccountsRequest');
export const QueryAccountsResponse = codec<{ accounts: Any[]; pagination?: unknown }>('cosmos.auth.v1beta1.QueryAccountsResponse');
export const QueryParamsRequest = codec<object>('cosmos.auth.v1beta1.QueryParamsRequest');
export const QueryParamsResponse = codec<{ params: AuthParamsMsg }>('cosmos.auth.v1beta1.QueryParamsResponse');
export const Bech32PrefixRequest = codec<object>('cosmos.auth.v1beta1.Bech32PrefixRequest');
export const Bech32PrefixResponse = codec<{ bech32Prefix: string }>('cosmos.auth.v1beta1.Bech32PrefixResponse');

export interface PageRequestMsg {
  key?: Uint8Array;
  offset?: U64;
  limit?: U64;
  countTotal?: boolean;
  reverse?: boolean;
}

export const BASE_ACCOUNT_URL = '/cosmos.auth.v1beta1.BaseAccount';
export const MODULE_ACCOUNT_URL = '/cosmos.auth.v1beta1.ModuleAccount';

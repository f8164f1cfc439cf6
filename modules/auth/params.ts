// Auth parameters (SDK defaults): memo and signature limits and the ante handler's gas costs.
import { u64 } from '../../chain/codec/proto.ts';
import type { AuthParamsMsg } from './types.ts';

export interface AuthParams {
  maxMemoCharacters: bigint;
  txSigLimit: bigint;
  txSizeCostPerByte: bigint;
  sigVerifyCostSecp256k1: bigint;
}

export const DEFAULT_AUTH_PARAMS: AuthParams = {
  maxMemoCharacters: 256n,
  txSigLimit: 7n,
  txSizeCostPerByte: 10n,
  sigVerifyCostSecp256k1: 1000n,
};

export function paramsFromMsg(m: AuthParamsMsg): AuthParams {
  return {
    maxMemoCharacters: u64(m.maxMemoCharacters),
    txSigLimit: u64(m.txSigLimit),
    txSizeCostPerByte: u64(m.txSizeCostPerByte),
    sigVerifyCostSecp256k1: u64(m.sigVerifyCostSecp256k1),
  };
}

export function paramsToMsg(p: AuthParams): AuthParamsMsg {
  return {
    maxMemoCharacters: p.maxMemoCharacters.toString(),
    txSigLimit: p.txSigLimit.toString(),
    txSizeCostPerByte: p.txSizeCostPerByte.toString(),
    sigVerifyCostEd25519: '590',
    sigVerifyCostSecp256k1: p.sigVerifyCostSecp256k1.toString(),
  };
}

/** JSON form used in genesis.json (SDK style: uint64 as decimal strings). */
export function paramsToJson(p: AuthParams): Record<string, string> {
  return {
    max_memo_characters: p.maxMemoCharacters.toString(),
    tx_sig_limit: p.txSigLimit.toString(),
    tx_size_cost_per_byte: p.txSizeCostPerByte.toString(),
    sig_verify_cost_ed25519: '590',
    sig_verify_cost_secp256k1: p.sigVerifyCostSecp256k1.toString(),
  };
}

export function paramsFromJson(j: Record<string, string> | undefined): AuthParams {
  if (!j) return DEFAULT_AUTH_PARAMS;
  return {
    maxMemoCharacters: BigInt(j.max_memo_characters ?? DEFAULT_AUTH_PARAMS.maxMemoCharacters),
    txSigLimit: BigInt(j.tx_sig_limit ?? DEFAULT_AUTH_PARAMS.txSigLimit),
    txSizeCostPerByte: BigInt(j.tx_size_cost_per_byte ?? DEFAULT_AUTH_PARAMS.txSizeCostPerByte),
    sigVerifyCostSecp256k1: BigInt(j.sig_verify_cost_secp256k1 ?? DEFAULT_AUTH_PARAMS.sigVerifyCostSecp256k1),
  };
}

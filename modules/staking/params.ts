// Staking parameters: the standard cosmos.staking.v1beta1.Params plus one depin extension, a
// chain-wide floor for validators' min_self_delegation (kept outside the standard message so the
// Params query stays wire-compatible).
import { validateDenom } from '../../chain/coins.ts';
import { DEC_ONE, formatDec, parseDec, decFromWire, decToWire } from '../../chain/dec.ts';
import { formatDuration, parseDuration, type Duration } from '../../chain/time.ts';
import { i64 } from '../../chain/codec/proto.ts';
import type { ParamsMsg } from './types.ts';

export interface StakingParams {
  unbondingTime: Duration;
  maxValidators: number;
  maxEntries: number;
  historicalEntries: number;
  bondDenom: string;
  minCommissionRate: bigint; // dec atomics
  minSelfDelegation: bigint; // udpin; MsgCreateValidator's min_self_delegation must be >= this
}

export const DEFAULT_STAKING_PARAMS: StakingParams = {
  unbondingTime: { seconds: 1_814_400n, nanos: 0 }, // 21 days
  maxValidators: 100,
  maxEntries: 7,
  historicalEntries: 0,
  bondDenom: 'udpin',
  minCommissionRate: 0n,
  minSelfDelegation: 1n,
};

export interface StakingParamsJson {
  unbonding_time: string;
  max_validators: number;
  max_entries: number;
  historical_entries: number;
  bond_denom: string;
  min_commission_rate: string;
  min_self_delegation?: string;
}

export function validateParams(p: StakingParams): void {
  if (p.unbondingTime.seconds <= 0n && p.unbondingTime.nanos <= 0) throw new Error('staking params: unbonding_time must be positive');
  if (!Number.isInteger(p.maxValidators) || p.maxValidators <= 0 || p.maxValidators > 10_000) throw new Error('staking params: max_validators must be in 1..10000');
  if (!Number.isInteger(p.maxEntries) || p.maxEntries <= 0) throw new Error('staking params: max_entries must be positive');
  if (p.historicalEntries !== 0) throw new Error('staking params: historical_entries must be 0 (historical info is not kept)');
  validateDenom(p.bondDenom);
  if (p.minCommissionRate < 0n || p.minCommissionRate > DEC_ONE) throw new Error('staking params: min_commission_rate must be in [0, 1]');
  if (p.minSelfDelegation <= 0n) throw new Error('staking params: min_self_delegation must be positive');
}

export function paramsFromJson(j: Partial<StakingParamsJson> | undefined): StakingParams {
  const d = DEFAULT_STAKING_PARAMS;
  const p: StakingParams = {
    unbondingTime: j?.unbonding_time !== undefined ? parseDuration(j.unbonding_time) : d.unbondingTime,
    maxValidators: j?.max_validators !== undefined ? Number(j.max_validators) : d.maxValidators,
    maxEntries: j?.max_entries !== undefined ? Number(j.max_entries) : d.maxEntries,
    historicalEntries: j?.historical_entries !== undefined ? Number(j.historical_entries) : d.historicalEntries,
    bondDenom: j?.bond_denom ?? d.bondDenom,
    minCommissionRate: j?.min_commission_rate !== undefined ? parseDec(j.min_commission_rate) : d.minCommissionRate,
    minSelfDelegation: j?.min_self_delegation !== undefined ? BigInt(j.min_self_delegation) : d.minSelfDelegation,
  };
  validateParams(p);
  return p;
}

export function paramsToJson(p: StakingParams): StakingParamsJson {
  return {
    unbonding_time: formatDuration(p.unbondingTime),
    max_validators: p.maxValidators,
    max_entries: p.maxEntries,
    historical_entries: p.historicalEntries,
    bond_denom: p.bondDenom,
    min_commission_rate: formatDec(p.minCommissionRate),
    min_self_delegation: p.minSelfDelegation.toString(),
  };
}

export function paramsToMsg(p: StakingParams): ParamsMsg {
  return {
    unbondingTime: { seconds: p.unbondingTime.seconds.toString(), nanos: p.unbondingTime.nanos },
    maxValidators: p.maxValidators,
    maxEntries: p.maxEntries,
    historicalEntries: p.historicalEntries,
    bondDenom: p.bondDenom,
    minCommissionRate: decToWire(p.minCommissionRate),
  };
}

export function paramsFromMsg(m: ParamsMsg, minSelfDelegation: bigint): StakingParams {
  return {
    unbondingTime: { seconds: i64(m.unbondingTime?.seconds), nanos: m.unbondingTime?.nanos ?? 0 },
    maxValidators: m.maxValidators,
    maxEntries: m.maxEntries,
    historicalEntries: m.historicalEntries,
    bondDenom: m.bondDenom,
    minCommissionRate: decFromWire(m.minCommissionRate || '0'),
    minSelfDelegation,
  };
}

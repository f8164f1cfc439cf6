// Store layout of the staking module (prefix "staking/"). Addresses are 20 raw bytes, so every
// composite key has fixed-width parts and iterates in (first part, second part) order.
import { timeKey } from '../../chain/time.ts';
import { concat, u64be, readU64 } from '../../chain/codec/bytes.ts';
import type { Timestamp } from '../../chain/context.ts';

export const STORE = new TextEncoder().encode('staking/');

export const PARAMS = 0x01; // cosmos.staking.v1beta1.Params
export const MIN_SELF_DELEGATION = 0x02; // chain-wide floor for min_self_delegation (decimal)
export const LAST_POWER = 0x11; // | val -> power last sent to consensus (decimal)
export const VALIDATOR = 0x21; // | val -> cosmos.staking.v1beta1.Validator
export const BY_CONS = 0x22; // | consAddr -> val
export const BY_POWER = 0x23; // | (2^64-1 - power) u64be | val -> 0x01 (unjailed, power > 0)
export const DELEGATION = 0x31; // | del | val -> shares (dec atomics, decimal)
export const DELEGATION_BY_VAL = 0x32; // | val | del -> 0x01
export const UBD = 0x41; // | del | val -> cosmos.staking.v1beta1.UnbondingDelegation
export const UBD_BY_VAL = 0x42; // | val | del -> 0x01
export const UBD_QUEUE = 0x43; // | completion time (12 bytes) | del | val -> 0x01
export const VAL_QUEUE = 0x44; // | unbonding time (12 bytes) | val -> 0x01

export const ONE = Uint8Array.of(1);
const MAX_U64 = (1n << 64n) - 1n;

export function key(table: number, ...parts: Uint8Array[]): Uint8Array {
  return concat(Uint8Array.of(table), ...parts);
}

/** Highest power first: the index stores MAX_U64 - power. */
export function powerKey(power: bigint, val: Uint8Array): Uint8Array {
  return key(BY_POWER, u64be(MAX_U64 - power), val);
}

/** [operator bytes, power] of a power-index key. */
export function parsePowerKey(k: Uint8Array): [Uint8Array, bigint] {
  return [k.slice(9), MAX_U64 - readU64(k, 1)];
}

export const ubdQueueKey = (t: Timestamp, del: Uint8Array, val: Uint8Array) => key(UBD_QUEUE, timeKey(t), del, val);
export const valQueueKey = (t: Timestamp, val: Uint8Array) => key(VAL_QUEUE, timeKey(t), val);

// A validator as the keeper handles it (bigint amounts, bytes keys) and its exact protobuf form
// (cosmos.staking.v1beta1.Validator, what the Validator query returns and what the store holds).
// Shares are LegacyDec atomics (value x 10^18); tokens are udpin.
import { i64 } from '../../chain/codec/proto.ts';
import { DEC_ONE, decFromWire, decToWire } from '../../chain/dec.ts';
import type { Timestamp } from '../../chain/context.ts';
import { PubKeySecp256k1, SECP256K1_PUBKEY_URL } from '../../chain/tx/types.ts';
import { addressBytesFromPubkey } from '../../chain/crypto/address.ts';
import { Validator as ValidatorCodec, BOND_STATUS, type DescriptionMsg, type ValidatorMsg, type ProtoTimestamp } from './types.ts';

/** Tokens per unit of consensus power (10^6 udpin = 1 DPIN = power 1). */
export const POWER_REDUCTION = 1_000_000n;

export type BondStatus = (typeof BOND_STATUS)[keyof typeof BOND_STATUS];

export interface Commission {
  rate: bigint;
  maxRate: bigint;
  maxChangeRate: bigint;
  updateTime: Timestamp;
}

export interface Validator {
  operator: string; // depinvaloper1...
  consPubKey: Uint8Array; // 33-byte compressed secp256k1
  jailed: boolean;
  status: BondStatus;
  tokens: bigint;
  shares: bigint; // total delegator shares, dec atomics
  description: DescriptionMsg;
  unbondingHeight: bigint;
  unbondingTime: Timestamp;
  commission: Commission;
  minSelfDelegation: bigint;
}

export function consAddress(v: Pick<Validator, 'consPubKey'>): Uint8Array {
  return addressBytesFromPubkey(v.consPubKey);
}

export function consensusPower(tokens: bigint): bigint {
  return tokens / POWER_REDUCTION;
}

/** Shares issued for `amount` tokens at the validator's exchange rate (truncated, as the SDK). */
export function sharesFromTokens(v: Validator, amount: bigint): bigint {
  if (v.shares === 0n) return amount * DEC_ONE;
  return (v.shares * amount) / v.tokens;
}

/** Tokens `shares` are worth (truncated: the chain never pays out more than it holds). */
export function tokensFromShares(v: Validator, shares: bigint): bigint {
  if (v.shares === 0n) return 0n;
  return (shares * v.tokens) / v.shares;
}

/** Slashed to zero tokens with shares outstanding: no exchange rate, nobody may delegate. */
export function invalidExRate(v: Validator): boolean {
  return v.tokens === 0n && v.shares > 0n;
}

export const ts = (t: ProtoTimestamp | null | undefined): Timestamp => ({ seconds: i64(t?.seconds), nanos: t?.nanos ?? 0 });
export const protoTs = (t: Timestamp): ProtoTimestamp => ({ seconds: t.seconds === 0n ? 0 : t.seconds.toString(), nanos: t.nanos });

export function pubKeyAny(pubkey: Uint8Array) {
  return { typeUrl: SECP256K1_PUBKEY_URL, value: PubKeySecp256k1.encode({ key: pubkey }) };
}

export function toProto(v: Validator): ValidatorMsg {
  return {
    operatorAddress: v.operator,
    consensusPubkey: pubKeyAny(v.consPubKey),
    jailed: v.jailed,
    status: v.status,
    tokens: v.tokens.toString(),
    delegatorShares: decToWire(v.shares),
    description: v.description,
    unbondingHeight: v.unbondingHeight.toString(),
    unbondingTime: protoTs(v.unbondingTime),
    commission: {
      commissionRates: { rate: decToWire(v.commission.rate), maxRate: decToWire(v.commission.maxRate), maxChangeRate: decToWire(v.commission.maxChangeRate) },
      updateTime: protoTs(v.commission.updateTime),
    },
    minSelfDelegation: v.minSelfDelegation.toString(),
    unbondingOnHoldRefCount: 0,
    unbondingIds: [],
  };
}

export function fromProto(m: ValidatorMsg): Validator {
  const rates = m.commission?.commissionRates;
  const d = m.description;
  return {
    operator: m.operatorAddress,
    consPubKey: PubKeySecp256k1.decode(m.consensusPubkey!.value).key,
    jailed: m.jailed,
    status: m.status as BondStatus,
    tokens: BigInt(m.tokens || '0'),
    shares: decFromWire(m.delegatorShares || '0'),
    description: { moniker: d?.moniker ?? '', identity: d?.identity ?? '', website: d?.website ?? '', securityContact: d?.securityContact ?? '', details: d?.details ?? '' },
    unbondingHeight: i64(m.unbondingHeight),
    unbondingTime: ts(m.unbondingTime),
    commission: {
      rate: decFromWire(rates?.rate || '0'),
      maxRate: decFromWire(rates?.maxRate || '0'),
      maxChangeRate: decFromWire(rates?.maxChangeRate || '0'),
      updateTime: ts(m.commission?.updateTime),
    },
    minSelfDelegation: BigInt(m.minSelfDelegation || '0'),
  };
}

export const encodeValidator = (v: Validator): Uint8Array => ValidatorCodec.encode(toProto(v));
export const decodeValidator = (b: Uint8Array): Validator => fromProto(ValidatorCodec.decode(b));


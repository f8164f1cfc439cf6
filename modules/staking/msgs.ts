// Staking messages: create/edit validator, delegate, undelegate. Redelegation is refused with a
// clear error (it needs redelegation entries that slashing can reach; not built yet).
import type { MsgDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { fromBech32, ACCOUNT_PREFIX, VALOPER_PREFIX, addressBytesFromPubkey } from '../../chain/crypto/address.ts';
import { publicKeyConvert } from '../../chain/crypto/secp256k1.ts';
import { coinFromProto, type Coin, type ProtoCoin } from '../../chain/coins.ts';
import { DEC_ONE, decFromWire, formatDec } from '../../chain/dec.ts';
import { ZERO_TIME, diffNanos } from '../../chain/time.ts';
import { ErrInvalidAddress, ErrInvalidRequest, ErrInvalidPubKey, ErrInvalidCoins, ErrNotSupported, SdkError } from '../../chain/errors.ts';
import { event } from '../../chain/events.ts';
import { PubKeySecp256k1, SECP256K1_PUBKEY_URL, type Any } from '../../chain/tx/types.ts';
import { StakingKeeper, operatorAccount } from './keeper.ts';
import { BOND_STATUS, type CommissionRatesMsg, type DescriptionMsg } from './types.ts';
import * as T from './types.ts';
import type { Validator } from './validator.ts';
import { protoTs } from './validator.ts';
import {
  ErrEmptyValidatorAddr, ErrEmptyDelegatorAddr, ErrNoValidatorFound, ErrValidatorOwnerExists, ErrValidatorPubKeyExists,
  ErrValidatorPubKeyTypeNotSupported, ErrEmptyValidatorPubKey, ErrCommissionNegative, ErrCommissionHuge, ErrCommissionGTMaxRate,
  ErrCommissionChangeRateNegative, ErrCommissionChangeRateGTMaxRate, ErrCommissionLTMinRate, ErrCommissionUpdateTime,
  ErrCommissionGTMaxChangeRate, ErrSelfDelegationBelowMinimum, ErrMinSelfDelegationDecreased,
} from './errors.ts';

export const DO_NOT_MODIFY = '[do-not-modify]';
const DESCRIPTION_LIMITS: [keyof DescriptionMsg, number][] = [['moniker', 70], ['identity', 3000], ['website', 140], ['securityContact', 140], ['details', 280]];
const DAY_NANOS = 86_400n * 1_000_000_000n;

function address(addr: string, prefix: string, empty: SdkError, field: string): Uint8Array {
  if (!addr) throw empty;
  let bytes: Uint8Array;
  try {
    bytes = fromBech32(addr, prefix);
  } catch (err) {
    throw ErrInvalidAddress.wrap(`invalid ${field}: ${(err as Error).message}`);
  }
  if (bytes.length !== 20) throw ErrInvalidAddress.wrap(`invalid ${field}: expected 20 bytes, got ${bytes.length}`);
  return bytes;
}

export const validatorAddress = (a: string) => address(a, VALOPER_PREFIX, ErrEmptyValidatorAddr, 'validator address');
export const delegatorAddress = (a: string) => address(a, ACCOUNT_PREFIX, ErrEmptyDelegatorAddr, 'delegator address');

function positiveCoin(c: ProtoCoin | null | undefined, what: string): Coin {
  if (!c) throw ErrInvalidRequest.wrap(`invalid ${what}: missing`);
  let coin: Coin;
  try {
    coin = coinFromProto(c);
  } catch (err) {
    throw ErrInvalidCoins.wrap(`invalid ${what}: ${(err as Error).message}`);
  }
  if (coin.amount <= 0n) throw ErrInvalidRequest.wrap(`invalid ${what}: must be positive`);
  return coin;
}

function bondCoin(ctx: Context, keeper: StakingKeeper, c: ProtoCoin | null | undefined, what: string): bigint {
  const coin = positiveCoin(c, what);
  const denom = keeper.bondDenom(ctx);
  if (coin.denom !== denom) throw ErrInvalidRequest.wrap(`invalid coin denomination: got ${coin.denom}, expected ${denom}`);
  return coin.amount;
}

function wireDec(s: string, what: string): bigint {
  try {
    return decFromWire(s);
  } catch (err) {
    throw ErrInvalidRequest.wrap(`invalid ${what}: ${(err as Error).message}`);
  }
}

function positiveInt(s: string, what: string): bigint {
  if (!/^[0-9]{1,78}$/.test(s)) throw ErrInvalidRequest.wrap(`${what} must be a positive integer, got ${JSON.stringify(s)}`);
  const n = BigInt(s);
  if (n <= 0n) throw ErrInvalidRequest.wrap(`${what} must be a positive integer`);
  return n;
}

export interface Rates {
  rate: bigint;
  maxRate: bigint;
  maxChangeRate: bigint;
}

/** CommissionRates.Validate of the SDK. */
export function checkRates(m: CommissionRatesMsg | null | undefined): Rates {
  if (!m || (!m.rate && !m.maxRate && !m.maxChangeRate)) throw ErrInvalidRequest.wrap('empty commission');
  const r = { rate: wireDec(m.rate || '0', 'commission rate'), maxRate: wireDec(m.maxRate || '0', 'commission max rate'), maxChangeRate: wireDec(m.maxChangeRate || '0', 'commission max change rate') };
  if (r.maxRate < 0n) throw ErrCommissionNegative.wrap('max rate');
  if (r.maxRate > DEC_ONE) throw ErrCommissionHuge;
  if (r.rate < 0n) throw ErrCommissionNegative;
  if (r.rate > r.maxRate) throw ErrCommissionGTMaxRate;
  if (r.maxChangeRate < 0n) throw ErrCommissionChangeRateNegative;
  if (r.maxChangeRate > r.maxRate) throw ErrCommissionChangeRateGTMaxRate;
  return r;
}

export function checkDescription(d: DescriptionMsg): DescriptionMsg {
  for (const [field, max] of DESCRIPTION_LIMITS) {
    const len = [...(d[field] ?? '')].length;
    if (len > max) throw ErrInvalidRequest.wrap(`invalid ${field} length; got: ${len}, max: ${max}`);
  }
  return d;
}

const normDescription = (d: DescriptionMsg | null | undefined): DescriptionMsg => ({
  moniker: d?.moniker ?? '', identity: d?.identity ?? '', website: d?.website ?? '', securityContact: d?.securityContact ?? '', details: d?.details ?? '',
});

/** Consensus keys are compressed secp256k1 points: the same key signs Ethereum checkpoints. */
export function consensusKey(any: Any | null | undefined): Uint8Array {
  if (!any || !any.typeUrl) throw ErrEmptyValidatorPubKey;
  if (any.typeUrl !== SECP256K1_PUBKEY_URL) {
    throw ErrValidatorPubKeyTypeNotSupported.wrap(`got: ${any.typeUrl}, expected: [${SECP256K1_PUBKEY_URL}] (consensus keys must be secp256k1: the same key signs Ethereum checkpoints)`);
  }
  let key: Uint8Array;
  try {
    key = PubKeySecp256k1.decode(any.value).key;
  } catch (err) {
    throw ErrInvalidPubKey.wrap(`cannot decode consensus pubkey: ${(err as Error).message}`);
  }
  if (key.length !== 33) throw ErrInvalidPubKey.wrap(`consensus pubkey must be a 33-byte compressed secp256k1 key, got ${key.length} bytes`);
  try {
    publicKeyConvert(key, false);
  } catch {
    throw ErrInvalidPubKey.wrap('consensus pubkey is not a point on secp256k1');
  }
  return Uint8Array.from(key);
}

export function stakingMsgs(keeper: StakingKeeper): MsgDef[] {
  const createValidator: MsgDef<T.MsgCreateValidatorMsg> = {
    typeUrl: T.MsgCreateValidator.typeUrl,
    codec: T.MsgCreateValidator,
    responseTypeUrl: T.MsgCreateValidatorResponse.typeUrl,
    signers: (m) => [operatorAccount(m.validatorAddress)],
    validateBasic(m) {
      const val = validatorAddress(m.validatorAddress);
      if (m.delegatorAddress && Buffer.compare(delegatorAddress(m.delegatorAddress), val) !== 0) {
        throw ErrInvalidAddress.wrap('delegator_address must be empty or the validator operator\'s own account');
      }
      consensusKey(m.pubkey);
      positiveCoin(m.value, 'delegation amount');
      const d = normDescription(m.description);
      if (!d.moniker && !d.identity && !d.website && !d.securityContact && !d.details) throw ErrInvalidRequest.wrap('empty description');
      checkDescription(d);
      checkRates(m.commission);
      const minSelf = positiveInt(m.minSelfDelegation, 'minimum self delegation');
      if (coinFromProto(m.value!).amount < minSelf) throw ErrSelfDelegationBelowMinimum.wrap(`self delegation ${m.value!.amount} is below min_self_delegation ${minSelf}`);
    },
    handle(ctx, m) {
      const params = keeper.params(ctx);
      const rates = checkRates(m.commission);
      if (rates.rate < params.minCommissionRate) throw ErrCommissionLTMinRate.wrap(`cannot set validator commission to less than minimum rate of ${formatDec(params.minCommissionRate)}`);
      if (keeper.validator(ctx, m.validatorAddress)) throw ErrValidatorOwnerExists;
      const pk = consensusKey(m.pubkey);
      if (keeper.validatorByConsAddr(ctx, addressBytesFromPubkey(pk))) throw ErrValidatorPubKeyExists;
      const amount = bondCoin(ctx, keeper, m.value, 'delegation amount');
      const minSelf = BigInt(m.minSelfDelegation);
      if (minSelf < params.minSelfDelegation) throw ErrSelfDelegationBelowMinimum.wrap(`min_self_delegation ${minSelf} is below the chain minimum ${params.minSelfDelegation}`);
      const v: Validator = {
        operator: m.validatorAddress, consPubKey: pk, jailed: false, status: BOND_STATUS.UNBONDED, tokens: 0n, shares: 0n,
        description: checkDescription(normDescription(m.description)), unbondingHeight: 0n, unbondingTime: ZERO_TIME,
        commission: { ...rates, updateTime: ctx.block.time }, minSelfDelegation: minSelf,
      };
      keeper.addValidator(ctx, v);
      keeper.delegate(ctx, operatorAccount(m.validatorAddress), v, amount);
      ctx.events.emit(event('create_validator', { validator: m.validatorAddress, amount: `${amount}${params.bondDenom}` }));
      return T.MsgCreateValidatorResponse.encode({});
    },
  };

  const editValidator: MsgDef<T.MsgEditValidatorMsg> = {
    typeUrl: T.MsgEditValidator.typeUrl,
    codec: T.MsgEditValidator,
    responseTypeUrl: T.MsgEditValidatorResponse.typeUrl,
    signers: (m) => [operatorAccount(m.validatorAddress)],
    validateBasic(m) {
      validatorAddress(m.validatorAddress);
      const d = normDescription(m.description);
      if (!d.moniker && !d.identity && !d.website && !d.securityContact && !d.details) throw ErrInvalidRequest.wrap('empty description');
      if (m.minSelfDelegation) positiveInt(m.minSelfDelegation, 'minimum self delegation');
      if (m.commissionRate) {
        const r = wireDec(m.commissionRate, 'commission rate');
        if (r < 0n || r > DEC_ONE) throw ErrInvalidRequest.wrap('commission rate must be between 0 and 1 (inclusive)');
      }
    },
    handle(ctx, m) {
      const v = keeper.validator(ctx, m.validatorAddress);
      if (!v) throw ErrNoValidatorFound.wrap(m.validatorAddress);
      const d = normDescription(m.description);
      for (const [field] of DESCRIPTION_LIMITS) if (d[field] !== DO_NOT_MODIFY) v.description[field] = d[field];
      checkDescription(v.description);
      if (m.commissionRate) {
        const rate = decFromWire(m.commissionRate);
        const params = keeper.params(ctx);
        if (diffNanos(ctx.block.time, v.commission.updateTime) < DAY_NANOS) throw ErrCommissionUpdateTime;
        if (rate < params.minCommissionRate) throw ErrCommissionLTMinRate.wrap(`cannot set validator commission to less than minimum rate of ${formatDec(params.minCommissionRate)}`);
        if (rate > v.commission.maxRate) throw ErrCommissionGTMaxRate;
        const change = rate > v.commission.rate ? rate - v.commission.rate : v.commission.rate - rate;
        if (change > v.commission.maxChangeRate) throw ErrCommissionGTMaxChangeRate;
        v.commission = { ...v.commission, rate, updateTime: ctx.block.time };
      }
      if (m.minSelfDelegation) {
        const minSelf = BigInt(m.minSelfDelegation);
        if (minSelf <= v.minSelfDelegation) throw ErrMinSelfDelegationDecreased;
        if (minSelf > v.tokens) throw ErrSelfDelegationBelowMinimum.wrap(`min_self_delegation ${minSelf} exceeds the validator's tokens ${v.tokens}`);
        v.minSelfDelegation = minSelf;
      }
      keeper.setValidator(ctx, v);
      ctx.events.emit(event('edit_validator', { commission_rate: formatDec(v.commission.rate), min_self_delegation: v.minSelfDelegation.toString() }));
      return T.MsgEditValidatorResponse.encode({});
    },
  };

  const delegate: MsgDef<T.MsgDelegateMsg> = {
    typeUrl: T.MsgDelegate.typeUrl,
    codec: T.MsgDelegate,
    responseTypeUrl: T.MsgDelegateResponse.typeUrl,
    signers: (m) => [m.delegatorAddress],
    validateBasic(m) {
      delegatorAddress(m.delegatorAddress);
      validatorAddress(m.validatorAddress);
      positiveCoin(m.amount, 'delegation amount');
    },
    handle(ctx, m) {
      const v = keeper.validator(ctx, m.validatorAddress);
      if (!v) throw ErrNoValidatorFound.wrap(m.validatorAddress);
      const amount = bondCoin(ctx, keeper, m.amount, 'delegation amount');
      const shares = keeper.delegate(ctx, m.delegatorAddress, v, amount);
      ctx.events.emit(event('delegate', { validator: m.validatorAddress, delegator: m.delegatorAddress, amount: `${amount}${m.amount!.denom}`, new_shares: formatDec(shares) })); // bondCoin checked the denom
      return T.MsgDelegateResponse.encode({});
    },
  };

  const undelegate: MsgDef<T.MsgDelegateMsg> = {
    typeUrl: T.MsgUndelegate.typeUrl,
    codec: T.MsgUndelegate,
    responseTypeUrl: T.MsgUndelegateResponse.typeUrl,
    signers: (m) => [m.delegatorAddress],
    validateBasic(m) {
      delegatorAddress(m.delegatorAddress);
      validatorAddress(m.validatorAddress);
      positiveCoin(m.amount, 'shares amount');
    },
    handle(ctx, m) {
      const amount = bondCoin(ctx, keeper, m.amount, 'shares amount');
      const res = keeper.undelegate(ctx, m.delegatorAddress, m.validatorAddress, amount);
      return T.MsgUndelegateResponse.encode({ completionTime: protoTs(res.completionTime), amount: { denom: m.amount!.denom, amount: res.amount.toString() } }); // = bond denom (bondCoin)
    },
  };

  const redelegate: MsgDef<T.MsgBeginRedelegateMsg> = {
    typeUrl: T.MsgBeginRedelegate.typeUrl,
    codec: T.MsgBeginRedelegate,
    responseTypeUrl: T.MsgBeginRedelegateResponse.typeUrl,
    signers: (m) => [m.delegatorAddress],
    validateBasic() {
      throw ErrNotSupported.wrap('redelegation is not supported on this chain yet: undelegate, wait for the unbonding period, then delegate');
    },
    handle() {
      throw ErrNotSupported.wrap('redelegation is not supported');
    },
  };

  return [createValidator, editValidator, delegate, undelegate, redelegate];
}

// Validators, delegations, unbonding delegations and the bonded set. Every token a delegator
// stakes sits in one of two module accounts: `bonded_tokens_pool` (tokens of bonded validators)
// or `not_bonded_tokens_pool` (tokens of unbonding/unbonded validators and of unbonding
// delegations), so the bank's supply always accounts for them; slashing burns from these pools.
// Iteration is always in store key order; nothing depends on wall-clock time.
import type { Context, Timestamp } from '../../chain/context.ts';
import type { ValidatorUpdate } from '../../chain/module.ts';
import { fromBech32, toBech32, ACCOUNT_PREFIX, VALOPER_PREFIX } from '../../chain/crypto/address.ts';
import { ErrInvalidRequest } from '../../chain/errors.ts';
import { event } from '../../chain/events.ts';
import { addDuration, compareTime, timeKey } from '../../chain/time.ts';
import { mulTruncate } from '../../chain/dec.ts';
import { i64 } from '../../chain/codec/proto.ts';
import { formatRfc3339 } from '../../chain/genesis.ts';
import { prefixEnd, type KVStore } from '../../chain/store/kv.ts';
import type { Coin } from '../../chain/coins.ts';
import type { Account } from '../auth/keeper.ts';
import { moduleAddress } from '../auth/keeper.ts';
import type { BankKeeperI } from '../bank/keeper.ts';
import {
  STORE, PARAMS, MIN_SELF_DELEGATION, LAST_POWER, VALIDATOR, BY_CONS, BY_POWER, DELEGATION, DELEGATION_BY_VAL, UBD, UBD_BY_VAL,
  UBD_QUEUE, VAL_QUEUE, ONE, key, powerKey, parsePowerKey, ubdQueueKey, valQueueKey,
} from './keys.ts';
import {
  POWER_REDUCTION, consAddress, consensusPower, sharesFromTokens, tokensFromShares, invalidExRate, encodeValidator, decodeValidator, ts, protoTs,
  type Validator,
} from './validator.ts';
import { Params as ParamsCodec, UnbondingDelegation as UbdCodec, BOND_STATUS, type UnbondingDelegationMsg } from './types.ts';
import { DEFAULT_STAKING_PARAMS, paramsFromMsg, paramsToMsg, validateParams, type StakingParams } from './params.ts';
import {
  ErrNoValidatorFound, ErrNoDelegation, ErrNotEnoughDelegationShares, ErrInsufficientShares, ErrMaxUnbondingDelegationEntries,
  ErrTinyRedelegationAmount, ErrDelegatorShareExRateInvalid,
} from './errors.ts';
import { bytesEqual } from '../../chain/codec/bytes.ts';

export const BONDED_POOL = 'bonded_tokens_pool';
export const NOT_BONDED_POOL = 'not_bonded_tokens_pool';
const POOL_PERMISSIONS = ['burner', 'staking'];

const enc = new TextEncoder();
const dec = new TextDecoder();

export const valBytes = (operator: string): Uint8Array => fromBech32(operator, VALOPER_PREFIX);
export const accBytes = (address: string): Uint8Array => fromBech32(address, ACCOUNT_PREFIX);
export const valoperOf = (bytes: Uint8Array): string => toBech32(VALOPER_PREFIX, bytes);
export const accountOf = (bytes: Uint8Array): string => toBech32(ACCOUNT_PREFIX, bytes);
/** The account that operates a validator: the same 20 bytes under the account prefix. */
export const operatorAccount = (operator: string): string => accountOf(valBytes(operator));

/** What staking needs from bank (pools are module accounts; slashing burns). */
export type StakingBankI = Pick<BankKeeperI, 'balance' | 'sendCoinsFromAccountToModule' | 'sendCoinsFromModuleToAccount' | 'sendCoinsFromModuleToModule' | 'burnCoins'>;

/** What staking needs from auth: the pools must be module accounts. */
export interface StakingAccountsI {
  getAccount(ctx: Context, address: string): Account | undefined;
  setAccount(ctx: Context, acc: Account): void;
  getOrCreateModuleAccount(ctx: Context, name: string, permissions?: string[]): unknown;
}

/** Callbacks other modules (slashing) register; a throw aborts the message that caused it. */
export interface StakingHooks {
  afterValidatorCreated?(ctx: Context, v: Validator): void;
  afterValidatorBonded?(ctx: Context, consAddr: Uint8Array, operator: string): void;
  afterValidatorRemoved?(ctx: Context, consAddr: Uint8Array, operator: string): void;
}

/** One member of the validator set consensus runs with. */
export interface BondedValidator {
  operator: string; // depinvaloper1...
  consPubKey: Uint8Array; // 33-byte compressed secp256k1 (also the Ethereum checkpoint signer)
  consAddress: Uint8Array; // 20 bytes, ripemd160(sha256(consPubKey)): CometBFT's validator address
  power: bigint;
}

/** The narrow interface other modules get (slashing; the Ethereum anchor reads the set). */
export interface StakingKeeperI {
  bondDenom(ctx: Context): string;
  /** The set as last handed to consensus (end block / genesis), by power descending, then
   * operator address ascending. Jailed validators leave it at the next end block. */
  bondedValidators(ctx: Context): BondedValidator[];
  validator(ctx: Context, operator: string): Validator | undefined;
  validatorByConsAddr(ctx: Context, consAddr: Uint8Array): Validator | undefined;
  /** Tokens `delegator`'s delegation to `operator` is worth now; undefined when there is none. */
  delegationTokens(ctx: Context, delegator: string, operator: string): bigint | undefined;
  /** Burns `fraction` (dec atomics, 10^18 = 100%) of the stake the validator had at
   * `infractionHeight` (given as consensus power), from its tokens and from unbonding
   * delegations that started at or after that height. Returns the udpin burned. */
  slash(ctx: Context, consAddr: Uint8Array, infractionHeight: bigint, power: bigint, fraction: bigint): bigint;
  jail(ctx: Context, consAddr: Uint8Array): void;
  unjail(ctx: Context, consAddr: Uint8Array): void;
}

export interface UnbondingEntry {
  creationHeight: bigint;
  completionTime: Timestamp;
  initialBalance: bigint;
  balance: bigint;
}

export interface UnbondingDelegation {
  delegator: string;
  validator: string;
  entries: UnbondingEntry[];
}

export function ubdToProto(u: UnbondingDelegation): UnbondingDelegationMsg {
  return {
    delegatorAddress: u.delegator,
    validatorAddress: u.validator,
    entries: u.entries.map((e) => ({
      creationHeight: e.creationHeight.toString(),
      completionTime: protoTs(e.completionTime),
      initialBalance: e.initialBalance.toString(),
      balance: e.balance.toString(),
    })),
  };
}

export function ubdFromProto(m: UnbondingDelegationMsg): UnbondingDelegation {
  return {
    delegator: m.delegatorAddress,
    validator: m.validatorAddress,
    entries: m.entries.map((e) => ({ creationHeight: i64(e.creationHeight), completionTime: ts(e.completionTime), initialBalance: BigInt(e.initialBalance), balance: BigInt(e.balance) })),
  };
}

const ascii = (n: bigint) => enc.encode(n.toString());
const fromAscii = (b: Uint8Array) => BigInt(dec.decode(b));

export class StakingKeeper implements StakingKeeperI {
  readonly bank: StakingBankI;
  readonly accounts: StakingAccountsI;
  private readonly hooks: StakingHooks[] = [];

  constructor(bank: StakingBankI, accounts: StakingAccountsI) {
    this.bank = bank;
    this.accounts = accounts;
  }

  addHooks(h: StakingHooks): void {
    this.hooks.push(h);
  }

  kv(ctx: Context): KVStore {
    return ctx.kv(STORE);
  }

  // ------------------------------------------------------------------ params

  params(ctx: Context): StakingParams {
    const kv = this.kv(ctx);
    const raw = kv.get(Uint8Array.of(PARAMS));
    if (!raw) return DEFAULT_STAKING_PARAMS;
    const floor = kv.get(Uint8Array.of(MIN_SELF_DELEGATION));
    return paramsFromMsg(ParamsCodec.decode(raw), floor ? fromAscii(floor) : DEFAULT_STAKING_PARAMS.minSelfDelegation);
  }

  setParams(ctx: Context, p: StakingParams): void {
    validateParams(p);
    const kv = this.kv(ctx);
    kv.set(Uint8Array.of(PARAMS), ParamsCodec.encode(paramsToMsg(p)));
    kv.set(Uint8Array.of(MIN_SELF_DELEGATION), ascii(p.minSelfDelegation));
  }

  bondDenom(ctx: Context): string {
    return this.params(ctx).bondDenom;
  }

  private coins(ctx: Context, amount: bigint): Coin[] {
    return [{ denom: this.bondDenom(ctx), amount }];
  }

  // ------------------------------------------------------------------ validators

  validator(ctx: Context, operator: string): Validator | undefined {
    return this.validatorByBytes(ctx, valBytes(operator));
  }

  validatorByBytes(ctx: Context, val: Uint8Array): Validator | undefined {
    const raw = this.kv(ctx).get(key(VALIDATOR, val));
    return raw ? decodeValidator(raw) : undefined;
  }

  validatorByConsAddr(ctx: Context, consAddr: Uint8Array): Validator | undefined {
    const val = this.kv(ctx).get(key(BY_CONS, consAddr));
    return val ? this.validatorByBytes(ctx, val) : undefined;
  }

  /** Unjailed validators with power > 0 compete for the set through the power index. */
  private static indexed(v: Validator): boolean {
    return !v.jailed && consensusPower(v.tokens) > 0n;
  }

  /** Writes a validator and keeps the power index in step with its tokens and jailed flag. */
  setValidator(ctx: Context, v: Validator): void {
    const kv = this.kv(ctx);
    const val = valBytes(v.operator);
    this.unindex(ctx, val);
    kv.set(key(VALIDATOR, val), encodeValidator(v));
    if (StakingKeeper.indexed(v)) kv.set(powerKey(consensusPower(v.tokens), val), ONE);
  }

  /** A new validator (create-validator or genesis): record, consensus-address index, hooks. */
  addValidator(ctx: Context, v: Validator): void {
    this.setValidator(ctx, v);
    this.kv(ctx).set(key(BY_CONS, consAddress(v)), valBytes(v.operator));
    for (const h of this.hooks) h.afterValidatorCreated?.(ctx, v);
  }

  /** Drops the power-index entry of the validator as STORED: callers hand in records they have
   * already changed (tokens, jailed), whose own power would name a different key. */
  private unindex(ctx: Context, val: Uint8Array): void {
    const kv = this.kv(ctx);
    const prevRaw = kv.get(key(VALIDATOR, val));
    if (!prevRaw) return;
    const prev = decodeValidator(prevRaw);
    if (StakingKeeper.indexed(prev)) kv.delete(powerKey(consensusPower(prev.tokens), val));
  }

  private removeValidator(ctx: Context, v: Validator): void {
    const kv = this.kv(ctx);
    const val = valBytes(v.operator);
    this.unindex(ctx, val);
    kv.delete(key(VALIDATOR, val));
    kv.delete(key(BY_CONS, consAddress(v)));
    for (const h of this.hooks) h.afterValidatorRemoved?.(ctx, consAddress(v), v.operator);
  }

  /** The power index, highest power first (ties: lower operator bytes): [operator bytes, power]. */
  *powerIndex(ctx: Context): Generator<[Uint8Array, bigint]> {
    const start = Uint8Array.of(BY_POWER);
    for (const [k] of this.kv(ctx).iterator(start, prefixEnd(start))) yield parsePowerKey(k);
  }

  *validators(ctx: Context): Generator<Validator> {
    const start = Uint8Array.of(VALIDATOR);
    for (const [, raw] of this.kv(ctx).iterator(start, prefixEnd(start))) yield decodeValidator(raw);
  }

  jail(ctx: Context, consAddr: Uint8Array): void {
    const v = this.validatorByConsAddr(ctx, consAddr);
    if (!v) throw ErrNoValidatorFound.wrap(`no validator with consensus address ${Buffer.from(consAddr).toString('hex').toUpperCase()}`);
    if (v.jailed) return;
    v.jailed = true;
    this.setValidator(ctx, v);
  }

  unjail(ctx: Context, consAddr: Uint8Array): void {
    const v = this.validatorByConsAddr(ctx, consAddr);
    if (!v) throw ErrNoValidatorFound.wrap(`no validator with consensus address ${Buffer.from(consAddr).toString('hex').toUpperCase()}`);
    if (!v.jailed) return;
    v.jailed = false;
    this.setValidator(ctx, v);
  }

  // ------------------------------------------------------------------ delegations

  delegationShares(ctx: Context, del: Uint8Array, val: Uint8Array): bigint | undefined {
    const raw = this.kv(ctx).get(key(DELEGATION, del, val));
    return raw ? fromAscii(raw) : undefined;
  }

  setDelegationShares(ctx: Context, del: Uint8Array, val: Uint8Array, shares: bigint): void {
    const kv = this.kv(ctx);
    if (shares === 0n) {
      kv.delete(key(DELEGATION, del, val));
      kv.delete(key(DELEGATION_BY_VAL, val, del));
    } else {
      kv.set(key(DELEGATION, del, val), ascii(shares));
      kv.set(key(DELEGATION_BY_VAL, val, del), ONE);
    }
  }

  delegationTokens(ctx: Context, delegator: string, operator: string): bigint | undefined {
    const v = this.validator(ctx, operator);
    const shares = v ? this.delegationShares(ctx, accBytes(delegator), valBytes(operator)) : undefined;
    return v && shares !== undefined ? tokensFromShares(v, shares) : undefined;
  }

  /** Moves `amount` from the delegator into the validator's pool and issues shares. */
  delegate(ctx: Context, delegator: string, v: Validator, amount: bigint): bigint {
    if (invalidExRate(v)) throw ErrDelegatorShareExRateInvalid.wrap(`validator ${v.operator} has no tokens left (slashed to zero)`);
    const newShares = sharesFromTokens(v, amount);
    if (newShares <= 0n) throw ErrInvalidRequest.wrap(`delegating ${amount} would issue no shares`);
    this.bank.sendCoinsFromAccountToModule(ctx, delegator, v.status === BOND_STATUS.BONDED ? BONDED_POOL : NOT_BONDED_POOL, this.coins(ctx, amount));
    v.tokens += amount;
    v.shares += newShares;
    this.setValidator(ctx, v);
    const del = accBytes(delegator);
    const val = valBytes(v.operator);
    this.setDelegationShares(ctx, del, val, (this.delegationShares(ctx, del, val) ?? 0n) + newShares);
    return newShares;
  }

  /** Removes shares from a delegation and the validator; returns the tokens they were worth
   * (still in the validator's pool: the caller moves them). */
  private unbond(ctx: Context, del: Uint8Array, v: Validator, shares: bigint): bigint {
    const val = valBytes(v.operator);
    const delShares = this.delegationShares(ctx, del, val);
    if (delShares === undefined) throw ErrNoDelegation.wrap(`no delegation from ${accountOf(del)} to ${v.operator}`);
    if (shares > delShares) throw ErrNotEnoughDelegationShares.wrap(`have ${delShares}, need ${shares}`);
    const remaining = delShares - shares;
    this.setDelegationShares(ctx, del, val, remaining);
    // An operator whose own stake falls below its promise is jailed (it leaves the set).
    if (bytesEqual(del, val) && !v.jailed && tokensFromShares(v, remaining) < v.minSelfDelegation) v.jailed = true;
    let amount: bigint;
    if (v.shares === shares) {
      amount = v.tokens; // the last shares take every remaining token, dust included
    } else {
      amount = tokensFromShares(v, shares);
    }
    v.tokens -= amount;
    v.shares -= shares;
    if (v.shares === 0n && v.status === BOND_STATUS.UNBONDED) this.removeValidator(ctx, v);
    else this.setValidator(ctx, v);
    return amount;
  }

  /** MsgUndelegate: the tokens leave the validator now and reach the delegator after the
   * unbonding period (block time), unless slashed for an infraction committed before. */
  undelegate(ctx: Context, delegator: string, operator: string, amount: bigint): { completionTime: Timestamp; amount: bigint } {
    const v = this.validator(ctx, operator);
    if (!v) throw ErrNoValidatorFound.wrap(operator);
    const del = accBytes(delegator);
    const val = valBytes(operator);
    const delShares = this.delegationShares(ctx, del, val);
    if (delShares === undefined) throw ErrNoDelegation.wrap(`no delegation from ${delegator} to ${operator}`);
    const params = this.params(ctx);
    const ubd = this.unbondingDelegation(ctx, del, val);
    if (ubd && ubd.entries.length >= params.maxEntries) throw ErrMaxUnbondingDelegationEntries.wrap(`${ubd.entries.length} entries, limit ${params.maxEntries}`);
    if (v.tokens === 0n) throw ErrInsufficientShares.wrap(`validator ${operator} has no tokens`);
    // Up to what the delegation is worth (what the Delegation query shows); exactly that closes it,
    // so truncation never strands dust shares.
    const worth = tokensFromShares(v, delShares);
    if (amount > worth) throw ErrInvalidRequest.wrap(`invalid shares amount: undelegating ${amount}${params.bondDenom} but the delegation is worth ${worth}${params.bondDenom}`);
    const shares = amount === worth ? delShares : sharesFromTokens(v, amount);
    const wasBonded = v.status === BOND_STATUS.BONDED;
    const returned = this.unbond(ctx, del, v, shares);
    if (returned === 0n) throw ErrTinyRedelegationAmount.wrap(`undelegating ${amount} returns no tokens`);
    if (wasBonded) this.bank.sendCoinsFromModuleToModule(ctx, BONDED_POOL, NOT_BONDED_POOL, this.coins(ctx, returned));
    const completionTime = addDuration(ctx.block.time, params.unbondingTime);
    this.addUnbondingEntry(ctx, delegator, operator, ctx.block.height, completionTime, returned);
    ctx.events.emit(event('unbond', { validator: operator, delegator, amount: `${returned}${params.bondDenom}`, completion_time: formatRfc3339(completionTime) }));
    return { completionTime, amount: returned };
  }

  // ------------------------------------------------------------------ unbonding delegations

  unbondingDelegation(ctx: Context, del: Uint8Array, val: Uint8Array): UnbondingDelegation | undefined {
    const raw = this.kv(ctx).get(key(UBD, del, val));
    return raw ? ubdFromProto(UbdCodec.decode(raw)) : undefined;
  }

  setUnbondingDelegation(ctx: Context, u: UnbondingDelegation): void {
    const kv = this.kv(ctx);
    const del = accBytes(u.delegator);
    const val = valBytes(u.validator);
    if (u.entries.length === 0) {
      kv.delete(key(UBD, del, val));
      kv.delete(key(UBD_BY_VAL, val, del));
    } else {
      kv.set(key(UBD, del, val), UbdCodec.encode(ubdToProto(u)));
      kv.set(key(UBD_BY_VAL, val, del), ONE);
    }
  }

  /** Adds an entry (merged with one of the same creation height and completion time, as the SDK)
   * and queues its maturity. */
  addUnbondingEntry(ctx: Context, delegator: string, operator: string, height: bigint, completionTime: Timestamp, amount: bigint): void {
    const del = accBytes(delegator);
    const val = valBytes(operator);
    const u = this.unbondingDelegation(ctx, del, val) ?? { delegator, validator: operator, entries: [] };
    const same = u.entries.find((e) => e.creationHeight === height && compareTime(e.completionTime, completionTime) === 0);
    if (same) {
      same.initialBalance += amount;
      same.balance += amount;
    } else {
      u.entries.push({ creationHeight: height, completionTime, initialBalance: amount, balance: amount });
    }
    this.setUnbondingDelegation(ctx, u);
    this.kv(ctx).set(ubdQueueKey(completionTime, del, val), ONE);
  }

  private *unbondingDelegationsTo(ctx: Context, val: Uint8Array): Generator<UnbondingDelegation> {
    const start = key(UBD_BY_VAL, val);
    const dels: Uint8Array[] = [];
    for (const [k] of this.kv(ctx).iterator(start, prefixEnd(start))) dels.push(k.slice(start.length));
    for (const del of dels) yield this.unbondingDelegation(ctx, del, val)!;
  }

  /** Pays out every unbonding entry whose completion time has been reached (block time). */
  completeMatureUnbondings(ctx: Context): void {
    const kv = this.kv(ctx);
    const now = ctx.block.time;
    const start = Uint8Array.of(UBD_QUEUE);
    const end = key(UBD_QUEUE, timeKey(addDuration(now, { seconds: 0n, nanos: 1 })));
    const due: Uint8Array[] = [];
    for (const [k] of kv.iterator(start, end)) due.push(k.slice());
    const seen = new Set<string>();
    const denom = this.bondDenom(ctx);
    for (const k of due) {
      kv.delete(k);
      const del = k.subarray(13, 33);
      const val = k.subarray(33, 53);
      const id = Buffer.from(k.subarray(13)).toString('latin1');
      if (seen.has(id)) continue;
      seen.add(id);
      const u = this.unbondingDelegation(ctx, del, val);
      if (!u) continue;
      const keep: UnbondingEntry[] = [];
      for (const e of u.entries) {
        if (compareTime(e.completionTime, now) > 0) {
          keep.push(e);
          continue;
        }
        if (e.balance > 0n) this.bank.sendCoinsFromModuleToAccount(ctx, NOT_BONDED_POOL, u.delegator, [{ denom, amount: e.balance }]);
        ctx.events.emit(event('complete_unbonding', { amount: `${e.balance}${denom}`, validator: u.validator, delegator: u.delegator }));
      }
      u.entries = keep;
      this.setUnbondingDelegation(ctx, u);
    }
  }

  // ------------------------------------------------------------------ the validator set

  lastPower(ctx: Context, val: Uint8Array): bigint | undefined {
    const raw = this.kv(ctx).get(key(LAST_POWER, val));
    return raw ? fromAscii(raw) : undefined;
  }

  setLastPower(ctx: Context, val: Uint8Array, power: bigint | undefined): void {
    if (power === undefined) this.kv(ctx).delete(key(LAST_POWER, val));
    else this.kv(ctx).set(key(LAST_POWER, val), ascii(power));
  }

  /** (operator bytes, power) of the set consensus currently has, in operator key order. */
  lastPowers(ctx: Context): [Uint8Array, bigint][] {
    const start = Uint8Array.of(LAST_POWER);
    const out: [Uint8Array, bigint][] = [];
    for (const [k, v] of this.kv(ctx).iterator(start, prefixEnd(start))) out.push([k.slice(1), fromAscii(v)]);
    return out;
  }

  bondedValidators(ctx: Context): BondedValidator[] {
    const out: BondedValidator[] = [];
    for (const [val, power] of this.lastPowers(ctx)) {
      const v = this.validatorByBytes(ctx, val)!;
      out.push({ operator: v.operator, consPubKey: v.consPubKey, consAddress: consAddress(v), power });
    }
    // Stable sort of a key-ordered list: ties keep operator address order.
    return out.sort((a, b) => (a.power === b.power ? 0 : a.power > b.power ? -1 : 1));
  }

  private bondValidator(ctx: Context, v: Validator): void {
    if (v.status === BOND_STATUS.UNBONDING) this.kv(ctx).delete(valQueueKey(v.unbondingTime, valBytes(v.operator)));
    v.status = BOND_STATUS.BONDED;
    this.setValidator(ctx, v);
    for (const h of this.hooks) h.afterValidatorBonded?.(ctx, consAddress(v), v.operator);
  }

  private beginUnbonding(ctx: Context, v: Validator): void {
    const params = this.params(ctx);
    v.status = BOND_STATUS.UNBONDING;
    v.unbondingHeight = ctx.block.height;
    v.unbondingTime = addDuration(ctx.block.time, params.unbondingTime);
    this.setValidator(ctx, v);
    this.kv(ctx).set(valQueueKey(v.unbondingTime, valBytes(v.operator)), ONE);
  }

  /**
   * The end-block set computation (the SDK's ApplyAndReturnValidatorSetUpdates): the top
   * max_validators of the power index (power descending, operator address ascending) are bonded;
   * bonded validators that dropped out start unbonding. Tokens follow between the pools. Returns
   * only changes: new or changed powers in power order, then removals (power 0) in address order.
   */
  applyValidatorSetUpdates(ctx: Context): ValidatorUpdate[] {
    const { maxValidators } = this.params(ctx);
    const last = new Map<string, [Uint8Array, bigint]>();
    for (const [val, power] of this.lastPowers(ctx)) last.set(Buffer.from(val).toString('latin1'), [val, power]);
    const top: Uint8Array[] = [];
    for (const [val] of this.powerIndex(ctx)) {
      if (top.length >= maxValidators) break;
      top.push(val);
    }
    const updates: ValidatorUpdate[] = [];
    let toBonded = 0n;
    let toNotBonded = 0n;
    for (const val of top) {
      const v = this.validatorByBytes(ctx, val)!;
      const power = consensusPower(v.tokens);
      if (v.status !== BOND_STATUS.BONDED) {
        toBonded += v.tokens;
        this.bondValidator(ctx, v);
      }
      const id = Buffer.from(val).toString('latin1');
      if (last.get(id)?.[1] !== power) {
        updates.push({ pubKey: v.consPubKey, power });
        this.setLastPower(ctx, val, power);
      }
      last.delete(id);
    }
    for (const [val] of last.values()) {
      const v = this.validatorByBytes(ctx, val)!;
      if (v.status === BOND_STATUS.BONDED) {
        toNotBonded += v.tokens;
        this.beginUnbonding(ctx, v);
      }
      this.setLastPower(ctx, val, undefined);
      updates.push({ pubKey: v.consPubKey, power: 0n });
    }
    if (toBonded > toNotBonded) this.bank.sendCoinsFromModuleToModule(ctx, NOT_BONDED_POOL, BONDED_POOL, this.coins(ctx, toBonded - toNotBonded));
    else if (toNotBonded > toBonded) this.bank.sendCoinsFromModuleToModule(ctx, BONDED_POOL, NOT_BONDED_POOL, this.coins(ctx, toNotBonded - toBonded));
    return updates;
  }

  /** Unbonding validators whose unbonding time has passed become unbonded (removed when no
   * delegation is left). */
  unbondMatureValidators(ctx: Context): void {
    const kv = this.kv(ctx);
    const now = ctx.block.time;
    const start = Uint8Array.of(VAL_QUEUE);
    const end = key(VAL_QUEUE, timeKey(addDuration(now, { seconds: 0n, nanos: 1 })));
    const due: Uint8Array[] = [];
    for (const [k] of kv.iterator(start, end)) due.push(k.slice());
    for (const k of due) {
      kv.delete(k);
      const v = this.validatorByBytes(ctx, k.subarray(13));
      if (!v || v.status !== BOND_STATUS.UNBONDING || compareTime(v.unbondingTime, now) > 0) continue;
      v.status = BOND_STATUS.UNBONDED;
      if (v.shares === 0n) this.removeValidator(ctx, v);
      else this.setValidator(ctx, v);
    }
  }

  endBlock(ctx: Context): ValidatorUpdate[] {
    const updates = this.applyValidatorSetUpdates(ctx);
    this.unbondMatureValidators(ctx);
    this.completeMatureUnbondings(ctx);
    return updates;
  }

  // ------------------------------------------------------------------ slashing

  slash(ctx: Context, consAddr: Uint8Array, infractionHeight: bigint, power: bigint, fraction: bigint): bigint {
    if (fraction < 0n) throw new Error('negative slash fraction');
    const v = this.validatorByConsAddr(ctx, consAddr);
    // Already slashed to nothing and removed, or never bonded: nothing to take.
    if (!v || v.status === BOND_STATUS.UNBONDED) return 0n;
    if (infractionHeight > ctx.block.height) return 0n; // cannot punish the future
    const slashAmount = mulTruncate(power * POWER_REDUCTION, fraction);
    let remaining = slashAmount;
    let burnedUnbonding = 0n;
    if (infractionHeight < ctx.block.height) {
      // Stake that started unbonding at or after the infraction was at stake when it happened.
      for (const u of [...this.unbondingDelegationsTo(ctx, valBytes(v.operator))]) {
        let changed = false;
        for (const e of u.entries) {
          if (e.creationHeight < infractionHeight || compareTime(e.completionTime, ctx.block.time) <= 0) continue;
          const due = mulTruncate(e.initialBalance, fraction);
          remaining -= due;
          const take = due < e.balance ? due : e.balance;
          if (take === 0n) continue;
          e.balance -= take;
          burnedUnbonding += take;
          changed = true;
        }
        if (changed) this.setUnbondingDelegation(ctx, u);
      }
      if (burnedUnbonding > 0n) this.bank.burnCoins(ctx, NOT_BONDED_POOL, this.coins(ctx, burnedUnbonding));
    }
    let fromValidator = remaining < v.tokens ? remaining : v.tokens;
    if (fromValidator < 0n) fromValidator = 0n;
    if (fromValidator > 0n) {
      const pool = v.status === BOND_STATUS.BONDED ? BONDED_POOL : NOT_BONDED_POOL;
      v.tokens -= fromValidator;
      this.setValidator(ctx, v);
      this.bank.burnCoins(ctx, pool, this.coins(ctx, fromValidator));
    }
    return fromValidator + burnedUnbonding;
  }

  // ------------------------------------------------------------------ pools

  /** Makes sure a pool is a module account. A genesis that funds a pool in bank.balances gets a
   * plain account created by bank first; it is converted here, keeping its account number (nobody
   * holds a key for sha256(name)[:20], so such an account can only come from genesis). */
  ensurePool(ctx: Context, name: string): void {
    const address = moduleAddress(name);
    const acc = this.accounts.getAccount(ctx, address);
    if (!acc) {
      this.accounts.getOrCreateModuleAccount(ctx, name, POOL_PERMISSIONS);
      return;
    }
    if (acc.module) return;
    if (acc.pubkey || acc.sequence !== 0n) throw new Error(`genesis: the ${name} address ${address} is a used account, not a module account`);
    this.accounts.setAccount(ctx, { ...acc, module: { name, permissions: POOL_PERMISSIONS } });
  }

  poolBalances(ctx: Context): { bonded: bigint; notBonded: bigint } {
    const denom = this.bondDenom(ctx);
    return { bonded: this.bank.balance(ctx, moduleAddress(BONDED_POOL), denom), notBonded: this.bank.balance(ctx, moduleAddress(NOT_BONDED_POOL), denom) };
  }
}


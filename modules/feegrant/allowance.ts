// The three standard fee allowances and their rules, as the SDK defines them (x/feegrant
// basic_fee.go, periodic_fee.go, filtered_fee.go): what a grantee may spend, until when, per
// period, and for which message types. Pure functions of (allowance, fee, block time, messages).
import { encodeCanonical } from '../../chain/codec/proto-json.ts';
import { i64 } from '../../chain/codec/proto.ts';
import { coinsFromProto, coinToProto, type Coin } from '../../chain/coins.ts';
import type { Timestamp } from '../../chain/context.ts';
import type { GasMeter } from '../../chain/gas.ts';
import { ErrInvalidCoins, ErrInvalidType, SdkError } from '../../chain/errors.ts';
import type { Any } from '../../chain/tx/types.ts';
import { ErrFeeLimitExceeded, ErrFeeLimitExpired, ErrInvalidDuration, ErrMessageNotAllowed, ErrNoAllowance, ErrNoMessages } from './errors.ts';
import * as T from './types.ts';

export interface Basic {
  kind: 'basic';
  /** Empty = no limit. */
  spendLimit: Coin[];
  expiration?: Timestamp;
}

export interface Periodic {
  kind: 'periodic';
  basic: Omit<Basic, 'kind'>;
  period: Timestamp; // a duration: seconds + nanos
  periodSpendLimit: Coin[];
  periodCanSpend: Coin[];
  periodReset: Timestamp;
}

export interface AllowedMsg {
  kind: 'allowed';
  allowance: Basic | Periodic;
  allowedMessages: string[];
}

export type Allowance = Basic | Periodic | AllowedMsg;

/** Gas per allowed-message comparison (the SDK's gasCostPerIteration). */
const GAS_PER_MSG_CHECK = 10;
const NANOS = 1_000_000_000n;

// ------------------------------------------------------------------ time

const toNanos = (t: Timestamp): bigint => t.seconds * NANOS + BigInt(t.nanos);
const fromNanos = (n: bigint): Timestamp => ({ seconds: n / NANOS, nanos: Number(n % NANOS) });
export const before = (a: Timestamp, b: Timestamp): boolean => toNanos(a) < toNanos(b);
export const addDuration = (t: Timestamp, d: Timestamp): Timestamp => fromNanos(toNanos(t) + toNanos(d));

// ------------------------------------------------------------------ coins

/** a - b per denom; undefined when any denom of b is missing from a or larger (SDK SafeSub). */
function safeSub(a: readonly Coin[], b: readonly Coin[]): Coin[] | undefined {
  const left = new Map(a.map((c) => [c.denom, c.amount]));
  for (const c of b) {
    const have = left.get(c.denom) ?? 0n;
    if (have < c.amount) return undefined;
    left.set(c.denom, have - c.amount);
  }
  return [...left.entries()].filter(([, v]) => v > 0n).sort(([x], [y]) => (x < y ? -1 : 1)).map(([denom, amount]) => ({ denom, amount }));
}

// ------------------------------------------------------------------ accept

export interface AcceptResult {
  /** The allowance is used up (or expired): delete it. */
  remove: boolean;
  /** The updated allowance to store when not removed. */
  updated: Allowance;
}

function acceptBasic(a: Basic, fee: readonly Coin[], now: Timestamp): AcceptResult {
  if (a.expiration && before(a.expiration, now)) throw ErrFeeLimitExpired.wrap('basic allowance');
  if (a.spendLimit.length === 0) return { remove: false, updated: a };
  const left = safeSub(a.spendLimit, fee);
  if (!left) throw ErrFeeLimitExceeded.wrap('basic allowance');
  return { remove: left.length === 0, updated: { ...a, spendLimit: left } };
}

function acceptPeriodic(a: Periodic, fee: readonly Coin[], now: Timestamp): AcceptResult {
  if (a.basic.expiration && before(a.basic.expiration, now)) throw ErrFeeLimitExpired.wrap('absolute limit');
  let p = a;
  if (!before(now, p.periodReset)) {
    // New period: can spend min(period limit, what is left overall).
    const overLimit = safeSub(p.basic.spendLimit, p.periodSpendLimit) === undefined;
    const canSpend = overLimit && p.basic.spendLimit.length > 0 ? p.basic.spendLimit : p.periodSpendLimit;
    let reset = addDuration(p.periodReset, p.period);
    if (before(reset, now)) reset = addDuration(now, p.period);
    p = { ...p, periodCanSpend: canSpend, periodReset: reset };
  }
  const periodLeft = safeSub(p.periodCanSpend, fee);
  if (!periodLeft) throw ErrFeeLimitExceeded.wrap('period limit');
  p = { ...p, periodCanSpend: periodLeft };
  if (p.basic.spendLimit.length > 0) {
    const left = safeSub(p.basic.spendLimit, fee);
    if (!left) throw ErrFeeLimitExceeded.wrap('absolute limit');
    return { remove: left.length === 0, updated: { ...p, basic: { ...p.basic, spendLimit: left } } };
  }
  return { remove: false, updated: p };
}

/** Would this allowance pay `fee` for a tx with these message type URLs at block time `now`?
 * Throws the SDK's error when not; otherwise returns the allowance after spending. */
export function accept(a: Allowance, fee: readonly Coin[], now: Timestamp, msgTypeUrls: readonly string[], gas: GasMeter): AcceptResult {
  switch (a.kind) {
    case 'basic':
      return acceptBasic(a, fee, now);
    case 'periodic':
      return acceptPeriodic(a, fee, now);
    case 'allowed': {
      gas.consume(GAS_PER_MSG_CHECK * a.allowedMessages.length, 'check msg');
      for (const url of msgTypeUrls) {
        gas.consume(GAS_PER_MSG_CHECK, 'check msg');
        if (!a.allowedMessages.includes(url)) throw ErrMessageNotAllowed.wrap('message does not exist in allowed messages');
      }
      const inner = a.allowance.kind === 'basic' ? acceptBasic(a.allowance, fee, now) : acceptPeriodic(a.allowance, fee, now);
      return { remove: inner.remove, updated: { ...a, allowance: inner.updated as Basic | Periodic } };
    }
  }
}

export function expiresAt(a: Allowance): Timestamp | undefined {
  if (a.kind === 'basic') return a.expiration;
  if (a.kind === 'periodic') return a.basic.expiration;
  return expiresAt(a.allowance);
}

/** At grant time a periodic allowance's first period starts now (SDK UpdatePeriodReset). */
export function startPeriod(a: Allowance, now: Timestamp): Allowance {
  if (a.kind === 'periodic') return { ...a, periodReset: addDuration(now, a.period) };
  if (a.kind === 'allowed') return { ...a, allowance: startPeriod(a.allowance, now) as Basic | Periodic };
  return a;
}

// ------------------------------------------------------------------ validation

function validateBasic(a: Omit<Basic, 'kind'>): void {
  for (const c of a.spendLimit) if (c.amount <= 0n) throw ErrInvalidCoins.wrap('spend limit must be positive');
  if (a.expiration && a.expiration.seconds < 0n) throw ErrInvalidDuration.wrap('expiration time cannot be negative');
}

/** The SDK's ValidateBasic of each allowance type. */
export function validateAllowance(a: Allowance): void {
  switch (a.kind) {
    case 'basic':
      return validateBasic(a);
    case 'periodic': {
      validateBasic(a.basic);
      if (a.periodSpendLimit.length === 0 || a.periodSpendLimit.some((c) => c.amount <= 0n)) throw ErrInvalidCoins.wrap('spend limit must be positive');
      if (a.basic.spendLimit.length > 0 && !a.periodSpendLimit.every((c) => a.basic.spendLimit.some((s) => s.denom === c.denom))) {
        throw ErrInvalidCoins.wrap('period spend limit has different currency than basic spend limit');
      }
      if (a.period.seconds < 0n || a.period.nanos < 0) throw ErrInvalidDuration.wrap('negative clock step');
      return;
    }
    case 'allowed':
      if (a.allowedMessages.length === 0) throw ErrNoMessages.wrap("allowed messages shouldn't be empty");
      return validateAllowance(a.allowance);
  }
}

// ------------------------------------------------------------------ codec

const ts = (t: { seconds: unknown; nanos?: number | null } | null | undefined): Timestamp | undefined =>
  t ? { seconds: i64(t.seconds as never), nanos: t.nanos ?? 0 } : undefined;
const tsMsg = (t: Timestamp | undefined) => (t ? { seconds: t.seconds.toString(), nanos: t.nanos } : undefined);

function coinsOrThrow(list: T.BasicAllowanceMsg['spendLimit'] | null | undefined): Coin[] {
  // The SDK validates with Coins.IsValid (sorted, no duplicates); zero amounts are reported by
  // ValidateBasic as "must be positive", so parse them leniently here.
  return (list ?? []).map((c) => ({ denom: c.denom, amount: BigInt(c.amount || '0') }))
    .map((c, i, all) => {
      if (i > 0 && all[i - 1]!.denom >= c.denom) throw ErrInvalidCoins.wrap(`denomination ${c.denom} is not sorted or is duplicated`);
      coinsFromProto([{ denom: c.denom, amount: '1' }]); // denom syntax
      return c;
    });
}

function basicFromMsg(m: T.BasicAllowanceMsg | null | undefined): Omit<Basic, 'kind'> {
  return { spendLimit: coinsOrThrow(m?.spendLimit), expiration: ts(m?.expiration) };
}

export function allowanceFromAny(any: Any | null | undefined, depth = 0): Allowance {
  if (!any) throw ErrNoAllowance.wrap('allowance should not be empty');
  try {
    switch (any.typeUrl) {
      case T.BASIC_ALLOWANCE_URL:
        return { kind: 'basic', ...basicFromMsg(T.BasicAllowance.decode(any.value)) };
      case T.PERIODIC_ALLOWANCE_URL: {
        const m = T.PeriodicAllowance.decode(any.value);
        return {
          kind: 'periodic',
          basic: basicFromMsg(m.basic),
          period: ts(m.period) ?? { seconds: 0n, nanos: 0 },
          periodSpendLimit: coinsOrThrow(m.periodSpendLimit),
          periodCanSpend: coinsOrThrow(m.periodCanSpend),
          periodReset: ts(m.periodReset) ?? { seconds: 0n, nanos: 0 },
        };
      }
      case T.ALLOWED_MSG_ALLOWANCE_URL: {
        if (depth > 0) throw ErrInvalidType.wrap('an AllowedMsgAllowance cannot wrap another AllowedMsgAllowance');
        const m = T.AllowedMsgAllowance.decode(any.value);
        const inner = allowanceFromAny(m.allowance, depth + 1);
        return { kind: 'allowed', allowance: inner as Basic | Periodic, allowedMessages: [...m.allowedMessages] };
      }
    }
  } catch (err) {
    if (err instanceof SdkError) throw err;
    throw ErrInvalidType.wrap(`cannot decode ${any.typeUrl}: ${(err as Error).message}`);
  }
  throw ErrInvalidType.wrap(`${any.typeUrl} is not a fee allowance (want BasicAllowance, PeriodicAllowance or AllowedMsgAllowance)`);
}

function basicMsg(b: Omit<Basic, 'kind'>) {
  return { spendLimit: b.spendLimit.map(coinToProto), expiration: tsMsg(b.expiration) };
}

export function allowanceToAny(a: Allowance): Any {
  switch (a.kind) {
    case 'basic':
      return { typeUrl: T.BASIC_ALLOWANCE_URL, value: encodeCanonical(T.BasicAllowance.type, basicMsg(a)) };
    case 'periodic':
      return {
        typeUrl: T.PERIODIC_ALLOWANCE_URL,
        value: encodeCanonical(T.PeriodicAllowance.type, {
          basic: basicMsg(a.basic),
          period: tsMsg(a.period),
          periodSpendLimit: a.periodSpendLimit.map(coinToProto),
          periodCanSpend: a.periodCanSpend.map(coinToProto),
          periodReset: tsMsg(a.periodReset),
        }),
      };
    case 'allowed':
      return { typeUrl: T.ALLOWED_MSG_ALLOWANCE_URL, value: encodeCanonical(T.AllowedMsgAllowance.type, { allowance: allowanceToAny(a.allowance), allowedMessages: a.allowedMessages }) };
  }
}


// Token amounts. Amounts are bigint from the wire (decimal strings in protobuf Coin) to state and
// back; there is no code path through `number`, so precision loss or number/bigint mixing cannot
// happen.
import { ErrInvalidCoins } from './errors.ts';

export interface Coin {
  denom: string;
  amount: bigint;
}

/** The protobuf wire shape of cosmos.base.v1beta1.Coin. */
export interface ProtoCoin {
  denom: string;
  amount: string;
}

const DENOM_RE = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;
const AMOUNT_RE = /^[0-9]{1,78}$/; // < 2^256, like sdk.Int

export function validateDenom(denom: string): void {
  if (!DENOM_RE.test(denom)) throw ErrInvalidCoins.wrap(`invalid denom: ${JSON.stringify(denom)}`);
}

export function parseAmount(amount: string): bigint {
  if (!AMOUNT_RE.test(amount)) throw ErrInvalidCoins.wrap(`invalid amount: ${JSON.stringify(amount)}`);
  return BigInt(amount);
}

export function coinFromProto(c: ProtoCoin): Coin {
  validateDenom(c.denom);
  return { denom: c.denom, amount: parseAmount(c.amount) };
}

export function coinToProto(c: Coin): ProtoCoin {
  return { denom: c.denom, amount: c.amount.toString() };
}

/**
 * Parses a list of coins the way sdk.Coins.Validate requires: denoms valid, strictly sorted
 * (hence no duplicates), every amount positive. Empty lists are allowed where the caller allows.
 */
export function coinsFromProto(list: readonly ProtoCoin[] | null | undefined): Coin[] {
  const out: Coin[] = [];
  for (const c of list ?? []) {
    const coin = coinFromProto(c);
    if (coin.amount <= 0n) throw ErrInvalidCoins.wrap(`coin ${coin.amount}${coin.denom} amount is not positive`);
    const prev = out[out.length - 1];
    if (prev && prev.denom >= coin.denom) throw ErrInvalidCoins.wrap(`denomination ${coin.denom} is not sorted or is duplicated`);
    out.push(coin);
  }
  return out;
}

export function formatCoins(coins: readonly Coin[]): string {
  return coins.map((c) => `${c.amount}${c.denom}`).join(',');
}

export function parseCoins(s: string): Coin[] {
  if (s.trim() === '') return [];
  const coins = s.split(',').map((part) => {
    const m = /^\s*([0-9]+)\s*([a-zA-Z][a-zA-Z0-9/:._-]{2,127})\s*$/.exec(part);
    if (!m) throw ErrInvalidCoins.wrap(`invalid coin expression: ${JSON.stringify(part)}`);
    return { denom: m[2]!, amount: BigInt(m[1]!) };
  });
  coins.sort((a, b) => (a.denom < b.denom ? -1 : a.denom > b.denom ? 1 : 0));
  return coinsFromProto(coins.map(coinToProto));
}

/** A decimal gas price such as 0.025udpin, kept as an exact fraction. */
export interface GasPrice {
  denom: string;
  numerator: bigint;
  denominator: bigint;
}

export function parseGasPrice(s: string): GasPrice {
  const m = /^\s*([0-9]+)(?:\.([0-9]{1,18}))?\s*([a-zA-Z][a-zA-Z0-9/:._-]{2,127})\s*$/.exec(s);
  if (!m) throw new Error(`invalid gas price ${JSON.stringify(s)} (expected e.g. 0.025udpin)`);
  const frac = m[2] ?? '';
  return { denom: m[3]!, numerator: BigInt(m[1]! + frac), denominator: 10n ** BigInt(frac.length) };
}

export function formatGasPrice(p: GasPrice): string {
  const scale = p.denominator.toString().length - 1;
  const digits = p.numerator.toString().padStart(scale + 1, '0');
  return scale === 0 ? `${digits}${p.denom}` : `${digits.slice(0, -scale)}.${digits.slice(-scale)}${p.denom}`;
}

/** ceil(price × gas): the smallest fee a validator accepts for `gas`. */
export function requiredFee(p: GasPrice, gas: bigint): bigint {
  return (p.numerator * gas + p.denominator - 1n) / p.denominator;
}

export function amountOf(coins: readonly Coin[], denom: string): bigint {
  for (const c of coins) if (c.denom === denom) return c.amount;
  return 0n;
}

// Fixed-point decimals with 18 fractional digits, the Cosmos SDK's LegacyDec: a value is kept as
// its "atomics" (value x 10^18) in a bigint, which is also its protobuf wire form (the decimal
// digits of the atomics). Shares, commission rates and slash fractions use it; no floats anywhere.

export const DEC_PRECISION = 18;
export const DEC_ONE = 10n ** 18n;

const WIRE_RE = /^-?[0-9]{1,96}$/;
const HUMAN_RE = /^(-?)([0-9]{1,78})(?:\.([0-9]{1,18}))?$/;

/** Parses the wire form (atomics digits, e.g. "50000000000000000" = 0.05). */
export function decFromWire(s: string): bigint {
  if (!WIRE_RE.test(s)) throw new Error(`invalid decimal ${JSON.stringify(s)} (expected the digits of value x 10^18)`);
  return BigInt(s);
}

export function decToWire(atomics: bigint): string {
  return atomics.toString();
}

/** Parses a human decimal ("0.05", "1", "10000000.000000000000000000") into atomics. */
export function parseDec(s: string): bigint {
  const m = HUMAN_RE.exec(s.trim());
  if (!m) throw new Error(`invalid decimal ${JSON.stringify(s)} (at most 18 fractional digits)`);
  const v = BigInt(m[2]!) * DEC_ONE + BigInt((m[3] ?? '').padEnd(18, '0'));
  return m[1] === '-' ? -v : v;
}

/** The SDK's JSON form: always 18 fractional digits ("0.050000000000000000"). */
export function formatDec(atomics: bigint): string {
  const neg = atomics < 0n;
  const a = neg ? -atomics : atomics;
  return `${neg ? '-' : ''}${a / DEC_ONE}.${(a % DEC_ONE).toString().padStart(18, '0')}`;
}

/** floor(amount x dec) for amount >= 0, dec >= 0: slash amounts, token <-> share conversions. */
export function mulTruncate(amount: bigint, atomics: bigint): bigint {
  return (amount * atomics) / DEC_ONE;
}

/** amount x dec rounded to the nearest integer, ties to even (LegacyDec.RoundInt64). */
export function mulRoundHalfEven(amount: bigint, atomics: bigint): bigint {
  const p = amount * atomics;
  const q = p / DEC_ONE;
  const r = p % DEC_ONE;
  const twice = 2n * r;
  if (twice > DEC_ONE || (twice === DEC_ONE && q % 2n === 1n)) return q + 1n;
  return q;
}

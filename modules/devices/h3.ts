// H3 cell indexes as 64-bit integers, with integer operations only (the state machine must not
// touch floating point). Layout of an H3 cell index, from the high bit:
//   1 reserved bit (0) | 4 bits mode (1 = cell) | 3 reserved bits (0) | 4 bits resolution |
//   7 bits base cell (0..121) | 15 digits of 3 bits, digit 1 first; digits past the resolution are 7.
// Validation follows H3's isValidCell, including the pentagon rule (no deleted k-axes subsequence).
// Cross-checked against h3-js in h3.test.ts.

export const LOCATION_RESOLUTION = 12;
const MAX_RES = 15;
const NUM_BASE_CELLS = 122n;
const CELL_MODE = 1n;
const K_AXES_DIGIT = 1n;
const INVALID_DIGIT = 7n;
const MASK64 = (1n << 64n) - 1n;

/** The 12 pentagonal base cells. */
const PENTAGONS = new Set([4n, 14n, 24n, 38n, 49n, 58n, 63n, 72n, 83n, 97n, 107n, 117n]);

const modeOf = (h: bigint) => (h >> 59n) & 0xfn;
export const resolutionOf = (h: bigint): number => Number((h >> 52n) & 0xfn);
export const baseCellOf = (h: bigint): bigint => (h >> 45n) & 0x7fn;
const digitShift = (r: number) => BigInt((MAX_RES - r) * 3);
export const digitOf = (h: bigint, r: number): bigint => (h >> digitShift(r)) & 7n;

function setDigit(h: bigint, r: number, d: bigint): bigint {
  const s = digitShift(r);
  return (h & ~(7n << s) & MASK64) | (d << s);
}

function setResolution(h: bigint, res: number): bigint {
  return (h & ~(0xfn << 52n) & MASK64) | (BigInt(res) << 52n);
}

/** H3 isValidCell on a uint64. */
export function isValidCell(h: bigint): boolean {
  if (h <= 0n || h > MASK64) return false;
  if (h >> 63n) return false;
  if (modeOf(h) !== CELL_MODE) return false;
  if ((h >> 56n) & 7n) return false;
  const base = baseCellOf(h);
  if (base >= NUM_BASE_CELLS) return false;
  const res = resolutionOf(h);
  let firstNonZero = 0n;
  for (let r = 1; r <= res; r++) {
    const d = digitOf(h, r);
    if (d === INVALID_DIGIT) return false;
    if (firstNonZero === 0n && d !== 0n) firstNonZero = d;
  }
  for (let r = res + 1; r <= MAX_RES; r++) if (digitOf(h, r) !== INVALID_DIGIT) return false;
  if (PENTAGONS.has(base) && firstNonZero === K_AXES_DIGIT) return false;
  return true;
}

/** The ancestor of a cell at a coarser resolution (H3 cellToParent). */
export function cellToParent(h: bigint, parentRes: number): bigint {
  const res = resolutionOf(h);
  if (parentRes < 0 || parentRes > res) throw new Error(`parent resolution ${parentRes} must be within 0..${res}`);
  let p = setResolution(h, parentRes);
  for (let r = parentRes + 1; r <= res; r++) p = setDigit(p, r, INVALID_DIGIT);
  return p;
}

/** Inclusive bounds [lo, hi] of every index at `childRes` under `h`: with the resolution field
 * fixed, a cell's descendants share all higher bits, so they form one contiguous integer range
 * (which is what makes "devices inside this cell" a single range scan of the location index). */
export function descendantRange(h: bigint, childRes: number = LOCATION_RESOLUTION): [bigint, bigint] {
  const res = resolutionOf(h);
  if (childRes < res) throw new Error(`child resolution ${childRes} is coarser than the cell's ${res}`);
  let lo = setResolution(h, childRes);
  let hi = lo;
  for (let r = res + 1; r <= childRes; r++) {
    lo = setDigit(lo, r, 0n);
    hi = setDigit(hi, r, 6n);
  }
  return [lo, hi];
}

export function cellToString(h: bigint): string {
  return h.toString(16);
}

/** Accepts the H3 string form (hex) or a decimal uint64. */
export function parseCell(s: string): bigint {
  const t = s.trim();
  if (/^[0-9]+$/.test(t) && t.length > 16) return BigInt(t); // decimal uint64 (hex cells are 15 chars)
  if (/^(0x)?[0-9a-fA-F]{1,16}$/.test(t)) return BigInt(t.startsWith('0x') ? t : '0x' + t);
  throw new Error(`invalid H3 cell ${JSON.stringify(s)} (hex like 8c2a1072b59ffff, or a decimal uint64)`);
}

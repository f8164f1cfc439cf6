// CometBFT's weighted round-robin proposer selection, in bigint so every node computes the same
// proposer bit for bit. Each step adds every validator's voting power to its priority, elects the
// validator with the highest priority (ties: the smaller address) and subtracts the total power from
// it. Over any window of `total` steps a validator is elected about `power` times.
//
// Before a batch of steps the priorities are rescaled (so max - min <= 2 * total, dividing by an
// integer ratio, truncating toward zero like Go's int64 division) and centred (subtracting the
// average, rounded toward -inf like Go's big.Int Div). Values are clipped to int64, as in CometBFT.

export const INT64_MAX = (1n << 63n) - 1n;
export const INT64_MIN = -(1n << 63n);
/** CometBFT's MaxTotalVotingPower: small enough that priorities never clip in practice. */
export const MAX_TOTAL_VOTING_POWER = INT64_MAX / 8n;
/** Priorities are kept within PRIORITY_WINDOW_SIZE_FACTOR * total of each other. */
export const PRIORITY_WINDOW_SIZE_FACTOR = 2n;

export interface PriorityEntry {
  readonly address: Uint8Array;
  readonly votingPower: bigint;
  proposerPriority: bigint;
}

function clip(v: bigint): bigint {
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}

/** Floor division for a positive divisor (Go's big.Int Div is Euclidean, which is floor here). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

export function totalPower(entries: readonly PriorityEntry[]): bigint {
  let t = 0n;
  for (const e of entries) t += e.votingPower;
  return t;
}

/** Divides all priorities by ceil(diff / diffMax) when their spread exceeds diffMax. */
export function rescalePriorities(entries: PriorityEntry[], diffMax: bigint): void {
  if (entries.length === 0 || diffMax <= 0n) return;
  let max = INT64_MIN;
  let min = INT64_MAX;
  for (const e of entries) {
    if (e.proposerPriority > max) max = e.proposerPriority;
    if (e.proposerPriority < min) min = e.proposerPriority;
  }
  const diff = max - min;
  if (diff <= diffMax) return;
  const ratio = (diff + diffMax - 1n) / diffMax;
  for (const e of entries) e.proposerPriority = e.proposerPriority / ratio; // bigint `/` truncates toward zero, as Go
}

/** Subtracts the (floored) average priority from every priority, centring them around zero. */
export function shiftByAveragePriority(entries: PriorityEntry[]): void {
  if (entries.length === 0) return;
  let sum = 0n;
  for (const e of entries) sum += e.proposerPriority;
  const avg = floorDiv(sum, BigInt(entries.length));
  for (const e of entries) e.proposerPriority = clip(e.proposerPriority - avg);
}

/** Index of the highest priority; equal priorities go to the lexicographically smaller address. */
export function indexOfMostPriority(entries: readonly PriorityEntry[]): number {
  let best = 0;
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i]!;
    const b = entries[best]!;
    if (a.proposerPriority > b.proposerPriority || (a.proposerPriority === b.proposerPriority && Buffer.compare(a.address, b.address) < 0)) best = i;
  }
  return best;
}

/** One election step; returns the elected index. */
export function incrementOnce(entries: PriorityEntry[], total: bigint): number {
  for (const e of entries) e.proposerPriority = clip(e.proposerPriority + e.votingPower);
  const i = indexOfMostPriority(entries);
  entries[i]!.proposerPriority = clip(entries[i]!.proposerPriority - total);
  return i;
}

/** Normalises the window once, then runs `times` election steps; returns the last elected index. */
export function incrementProposerPriority(entries: PriorityEntry[], times: number): number {
  if (entries.length === 0) throw new Error('empty validator set');
  if (!Number.isInteger(times) || times <= 0) throw new Error(`increment times must be a positive integer, got ${times}`);
  const total = totalPower(entries);
  rescalePriorities(entries, PRIORITY_WINDOW_SIZE_FACTOR * total);
  shiftByAveragePriority(entries);
  let proposer = -1;
  for (let i = 0; i < times; i++) proposer = incrementOnce(entries, total);
  return proposer;
}

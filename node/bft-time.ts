// BFT time (CometBFT's pre-PBTS rule): a block's time is the voting-power-weighted median of the
// precommit timestamps in its last commit, so no coalition under 1/3 of the power can move it
// outside the range of honest clocks, and no proposer's raw clock decides it. Validators sign
// their votes no earlier than 1 ms after the block they vote on (voteTime), so the median of the
// next commit, and therefore the next block's time, strictly increases. The first block has no
// last commit: its time is the genesis time + 1 ns.
import type { Timestamp } from '../chain/context.ts';
import { i64 } from '../chain/codec/proto.ts';
import { BLOCK_ID_FLAG_ABSENT, type Commit, type ProtoTimestamp } from './store/block-types.ts';
import type { ValidatorSet } from './consensus/validator-set.ts';

const NANOS = 1_000_000_000n;

export function toNanos(t: Timestamp): bigint {
  return t.seconds * NANOS + BigInt(t.nanos);
}

export function fromNanos(n: bigint): Timestamp {
  return { seconds: n / NANOS, nanos: Number(n % NANOS) };
}

export function protoTime(t: ProtoTimestamp | null | undefined): Timestamp {
  return { seconds: i64(t?.seconds), nanos: t?.nanos ?? 0 };
}

export function compareTime(a: Timestamp, b: Timestamp): number {
  const d = toNanos(a) - toNanos(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function addNanos(t: Timestamp, n: bigint): Timestamp {
  return fromNanos(toNanos(t) + n);
}

/** The first block's time. */
export function firstBlockTime(genesisTime: Timestamp): Timestamp {
  return addNanos(genesisTime, 1n);
}

/**
 * CometBFT's MedianTime: the timestamps of every present precommit (for the block or nil), each
 * weighted by its validator's power in `valSet` (the set that signed `commit`, in its order),
 * sorted; the result is the first timestamp at which the running weight reaches half the present
 * power (integer half, as CometBFT). Throws on a commit that does not match the set's size.
 */
export function medianTime(commit: Commit, valSet: ValidatorSet): Timestamp {
  const sigs = commit.signatures ?? [];
  if (sigs.length !== valSet.size) throw new Error(`median time: ${sigs.length} signatures for ${valSet.size} validators`);
  const weighted: { t: bigint; w: bigint }[] = [];
  let total = 0n;
  sigs.forEach((s, i) => {
    if (s.blockIdFlag === BLOCK_ID_FLAG_ABSENT) return;
    const w = valSet.validators[i]!.votingPower;
    total += w;
    weighted.push({ t: toNanos(protoTime(s.timestamp)), w });
  });
  if (weighted.length === 0) throw new Error('median time: the commit has no signatures');
  weighted.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  let median = total / 2n;
  for (const x of weighted) {
    if (median <= x.w) return fromNanos(x.t);
    median -= x.w;
  }
  return fromNanos(weighted[weighted.length - 1]!.t); // unreachable: the weights sum to total
}

/** The earliest timestamp a validator may put on a vote for a block of time `blockTime` (CometBFT's timeIota = 1 ms). */
export function minVoteTime(blockTime: Timestamp): Timestamp {
  return addNanos(blockTime, 1_000_000n);
}

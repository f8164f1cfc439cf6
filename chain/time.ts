// Block-time arithmetic for state transitions: timestamps and durations as exact integers
// (seconds as bigint, nanos as an integer < 10^9), never Date or floating point.
import type { Timestamp } from './context.ts';

export type { Timestamp } from './context.ts';

export interface Duration {
  seconds: bigint;
  nanos: number;
}

export const ZERO_TIME: Timestamp = { seconds: 0n, nanos: 0 };

export function compareTime(a: Timestamp, b: Timestamp): number {
  if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
  return a.nanos === b.nanos ? 0 : a.nanos < b.nanos ? -1 : 1;
}

export function addDuration(t: Timestamp, d: Duration): Timestamp {
  let seconds = t.seconds + d.seconds;
  let nanos = t.nanos + d.nanos;
  if (nanos >= 1_000_000_000) {
    nanos -= 1_000_000_000;
    seconds += 1n;
  }
  return { seconds, nanos };
}

/** t - u as a duration in nanoseconds (may be negative). */
export function diffNanos(t: Timestamp, u: Timestamp): bigint {
  return (t.seconds - u.seconds) * 1_000_000_000n + BigInt(t.nanos - u.nanos);
}

export function durationNanos(d: Duration): bigint {
  return d.seconds * 1_000_000_000n + BigInt(d.nanos);
}

/** The protobuf JSON form of a Duration: "1814400s", "0.5s", "600.000000001s". */
export function parseDuration(s: string): Duration {
  const m = /^([0-9]{1,15})(?:\.([0-9]{1,9}))?s$/.exec(s);
  if (!m) throw new Error(`invalid duration ${JSON.stringify(s)} (expected e.g. "1814400s")`);
  return { seconds: BigInt(m[1]!), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

export function formatDuration(d: Duration): string {
  if (d.nanos === 0) return `${d.seconds}s`;
  return `${d.seconds}.${String(d.nanos).padStart(9, '0').replace(/0+$/, '')}s`;
}

/** A 12-byte big-endian key (u64 seconds, u32 nanos): byte order is time order for t >= 1970. */
export function timeKey(t: Timestamp): Uint8Array {
  if (t.seconds < 0n) throw new Error('time before 1970 cannot be a queue key');
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, t.seconds);
  v.setUint32(8, t.nanos);
  return out;
}

export function timeFromKey(k: Uint8Array): Timestamp {
  const v = new DataView(k.buffer, k.byteOffset, 12);
  return { seconds: v.getBigUint64(0), nanos: v.getUint32(8) };
}

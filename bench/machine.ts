// What a benchmark ran on, printed next to every figure.
import { cpus, totalmem } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';

export function machine(): string {
  const c = cpus();
  return `${c.length} x ${c[0]?.model ?? 'unknown cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

/** Runs fn in batches for about `ms` and returns operations per second. */
export function opsPerSec(fn: (i: number) => void, ms = 2000): number {
  for (let i = 0; i < 200; i++) fn(i); // warm up
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let k = 0; k < 256; k++) fn(n++);
    now = process.hrtime.bigint();
  }
  return (n * 1e9) / Number(now - start);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * CPU µs used so far per kind of thread of process `pid` (default: this one), from
 * /proc/<pid>/task: MainThread, WorkerThread (signature and index workers), V8Worker (GC and
 * compiler helpers), libuv-worker (LevelDB I/O).
 */
export function threadCpuByKind(pid: number | 'self' = 'self'): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(comm, (out.get(comm) ?? 0) + ((Number(f[11]) + Number(f[12])) / 100) * 1e6); // utime + stime, USER_HZ = 100
    } catch {
      // thread exited
    }
  }
  return out;
}

/** CPU µs used so far by the calling thread. */
export function threadCpuUs(): number {
  const u = process.threadCpuUsage();
  return u.user + u.system;
}

/** CPU µs used so far by this process (all threads). */
export function processCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

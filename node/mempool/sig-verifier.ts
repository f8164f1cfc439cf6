// A pool of worker threads verifying signatures in batches. Requests made in the same tick are
// sent as one message per worker, keeping the cost of crossing threads far below the ~42 µs of a
// verification. Verification is a pure function, so doing it off-thread cannot change consensus.
import { Worker } from 'node:worker_threads';
import { cpus } from 'node:os';

export interface SigJob {
  sig: Uint8Array; // 64 bytes
  digest: Uint8Array; // 32 bytes
  pubkey: Uint8Array; // 33 bytes
}

interface Pending {
  jobs: SigJob[];
  resolve: (ok: boolean) => void;
}

export class SigVerifierPool {
  private readonly workers: Worker[] = [];
  private readonly inflight = new Map<number, Pending[]>();
  private queue: Pending[] = [];
  private nextId = 0;
  private rr = 0;
  private scheduled = false;

  constructor(size = Math.max(1, cpus().length - 1)) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./sig-verify-worker.ts', import.meta.url));
      w.on('message', (m: { id: number; ok: Uint8Array }) => this.done(m));
      w.on('error', (err: Error) => {
        // A dead verifier must not hang broadcasts: fail its batches (callers fall back).
        for (const [id, list] of this.inflight) {
          for (const p of list) p.resolve(false);
          this.inflight.delete(id);
        }
        console.error(`signature worker failed: ${err.message}`);
      });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Resolves true when every signature of a tx verifies. */
  verify(jobs: SigJob[]): Promise<boolean> {
    for (const j of jobs) if (j.sig.length !== 64 || j.digest.length !== 32 || j.pubkey.length !== 33) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.queue.push({ jobs, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Many txs at once (undefined entries are skipped and report false): one promise for all. */
  verifyMany(txs: readonly (SigJob[] | undefined)[]): Promise<boolean[]> {
    const out = new Array<boolean>(txs.length).fill(false);
    let left = 0;
    return new Promise((resolve) => {
      txs.forEach((jobs, i) => {
        if (!jobs || jobs.some((j) => j.sig.length !== 64 || j.digest.length !== 32 || j.pubkey.length !== 33)) return;
        left++;
        this.queue.push({
          jobs,
          resolve: (ok) => {
            out[i] = ok;
            if (--left === 0) resolve(out);
          },
        });
      });
      if (left === 0) return resolve(out);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.queue;
    this.queue = [];
    // Split the tick's work across workers in chunks.
    const chunk = Math.max(16, Math.ceil(all.length / this.workers.length));
    for (let i = 0; i < all.length; i += chunk) this.send(all.slice(i, i + chunk));
  }

  private send(list: Pending[]): void {
    const n = list.reduce((s, p) => s + p.jobs.length, 0);
    const sigs = new Uint8Array(64 * n);
    const digests = new Uint8Array(32 * n);
    const pubkeys = new Uint8Array(33 * n);
    let k = 0;
    for (const p of list) {
      for (const j of p.jobs) {
        sigs.set(j.sig, 64 * k);
        digests.set(j.digest, 32 * k);
        pubkeys.set(j.pubkey, 33 * k);
        k++;
      }
    }
    const id = this.nextId++;
    this.inflight.set(id, list);
    const w = this.workers[this.rr++ % this.workers.length]!;
    w.postMessage({ id, sigs, digests, pubkeys }, [sigs.buffer, digests.buffer, pubkeys.buffer]);
  }

  private done(m: { id: number; ok: Uint8Array }): void {
    const list = this.inflight.get(m.id);
    if (!list) return;
    this.inflight.delete(m.id);
    let k = 0;
    for (const p of list) {
      let all = true;
      for (let j = 0; j < p.jobs.length; j++) if (!m.ok[k++]) all = false;
      p.resolve(all);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

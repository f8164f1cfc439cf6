// Seeded randomness for the simulator: every draw comes from the run's seed, so the same seed and
// configuration generate the same actors, the same transactions and the same final app hash on
// any machine. Integers only (32-bit PRNG, SHA-256 for keys and byte strings); no Math.random.
import { sha256 } from '../chain/crypto/hash.ts';
import { lp } from '../modules/devices/payloads.ts';
import { concat, u64be } from '../chain/codec/bytes.ts';
import { Prng } from '../node/consensus/sim/prng.ts';

export class Rng {
  readonly prng: Prng;
  constructor(seed: number) {
    this.prng = new Prng(seed >>> 0);
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return this.prng.int(lo, hi);
  }

  /** True with probability ppm / 1,000,000. */
  chancePpm(ppm: number): boolean {
    if (ppm <= 0) return false;
    if (ppm >= 1_000_000) return true;
    return this.prng.int(0, 999_999) < ppm;
  }

  pick<T>(xs: readonly T[]): T {
    return this.prng.pick(xs);
  }

  /** `n` distinct indexes of [0, len), in draw order (partial Fisher-Yates). */
  sample(len: number, n: number): number[] {
    const m = Math.min(n, len);
    const idx = Array.from({ length: len }, (_, i) => i);
    for (let i = 0; i < m; i++) {
      const j = this.prng.int(i, len - 1);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx.slice(0, m);
  }

  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.prng.int(0, i);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.prng.u32();
      for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return out;
  }

  /** An independent stream (draws in one actor do not shift another's). */
  fork(): Rng {
    return new Rng(this.prng.u32());
  }
}

/** 32 bytes derived from the run's seed and a label: keys, serials, salts. Stable across runs. */
export function derive(seed: number, label: string, index = 0n): Uint8Array {
  return sha256(concat(lp('depin-sim/v1'), u64be(BigInt(seed >>> 0)), lp(label), u64be(index)));
}

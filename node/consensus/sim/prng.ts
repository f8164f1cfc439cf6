// A small seeded PRNG (sfc32, seeded through splitmix32) for the network simulator: the same seed
// gives the same delays, drops, crashes and partitions on every machine. 32-bit integer arithmetic
// only; callers ask for integers in a range or for a per-mille chance.

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform in [0, 2^32). */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    if (hi < lo) throw new Error(`empty range ${lo}..${hi}`);
    const span = hi - lo + 1;
    // Rejection sampling keeps the distribution exact.
    const limit = Math.floor(0x100000000 / span) * span;
    for (;;) {
      const x = this.u32();
      if (x < limit) return lo + (x % span);
    }
  }

  /** True with probability perMille / 1000. */
  chance(perMille: number): boolean {
    return this.int(0, 999) < perMille;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }

  /** An independent generator derived from this one (so adding draws in one place does not shift another). */
  fork(): Prng {
    return new Prng(this.u32());
  }
}

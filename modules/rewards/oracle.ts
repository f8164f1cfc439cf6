// The oracle price as a pure function of the posts, the oracle set and the block time: fresh posts
// only (max age), bond-weighted median, outliers excluded, quorum by count and by bond, and a
// conservative pair (low for minting credits, high for valuing them as rewards) widened by the
// spread of the posts used. Splitting a bond across many oracles buys no extra weight.
import type { Oracle, Params, PriceAggregate, PricePost } from './types.ts';
import { ORACLE_ACTIVE } from './types.ts';
import { BPS } from './params.ts';

export interface WeightedPrice {
  oracle: string;
  price: bigint;
  weight: bigint;
}

/** Lower weighted median: the smallest price at which the cumulative weight reaches half the
 * total (ties by oracle address, so the order is total). */
export function weightedMedian(xs: readonly WeightedPrice[]): bigint {
  const sorted = [...xs].sort((a, b) => (a.price < b.price ? -1 : a.price > b.price ? 1 : a.oracle < b.oracle ? -1 : a.oracle > b.oracle ? 1 : 0));
  let total = 0n;
  for (const x of sorted) total += x.weight;
  let acc = 0n;
  for (const x of sorted) {
    acc += x.weight;
    if (acc * 2n >= total) return x.price;
  }
  return sorted[sorted.length - 1]?.price ?? 0n;
}

/** |a - b| x 10000 > bps x b */
export const deviates = (a: bigint, b: bigint, bps: number): boolean => (a > b ? a - b : b - a) * BPS > BigInt(bps) * b;

export function aggregatePrice(posts: readonly PricePost[], oracles: ReadonlyMap<string, Oracle>, now: bigint, p: Params): PriceAggregate {
  const out: PriceAggregate = { ok: false, error: '', median: 0n, low: 0n, high: 0n, spread: 0n, fresh: 0, used: 0, outliers: [], stale: [], freshBond: 0n, activeBond: 0n };
  for (const o of oracles.values()) if (o.status === ORACLE_ACTIVE) out.activeBond += o.bond;
  const fresh: WeightedPrice[] = [];
  let counted = 0;
  for (const post of posts) {
    const o = oracles.get(post.oracle);
    if (!o || o.status !== ORACLE_ACTIVE || o.bond === 0n) continue;
    counted++;
    if (now - post.observedAt > p.priceMaxAgeSeconds) out.stale.push(post.oracle);
    else fresh.push({ oracle: post.oracle, price: post.price, weight: o.bond });
  }
  out.fresh = fresh.length;
  if (fresh.length === 0) {
    out.error = counted === 0 ? 'no_posts' : 'stale';
    return out;
  }
  const m0 = weightedMedian(fresh);
  const used = fresh.filter((x) => {
    if (deviates(x.price, m0, p.priceOutlierBps)) {
      out.outliers.push(x.oracle);
      return false;
    }
    return true;
  });
  out.used = used.length;
  for (const x of used) out.freshBond += x.weight;
  if (used.length < p.priceMinOracles || out.freshBond * BPS < BigInt(p.priceQuorumBps) * out.activeBond) {
    out.error = 'no_quorum';
    return out;
  }
  const m = weightedMedian(used);
  let lo = used[0]!.price;
  let hi = lo;
  for (const x of used) {
    if (x.price < lo) lo = x.price;
    if (x.price > hi) hi = x.price;
  }
  out.median = m;
  out.spread = hi - lo;
  const widen = (out.spread * BigInt(p.priceSpreadWeightBps)) / BPS;
  out.low = m > widen ? m - widen : 0n;
  out.high = m + widen;
  if (out.low === 0n) {
    out.error = 'spread_too_wide';
    return out;
  }
  out.ok = true;
  return out;
}

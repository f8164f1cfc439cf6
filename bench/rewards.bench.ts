// Rewards cost at scale, in a real App on LevelDB: N devices (imported through the devices
// genesis) each get one valid proof verdict (through the test proof driver, in end blocks, 10,000
// per block), then the epoch closes and is distributed with `distribution_batch` work items per
// block. Prints the verdict cost, the close, every distribution block's time and the totals.
//   npx node bench/rewards.bench.ts [N ...] [--batch 5000]
import { RewardsHarness } from '../test/helpers/rewards-harness.ts';
import { rewardsGenesis, fleet } from '../test/helpers/rewards-fixtures.ts';
import { devKeys } from '../test/helpers/inproc.ts';
import { UNIT } from '../modules/proofs/hooks.ts';
import { EPOCH_DONE } from '../modules/rewards/types.ts';
import { machine, fmt } from './machine.ts';

export async function runRewardsBench(n: number, batch: number): Promise<{ perDeviceUs: number; maxBlockMs: number; blocks: number; verdictUs: number }> {
  const perBlock = 10_000;
  const epochBlocks = BigInt(Math.ceil(n / perBlock) + 10);
  const t0 = performance.now();
  const g = rewardsGenesis({ epochBlocks, distributionBatch: batch, historyEpochs: 10, reversalWindowEpochs: 5 }, fleet(n, { seed: 3, clusters: Math.ceil(n / 3), owners: devKeys.slice(0, 8).map((k) => k.address), sectors: [1, 2, 3, 4] }));
  const h = await RewardsHarness.open(g, { check: false });
  const setupMs = performance.now() - t0;
  // where a block's time goes: the rewards end block, the Merkle store's stage (hashing the new
  // root) and the commit (LevelDB batch)
  const spent = { endBlock: 0, stage: 0, commit: 0 };
  const timed = <T>(what: keyof typeof spent, f: () => T): T => {
    const t = performance.now();
    try {
      return f();
    } finally {
      spent[what] += performance.now() - t;
    }
  };
  const rewardsModule = h.chain.app.modules.find((m) => m.name === 'rewards')!;
  const endBlock = rewardsModule.endBlock!.bind(rewardsModule);
  (rewardsModule as { endBlock: typeof endBlock }).endBlock = (ctx) => timed('endBlock', () => endBlock(ctx));
  const store = h.chain.app.store;
  const stage = store.stage.bind(store);
  store.stage = (w) => timed('stage', () => stage(w));
  const commit = store.commit.bind(store);
  store.commit = async (v) => {
    const t = performance.now();
    try {
      return await commit(v);
    } finally {
      spent.commit += performance.now() - t;
    }
  };
  const reset = () => Object.assign(spent, { endBlock: 0, stage: 0, commit: 0 });
  const show = (n: number) => `rewards end block ${(spent.endBlock * 1000 / n).toFixed(1)} us, store stage ${(spent.stage * 1000 / n).toFixed(1)} us, commit ${(spent.commit * 1000 / n).toFixed(1)} us per device`;
  try {
    // idle block cost (baseline)
    const b0 = performance.now();
    for (let i = 0; i < 3; i++) await h.block();
    const idleMs = (performance.now() - b0) / 3;
    // verdicts
    const e = h.currentEpoch();
    let verdictMs = 0;
    reset();
    for (let start = 1; start <= n; start += perBlock) {
      for (let d = start; d < Math.min(n + 1, start + perBlock); d++) h.driver.verdict({ deviceId: BigInt(d), sector: 1 + ((d - 1) % 4), valid: true, units: UNIT });
      const t = performance.now();
      await h.block();
      verdictMs += performance.now() - t - idleMs;
    }
    // run to the close, then time every block until the distribution is done
    if (h.currentEpoch() !== e) throw new Error('the epoch closed before every verdict was recorded');
    const verdictSplit = show(n);
    reset();
    while (h.currentEpoch() === e) {
      const t = performance.now();
      await h.block();
      const ms = performance.now() - t;
      if (h.currentEpoch() !== e) var closeMs = ms; // eslint-disable-line no-var
    }
    const reads0 = h.chain.app.store.stats.nodeReads;
    const times = [closeMs!];
    while (h.summary(e).status !== EPOCH_DONE) {
      const t = performance.now();
      await h.block();
      times.push(performance.now() - t);
    }
    h.check();
    const total = times.reduce((a, b) => a + b, 0) - idleMs * times.length;
    const s = h.summary(e);
    const perDeviceUs = (total * 1000) / n;
    console.log(`N=${fmt(n)} batch=${fmt(batch)}: setup ${fmt(setupMs)} ms; verdicts ${(verdictMs * 1000 / n).toFixed(1)} us each (${verdictSplit}); idle block ${idleMs.toFixed(2)} ms`);
    console.log(`  distribution: ${times.length} blocks (close + chunks), total ${fmt(total)} ms = ${perDeviceUs.toFixed(1)} us per device; largest block ${fmt(Math.max(...times))} ms; ` +
      `minted ${s.minted}, paid ${s.paid}, unallocated ${s.unallocated}`);
    console.log(`  of which ${show(n)}; Merkle node reads from LevelDB (nodes not in memory) during the distribution: ${fmt(h.chain.app.store.stats.nodeReads - reads0)}`);
    return { perDeviceUs, maxBlockMs: Math.max(...times), blocks: times.length, verdictUs: (verdictMs * 1000) / n };
  } finally {
    await h.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const bi = args.indexOf('--batch');
  const batch = bi >= 0 ? Number(args.splice(bi, 2)[1]) : 5000;
  const sizes = args.length ? args.map(Number) : [1_000, 10_000, 100_000];
  console.log(`rewards distribution on ${machine()}`);
  for (const n of sizes) await runRewardsBench(n, batch);
}

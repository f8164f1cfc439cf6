import { runSimulation } from './network-sim.ts';
import { makeKeys } from '../test-fixtures.ts';
const n = Number(process.argv[2] ?? 4);
const byz = process.argv[3] === 'byz';
let t = performance.now();
let agg = { decisions: 0, delivered: 0, evidence: 0, crashes: 0 };
const seeds = Number(process.argv[4] ?? 5);
for (let seed = 1; seed <= seeds; seed++) {
  const r = runSimulation({
    seed, keys: makeKeys(n), byzantine: byz ? [0] : [], targetHeight: 6, gstMs: 4000,
    preGst: { maxDelayMs: 300, dropPerMille: 150, dupPerMille: 50, partitions: 2 }, postGstMaxDelayMs: 40,
    crashes: 2, signCrashes: 2, powerLoss: true, asyncValidity: false,
    timeouts: { proposeMs: 200, proposeDeltaMs: 50, prevoteMs: 100, prevoteDeltaMs: 50, precommitMs: 100, precommitDeltaMs: 50 },
    gossipIntervalMs: 400, commitDelayMs: 20, livenessBoundMs: 30000,
  });
  if (r.violations.length) console.log(seed, r.violations.slice(0, 3));
  agg.decisions += r.stats.decisions; agg.delivered += r.stats.delivered; agg.evidence += r.stats.evidence; agg.crashes += r.stats.crashes;
  console.log(seed, JSON.stringify(r.stats), r.equivocationDetected);
}
console.log('ms per seed', (performance.now() - t) / seeds, agg);

// Many seeded runs of the in-process validator network (node/consensus/sim/network-sim.ts): lossy,
// duplicating, reordering, partitioned networks before GST; crashes and restarts from the WAL and the
// privval state (including crashes right after a signature is persisted and power losses of the
// unsynced WAL tail); Byzantine validators that equivocate on every proposal and vote. Every run is
// checked for safety, liveness after GST, no honest double-signing and evidence against equivocators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulation, type SimConfig, type SimStats } from './sim/network-sim.ts';
import { makeKeys } from './test-fixtures.ts';

const TIMEOUTS = { proposeMs: 200, proposeDeltaMs: 50, prevoteMs: 100, prevoteDeltaMs: 50, precommitMs: 100, precommitDeltaMs: 50 };

function base(seed: number, n: number): SimConfig {
  return {
    seed, keys: makeKeys(n), targetHeight: 8, gstMs: 6000,
    preGst: { maxDelayMs: 200, dropPerMille: 100, dupPerMille: 50, partitions: 2 }, postGstMaxDelayMs: 40,
    crashes: 2, signCrashes: 2, powerLoss: true, asyncValidity: false,
    timeouts: TIMEOUTS, gossipIntervalMs: 400, commitDelayMs: 20,
    // Heights 1..8 by every honest validator within 10 s of virtual time after GST (observed: at most 3.1 s).
    livenessBoundMs: 10_000,
  };
}

interface Scenario {
  name: string;
  seeds: number;
  config: (seed: number) => SimConfig;
  /** 'every seed': each run catches the equivocator; 'some seed': a lock attacker equivocates only when it attacks. */
  expectEvidence: false | 'every seed' | 'some seed';
}

const scenarios: Scenario[] = [
  {
    name: '4 equal validators, lossy partitioned network, crashes with power loss and crashes after signing',
    seeds: 40, expectEvidence: false,
    config: (seed) => base(seed, 4),
  },
  {
    name: '4 equal validators, one Byzantine equivocator (1/4 of the power), crashes',
    seeds: 30, expectEvidence: 'every seed',
    config: (seed) => ({ ...base(seed, 4), byzantine: [0] }),
  },
  {
    name: '7 weighted validators (3,3,3,3,2,1,1), two Byzantines with 5/16 of the power, crashes, asynchronous validity',
    seeds: 20, expectEvidence: 'every seed',
    config: (seed) => ({ ...base(seed, 7), powers: [3n, 3n, 3n, 3n, 2n, 1n, 1n], byzantine: [3, 4], asyncValidity: true }),
  },
  {
    name: '4 equal validators vs. a lock attacker (one validator decides, the rest are offered a fresh value), adversarial delays, crashes',
    seeds: 20, expectEvidence: 'some seed',
    config: (seed) => ({ ...base(seed, 4), byzantine: [0], byzantineStrategy: 'lockSplit', adversarialDelayMs: 1500 }),
  },
  {
    name: '7 weighted validators vs. two lock attackers with 5/16 of the power, adversarial delays',
    seeds: 10, expectEvidence: 'some seed',
    config: (seed) => ({ ...base(seed, 7), powers: [3n, 3n, 3n, 3n, 2n, 1n, 1n], byzantine: [3, 4], byzantineStrategy: 'lockSplit', adversarialDelayMs: 1500, crashes: 0, signCrashes: 0 }),
  },
  {
    name: '5 validators, heavier loss (30%) and 4 partitions, more crashes, no Byzantine',
    seeds: 10, expectEvidence: false,
    config: (seed) => ({ ...base(seed, 5), preGst: { maxDelayMs: 500, dropPerMille: 300, dupPerMille: 100, partitions: 4 }, crashes: 4, signCrashes: 3 }),
  },
];

function add(total: Partial<Record<keyof SimStats, number>>, s: SimStats): void {
  for (const [k, v] of Object.entries(s) as [keyof SimStats, number][]) {
    total[k] = k === 'maxDecisionRound' || k === 'finishedAtMs' ? Math.max(total[k] ?? 0, v) : (total[k] ?? 0) + v;
  }
}

for (const sc of scenarios) {
  test(`network simulation: ${sc.name} (${sc.seeds} seeds)`, () => {
    const t0 = performance.now();
    const total: Partial<Record<keyof SimStats, number>> = {};
    let caught = 0;
    for (let seed = 1; seed <= sc.seeds; seed++) {
      const r = runSimulation(sc.config(seed));
      assert.deepEqual(r.violations, [], `seed ${seed}`);
      assert.ok(r.live, `seed ${seed}: not live`);
      if (sc.expectEvidence === 'every seed') assert.ok(r.equivocationDetected, `seed ${seed}: the equivocator was not caught`);
      if (!sc.expectEvidence) assert.equal(r.stats.evidence, 0, `seed ${seed}: evidence without an equivocator`);
      if (r.equivocationDetected) caught++;
      add(total, r.stats);
    }
    if (sc.expectEvidence === 'some seed') assert.ok(caught > 0, 'the lock attacker was never caught equivocating');
    const ms = Math.round(performance.now() - t0);
    console.log(`[sim] ${sc.name}: ${sc.seeds} seeds, ${total.decisions} honest decisions (${total.decisionsBeforeGst} before GST), ` +
      `max decision round ${total.maxDecisionRound}, ${total.roundsAboveZero} decisions after round 0, ${total.crashes} crashes ` +
      `(${total.signCrashes} right after signing), ${total.replayedRecords} WAL records replayed, ${total.signRefused} signatures refused by privval, ` +
      `${total.evidence} evidence (equivocator caught in ${caught} seeds), ${total.catchUpCommits} catch-up commits, ${total.delivered} messages delivered / ${total.dropped} dropped, ` +
      `latest finish ${total.finishedAtMs} ms virtual (GST ${base(1, 4).gstMs}), ${ms} ms wall`);
  });
}

test('network simulation on real files: WAL and privval state on disk, crashes and restarts (6 seeds)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'consensus-sim-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const t0 = performance.now();
  let decisions = 0;
  let replayed = 0;
  for (let seed = 1; seed <= 6; seed++) {
    // Real files cannot lose their unsynced tail on demand: these are process crashes.
    const r = runSimulation({ ...base(seed, 5), realFilesDir: join(dir, `seed-${seed}`), powerLoss: false, byzantine: [1] });
    assert.deepEqual(r.violations, [], `seed ${seed}`);
    assert.ok(r.equivocationDetected);
    decisions += r.stats.decisions;
    replayed += r.stats.replayedRecords;
  }
  console.log(`[sim] real files: 6 seeds, ${decisions} honest decisions, ${replayed} WAL records replayed from disk, ${Math.round(performance.now() - t0)} ms wall`);
});

test('the simulator is deterministic: one seed, same result twice', () => {
  const a = runSimulation({ ...base(7, 4), byzantine: [2] });
  const b = runSimulation({ ...base(7, 4), byzantine: [2] });
  assert.deepEqual(a.stats, b.stats);
});

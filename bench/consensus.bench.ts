// Consensus costs on this machine: CPU per validator per height (the simulator runs every validator
// in this one process, with the real engine, codec, WAL and privval, so wall time / validators is
// the per-node cost), and the durable-write costs a validator pays per signature.
// Run: npx node bench/consensus.bench.ts   (about 30 s)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulation } from '../node/consensus/sim/network-sim.ts';
import { makeKeys, blockId, ts, CHAIN_ID } from '../node/consensus/test-fixtures.ts';
import { FileSignStateStore, PrivValidator } from '../node/consensus/privval.ts';
import { ConsensusWal, FileWalStorage } from '../node/consensus/wal.ts';
import { SIGNED_MSG_TYPE_PREVOTE } from '../node/consensus/types.ts';
import { machine } from './machine.ts';

console.log(`consensus benchmarks on ${machine()}`);

const TIMEOUTS = { proposeMs: 1000, proposeDeltaMs: 500, prevoteMs: 500, prevoteDeltaMs: 500, precommitMs: 500, precommitDeltaMs: 500 };
console.log('\n# engine + codec + WAL + privval (memory media), no faults, 1-5 ms message delays');
console.log('validators | heights | wall ms | per validator per height | messages delivered');
for (const n of [4, 7, 21, 50, 100]) {
  const heights = n >= 50 ? 5 : 20;
  const t0 = performance.now();
  const r = runSimulation({
    seed: 1, keys: makeKeys(n), targetHeight: heights, gstMs: 0,
    preGst: { maxDelayMs: 5, dropPerMille: 0, dupPerMille: 0, partitions: 0 }, postGstMaxDelayMs: 5,
    crashes: 0, signCrashes: 0, powerLoss: false, asyncValidity: false,
    timeouts: TIMEOUTS, gossipIntervalMs: 2000, commitDelayMs: 5, livenessBoundMs: 600_000,
  });
  const ms = performance.now() - t0;
  if (r.violations.length) throw new Error(r.violations.join('; '));
  console.log(`${n} | ${heights} | ${ms.toFixed(0)} | ${(ms / n / heights).toFixed(2)} ms | ${r.stats.delivered}`);
}

console.log('\n# durable writes per signature (real files, fsync)');
const dir = mkdtempSync(join(tmpdir(), 'consensus-bench-'));
try {
  const [key] = makeKeys(1);
  const pv = new PrivValidator(key!, new FileSignStateStore(join(dir, 'priv_validator_state.json')));
  const N = 500;
  let t0 = performance.now();
  for (let i = 0; i < N; i++) {
    pv.signVote(CHAIN_ID, { type: SIGNED_MSG_TYPE_PREVOTE, height: BigInt(i + 1), round: 0, blockId: blockId('x'), timestamp: ts(1), validatorAddress: key!.address, validatorIndex: 0 });
  }
  console.log(`privval sign + persist (write tmp, fsync, rename, fsync dir): ${((performance.now() - t0) / N * 1000).toFixed(0)} µs per signature`);
  const wal = new ConsensusWal(new FileWalStorage(join(dir, 'cs.wal')));
  const v = pv.signVote(CHAIN_ID, { type: SIGNED_MSG_TYPE_PREVOTE, height: 10_000n, round: 0, blockId: blockId('x'), timestamp: ts(1), validatorAddress: key!.address, validatorIndex: 0 });
  t0 = performance.now();
  for (let i = 0; i < N; i++) wal.write({ type: 'vote', vote: v });
  console.log(`WAL append (write, no fsync): ${((performance.now() - t0) / N * 1000).toFixed(1)} µs per record`);
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    wal.write({ type: 'vote', vote: v });
    wal.sync();
  }
  console.log(`WAL append + fsync (paid once per own message released): ${((performance.now() - t0) / N * 1000).toFixed(0)} µs`);
  t0 = performance.now();
  const recs = wal.readAll();
  console.log(`WAL read + decode: ${recs.length} records in ${(performance.now() - t0).toFixed(1)} ms`);
  wal.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// npm run bench: every hot path, each printed next to the machine's raw limit.
import { runPipelineBench } from './pipeline.bench.ts';
import { runThroughputBench } from './throughput.bench.ts';
import { runNodePipelineBench } from './node-pipeline.bench.ts';
import { runStakingBench } from './staking.bench.ts';
import { runAnchorBench } from './anchor.bench.ts';
import { runTestnetBench } from './testnet.bench.ts';
import { runDashboardBench } from './dashboard.bench.ts';
import { runProofsBench } from './proofs.bench.ts';
import { runStoreBench } from './store.bench.ts';
import { runP2pBench } from './p2p.bench.ts';
import { runRewardsBench } from './rewards.bench.ts';
import { machine, fmt } from './machine.ts';

console.log(`depin-chain benchmarks on ${machine()}`);
const p = await runPipelineBench();
const t = await runThroughputBench({ accounts: 2000, txsPerAccount: 15, inFlight: 64, blockTimeMs: 500 });
// 16 requests of 50 in flight: a load generator with many more requests in flight than accounts
// per batch can deliver an account's next sequence before the previous one (requests on different
// connections are read back in any order while the node executes a block), which CheckTx refuses.
const tb = await runThroughputBench({ accounts: 4000, txsPerAccount: 12, inFlight: 16, blockTimeMs: 500, batch: 50 });
const np = await runNodePipelineBench(6, 4000);
const st = await runStoreBench(100_000, 10_000, 6);
const gossip = await runP2pBench();
await import('./consensus.bench.ts'); // consensus engine CPU per height, privval and WAL costs
const rw = await runRewardsBench(10_000, 500);
const pr = await runProofsBench();
const a = await runAnchorBench();
// 4 validators as processes, with the single-validator figure for the same load in the same run.
const net = await runTestnetBench({ accounts: 2000, txsPerAccount: 10, blockTimeMs: 500, batch: 50, compareSingle: true });
const d = await runDashboardBench();
console.log(`\n# summary`);
const g4 = gossip.small.find((r) => r.window === 4) ?? gossip.small[0]!;
console.log(`gossip (4 libp2p hosts, 200 B, W=4): ${fmt(g4.msgPerSec)} msg/s, p50 ${g4.p50.toFixed(1)} ms, p99 ${g4.p99.toFixed(1)} ms; compact 10,000-tx block rebuilt on 3 peers: ${gossip.compact.map((c) => `${c.missingPct}% missing ${c.medianMs.toFixed(0)} ms`).join(', ')}`);
console.log(`state commit (Merkle store, 100,000 keys, 10,000 changed per block): stage ${st.stageMs!.toFixed(0)} ms + commit ${st.commitMs!.toFixed(0)} ms = ${fmt(st.changedKeysPerSec!)} changed keys/s, ${st.hashesPerKey!.toFixed(1)} hashes per changed key, ${fmt(st.putsPerSec!)} LevelDB puts/s; proofs ${fmt(st.prove!)}/s, verify ${fmt(st.verify!)}/s`);
console.log(`rewards epoch distribution, 10,000 devices: ${rw.perDeviceUs.toFixed(0)} µs per device, largest block ${rw.maxBlockMs.toFixed(0)} ms over ${rw.blocks} blocks; recording a verdict ${rw.verdictUs.toFixed(0)} µs`);
console.log(`4 validators (BFT, libp2p, 4 processes on this machine): ${fmt(net.tps!)} tx/s vs ${fmt(net.singleTps!)} tx/s single-validator; finality p50 ${net.p50!.toFixed(0)} ms, p99 ${net.p99!.toFixed(0)} ms; block interval ${net.blockIntervalMs!.toFixed(0)} ms`);
console.log(`node pipeline in-process: main thread ${np.admit!.toFixed(0)} + ${np.block!.toFixed(0)} µs/tx (admission + block), whole process ${np.total!.toFixed(0)} µs/tx`);
console.log(`end-to-end with JSON-RPC batches of 50: ${fmt(tb.tps!)} tx/s = ${((100 * tb.tps!) / p.verify!).toFixed(0)}% of raw verify; p50 ${tb.p50!.toFixed(0)} ms, p99 ${tb.p99!.toFixed(0)} ms`);
console.log(`proofs over JSON-RPC, gateway batches of 50, sustained (6 proofs per device, the sectors in turn on one node): sensor ${fmt(pr['sensor.rpc.sustained']!)}, compute ${fmt(pr['compute.rpc.sustained']!)}, coverage ${fmt(pr['coverage.rpc.sustained']!)}, storage ${fmt(pr['storage.rpc.sustained']!)} proofs/s; one-window bursts: sensor ${fmt(pr['sensor.rpc.batched']!)}, compute ${fmt(pr['compute.rpc.batched']!)}, coverage ${fmt(pr['coverage.rpc.batched']!)}, storage ${fmt(pr['storage.rpc.batched']!)} proofs/s; 1 envelope per tx: sensor ${fmt(pr['sensor.rpc.single']!)} proofs/s; EVM baseline (anvil) ${fmt(pr.evmAutomine!)} tx/s automine, ${fmt(pr.evmBatched!)} tx/s batched, ${fmt(pr.evmGas!)} gas per proof`);
console.log(`end-to-end ${fmt(t.tps!)} tx/s = ${((100 * t.tps!) / p.verify!).toFixed(0)}% of one core's raw secp256k1 verify rate (${fmt(p.verify!)}/s); p50 ${t.p50!.toFixed(0)} ms, p99 ${t.p99!.toFixed(0)} ms`);
await runStakingBench();
const gas = (x: bigint) => fmt(Number(x));
console.log(`Ethereum anchor: submitCheckpoint ${Object.entries(a.checkpointGas).map(([n, g]) => `${n} validators ${gas(g.all)} gas (quorum only ${gas(g.quorum)})`).join(', ')}; verifyState ${Object.entries(a.proofs).map(([k, p]) => `${gas(p.memberExec)} execution / ${gas(p.memberTx)} as a tx at ${fmt(Number(k))} keys (depth ${p.memberDepth})`).join(', ')}`);
console.log(`dashboard with ${fmt(d.devices)} devices indexed: mixed REST p99 ${d.mixedP99.toFixed(0)} ms; ${d.paint.map((x) => `${x.page} first paint ${x.fcp.toFixed(0)} ms, data ${x.dataReady.toFixed(0)} ms`).join('; ')}`);

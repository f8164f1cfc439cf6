// npm run bench: every hot path, each printed next to the machine's raw limit.
import { runPipelineBench } from './pipeline.bench.ts';
import { runThroughputBench } from './throughput.bench.ts';
import { runProofsBench } from './proofs.bench.ts';
import { machine, fmt } from './machine.ts';

console.log(`depin-chain benchmarks on ${machine()}`);
const p = await runPipelineBench();
const t = await runThroughputBench({ accounts: 2000, txsPerAccount: 15, inFlight: 64, blockTimeMs: 500 });
const tb = await runThroughputBench({ accounts: 2000, txsPerAccount: 15, inFlight: 8, blockTimeMs: 500, batch: 50 });
const pr = await runProofsBench();
console.log(`\n# summary`);
console.log(`end-to-end with JSON-RPC batches of 50: ${fmt(tb.tps!)} tx/s = ${((100 * tb.tps!) / p.verify!).toFixed(0)}% of raw verify; p50 ${tb.p50!.toFixed(0)} ms, p99 ${tb.p99!.toFixed(0)} ms`);
console.log(`proofs over JSON-RPC, gateway batches of 50: sensor ${fmt(pr['sensor.rpc.batched']!)}, compute ${fmt(pr['compute.rpc.batched']!)}, coverage ${fmt(pr['coverage.rpc.batched']!)}, storage ${fmt(pr['storage.rpc.batched']!)} proofs/s; 1 envelope per tx: sensor ${fmt(pr['sensor.rpc.single']!)} proofs/s; EVM baseline (anvil) ${fmt(pr.evmAutomine!)} tx/s automine, ${fmt(pr.evmBatched!)} tx/s batched, ${fmt(pr.evmGas!)} gas per proof`);
console.log(`end-to-end ${fmt(t.tps!)} tx/s = ${((100 * t.tps!) / p.verify!).toFixed(0)}% of one core's raw secp256k1 verify rate (${fmt(p.verify!)}/s); p50 ${t.p50!.toFixed(0)} ms, p99 ${t.p99!.toFixed(0)} ms`);

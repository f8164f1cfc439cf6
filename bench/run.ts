// npm run bench: every hot path, each printed next to the machine's raw limit.
import { runPipelineBench } from './pipeline.bench.ts';
import { runThroughputBench } from './throughput.bench.ts';
import { runStakingBench } from './staking.bench.ts';
import { runAnchorBench } from './anchor.bench.ts';
import { runDashboardBench } from './dashboard.bench.ts';
import { machine, fmt } from './machine.ts';

console.log(`depin-chain benchmarks on ${machine()}`);
const p = await runPipelineBench();
const t = await runThroughputBench({ accounts: 2000, txsPerAccount: 15, inFlight: 64, blockTimeMs: 500 });
const tb = await runThroughputBench({ accounts: 2000, txsPerAccount: 15, inFlight: 8, blockTimeMs: 500, batch: 50 });
const a = await runAnchorBench();
const d = await runDashboardBench();
console.log(`\n# summary`);
console.log(`end-to-end with JSON-RPC batches of 50: ${fmt(tb.tps!)} tx/s = ${((100 * tb.tps!) / p.verify!).toFixed(0)}% of raw verify; p50 ${tb.p50!.toFixed(0)} ms, p99 ${tb.p99!.toFixed(0)} ms`);
console.log(`end-to-end ${fmt(t.tps!)} tx/s = ${((100 * t.tps!) / p.verify!).toFixed(0)}% of one core's raw secp256k1 verify rate (${fmt(p.verify!)}/s); p50 ${t.p50!.toFixed(0)} ms, p99 ${t.p99!.toFixed(0)} ms`);
await runStakingBench();
const gas = (x: bigint) => fmt(Number(x));
console.log(`Ethereum anchor: submitCheckpoint ${Object.entries(a.checkpointGas).map(([n, g]) => `${n} validators ${gas(g.all)} gas (quorum only ${gas(g.quorum)})`).join(', ')}; verifyState ${Object.entries(a.proofs).map(([k, p]) => `${gas(p.memberExec)} execution / ${gas(p.memberTx)} as a tx at ${fmt(Number(k))} keys (depth ${p.memberDepth})`).join(', ')}`);
console.log(`dashboard with ${fmt(d.devices)} devices indexed: mixed REST p99 ${d.mixedP99.toFixed(0)} ms; ${d.paint.map((x) => `${x.page} first paint ${x.fcp.toFixed(0)} ms, data ${x.dataReady.toFixed(0)} ms`).join('; ')}`);

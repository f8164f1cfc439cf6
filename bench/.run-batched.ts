import { runThroughputBench } from './throughput.bench.ts';
const inFlight = Number(process.argv[2] ?? 16);
await runThroughputBench({ accounts: 4000, txsPerAccount: 12, inFlight, blockTimeMs: 500, batch: 50 });

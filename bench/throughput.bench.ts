// Sustained MsgSend throughput of one depind process: txs signed in advance by many accounts,
// broadcast over JSON-RPC (broadcast_tx_sync, keep-alive HTTP, a bounded number in flight),
// counted when committed (NewBlock events over the websocket). Reports tx/s and p50/p99
// broadcast-to-commit latency. The load generator runs on the same 2-core machine.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../chain/crypto/hash.ts';
import { benchGenesis, benchSend } from './pipeline.bench.ts';
import { depindSync, DEPIND } from '../test/helpers/devnet.ts';
import { machine, percentile, fmt, threadCpuByKind } from './machine.ts';
import { rpcPoster, watchCommits, broadcastTxs } from './rpc-load.ts';

export interface ThroughputOptions {
  accounts: number;
  txsPerAccount: number;
  inFlight: number;
  blockTimeMs: number;
  /** Txs per HTTP request: 1 = one broadcast_tx_sync per request; >1 = JSON-RPC batches. */
  batch?: number;
}

export async function runThroughputBench(o: ThroughputOptions): Promise<Record<string, number>> {
  const total = o.accounts * o.txsPerAccount;
  const batch = o.batch ?? 1;
  console.log(`\n# end-to-end MsgSend throughput: ${fmt(total)} txs from ${o.accounts} accounts, ${o.inFlight} requests in flight, ${batch === 1 ? 'one broadcast_tx_sync per HTTP request' : `JSON-RPC batches of ${batch}`}, ${o.blockTimeMs} ms blocks (${machine()})`);
  const home = mkdtempSync(join(tmpdir(), 'depind-bench-'));
  depindSync(['init', '--dev', '--home', home, '--overwrite']);
  writeFileSync(join(home, 'config', 'genesis.json'), JSON.stringify(benchGenesis(o.accounts)));

  const tSign = process.hrtime.bigint();
  const txs: { b64: string; hash: string }[] = [];
  for (let s = 0; s < o.txsPerAccount; s++) {
    for (let a = 0; a < o.accounts; a++) {
      const bytes = benchSend(a, BigInt(s), BigInt(a));
      txs.push({ b64: Buffer.from(bytes).toString('base64'), hash: Buffer.from(sha256(bytes)).toString('hex').toUpperCase() });
    }
  }
  console.log(`signed ${fmt(total)} txs in advance in ${(Number(process.hrtime.bigint() - tSign) / 1e6).toFixed(0)} ms`);

  // DEPIND_NODE_ARGS passes Node flags to the node process, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const nodeArgs = (process.env.DEPIND_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, DEPIND, 'start', '--home', home, '--rpc.laddr', '127.0.0.1:0', '--p2p.laddr', '/ip4/127.0.0.1/tcp/0', '--block-time', String(o.blockTimeMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<URL>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /CometBFT RPC\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(new URL(m[1]!));
    });
    proc.once('exit', () => reject(new Error(out)));
  });

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let committed = 0;
  let lastCommitAt = 0;
  const blockSizes: number[] = [];
  const ws = await watchCommits(url, (b) => {
    blockSizes.push(b.txHashes.length);
    for (const hash of b.txHashes) {
      const sent = sentAt.get(hash);
      if (sent !== undefined) {
        latencies.push(b.at - sent);
        committed++;
        lastCommitAt = Math.max(lastCommitAt, b.at);
      }
    }
  });

  const { post, close: closePoster } = rpcPoster(url, o.inFlight);

  // CPU seconds of the node process (all threads) and of this load generator, over the run.
  const nodeCpu = () => {
    const f = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  };
  // The same, per kind of thread (µs), from /proc/<pid>/task.
  const threadCpu = () => threadCpuByKind(proc.pid!);
  const threads0 = threadCpu();
  const cpu0 = nodeCpu();
  const self0 = process.cpuUsage();
  let next = 0;
  let rejected = 0;
  let firstError = '';
  const start = performance.now();
  const worker = async () => {
    while (next < txs.length) {
      const chunk = txs.slice(next, next + batch);
      next += chunk.length;
      const now = performance.now();
      for (const tx of chunk) sentAt.set(tx.hash, now);
      for (const r of await broadcastTxs(post, chunk.map((tx) => tx.b64))) {
        rejected++;
        firstError ||= r.answer;
        sentAt.delete(chunk[r.index]!.hash);
      }
    }
  };
  await Promise.all(Array.from({ length: o.inFlight }, worker));
  const broadcastDone = performance.now();
  const deadline = Date.now() + 60_000;
  while (committed < total - rejected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const nodeCpuSeconds = nodeCpu() - cpu0;
  const threads1 = threadCpu();
  const self1 = process.cpuUsage(self0);
  const loadCpuSeconds = (self1.user + self1.system) / 1e6;
  ws.close();
  closePoster();
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  rmSync(home, { recursive: true, force: true });

  latencies.sort((a, b) => a - b);
  const seconds = (lastCommitAt - start) / 1000;
  const tps = committed / seconds;
  const ingest = (txs.length / (broadcastDone - start)) * 1000;
  console.log(`broadcast ingest: ${fmt(ingest)} tx/s (${rejected} rejected${firstError ? `, first: ${firstError}` : ''})`);
  console.log(`committed ${fmt(committed)} txs in ${seconds.toFixed(2)} s = ${fmt(tps)} tx/s; largest block ${fmt(Math.max(0, ...blockSizes))} txs`);
  console.log(`broadcast-to-commit latency: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`);
  console.log(`CPU per committed tx: node ${fmt((nodeCpuSeconds * 1e6) / committed)} µs (all threads), load generator ${fmt((loadCpuSeconds * 1e6) / committed)} µs; ${(nodeCpuSeconds + loadCpuSeconds).toFixed(1)} CPU-s of ${(2 * seconds).toFixed(1)} available on 2 cores`);
  const perThread = [...threads1].map(([k, v]) => [k, (v - (threads0.get(k) ?? 0)) / committed] as const).filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]);
  console.log(`  node CPU per tx by thread: ${perThread.map(([k, v]) => `${k} ${fmt(v)} µs`).join(', ')}`);
  if (committed < total - rejected) throw new Error(`only ${committed}/${total - rejected} txs committed within 60 s`);
  return { tps, p50: percentile(latencies, 50), p99: percentile(latencies, 99), ingest };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // npx node bench/throughput.bench.ts [--accounts N --per-account N --in-flight N --batch N --block-ms N]
  // Without options: the two runs of `npm run bench`. A longer run (e.g. --per-account 36) shows
  // the steady state, where LevelDB compaction has caught up with the writes.
  const { values: v } = parseArgs({ options: { accounts: { type: 'string' }, 'per-account': { type: 'string' }, 'in-flight': { type: 'string' }, batch: { type: 'string' }, 'block-ms': { type: 'string' } } });
  if (Object.keys(v).length === 0) {
    await runThroughputBench({ accounts: 2000, txsPerAccount: 15, inFlight: 64, blockTimeMs: 500 });
    await runThroughputBench({ accounts: 4000, txsPerAccount: 12, inFlight: 16, blockTimeMs: 500, batch: 50 });
  } else {
    await runThroughputBench({
      accounts: Number(v.accounts ?? 4000), txsPerAccount: Number(v['per-account'] ?? 12), inFlight: Number(v['in-flight'] ?? 16),
      blockTimeMs: Number(v['block-ms'] ?? 500), batch: Number(v.batch ?? 50),
    });
  }
}

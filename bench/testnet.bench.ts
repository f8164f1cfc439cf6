// Four validators as separate depind processes on this machine (BFT consensus over libp2p on
// loopback): MsgSends signed in advance by many accounts, broadcast over JSON-RPC spread across the
// four nodes (each account's txs to one node, so its sequences arrive in order; the others get them
// by tx gossip), counted when committed. Reports sustained tx/s, block interval and txs per block,
// p50/p99 time from broadcast to finality (the block that includes the tx is committed on node 0),
// CPU of the four nodes, and, in the same run, the single-validator figure (throughput.bench.ts,
// same load shape). All nodes and the load generator share the machine's cores.
// Run: npx node bench/testnet.bench.ts [accounts] [txsPerAccount]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../chain/crypto/hash.ts';
import { benchGenesis, benchSend } from './pipeline.bench.ts';
import { runThroughputBench } from './throughput.bench.ts';
import { DEPIND } from '../test/helpers/devnet.ts';
import { writeTestnet } from '../node/cli/testnet.ts';
import { machine, percentile, fmt } from './machine.ts';
import { rpcPoster, watchCommits, broadcastTxs } from './rpc-load.ts';

export interface TestnetBenchOptions {
  validators: number;
  accounts: number;
  txsPerAccount: number;
  /** Concurrent HTTP requests per node. */
  inFlightPerNode: number;
  /** Txs per JSON-RPC batch request. */
  batch: number;
  /** timeout_commit (ms). */
  blockTimeMs: number;
  /** Also run the single-validator throughput bench with the same load, for comparison. */
  compareSingle?: boolean;
}

export const DEFAULT_TESTNET_BENCH: TestnetBenchOptions = { validators: 4, accounts: 2000, txsPerAccount: 10, inFlightPerNode: 2, batch: 50, blockTimeMs: 500, compareSingle: true };

export async function runTestnetBench(opts: Partial<TestnetBenchOptions> = {}): Promise<Record<string, number>> {
  const o = { ...DEFAULT_TESTNET_BENCH, ...opts };
  const total = o.accounts * o.txsPerAccount;
  console.log(`\n# ${o.validators} validators as processes (BFT over libp2p, loopback): ${fmt(total)} MsgSends from ${o.accounts} accounts, spread over the nodes in JSON-RPC batches of ${o.batch}, ${o.inFlightPerNode} requests in flight per node, timeout_commit ${o.blockTimeMs} ms (${machine()}, load average ${loadavg()[0]!.toFixed(1)})`);
  const dir = mkdtempSync(join(tmpdir(), 'depind-bench-net-'));
  const base = 30_000 + 10 * Math.floor(Math.random() * 2_000);
  const { nodes } = await writeTestnet({ validators: o.validators, output: join(dir, 'net'), chainId: 'depin-bench-1', basePort: base, blockTimeMs: o.blockTimeMs });
  // The bench genesis (funded accounts) with the testnet's validators.
  const netGenesis = JSON.parse(readFileSync(join(nodes[0]!.home, 'config', 'genesis.json'), 'utf8'));
  const genesis = { ...benchGenesis(o.accounts), validators: netGenesis.validators, genesis_time: netGenesis.genesis_time };
  for (const n of nodes) writeFileSync(join(n.home, 'config', 'genesis.json'), JSON.stringify(genesis));

  const tSign = process.hrtime.bigint();
  const txs: { b64: string; hash: string; account: number }[] = [];
  for (let s = 0; s < o.txsPerAccount; s++) {
    for (let a = 0; a < o.accounts; a++) {
      const bytes = benchSend(a, BigInt(s), BigInt(a));
      txs.push({ b64: Buffer.from(bytes).toString('base64'), hash: Buffer.from(sha256(bytes)).toString('hex').toUpperCase(), account: a });
    }
  }
  console.log(`signed ${fmt(total)} txs in advance in ${(Number(process.hrtime.bigint() - tSign) / 1e6).toFixed(0)} ms`);

  const procs: ChildProcess[] = [];
  let out = '';
  await Promise.all(nodes.map((n) => new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, [DEPIND, 'start', '--home', n.home], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let mine = '';
    p.stdout!.on('data', (d) => {
      mine += d;
      if (/CometBFT RPC/.test(mine)) resolve();
    });
    p.stderr!.on('data', (d) => (out += d));
    p.once('exit', () => reject(new Error(`${n.name} exited:\n${mine}`)));
  })));
  const urls = nodes.map((n) => new URL(`http://${n.rpc}`));
  // Wait for consensus to run (height 2 on node 0).
  for (const deadline = Date.now() + 60_000; ;) {
    const s = await fetch(`${urls[0]!.origin}/status`).then((r) => r.json() as Promise<any>).catch(() => undefined);
    if (s && BigInt(s.result.sync_info.latest_block_height) >= 2n) break;
    if (Date.now() > deadline) throw new Error(`testnet did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const blockSizes: number[] = [];
  const blockArrivals: number[] = [];
  let committed = 0;
  let lastCommitAt = 0;
  let maxRound = 0;
  // Finality: node 0 announcing the commit (stored, executed).
  const ws = await watchCommits(urls[0]!, (b) => {
    blockArrivals.push(b.at);
    maxRound = Math.max(maxRound, b.lastCommitRound);
    let mine = 0;
    for (const hash of b.txHashes) {
      const sent = sentAt.get(hash);
      if (sent !== undefined) {
        latencies.push(b.at - sent);
        committed++;
        mine++;
        lastCommitAt = Math.max(lastCommitAt, b.at);
      }
    }
    if (mine > 0) blockSizes.push(mine);
  });

  const posters = urls.map((u) => rpcPoster(u, o.inFlightPerNode));
  const post = (i: number, body: string) => posters[i]!.post(body);
  const cpu = (pid: number) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  const nodesCpu = () => procs.reduce((s, p) => s + cpu(p.pid!), 0);
  const cpu0 = nodesCpu();
  const self0 = process.cpuUsage();
  // Per node: the txs of the accounts it serves, in signing order (sequence order per account).
  const queues = urls.map((_, i) => txs.filter((t) => t.account % urls.length === i));
  let rejected = 0;
  let firstError = '';
  const start = performance.now();
  await Promise.all(queues.flatMap((q, i) => {
    let next = 0;
    return Array.from({ length: o.inFlightPerNode }, async () => {
      while (next < q.length) {
        const chunk = q.slice(next, next + o.batch);
        next += chunk.length;
        const now = performance.now();
        for (const tx of chunk) sentAt.set(tx.hash, now);
        for (const r of await broadcastTxs((body) => post(i, body), chunk.map((tx) => tx.b64))) {
          rejected++;
          firstError ||= r.answer;
          sentAt.delete(chunk[r.index]!.hash);
        }
      }
    });
  }));
  const broadcastDone = performance.now();
  const deadline = Date.now() + 120_000;
  while (committed < total - rejected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const nodeCpuSeconds = nodesCpu() - cpu0;
  const self = process.cpuUsage(self0);
  ws.close();
  for (const p of posters) p.close();
  await Promise.all(procs.map((p) => new Promise<void>((r) => {
    if (p.exitCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGTERM');
  })));
  rmSync(dir, { recursive: true, force: true });

  latencies.sort((a, b) => a - b);
  const seconds = (lastCommitAt - start) / 1000;
  const tps = committed / seconds;
  const ingest = (txs.length / (broadcastDone - start)) * 1000;
  // Block fetches finish in any order: sort the announcement times before taking intervals.
  const during = blockArrivals.filter((t) => t >= start && t <= lastCommitAt).sort((a, b) => a - b);
  const intervals = during.slice(1).map((t, i) => t - during[i]!).sort((a, b) => a - b);
  console.log(`broadcast ingest: ${fmt(ingest)} tx/s over ${urls.length} nodes (${rejected} rejected${firstError ? `, first: ${firstError}` : ''})`);
  console.log(`committed ${fmt(committed)} txs in ${seconds.toFixed(2)} s = ${fmt(tps)} tx/s; ${blockSizes.length} blocks with txs, median ${fmt(percentile([...blockSizes].sort((a, b) => a - b), 50))} txs, largest ${fmt(Math.max(0, ...blockSizes))}; highest commit round ${maxRound}`);
  console.log(`block interval (commits seen on node 0 under load): median ${percentile(intervals, 50).toFixed(0)} ms, p90 ${percentile(intervals, 90).toFixed(0)} ms (timeout_commit ${o.blockTimeMs} ms)`);
  console.log(`broadcast-to-finality latency: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`);
  console.log(`CPU: ${nodeCpuSeconds.toFixed(1)} CPU-s in the ${urls.length} nodes (${fmt((nodeCpuSeconds * 1e6) / Math.max(1, committed))} µs per committed tx, all nodes), load generator ${((self.user + self.system) / 1e6).toFixed(1)} CPU-s, of ${(2 * seconds).toFixed(1)} available on 2 cores`);
  if (committed < total - rejected) throw new Error(`only ${committed}/${total - rejected} txs committed within 120 s`);
  const result: Record<string, number> = { tps, p50: percentile(latencies, 50), p99: percentile(latencies, 99), blockIntervalMs: percentile(intervals, 50), ingest };
  if (o.compareSingle) {
    const single = await runThroughputBench({ accounts: o.accounts, txsPerAccount: o.txsPerAccount, inFlight: o.inFlightPerNode * urls.length, blockTimeMs: o.blockTimeMs, batch: o.batch });
    console.log(`\n# ${urls.length} validators vs 1 (same run, same load): ${fmt(tps)} vs ${fmt(single.tps!)} tx/s (${((100 * tps) / single.tps!).toFixed(0)}%); p50 finality ${percentile(latencies, 50).toFixed(0)} vs ${single.p50!.toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} vs ${single.p99!.toFixed(0)} ms`);
    result.singleTps = single.tps!;
    result.singleP50 = single.p50!;
    result.singleP99 = single.p99!;
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [accounts, perAccount] = process.argv.slice(2).map(Number);
  await runTestnetBench({ ...(accounts ? { accounts } : {}), ...(perAccount ? { txsPerAccount: perAccount } : {}) });
}

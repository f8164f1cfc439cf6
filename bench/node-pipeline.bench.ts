// The node's per-tx CPU without HTTP and without timing effects: a real DepinNode (LevelDB,
// signature worker, indexer thread) admits pre-signed MsgSends through the mempool in groups of
// 50 (as JSON-RPC batches arrive), then produces and applies fixed-size blocks. Reports CPU per
// committed tx on the main thread (thread CPU time, so other load on the machine does not count)
// and in the rest of the process (workers, GC helpers, LevelDB threads), then the time to read
// txs back (`tx`, `tx_search`) and the LevelDB bytes per tx.
// Run: npx node bench/node-pipeline.bench.ts [blocks] [txsPerBlock]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLevel } from '../node/store/databases.ts';
import { DepinNode } from '../node/node.ts';
import { tuneGarbageCollector } from '../node/gc-tuning.ts';
import { STORE_KEY_KINDS } from '../chain/store/merkle-store.ts';
import { TX_INDEX_KEY_KINDS } from '../node/indexer/tx-indexer.ts';
import { benchGenesis, benchSend, benchKey } from './pipeline.bench.ts';
import { txHashHex } from '../chain/tx/tx-hash.ts';
import { accountAddress } from '../chain/crypto/address.ts';
import { publicKeyCreate } from '../chain/crypto/secp256k1.ts';
import { depindSync } from '../test/helpers/devnet.ts';
import { machine, fmt, threadCpuByKind, threadCpuUs, processCpuUs } from './machine.ts';

export async function runNodePipelineBench(blocks = 6, perBlock = 4000): Promise<Record<string, number>> {
  console.log(`\n# node pipeline in-process: ${blocks} blocks x ${fmt(perBlock)} MsgSends, admission in groups of 50 (${machine()})`);
  tuneGarbageCollector(); // as `depind start` runs
  const home = mkdtempSync(join(tmpdir(), 'depind-pipe-'));
  depindSync(['init', '--dev', '--home', home, '--overwrite']);
  writeFileSync(join(home, 'config', 'genesis.json'), JSON.stringify(benchGenesis(perBlock)));
  const node = await DepinNode.open({ home, config: { blockTimeMs: 1_000_000 }, log: () => {} });
  const txs = Array.from({ length: blocks }, (_, b) => Array.from({ length: perBlock }, (_, i) => benchSend(i, BigInt(b), BigInt(i))));
  await node.produceBlock(); // height 1 (empty), so every measured block is a regular one

  const thread = threadCpuUs;
  const proc = processCpuUs;
  const k0 = threadCpuByKind();
  let mainAdmit = 0;
  let mainBlock = 0;
  let total = 0;
  for (let b = 0; b < blocks; b++) {
    const p0 = proc();
    const t0 = thread();
    const admitted: Promise<unknown>[] = [];
    for (let i = 0; i < perBlock; i += 50) {
      for (const tx of txs[b]!.slice(i, i + 50)) admitted.push(node.mempool.addAsync(Buffer.from(tx)));
      await new Promise((r) => setImmediate(r)); // one group per event-loop turn
    }
    const results = (await Promise.all(admitted)) as { result: { code: number; log: string } }[];
    const bad = results.find((r) => r.result.code !== 0);
    if (bad) throw new Error(`CheckTx failed: ${bad.result.log}`);
    const t1 = thread();
    const before = node.blocks.height();
    await node.produceBlock();
    // The index thread has written the block (it answers lastHeight while a batch is being written).
    while ((await node.indexer.lastHeight()) < node.blocks.height()) await new Promise((r) => setTimeout(r, 2));
    const t2 = thread();
    if (node.blocks.height() !== before + 1n) throw new Error('no block produced');
    mainAdmit += t1 - t0;
    mainBlock += t2 - t1;
    total += proc() - p0;
  }
  const n = blocks * perBlock;
  const admit = mainAdmit / n;
  const block = mainBlock / n;
  const other = (total - mainAdmit - mainBlock) / n;
  const k1 = threadCpuByKind();
  const byKind = [...k1].filter(([k]) => k !== 'MainThread').map(([k, v]) => [k, (v - (k0.get(k) ?? 0)) / n] as const).filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]);
  console.log(`other threads by kind: ${byKind.map(([k, v]) => `${k} ${v.toFixed(0)} µs/tx`).join(', ')}`);
  console.log(`main thread: admission ${admit.toFixed(1)} µs/tx + block ${block.toFixed(1)} µs/tx = ${(admit + block).toFixed(1)} µs/tx; other threads ${other.toFixed(1)} µs/tx; whole process ${(total / n).toFixed(1)} µs/tx`);
  // Reading txs back: `tx` by hash (position from the index thread, record from the block store)
  // and `tx_search` pages, one request at a time.
  const lookups = 1000;
  const l0 = performance.now();
  for (let i = 0; i < lookups; i++) {
    const tx = txs[(i * 7919) % blocks]![(i * 104729) % perBlock]!;
    if (!(await node.indexer.getByHash(txHashHex(tx)))) throw new Error(`committed tx ${txHashHex(tx)} not found by hash`);
  }
  const lookupUs = ((performance.now() - l0) * 1000) / lookups;
  const sender = accountAddress(publicKeyCreate(benchKey(0)));
  const timed = async (q: string) => {
    const t = performance.now();
    const r = await node.indexer.search(q, 1, 100, 'asc');
    return `${fmt(r.totalCount)} matches, page of ${r.txs.length} in ${(performance.now() - t).toFixed(1)} ms`;
  };
  console.log(`reading back: tx by hash ${lookupUs.toFixed(0)} µs; tx_search message.sender (one account) ${await timed(`message.sender='${sender}'`)}; tx.height (a whole block) ${await timed('tx.height=3')}; transfer.amount CONTAINS (every candidate's events checked) ${await timed("transfer.amount CONTAINS 'udpin' AND tx.height=3")}`);
  await node.stop();
  const bytes = await liveBytesByTable(join(home, 'data'));
  const perTx = (b: number) => `${fmt(b / n)} B`;
  console.log(`LevelDB live data per committed tx (keys + values after the run, genesis included; compaction rewrites and overwritten values not counted): ${perTx([...bytes.values()].reduce((a, b) => a + b, 0))}`);
  console.log(`  ${[...bytes].sort((a, b) => b[1] - a[1]).filter(([, b]) => b / n >= 1).map(([t, b]) => `${t} ${perTx(b)}`).join(', ')}`);
  rmSync(home, { recursive: true, force: true });
  return { admit, block, other, total: total / n };
}

/** Live bytes of the node's LevelDB databases, by table: chain.db and blocks.db by sublevel (the
 * state split into tree nodes and flat entries, the block store into blocks, tx records and the
 * rest), index.db by record kind (tx-indexer.ts layout). */
export async function liveBytesByTable(dataDir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const stateKinds: Record<number, string> = { [STORE_KEY_KINDS.node]: ' tree nodes', [STORE_KEY_KINDS.flat]: ' flat entries', [STORE_KEY_KINDS.root]: ' roots' };
  const add = (t: string, b: number) => out.set(t, (out.get(t) ?? 0) + b);
  for (const name of ['chain.db', 'blocks.db']) {
    if (!existsSync(join(dataDir, name))) continue;
    const db = openLevel(join(dataDir, name));
    for await (const [k, v] of db.iterator()) {
      const end = k[0] === 0x21 ? k.indexOf(0x21, 1) : -1; // sublevel keys: !name!rest
      const sub = end > 0 ? Buffer.from(k.subarray(1, end)).toString() : 'other';
      // The block store: blocks ('b:'), tx records (txs with their results, 'R:'), the rest.
      const tag = Buffer.from(k.subarray(end + 1, end + 3)).toString('latin1');
      const kind = sub === 'state' ? stateKinds[k[end + 1]!] ?? ' other' : sub === 'blocks' ? (tag === 'R:' ? ' tx records' : tag === 'b:' ? '' : ' other') : '';
      add(`${name} ${sub}${kind}`, k.length + v.length);
    }
    await db.close();
  }
  const index = openLevel(join(dataDir, 'index.db'));
  const kinds: Record<number, string> = { [TX_INDEX_KEY_KINDS.count]: 'tx counts', [TX_INDEX_KEY_KINDS.hash]: 'tx by hash', [TX_INDEX_KEY_KINDS.attribute]: 'attribute postings' };
  for await (const [k, v] of index.iterator()) add(`index.db ${kinds[k[0]!] ?? 'views'}`, k.length + v.length);
  await index.close();
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) await runNodePipelineBench(Number(process.argv[2] ?? 6), Number(process.argv[3] ?? 4000));

// The authenticated store's hot paths: block commits on a 100k-key state (stage + one synced
// LevelDB batch), reads at the latest and past versions, proofs, and CacheKV get/set as seen by
// tx execution. Run: npx node bench/store.bench.ts [keys] [changedPerBlock] [blocks]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLevel } from '../node/store/databases.ts';
import { MerkleStore } from '../chain/store/merkle-store.ts';
import { CHUNK_NODES } from '../chain/store/smt-node.ts';
import { CacheKV } from '../chain/store/cache-kv.ts';
import { verifyProof } from '../chain/store/proof.ts';
import type { Write } from '../chain/store/kv.ts';
import { machine, opsPerSec, fmt, threadCpuByKind } from './machine.ts';

/** Deterministic PRNG (xorshift32) so every run touches the same keys. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Keys shaped like the bank module's: prefix byte ‖ 20-byte address ‖ denom. */
function stateKey(i: number): Uint8Array {
  const k = new Uint8Array(1 + 20 + 5);
  k[0] = 0x02;
  new DataView(k.buffer).setUint32(1, i);
  for (let j = 5; j < 21; j++) k[j] = (i * 2654435761 + j * 40503) & 0xff;
  k.set(new TextEncoder().encode('udpin'), 21);
  return k;
}

function stateValue(i: number, v: number): Uint8Array {
  const b = new Uint8Array(48); // roughly a protobuf-encoded coin / account record
  new DataView(b.buffer).setUint32(0, i);
  new DataView(b.buffer).setUint32(4, v);
  b.fill(v & 0xff, 8);
  return b;
}

const ms = (t0: number) => performance.now() - t0;

export async function runStoreBench(keys = 100_000, changed = 10_000, blocks = 10): Promise<Record<string, number>> {
  console.log(`\n# authenticated store (${machine()})`);
  const dir = mkdtempSync(join(tmpdir(), 'depin-store-bench-'));
  // The node's LevelDB options (memtable and table sizes), so commits cost what they cost in depind.
  const open = () => openLevel(dir);
  let db = open();
  const out: Record<string, number> = {};
  try {
    let store = await MerkleStore.open(db);
    let t0 = performance.now();
    store.stage(Array.from({ length: keys }, (_, i): Write => [stateKey(i), stateValue(i, 0)]));
    const genStage = ms(t0);
    t0 = performance.now();
    await store.commit(1);
    console.log(`genesis: ${fmt(keys)} keys: stage ${genStage.toFixed(0)} ms, commit ${ms(t0).toFixed(0)} ms (${fmt(store.stats.nodeWrites)} nodes)`);

    let next = keys;
    const rand = rng(42);
    const runBlock = async (v: number) => {
      // 80% updates of existing keys, 20% new keys; distinct keys per block.
      const touched = new Set<number>();
      while (touched.size < changed * 0.8) touched.add(Math.floor(rand() * next));
      const writes: Write[] = [...touched].map((i): Write => [stateKey(i), stateValue(i, v)]);
      for (let j = 0; j < changed * 0.2; j++, next++) writes.push([stateKey(next), stateValue(next, v)]);
      const h0 = store.stats.hashes;
      const w0 = store.stats.nodeWrites;
      const r0 = store.stats.nodeReads;
      const a = performance.now();
      store.stage(writes);
      const stageMs = ms(a);
      const b = performance.now();
      await store.commit(v);
      const commitMs = ms(b);
      const nodes = store.stats.nodeWrites - w0;
      // LevelDB entries: the nodes' chunks, the flat-state puts, the root and the version marker.
      const puts = Math.ceil(nodes / CHUNK_NODES) + writes.length + 2;
      return { stageMs, commitMs, hashesPerKey: (store.stats.hashes - h0) / writes.length, nodes, puts, reads: store.stats.nodeReads - r0 };
    };

    console.log(`blocks of ${fmt(changed)} changed keys (80% updates, 20% inserts) on a ${fmt(keys)}-key state, tree in memory:`);
    const rows: Awaited<ReturnType<typeof runBlock>>[] = [];
    const cpu0 = threadCpuByKind();
    for (let v = 2; v < 2 + blocks; v++) {
      const r = await runBlock(v);
      rows.push(r);
      console.log(
        `  v${v}: stage ${r.stageMs.toFixed(1)} ms + commit ${r.commitMs.toFixed(1)} ms = ${(r.stageMs + r.commitMs).toFixed(1)} ms; ` +
          `${r.hashesPerKey.toFixed(2)} hashes/changed key; ${fmt(r.nodes)} nodes in ${fmt(Math.ceil(r.nodes / CHUNK_NODES))} chunks + ${fmt(changed)} flat = ${fmt(r.puts)} LevelDB puts (${fmt(r.puts / (r.commitMs / 1000))}/s in commit); ${r.reads} node reads`,
      );
    }
    // CPU of every thread over the blocks: the main thread's stage and commit, and LevelDB's own
    // threads (the batch write, memtable flushes and compactions: libuv-worker and unnamed ones).
    const cpu1 = threadCpuByKind();
    const perKey = (k: string) => ((cpu1.get(k) ?? 0) - (cpu0.get(k) ?? 0)) / (changed * blocks);
    const mainUs = perKey('MainThread');
    let allUs = 0;
    for (const k of cpu1.keys()) allUs += perKey(k);
    out.mainUsPerKey = mainUs;
    out.backgroundUsPerKey = allUs - mainUs;
    console.log(`  CPU per changed key over ${blocks} blocks: main thread ${out.mainUsPerKey.toFixed(1)} µs, other threads (LevelDB's write, flushes, compactions; GC helpers) ${out.backgroundUsPerKey.toFixed(1)} µs`);
    const avg = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
    out.stageMs = avg((r) => r.stageMs);
    out.commitMs = avg((r) => r.commitMs);
    out.hashesPerKey = avg((r) => r.hashesPerKey);
    out.putsPerSec = avg((r) => r.puts / (r.commitMs / 1000));
    out.changedKeysPerSec = changed / ((out.stageMs + out.commitMs) / 1000);
    console.log(
      `  mean: stage ${out.stageMs.toFixed(1)} ms + commit ${out.commitMs.toFixed(1)} ms per block => ${fmt(out.changedKeysPerSec)} changed keys/s; ` +
        `${out.hashesPerKey.toFixed(2)} hashes/changed key; ${fmt(out.putsPerSec)} LevelDB puts/s`,
    );

    // Cold cache: reopen (loads the flat state) and commit one block reading nodes from LevelDB.
    await db.close();
    db = open();
    t0 = performance.now();
    store = await MerkleStore.open(db);
    const openMs = ms(t0);
    const cold = await runBlock(2 + blocks);
    console.log(
      `reopen (loads ${fmt(store.size)} flat entries): ${openMs.toFixed(0)} ms; first block, tree not yet in memory: stage ${cold.stageMs.toFixed(1)} ms + commit ${cold.commitMs.toFixed(1)} ms, ${fmt(cold.reads)} node reads (getSync)`,
    );
    const latest = store.version;

    // Reads.
    const sample = Array.from({ length: 4096 }, (_, i) => stateKey(Math.floor((i * 2654435761) % next)));
    const mask = sample.length - 1;
    out.get = opsPerSec((i) => void store.get(sample[i & mask]!), 1000);
    out.getAt = opsPerSec((i) => void store.getAt(sample[i & mask]!, latest - 3), 1000);
    out.prove = opsPerSec((i) => void store.prove(sample[i & mask]!), 1000);
    const proofs = sample.slice(0, 256).map((k) => [k, store.get(k), store.prove(k)] as const);
    const root = store.rootHash();
    out.verify = opsPerSec((i) => {
      const [k, v, p] = proofs[i & 255]!;
      if (!verifyProof(root, k, v, p)) throw new Error('bad proof');
    }, 1000);
    console.log(`MerkleStore.get (flat state) ${fmt(out.get)}/s; getAt(v-3) ${fmt(out.getAt)}/s; prove ${fmt(out.prove)}/s; verifyProof ${fmt(out.verify)}/s`);

    // CacheKV as tx execution sees it: tx branch over block branch over the store.
    const blockBranch = new CacheKV(store);
    for (let i = 0; i < 2048; i++) blockBranch.set(sample[i]!, stateValue(i, 1));
    const txBranch = new CacheKV(blockBranch);
    for (let i = 0; i < 256; i++) txBranch.set(sample[i]!, stateValue(i, 2));
    out.cacheGetLocal = opsPerSec((i) => void txBranch.get(sample[i & 255]!), 1000);
    out.cacheGetParent = opsPerSec((i) => void txBranch.get(sample[256 + (i & 1023)]!), 1000);
    out.cacheGetStore = opsPerSec((i) => void txBranch.get(sample[2048 + (i & 2047)]!), 1000);
    const fresh = new CacheKV(blockBranch);
    const val = stateValue(0, 3);
    out.cacheSet = opsPerSec((i) => fresh.set(sample[i & mask]!, val), 1000);
    t0 = performance.now();
    let n = 0;
    for (const _ of blockBranch.iterator(Uint8Array.of(0x02), Uint8Array.of(0x03))) if (++n === 10_000) break;
    const iterMs = ms(t0);
    console.log(
      `CacheKV (tx branch > block branch > store): get hit in tx branch ${fmt(out.cacheGetLocal)}/s, in block branch ${fmt(out.cacheGetParent)}/s, ` +
        `in store ${fmt(out.cacheGetStore)}/s; set ${fmt(out.cacheSet)}/s; ` +
        `first ${fmt(n)} entries of a merged range scan ${iterMs.toFixed(1)} ms`,
    );

    // A live tree larger than its bound (store.cacheNodes): publish() drops the lower levels and
    // later blocks read them back from LevelDB.
    await db.close();
    db = open();
    const bound = Math.floor(keys / 2);
    store = await MerkleStore.open(db, { cacheNodes: bound });
    const bounded: Awaited<ReturnType<typeof runBlock>>[] = [];
    for (let i = 0; i < 5; i++) bounded.push(await runBlock(store.version + 1));
    const b = bounded.slice(1); // the first one starts from an empty tree in memory
    out.boundedStageMs = b.reduce((x, r) => x + r.stageMs, 0) / b.length;
    out.boundedCommitMs = b.reduce((x, r) => x + r.commitMs, 0) / b.length;
    console.log(
      `bounded to ${fmt(bound)} nodes in memory (the tree has ~${fmt(2 * store.size)}): blocks 2-5 after reopening, stage ${out.boundedStageMs.toFixed(1)} ms + commit ${out.boundedCommitMs.toFixed(1)} ms ` +
        `(longest commit, which includes dropping levels: ${Math.max(...b.map((r) => r.commitMs)).toFixed(1)} ms), ${fmt(b.reduce((x, r) => x + r.reads, 0) / b.length)} node reads per block; ${fmt(store.liveNodes)} nodes in memory at the end`,
    );
    return out;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const [keys, changed, blocks] = process.argv.slice(2).map(Number);
  await runStoreBench(keys || undefined, changed || undefined, blocks || undefined);
}

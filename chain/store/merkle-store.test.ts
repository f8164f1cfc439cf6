// Property tests of the authenticated store against a plain Map and against the reference root
// computed from the definition: contents, ranges, history independence, proofs at every version,
// staging semantics, update cost, reopening and the version rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { verifyProof, encodeProof, decodeProof } from './proof.ts';
import type { Write } from './kv.ts';
import { type Node, LEGACY, CHUNK_NODES, decodeNode, encodeNode, isChunked, chunkId, chunkSlot, chunkNode } from './smt-node.ts';
import { ZERO } from './smt-hash.ts';
import { sha256 } from '../crypto/hash.ts';
import { withTempStore, referenceRoot, hex, modelEntries, iterEntries, type RawDb } from './test-helpers.ts';
import { TreeWalkLimitError, type MerkleStore } from './merkle-store.ts';
import { CacheKV } from './cache-kv.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const lat = (b: Uint8Array) => Buffer.from(b).toString('latin1');

// Keys: a small named space (frequent overwrites and deletes) plus short raw byte strings over
// bytes that stress byte order (0x00, 0x7f/0x80 boundary, 0xff) and the empty key.
const namedKey = fc.integer({ min: 0, max: 40 }).map((i) => enc(`k/${i}`));
const rawKey = fc.array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff), { maxLength: 3 }).map((a) => Uint8Array.from(a));
const key = fc.oneof({ weight: 3, arbitrary: namedKey }, { weight: 1, arbitrary: rawKey });
const value = fc.uint8Array({ minLength: 0, maxLength: 12 });
const write = fc.tuple(key, fc.option(value, { freq: 3 })).map(([k, v]): Write => [k, v ?? undefined]);
const block = fc.record({
  writes: fc.array(write, { maxLength: 25 }),
  decoy: fc.option(fc.array(write, { minLength: 1, maxLength: 5 }), { freq: 3 }), // staged first, then replaced
  reopen: fc.boolean(),
});
const probeKeys: Uint8Array[] = [...Array.from({ length: 41 }, (_, i) => enc(`k/${i}`)), new Uint8Array(0), Uint8Array.of(0x80), Uint8Array.of(0xff, 0x00)];

test('store = Map model; root = reference root; reads, ranges, history and proofs at every version', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(block, { minLength: 1, maxLength: 8 }), fc.constantFrom(4, 64, undefined), fc.tuple(key, key, fc.boolean()), async (blocks, cacheNodes, [lo, hi, rev]) => {
      await withTempStore(async (t) => {
        const model = new Map<string, Uint8Array>();
        const history: { version: number; root: Uint8Array; model: Map<string, Uint8Array> }[] = [];
        let version = 0;
        for (const b of blocks) {
          const before = new Map(model);
          if (b.decoy) t.store.stage(b.decoy);
          const staged = t.store.stage(b.writes);
          for (const [k, v] of b.writes) {
            if (v === undefined) model.delete(lat(k));
            else model.set(lat(k), v);
          }
          // Staging changes neither reads nor the committed root.
          for (const [k] of b.writes) assert.equal(hex(t.store.get(k)), hex(before.get(lat(k))));
          assert.equal(hex(t.store.rootHash()), hex(referenceRoot([...before].map(([k, v]) => [Buffer.from(k, 'latin1'), v]))));
          const root = await t.store.commit(++version);
          assert.equal(hex(root), hex(staged));
          assert.equal(hex(root), hex(referenceRoot([...model].map(([k, v]) => [Buffer.from(k, 'latin1'), v]))));
          history.push({ version, root, model: new Map(model) });
          if (b.reopen) await t.reopen({ cacheNodes });
          assert.equal(t.store.version, version);
          assert.equal(t.store.size, model.size);
          assert.deepEqual(iterEntries(t.store.iterator(undefined, undefined)), modelEntries(model));
          assert.deepEqual(iterEntries(t.store.iterator(undefined, undefined, true)), modelEntries(model, undefined, undefined, true));
          assert.deepEqual(iterEntries(t.store.iterator(lo, hi, rev)), modelEntries(model, lo, hi, rev));
          assert.deepEqual(iterEntries(t.store.iterator(lo, undefined, rev)), modelEntries(model, lo, undefined, rev));
          assert.deepEqual(iterEntries(t.store.iterator(undefined, hi, rev)), modelEntries(model, undefined, hi, rev));
        }
        for (const h of history) {
          assert.equal(hex(t.store.rootAt(h.version)), hex(h.root));
          // Every entry of that version, sorted (what range queries at past heights read).
          assert.deepEqual(iterEntries(t.store.entriesAt(h.version)), modelEntries(h.model), `entriesAt v${h.version}`);
          for (const k of probeKeys) {
            const v = h.model.get(lat(k));
            assert.equal(hex(t.store.getAt(k, h.version)), hex(v), `getAt v${h.version}`);
            const proof = decodeProof(encodeProof(t.store.prove(k, h.version)));
            assert.ok(verifyProof(h.root, k, v, proof), `proof of ${hex(k)} at v${h.version}`);
            // The opposite claim fails: absence of a present key, or any value for an absent one.
            assert.equal(verifyProof(h.root, k, v === undefined ? new Uint8Array(0) : undefined, proof), false);
          }
        }
      }, { cacheNodes });
    }),
    { numRuns: 50 },
  );
});

test('stageChanges (a CacheKV\'s own map) gives what stage gives for the same writes, and keeps nothing of the map', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(write, { maxLength: 25 }), { minLength: 1, maxLength: 6 }), async (blocks) => {
      await withTempStore(async (a) => {
        await withTempStore(async (b) => {
          for (const [i, writes] of blocks.entries()) {
            const branch = new CacheKV(b.store);
            for (const [k, v] of writes) v === undefined ? branch.delete(k) : branch.set(k, v);
            const viaStage = a.store.stage(writes);
            const viaChanges = b.store.stageChanges(branch.changes());
            assert.equal(hex(viaChanges), hex(viaStage));
            // The branch is reused after staging (a later block's writes): the staged values and
            // keys must not change with it.
            for (const [k] of writes) branch.set(k, enc('scribbled'));
            branch.set(enc('new after stage'), enc('x'));
            assert.equal(hex(await b.store.commit(i + 1)), hex(await a.store.commit(i + 1)));
          }
          assert.deepEqual(iterEntries(b.store.entriesAt(blocks.length)), iterEntries(a.store.entriesAt(blocks.length)));
          assert.deepEqual(iterEntries(b.store.iterator(undefined, undefined)), iterEntries(a.store.iterator(undefined, undefined)));
        });
      });
    }),
    { numRuns: 40 },
  );
});

test('entriesAt refuses to walk more than its node bound (a past-height range scan cannot take the node down)', async () => {
  await withTempStore(async (t) => {
    t.store.stage(Array.from({ length: 50 }, (_, i) => [enc(`k/${i}`), enc(`v${i}`)] as [Uint8Array, Uint8Array]));
    await t.store.commit(1);
    t.store.stage([[enc('k/0'), enc('changed')]]);
    await t.store.commit(2);
    assert.equal(t.store.entriesAt(1).length, 50);
    assert.equal(new TextDecoder().decode(t.store.entriesAt(1).find(([k]) => new TextDecoder().decode(k) === 'k/0')![1]), 'v0');
    assert.throws(() => t.store.entriesAt(1, 10), TreeWalkLimitError);
  });
});

test('the root depends only on the final contents, not on order, batching or detours', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.tuple(key, value), { minLength: 1, maxLength: 40, selector: ([k]) => hex(k) }), fc.nat(), fc.array(write, { maxLength: 10 }), async (pairs, seed, detour) => {
      const rootA = await withTempStore(async (t) => {
        t.store.stage(pairs);
        return t.store.commit(1);
      });
      const rootB = await withTempStore(async (t) => {
        // Same contents in another order, over three commits, after unrelated writes that are
        // later overwritten or deleted.
        const shuffled = pairs.map((p, i) => [p, (i * 7919 + seed) % 1009] as const).sort((a, b) => a[1] - b[1]).map(([p]) => p);
        const half = Math.floor(shuffled.length / 2);
        t.store.stage([...detour, ...shuffled.slice(0, half)]);
        await t.store.commit(5);
        t.store.stage(detour.map(([k]): Write => [k, undefined]));
        await t.store.commit(6);
        t.store.stage(shuffled);
        return t.store.commit(7);
      });
      assert.equal(hex(rootA), hex(rootB));
      assert.equal(hex(rootA), hex(referenceRoot(pairs)));
    }),
    { numRuns: 60 },
  );
});

test('empty tree, single leaf and two leaves hash exactly as documented', async () => {
  await withTempStore(async (t) => {
    assert.equal(hex(t.store.rootHash()), '00'.repeat(32));
    t.store.stage([[enc('a'), enc('1')]]);
    const one = await t.store.commit(1);
    // A lone leaf is the root itself (no internal node above it).
    assert.equal(hex(one), hex(referenceRoot([[enc('a'), enc('1')]])));
    t.store.stage([[enc('b'), enc('2')]]);
    const two = await t.store.commit(2);
    assert.equal(hex(two), hex(referenceRoot([[enc('a'), enc('1')], [enc('b'), enc('2')]])));
    t.store.stage([[enc('a'), undefined], [enc('b'), undefined]]);
    assert.equal(hex(await t.store.commit(3)), '00'.repeat(32));
    assert.equal(t.store.size, 0);
  });
});

test('stage replaces the previous stage, discardStaged drops it, empty commits repeat the root', async () => {
  await withTempStore(async (t) => {
    t.store.stage([[enc('x'), enc('1')]]);
    const r1 = await t.store.commit(1);
    const rA = t.store.stage([[enc('y'), enc('2')]]);
    const rB = t.store.stage([[enc('z'), enc('3')]]); // applies on v1, not on top of rA
    assert.equal(hex(rB), hex(referenceRoot([[enc('x'), enc('1')], [enc('z'), enc('3')]])));
    assert.notEqual(hex(rA), hex(rB));
    t.store.discardStaged();
    assert.equal(hex(await t.store.commit(2)), hex(r1)); // nothing staged: same root again
    assert.equal(t.store.get(enc('z')), undefined);
    assert.equal(hex(t.store.rootAt(2)), hex(r1));
    // Duplicates: the last write of a key wins; deleting an absent key is a no-op.
    const r = t.store.stage([[enc('w'), enc('a')], [enc('nope'), undefined], [enc('w'), enc('b')], [enc('x'), enc('1')]]);
    assert.equal(hex(r), hex(referenceRoot([[enc('x'), enc('1')], [enc('w'), enc('b')]])));
    await t.store.commit(3);
    assert.equal(hex(t.store.get(enc('w'))), hex(enc('b')));
    // Staged values are copied: mutating the caller's array afterwards changes nothing.
    const v = enc('mutable');
    const staged = t.store.stage([[enc('m'), v]]);
    v[0] = 0;
    assert.equal(hex(await t.store.commit(4)), hex(staged));
    assert.equal(hex(t.store.get(enc('m'))), hex(enc('mutable')));
  });
});

test('write() makes a version durable while reads keep the previous one; publish() exposes it', async () => {
  await withTempStore(async (t) => {
    t.store.stage([[enc('a'), enc('1')]]);
    const r1 = await t.store.commit(1);
    const r2 = t.store.stage([[enc('a'), enc('2')], [enc('b'), enc('3')]]);
    const writing = t.store.write(2);
    // During the write and after it, until publish(): the previous version, and no other change.
    for (const phase of ['during', 'after'] as const) {
      if (phase === 'after') await writing;
      assert.equal(t.store.version, 1, phase);
      assert.equal(hex(t.store.rootHash()), hex(r1), phase);
      assert.equal(hex(t.store.get(enc('a'))), hex(enc('1')), phase);
      assert.equal(t.store.get(enc('b')), undefined, phase);
      assert.throws(() => t.store.stage([[enc('c'), enc('4')]]), /during commit/, phase);
      assert.throws(() => t.store.discardStaged(), /during commit/, phase);
      await assert.rejects(t.store.commit(2), /concurrent commit/, phase);
    }
    assert.equal(hex(t.store.publish()), hex(r2));
    assert.equal(t.store.version, 2);
    assert.equal(hex(t.store.get(enc('b'))), hex(enc('3')));
    assert.throws(() => t.store.publish(), /without write/);
    // Durable before publish(): a store reopened on the same DB is at version 2.
    await t.reopen();
    assert.equal(t.store.version, 2);
    assert.equal(hex(t.store.rootHash()), hex(r2));
  });
});

test('version rules: genesis at any height, then exactly +1', async () => {
  await withTempStore(async (t) => {
    await assert.rejects(t.store.commit(0), /invalid version/);
    t.store.stage([[enc('g'), enc('1')]]);
    await t.store.commit(100);
    assert.equal(t.store.version, 100);
    assert.equal(t.store.latestVersion, 100);
    assert.equal(t.store.rootAt(99), undefined);
    assert.equal(t.store.rootAt(101), undefined);
    assert.throws(() => t.store.getAt(enc('g'), 99), /no version 99/);
    await assert.rejects(t.store.commit(102), /commit version 102 after 100/);
    await assert.rejects(t.store.commit(100), /commit version 100 after 100/);
    await t.store.commit(101);
    const s = await t.reopen();
    assert.equal(s.version, 101);
    await assert.rejects(s.commit(103), /after 101/);
  });
});

test('a genesis committed at an initial height stores its nodes under that version', async () => {
  await withTempStore(async (t) => {
    const genesis = Array.from({ length: 50 }, (_, i): [Uint8Array, Uint8Array] => [enc(`g${i}`), enc(`v${i}`)]);
    t.store.stage(genesis); // staged as version 1, committed as 100
    await t.store.commit(100);
    t.store.stage([[enc('g0'), enc('changed')], [enc('g1'), undefined]]);
    await t.store.commit(101);
    const s = await t.reopen({ cacheNodes: 2 });
    for (const [k, v] of genesis) {
      assert.equal(hex(s.getAt(k, 100)), hex(v));
      assert.ok(verifyProof(s.rootAt(100)!, k, v, s.prove(k, 100)));
    }
    assert.equal(hex(s.rootAt(100)), hex(referenceRoot(genesis)));
    assert.equal(Buffer.from(s.getAt(enc('g0'), 101)!).toString(), 'changed');
    assert.equal(s.getAt(enc('g1'), 101), undefined);
    const versions = new Set((await storedNodeKeys(t.db)).map((k) => parseInt(k.slice(2, 18), 16)));
    assert.deepEqual([...versions].sort(), [100, 101]);
  });
});

test('an update costs O(changed × log n) hashes and node reads, not O(n)', async () => {
  await withTempStore(async (t) => {
    const n = 20_000;
    t.store.stage(Array.from({ length: n }, (_, i): Write => [enc(`acct/${i}`), enc(`balance ${i}`)]));
    await t.store.commit(1);
    // Cold cache after reopening: every node on the touched paths comes from the DB.
    const s = await t.reopen();
    assert.equal(s.size, n);
    const h0 = s.stats.hashes;
    const r0 = s.stats.nodeReads;
    const changed = 10;
    // Plus one same-value set and one delete of an absent key: neither is a change.
    s.stage([...Array.from({ length: changed }, (_, i): Write => [enc(`acct/${i * 997}`), enc('new')]), [enc('acct/1'), enc('balance 1')], [enc('absent'), undefined]]);
    const hashes = s.stats.hashes - h0;
    const reads = s.stats.nodeReads - r0;
    // depth ≈ log2(20000) ≈ 15 (a little more where paths share long prefixes): per changed key
    // 1 path + 2 leaf hashes + one internal node per level, and one node read per level.
    assert.ok(hashes <= changed * 40, `${hashes} hashes for ${changed} changed keys`);
    assert.ok(hashes >= changed * 10, `${hashes} hashes: the paths were not recomputed?`);
    assert.ok(reads <= changed * 40, `${reads} node reads for ${changed} changed keys`);
    const w0 = s.stats.nodeWrites;
    const k0 = s.stats.keyWrites;
    await s.commit(2);
    assert.ok(s.stats.nodeWrites - w0 <= changed * 40);
    assert.equal(s.stats.keyWrites - k0, changed, 'only effective changes count as key writes');
    assert.equal(hex(s.rootHash()), hex(referenceRoot(Array.from({ length: n }, (_, i): [Uint8Array, Uint8Array] => [enc(`acct/${i}`), i % 997 === 0 && i / 997 < changed ? enc('new') : enc(`balance ${i}`)]))));
  });
});

test('with a live-tree bound larger than the tree, updates never read nodes from the DB', async () => {
  await withTempStore(async (t) => {
    // Inserts next to existing leaves push those leaves down without changing them: they must
    // stay cached, while the nodes a commit supersedes leave the cache.
    for (let v = 1; v <= 12; v++) {
      t.store.stage(Array.from({ length: 300 }, (_, i): Write => [enc(`k${(v * 131 + i * 17) % 3000}`), i % 7 === 0 ? undefined : enc(`v${v}`)]));
      await t.store.commit(v);
    }
    assert.equal(t.store.stats.nodeReads, 0);
  }, { cacheNodes: 20_000 });
});

test('staged keys and values are copied: a Buffer from the pool is neither shared nor pinned', async () => {
  await withTempStore(async (t) => {
    // Buffer.allocUnsafe serves small sizes from a shared pool slab, and Buffer#slice is a view:
    // the store must keep its own exact-size copy (protobufjs encodes into such Buffers).
    const k = Buffer.allocUnsafe(6);
    k.write('pooled');
    const v = Buffer.allocUnsafe(5);
    v.write('first');
    assert.ok(k.buffer.byteLength > k.length && v.buffer.byteLength > v.length, 'test premise: pooled buffers');
    t.store.stage([[k, v]]);
    v.write('XXXXX');
    k.write('XXXXXX');
    await t.store.commit(1);
    const got = t.store.get(enc('pooled'))!;
    assert.equal(Buffer.from(got).toString(), 'first');
    assert.equal(got.buffer.byteLength, 5);
    assert.ok(verifyProof(t.store.rootHash(), enc('pooled'), enc('first'), t.store.prove(enc('pooled'))));
    assert.equal(hex(t.store.rootHash()), hex(referenceRoot([[enc('pooled'), enc('first')]])));
  });
});

test('a live-tree bound smaller than the tree drops nodes and re-reads them, and results do not change', async () => {
  const run = (cacheNodes: number) => withTempStore(async (t) => {
    const roots: (string | undefined)[] = [];
    for (let v = 1; v <= 8; v++) {
      t.store.stage(Array.from({ length: 200 }, (_, i): Write => [enc(`k${(v * 37 + i * 11) % 1500}`), i % 9 === 0 ? undefined : enc(`v${v}-${i}`)]));
      await t.store.commit(v);
      roots.push(hex(t.store.rootHash()));
    }
    const vals = Array.from({ length: 1500 }, (_, i) => hex(t.store.getAt(enc(`k${i}`), 5)));
    return { roots, vals, reads: t.store.stats.nodeReads };
  }, { cacheNodes });
  const big = await run(100_000);
  const small = await run(64);
  assert.deepEqual(small.roots, big.roots);
  assert.deepEqual(small.vals, big.vals);
  assert.equal(big.reads > 0, true, 'past-version reads of superseded nodes come from the DB');
  assert.ok(small.reads > big.reads, `a 64-node bound must read more (${small.reads} vs ${big.reads})`);
});

test('the live tree holds exactly the latest version\'s nodes, and a bound keeps it within bound', async () => {
  await withTempStore(async (t) => {
    const model = new Map<string, Uint8Array>();
    const block = (v: number): Write[] => Array.from({ length: 150 }, (_, i): Write => [enc(`k${(v * 131 + i * 17) % 2000}`), i % 5 === 0 ? undefined : enc(`v${v}-${i}`)]);
    const commit = async (s: MerkleStore, v: number) => {
      s.stage(block(v + 1000)); // a decoy stage loads nodes too, then the real one replaces it
      const writes = block(v);
      s.stage(writes);
      for (const [k, val] of writes) val === undefined ? model.delete(lat(k)) : model.set(lat(k), val);
      await s.commit(v);
      assert.equal(hex(s.rootHash()), hex(referenceRoot([...model].map(([k, val]) => [Buffer.from(k, 'latin1'), val]))));
    };
    for (let v = 1; v <= 12; v++) {
      await commit(t.store, v);
      // Unbounded: every node of this version's tree, and nothing else (the count is not a guess).
      assert.equal(t.store.liveNodes, storedTrees(t.db, v, v).size, `v${v}`);
    }
    assert.equal(t.store.stats.nodeReads, 0);
    const s = await t.reopen({ cacheNodes: 100 });
    assert.equal(s.liveNodes, 0, 'loaded lazily');
    const at12 = [...model].slice(0, 20);
    const size = storedTrees(t.db, 12, 12).size;
    assert.ok(size > 1000, `test premise: a tree (${size} nodes) much larger than the bound`);
    for (let v = 13; v <= 20; v++) {
      const reads = s.stats.nodeReads;
      await commit(s, v);
      assert.ok(s.liveNodes <= 100, `v${v}: ${s.liveNodes} nodes in memory`);
      assert.ok(s.stats.nodeReads - reads > 100, 'paths below the kept levels are read again');
    }
    for (const [k, val] of [...model].slice(0, 50)) assert.ok(verifyProof(s.rootHash(), Buffer.from(k, 'latin1'), val, s.prove(Buffer.from(k, 'latin1'))));
    // A leaf read from its chunk holds a copy of its own bytes, not the whole chunk.
    for (const [k, val] of at12) {
      const got = s.getAt(Buffer.from(k, 'latin1'), 12)!;
      assert.equal(hex(got), hex(val));
      assert.ok(got.buffer.byteLength <= 37 + k.length + val.length, `a ${got.buffer.byteLength}-byte buffer behind one leaf`);
    }
  });
});

test('historical reads survive later deletes, reopening and a tiny memory bound', async () => {
  await withTempStore(async (t) => {
    for (let v = 1; v <= 6; v++) {
      t.store.stage(Array.from({ length: 60 }, (_, i): Write => [enc(`key-${(i * v) % 90}`), v % 3 === 0 && i % 2 === 0 ? undefined : enc(`v${v}-${i}`)]));
      await t.store.commit(v);
    }
    const snapshot = Array.from({ length: 6 }, (_, v) => ({ root: t.store.rootAt(v + 1)!, vals: Array.from({ length: 90 }, (_, i) => hex(t.store.getAt(enc(`key-${i}`), v + 1))) }));
    const latest = iterEntries(t.store.iterator(undefined, undefined));
    // Staged but uncommitted changes are not persisted (a crash before commit loses them).
    t.store.stage([[enc('uncommitted'), enc('x')]]);
    const s = await t.reopen({ cacheNodes: 2 });
    assert.deepEqual(iterEntries(s.iterator(undefined, undefined)), latest);
    assert.equal(s.get(enc('uncommitted')), undefined);
    for (let v = 1; v <= 6; v++) {
      assert.equal(hex(s.rootAt(v)), hex(snapshot[v - 1]!.root));
      for (let i = 0; i < 90; i++) assert.equal(hex(s.getAt(enc(`key-${i}`), v)), snapshot[v - 1]!.vals[i]);
    }
    assert.ok(s.stats.nodeReads > 0);
  });
});

test('open() refuses to serve a database whose latest root is missing', async () => {
  await withTempStore(async (t) => {
    t.store.stage([[enc('a'), enc('1')]]);
    await t.store.commit(1);
    // Simulate corruption outside the store's batch discipline.
    await t.store.db.del(Uint8Array.of(0x72, 0, 0, 0, 0, 0, 0, 0, 1));
    await assert.rejects(t.reopen(), /root of version 1 missing/);
  });
});

/** Every version's tree as stored: node DB key (hex) -> node, walked from the root entries by Ref,
 * each node's hash recomputed from its bytes and checked against what its parent says. */
/** The distinct nodes of the trees of versions from..to, read from the DB, by node id (hex of the
 * Ref, or of the hash for a hash-keyed node), each with the DB key it was read from. */
function storedTrees(db: RawDb, to: number, from = 1): Map<string, { node: Node; key: string }> {
  const sha = (b: Uint8Array) => Buffer.from(sha256(b)).toString('latin1');
  const out = new Map<string, { node: Node; key: string }>();
  const walk = (h: string, ref: string) => {
    if (h === ZERO) return;
    const id = ref === LEGACY ? h : ref;
    const chunked = isChunked(ref);
    const key = Buffer.from('n' + (chunked ? chunkId(ref) : id), 'latin1');
    const raw = db.getSync(key);
    assert.ok(raw, `node ${hex(key)} missing`);
    const n = decodeNode(h, ref, chunked ? chunkNode(raw, chunkSlot(ref), h) : raw);
    const again = n.kind === 1 ? sha(Buffer.from('\x01' + n.left + n.right, 'latin1')) : sha(Buffer.concat([Uint8Array.of(0), Buffer.from(n.keyHash, 'latin1'), sha256(n.value)]));
    assert.equal(hex(Buffer.from(again, 'latin1')), hex(Buffer.from(h, 'latin1')), 'stored node hashes to what its parent says');
    const idHex = Buffer.from(id, 'latin1').toString('hex');
    if (out.has(idHex)) return;
    out.set(idHex, { node: n, key: hex(key)! });
    if (n.kind === 1) {
      walk(n.left, n.lref);
      walk(n.right, n.rref);
    }
  };
  for (let v = from; v <= to; v++) {
    const r = db.getSync(Uint8Array.of(0x72, 0, 0, 0, 0, 0, 0, 0, v))!;
    const h = Buffer.from(r.subarray(0, 32)).toString('latin1');
    walk(h, r.length > 32 ? Buffer.from(r.subarray(32)).toString('latin1') : h === ZERO ? '' : LEGACY);
  }
  return out;
}

async function storedNodeKeys(db: RawDb): Promise<string[]> {
  const keys: string[] = [];
  for await (const [k] of db.iterator({ gt: Uint8Array.of(0x6e), lt: Uint8Array.of(0x6f) })) keys.push(hex(k)!);
  return keys;
}

/** Slots in the chunk stored under `key`. */
async function chunkSize(db: RawDb, key: string): Promise<number> {
  return (await db.get(Buffer.from(key, 'hex')))![0]!;
}

test('commits write exactly the nodes of the versions\' trees, in chunks, each commit\'s after the last: no garbage, nothing missing', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(write, { maxLength: 80 }), { minLength: 1, maxLength: 6 }), async (blocks) => {
      await withTempStore(async (t) => {
        const perVersion: number[] = [];
        for (const [i, b] of blocks.entries()) {
          const w0 = t.store.stats.nodeWrites;
          t.store.stage(b);
          await t.store.commit(i + 1);
          perVersion.push(t.store.stats.nodeWrites - w0);
        }
        // Every chunk stored in the DB holds only nodes reachable from some version's root, and
        // every reachable node is stored...
        const stored = await storedNodeKeys(t.db);
        const reachable = storedTrees(t.db, blocks.length);
        assert.deepEqual(stored, [...new Set([...reachable.values()].map((r) => r.key))].sort());
        let slots = 0;
        for (const k of stored) slots += await chunkSize(t.db, k);
        assert.equal(slots, reachable.size);
        // ...in chunks of CHUNK_NODES under 'n' ‖ u64be version ‖ u32be (2^31 | chunk number):
        // version v's chunks are 0..ceil(count / CHUNK_NODES)-1, in key order after every earlier
        // version's (LevelDB appends them).
        const expected = perVersion.flatMap((count, i) => Array.from({ length: Math.ceil(count / CHUNK_NODES) }, (_, c) => {
          const k = Buffer.alloc(13);
          k[0] = 0x6e;
          k.writeUInt32BE(i + 1, 5);
          k.writeUInt32BE((0x80000000 | c) >>> 0, 9);
          return k.toString('hex');
        }));
        assert.deepEqual(stored, expected);
      });
    }),
    { numRuns: 40 },
  );
});

/** Rewrites every node of versions 1..upTo into an earlier layout, the way that code stored it:
 * - 'hash': under 'n' ‖ hash, internal nodes without child refs (65 bytes), roots without a ref;
 * - 'ref': each node alone under 'n' ‖ ref, refs without the chunk bit. */
async function rewriteInto(db: RawDb, layout: 'hash' | 'ref', upTo: number): Promise<void> {
  const nodes = storedTrees(db, upTo);
  const unchunk = (r: string) => (r.length === 12 ? r.slice(0, 8) + String.fromCharCode(r.charCodeAt(8) & 0x7f) + r.slice(9) : r);
  const batch = db.batch();
  for (const k of await storedNodeKeys(db)) batch.del(Buffer.from(k, 'hex'));
  for (const { node: n } of nodes.values()) {
    if (layout === 'hash') {
      const bytes = encodeNode(n);
      batch.put(Buffer.from('n' + n.hash, 'latin1'), n.kind === 1 ? bytes.subarray(0, 65) : bytes);
    } else {
      const plain: Node = n.kind === 1 ? { ...n, lref: unchunk(n.lref), rref: unchunk(n.rref) } : n;
      batch.put(Buffer.from('n' + unchunk(n.ref), 'latin1'), encodeNode(plain));
    }
  }
  for (let v = 1; v <= upTo; v++) {
    const key = Uint8Array.of(0x72, 0, 0, 0, 0, 0, 0, 0, v);
    const r = Buffer.from(db.getSync(key)!);
    batch.put(key, layout === 'hash' || r.length === 32 ? r.subarray(0, 32) : Buffer.concat([r.subarray(0, 32), Buffer.from(unchunk(r.subarray(32).toString('latin1')), 'latin1')]));
  }
  await batch.write();
}

for (const layout of ['hash', 'ref'] as const) {
  const name = layout === 'hash' ? 'hash-keyed nodes (the first layout)' : 'one node per Ref-keyed entry (the layout before chunks)';
  test(`a database written with ${name} reads, proves and commits on`, async () => {
    await withTempStore(async (t) => {
      const model = new Map<string, Uint8Array>();
      const history: { model: Map<string, Uint8Array>; root: string }[] = [];
      const commitBlock = async (v: number) => {
        const writes = Array.from({ length: 40 }, (_, i): Write => [enc(`k${(v * 13 + i * 7) % 120}`), (v + i) % 5 === 0 ? undefined : enc(`v${v}.${i}`)]);
        for (const [k, val] of writes) if (val === undefined) model.delete(lat(k)); else model.set(lat(k), val);
        t.store.stage(writes);
        await t.store.commit(v);
        history[v] = { model: new Map(model), root: hex(t.store.rootHash())! };
      };
      for (let v = 1; v <= 4; v++) await commitBlock(v);
      await rewriteInto(t.db, layout, 4);
      const oldKeyHexLength = layout === 'hash' ? 66 : 26;
      const isOld = (k: string) => k.length === oldKeyHexLength && (layout === 'hash' || parseInt(k.slice(18, 20), 16) < 0x80);
      assert.equal((await storedNodeKeys(t.db)).every(isOld), true, 'test premise: only the old layout');

      const check = (s: MerkleStore, upTo: number) => {
        for (let v = 1; v <= upTo; v++) {
          const { model: m, root } = history[v]!;
          assert.equal(hex(s.rootAt(v)), root);
          assert.deepEqual(iterEntries(s.entriesAt(v)), modelEntries(m));
          for (const k of probeKeys) {
            const val = m.get(lat(k));
            assert.equal(hex(s.getAt(k, v)), hex(val));
            assert.ok(verifyProof(s.rootAt(v)!, k, val, s.prove(k, v)), `proof v${v}`);
          }
        }
      };
      let s = await t.reopen({ cacheNodes: 8 });
      check(s, 4);
      // New commits link the old nodes they keep as they are stored, and chunk the new ones.
      for (let v = 5; v <= 7; v++) await commitBlock(v);
      assert.equal(hex(s.rootHash()), hex(referenceRoot([...model].map(([k, v]) => [Buffer.from(k, 'latin1'), v]))));
      s = await t.reopen();
      check(s, 7);
      const keys = await storedNodeKeys(t.db);
      assert.ok(keys.some(isOld) && keys.some((k) => !isOld(k)), 'both layouts in use');
    });
  });
}

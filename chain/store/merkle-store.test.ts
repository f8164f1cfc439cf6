// Property tests of the authenticated store against a plain Map: contents, history independence,
// membership / non-membership proofs (and tampered ones failing), past versions, and reopening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import fc from 'fast-check';
import { MerkleStore } from './merkle-store.ts';
import { CacheKV } from './cache-kv.ts';
import { verifyProof, encodeProof, decodeProof, type MerkleProof } from './proof.ts';
import type { Write } from './kv.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const hexOrU = (b: Uint8Array | undefined) => (b === undefined ? undefined : hex(b));

async function withStore<T>(fn: (open: () => Promise<MerkleStore>, close: () => Promise<void>) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'smt-'));
  let db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  try {
    return await fn(
      async () => {
        if (db.status === 'closed') db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
        await db.open();
        return MerkleStore.open(db);
      },
      () => db.close(),
    );
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Small key space so sets, overwrites and deletes of the same keys happen often.
const key = fc.integer({ min: 0, max: 40 }).map((i) => new TextEncoder().encode(`k/${i}`));
const value = fc.uint8Array({ minLength: 0, maxLength: 12 });
const op = fc.tuple(key, fc.option(value, { freq: 3 })).map(([k, v]): Write => [k, v ?? undefined]);
const blocks = fc.array(fc.array(op, { maxLength: 25 }), { minLength: 1, maxLength: 8 });

function tamper(p: MerkleProof, rnd: number): MerkleProof | undefined {
  const siblings = p.siblings.map((s) => Uint8Array.from(s));
  if (siblings.length === 0) return undefined;
  const s = siblings[rnd % siblings.length]!;
  s[rnd % 32]! ^= 0x01;
  return { ...p, siblings };
}

test('store matches a Map; proofs verify at every version; tampered proofs fail', async () => {
  await fc.assert(
    fc.asyncProperty(blocks, fc.nat(), async (bs, rnd) => {
      await withStore(async (open) => {
        const store = await open();
        const model = new Map<string, Uint8Array>();
        const history: { version: number; root: Uint8Array; model: Map<string, Uint8Array> }[] = [];
        let version = 0;
        for (const writes of bs) {
          for (const [k, v] of writes) {
            if (v === undefined) model.delete(hex(k));
            else model.set(hex(k), v);
          }
          const staged = store.stage(writes);
          const root = await store.commit(++version);
          assert.equal(hex(root), hex(staged));
          history.push({ version, root, model: new Map(model) });
          // Latest contents equal the model, in key order.
          const got = [...store.iterator(undefined, undefined)].map(([k, v]) => [hex(k), hex(v)]);
          const want = [...model.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'))).map(([k, v]) => [k, hex(v)]);
          assert.deepEqual(got, want);
        }
        for (const h of history) {
          assert.equal(hex(store.rootAt(h.version)!), hex(h.root));
          for (let i = 0; i <= 40; i++) {
            const k = new TextEncoder().encode(`k/${i}`);
            const v = h.model.get(hex(k));
            assert.equal(hexOrU(store.getAt(k, h.version)), hexOrU(v));
            const proof = decodeProof(encodeProof(store.prove(k, h.version)));
            assert.ok(verifyProof(h.root, k, v, proof), `proof of k/${i} at v${h.version}`);
            // Claiming the opposite (absence of a present key / some value for an absent key) fails.
            assert.equal(verifyProof(h.root, k, v === undefined ? Uint8Array.of(1) : undefined, proof), false);
            if (v !== undefined) assert.equal(verifyProof(h.root, k, Uint8Array.from([...v, 0]), proof), false);
            const bad = tamper(proof, rnd + i);
            if (bad) assert.equal(verifyProof(h.root, k, v, bad), false);
            const otherRoot = Uint8Array.from(h.root);
            otherRoot[0]! ^= 0x80;
            assert.equal(verifyProof(otherRoot, k, v, proof), false);
          }
        }
      });
    }),
    { numRuns: 40 },
  );
});

test('the root depends only on the contents, not on the order or batching of writes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 40 }), fc.nat(), async (pairs, seed) => {
      const final = new Map<string, [Uint8Array, Uint8Array]>();
      for (const [k, v] of pairs) final.set(hex(k), [k, v]);
      const rootA = await withStore(async (open) => {
        const s = await open();
        s.stage(pairs.map(([k, v]): Write => [k, v]));
        return s.commit(1);
      });
      const rootB = await withStore(async (open) => {
        const s = await open();
        // The final contents written in another order, over several commits, with a detour.
        const entries = [...final.values()];
        const shuffled = entries.map((e, i) => [e, (i * 7919 + seed) % 1009] as const).sort((a, b) => a[1] - b[1]).map(([e]) => e);
        const half = Math.floor(shuffled.length / 2);
        s.stage([...shuffled.slice(0, half).map(([k, v]): Write => [k, v]), [new TextEncoder().encode('detour'), Uint8Array.of(9)]]);
        await s.commit(1);
        s.stage([...shuffled.slice(half).map(([k, v]): Write => [k, v]), [new TextEncoder().encode('detour'), undefined]]);
        return s.commit(2);
      });
      assert.equal(hex(rootA), hex(rootB));
    }),
    { numRuns: 40 },
  );
});

test('reopening the database restores version, root, contents and history', async () => {
  await withStore(async (open, close) => {
    let s = await open();
    const enc = new TextEncoder();
    for (let v = 1; v <= 5; v++) {
      s.stage(Array.from({ length: 50 }, (_, i): Write => [enc.encode(`key-${(i * v) % 70}`), enc.encode(`v${v}-${i}`)]));
      await s.commit(v);
    }
    const root = s.rootHash();
    const r3 = s.rootAt(3)!;
    const snapshot = [...s.iterator(undefined, undefined)].map(([k, v]) => hex(k) + hex(v));
    const old = s.getAt(enc.encode('key-2'), 2);
    // Staged but uncommitted changes are not persisted (a crash before commit loses them).
    s.stage([[enc.encode('uncommitted'), enc.encode('x')]]);
    await close();
    s = await open();
    assert.equal(s.version, 5);
    assert.equal(hex(s.rootHash()), hex(root));
    assert.equal(hex(s.rootAt(3)!), hex(r3));
    assert.deepEqual([...s.iterator(undefined, undefined)].map(([k, v]) => hex(k) + hex(v)), snapshot);
    assert.equal(hexOrU(s.getAt(enc.encode('key-2'), 2)), hexOrU(old));
    assert.equal(s.get(enc.encode('uncommitted')), undefined);
    await assert.rejects(s.commit(7), /commit version 7 after 5/);
  });
});

test('CacheKV branches behave like a Map layered over the parent, iteration included', async () => {
  const entry = fc.tuple(fc.integer({ min: 0, max: 30 }), fc.option(fc.integer({ min: 0, max: 9 }), { freq: 3 }));
  await fc.assert(
    fc.asyncProperty(fc.array(entry, { maxLength: 30 }), fc.array(entry, { maxLength: 30 }), fc.array(entry, { maxLength: 30 }), fc.boolean(), async (base, mid, top, writeTop) => {
      await withStore(async (open) => {
        const enc = (n: number) => new TextEncoder().encode(`x${String(n).padStart(2, '0')}`);
        const s = await open();
        const model = new Map<string, string>();
        const apply = (kv: { set(k: Uint8Array, v: Uint8Array): void; delete(k: Uint8Array): void }, ops: [number, number | null][], m: Map<string, string>) => {
          for (const [k, v] of ops) {
            if (v === null) (kv.delete(enc(k)), m.delete(`x${String(k).padStart(2, '0')}`));
            else (kv.set(enc(k), Uint8Array.of(v)), m.set(`x${String(k).padStart(2, '0')}`, String(v)));
          }
        };
        const b0 = new CacheKV(s);
        apply(b0, base, model);
        s.stage(b0.writes());
        await s.commit(1);
        const b1 = new CacheKV(s);
        const m1 = new Map(model);
        apply(b1, mid, m1);
        const b2 = new CacheKV(b1);
        const m2 = new Map(m1);
        apply(b2, top, m2);
        const expected = writeTop ? m2 : m1;
        if (writeTop) b2.write();
        const view = (kv: CacheKV, reverse: boolean, lo?: number, hi?: number) =>
          [...kv.iterator(lo === undefined ? undefined : enc(lo), hi === undefined ? undefined : enc(hi), reverse)].map(([k, v]) => `${new TextDecoder().decode(k)}=${v[0]}`);
        const want = [...expected.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
        assert.deepEqual(view(b1, false), want);
        assert.deepEqual(view(b1, true), [...want].reverse());
        assert.deepEqual(view(b1, false, 5, 20), want.filter((e) => e >= 'x05' && e < 'x20'));
        assert.deepEqual(view(b1, true, 5, 20), want.filter((e) => e >= 'x05' && e < 'x20').reverse());
        for (let i = 0; i <= 30; i++) {
          const k = `x${String(i).padStart(2, '0')}`;
          assert.equal(b1.has(enc(i)), expected.has(k));
          assert.equal(b1.get(enc(i))?.[0]?.toString(), expected.get(k));
        }
        // The committed store is untouched until the branch is staged and committed.
        assert.deepEqual([...s.iterator(undefined, undefined)].length, model.size);
      });
    }),
    { numRuns: 60 },
  );
});

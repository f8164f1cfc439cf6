// CacheKV against a model of layered Maps: random programs of sets, deletes, nested branches,
// write()/discard of the top branch, commits of the bottom branch into the Merkle store, point
// reads and range iteration (both directions, deletes shadowing the parent, deleting while
// iterating) checked at every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CacheKV } from './cache-kv.ts';
import type { KVReader } from './kv.ts';
import { withTempStore, hex } from './test-helpers.ts';

// Keys over bytes that stress byte order (0x7f/0x80, 0xff, prefixes of each other, empty).
const keyBytes = fc.array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff), { maxLength: 3 }).map((a) => Uint8Array.from(a));
const lat = (b: Uint8Array) => Buffer.from(b).toString('latin1');

type Action =
  | { t: 'set'; k: Uint8Array; v: number; under: boolean }
  | { t: 'del'; k: Uint8Array }
  | { t: 'push' }
  | { t: 'write' }
  | { t: 'discard' }
  | { t: 'commit' }
  | { t: 'iter'; lo: Uint8Array | undefined; hi: Uint8Array | undefined; reverse: boolean; level: number }
  | { t: 'drain'; lo: Uint8Array | undefined; hi: Uint8Array | undefined };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('set' as const), k: keyBytes, v: fc.integer({ min: 0, max: 255 }), under: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('del' as const), k: keyBytes }) },
  { weight: 2, arbitrary: fc.constant({ t: 'push' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'write' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'discard' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'commit' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('iter' as const), lo: fc.option(keyBytes, { nil: undefined }), hi: fc.option(keyBytes, { nil: undefined }), reverse: fc.boolean(), level: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drain' as const), lo: fc.option(keyBytes, { nil: undefined }), hi: fc.option(keyBytes, { nil: undefined }) }) },
);

/** The model: committed contents plus one overlay per branch (null = deleted). */
class Model {
  base = new Map<string, number>();
  overlays: Map<string, number | null>[] = [new Map()];
  view(level: number): Map<string, number> {
    const m = new Map(this.base);
    for (let i = 0; i <= level; i++) for (const [k, v] of this.overlays[i]!) v === null ? m.delete(k) : m.set(k, v);
    return m;
  }
  range(level: number, lo?: Uint8Array, hi?: Uint8Array, reverse = false): string[] {
    const l = lo && lat(lo);
    const h = hi && lat(hi);
    const out = [...this.view(level)]
      .filter(([k]) => (l === undefined || k >= l) && (h === undefined || k < h))
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')))
      .map(([k, v]) => `${Buffer.from(k, 'latin1').toString('hex')}=${v}`);
    return reverse ? out.reverse() : out;
  }
}

const show = (it: Iterable<[Uint8Array, Uint8Array]>) => [...it].map(([k, v]) => `${hex(k)}=${v[0]}`);

test('CacheKV branches (nested, written, discarded, committed) behave like layered Maps', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(action, { maxLength: 60 }), async (actions) => {
      await withTempStore(async (t) => {
        const model = new Model();
        const branches: CacheKV[] = [new CacheKV(t.store)];
        let version = 0;
        const top = () => branches[branches.length - 1]!;
        const check = () => {
          const level = branches.length - 1;
          const view = model.view(level);
          for (const k of [new Uint8Array(0), Uint8Array.of(0x80), Uint8Array.of(0x7f, 0xff), Uint8Array.of(0xff, 0xff, 0xff)]) {
            assert.equal(top().get(k)?.[0], view.get(lat(k)));
            assert.equal(top().has(k), view.has(lat(k)));
          }
          // changes() of the top branch: its overlay, each key once (in any order: compared sorted).
          const w = [...top().changes()].map(([k, v]) => `${Buffer.from(k, 'latin1').toString('hex')}=${v?.[0] ?? 'del'}`);
          assert.equal(new Set(w.map((e) => e.split('=')[0])).size, w.length);
          w.sort((a, b) => Buffer.compare(Buffer.from(a.split('=')[0]!, 'hex'), Buffer.from(b.split('=')[0]!, 'hex')));
          const o = [...model.overlays[level]!].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'))).map(([k, v]) => `${Buffer.from(k, 'latin1').toString('hex')}=${v ?? 'del'}`);
          assert.deepEqual(w, o);
        };
        for (const a of actions) {
          const level = branches.length - 1;
          switch (a.t) {
            case 'set': {
              // Mostly on the top branch; sometimes on its parent, which the child must see
              // through wherever it has no local entry.
              const l = a.under && level > 0 ? level - 1 : level;
              branches[l]!.set(a.k, Uint8Array.of(a.v));
              model.overlays[l]!.set(lat(a.k), a.v);
              break;
            }
            case 'del':
              top().delete(a.k);
              model.overlays[level]!.set(lat(a.k), null);
              break;
            case 'push':
              branches.push(new CacheKV(top()));
              model.overlays.push(new Map());
              break;
            case 'write':
              if (level === 0) {
                assert.throws(() => top().write(), /read-only/);
                break;
              }
              top().write();
              for (const [k, v] of model.overlays[level]!) model.overlays[level - 1]!.set(k, v);
              model.overlays[level]!.clear();
              branches.pop();
              model.overlays.pop();
              break;
            case 'discard':
              top().discard();
              model.overlays[level]!.clear();
              break;
            case 'commit': {
              if (level !== 0) break;
              t.store.stageChanges(top().changes());
              await t.store.commit(++version);
              model.base = model.view(0);
              model.overlays[0] = new Map();
              branches[0] = new CacheKV(t.store);
              break;
            }
            case 'iter': {
              const l = Math.min(a.level, level);
              assert.deepEqual(show(branches[l]!.iterator(a.lo, a.hi, a.reverse)), model.range(l, a.lo, a.hi, a.reverse), `iter level ${l}`);
              break;
            }
            case 'drain': {
              // Delete every key while iterating over them (the iterator must not be disturbed).
              const want = model.range(level, a.lo, a.hi);
              const seen: string[] = [];
              for (const [k, v] of top().iterator(a.lo, a.hi)) {
                seen.push(`${hex(k)}=${v[0]}`);
                top().delete(k);
                model.overlays[level]!.set(lat(k), null);
              }
              assert.deepEqual(seen, want);
              assert.deepEqual(show(top().iterator(a.lo, a.hi)), []);
              break;
            }
          }
          check();
        }
      });
    }),
    { numRuns: 150 },
  );
});

test('CacheKV over a minimal reader, and key views with offsets', () => {
  const entries = new Map<string, Uint8Array>([['a', Uint8Array.of(1)], ['b', Uint8Array.of(2)], ['c', Uint8Array.of(3)]]);
  const plain: KVReader = {
    get: (k) => entries.get(lat(k)),
    has: (k) => entries.has(lat(k)),
    getS: (k) => entries.get(k),
    hasS: (k) => entries.has(k),
    *iterator(start, end, reverse) {
      const ks = [...entries.keys()].sort().filter((k) => (!start || k >= lat(start)) && (!end || k < lat(end)));
      for (const k of reverse ? ks.reverse() : ks) yield [Buffer.from(k, 'latin1'), entries.get(k)!];
    },
  };
  const c = new CacheKV(plain);
  const buf = Uint8Array.from([0x7a, 0x62, 0x7a]); // "zbz": the key "b" is the view [1, 2)
  c.delete(buf.subarray(1, 2));
  c.set(Uint8Array.of(0x61, 0x61), Uint8Array.of(9));
  assert.equal(c.get(Uint8Array.of(0x62)), undefined);
  assert.equal(c.has(Uint8Array.of(0x62)), false);
  assert.equal(c.get(Uint8Array.of(0x63))?.[0], 3);
  assert.deepEqual(show(c.iterator(undefined, undefined)), ['61=1', '6161=9', '63=3']);
  assert.deepEqual(show(c.iterator(Uint8Array.of(0x61, 0x61), undefined, true)), ['63=3', '6161=9']);
  assert.deepEqual(show(c.iterator(Uint8Array.of(0x62), Uint8Array.of(0x62))), []);
});

test('a large branch scanned again and again between writes (filtered first, then indexed and caught up) matches the model', async () => {
  await withTempStore(async (t) => {
    // 2-byte keys over a small alphabet: many prefixes and byte-order edges; a committed base
    // under a branch of >1024 local sets and deletes (some shadowing committed keys).
    const alphabet = [0x00, 0x01, 0x41, 0x7f, 0x80, 0xfe, 0xff];
    const model = new Model();
    const base = new CacheKV(t.store);
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), (seed >>> 8) % n);
    const key = () => Uint8Array.of(alphabet[rnd(7)]!, alphabet[rnd(7)]!, rnd(256), rnd(8));
    for (let i = 0; i < 500; i++) {
      const k = key();
      base.set(k, Uint8Array.of(1));
      model.base.set(lat(k), 1);
    }
    t.store.stageChanges(base.changes());
    await t.store.commit(1);
    const branch = new CacheKV(t.store);
    for (let i = 0; i < 3000; i++) {
      const k = key();
      if (rnd(5) === 0) {
        branch.delete(k);
        model.overlays[0]!.set(lat(k), null);
      } else {
        const v = rnd(256);
        branch.set(k, Uint8Array.of(v));
        model.overlays[0]!.set(lat(k), v);
      }
    }
    assert.ok(branch.size > 1024);
    for (let scan = 0; scan < 30; scan++) {
      const a = Uint8Array.of(alphabet[rnd(7)]!);
      const b = Uint8Array.of(alphabet[rnd(7)]!, 0x80);
      const [lo, hi] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
      const reverse = scan % 2 === 1;
      assert.deepEqual(show(branch.iterator(lo, hi, reverse)), model.range(0, lo, hi, reverse), `scan ${scan}`);
      assert.deepEqual(show(branch.iterator(undefined, hi, reverse)), model.range(0, undefined, hi, reverse), `scan ${scan} open start`);
      // A write between scans must show up in the next one, on either path.
      const k = key();
      branch.set(k, Uint8Array.of(scan));
      model.overlays[0]!.set(lat(k), scan);
    }
  });
});

test('a branch indexed while small, then written to heavily, scans in order and lists every write once', async () => {
  await withTempStore(async (t) => {
    const model = new Model();
    const branch = new CacheKV(t.store);
    const k = (i: number) => Uint8Array.of(i % 251, (i * 7) % 256, i >> 8);
    for (let i = 0; i < 10; i++) {
      branch.set(k(i), Uint8Array.of(i));
      model.overlays[0]!.set(lat(k(i)), i);
    }
    assert.deepEqual(show(branch.iterator(undefined, undefined)), model.range(0)); // builds the index
    for (let i = 10; i < 3000; i++) {
      if (i % 9 === 0) {
        branch.delete(k(i - 5));
        model.overlays[0]!.set(lat(k(i - 5)), null);
      } else {
        branch.set(k(i), Uint8Array.of(i & 0xff));
        model.overlays[0]!.set(lat(k(i)), i & 0xff);
      }
    }
    for (let scan = 0; scan < 8; scan++) {
      const lo = Uint8Array.of(scan * 20);
      const hi = Uint8Array.of(scan * 20 + 30);
      assert.deepEqual(show(branch.iterator(lo, hi, scan % 2 === 1)), model.range(0, lo, hi, scan % 2 === 1), `scan ${scan}`);
    }
    assert.deepEqual([...branch.changes().keys()].map((k) => Buffer.from(k, 'latin1').toString('hex')).sort(), [...model.overlays[0]!.keys()].map((s) => Buffer.from(s, 'latin1').toString('hex')).sort());
  });
});

// Proofs: every honest proof verifies, every tampered one fails, and the binary encoding is a
// canonical round trip. Golden bytes pin the format for the Solidity verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256 } from '../crypto/hash.ts';
import { verifyProof, encodeProof, decodeProof, type MerkleProof } from './proof.ts';
import type { Write } from './kv.ts';
import { withTempStore, hex } from './test-helpers.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const flip = (b: Uint8Array, i: number): Uint8Array => {
  const c = Uint8Array.from(b);
  c[i % c.length]! ^= 1 << (i % 8); // i >= 0
  return c;
};

test('honest proofs verify; tampered siblings, values, keys, leaves and roots fail', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 300 }), fc.nat(), async (n, seed) => {
      await withTempStore(async (t) => {
        // n present keys; probe them and as many absent ones.
        t.store.stage(Array.from({ length: n }, (_, i): Write => [enc(`in/${i}`), enc(`value ${i * seed}`)]));
        const root = await t.store.commit(1);
        const probes = [...Array.from({ length: Math.min(n, 20) }, (_, i) => (i * 7 + seed) % n), -1, -2, -3];
        for (const [j, i] of probes.entries()) {
          const present = i >= 0;
          const k = present ? enc(`in/${i}`) : enc(`out/${seed}/${i}`);
          const v = present ? enc(`value ${i * seed}`) : undefined;
          const p = t.store.prove(k);
          assert.ok(verifyProof(root, k, v, p));
          const r = seed + j;
          // Wrong root.
          assert.equal(verifyProof(flip(root, r), k, v, p), false, 'wrong root');
          // A flipped byte in any one sibling.
          if (p.siblings.length > 0) {
            const siblings = p.siblings.map((s, idx) => (idx === r % p.siblings.length ? flip(s, Math.floor(r / 8)) : s));
            assert.equal(verifyProof(root, k, v, { ...p, siblings }), false, 'flipped sibling');
          }
          // A sibling more or fewer.
          assert.equal(verifyProof(root, k, v, { ...p, siblings: [...p.siblings, new Uint8Array(32)] }), false, 'extra sibling');
          if (p.siblings.length > 0) assert.equal(verifyProof(root, k, v, { ...p, siblings: p.siblings.slice(1) }), false, 'missing sibling');
          if (present) {
            assert.equal(verifyProof(root, k, flip(v!, r), p), false, 'wrong value');
            assert.equal(verifyProof(root, k, undefined, p), false, 'membership proof as absence');
            assert.equal(verifyProof(root, enc(`in/${i}x`), v, p), false, 'wrong key');
            assert.equal(verifyProof(root, k, v, { ...p, otherLeaf: { keyHash: sha256(enc('z')), valueHash: sha256(v!) } }), false);
            // The key's own leaf passed off as "another leaf" must not prove absence.
            assert.equal(verifyProof(root, k, undefined, { siblings: p.siblings, otherLeaf: { keyHash: sha256(k), valueHash: sha256(v!) } }), false, 'own leaf as other');
          } else {
            assert.equal(verifyProof(root, k, enc(''), p), false, 'absence proof as membership');
            if (p.otherLeaf) {
              const { keyHash, valueHash } = p.otherLeaf;
              assert.equal(verifyProof(root, k, undefined, { ...p, otherLeaf: { keyHash, valueHash: flip(valueHash, r) } }), false, 'other leaf value');
              // Claiming the key's own path as the "other" leaf is refused outright.
              assert.equal(verifyProof(root, k, undefined, { ...p, otherLeaf: { keyHash: sha256(k), valueHash } }), false, 'self as other leaf');
              // Dropping the other leaf claims an empty slot where there is a leaf.
              assert.equal(verifyProof(root, k, undefined, { siblings: p.siblings }), false, 'no other leaf');
            }
          }
          // The wire format round-trips exactly.
          const bytes = encodeProof(p);
          const back = decodeProof(bytes);
          assert.deepEqual(back.siblings.map(hex), p.siblings.map(hex));
          assert.deepEqual(back.otherLeaf && [hex(back.otherLeaf.keyHash), hex(back.otherLeaf.valueHash)], p.otherLeaf && [hex(p.otherLeaf.keyHash), hex(p.otherLeaf.valueHash)]);
          assert.equal(hex(encodeProof(back)), hex(bytes));
        }
      });
    }),
    { numRuns: 25 },
  );
});

test('a non-membership proof whose other leaf is off the key path fails', () => {
  // Build by hand: root = the lone leaf L, so an absence proof for key k with depth 0 and
  // otherLeaf = L verifies; the same leaf placed under a sibling level must share the path bit.
  const k = enc('absent');
  // One "other" key on each side of k's first path bit.
  for (const name of ['present', 'p1', 'p2', 'p3']) assertOtherLeafBit(k, enc(name));
  const bits = new Set(['present', 'p1', 'p2', 'p3'].map((n) => sha256(enc(n))[0]! >> 7));
  assert.equal(bits.size, 2, 'test keys should cover both bits');
});

function assertOtherLeafBit(k: Uint8Array, otherKey: Uint8Array): void {
  const other = { keyHash: sha256(otherKey), valueHash: sha256(enc('v')) };
  const leaf = sha256(Buffer.concat([Uint8Array.of(0), other.keyHash, other.valueHash]));
  assert.ok(verifyProof(leaf, k, undefined, { siblings: [], otherLeaf: other }));
  const sib = sha256(enc('some subtree'));
  const pathBit = sha256(k)[0]! >> 7;
  const otherBit = other.keyHash[0]! >> 7;
  const root = pathBit === 0 ? sha256(Buffer.concat([Uint8Array.of(1), leaf, sib])) : sha256(Buffer.concat([Uint8Array.of(1), sib, leaf]));
  assert.equal(verifyProof(root, k, undefined, { siblings: [sib], otherLeaf: other }), pathBit === otherBit);
}

test('decodeProof accepts only canonical encodings: decode(b) re-encodes to b, or throws', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        // Near-valid inputs: small depth, bitmap, siblings, kind.
        fc.tuple(fc.integer({ min: 0, max: 20 }), fc.uint8Array({ maxLength: 3 }), fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 4 }), fc.constantFrom(0, 1, 2), fc.uint8Array({ maxLength: 70 })).map(
          ([d, bm, sibs, kind, tail]) => Uint8Array.from([0, d, ...bm, ...sibs.flatMap((s) => [...s]), kind, ...tail]),
        ),
      ),
      (b) => {
        let p: MerkleProof;
        try {
          p = decodeProof(b);
        } catch {
          return;
        }
        assert.equal(hex(encodeProof(p)), hex(b));
      },
    ),
    { numRuns: 3000 },
  );
  // Specific non-canonical forms.
  assert.throws(() => decodeProof(Uint8Array.from([0, 1, 0x40, 0])), /padding/); // bit past depth
  assert.throws(() => decodeProof(Uint8Array.from([0, 1, 0x80, ...new Uint8Array(32), 0])), /zero sibling/);
  assert.throws(() => decodeProof(Uint8Array.from([1, 1])), /too short|> 256/);
  assert.throws(() => decodeProof(Uint8Array.from([0, 0, 0, 0])), /kind byte or length/);
  assert.deepEqual(decodeProof(Uint8Array.from([0, 0, 0])), { siblings: [] });
});

test('golden vectors: roots and proof bytes for a three-key tree', async () => {
  await withTempStore(async (t) => {
    t.store.stage([
      [enc('alice'), enc('100')],
      [enc('bob'), enc('200')],
      [enc('carol'), enc('300')],
    ]);
    const root = await t.store.commit(1);
    assert.equal(hex(root), GOLDEN.root);
    assert.equal(hex(encodeProof(t.store.prove(enc('bob')))), GOLDEN.bob);
    assert.equal(hex(encodeProof(t.store.prove(enc('dave')))), GOLDEN.dave);
  });
});

// sha256 paths: alice 2bd8…, bob 81b6…, carol 4c26…, dave 61ea…. bob is alone on the right
// (depth 1); alice and carol split at bit 1; dave's slot holds carol (other-leaf proof).
const GOLDEN = {
  root: 'b5676771f809fdd78b56814738d0645e6341c39427f0812a5e6cb4e580f0e1ce',
  // depth 1, bitmap 0x80, 1 sibling, kind 0
  bob: '000180f9d6338cde7cd19db76fdbfb8956ab71493fe1f9cd2e28fbf0d4cd99631354b400',
  // depth 2, bitmap 0xc0, 2 siblings, kind 1, carol's keyHash and valueHash
  dave:
    '0002c0a07e6690dce29652a830c76a3b9010e4e9e9a28ce5dade073782565938a28dbde88595db6e2373140c77336108e543dd79e1c6420dff08568b120417c8af88b501' +
    '4c26d9074c27d89ede59270c0ac14b71e071b15239519f75474b2f3ba63481f5983bd614bb5afece5ab3b6023f71147cd7b6bc2314f9d27af7422541c6558389',
};

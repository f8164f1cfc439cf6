// Pure parts of the proofs module: the reason-code table equals the proto enum, H3 grid distance
// reproduces a recorded fixture (so an h3-js change that altered any answer fails here), SHA-256
// Merkle trees with zero padding (every leaf of odd-sized trees, tampering), PDP leaf location,
// puzzle difficulty, seed derivation separation, and the verified-signature cache's bounds.
import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { root } from '../../chain/codec/proto.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { concat, u64be } from '../../chain/codec/bytes.ts';
import { VerifiedSignatures } from '../../chain/crypto/sig-cache.ts';
import { R, KIND, KIND_NAMES, reasonName } from './reasons.ts';
import { gridDistance, gridDistanceAt } from './grid.ts';
import { buildTree, merklePath, merkleRoot, verifyPath, treeDepth } from './merkle.ts';
import { locateLeaf } from './storage.ts';
import { leadingZeroBits, windowSeed, challengeSeed, beaconPayload, pdpChallengeIndex, pdpChallengeIndexes, spotCheckDraw } from './envelope.ts';

test('reason codes and kinds match the proto enums exactly', () => {
  const reasons = root.lookupEnum('depin.proofs.v1.ProofReason').values;
  const fromProto = Object.fromEntries(Object.entries(reasons).map(([k, v]) => [k.replace(/^REASON_/, ''), v]));
  assert.deepEqual(fromProto, { ...R });
  const kinds = root.lookupEnum('depin.proofs.v1.ProofKind').values;
  assert.deepEqual(Object.values(KIND).sort(), Object.values(kinds).filter((v) => v > 0).sort());
  assert.equal(Object.keys(KIND_NAMES).length, Object.keys(KIND).length);
  assert.equal(reasonName(R.WITNESS_TOO_FAR), 'witness_too_far');
});

test('H3 grid distance reproduces the recorded fixture (integer IJK math, no lat/lng on chain)', () => {
  const f = JSON.parse(readFileSync(new URL('./testdata/h3-grid-distance.json', import.meta.url), 'utf8')) as { pairs: { a: string; b: string; res: number; distance: number | null }[] };
  assert.ok(f.pairs.length >= 100 && f.pairs.some((p) => p.distance === null) && f.pairs.some((p) => p.distance! > 1_000));
  for (const p of f.pairs) {
    const d = gridDistanceAt(BigInt('0x' + p.a), BigInt('0x' + p.b), p.res);
    assert.equal(d ?? null, p.distance, `${p.a} ${p.b} res ${p.res}`);
  }
  assert.equal(gridDistance(0x8c2a1072b59ffffn, 0x8c2a1072b59ffffn), 0);
});

test('Merkle trees: every leaf proves, padding leaves are zero, tampering and short paths fail', () => {
  for (const n of [1, 2, 3, 5, 8, 13, 100]) {
    const leaves = Array.from({ length: n }, () => randomBytes(32));
    const levels = buildTree(leaves);
    const r = merkleRoot(leaves);
    assert.equal(levels.length - 1, treeDepth(BigInt(n)));
    for (let i = 0; i < n; i++) {
      const path = merklePath(levels, i);
      assert.equal(verifyPath(r, BigInt(n), BigInt(i), leaves[i]!, path), 'ok');
      assert.equal(verifyPath(r, BigInt(n), BigInt(i), randomBytes(32), path), 'root_mismatch');
      if (path.length) {
        assert.equal(verifyPath(r, BigInt(n), BigInt(i), leaves[i]!, path.slice(1)), 'path_length');
        assert.equal(verifyPath(r, BigInt(n), BigInt(i ^ 1), leaves[i]!, path), 'root_mismatch', 'the index is bound');
      }
    }
    // A padding position proves the zero leaf.
    if (1 << levels.length - 1 > n) assert.equal(verifyPath(r, BigInt(n), BigInt(n), new Uint8Array(32), merklePath(levels, n)), 'ok');
  }
  assert.deepEqual(merkleRoot([new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)]), sha256(new Uint8Array([...new Uint8Array(32).fill(1), ...new Uint8Array(32).fill(2)])));
});

test('PDP: cumulative leaf index maps to (piece, offset); challenge indexes are uniform-ish and bound to the set', () => {
  const pieces = [{ root: new Uint8Array(32), leafCount: 10n }, { root: new Uint8Array(32), leafCount: 5n }, { root: new Uint8Array(32), leafCount: 1n }];
  assert.deepEqual(locateLeaf(pieces, 0n), { piece: 0, offset: 0n });
  assert.deepEqual(locateLeaf(pieces, 9n), { piece: 0, offset: 9n });
  assert.deepEqual(locateLeaf(pieces, 10n), { piece: 1, offset: 0n });
  assert.deepEqual(locateLeaf(pieces, 15n), { piece: 2, offset: 0n });
  assert.throws(() => locateLeaf(pieces, 16n));
  const seed = sha256(new Uint8Array([1]));
  const hits = new Array(16).fill(0);
  for (let i = 0; i < 1_600; i++) hits[Number(pdpChallengeIndex(seed, 1n, i, 16n))]++;
  assert.ok(hits.every((h) => h > 60 && h < 140), `distribution ${hits}`);
  assert.notEqual(pdpChallengeIndex(seed, 1n, 0, 1n << 40n), pdpChallengeIndex(seed, 2n, 0, 1n << 40n));
});

test('PDP: challenge indexes follow the formula (SHA-256 of domain, seed, set, u64 index, mod total leaves)', () => {
  const name = new TextEncoder().encode('depin/proofs/v1/pdp-challenge');
  const domain = new Uint8Array([name.length >> 8, name.length & 255, ...name]); // u16-length-prefixed
  const spec = (seed: Uint8Array, set: bigint, i: number, total: bigint) => BigInt('0x' + Buffer.from(sha256(concat(domain, seed, u64be(set), u64be(BigInt(i))))).toString('hex')) % total;
  for (let k = 0; k < 200; k++) {
    const seed = sha256(new Uint8Array([k, 7]));
    const setId = k % 3 === 0 ? BigInt(k) : (1n << 63n) + BigInt(k) * 0x1234567n; // small and full 64-bit ids
    const total = [1n, 2n, 137n, 1n << 40n, (64n << 40n) - 1n][k % 5]!;
    const count = 1 + (k % 64);
    const want = Array.from({ length: count }, (_, i) => spec(seed, setId, i, total));
    assert.deepEqual(pdpChallengeIndexes(seed, setId, count, total), want);
    assert.equal(pdpChallengeIndex(seed, setId, count - 1, total), want[count - 1]);
  }
});

test('seeds and payloads are domain-separated by chain, window and height', () => {
  const ah = sha256(new Uint8Array([5]));
  const s = windowSeed('depin-local-1', 3n, ah);
  assert.notDeepEqual(s, windowSeed('depin-other-1', 3n, ah));
  assert.notDeepEqual(s, windowSeed('depin-local-1', 4n, ah));
  assert.notDeepEqual(s, challengeSeed('depin-local-1', 3n, ah));
  assert.notDeepEqual(beaconPayload(s, 1n, new Uint8Array([1]), 1, 868_100, 5), beaconPayload(s, 2n, new Uint8Array([1]), 1, 868_100, 5));
  assert.equal(leadingZeroBits(new Uint8Array([0, 0, 0x10, 0xff])), 19);
  assert.equal(leadingZeroBits(new Uint8Array([0x80])), 0);
  assert.equal(leadingZeroBits(new Uint8Array(32)), 256);
});

test('verified-signature cache: exact triples only, bounded, oldest evicted first', () => {
  const c = new VerifiedSignatures(3);
  const t = (i: number) => [new Uint8Array(33).fill(i), new Uint8Array(32).fill(i), new Uint8Array(64).fill(i)] as const;
  c.add(...t(1));
  assert.equal(c.has(...t(1)), true);
  const [k, d, s] = t(1);
  assert.equal(c.has(k, d, Uint8Array.from(s).fill(2, 63)), false, 'one byte of the signature differs');
  assert.equal(c.has(k, Uint8Array.from(d).fill(9, 0, 1), s), false, 'another digest');
  c.add(...t(2));
  c.add(...t(3));
  c.add(...t(4));
  assert.equal(c.size, 3);
  assert.equal(c.has(...t(1)), false);
  assert.equal(c.has(...t(4)), true);
});

test('fast record encoders give exactly the canonical bytes', async () => {
  const { encodeRecord, encodeDeviceState, ProofRecordCodec, DeviceProofStateCodec, recordFrom, deviceStateFrom } = await import('./types.ts');
  const { encodeCanonical } = await import('../../chain/codec/proto-json.ts');
  const check = (r: Parameters<typeof encodeRecord>[0]) => {
    const fast = encodeRecord(r);
    assert.deepEqual(Buffer.from(fast), Buffer.from(encodeCanonical(ProofRecordCodec.type, r as never)));
    // Byte fields compared as bytes (decoded from a plain array they are plain arrays, as they
    // are for every record read back from the committed store).
    const plain = (x: typeof r) => ({ ...x, inputs: x.inputs.map((i) => ({ ...i })), envelopeHash: Buffer.from(x.envelopeHash), seed: Buffer.from(x.seed), payloadHash: Buffer.from(x.payloadHash) });
    assert.deepEqual(plain(recordFrom(ProofRecordCodec.decode(fast))), plain(r));
  };
  const base = { id: 7n, deviceId: 3n, sector: 1, kind: 2, window: 9n, height: 100n, status: 2, valid: true, reason: 0, units: 221_955n, inputs: [{ key: 'rssi_dbm10', value: '-1050' }, { key: 'x', value: '' }], envelopeHash: sha256(new Uint8Array([1])), seq: 4n, submitter: 'depin1xyz', subject: 2n ** 63n + 5n, submittedHeight: 99n, challengeId: 0n, seed: new Uint8Array(), payloadHash: sha256(new Uint8Array([2])), creditOwner: 'depin1owner', creditWeightedUnits: 199_759n, prevByDevice: 6n };
  for (const r of [base, { ...base, valid: false, reason: 115, units: 0n, inputs: [], submitter: '', subject: 0n, creditOwner: '', creditWeightedUnits: 0n, prevByDevice: 0n }]) check(r);
  // Generated records: every field at zero or not, 64-bit values across 2^53 and up to 2^64 - 1,
  // non-ASCII and long strings, inputs long enough for multi-byte length prefixes.
  const u64a = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 2n ** 53n + 2n }), fc.bigInt({ min: 2n ** 53n - 2n, max: 2n ** 64n - 1n }));
  const u32a = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 32 - 1 }));
  const enumA = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 31 - 1 }));
  const str = fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('', 'a'.repeat(64), 'a'.repeat(65), `${'a'.repeat(63)}é`, 'x'.repeat(300)));
  const bytes = fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ minLength: 1, maxLength: 40 }));
  const record = fc.record({
    id: u64a, deviceId: u64a, sector: u32a, kind: enumA, window: u64a, height: u64a, status: enumA, valid: fc.boolean(), reason: enumA, units: u64a,
    inputs: fc.array(fc.record({ key: str, value: str }), { maxLength: 4 }),
    envelopeHash: bytes, seq: u64a, submitter: str, subject: u64a, submittedHeight: u64a, challengeId: u64a, seed: bytes, payloadHash: bytes,
    creditOwner: str, creditWeightedUnits: u64a, prevByDevice: u64a,
  });
  fc.assert(fc.property(record, (r) => check(r)), { numRuns: 400 });

  const st = { lastSeq: 12n, lastBeaconHeight: 0n, lastWitnessHeight: 44n, windows: [{ kind: 1, lastWindow: 5n, mask: (1n << 63n) | 3n }, { kind: 6, lastWindow: 0n, mask: 0n }], lastProofId: 901n };
  const state = fc.record({ lastSeq: u64a, lastBeaconHeight: u64a, lastWitnessHeight: u64a, windows: fc.array(fc.record({ kind: enumA, lastWindow: u64a, mask: u64a }), { maxLength: 12 }), lastProofId: u64a });
  fc.assert(fc.property(state, (g) => {
    for (const x of [st, { ...g, windows: g.windows.map((w) => ({ ...w })) }]) {
      assert.deepEqual(Buffer.from(encodeDeviceState(x)), Buffer.from(encodeCanonical(DeviceProofStateCodec.type, x as never)));
      assert.deepEqual(deviceStateFrom(DeviceProofStateCodec.decode(encodeDeviceState(x))), x);
    }
  }), { numRuns: 200 });
  const { encodeDataSet, DataSetCodec, dataSetFrom } = await import('./types.ts');
  const dataSet = fc.record({
    id: u64a, deviceId: u64a, owner: str, pieces: fc.array(fc.record({ root: bytes, leafCount: u64a }), { maxLength: 5 }), totalLeaves: u64a, period: u64a,
    challengeHeight: u64a, deadlineHeight: u64a, provenPeriods: u64a, faults: u64a, consecutiveFaults: u64a, lastProvenHeight: u64a, status: enumA, createdHeight: u64a,
  });
  fc.assert(fc.property(dataSet, (d) => {
    const fast = encodeDataSet(d);
    assert.deepEqual(Buffer.from(fast), Buffer.from(encodeCanonical(DataSetCodec.type, d as never)));
    const back = dataSetFrom(DataSetCodec.decode(fast));
    assert.deepEqual({ ...back, pieces: back.pieces.map((p) => ({ ...p, root: Buffer.from(p.root) })) }, { ...d, pieces: d.pieces.map((p) => ({ ...p, root: Buffer.from(p.root) })) });
  }), { numRuns: 200 });
  // A record refused midway (a value out of range) leaves nothing behind for the next one.
  assert.throws(() => encodeRecord({ ...base, units: 2n ** 64n }), RangeError);
  check(base);
});

test('claimWindow: one proof per (kind, window), in any order within 64 windows', async () => {
  const { claimWindow } = await import('./keeper.ts');
  const st = { lastSeq: 0n, lastBeaconHeight: 0n, lastWitnessHeight: 0n, windows: [] as { kind: number; lastWindow: bigint; mask: bigint }[], lastProofId: 0n };
  assert.equal(claimWindow(st, 6, 10n), true);
  assert.equal(claimWindow(st, 6, 10n), false);
  assert.equal(claimWindow(st, 1, 10n), true, 'another kind');
  assert.equal(claimWindow(st, 6, 12n), true);
  assert.equal(claimWindow(st, 6, 11n), true, 'an older, unused window');
  assert.equal(claimWindow(st, 6, 11n), false);
  assert.equal(claimWindow(st, 6, 10n), false, 'still remembered after moving on');
  assert.equal(claimWindow(st, 6, 80n), true);
  assert.equal(claimWindow(st, 6, 12n), false, 'beyond 64 windows back: refused');
  assert.equal(claimWindow(st, 6, 79n), true);
  assert.equal(claimWindow(st, 6, 16n), true, 'exactly 64 back is still tracked');
  assert.equal(claimWindow(st, 6, 16n), false);
});

test('spot-check draws: a deterministic number in [0, 10,000) per (seed, job), spread evenly, so spot_check_bps of them are drawn', () => {
  const seed = sha256(new TextEncoder().encode('spot-check seed'));
  const draws = Array.from({ length: 20_000 }, (_, i) => spotCheckDraw(seed, BigInt(i + 1)));
  assert.ok(draws.every((d) => Number.isInteger(d) && d >= 0 && d < 10_000));
  assert.equal(spotCheckDraw(seed, 7n), draws[6], 'deterministic');
  assert.notDeepEqual(Array.from({ length: 20 }, (_, i) => spotCheckDraw(sha256(seed), BigInt(i + 1))), draws.slice(0, 20), 'another seed, other draws');
  for (const bps of [1_000, 5_000, 9_000]) {
    const share = draws.filter((d) => d < bps).length / draws.length;
    assert.ok(Math.abs(share - bps / 10_000) < 0.02, `${bps} bps drew ${(share * 100).toFixed(1)} %`);
  }
});

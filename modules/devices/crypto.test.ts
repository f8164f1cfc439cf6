// Device keys, signatures, did:key and H3 in isolation: both curves sign and verify, high-S and
// malformed signatures are refused, did:key matches the method's published vectors, and the
// integer-only H3 functions agree with h3-js (Uber's C library compiled to JS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as h3 from 'h3-js';
import { KEY_TYPE_P256, KEY_TYPE_SECP256K1, P256_N, SECP256K1_N, didKey, isLowS, keyProblem, multikey, parseDidKey, verifySignature } from './keys.ts';
import { isValidCell, cellToParent, descendantRange, resolutionOf, parseCell } from './h3.ts';
import { attestationPayload, registrationPayload, envelopePayload, lp } from './payloads.ts';
import { generateDeviceKey, signMessage, deviceKeyFromPrivate, scalar32 } from '../../sdk/device-key.ts';

function highS(sig: Uint8Array, n: bigint): Uint8Array {
  const s = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'));
  const out = Uint8Array.from(sig);
  out.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}

test('both curves: sign, verify, low-S only, any tampering fails', () => {
  for (const [kt, n] of [[KEY_TYPE_SECP256K1, SECP256K1_N], [KEY_TYPE_P256, P256_N]] as const) {
    const k = generateDeviceKey(kt);
    assert.equal(k.publicKey.length, 33);
    assert.equal(keyProblem(kt, k.publicKey), undefined);
    for (let i = 0; i < 20; i++) {
      const msg = new TextEncoder().encode(`message ${i}`);
      const sig = signMessage(k, msg);
      assert.ok(isLowS(kt, sig), 'the SDK always produces low-S');
      assert.ok(verifySignature(kt, k.publicKey, msg, sig));
      const malleated = highS(sig, n);
      assert.equal(verifySignature(kt, k.publicKey, msg, malleated), false, 'the high-S twin of a valid signature is refused');
      assert.equal(verifySignature(kt, k.publicKey, new TextEncoder().encode(`message ${i}!`), sig), false);
      const flipped = Uint8Array.from(sig);
      flipped[5]! ^= 1;
      assert.equal(verifySignature(kt, k.publicKey, msg, flipped), false);
    }
    const other = generateDeviceKey(kt);
    assert.equal(verifySignature(kt, other.publicKey, new Uint8Array([1]), signMessage(k, new Uint8Array([1]))), false);
    // A key of one curve is not accepted as the other's.
    assert.equal(verifySignature(kt === 1 ? 2 : 1, k.publicKey, new Uint8Array([1]), signMessage(k, new Uint8Array([1]))), false);
  }
  assert.match(keyProblem(KEY_TYPE_P256, new Uint8Array(65).fill(4))!, /33-byte compressed/);
  const offCurve = Uint8Array.from(generateDeviceKey('p256').publicKey);
  let problems = 0;
  for (let i = 0; i < 8; i++) {
    offCurve[10] = i;
    if (keyProblem(KEY_TYPE_P256, offCurve)) problems++;
  }
  assert.ok(problems > 0, 'some x coordinates are not on P-256 and are refused');
  assert.match(keyProblem(3, offCurve)!, /unsupported key type/);
  assert.equal(verifySignature(KEY_TYPE_SECP256K1, generateDeviceKey().publicKey, new Uint8Array(), new Uint8Array(64)), false, 'zero signature');
});

test('did:key matches the did:key method vectors and round-trips', () => {
  const secp = Buffer.from('03874c15c7fda20e539c6e5ba573c139884c351188799f5458b4b41f7924f235cd', 'hex');
  assert.equal(didKey(KEY_TYPE_SECP256K1, secp), 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme');
  // P-256 vector given as a JWK (x, y): compress it.
  const x = Buffer.from('igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns', 'base64url');
  const y = Buffer.from('efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM', 'base64url');
  const p256 = Buffer.concat([Buffer.from([(y[31]! & 1) === 0 ? 2 : 3]), x]);
  assert.equal(multikey(KEY_TYPE_P256, p256), 'zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv');
  for (const kt of [KEY_TYPE_SECP256K1, KEY_TYPE_P256] as const) {
    const k = generateDeviceKey(kt);
    const parsed = parseDidKey(didKey(kt, k.publicKey) + '#frag');
    assert.equal(parsed.keyType, kt);
    assert.deepEqual(Buffer.from(parsed.key), Buffer.from(k.publicKey));
  }
  assert.throws(() => parseDidKey('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'), /not a compressed secp256k1 or P-256/);
  assert.throws(() => parseDidKey('did:web:example.com'), /not a did:key/);
});

test('signed payload layouts are fixed (golden bytes)', () => {
  const k = deviceKeyFromPrivate('secp256k1', new Uint8Array(32).fill(7));
  const att = attestationPayload({ manufacturerId: 'acme', keyType: 1, devicePubkey: k.publicKey, model: 'm1', serialHash: new Uint8Array(32).fill(0xaa) });
  assert.equal(Buffer.from(att).toString('hex'),
    '0017' + Buffer.from('depin/devices/v1/attest').toString('hex') + '0004' + Buffer.from('acme').toString('hex') + '01' + '0021' + Buffer.from(k.publicKey).toString('hex') +
    '0002' + Buffer.from('m1').toString('hex') + 'aa'.repeat(32));
  const reg = registrationPayload('depin-local-1', 'depin1abc', 258n);
  assert.equal(Buffer.from(reg).toString('hex'),
    '0019' + Buffer.from('depin/devices/v1/register').toString('hex') + '000d' + Buffer.from('depin-local-1').toString('hex') + '0009' + Buffer.from('depin1abc').toString('hex') + '0000000000000102');
  assert.deepEqual(envelopePayload('d', 'c', Uint8Array.of(9)), Uint8Array.of(0, 1, 0x64, 0, 1, 0x63, 9));
  // The (domain, chain id) header is built once and copied: same bytes on every call and for every
  // pair, and a caller changing its payload changes nothing for the next one.
  fc.assert(fc.property(fc.constantFrom('d', 'depin/proofs/v1/envelope', 'é'), fc.constantFrom('c', 'depin-local-1', 'other-2'), fc.uint8Array({ maxLength: 50 }), (d, c, body) => {
    const got = envelopePayload(d, c, body);
    assert.deepEqual(Buffer.from(got), Buffer.from(Uint8Array.from([...lp(d), ...lp(c), ...body])));
    got.fill(0xff);
    assert.deepEqual(Buffer.from(envelopePayload(d, c, body)), Buffer.from(Uint8Array.from([...lp(d), ...lp(c), ...body])));
  }), { numRuns: 200 });
  assert.equal(reg[0], 0, 'every payload starts with 0x00, unlike a Cosmos SignDoc (0x0a)');
  assert.throws(() => lp(new Uint8Array(70000)), /too long/);
});

test('H3: validation, parent and descendant range agree with h3-js', () => {
  const rng = fc.tuple(fc.double({ min: -85, max: 85, noNaN: true }), fc.double({ min: -180, max: 180, noNaN: true }), fc.integer({ min: 0, max: 15 }));
  fc.assert(fc.property(rng, ([lat, lng, res]) => {
    const hex = h3.latLngToCell(lat, lng, res);
    const cell = BigInt('0x' + hex);
    assert.ok(isValidCell(cell), hex);
    assert.equal(resolutionOf(cell), res);
    for (let p = 0; p <= res; p++) assert.equal(cellToParent(cell, p).toString(16), h3.cellToParent(hex, p));
    if (res <= 12) {
      const [lo, hi] = descendantRange(cell, 12);
      const child = BigInt('0x' + h3.cellToCenterChild(hex, 12));
      assert.ok(child >= lo && child <= hi);
    }
    // Flipping any one bit (mode, reserved bits, resolution, base cell, any digit, including the
    // digit across bit 32) gives a valid cell exactly when h3-js says so.
    for (let bit = 0n; bit < 64n; bit++) {
      const bad = cell ^ (1n << bit);
      assert.equal(isValidCell(bad), h3.isValidCell(bad.toString(16).padStart(15, '0')), `bit ${bit} of ${hex}`);
    }
  }), { numRuns: 300, seed: 42 });
  // Every pentagon's deleted subsequence (first non-zero digit 1) is invalid, as in h3-js.
  for (const p of h3.getPentagons(5)) {
    const cell = BigInt('0x' + p);
    const withK = (cell & ~(7n << 42n)) | (1n << 42n);
    assert.equal(isValidCell(withK), false);
    assert.equal(h3.isValidCell(withK.toString(16)), false);
  }
  // Cells outside a parent are outside its range; neighbours at resolution 12 of a res-7 cell.
  const parent = h3.latLngToCell(37.7749, -122.4194, 7);
  const [lo, hi] = descendantRange(BigInt('0x' + parent));
  for (const n of h3.gridDisk(h3.latLngToCell(37.7749, -122.4194, 12), 40)) {
    const inside = h3.cellToParent(n, 7) === parent;
    const v = BigInt('0x' + n);
    assert.equal(v >= lo && v <= hi, inside);
  }
  assert.equal(parseCell('8c283082800b3ff'), 0x8c283082800b3ffn);
  assert.equal(parseCell('631210968839402495'), 631210968839402495n);
  assert.equal(isValidCell(0n), false);
  assert.equal(isValidCell(1n << 64n), false);
});

test('P-256 scalars with leading zero bytes stay 32 bytes and sign', () => {
  // OpenSSL returns such a scalar shortened (1 key in 256); the SDK pads it back.
  assert.deepEqual([...scalar32(Uint8Array.of(1, 2, 3))].slice(28), [0, 1, 2, 3]);
  assert.equal(scalar32(new Uint8Array(32).fill(7)).length, 32);
  assert.throws(() => scalar32(new Uint8Array(33)), /33 bytes/);
  const d = new Uint8Array(32);
  d[1] = 0x5a; // first byte zero
  d[31] = 0x11;
  const k = deviceKeyFromPrivate('p256', d);
  assert.equal(k.privateKey.length, 32);
  const sig = signMessage(k, Uint8Array.of(1, 2, 3));
  assert.ok(verifySignature(k.keyType, k.publicKey, Uint8Array.of(1, 2, 3), sig));
});

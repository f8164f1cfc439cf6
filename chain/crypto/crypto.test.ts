import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from './hash.ts';
import { verifyDigest, signDigest, publicKeyCreate, publicKeyConvert, isLowS } from './secp256k1.ts';
import { accountAddress, fromBech32, toBech32 } from './address.ts';

// Vector from shared/spec/cosmjs-compat.md §7.5 (CosmJS output).
const priv = Buffer.from('01'.repeat(32), 'hex');
const pubHex = '031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f';
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

test('public key and address match the CosmJS vector', () => {
  const pub = publicKeyCreate(priv);
  assert.equal(Buffer.from(pub).toString('hex'), pubHex);
  assert.equal(accountAddress(pub), 'depin10xcqpzrky6eff2g52qdye53xkk9jxkvr00zm2c');
  assert.equal(toBech32('depin', fromBech32('depin10xcqpzrky6eff2g52qdye53xkk9jxkvr00zm2c')), 'depin10xcqpzrky6eff2g52qdye53xkk9jxkvr00zm2c');
  assert.throws(() => fromBech32(toBech32('cosmos', fromBech32('depin10xcqpzrky6eff2g52qdye53xkk9jxkvr00zm2c'))), /expected prefix depin/);
  assert.throws(() => fromBech32('depin10xcqpzrky6eff2g52qdye53xkk9jxkvr00zm2d'), /invalid address/);
});

test('signature matches the CosmJS vector; high-S twin is rejected', () => {
  const digest = Buffer.from('c1062ed1102f35378cadd379131a5a548656674c1da2ad8ac9767c1de8be8347', 'hex');
  const sig = signDigest(digest, priv);
  assert.equal(Buffer.from(sig).toString('hex'),
    '3e1d646d4b3601682b564a3da1209c58a6faec709c47c4d266aeb6007637700b0b41e92f99247515c71ba2eeefff2e30cf58af302d41f2f3b4fed3c096936dd0');
  const pub = publicKeyCreate(priv);
  assert.ok(verifyDigest(sig, digest, pub));
  assert.ok(isLowS(sig));
  // malleate: s' = n - s is an equally valid ECDSA signature that must not be accepted
  const s = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'));
  const high = Uint8Array.from(sig);
  high.set(Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex'), 32);
  assert.equal(isLowS(high), false);
  assert.equal(verifyDigest(high, digest, pub), false);
  const wrong = sha256(digest);
  assert.equal(verifyDigest(sig, wrong, pub), false);
  assert.equal(verifyDigest(sig.subarray(0, 63), digest, pub), false);
  // The uncompressed form of the key (the signature worker's fast path) decides identically.
  const full = publicKeyConvert(pub, false);
  assert.equal(full.length, 65);
  assert.ok(verifyDigest(sig, digest, full));
  assert.equal(verifyDigest(high, digest, full), false);
  assert.equal(verifyDigest(sig, wrong, full), false);
  const offCurve = Uint8Array.from(full);
  offCurve[64]! ^= 1;
  assert.equal(verifyDigest(sig, digest, offCurve), false);
});

// The checkpoint encodings, checked against independent implementations (viem's EIP-712 and ABI
// encoders, viem's ecrecover) and against known Ethereum vectors, plus the signature rules the
// contract enforces (low S, v in {27, 28}). The contract itself is exercised on anvil in
// test/anchor/*.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashTypedData, encodeAbiParameters, keccak256 as viemKeccak, recoverAddress, bytesToHex, hexToBytes, getAddress } from 'viem';
import { publicKeyCreate, randomPrivateKey, recoverPublicKey } from '../crypto/secp256k1.ts';
import {
  ethAddress,
  validatorSetHash,
  canonicalValidatorSet,
  checkpointDigest,
  signCheckpoint,
  recoverCheckpointSigner,
  packSignatures,
  hasQuorum,
  signedPower,
  totalPower,
  type AnchorValidator,
  type Checkpoint,
  type AnchorDomain,
} from './checkpoint.ts';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const h = (b: Uint8Array) => bytesToHex(b);
const fill = (byte: number, len = 32) => new Uint8Array(len).fill(byte);

const domain: AnchorDomain = { ethChainId: 31337n, contract: hexToBytes('0x5FbDB2315678afecb367f032d93F642f64180aa3'), cosmosChainId: 'depin-local-1' };
const cp: Checkpoint = { number: 7n, height: 1234n, stateRoot: fill(0xab), validatorSetHash: fill(0x11), nextValidatorSetHash: fill(0x22) };

function keys(n: number) {
  return Array.from({ length: n }, () => {
    const priv = randomPrivateKey();
    return { priv, addr: ethAddress(publicKeyCreate(priv)) };
  });
}

test('ethAddress: the well-known anvil/hardhat account 0 and compressed = uncompressed', () => {
  const priv = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
  assert.equal(getAddress(h(ethAddress(publicKeyCreate(priv)))), '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  assert.equal(h(ethAddress(publicKeyCreate(priv, false))), h(ethAddress(publicKeyCreate(priv, true))));
  assert.throws(() => ethAddress(Uint8Array.of(5, ...fill(1))), /not a secp256k1/);
  const offCurve = publicKeyCreate(priv, false);
  offCurve[64]! ^= 1;
  assert.throws(() => ethAddress(offCurve), /not a secp256k1/);
});

test('checkpointDigest equals viem hashTypedData (EIP-712) and binds every field and the domain', () => {
  const viemDigest = hashTypedData({
    domain: { name: 'DepinAnchor', version: '1', chainId: domain.ethChainId, verifyingContract: h(domain.contract) },
    types: {
      Checkpoint: [
        { name: 'cosmosChainId', type: 'string' },
        { name: 'number', type: 'uint64' },
        { name: 'height', type: 'uint64' },
        { name: 'stateRoot', type: 'bytes32' },
        { name: 'validatorSetHash', type: 'bytes32' },
        { name: 'nextValidatorSetHash', type: 'bytes32' },
      ],
    },
    primaryType: 'Checkpoint',
    message: { cosmosChainId: domain.cosmosChainId, number: cp.number, height: cp.height, stateRoot: h(cp.stateRoot), validatorSetHash: h(cp.validatorSetHash), nextValidatorSetHash: h(cp.nextValidatorSetHash) },
  });
  const digest = checkpointDigest(domain, cp);
  assert.equal(h(digest), viemDigest);
  const variants: [AnchorDomain, Checkpoint][] = [
    [{ ...domain, ethChainId: 1n }, cp],
    [{ ...domain, contract: fill(1, 20) }, cp],
    [{ ...domain, cosmosChainId: 'depin-local-2' }, cp],
    [domain, { ...cp, number: 8n }],
    [domain, { ...cp, height: 1235n }],
    [domain, { ...cp, stateRoot: fill(0xac) }],
    [domain, { ...cp, validatorSetHash: fill(0x12) }],
    [domain, { ...cp, nextValidatorSetHash: fill(0x23) }],
  ];
  const seen = new Set([h(digest)]);
  for (const [d, c] of variants) seen.add(h(checkpointDigest(d, c)));
  assert.equal(seen.size, variants.length + 1, 'every change gives another digest');
  assert.throws(() => checkpointDigest(domain, { ...cp, number: 0n }), /number/);
  assert.throws(() => checkpointDigest(domain, { ...cp, height: 1n << 64n }), /height/);
  assert.throws(() => checkpointDigest(domain, { ...cp, stateRoot: fill(1, 31) }), /state root/);
  assert.throws(() => checkpointDigest({ ...domain, cosmosChainId: '' }, cp), /chain id/);
});

test('validatorSetHash equals keccak256(abi.encode(Validator[])) by viem; only canonical sets', () => {
  const set = canonicalValidatorSet(keys(5).map((k, i) => ({ ethAddress: k.addr, power: BigInt(i + 1) * 1_000_000_007n })));
  const viemHash = viemKeccak(
    encodeAbiParameters(
      [{ type: 'tuple[]', components: [{ name: 'addr', type: 'address' }, { name: 'power', type: 'uint64' }] }],
      [set.map((v) => ({ addr: h(v.ethAddress), power: v.power }))],
    ),
  );
  assert.equal(h(validatorSetHash(set)), viemHash);
  assert.equal(totalPower(set), 15n * 1_000_000_007n);
  const reversed = [...set].reverse();
  assert.throws(() => validatorSetHash(reversed), /ascending/);
  assert.equal(h(validatorSetHash(canonicalValidatorSet(reversed))), viemHash, 'canonicalValidatorSet sorts');
  assert.throws(() => canonicalValidatorSet([...set, set[0]!]), /ascending/, 'duplicate address');
  assert.throws(() => canonicalValidatorSet([{ ethAddress: set[0]!.ethAddress, power: 0n }]), /power/);
  assert.throws(() => canonicalValidatorSet([{ ethAddress: set[0]!.ethAddress, power: 1n << 64n }]), /power/);
  assert.throws(() => canonicalValidatorSet([{ ethAddress: new Uint8Array(20), power: 1n }]), /non-zero/);
  assert.throws(() => canonicalValidatorSet([]), /empty/);
});

test('signCheckpoint: 65 bytes, low S, v 27/28, recovered by our rules and by viem', async () => {
  for (const k of keys(20)) {
    const digest = checkpointDigest(domain, { ...cp, stateRoot: fill(k.addr[0]!) });
    const sig = signCheckpoint(k.priv, digest);
    assert.equal(sig.length, 65);
    assert.ok(sig[64] === 27 || sig[64] === 28);
    assert.equal(h(recoverCheckpointSigner(digest, sig)!), h(k.addr));
    assert.equal((await recoverAddress({ hash: h(digest), signature: h(sig) })).toLowerCase(), h(k.addr));
  }
});

test('recoverCheckpointSigner refuses what the contract refuses: high-S twin, bad v, wrong length', () => {
  const [k] = keys(1);
  const digest = checkpointDigest(domain, cp);
  const sig = signCheckpoint(k!.priv, digest);
  // The malleable twin (r, n - s, v ^ 1) is a valid ECDSA signature of the same key...
  const s = BigInt(h(sig.subarray(32, 64)));
  const twin = Uint8Array.from(sig);
  twin.set(hexToBytes(`0x${(N - s).toString(16).padStart(64, '0')}`), 32);
  twin[64] = sig[64] === 27 ? 28 : 27;
  const pub = recoverPublicKey(twin.subarray(0, 64), twin[64]! - 27, digest);
  assert.equal(h(ethAddress(pub!)), h(k!.addr), 'the twin recovers the same signer without the low-S rule');
  // ...which the contract's rules (and so ours) reject.
  assert.equal(recoverCheckpointSigner(digest, twin), undefined);
  for (const v of [0, 1, 26, 29]) {
    const bad = Uint8Array.from(sig);
    bad[64] = v;
    assert.equal(recoverCheckpointSigner(digest, bad), undefined, `v=${v}`);
  }
  assert.equal(recoverCheckpointSigner(digest, sig.subarray(0, 64)), undefined);
  // A different digest recovers some other address, never the signer.
  const other = recoverCheckpointSigner(checkpointDigest(domain, { ...cp, height: 1n }), sig);
  assert.notEqual(other && h(other), h(k!.addr));
});

test('packSignatures sorts by signer and refuses duplicates; quorum is strictly more than 2/3', () => {
  const ks = keys(4);
  const digest = checkpointDigest(domain, cp);
  const sigs = ks.map((k) => ({ signer: k.addr, signature: signCheckpoint(k.priv, digest) }));
  const packed = packSignatures(sigs);
  assert.equal(packed.length, 4 * 65);
  const order = [...ks].sort((a, b) => Buffer.compare(a.addr, b.addr));
  order.forEach((k, i) => assert.equal(h(recoverCheckpointSigner(digest, packed.subarray(65 * i, 65 * i + 65))!), h(k.addr)));
  assert.throws(() => packSignatures([...sigs, sigs[2]!]), /duplicate/);

  const set: AnchorValidator[] = canonicalValidatorSet(ks.map((k, i) => ({ ethAddress: k.addr, power: [10n, 20n, 30n, 30n][i]! })));
  assert.equal(signedPower(set, sigs.slice(0, 2)), 30n);
  assert.equal(hasQuorum(60n, 90n), false, 'exactly 2/3 is not enough');
  assert.equal(hasQuorum(61n, 90n), true);
  assert.equal(hasQuorum(2n, 3n), false);
  assert.equal(hasQuorum(3n, 4n), true);
});

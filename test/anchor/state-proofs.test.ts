// State proofs against anchored checkpoints, on a real anvil with a real chain/store MerkleStore
// (LevelDB in a temp dir): the Solidity verifier accepts exactly what chain/store/proof.ts accepts
// (golden vectors, honest proofs of both non-membership kinds, targeted tampering, and a
// differential fuzz of mutated proofs), and the example consumer RewardClaimVerifier pays a proven
// cumulative reward record once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, hexToBytes, parseEventLogs, type Address } from 'viem';
import { sha256 } from '../../chain/crypto/hash.ts';
import { MerkleStore } from '../../chain/store/merkle-store.ts';
import { encodeProof, decodeProof, verifyProof } from '../../chain/store/proof.ts';
import { openDb, type RawDb } from '../../chain/store/test-helpers.ts';
import type { Write } from '../../chain/store/kv.ts';
import { depinAnchorAbi, rewardClaimVerifierAbi, deployRewardClaimVerifier, revertName } from '../../node/anchor/anchor-contract.ts';
import { keccak256 } from '../../chain/anchor/checkpoint.ts';
import { startAnchorEnv, bytes32, type AnchorEnv } from '../helpers/anchor.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const h = (b: Uint8Array) => bytesToHex(b);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

/** The reward record RewardClaimVerifier reads: u64 epoch ‖ u128 cumulative ‖ bytes20 beneficiary. */
function rewardRecord(epoch: bigint, cumulative: bigint, beneficiary: Uint8Array): Uint8Array {
  const b = Buffer.alloc(44);
  b.writeBigUInt64BE(epoch, 0);
  b.writeBigUInt64BE(cumulative >> 64n, 8);
  b.writeBigUInt64BE(cumulative & 0xffffffffffffffffn, 16);
  b.set(beneficiary, 24);
  return Uint8Array.from(b);
}
const REWARD_PREFIX = cat(enc('rewards/'), Uint8Array.of(0x01));
const deviceId = (i: number) => sha256(enc(`device-${i}`)).subarray(0, 20);
const payee = (i: number) => new Uint8Array(20).fill(0x40 + i);

let env: AnchorEnv;
let dir: string;
let db: RawDb;
let store: MerkleStore;
const entries = new Map<string, [Uint8Array, Uint8Array]>(); // version 1 contents

before(async () => {
  env = await startAnchorEnv([1n, 1n, 1n, 1n]);
  dir = mkdtempSync(join(tmpdir(), 'depin-anchor-smt-'));
  db = openDb(dir);
  store = await MerkleStore.open(db);
  // 400 ordinary keys and 6 device reward records.
  const writes: Write[] = [];
  for (let i = 0; i < 400; i++) writes.push([enc(`bank/balance/${i}`), enc(`${i * 1_000_003}udpin`)]);
  for (let i = 0; i < 6; i++) writes.push([cat(REWARD_PREFIX, deviceId(i)), rewardRecord(1n, 1_000_000n * BigInt(i + 1), payee(i))]);
  for (const [k, v] of writes) entries.set(h(k), [k, v!]);
  store.stage(writes);
  await env.submit(await env.next(await store.commit(1))); // checkpoint 1 = version 1
});

after(async () => {
  await env?.anvil.stop();
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const verifyState = (cp: bigint, key: Uint8Array, value: Uint8Array, proof: Uint8Array) =>
  env.c.public.readContract({ address: env.anchor, abi: depinAnchorAbi, functionName: 'verifyState', args: [cp, h(key), h(value), h(proof)] });
const verifyAbsence = (cp: bigint, key: Uint8Array, proof: Uint8Array) =>
  env.c.public.readContract({ address: env.anchor, abi: depinAnchorAbi, functionName: 'verifyAbsence', args: [cp, h(key), h(proof)] });

/** What chain/store/proof.ts says about the same bytes (a proof that does not decode is false). */
function tsVerdict(root: Uint8Array, key: Uint8Array, value: Uint8Array | undefined, proof: Uint8Array): boolean {
  try {
    return verifyProof(root, key, value, decodeProof(proof));
  } catch {
    return false;
  }
}

test('golden vectors of chain/store/proof.test.ts verify on-chain', async () => {
  // Same bytes as GOLDEN in chain/store/proof.test.ts: {alice: 100, bob: 200, carol: 300}.
  const root = hexToBytes('0xb5676771f809fdd78b56814738d0645e6341c39427f0812a5e6cb4e580f0e1ce');
  const bob = hexToBytes('0x000180f9d6338cde7cd19db76fdbfb8956ab71493fe1f9cd2e28fbf0d4cd99631354b400');
  const dave = hexToBytes(
    ('0x0002c0a07e6690dce29652a830c76a3b9010e4e9e9a28ce5dade073782565938a28dbde88595db6e2373140c77336108e543dd79e1c6420dff08568b120417c8af88b501' +
      '4c26d9074c27d89ede59270c0ac14b71e071b15239519f75474b2f3ba63481f5983bd614bb5afece5ab3b6023f71147cd7b6bc2314f9d27af7422541c6558389') as `0x${string}`,
  );
  // A root need not come from our store: anchor the golden root as checkpoint 2.
  const cp = await env.next(root);
  await env.submit(cp);
  assert.equal(await verifyState(cp.number, enc('bob'), enc('200'), bob), true);
  assert.equal(await verifyAbsence(cp.number, enc('dave'), dave), true);
  assert.equal(await verifyState(cp.number, enc('bob'), enc('201'), bob), false);
  assert.equal(await verifyAbsence(cp.number, enc('bob'), bob), false);
  assert.equal(await verifyState(cp.number, enc('dave'), enc('300'), dave), false);
  assert.equal(await verifyState(1n, enc('bob'), enc('200'), bob), false, 'another checkpoint, another root');
});

test('membership of store keys, including device reward records, and both kinds of non-membership', async () => {
  const keys = [...entries.values()].filter((_, i) => i % 23 === 0 || i >= 400);
  assert.ok(keys.length >= 20);
  for (const [k, v] of keys) {
    const proof = encodeProof(store.prove(k, 1));
    assert.equal(await verifyState(1n, k, v, proof), true, `member ${h(k)}`);
    assert.equal(await verifyAbsence(1n, k, proof), false);
  }
  const kinds = { empty: 0, otherLeaf: 0 };
  for (let j = 0; kinds.empty < 4 || kinds.otherLeaf < 4; j++) {
    assert.ok(j < 500, 'found absent keys of both kinds');
    const k = enc(`absent/${j}`);
    const p = store.prove(k, 1);
    const kind = p.otherLeaf ? 'otherLeaf' : 'empty';
    if (kinds[kind] >= 4) continue;
    kinds[kind]++;
    const proof = encodeProof(p);
    assert.equal(await verifyAbsence(1n, k, proof), true, `absent (${kind})`);
    assert.equal(await verifyState(1n, k, enc('anything'), proof), false, 'absent key claimed present');
  }
  await assert.rejects(verifyState(99n, enc('x'), enc('y'), new Uint8Array(3)), (e: unknown) => revertName(e) === 'UnknownCheckpoint');
});

test('tampered proofs are rejected on-chain exactly as in TypeScript', async () => {
  const root = store.rootAt(1)!;
  const members = [...entries.values()];
  // A member whose proof depth is not a multiple of 8 (so the bitmap has padding bits).
  const [k, v] = members.find(([key]) => store.prove(key, 1).siblings.length % 8 !== 0)!;
  const p = store.prove(k, 1);
  const good = encodeProof(p);
  const d = p.siblings.length;
  const bitmapLen = (d + 7) >> 3;
  const cases: [string, Uint8Array, Uint8Array | undefined, Uint8Array][] = [];
  // A flipped bit in the first listed (non-zero) sibling.
  const flipped = Uint8Array.from(good);
  flipped[2 + bitmapLen + 5]! ^= 0x10;
  cases.push(['flipped sibling bit', k, v, flipped]);
  cases.push(['wrong value', k, cat(v, Uint8Array.of(0)), good]);
  const padded = Uint8Array.from(good);
  padded[1 + bitmapLen]! |= 1; // the last padding bit
  cases.push(['bitmap padding set', k, v, padded]);
  // The same, with 32 bytes for the phantom sibling up front: the walk reads siblings from the
  // deepest one back and never reaches it, so only the canonical-bitmap rule stands between this
  // second encoding of the proof and acceptance.
  const sibsAt = 2 + bitmapLen;
  cases.push(['bitmap padding set with a phantom sibling', k, v, cat(padded.subarray(0, sibsAt), bytes32(0x77), padded.subarray(sibsAt))]);
  cases.push(['trailing byte', k, v, cat(good, Uint8Array.of(0))]);
  cases.push(['truncated', k, v, good.subarray(0, good.length - 1)]);
  // A zero sibling spelled out: bit set for a zero sibling and 32 zero bytes inserted.
  const zeroAt = p.siblings.findIndex((s) => s.every((b) => b === 0));
  if (zeroAt >= 0) {
    const nonZeroBefore = p.siblings.slice(0, zeroAt).filter((s) => s.some((b) => b !== 0)).length;
    const at = 2 + bitmapLen + 32 * nonZeroBefore;
    const explicit = cat(good.subarray(0, at), new Uint8Array(32), good.subarray(at));
    explicit[2 + (zeroAt >> 3)]! |= 0x80 >> (zeroAt & 7);
    cases.push(['explicit zero sibling', k, v, explicit]);
  }
  const depthPlus = Uint8Array.from(good);
  depthPlus[1]! += 1;
  cases.push(['depth + 1', k, v, depthPlus]);
  // Membership claimed with an "other leaf" attached; the key's own leaf as the other leaf.
  const ownLeaf = cat(good.subarray(0, good.length - 1), Uint8Array.of(1), sha256(k), sha256(v));
  cases.push(['membership with other leaf', k, v, ownLeaf]);
  cases.push(['present key claimed absent (own leaf as other leaf)', k, undefined, ownLeaf]);
  cases.push(['present key claimed absent (empty slot)', k, undefined, good]);
  // An other-leaf absence proof with the leaf dropped (claims an empty slot).
  let j = 0;
  while (!store.prove(enc(`absent/${j}`), 1).otherLeaf) j++;
  const ak = enc(`absent/${j}`);
  const ap = encodeProof(store.prove(ak, 1));
  cases.push(['other leaf dropped', ak, undefined, cat(ap.subarray(0, ap.length - 65), Uint8Array.of(0))]);
  const otherValue = Uint8Array.from(ap);
  otherValue[otherValue.length - 1]! ^= 1;
  cases.push(['other leaf value changed', ak, undefined, otherValue]);
  cases.push(['bad kind byte', ak, undefined, cat(ap.subarray(0, ap.length - 65), Uint8Array.of(2))]);
  cases.push(['empty proof', k, v, new Uint8Array()]);
  cases.push(['depth > 256, short', k, v, Uint8Array.of(0x01, 0x01, 0)]);
  cases.push(['depth 257, all-zero siblings', k, undefined, cat(Uint8Array.of(0x01, 0x01), new Uint8Array(33), Uint8Array.of(0))]);

  assert.ok(cases.some(([name]) => name === 'explicit zero sibling'), 'the chosen proof has a zero sibling');
  for (const [name, key, value, proof] of cases) {
    const onChain = value === undefined ? await verifyAbsence(1n, key, proof) : await verifyState(1n, key, value, proof);
    assert.equal(onChain, false, name);
    assert.equal(tsVerdict(root, key, value, proof), false, `${name} (TypeScript)`);
  }
  assert.equal(await verifyState(1n, k, v, good), true, 'the untampered proof');
});

test('an other leaf off the key path is refused (hand-built tree, as in chain/store/proof.test.ts)', async () => {
  // root = internal(leaf L, subtree S) or internal(S, L) with L on the key's side: an absence
  // proof for key k with siblings [S] and other leaf L must hold only if L's first path bit is k's.
  const k = enc('absent');
  const bitOf = (b: Uint8Array) => b[0]! >> 7;
  const sib = sha256(enc('some subtree'));
  const seen = new Set<number>();
  for (const name of ['present', 'p1', 'p2', 'p3']) {
    const other = { keyHash: sha256(enc(name)), valueHash: sha256(enc('v')) };
    const leaf = sha256(cat(Uint8Array.of(0), other.keyHash, other.valueHash));
    const root = bitOf(sha256(k)) === 0 ? sha256(cat(Uint8Array.of(1), leaf, sib)) : sha256(cat(Uint8Array.of(1), sib, leaf));
    const cp = await env.next(root);
    await env.submit(cp);
    const proof = encodeProof({ siblings: [sib], otherLeaf: other });
    const expected = bitOf(other.keyHash) === bitOf(sha256(k));
    seen.add(bitOf(other.keyHash));
    assert.equal(await verifyAbsence(cp.number, k, proof), expected, name);
    assert.equal(tsVerdict(root, k, undefined, proof), expected);
  }
  assert.equal(seen.size, 2, 'both sides covered');
});

test('differential fuzz: mutated proofs get the same verdict on-chain and in chain/store/proof.ts', async () => {
  const root = store.rootAt(1)!;
  const members = [...entries.values()];
  let seed = 0x2545f491;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; // test-only PRNG, fixed seed
    return seed % n;
  };
  let accepted = 0;
  for (let i = 0; i < 160; i++) {
    const absent = i % 3 === 0;
    const [k, v] = absent ? [enc(`fuzz/${i}`), undefined] : members[rnd(members.length)]!;
    const proof = Uint8Array.from(encodeProof(store.prove(k, 1)));
    let mutated: Uint8Array = proof;
    switch (i % 5) {
      case 0:
        break; // honest
      case 1:
        mutated[rnd(mutated.length)]! ^= 1 << rnd(8);
        break;
      case 2:
        mutated = mutated.subarray(0, rnd(mutated.length));
        break;
      case 3:
        mutated = cat(mutated, Uint8Array.of(rnd(256)));
        break;
      case 4:
        mutated[rnd(Math.min(4, mutated.length))]! ^= 1 << rnd(8); // depth or bitmap
        break;
    }
    const ts = tsVerdict(root, k, v, mutated);
    const onChain = v === undefined ? await verifyAbsence(1n, k, mutated) : await verifyState(1n, k, v, mutated);
    assert.equal(onChain, ts, `case ${i} (${h(mutated)})`);
    if (ts) accepted++;
  }
  assert.ok(accepted >= 32, `honest proofs accepted (${accepted})`);
});

test('RewardClaimVerifier: a proven reward record pays once; replays and stale records are refused', async () => {
  const { address: verifier } = await deployRewardClaimVerifier(env.c, env.anchor, REWARD_PREFIX);
  const key = (i: number) => cat(REWARD_PREFIX, deviceId(i));
  const proofAt = (i: number, version: number) => h(encodeProof(store.prove(key(i), version)));
  const record = (i: number, version: number) => store.getAt(key(i), version)!;
  const claim = (cp: bigint, i: number, rec: Uint8Array, proof: `0x${string}`, dev = deviceId(i)) =>
    env.c.wallet.writeContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'claim', args: [cp, h(dev), h(rec), proof] });
  const refused = async (cp: bigint, i: number, rec: Uint8Array, proof: `0x${string}`, error: string, dev = deviceId(i)) =>
    assert.rejects(
      env.c.public.simulateContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'claim', args: [cp, h(dev), h(rec), proof], account: env.c.account }),
      (e: unknown) => {
        assert.equal(revertName(e), error, String(e));
        return true;
      },
    );
  const balance = (i: number) => env.c.public.readContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'balanceOf', args: [h(payee(i)) as Address] });

  // Version 2 of the state: device 0 earned more (epoch 2), device 1 unchanged; anchored.
  store.stage([[key(0), rewardRecord(2n, 1_750_000n, payee(0))]]);
  const cp2 = await env.next(await store.commit(2));
  await env.submit(cp2);

  // Device 0's epoch-1 record, proven against checkpoint 1.
  const r = await env.c.public.waitForTransactionReceipt({ hash: await claim(1n, 0, record(0, 1), proofAt(0, 1)) });
  assert.equal(r.status, 'success');
  const [ev] = parseEventLogs({ abi: rewardClaimVerifierAbi, logs: r.logs, eventName: 'RewardClaimed' });
  assert.deepEqual(ev!.args, { deviceHash: h(keccak256(deviceId(0))), beneficiary: ev!.args.beneficiary, epoch: 1n, cumulativeAmount: 1_000_000n, amount: 1_000_000n, checkpointNumber: 1n });
  assert.equal(ev!.args.beneficiary.toLowerCase(), h(payee(0)));
  assert.equal(await balance(0), 1_000_000n);
  // The same claim again, and the same record through another proof of the same bytes.
  await refused(1n, 0, record(0, 1), proofAt(0, 1), 'AlreadyProcessed');
  // The newer record pays only the difference.
  await env.c.public.waitForTransactionReceipt({ hash: await claim(cp2.number, 0, record(0, 2), proofAt(0, 2)) });
  assert.equal(await balance(0), 1_750_000n);
  await refused(cp2.number, 0, record(0, 2), proofAt(0, 2), 'AlreadyProcessed');

  // Device 1's record is the same in both versions: claimable once, whichever checkpoint proves it.
  await env.c.public.waitForTransactionReceipt({ hash: await claim(cp2.number, 1, record(1, 2), proofAt(1, 2)) });
  await refused(1n, 1, record(1, 1), proofAt(1, 1), 'AlreadyProcessed');
  assert.equal(await balance(1), 2_000_000n);

  // Forged records: more money, another beneficiary, another device's record, an absent device.
  await refused(1n, 2, rewardRecord(1n, 9_000_000n, payee(2)), proofAt(2, 1), 'InvalidProof');
  await refused(1n, 2, rewardRecord(1n, 3_000_000n, payee(9)), proofAt(2, 1), 'InvalidProof');
  await refused(1n, 3, record(2, 1), proofAt(2, 1), 'InvalidProof');
  await refused(1n, 99, rewardRecord(1n, 1n, payee(1)), h(encodeProof(store.prove(key(99), 1))), 'InvalidProof');
  // A stale record after a newer claim: device 0's epoch-1 record was claimed; device 4 claims
  // epoch 2 first, then its (unclaimed) epoch-1 record is worth nothing.
  store.stage([[key(4), rewardRecord(2n, 6_000_000n, payee(4))]]);
  const cp3 = await env.next(await store.commit(3));
  await env.submit(cp3);
  await env.c.public.waitForTransactionReceipt({ hash: await claim(cp3.number, 4, record(4, 3), proofAt(4, 3)) });
  await refused(1n, 4, record(4, 1), proofAt(4, 1), 'NothingToClaim');
  assert.equal(await balance(4), 6_000_000n);
});

// DepinAnchor on a real anvil: valid checkpoints land with their events, and every attack on the
// signature check, the ordering, the domain separation and the validator-set handover is refused
// with its own error and changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, hexToBytes, parseEventLogs } from 'viem';
import { checkpointDigest, packSignatures, type Checkpoint, type AnchorValidator, type CheckpointSignature } from '../../chain/anchor/checkpoint.ts';
import { startAnvil, type Anvil } from '../../node/anchor/anvil.ts';
import { ethClients, depinAnchorAbi, submitCheckpointArgs, revertName } from '../../node/anchor/anchor-contract.ts';
import { startAnchorEnv, deployAnchor, makeValidatorSet, sign, bytes32, type AnchorEnv } from '../helpers/anchor.ts';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const h = (b: Uint8Array) => bytesToHex(b);

let env: AnchorEnv; // powers 10, 20, 30, 30 (total 90: exactly 2/3 is 60)
before(async () => {
  env = await startAnchorEnv([10n, 20n, 30n, 30n]);
});
after(async () => {
  await env?.anvil.stop();
});

const read = <F extends 'lastCheckpointNumber' | 'lastHeight' | 'currentValidatorSetHash'>(e: AnchorEnv, functionName: F) =>
  e.c.public.readContract({ address: e.anchor, abi: depinAnchorAbi, functionName });

/** submitCheckpoint must revert with `error` (eth_call against the latest block) and change nothing. */
async function refused(e: AnchorEnv, cp: Checkpoint, sigs: Uint8Array | CheckpointSignature[], error: string, validators: AnchorValidator[] = e.vals.set): Promise<void> {
  const packed = sigs instanceof Uint8Array ? sigs : packSignatures(sigs);
  const before = await read(e, 'lastCheckpointNumber');
  await assert.rejects(
    e.c.public.simulateContract({ address: e.anchor, abi: depinAnchorAbi, functionName: 'submitCheckpoint', args: submitCheckpointArgs(cp, validators, packed), account: e.c.account }),
    (err: unknown) => {
      assert.equal(revertName(err), error, String(err));
      return true;
    },
  );
  assert.equal(await read(e, 'lastCheckpointNumber'), before);
}

test('valid checkpoints with 4 validators land: stored as signed, events emitted, digests agree', async () => {
  const cp = await env.next(bytes32(0xa1));
  assert.equal(cp.number, 1n);
  const onChainDigest = await env.c.public.readContract({
    address: env.anchor,
    abi: depinAnchorAbi,
    functionName: 'checkpointDigest',
    args: [submitCheckpointArgs(cp, env.vals.set, new Uint8Array())[0]],
  });
  assert.equal(onChainDigest, h(checkpointDigest(env.domain, cp)), 'TS digest = contract digest');
  const [setHash, total] = await env.c.public.readContract({ address: env.anchor, abi: depinAnchorAbi, functionName: 'validatorSetHashAndPower', args: [submitCheckpointArgs(cp, env.vals.set, new Uint8Array())[1]] });
  assert.equal(setHash, h(env.vals.hash), 'TS set hash = contract set hash');
  assert.equal(total, 90n);

  const receipt = await env.submit(cp);
  const events = parseEventLogs({ abi: depinAnchorAbi, logs: receipt.logs });
  assert.equal(events.length, 1);
  assert.equal(events[0]!.eventName, 'CheckpointSubmitted');
  assert.deepEqual(events[0]!.args, { number: 1n, height: cp.height, stateRoot: h(cp.stateRoot), validatorSetHash: h(env.vals.hash), nextValidatorSetHash: h(env.vals.hash), signedPower: 90n, totalPower: 90n });
  const stored = await env.c.public.readContract({ address: env.anchor, abi: depinAnchorAbi, functionName: 'getCheckpoint', args: [1n] });
  assert.deepEqual(stored, { number: 1n, height: cp.height, stateRoot: h(cp.stateRoot), validatorSetHash: h(env.vals.hash), nextValidatorSetHash: h(env.vals.hash) });
  assert.equal(await read(env, 'lastHeight'), cp.height);

  // 20 + 30 + 30 = 80 of 90 is enough.
  const cp2 = await env.next(bytes32(0xa2));
  const r2 = await env.submit(cp2, env.vals.keys.filter((k) => k.power !== 10n));
  const [ev2] = parseEventLogs({ abi: depinAnchorAbi, logs: r2.logs, eventName: 'CheckpointSubmitted' });
  assert.equal(ev2!.args.signedPower, 80n);
  assert.equal(await env.c.public.readContract({ address: env.anchor, abi: depinAnchorAbi, functionName: 'stateRoot', args: [2n] }), h(cp2.stateRoot));
  await assert.rejects(env.c.public.readContract({ address: env.anchor, abi: depinAnchorAbi, functionName: 'getCheckpoint', args: [3n] }), (e: unknown) => revertName(e) === 'UnknownCheckpoint');
});

test('forged, insufficient, duplicated, unsorted and malleable signatures are refused', async () => {
  const cp = await env.next(bytes32(0xb1));
  const byPower = (p: bigint) => env.vals.keys.filter((k) => k.power === p);
  const all = sign(env.domain, cp, env.vals.keys);
  const outsider = makeValidatorSet([30n]);

  // Forged: a key outside the set, and a member's signature over another root swapped in.
  await refused(env, cp, sign(env.domain, cp, outsider.keys), 'SignerNotInValidatorSet');
  const swapped = [...sign(env.domain, { ...cp, stateRoot: bytes32(0xee) }, env.vals.keys.slice(0, 1)), ...all.slice(1)];
  await refused(env, cp, swapped, 'SignerNotInValidatorSet');
  await refused(env, cp, [...sign(env.domain, cp, outsider.keys), ...all], 'SignerNotInValidatorSet');

  // At most 2/3 of the power: 10 + 20 + 30 = 60 = 2/3 exactly, 30 + 30 = 60, one validator, nobody.
  await refused(env, cp, sign(env.domain, cp, [...byPower(10n), ...byPower(20n), byPower(30n)[0]!]), 'InsufficientVotingPower');
  await refused(env, cp, sign(env.domain, cp, byPower(30n)), 'InsufficientVotingPower');
  await refused(env, cp, new Uint8Array(), 'InsufficientVotingPower');

  // Duplicated signer: 10 + 20 + 30 with the last signature repeated would count 60 + 30 = 90.
  const signerAt = (packed: Uint8Array, i: number) => packed.subarray(65 * i, 65 * i + 65);
  const three = packSignatures(sign(env.domain, cp, [...byPower(10n), ...byPower(20n), byPower(30n)[0]!]));
  await refused(env, cp, new Uint8Array([...three, ...signerAt(three, 2)]), 'SignersNotAscending');

  // Unsorted: all four, in reverse order.
  const sorted = packSignatures(all);
  const reversed = new Uint8Array([3, 2, 1, 0].flatMap((i) => [...signerAt(sorted, i)]));
  await refused(env, cp, reversed, 'SignersNotAscending');

  // Malleable twin (r, n - s, v ^ 1) of one signature: same signer under plain ecrecover.
  const twin = Uint8Array.from(sorted);
  const s = BigInt(h(twin.subarray(32, 64)));
  twin.set(hexToBytes(`0x${(N - s).toString(16).padStart(64, '0')}`), 32);
  twin[64] = twin[64] === 27 ? 28 : 27;
  await refused(env, cp, twin, 'SignatureHighS');
  // v outside {27, 28}, and a length that is not a multiple of 65.
  const badV = Uint8Array.from(sorted);
  badV[64] = badV[64]! - 27;
  await refused(env, cp, badV, 'SignatureBadV');
  await refused(env, cp, sorted.subarray(0, sorted.length - 1), 'SignaturesLength');
  // r = 0: ecrecover finds no key.
  const zeroR = Uint8Array.from(sorted);
  zeroR.fill(0, 0, 32);
  await refused(env, cp, zeroR, 'SignatureInvalid');

  // Another validator list than the current set (the 10 inflated to 100), or a checkpoint naming another set.
  const inflated = env.vals.set.map((v) => (v.power === 10n ? { ...v, power: 100n } : v));
  await refused(env, cp, all, 'ValidatorSetMismatch', inflated);
  const otherSet = { ...cp, validatorSetHash: outsider.hash };
  await refused(env, otherSet, sign(env.domain, otherSet, env.vals.keys), 'ValidatorSetHashMismatch');
  const zeroNext = { ...cp, nextValidatorSetHash: new Uint8Array(32) };
  await refused(env, zeroNext, sign(env.domain, zeroNext, env.vals.keys), 'ZeroNextValidatorSetHash');

  // A rejected transaction that is actually mined (gas given, so no estimate): reverted, no effect.
  const hash = await env.c.wallet.writeContract({ address: env.anchor, abi: depinAnchorAbi, functionName: 'submitCheckpoint', args: submitCheckpointArgs(cp, env.vals.set, reversed), gas: 1_000_000n });
  const mined = await env.c.public.waitForTransactionReceipt({ hash });
  assert.equal(mined.status, 'reverted');
  assert.equal(await read(env, 'lastCheckpointNumber'), cp.number - 1n);

  // The checkpoint itself was fine all along.
  await env.submit(cp);
  assert.equal(await read(env, 'lastCheckpointNumber'), cp.number);
});

test('checkpoints out of order are refused: gap, repeat, same or lower height', async () => {
  const last = await read(env, 'lastCheckpointNumber');
  const lastHeight = await read(env, 'lastHeight');
  const signed = (cp: Checkpoint) => sign(env.domain, cp, env.vals.keys);
  const good = await env.next(bytes32(0xc1));
  for (const cp of [
    { ...good, number: last + 2n }, // gap
    { ...good, number: last }, // repeat of the last number (at a new height)
    { ...good, number: 1n }, // start over from 1
  ]) {
    await refused(env, cp, signed(cp), 'CheckpointOutOfOrder');
  }
  for (const height of [lastHeight, lastHeight - 1n]) {
    const cp = { ...good, height };
    await refused(env, cp, signed(cp), 'HeightNotIncreasing');
  }
  // A replay of an already accepted checkpoint, byte for byte.
  const first = await env.c.public.readContract({ address: env.anchor, abi: depinAnchorAbi, functionName: 'getCheckpoint', args: [1n] });
  const replay: Checkpoint = { ...first, stateRoot: hexToBytes(first.stateRoot), validatorSetHash: hexToBytes(first.validatorSetHash), nextValidatorSetHash: hexToBytes(first.nextValidatorSetHash) };
  await refused(env, replay, signed(replay), 'CheckpointOutOfOrder');
  await env.submit(good);
});

test('signatures do not replay on another contract, another Cosmos chain id or another Ethereum chain', async () => {
  // Same validators, same Cosmos chain id, another contract on the same Ethereum chain.
  const twin = await deployAnchor(env.c, env.anvil, env.domain.cosmosChainId, env.vals);
  const cp = await twin.next(bytes32(0xd1));
  const forFirst = sign(env.domain, cp, env.vals.keys);
  await refused(twin, cp, forFirst, 'SignerNotInValidatorSet');
  // Same validators and contract logic, another Cosmos chain.
  const otherCosmos = await deployAnchor(env.c, env.anvil, 'depin-other-1', env.vals);
  await refused(otherCosmos, cp, sign({ ...otherCosmos.domain, cosmosChainId: env.domain.cosmosChainId }, cp, env.vals.keys), 'SignerNotInValidatorSet');
  // Signed for the right domain, both accept.
  await twin.submit(cp);
  await otherCosmos.submit(cp);

  // Another Ethereum chain: the same deployer at the same nonce gives the SAME contract address on
  // both chains, so only the chain id in the domain tells the signatures apart.
  const anvil2 = await startAnvil({ chainId: 1337n });
  try {
    const deployer = { index: 7 }; // unused elsewhere: nonce 0 on both chains
    const c1 = ethClients(env.anvil.url, env.anvil.chainId, deployer);
    const c2 = ethClients(anvil2.url, anvil2.chainId, deployer);
    const onMain = await deployAnchor(c1, env.anvil, env.domain.cosmosChainId, env.vals);
    const onOther = await deployAnchor(c2, anvil2, env.domain.cosmosChainId, env.vals);
    assert.equal(onMain.anchor, onOther.anchor, 'same address on both chains');
    assert.equal(anvil2.chainId, 1337n);
    const cp1 = await onMain.next(bytes32(0xd2));
    await refused(onOther, cp1, sign(onMain.domain, cp1, env.vals.keys), 'SignerNotInValidatorSet');
    await onMain.submit(cp1);
    await onOther.submit(cp1); // signed for chain 1337
  } finally {
    await anvil2.stop();
  }
});

test('the validator set changes only through a checkpoint signed by the current set', async () => {
  const newSet = makeValidatorSet([5n, 5n, 5n, 5n, 5n]);
  const cp = await env.next(bytes32(0xe1), newSet.hash);
  // The incoming set signing its own handover: not the current set.
  await refused(env, cp, sign(env.domain, cp, newSet.keys), 'SignerNotInValidatorSet');
  // ...nor can it pose as the current set.
  const posing = { ...cp, validatorSetHash: newSet.hash };
  await refused(env, posing, sign(env.domain, posing, newSet.keys), 'ValidatorSetHashMismatch', newSet.set);
  await refused(env, cp, sign(env.domain, cp, newSet.keys), 'ValidatorSetMismatch', newSet.set);
  // A minority of the current set cannot hand over either.
  await refused(env, cp, sign(env.domain, cp, env.vals.keys.filter((k) => k.power === 30n)), 'InsufficientVotingPower');

  const oldSet = env.vals;
  const receipt = await env.submit(cp);
  const changed = parseEventLogs({ abi: depinAnchorAbi, logs: receipt.logs, eventName: 'ValidatorSetChanged' });
  assert.equal(changed.length, 1);
  assert.deepEqual(changed[0]!.args, { checkpointNumber: cp.number, previousSetHash: h(oldSet.hash), newSetHash: h(newSet.hash) });
  assert.equal(await read(env, 'currentValidatorSetHash'), h(newSet.hash));

  // The old set is out: as the set it was, as the new set, or with the new list passed.
  env.vals = newSet;
  const after = await env.next(bytes32(0xe2));
  const oldClaim = { ...after, validatorSetHash: oldSet.hash, nextValidatorSetHash: oldSet.hash };
  await refused(env, oldClaim, sign(env.domain, oldClaim, oldSet.keys), 'ValidatorSetHashMismatch', oldSet.set);
  await refused(env, after, sign(env.domain, after, oldSet.keys), 'SignerNotInValidatorSet');
  // The new set signs the next checkpoint (4 of 5 equal powers = 80 %).
  const r = await env.submit(after, newSet.keys.slice(0, 4));
  assert.equal(parseEventLogs({ abi: depinAnchorAbi, logs: r.logs, eventName: 'ValidatorSetChanged' }).length, 0);
});

test('7 validators of equal power: 5 signatures land, 4 do not', async () => {
  const seven = await deployAnchor(env.c, env.anvil, env.domain.cosmosChainId, makeValidatorSet(Array(7).fill(1_000_000n)));
  const cp = await seven.next(bytes32(0xf1));
  await refused(seven, cp, sign(seven.domain, cp, seven.vals.keys.slice(0, 4)), 'InsufficientVotingPower');
  const r = await seven.submit(cp, seven.vals.keys.slice(2, 7));
  const [ev] = parseEventLogs({ abi: depinAnchorAbi, logs: r.logs, eventName: 'CheckpointSubmitted' });
  assert.equal(ev!.args.signedPower, 5_000_000n);
  assert.equal(ev!.args.totalPower, 7_000_000n);
});

test('anvil stopped and started again on its state file keeps the anchor and accepts the next checkpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'depin-anvil-'));
  let anvil: Anvil | undefined;
  try {
    const e = await startAnchorEnv([1n, 1n, 1n, 1n], { anvil: { stateFile: join(dir, 'state.json') } });
    anvil = e.anvil;
    const cp1 = await e.next(bytes32(0x01));
    await e.submit(cp1);
    const blockBefore = await e.c.public.getBlockNumber();
    await anvil.stop();
    anvil = await anvil.restart();
    assert.equal(anvil.port, e.anvil.port, 'same port: the clients need no reconfiguration');
    assert.equal(await e.c.public.getBlockNumber(), blockBefore, 'blocks survive the restart');
    assert.equal(await read(e, 'lastCheckpointNumber'), 1n);
    const cp2 = await e.next(bytes32(0x02));
    await e.submit(cp2);
    assert.equal(await e.c.public.readContract({ address: e.anchor, abi: depinAnchorAbi, functionName: 'stateRoot', args: [2n] }), h(cp2.stateRoot));
  } finally {
    await anvil?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

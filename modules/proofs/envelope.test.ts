// Envelope-level checks of every proof (README "Transaction errors"): each attack is refused as a
// tx error with its proofs error code and changes nothing but the fee and the sequence; a batch is
// atomic; an honest envelope from a P-256 device key is accepted; the verified-signature cache
// never accepts what ECDSA would refuse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ProofsHarness, cellAt, changes, anteKeys, type TestDevice } from '../../test/helpers/proofs.ts';
import type { Signer } from '../../test/helpers/inproc.ts';
import * as P from '../../sdk/proofs.ts';
import * as M from '../../sdk/messages.ts';
import { generateDeviceKey, signMessage } from '../../sdk/device-key.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { encodeHeader, signedBytes, PROTOCOL_VERSION } from './envelope.ts';
import { KIND } from './reasons.ts';
import { SECP256K1_N } from '../devices/keys.ts';
import { verifiedSignatures } from '../../chain/crypto/sig-cache.ts';
import type { EnvelopeMsg } from './types.ts';

let t: ProofsHarness;
let dev: TestDevice;
let sensor: TestDevice;
const CELL = cellAt(48.8566, 2.3522);

before(async () => {
  t = await ProofsHarness.open();
  dev = await t.device('sensor', { cell: CELL });
  sensor = await t.device('sensor', { cell: CELL });
  await t.enterWindow(3n);
});
after(() => t.close());

const batch = (d: TestDevice, window: bigint, seed?: Uint8Array) =>
  P.sensorBatch(d.key, t.ec(d, window, seed), { readings: [new TextEncoder().encode(`r-${d.seq}-${window}`)], cell: d.cell });

/** The window the next block is in. */
const nextBlockWindow = () => (t.height() + 1n) / t.params.windowBlocks;

async function refused(envelopes: EnvelopeMsg[], code: number, log?: RegExp, signer: Signer = t.gateway): Promise<void> {
  const before = t.chain.dump();
  const balance = t.chain.balance(signer.address);
  const r = await t.submit(envelopes, signer);
  assert.equal(`${r.codespace}/${r.code}`, `proofs/${code}`, r.log);
  if (log) assert.match(r.log, log);
  const allowed = anteKeys(signer.address);
  const unexpected = changes(before, t.chain.dump()).filter((c) => !allowed.has(c.key));
  assert.deepEqual(unexpected, [], 'nothing but the fee and the sequence changed');
  assert.equal(t.chain.balance(signer.address), balance - 50_000n);
}

test('an honest batch is recorded valid with its units; the hook sees it once', async () => {
  const w = nextBlockWindow();
  const r = await t.submit([batch(dev, w)]);
  assert.equal(r.code, 0, r.log);
  const [ev] = ProofsHarness.verdictEvents(r);
  assert.equal(ev!.valid, 'true');
  assert.equal(ev!.reason, '0');
  assert.equal(ev!.units, '1000000');
  const last = t.hooks.verdicts.at(-1)!;
  assert.deepEqual({ id: last.proofId, kind: last.kind, device: last.deviceId, valid: last.valid }, { id: BigInt(ev!.proof_id!), kind: 'sensor/batch', device: dev.id, valid: true });
});

test('replayed envelope: refused by sequence (from any submitter)', async () => {
  const e = batch(sensor, nextBlockWindow());
  assert.equal((await t.submit([e])).code, 0);
  await refused([e], 12, /seq/);
  await refused([e], 12, undefined, t.authority);
});

test('another chain id: refused whether the header or only the signature names it', async () => {
  const w = nextBlockWindow();
  const c = t.ec(dev, w);
  const other = P.sensorBatch(dev.key, { ...c, chainId: 'depin-other-1' }, { readings: [new Uint8Array([1])], cell: dev.cell });
  await refused([other], 3, /depin-other-1/);
  // Header claims this chain, but the device signed the bytes for another chain id.
  const payload = other.payload;
  const header = encodeHeader({ version: PROTOCOL_VERSION, chainId: 'depin-local-1', sector: 4, kind: KIND.SENSOR_BATCH, deviceId: dev.id, window: w, seed: c.seed, payloadHash: sha256(payload), seq: c.seq });
  await refused([{ header, payload, signature: signMessage(dev.key, signedBytes('depin-other-1', header)) }], 11);
});

test('answered before its seed existed: a future window, and a seed that is not the window\'s', async () => {
  const w = nextBlockWindow();
  // The next window's seed may not even exist; a device can only make one up.
  await refused([batch(dev, w + 1n, sha256(new Uint8Array([7])))], 14, /starts at height/);
  await refused([batch(dev, w + 5n, sha256(new Uint8Array([7])))], 14);
  // A seed of another window for this window.
  await refused([batch(dev, w, t.seed(w - 1n))], 16);
});

test('expired window: refused once the seed lifetime has passed', async () => {
  const old = nextBlockWindow() - t.params.seedLifetimeWindows - 1n;
  await refused([batch(dev, old, t.seed(old))], 15, /closed/);
});

test('forged device signature, high-S twin, and a payload swapped under a valid header', async () => {
  const d = await t.device('sensor', { cell: CELL });
  const e = batch(d, nextBlockWindow());
  const mallory = generateDeviceKey('secp256k1');
  await refused([{ ...e, signature: signMessage(mallory, signedBytes('depin-local-1', e.header)) }], 11, /did not sign/);
  const s = BigInt('0x' + Buffer.from(e.signature.subarray(32)).toString('hex'));
  const high = Uint8Array.from(e.signature);
  high.set(Buffer.from((SECP256K1_N - s).toString(16).padStart(64, '0'), 'hex'), 32);
  await refused([{ ...e, signature: high }], 11);
  await refused([{ ...e, payload: Uint8Array.from([...e.payload, 0]) }], 10);
  // The genuine one still goes through afterwards (nothing was consumed by the attempts).
  assert.equal((await t.submit([e])).code, 0);
});

test('unknown device, wrong sector, undecodable header, unsupported version', async () => {
  const w = nextBlockWindow();
  const ghost = { ...dev, id: 9_999n, seq: 100n };
  await refused([batch(ghost, w)], 6);
  // A sensor device signing a coverage kind.
  const c = t.ec(dev, w);
  const beacon = P.beacon(dev.key, c, { region: 1, frequencyKhz: 868_100, dataRate: 5, txPowerDbm10: 140, antennaGainDbi10: 20 }).envelope;
  await refused([beacon], 7);
  await refused([{ header: new Uint8Array([0xff, 0xff, 0xff]), payload: new Uint8Array(), signature: new Uint8Array(64) }], 2);
  const payload = P.sensorBatch(dev.key, t.ec(dev, w), { readings: [new Uint8Array([1])], cell: dev.cell }).payload;
  const header = encodeHeader({ version: 2, chainId: 'depin-local-1', sector: 4, kind: KIND.SENSOR_BATCH, deviceId: dev.id, window: w, seed: t.seed(w), payloadHash: sha256(payload), seq: dev.seq });
  await refused([{ header, payload, signature: signMessage(dev.key, signedBytes('depin-local-1', header)) }], 4);
});

test('one proof per (device, kind, window): a second batch for the window is refused', async () => {
  const d = await t.device('sensor', { cell: CELL });
  const w = nextBlockWindow();
  assert.equal((await t.submit([batch(d, w)])).code, 0);
  await refused([batch(d, w)], 17, /window/);
});

test('banned and deactivated devices are refused', async () => {
  const d = await t.device('sensor', { cell: CELL });
  await t.ok(t.authority, [M.banMsg(t.authority.address, 1, d.id.toString(), 7, sha256(new Uint8Array([1])), 0n)]);
  await refused([batch(d, nextBlockWindow())], 9, /banned/);
  await t.ok(t.authority, [M.unbanMsg(t.authority.address, 1, d.id.toString())]);
  await t.ok(d.owner, [M.deactivateDeviceMsg(d.owner.address, d.id)]);
  await refused([batch(d, nextBlockWindow())], 8, /deactivated/);
  await t.ok(d.owner, [M.reactivateDeviceMsg(d.owner.address, d.id)]);
  assert.equal((await t.submit([batch(d, nextBlockWindow())])).code, 0);
});

test('a gateway batch is atomic: one forged envelope fails all of them', async () => {
  const d1 = await t.device('sensor', { cell: CELL });
  const d2 = await t.device('sensor', { cell: CELL });
  const w = nextBlockWindow();
  const good = batch(d1, w);
  const bad = batch(d2, w);
  await refused([good, { ...bad, signature: signMessage(generateDeviceKey(), signedBytes('depin-local-1', bad.header)) }], 11, /envelope 1/);
  const r = await t.submit([good, bad]);
  assert.equal(r.code, 0, r.log);
  assert.equal(ProofsHarness.verdictEvents(r).length, 2);
});

test('P-256 device keys sign envelopes too', async () => {
  const d = await t.device('sensor', { cell: CELL, keyType: 'p256' });
  const r = await t.submit([batch(d, nextBlockWindow())]);
  assert.equal(r.code, 0, r.log);
  assert.equal(ProofsHarness.verdictEvents(r)[0]!.valid, 'true');
});

test('verified-signature cache: pre-verified envelopes pass with identical gas; a forged triple never enters', async () => {
  const d = await t.device('sensor', { cell: CELL });
  const w = nextBlockWindow();
  const e = batch(d, w);
  const tx = t.chain.tx(t.gateway, [ (await import('../../test/helpers/proofs.ts')).any(P.submitProofsMsg(t.gateway.address, [e])) ], { gas: 600_000n, fee: 50_000n });
  const decoded = t.chain.app.decode(tx);
  const jobs = t.chain.app.signatureJobs(decoded)!;
  assert.equal(jobs.jobs.length, 2, 'the tx signature and the device signature');
  const deviceJob = jobs.jobs[1]!;
  assert.deepEqual(deviceJob.digest, sha256(signedBytes('depin-local-1', e.header)));
  assert.equal(verifiedSignatures.has(deviceJob.pubkey, deviceJob.digest, deviceJob.sig), false);
  t.chain.app.markSignaturesVerified(decoded, jobs.accountNumbers);
  assert.equal(verifiedSignatures.has(deviceJob.pubkey, deviceJob.digest, deviceJob.sig), true);
  const r = await t.chain.deliver(tx);
  assert.equal(r.code, 0, r.log);
  // Same envelope shape through the uncached path costs the same gas.
  const d2 = await t.device('sensor', { cell: CELL });
  const e2 = batch(d2, nextBlockWindow());
  const r2 = await t.submit([e2]);
  assert.equal(r2.code, 0, r2.log);
  assert.ok(Math.abs(Number(r2.gasUsed) - Number(r.gasUsed)) < 2_000, `gas ${r.gasUsed} (cached) vs ${r2.gasUsed} (verified in the block)`);
  // A forged signature is never cached, so it is refused even after a "verified" report for another tx.
  const forged = { ...batch(d2, nextBlockWindow() + 0n), signature: signMessage(generateDeviceKey(), new Uint8Array([1])) };
  await refused([forged], 11);
});

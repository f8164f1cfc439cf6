// Proofs against a real depind with unmodified CosmJS (SigningStargateClient + the SDK registry):
// for each sector the honest path, a gateway batching many device-signed envelopes, a device
// submitting its own proof through its owner's fee grant; attacks refused as tx errors (replay,
// duplicate batch) or recorded as invalid verdicts (witness too far, wrong puzzle answer, wrong
// Merkle leaf); verdicts read back through ABCI queries, tx search on proof_verdict attributes and
// REST; one proof submitted through `depind tx proofs ...`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SigningStargateClient, GasPrice, calculateFee, type DeliverTxResponse } from '@cosmjs/stargate';
import { DirectSecp256k1HdWallet, DirectSecp256k1Wallet } from '@cosmjs/proto-signing';
import { makeCosmoshubPath } from '@cosmjs/amino';
import { startDevnet, DEV_MNEMONIC, DEPIND, type Devnet } from '../helpers/devnet.ts';
import {
  depinRegistry, DevicesClient, ProofsClient, generateDeviceKey, deviceAccountAddress, attestDevice, serialHash, registerDeviceMsg, assertLocationMsg,
  devManufacturerSigners, grantAllowanceMsg, signAndBroadcastGranted, latLngToCell, type DeviceKey,
} from '../../sdk/index.ts';
import * as P from '../../sdk/proofs.ts';

let net: Devnet;
let owner: string;
let gateway: string;
let client: SigningStargateClient;
let gw: SigningStargateClient;
let proofs: ProofsClient;
let devices: DevicesClient;
let chainId: string;
const registry = depinRegistry();
const gasPrice = GasPrice.fromString('0.025udpin');
const mfr = devManufacturerSigners();
const W = 20n; // dev window_blocks

before(async () => {
  net = await startDevnet({ blockTimeMs: 150 });
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [makeCosmoshubPath(0), makeCosmoshubPath(3)] });
  [owner, gateway] = (await wallet.getAccounts()).map((a) => a.address) as [string, string];
  client = await SigningStargateClient.connectWithSigner(net.rpc, wallet, { registry, gasPrice, broadcastPollIntervalMs: 100 });
  gw = client;
  proofs = await ProofsClient.connect(net.rpc);
  devices = await DevicesClient.connect(net.rpc);
  chainId = await client.getChainId();
});

after(async () => {
  if (process.env.DEBUG_DEPIND) console.log(net.output());
  client?.disconnect();
  proofs?.disconnect();
  devices?.disconnect();
  await net.stop();
  net.cleanup();
});

interface Dev {
  id: bigint;
  key: DeviceKey;
  seq: bigint;
  cell: bigint;
}

const cellNear = (lat: number, lng: number, north: number) => latLngToCell(lat + north / 111_320, lng);
const ok = (r: DeliverTxResponse) => (assert.equal(r.code, 0, r.rawLog ?? ''), r);
const height = async () => BigInt((await client.getHeight()).toString());
async function waitHeight(h: bigint) {
  while ((await height()) < h) await new Promise((r) => setTimeout(r, 100));
}

/** Registers and locates devices in two txs. */
async function register(specs: { sector: 'coverage' | 'storage' | 'compute' | 'sensor'; model: string; cell: bigint }[]): Promise<Dev[]> {
  const keys = specs.map(() => generateDeviceKey('secp256k1'));
  let nonce = await devices.lastRegistrationNonce(owner);
  const msgs = specs.map((s, i) => {
    const sh = serialHash('devmfr', `e2e-proofs-${Buffer.from(keys[i]!.publicKey).toString('hex')}`);
    return registerDeviceMsg({
      chainId, owner, nonce: ++nonce, device: keys[i]!, manufacturerId: 'devmfr', model: s.model, sector: s.sector, hardwareClass: 'standard', serialHash: sh,
      attestation: attestDevice(mfr.secp256k1, { manufacturerId: 'devmfr', device: keys[i]!, model: s.model, serialHash: sh }), maxFee: { denom: 'udpin', amount: 1_000_000n },
    });
  });
  const r = ok(await client.signAndBroadcast(owner, msgs, 'auto'));
  const ids = r.events.filter((e) => e.type === 'device_registered').map((e) => BigInt(e.attributes.find((a) => a.key === 'device_id')!.value));
  ok(await client.signAndBroadcast(owner, ids.map((id, i) => assertLocationMsg(owner, id, specs[i]!.cell, { denom: 'udpin', amount: 100_000n })), 'auto'));
  return ids.map((id, i) => ({ id, key: keys[i]!, seq: 0n, cell: specs[i]!.cell }));
}

/** A data set's current challenge seed, once it exists (polled: see ctxFor). */
async function challengeSeedOf(id: bigint): Promise<{ seed: Uint8Array; challenges: bigint[]; period: bigint }> {
  for (let i = 0; i < 200; i++) {
    const q = await proofs.dataSet(id);
    if (q.challengeSeed?.length) return { seed: Uint8Array.from(q.challengeSeed), challenges: q.challenges, period: BigInt(q.dataSet.period ?? 0n) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no challenge seed for data set ${id}`);
}

/** Envelope context for the window the next block falls in (waiting past a boundary if close). */
async function ctxFor(d: Dev, window?: bigint): Promise<P.EnvelopeContext> {
  await waitHeight(W); // window 0 has no seed (its source height would precede the chain)
  let h = await height();
  if (window === undefined && (h + 1n) % W >= W - 4n) {
    await waitHeight(h + 5n);
    h = await height();
  }
  const w = window ?? (h + 1n) / W;
  // The RPC height can run one block ahead of the committed state queries read (a block is stored
  // before it is executed): wait for the seed itself.
  let s = await proofs.seed(w);
  for (let i = 0; !s.available && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    s = await proofs.seed(w);
  }
  assert.equal(s.available, true, `seed of window ${w} at height ${h}`);
  d.seq += 1n;
  return { chainId, deviceId: d.id, window: w, seed: Uint8Array.from(s.seed), seq: d.seq };
}

const submit = (envs: P.EnvelopeMsg[], fee: 'auto' | number = 'auto') =>
  gw.signAndBroadcast(gateway, [P.submitProofsMsg(gateway, envs)], fee === 'auto' ? 'auto' : calculateFee(fee, gasPrice));
const verdicts = (r: DeliverTxResponse) => r.events.filter((e) => e.type === 'proof_verdict').map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));

test('coverage over CosmJS: a gateway batches beacons and witnesses; all paid after the witness window; a too-far witness is recorded', async () => {
  const [a, b, far] = await register([
    { sector: 'coverage', model: 'dev-hotspot', cell: cellNear(52.52, 13.405, 0) },
    { sector: 'coverage', model: 'dev-hotspot', cell: cellNear(52.52, 13.405, 1_500) },
    { sector: 'coverage', model: 'dev-hotspot', cell: cellNear(52.52, 13.405, 160_000) },
  ]) as [Dev, Dev, Dev];
  const radio = { region: 1, frequencyKhz: 868_100, dataRate: 5, txPowerDbm10: 140, antennaGainDbi10: 20 };
  const heard = { rssiDbm10: -1_050, snrDb10: 60, region: 1, frequencyKhz: 868_100, antennaGainDbi10: 30 };
  // Each device beacons and witnesses the other in the same window (reciprocity satisfied by the
  // batch itself), and a device 160 km away claims to have heard A. Sequences rise in batch order.
  const ca = await ctxFor(a);
  const ba = P.beacon(a.key, ca, radio);
  const wb = (payload: Uint8Array) => ctxFor(b, ca.window).then((c) => P.witness(b.key, c, { ...heard, beaconPayload: payload }));
  const bHearsA = await wb(ba.payload);
  const bb = P.beacon(b.key, await ctxFor(b, ca.window), radio);
  const aHearsB = P.witness(a.key, await ctxFor(a, ca.window), { ...heard, beaconPayload: bb.payload });
  const farWitness = P.witness(far.key, await ctxFor(far, ca.window), { ...heard, beaconPayload: ba.payload });
  const r = ok(await submit([ba.envelope, bHearsA, bb.envelope, aHearsB, farWitness]));
  const v = verdicts(r);
  assert.equal(v.length, 1, 'the too-far witness is final at once; the rest wait for the witness window');
  assert.deepEqual([v[0]!.reason, v[0]!.reason_name, v[0]!.valid, v[0]!.device_id], ['115', 'witness_too_far', 'false', far.id.toString()]);
  await waitHeight(BigInt(r.height) + 6n);
  for (const d of [a, b]) {
    const page = await proofs.proofsByDevice(d.id);
    const kinds = page.proofs.map((p: any) => [p.kind, p.valid, p.reason]);
    assert.deepEqual(kinds.sort(), [[1, true, 0], [2, true, 0]].sort(), `device ${d.id}: beacon and witness valid`);
    assert.ok(page.proofs.every((p: any) => p.units > 0n));
  }
  // tx search on the indexed verdict attributes.
  const found = await client.searchTx([{ key: 'proof_verdict.device_id', value: far.id.toString() }]);
  assert.deepEqual(found.map((t) => t.hash), [r.transactionHash]);
  const byReason = await client.searchTx([{ key: 'proof_verdict.reason', value: '115' }]);
  assert.ok(byReason.some((t) => t.hash === r.transactionHash));
  // REST.
  const rest = await (await fetch(`${net.rest}/depin/proofs/v1/devices/${far.id}/proofs`)).json() as any;
  assert.equal(rest.proofs[0].reason, 'REASON_WITNESS_TOO_FAR');
  assert.ok(rest.proofs[0].inputs.some((x: any) => x.key === 'grid_distance_res11'));
});

test('sensor over CosmJS: a device pays through its owner\'s fee grant; replay and duplicate batch are tx errors', async () => {
  const [s] = await register([{ sector: 'sensor', model: 'dev-sensor', cell: latLngToCell(48.8566, 2.3522) }]) as [Dev];
  const account = deviceAccountAddress(s.key);
  ok(await client.signAndBroadcast(owner, [grantAllowanceMsg(owner, account, { spendLimit: [{ denom: 'udpin', amount: 5_000_000n }], allowedMessages: [P.PROOFS_TYPE_URLS.submitProofs] })], 'auto'));
  const deviceClient = await SigningStargateClient.connectWithSigner(net.rpc, await DirectSecp256k1Wallet.fromKey(s.key.privateKey, 'depin'), { registry, gasPrice, broadcastPollIntervalMs: 100 });
  const c = await ctxFor(s);
  const env = P.sensorBatch(s.key, c, { readings: [new TextEncoder().encode('t=21.5'), new TextEncoder().encode('t=21.7')], cell: s.cell });
  const r = ok(await signAndBroadcastGranted(deviceClient, devices.abci, account, s.key.publicKey, [P.submitProofsMsg(account, [env])], owner));
  assert.equal(verdicts(r)[0]!.valid, 'true');
  const summary = await proofs.deviceWindow(s.id, c.window);
  assert.deepEqual([summary.valid, summary.units], [1n, 1_000_000n]);
  // The same envelope again (from the gateway): replay.
  const replay = await submit([env], 400_000);
  assert.equal(replay.code, 12, replay.rawLog ?? '');
  assert.match(replay.rawLog ?? '', /sequence/);
  // A second batch for the window: one per window.
  const dup = await submit([P.sensorBatch(s.key, await ctxFor(s, c.window), { readings: [new TextEncoder().encode('x')], cell: s.cell })], 400_000);
  assert.equal(dup.code, 17, dup.rawLog ?? '');
  deviceClient.disconnect();
});

test('storage and compute over CosmJS: PDP answers paid, a wrong leaf recorded; availability puzzle; escrowed receipt', async () => {
  const [st, gpu] = await register([
    { sector: 'storage', model: 'dev-storage', cell: latLngToCell(40.71, -74.0) },
    { sector: 'compute', model: 'dev-gpu', cell: latLngToCell(35.67, 139.65) },
  ]) as [Dev, Dev];
  const pieces = [P.Piece.fromBytes(randomBytes(32 * 64)), P.Piece.fromBytes(randomBytes(32 * 9))];
  const tenantKey = generateDeviceKey('secp256k1');
  const setup = ok(await client.signAndBroadcast(owner, [
    P.bondProviderMsg(owner, st.id, { denom: 'udpin', amount: 100_000_000n }),
    P.bondProviderMsg(owner, gpu.id, { denom: 'udpin', amount: 100_000_000n }),
    P.createDataSetMsg(owner, st.id, pieces.map((p) => ({ root: p.root, leafCount: p.leafCount }))),
    P.createJobMsg(owner, gpu.id, tenantKey.publicKey, { denom: 'udpin', amount: 1_000_000n }, 100n, new Uint8Array(32).fill(7)),
  ], 'auto'));
  const dsId = BigInt(setup.events.find((e) => e.type === 'data_set_created')!.attributes.find((a) => a.key === 'data_set_id')!.value);
  const jobId = BigInt(setup.events.find((e) => e.type === 'job_created')!.attributes.find((a) => a.key === 'job_id')!.value);

  // Compute first (no waiting): puzzle right and wrong, and a receipt signed by the tenant key.
  const c1 = await ctxFor(gpu);
  const params = await proofs.params();
  const nonce = P.solvePuzzle(c1.seed, gpu.id, c1.window, Number(params.defaultDifficultyBits));
  const out = new Uint8Array(32).fill(3);
  const c2 = await ctxFor(gpu, c1.window);
  const rc = ok(await submit([
    P.availability(gpu.key, c1, nonce),
    P.receipt(gpu.key, c2, { jobId, units: 50n, outputHash: out, tenantSignature: P.signReceipt(tenantKey.privateKey, chainId, jobId, c2.window, 50n, out) }),
  ]));
  assert.deepEqual(verdicts(rc).map((v) => [v.kind, v.valid]), [['compute/availability', 'true'], ['compute/job', 'true']]);
  assert.equal((await proofs.job(jobId)).remaining, '995000');

  // Storage: wait for the challenge seed, answer from the pieces.
  const q = await challengeSeedOf(dsId);
  const seed = q.seed;
  const answers = P.pdpAnswers(pieces, seed, dsId, Number(params.challengesPerProof));
  assert.deepEqual(q.challenges.map((x: bigint) => x), answers.map((_, i) => P.pdpChallengeIndex(seed, dsId, i, 73n)));
  st.seq += 1n;
  const good = P.pdpProof(st.key, { chainId, deviceId: st.id, window: q.period, seed, seq: st.seq }, dsId, answers);
  const rs = ok(await submit([good]));
  assert.deepEqual([verdicts(rs)[0]!.kind, verdicts(rs)[0]!.valid], ['storage/pdp', 'true']);
  // Next period: a wrong leaf is recorded (and is that period's fault).
  const q1 = await challengeSeedOf(dsId);
  assert.equal(q1.period, 1n);
  const wrong = P.pdpAnswers(pieces, q1.seed, dsId, Number(params.challengesPerProof)).map((a, i) => (i === 0 ? { ...a, leaf: randomBytes(32) } : a));
  st.seq += 1n;
  const rw = ok(await submit([P.pdpProof(st.key, { chainId, deviceId: st.id, window: 1n, seed: q1.seed, seq: st.seq }, dsId, wrong)]));
  assert.deepEqual([verdicts(rw)[0]!.reason_name, verdicts(rw)[0]!.units], ['pdp_root_mismatch', '0']);
  assert.equal((await proofs.dataSet(dsId)).dataSet.faults, 1n);
});

test('depind tx proofs availability: the CLI solves and submits a puzzle', async () => {
  const [gpu] = await register([{ sector: 'compute', model: 'dev-gpu', cell: latLngToCell(1.35, 103.82) }]) as [Dev];
  const run = promisify(execFile);
  await run(process.execPath, [DEPIND, 'keys', 'add', 'gw', '--recover', '--mnemonic', DEV_MNEMONIC, '--index', '3', '--home', net.home]);
  const file = join(net.home, 'readings.txt');
  writeFileSync(file, 'a\nb\n');
  await waitHeight(W);
  const { stdout } = await run(process.execPath, [DEPIND, 'tx', 'proofs', 'availability', 'gw', '--device-key', Buffer.from(gpu.key.privateKey).toString('hex'), '--device-id', gpu.id.toString(), '--node', net.rpc, '--home', net.home]);
  assert.match(stdout, /code: 0/);
  assert.match(stdout, /proof_verdict: .*kind=compute\/availability .*valid=true/);
});

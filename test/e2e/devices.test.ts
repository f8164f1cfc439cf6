// Devices against a real depind with unmodified CosmJS (SigningStargateClient + the SDK's
// registry): register, assert location, transfer, read back through ABCI queries, tx search and
// REST; a device with zero balance pays through its owner's fee grant (fee.granter), and an
// exhausted or expired (by block time) allowance is refused; the SDK example runs as a user would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import * as h3 from 'h3-js';
import { SigningStargateClient, GasPrice, QueryClient, setupFeegrantExtension, type DeliverTxResponse } from '@cosmjs/stargate';
import { DirectSecp256k1HdWallet, DirectSecp256k1Wallet } from '@cosmjs/proto-signing';
import { makeCosmoshubPath } from '@cosmjs/amino';
import { connectComet } from '@cosmjs/tendermint-rpc';
import { startDevnet, waitForHeight, DEV_MNEMONIC, REPO, type Devnet } from '../helpers/devnet.ts';
import {
  depinRegistry, DevicesClient, generateDeviceKey, deviceAccountAddress, attestDevice, serialHash, registerDeviceMsg, assertLocationMsg,
  transferDeviceMsg, grantAllowanceMsg, announceEndpointMsg, latLngToCell, cellToString, devManufacturerSigners, type DeviceKey, type EncodeObject,
} from '../../sdk/index.ts';

let net: Devnet;
let owner: string;
let owner2: string;
let ownerClient: SigningStargateClient;
let devices: DevicesClient;
const registry = depinRegistry();
const gasPrice = GasPrice.fromString('0.025udpin');
const mfr = devManufacturerSigners();

before(async () => {
  net = await startDevnet({ blockTimeMs: 250 });
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [makeCosmoshubPath(5), makeCosmoshubPath(6)] });
  [owner, owner2] = (await wallet.getAccounts()).map((a) => a.address) as [string, string];
  ownerClient = await SigningStargateClient.connectWithSigner(net.rpc, wallet, { registry, gasPrice, broadcastPollIntervalMs: 100 });
  devices = await DevicesClient.connect(net.rpc);
});

after(async () => {
  if (process.env.DEBUG_DEPIND) console.log(net.output());
  ownerClient?.disconnect();
  devices?.disconnect();
  await net.stop();
  net.cleanup();
});

async function register(from: string, device: DeviceKey, model = 'dev-hotspot'): Promise<{ id: bigint; res: DeliverTxResponse }> {
  const chainId = await ownerClient.getChainId();
  const sh = serialHash('devmfr', `e2e-${Buffer.from(device.publicKey).toString('hex').slice(0, 16)}`);
  const attestation = attestDevice(device.keyType === 1 ? mfr.secp256k1 : mfr.p256, { manufacturerId: 'devmfr', device, model, serialHash: sh });
  const nonce = (await devices.lastRegistrationNonce(from)) + 1n;
  const msg = registerDeviceMsg({ chainId, owner: from, nonce, device, manufacturerId: 'devmfr', model, sector: 'coverage', hardwareClass: 'outdoor', serialHash: sh, attestation, maxFee: { denom: 'udpin', amount: 1_000_000n } });
  const res = await ownerClient.signAndBroadcast(from, [msg], 'auto');
  assert.equal(res.code, 0, res.rawLog ?? "");
  const id = BigInt(res.events.find((e) => e.type === 'device_registered')!.attributes.find((a) => a.key === 'device_id')!.value);
  return { id, res };
}

const rest = async (path: string) => {
  const r = await fetch(net.rest + path);
  return { status: r.status, body: (await r.json()) as any };
};

test('unmodified CosmJS registers, locates and transfers a device; queries, tx search and REST read it back', async () => {
  const device = generateDeviceKey('secp256k1');
  const { id, res } = await register(owner, device);
  assert.equal(res.msgResponses[0]?.typeUrl, '/depin.devices.v1.MsgRegisterDeviceResponse');
  const cell = latLngToCell(52.52, 13.405);
  const loc = await ownerClient.signAndBroadcast(owner, [assertLocationMsg(owner, id, cell, { denom: 'udpin', amount: 100_000n })], 'auto');
  assert.equal(loc.code, 0, loc.rawLog ?? "");
  const tr = await ownerClient.signAndBroadcast(owner, [transferDeviceMsg(owner, id, owner2)], 'auto');
  assert.equal(tr.code, 0, tr.rawLog ?? "");

  // ABCI queries (CosmJS QueryClient underneath).
  const view = await devices.device(id);
  assert.equal(view.device.owner, owner2);
  assert.equal(view.device.locationCell, cell);
  assert.equal(view.active, true);
  assert.equal((await devices.deviceByKey(device.publicKey)).device.id, id);
  assert.deepEqual((await devices.devicesByOwner(owner2)).devices.map((d: any) => d.device.id), [id]);
  assert.ok((await devices.devicesByCell(h3.cellToParent(cellToString(cell), 8))).devices.some((d: any) => d.device.id === id));
  const { didDocument } = await devices.deviceByDid(view.did);
  assert.equal(didDocument.controller, `did:pkh:cosmos:depin-local-1:${owner2}`);
  // The tx indexer sees the module's events.
  const found = await ownerClient.searchTx([{ key: 'device_registered.device_id', value: id.toString() }]);
  assert.deepEqual(found.map((t) => t.hash), [res.transactionHash]);

  // REST, grpc-gateway style.
  const d = await rest(`/depin/devices/v1/devices/${id}`);
  assert.equal(d.status, 200);
  assert.equal(d.body.device.device.owner, owner2);
  assert.equal(d.body.device.device.location_cell, cell.toString());
  assert.equal(d.body.device.device.sector, 'SECTOR_COVERAGE');
  const byDid = await rest(`/depin/devices/v1/dids/${encodeURIComponent(view.did)}`);
  assert.equal(JSON.parse(byDid.body.did_document_json).id, view.did);
  const byOwner = await rest(`/depin/devices/v1/owners/${owner2}/devices?pagination.limit=10`);
  assert.deepEqual(byOwner.body.devices.map((x: any) => x.device.id), [id.toString()]);
  const parent = h3.cellToParent(cellToString(cell), 5);
  const byCell = await rest(`/depin/devices/v1/cells/${parent}/devices`);
  assert.ok(byCell.body.devices.some((x: any) => x.device.id === id.toString()));
  const byKey = await rest(`/depin/devices/v1/keys/${Buffer.from(device.publicKey).toString('hex')}`);
  assert.equal(byKey.body.device.device.id, id.toString());
  const hist = await rest(`/depin/devices/v1/devices/${id}/locations`);
  assert.equal(hist.body.records.length, 1);
  const missing = await rest('/depin/devices/v1/devices/999999');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.code, 5);
  const bal = await rest(`/cosmos/bank/v1beta1/balances/${owner2}`);
  assert.equal(bal.status, 200);
  assert.equal(bal.body.balances[0].denom, 'udpin');
  const acc = await rest(`/cosmos/auth/v1beta1/accounts/${owner}`);
  assert.equal(acc.body.account['@type'], '/cosmos.auth.v1beta1.BaseAccount');
  assert.equal(acc.body.account.address, owner);
  assert.equal(acc.body.account.pub_key['@type'], '/cosmos.crypto.secp256k1.PubKey');
  const mfrs = await rest('/depin/devices/v1/manufacturers');
  assert.equal(mfrs.body.manufacturers[0].id, 'devmfr');
  assert.equal((await fetch(net.rest + '/nope')).status, 501);
});

test('fee grant: a device with zero balance pays through its owner; exhausted and expired allowances are refused', async () => {
  const device = generateDeviceKey('secp256k1');
  const { id } = await register(owner, device);
  const deviceAddr = deviceAccountAddress(device);
  const grant = await ownerClient.signAndBroadcast(owner, [grantAllowanceMsg(owner, deviceAddr, { spendLimit: [{ denom: 'udpin', amount: 30_000n }] })], 'auto');
  assert.equal(grant.code, 0, grant.rawLog ?? "");
  // CosmJS's own feegrant extension reads the allowance back.
  const comet = await connectComet(net.rpc);
  const fg = QueryClient.withExtensions(comet, setupFeegrantExtension);
  const allowance = await fg.feegrant.allowance(owner, deviceAddr);
  assert.equal(allowance.allowance?.allowance?.typeUrl, '/cosmos.feegrant.v1beta1.BasicAllowance');
  const restGrant = await rest(`/cosmos/feegrant/v1beta1/allowance/${owner}/${deviceAddr}`);
  assert.equal(restGrant.body.allowance.allowance.spend_limit[0].amount, '30000');

  const deviceClient = await SigningStargateClient.connectWithSigner(net.rpc, await DirectSecp256k1Wallet.fromKey(device.privateKey, 'depin'), { registry, gasPrice, broadcastPollIntervalMs: 100 });
  const send = (msgs: EncodeObject[], feeAmount: string, granter: string) =>
    deviceClient.signAndBroadcast(deviceAddr, msgs, { amount: [{ denom: 'udpin', amount: feeAmount }], gas: '200000', granter });
  const ownerBefore = BigInt((await ownerClient.getBalance(owner, 'udpin')).amount);
  const ok = await send([announceEndpointMsg(deviceAddr, id, 'https://198.51.100.4/proofs')], '20000', owner);
  assert.equal(ok.code, 0, ok.rawLog ?? "");
  assert.ok(ok.events.some((e) => e.type === 'use_feegrant'));
  assert.equal((await deviceClient.getBalance(deviceAddr, 'udpin')).amount, '0');
  assert.equal(BigInt((await ownerClient.getBalance(owner, 'udpin')).amount), ownerBefore - 20_000n);

  // Exhausted: 10,000 left, a 20,000 fee is refused at CheckTx and nothing moves.
  const seq = (await deviceClient.getSequence(deviceAddr)).sequence;
  await assert.rejects(send([announceEndpointMsg(deviceAddr, id, 'https://198.51.100.5/proofs')], '20000', owner), (err: Error & { code?: number; codespace?: string }) => {
    assert.equal(err.code, 2);
    assert.equal(err.codespace, 'feegrant');
    assert.match(err.message, /fee limit exceeded/);
    return true;
  });
  assert.equal(BigInt((await ownerClient.getBalance(owner, 'udpin')).amount), ownerBefore - 20_000n);
  assert.equal((await deviceClient.getSequence(deviceAddr)).sequence, seq);

  // Expired by block time: a grant from owner2 that expires 2 s after the latest block.
  const latest = await ownerClient.getBlock();
  const expires = new Date(Date.parse(latest.header.time) + 2000);
  const g2 = await ownerClient.signAndBroadcast(owner2, [grantAllowanceMsg(owner2, deviceAddr, { expiration: expires })], 'auto');
  assert.equal(g2.code, 0, g2.rawLog ?? "");
  for (;;) {
    const b = await ownerClient.getBlock();
    if (Date.parse(b.header.time) > expires.getTime()) break;
    await waitForHeight(net.rpc, BigInt(b.header.height + 1));
  }
  const owner2Before = (await ownerClient.getBalance(owner2, 'udpin')).amount;
  await assert.rejects(send([announceEndpointMsg(deviceAddr, id, 'https://198.51.100.6/proofs')], '5000', owner2), (err: Error & { code?: number; codespace?: string }) => {
    assert.equal(`${err.codespace}/${err.code}`, 'feegrant/3');
    assert.match(err.message, /fee allowance expired/);
    return true;
  });
  assert.equal((await ownerClient.getBalance(owner2, 'udpin')).amount, owner2Before);
  assert.equal((await deviceClient.getBalance(deviceAddr, 'udpin')).amount, '0');
  deviceClient.disconnect();
  comet.disconnect();
});

test('the SDK example registers a device against the running node', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(REPO, 'sdk', 'examples', 'register-device.ts'), '--node', net.rpc, '--owner-index', '7', '--json'], { timeout: 60_000 });
  const out = JSON.parse(stdout.trim().split('\n').pop()!);
  assert.equal(out.active, true);
  assert.match(out.did, /^did:key:zQ3s/);
  assert.equal(out.didDocument.service[0].serviceEndpoint, out.endpoint);
  const view = await devices.device(BigInt(out.deviceId));
  assert.equal(view.device.owner, out.owner);
  assert.equal(cellToString(view.device.locationCell), out.cell);
});

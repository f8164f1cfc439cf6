// Registers a new device on a running chain (npm start), end to end:
//   factory:  generate the device key, attest it with the (dev) manufacturer's key
//   owner:    pre-flight RegistrationCheck, register (proof of key possession), assert location,
//             grant the device a fee allowance
//   device:   announce its proof endpoint in its DID document, paying nothing itself
//   anyone:   read it back by id, DID and cell; sign a generic proof envelope
//
//   npx node sdk/examples/register-device.ts [--node http://127.0.0.1:26657] [--owner-index 0]
//     [--key-type secp256k1|p256] [--lat 37.7749 --lng -122.4194] [--json]
import { parseArgs } from 'node:util';
import { SigningStargateClient, GasPrice } from '@cosmjs/stargate';
import { DirectSecp256k1HdWallet, DirectSecp256k1Wallet } from '@cosmjs/proto-signing';
import { makeCosmoshubPath } from '@cosmjs/amino';
import {
  generateDeviceKey, deviceAccountAddress, deviceDidOf, attestDevice, serialHash, signEnvelope, registerDeviceMsg, assertLocationMsg,
  grantAllowanceMsg, announceEndpointMsg, depinRegistry, DevicesClient, signAndBroadcastGranted, latLngToCell, cellToString,
  devManufacturerSigners, DEV_MNEMONIC, DEV_MANUFACTURER_ID,
} from '../index.ts';

const { values } = parseArgs({
  options: {
    node: { type: 'string', default: 'http://127.0.0.1:26657' },
    'owner-index': { type: 'string', default: '0' },
    'key-type': { type: 'string', default: 'secp256k1' },
    lat: { type: 'string', default: '37.7749' },
    lng: { type: 'string', default: '-122.4194' },
    json: { type: 'boolean', default: false },
  },
});
const log = (...a: unknown[]) => {
  if (!values.json) console.log(...a);
};

const rpc = values.node!;
const registry = depinRegistry();
const gasPrice = GasPrice.fromString('0.025udpin');

// The owner: a dev account (any CosmJS wallet works the same way).
const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [makeCosmoshubPath(Number(values['owner-index']))] });
const owner = (await wallet.getAccounts())[0]!.address;
const client = await SigningStargateClient.connectWithSigner(rpc, wallet, { registry, gasPrice, broadcastPollIntervalMs: 200 });
const chainId = await client.getChainId();
const devices = await DevicesClient.connect(rpc);

// 1. Factory: a device key (in a secure element on real hardware) and the manufacturer's attestation.
const device = generateDeviceKey(values['key-type']!);
const model = 'dev-hotspot';
const serial = serialHash(DEV_MANUFACTURER_ID, `SN-${Date.now()}-${Math.floor(Math.random() * 1e6)}`);
const mfr = devManufacturerSigners().secp256k1;
const attestation = attestDevice(mfr, { manufacturerId: DEV_MANUFACTURER_ID, device, model, serialHash: serial });
log(`device key   ${values['key-type']} ${Buffer.from(device.publicKey).toString('hex')}`);
log(`device DID   ${deviceDidOf(device)}`);

// 2. Owner: pre-flight check, then register. The device signs (chain id, owner, nonce).
const nonce = (await devices.lastRegistrationNonce(owner)) + 1n;
const msg = registerDeviceMsg({
  chainId, owner, nonce, device, manufacturerId: DEV_MANUFACTURER_ID, model, sector: 'coverage', hardwareClass: 'outdoor-v1',
  serialHash: serial, attestation, maxFee: { denom: 'udpin', amount: 1_000_000n },
});
const check = await devices.registrationCheck(msg.value);
log(`pre-flight   ${check.ok ? 'ok' : check.failures.map((f) => `${f.requirement}: ${f.message}`).join('; ')} (fee ${check.requiredFee?.amount}${check.requiredFee?.denom})`);
if (!check.ok) process.exit(1);
const reg = await client.signAndBroadcast(owner, [msg], 'auto');
if (reg.code !== 0) throw new Error(`registration failed: ${reg.rawLog}`);
const deviceId = BigInt(reg.events.find((e) => e.type === 'device_registered')!.attributes.find((a) => a.key === 'device_id')!.value);
log(`registered   device ${deviceId} in block ${reg.height} (tx ${reg.transactionHash})`);

// 3. Location: latitude/longitude -> H3 cell (resolution 12), client-side.
const cell = latLngToCell(Number(values.lat), Number(values.lng));
const loc = await client.signAndBroadcast(owner, [assertLocationMsg(owner, deviceId, cell, { denom: 'udpin', amount: 100_000n })], 'auto');
if (loc.code !== 0) throw new Error(`location failed: ${loc.rawLog}`);
log(`located      cell ${cellToString(cell)}`);

// 4. A device with its own secp256k1 account sends its own txs, paid by the owner's fee grant.
let endpoint: string | undefined;
if (device.keyType === 1) {
  const deviceAddr = deviceAccountAddress(device);
  const grant = await client.signAndBroadcast(owner, [grantAllowanceMsg(owner, deviceAddr, {
    spendLimit: [{ denom: 'udpin', amount: 1_000_000n }], allowedMessages: ['/depin.devices.v1.MsgAnnounceEndpoint'],
  })], 'auto');
  if (grant.code !== 0) throw new Error(`grant failed: ${grant.rawLog}`);
  const deviceWallet = await DirectSecp256k1Wallet.fromKey(device.privateKey, 'depin');
  const deviceClient = await SigningStargateClient.connectWithSigner(rpc, deviceWallet, { registry, gasPrice, broadcastPollIntervalMs: 200 });
  endpoint = `https://device-${deviceId}.example.net/proofs`;
  const ann = await signAndBroadcastGranted(deviceClient, devices.abci, deviceAddr, device.publicKey, [announceEndpointMsg(deviceAddr, deviceId, endpoint)], owner);
  if (ann.code !== 0) throw new Error(`announce failed: ${ann.rawLog}`);
  log(`device tx    announced ${endpoint}; fee paid by ${owner}; device balance ${(await deviceClient.getBalance(deviceAddr, 'udpin')).amount}udpin`);
  deviceClient.disconnect();
}

// 5. Read back, and the generic signed envelope every device proof uses.
const view = await devices.device(deviceId);
const { didDocument } = await devices.deviceByDid(view.did);
const inCell = await devices.devicesByCell(cell);
const envelope = signEnvelope(device, 'depin/proofs/v1/example', chainId, new TextEncoder().encode(`device=${deviceId};epoch=1`));
log(`read back    owner ${view.device.owner}, active ${view.active}, ${inCell.devices.length} device(s) in the cell`);
log(`DID document ${JSON.stringify(didDocument)}`);
log(`envelope     ${Buffer.from(envelope.payload).toString('hex')} sig ${Buffer.from(envelope.signature).toString('hex')}`);
if (values.json) {
  console.log(JSON.stringify({ deviceId: deviceId.toString(), did: view.did, cell: cellToString(cell), owner, endpoint, active: view.active, didDocument }));
}
client.disconnect();
devices.disconnect();

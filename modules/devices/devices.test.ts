// The devices module in-process on a real LevelDB: honest registration, location, transfer,
// lifecycle and queries; every Sybil and forgery attempt refused with its exact code while
// changing nothing but the tx fee and sequence (the SDK's ante effects); bans, appeals and their
// expiry; manufacturer bonds; device-signed txs paid by a fee grant; the DevicesKeeperI signature
// primitive; genesis export -> import keeps the app hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h3 from 'h3-js';
import { TestChain, devKeys, diffDumps, signerFromPrivateKey, type Signer } from '../../test/helpers/inproc.ts';
import { u64 } from '../../chain/codec/proto.ts';
import type { Any } from '../../chain/tx/types.ts';
import { fromBech32 } from '../../chain/crypto/address.ts';
import { randomPrivateKey } from '../../chain/crypto/secp256k1.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { balancePrefix } from '../bank/keeper.ts';
import { moduleAddress } from '../auth/keeper.ts';
import { devManufacturerKeys, DEV_MANUFACTURER_ID } from '../../node/dev-genesis.ts';
import { depinRegistry } from '../../sdk/registry.ts';
import { generateDeviceKey, signMessage, deviceAccountAddress, type DeviceKey } from '../../sdk/device-key.ts';
import { attestDevice, signEnvelope, serialHash } from '../../sdk/envelope.ts';
import * as M from '../../sdk/messages.ts';
import { P256_N, SECP256K1_N } from './keys.ts';
import * as T from './types.ts';
import { Context } from '../../chain/context.ts';
import { GasMeter } from '../../chain/gas.ts';
import { EventManager } from '../../chain/events.ts';
import { CacheKV } from '../../chain/store/cache-kv.ts';

const registry = depinRegistry();
const any = (o: M.EncodeObject): Any => registry.encodeAsAny(o as never) as Any;

const owner = devKeys[0]!;
const owner2 = devKeys[1]!;
const operator = devKeys[8]!;
const authority = devKeys[9]!;
const mk = devManufacturerKeys();
const mfrK1: DeviceKey = { keyType: 1, ...mk.secp256k1 };
const mfrP256: DeviceKey = { keyType: 2, ...mk.p256 };
const SF = { denom: 'udpin', amount: 1_000_000n }; // registration fee in the dev genesis
const LOC_FEE = { denom: 'udpin', amount: 100_000n };
const cellAt = (lat: number, lng: number) => BigInt('0x' + h3.latLngToCell(lat, lng, 12));
const SF_CELL = cellAt(37.7749, -122.4194);
const OAK_CELL = cellAt(37.8044, -122.2712);

let nonce = 0n;
let serialN = 0;

interface RegOpts {
  owner?: Signer;
  device?: DeviceKey;
  mfrKey?: DeviceKey;
  manufacturerId?: string;
  model?: string;
  /** Attest these instead of the registered values (forgeries). */
  attestModel?: string;
  attestKey?: DeviceKey;
  serial?: string;
  nonce?: bigint;
  /** The device signs for this owner / chain id (replays). */
  proofOwner?: string;
  proofChainId?: string;
  proofSigner?: DeviceKey;
  deviceSignature?: Uint8Array;
  attestation?: Uint8Array;
  maxFee?: bigint;
  sector?: T.SectorName;
}

function registration(o: RegOpts = {}): { msg: M.EncodeObject; device: DeviceKey; nonce: bigint } {
  const device = o.device ?? generateDeviceKey('secp256k1');
  const ownerAddr = (o.owner ?? owner).address;
  const n = o.nonce ?? ++nonce;
  const manufacturerId = o.manufacturerId ?? DEV_MANUFACTURER_ID;
  const model = o.model ?? 'dev-hotspot';
  const serial = serialHash(manufacturerId, o.serial ?? `SN-${++serialN}`);
  const attestation = o.attestation ?? attestDevice(o.mfrKey ?? mfrK1, { manufacturerId, device: o.attestKey ?? device, model: o.attestModel ?? model, serialHash: serial });
  const msg = M.registerDeviceMsg({
    chainId: o.proofChainId ?? 'depin-local-1', owner: o.proofOwner ?? ownerAddr, nonce: n, device: o.proofSigner ?? device,
    manufacturerId, model, sector: o.sector ?? 'coverage', hardwareClass: 'outdoor-v1', serialHash: serial, attestation, maxFee: { denom: 'udpin', amount: o.maxFee ?? SF.amount },
  });
  msg.value.owner = ownerAddr;
  msg.value.pubkey = { keyType: device.keyType, key: device.publicKey };
  if (o.deviceSignature) msg.value.deviceSignature = o.deviceSignature;
  return { msg, device, nonce: n };
}

/** Requests go through fromObject (bigint-safe), as the SDK's registry does. */
const qCode = (c: TestChain, name: T.QueryName, req: object) => c.queryRaw(T.queryPath(name), T.Q[name][0].type.encode(T.Q[name][0].type.fromObject(req)).finish());
const q = (c: TestChain, name: T.QueryName, req: object): any => {
  const r = qCode(c, name, req);
  if (r.code !== 0) throw Object.assign(new Error(r.log), { code: r.code });
  return T.Q[name][1].decode(r.value);
};

/** Keys a failed-message tx may change: the signer's balance and account, the fee collector's balance. */
function anteKeys(signer: string): Set<string> {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const bal = (a: string) => hex(new Uint8Array([...Buffer.from('bank/'), ...balancePrefix(fromBech32(a)), ...Buffer.from('udpin')]));
  return new Set([bal(signer), bal(moduleAddress('fee_collector')), hex(new Uint8Array([...Buffer.from('auth/'), 0x01, ...fromBech32(signer)]))]);
}

/** Delivers a tx whose message must fail with (codespace, code); asserts it changed nothing
 * beyond the fee and sequence (what the SDK charges for any included tx). */
async function expectRefused(c: TestChain, signer: Signer, msg: M.EncodeObject, codespace: string, code: number, log?: RegExp): Promise<void> {
  const before = c.dump();
  const balance = c.balance(signer.address);
  const seq = c.account(signer.address).sequence;
  const r = await c.deliver(c.tx(signer, [any(msg)], { fee: 5000n }));
  assert.equal(`${r.codespace}/${r.code}`, `${codespace}/${code}`, r.log);
  if (log) assert.match(r.log, log);
  const allowed = anteKeys(signer.address);
  // The proofs module's per-block bookkeeping (app hash history for seeds) is not the tx's doing.
  const housekeeping = Buffer.from('proofs/\x06').toString('hex');
  const unexpected = diffDumps(before, c.dump()).filter((line) => {
    const key = /\(([0-9a-f]+)\)/.exec(line)![1]!;
    return !allowed.has(key) && !key.startsWith(housekeeping);
  });
  assert.deepEqual(unexpected, [], 'nothing but the fee and the sequence changed');
  assert.equal(c.balance(signer.address), balance - 5000n);
  assert.equal(c.account(signer.address).sequence, seq + 1n);
}

async function ok(c: TestChain, signer: Signer, msgs: M.EncodeObject[], o: { granter?: string } = {}) {
  const r = await c.deliver(c.tx(signer, msgs.map(any), { fee: 5000n, gas: 600_000n, ...o }));
  assert.equal(r.code, 0, r.log);
  return r;
}

const responseOf = (r: { data: Uint8Array }, name: string) => {
  const TxMsgData = T.ParamsCodec.type.root.lookupType('cosmos.base.abci.v1beta1.TxMsgData');
  const d = TxMsgData.decode(r.data) as unknown as { msgResponses: Any[] };
  return T.ParamsCodec.type.root.lookupType(`depin.devices.v1.Msg${name}Response`).decode(d.msgResponses[0]!.value) as any;
};

test('honest path: register (secp256k1 and P-256), assert location, transfer, read back through every query', async () => {
  const c = await TestChain.open();
  const supply0 = c.supply();
  const bal0 = c.balance(owner.address);
  const a = registration();
  const r = await ok(c, owner, [a.msg]);
  const resp = responseOf(r, 'RegisterDevice');
  assert.equal(u64(resp.deviceId), 1n);
  assert.match(resp.did, /^did:key:zQ3s/);
  assert.equal(c.supply(), supply0 - SF.amount, 'the onboarding fee is burned');
  assert.equal(c.balance(owner.address), bal0 - SF.amount - 5000n);
  const ev = r.events.find((e) => e.type === 'device_registered')!;
  assert.deepEqual(Object.fromEntries(ev.attributes.map((x) => [x.key, x.value])), {
    device_id: '1', owner: owner.address, did: resp.did, manufacturer_id: 'devmfr', model: 'dev-hotspot', sector: 'coverage', key_type: 'secp256k1', fee: '1000000udpin', msg_index: '0',
  });

  // A P-256 device attested by the manufacturer's P-256 key.
  const p = registration({ device: generateDeviceKey('p256'), mfrKey: mfrP256, model: 'dev-sensor', sector: 'sensor' });
  const r2 = await ok(c, owner, [p.msg]);
  assert.match(responseOf(r2, 'RegisterDevice').did, /^did:key:zDn/);

  const view = q(c, 'Device', { id: 1 }).device;
  assert.equal(view.active, true);
  assert.equal(view.device.owner, owner.address);
  assert.equal(view.device.manufacturerId, 'devmfr');
  assert.equal(view.device.sector, 1);
  assert.equal(u64(view.device.registrationNonce), a.nonce);
  assert.equal(u64(q(c, 'DeviceByKey', { pubkey: p.device.publicKey }).device.device.id), 2n);
  assert.equal(u64(q(c, 'DeviceByKey', { pubkey: a.device.publicKey, keyType: 1 }).device.device.id), 1n);
  const byDid = q(c, 'DeviceByDid', { did: resp.did });
  const doc = JSON.parse(byDid.didDocumentJson);
  assert.equal(doc.id, resp.did);
  assert.equal(doc.controller, `did:pkh:cosmos:depin-local-1:${owner.address}`);
  assert.equal(doc.verificationMethod[0].publicKeyMultibase, resp.did.slice('did:key:'.length));
  assert.deepEqual(doc.authentication, [doc.verificationMethod[0].id]);
  assert.equal(byDid.didDocument.id, resp.did);
  assert.deepEqual(q(c, 'DevicesByOwner', { owner: owner.address }).devices.map((d: any) => Number(u64(d.device.id))), [1, 2]);
  assert.equal(q(c, 'DevicesByManufacturer', { manufacturerId: 'devmfr' }).devices.length, 2);
  assert.equal(u64(q(c, 'Manufacturer', { id: 'devmfr' }).manufacturer.devicesRegistered), 2n);
  assert.equal(u64(q(c, 'RegistrationNonce', { owner: owner.address }).lastNonce), p.nonce);

  // Location: fee burned, indexed by cell and by any parent cell, history kept.
  const supply1 = c.supply();
  const loc = await ok(c, owner, [M.assertLocationMsg(owner.address, 1n, SF_CELL, LOC_FEE)]);
  assert.equal(responseOf(loc, 'AssertLocation').seniorityReset, false);
  assert.equal(c.supply(), supply1 - LOC_FEE.amount);
  const located = q(c, 'Device', { id: 1 }).device.device;
  assert.equal(u64(located.locationCell), SF_CELL);
  assert.equal(u64(located.seniorityHeight), c.height, 'seniority starts at the first location');
  for (const res of [12, 9, 7, 4, 0]) {
    const parent = BigInt('0x' + h3.cellToParent(SF_CELL.toString(16), res));
    assert.deepEqual(q(c, 'DevicesByCell', { cell: parent }).devices.map((d: any) => Number(u64(d.device.id))), [1], `res ${res}`);
  }
  assert.equal(q(c, 'DevicesByCell', { cell: BigInt('0x' + h3.cellToParent(OAK_CELL.toString(16), 9)) }).devices.length, 0);

  // Transfer: indexes follow the owner, the old owner loses control, seniority is kept.
  await ok(c, owner, [M.transferDeviceMsg(owner.address, 1n, owner2.address)]);
  assert.equal(q(c, 'Device', { id: 1 }).device.device.owner, owner2.address);
  assert.deepEqual(q(c, 'DevicesByOwner', { owner: owner2.address }).devices.map((d: any) => Number(u64(d.device.id))), [1]);
  assert.deepEqual(q(c, 'DevicesByOwner', { owner: owner.address }).devices.map((d: any) => Number(u64(d.device.id))), [2]);
  assert.equal(JSON.parse(q(c, 'DeviceByDid', { did: resp.did }).didDocumentJson).controller, `did:pkh:cosmos:depin-local-1:${owner2.address}`);
  await expectRefused(c, owner, M.transferDeviceMsg(owner.address, 1n, owner.address), 'devices', 13);
  await expectRefused(c, owner, M.assertLocationMsg(owner.address, 1n, OAK_CELL, LOC_FEE), 'devices', 13);

  // Cool-down (10 blocks in the dev genesis), then a relocation resets seniority.
  await expectRefused(c, owner2, M.assertLocationMsg(owner2.address, 1n, OAK_CELL, LOC_FEE), 'devices', 15, /next allowed at/);
  for (let i = 0; i < 8; i++) await c.block([]);
  await expectRefused(c, owner2, M.assertLocationMsg(owner2.address, 1n, SF_CELL, LOC_FEE), 'devices', 16);
  await expectRefused(c, owner2, M.assertLocationMsg(owner2.address, 1n, OAK_CELL, { denom: 'udpin', amount: 99_999n }), 'devices', 10);
  const moved = await ok(c, owner2, [M.assertLocationMsg(owner2.address, 1n, OAK_CELL, LOC_FEE)]);
  assert.equal(responseOf(moved, 'AssertLocation').seniorityReset, true);
  assert.equal(u64(q(c, 'Device', { id: 1 }).device.device.seniorityHeight), c.height);
  assert.equal(q(c, 'DevicesByCell', { cell: SF_CELL }).devices.length, 0);
  assert.equal(q(c, 'DevicesByCell', { cell: OAK_CELL }).devices.length, 1);
  const hist = q(c, 'LocationHistory', { deviceId: 1 }).records;
  assert.deepEqual(hist.map((x: any) => u64(x.cell)), [SF_CELL, OAK_CELL]);
  // A cell of the wrong resolution is refused before execution (CheckTx).
  const coarse = c.app.checkTx(c.tx(owner2, [any(M.assertLocationMsg(owner2.address, 1n, BigInt('0x' + h3.cellToParent(OAK_CELL.toString(16), 9)), LOC_FEE))]));
  assert.equal(`${coarse.codespace}/${coarse.code}`, 'devices/14');
  await c.close();
});

test('lifecycle: deactivate / reactivate, update metadata and services', async () => {
  const c = await TestChain.open();
  await ok(c, owner, [registration().msg]);
  // Reads share one frozen record per stored value: the same object until the device changes,
  // which no reader can alter; the update paths write a record of their own.
  const before = c.keepers.devices.getDevice(queryCtx(c), 1n)!;
  assert.equal(c.keepers.devices.getDevice(queryCtx(c), 1n), before);
  assert.throws(() => ((before as { status: number }).status = 2), TypeError);
  assert.throws(() => (before.pubkey as { keyType: number }).keyType = 2, TypeError);
  assert.equal(c.keepers.devices.getManufacturer(queryCtx(c), before.manufacturerId), c.keepers.devices.getManufacturer(queryCtx(c), before.manufacturerId));
  await ok(c, owner, [M.deactivateDeviceMsg(owner.address, 1n)]);
  const after = c.keepers.devices.getDevice(queryCtx(c), 1n)!;
  assert.notEqual(after, before);
  assert.equal(after.status, T.DEVICE_DEACTIVATED);
  assert.equal(before.status, T.DEVICE_ACTIVE, 'the record read before the change is untouched');
  let v = q(c, 'Device', { id: 1 }).device;
  assert.equal(v.active, false);
  assert.equal(v.inactiveReason, 'deactivated');
  assert.equal(c.keepers.devices.isActive(queryCtx(c), 1n), false);
  await expectRefused(c, owner, M.deactivateDeviceMsg(owner.address, 1n), 'devices', 26);
  await expectRefused(c, owner, M.assertLocationMsg(owner.address, 1n, SF_CELL, LOC_FEE), 'devices', 17);
  await expectRefused(c, owner2, M.reactivateDeviceMsg(owner2.address, 1n), 'devices', 13);
  await ok(c, owner, [M.reactivateDeviceMsg(owner.address, 1n)]);
  v = q(c, 'Device', { id: 1 }).device;
  assert.equal(v.active, true);
  await ok(c, owner, [M.updateDeviceMsg(owner.address, 1n, '{"antenna":"5dBi"}', [{ id: 'proofs', type: 'DepinProofEndpoint', endpoint: 'https://gw.example/d/1' }])]);
  const d = q(c, 'Device', { id: 1 }).device.device;
  assert.equal(d.metadata, '{"antenna":"5dBi"}');
  const doc = JSON.parse(q(c, 'DeviceByDid', { did: q(c, 'Device', { id: 1 }).device.did }).didDocumentJson);
  assert.deepEqual(doc.service, [{ id: `${doc.id}#proofs`, type: 'DepinProofEndpoint', serviceEndpoint: 'https://gw.example/d/1' }]);
  const bad = c.app.checkTx(c.tx(owner, [any(M.updateDeviceMsg(owner.address, 1n, '', [{ id: 'x', type: 't', endpoint: 'not a uri' }]))]));
  assert.equal(`${bad.codespace}/${bad.code}`, 'devices/24');
  assert.equal(c.app.checkTx(c.tx(owner, [any(M.updateDeviceMsg(owner.address, 1n, 'x'.repeat(1025)))])).code, 24);
  await c.close();
});

/** A context at the next height on a throw-away branch, as another module's handler sees it. */
function queryCtx(c: TestChain, height = c.height + 1n): Context {
  return new Context(new CacheKV(c.app.store), { chainId: 'depin-local-1', height, time: { seconds: c.time + 5n, nanos: 0 } }, new GasMeter(Infinity), new EventManager(), 'finalize');
}

test('Sybil and forgery attempts are refused with exact codes and change nothing', async () => {
  const c = await TestChain.open();
  const base = registration({ serial: 'SN-base' });
  await ok(c, owner, [base.msg]);
  const foreignMfr = generateDeviceKey('secp256k1');

  // Forged attestations.
  await expectRefused(c, owner, registration({ manufacturerId: 'nosuchmfr' }).msg, 'devices', 2, /unknown manufacturer/);
  await expectRefused(c, owner, registration({ mfrKey: foreignMfr }).msg, 'devices', 5);
  await expectRefused(c, owner, registration({ attestKey: generateDeviceKey('secp256k1') }).msg, 'devices', 5, /no attestation key of devmfr signed/);
  await expectRefused(c, owner, registration({ model: 'dev-sensor', attestModel: 'dev-hotspot' }).msg, 'devices', 5);
  await expectRefused(c, owner, registration({ model: 'not-a-model' }).msg, 'devices', 4);
  // The same attestation re-labelled for another manufacturer id (bound into the payload).
  {
    const device = generateDeviceKey('secp256k1');
    const sh = serialHash('devmfr', 'SN-relabel');
    const att = attestDevice(mfrK1, { manufacturerId: 'othermfr', device, model: 'dev-hotspot', serialHash: sh });
    await expectRefused(c, owner, registration({ device, attestation: att, serial: 'SN-relabel' }).msg, 'devices', 5);
  }
  // A malleated (high-S) attestation.
  {
    const device = generateDeviceKey('secp256k1');
    const sh = serialHash('devmfr', 'SN-mal');
    const att = attestDevice(mfrK1, { manufacturerId: 'devmfr', device, model: 'dev-hotspot', serialHash: sh });
    const s = BigInt('0x' + Buffer.from(att.subarray(32)).toString('hex'));
    const high = Uint8Array.from(att);
    high.set(Buffer.from((SECP256K1_N - s).toString(16).padStart(64, '0'), 'hex'), 32);
    await expectRefused(c, owner, registration({ device, attestation: high, serial: 'SN-mal' }).msg, 'devices', 5);
  }

  // No proof of key possession.
  const missing = c.app.checkTx(c.tx(owner, [any(registration({ deviceSignature: new Uint8Array() }).msg)]));
  assert.equal(`${missing.codespace}/${missing.code}`, 'devices/6', missing.log);
  await expectRefused(c, owner, registration({ proofSigner: generateDeviceKey('secp256k1') }).msg, 'devices', 6, /did not sign/);
  await expectRefused(c, owner, registration({ proofOwner: owner2.address }).msg, 'devices', 6);
  await expectRefused(c, owner, registration({ proofChainId: 'depin-other-1' }).msg, 'devices', 6);
  {
    const device = generateDeviceKey('p256');
    const n = ++nonce;
    const { msg } = registration({ device, mfrKey: mfrP256, nonce: n });
    const sig = msg.value.deviceSignature as Uint8Array;
    const s = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'));
    const high = Uint8Array.from(sig);
    high.set(Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex'), 32);
    msg.value.deviceSignature = high;
    await expectRefused(c, owner, msg, 'devices', 6);
  }

  // Replays: the same key twice, the same serial twice, a used nonce.
  await expectRefused(c, owner, registration({ device: base.device }).msg, 'devices', 7, /the key is device 1/);
  await expectRefused(c, owner, registration({ serial: 'SN-base' }).msg, 'devices', 8);
  await expectRefused(c, owner, registration({ nonce: base.nonce }).msg, 'devices', 11);

  // Fees: offering less than the onboarding fee; an owner who cannot pay it.
  await expectRefused(c, owner, registration({ maxFee: SF.amount - 1n }).msg, 'devices', 10);
  const poor = signerFromPrivateKey(randomPrivateKey());
  await ok(c, owner, [{ typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: owner.address, toAddress: poor.address, amount: [{ denom: 'udpin', amount: '20000' }] } }]);
  await expectRefused(c, poor, registration({ owner: poor }).msg, 'sdk', 5, /registration fee/);

  // RegistrationCheck explains every unmet requirement, first = what the tx reports.
  const doubly = registration({ device: base.device, serial: 'SN-base', maxFee: 1n });
  const check = q(c, 'RegistrationCheck', { registration: registry.decode(any(doubly.msg)) });
  assert.equal(check.ok, false);
  assert.deepEqual(check.failures.map((f: any) => `${f.requirement}:${f.codespace}/${f.code}`), ['key_unregistered:devices/7', 'serial_unregistered:devices/8', 'fee_offered:devices/10']);
  const fine = q(c, 'RegistrationCheck', { registration: registry.decode(any(registration().msg)) });
  assert.equal(fine.ok, true, JSON.stringify(fine.failures));
  assert.equal(fine.requiredFee.amount, '1000000');
  const unknown = q(c, 'RegistrationCheck', { registration: registry.decode(any(registration({ manufacturerId: 'ghost', proofChainId: 'x' }).msg)) });
  assert.deepEqual(unknown.failures.map((f: any) => f.requirement), ['manufacturer_known', 'device_signature_valid']);
  assert.equal(u64(q(c, 'Manufacturer', { id: 'devmfr' }).manufacturer.devicesRegistered), 1n, 'no refused attempt counted');
  await c.close();
});

test('manufacturers: authority-only management, quota, bond escrow, suspension vs revocation, slashing', async () => {
  const c = await TestChain.open();
  const acmeKey = generateDeviceKey('p256');
  const add = M.addManufacturerMsg({
    authority: authority.address, id: 'acme', name: 'ACME Sensors', operator: operator.address,
    attestationKeys: [{ keyType: 2, key: acmeKey.publicKey }], models: ['s1'], deviceQuota: 2n, bond: { denom: 'udpin', amount: 500_000_000n },
  });
  await expectRefused(c, owner, { ...add, value: { ...add.value, authority: owner.address } }, 'devices', 20);
  const added = await ok(c, authority, [add]);
  assert.ok(added.events.some((e) => e.type === 'manufacturer_added'));
  await expectRefused(c, authority, add, 'devices', 21);
  const acme = (o: RegOpts = {}) => registration({ manufacturerId: 'acme', mfrKey: acmeKey, model: 's1', ...o });

  // No devices before the bond is posted; only the operator can post it.
  await expectRefused(c, owner, acme().msg, 'devices', 22, /bond/);
  await expectRefused(c, owner, M.bondManufacturerMsg(owner.address, 'acme', { denom: 'udpin', amount: 500_000_000n }), 'devices', 28);
  const supply0 = c.supply();
  await ok(c, operator, [M.bondManufacturerMsg(operator.address, 'acme', { denom: 'udpin', amount: 500_000_000n })]);
  assert.equal(c.balance(moduleAddress('devices')), 500_000_000n, 'the bond is escrowed in the devices module account');
  await ok(c, owner, [acme().msg]);
  await ok(c, owner, [acme().msg]);
  await expectRefused(c, owner, acme().msg, 'devices', 9, /registered 2 of 2/);

  // Suspension: no new devices, existing ones keep working.
  await ok(c, authority, [M.setManufacturerStatusMsg(authority.address, 'acme', 2, 17)]);
  await ok(c, authority, [M.updateManufacturerMsg({ authority: authority.address, id: 'acme', name: 'ACME Sensors', operator: operator.address, attestationKeys: [{ keyType: 2, key: acmeKey.publicKey }], models: ['s1'], deviceQuota: 10n, bond: { denom: 'udpin', amount: 500_000_000n } })]);
  await expectRefused(c, owner, acme().msg, 'devices', 3, /suspended/);
  assert.equal(q(c, 'Device', { id: 1 }).device.active, true);
  await ok(c, owner, [M.assertLocationMsg(owner.address, 1n, SF_CELL, LOC_FEE)]);
  await ok(c, authority, [M.setManufacturerStatusMsg(authority.address, 'acme', 1)]);
  await ok(c, owner, [acme().msg]);

  // Revocation with slashing: the bond is burned, registrations stop, its devices go inactive.
  const r = await ok(c, authority, [M.setManufacturerStatusMsg(authority.address, 'acme', 3, 99, true)]);
  assert.equal(r.events.find((e) => e.type === 'manufacturer_status')!.attributes.find((a) => a.key === 'slashed')!.value, '500000000udpin');
  assert.equal(c.balance(moduleAddress('devices')), 0n);
  assert.ok(c.supply() < supply0 - 500_000_000n + 1n);
  await expectRefused(c, owner, acme().msg, 'devices', 3, /revoked/);
  const v = q(c, 'Device', { id: 1 }).device;
  assert.deepEqual([v.active, v.inactiveReason], [false, 'manufacturer_revoked']);
  await expectRefused(c, authority, M.setManufacturerStatusMsg(authority.address, 'acme', 1), 'devices', 26, /final/);
  // A plain send to the escrow account is refused (it would break the bond accounting).
  await expectRefused(c, owner, { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: owner.address, toAddress: moduleAddress('devices'), amount: [{ denom: 'udpin', amount: '1' }] } }, 'sdk', 4);
  await c.close();
});

test('bans: authority only, appeals by the owner, events, expiry lifts the ban by block height', async () => {
  const c = await TestChain.open();
  await ok(c, owner, [registration().msg]);
  const evidence = sha256(new TextEncoder().encode('spoofed GPS, witness report 42'));
  await expectRefused(c, owner, M.banMsg(owner.address, 1, '1', 7, evidence, 3n), 'devices', 20);
  await expectRefused(c, authority, M.banMsg(authority.address, 1, '99', 7, evidence, 3n), 'devices', 12);
  const banned = await ok(c, authority, [M.banMsg(authority.address, 1, '1', 7, evidence, 10n)]);
  const bh = c.height;
  const ev = Object.fromEntries(banned.events.find((e) => e.type === 'ban')!.attributes.map((a) => [a.key, a.value]));
  assert.deepEqual([ev.target_type, ev.target_id, ev.reason_code, ev.evidence_hash, ev.expires_height], ['device', '1', '7', Buffer.from(evidence).toString('hex'), String(bh + 10n)]);
  let v = q(c, 'Device', { id: 1 }).device;
  assert.deepEqual([v.active, v.inactiveReason, v.ban.reasonCode], [false, 'banned', 7]);
  await expectRefused(c, owner, M.assertLocationMsg(owner.address, 1n, SF_CELL, LOC_FEE), 'devices', 18);
  await expectRefused(c, owner, M.transferDeviceMsg(owner.address, 1n, owner2.address), 'devices', 18);
  await expectRefused(c, owner2, M.appealBanMsg(owner2.address, 1, '1', 'not mine'), 'devices', 13);
  const ap = await ok(c, owner, [M.appealBanMsg(owner.address, 1, '1', 'GPS module was faulty; replaced', sha256(new Uint8Array([1])))]);
  assert.ok(ap.events.some((e) => e.type === 'ban_appeal' && e.attributes.some((a) => a.key === 'appellant' && a.value === owner.address)));
  await expectRefused(c, owner, M.appealBanMsg(owner.address, 1, '1', 'again'), 'devices', 25);
  assert.equal(q(c, 'Ban', { targetType: 1, targetId: '1' }).ban.appeal.statement, 'GPS module was faulty; replaced');
  assert.equal(q(c, 'Bans', {}).bans.length, 1);
  // Expiry: at height bh + 10 the ban lifts itself (end-block sweep emits ban_lifted).
  while (c.height < bh + 9n) await c.block([]);
  assert.equal(q(c, 'Device', { id: 1 }).device.active, false);
  const results = c.app.finalizeBlock({ height: c.height + 1n, time: { seconds: c.time + 5n, nanos: 0 }, txs: [] });
  await c.app.commit();
  c.height += 1n;
  c.time += 5n;
  assert.ok(results.events.some((e) => e.type === 'ban_lifted' && e.attributes.some((a) => a.key === 'reason' && a.value === 'expired')));
  v = q(c, 'Device', { id: 1 }).device;
  assert.equal(v.active, true);
  assert.equal(qCode(c, 'Ban', { targetType: 1, targetId: '1' }).code, 19);
  await expectRefused(c, owner, M.appealBanMsg(owner.address, 1, '1', 'late'), 'devices', 19);

  // A manufacturer ban: no registrations and its devices inactive until unbanned.
  await ok(c, authority, [M.banMsg(authority.address, 2, 'devmfr', 3, evidence, 0n)]);
  await expectRefused(c, owner, registration().msg, 'devices', 18, /banned/);
  assert.equal(q(c, 'Device', { id: 1 }).device.inactiveReason, 'manufacturer_banned');
  await expectRefused(c, owner, M.appealBanMsg(owner.address, 2, 'devmfr', 'please'), 'devices', 28);
  await ok(c, operator, [M.appealBanMsg(operator.address, 2, 'devmfr', 'keys rotated')]);
  const lifted = await ok(c, authority, [M.unbanMsg(authority.address, 2, 'devmfr')]);
  assert.ok(lifted.events.some((e) => e.type === 'ban_lifted' && e.attributes.some((a) => a.value === 'unban')));
  assert.equal(q(c, 'Device', { id: 1 }).device.active, true);
  await expectRefused(c, authority, M.unbanMsg(authority.address, 2, 'devmfr'), 'devices', 19);
  await c.close();
});

test('a device with no funds sends its own tx through its owner\'s fee grant; DevicesKeeperI signature primitive', async () => {
  const c = await TestChain.open();
  const reg = registration();
  await ok(c, owner, [reg.msg]);
  const deviceAcct = signerFromPrivateKey(reg.device.privateKey);
  assert.equal(deviceAcct.address, deviceAccountAddress(reg.device));
  await ok(c, owner, [M.grantAllowanceMsg(owner.address, deviceAcct.address, { spendLimit: [{ denom: 'udpin', amount: 20_000n }], allowedMessages: ['/depin.devices.v1.MsgAnnounceEndpoint'] })]);
  const ownerBal = c.balance(owner.address);
  const r = await ok(c, deviceAcct, [M.announceEndpointMsg(deviceAcct.address, 1n, 'https://203.0.113.7:8443/proofs')], { granter: owner.address });
  assert.ok(r.events.some((e) => e.type === 'use_feegrant'));
  assert.equal(c.balance(deviceAcct.address), 0n);
  assert.equal(c.balance(owner.address), ownerBal - 5000n);
  const doc = JSON.parse(q(c, 'DeviceByDid', { did: q(c, 'Device', { id: 1 }).device.did }).didDocumentJson);
  assert.deepEqual(doc.service.map((s: any) => [s.type, s.serviceEndpoint]), [['DepinProofEndpoint', 'https://203.0.113.7:8443/proofs']]);
  // Another account cannot speak for the device; the allowance covers nothing else.
  const other = await c.deliver(c.tx(owner2, [any(M.announceEndpointMsg(owner2.address, 1n, 'https://evil.example'))]));
  assert.equal(`${other.codespace}/${other.code}`, 'devices/27');
  const notAllowed = c.app.checkTx(c.tx(deviceAcct, [any(M.deactivateDeviceMsg(deviceAcct.address, 1n))], { granter: owner.address }));
  assert.equal(`${notAllowed.codespace}/${notAllowed.code}`, 'feegrant/7');

  // verifyDeviceSignature: the generic envelope, bound to domain, chain id and body.
  const ctx = queryCtx(c);
  const k = c.keepers.devices;
  const body = new TextEncoder().encode('epoch=7;root=abcd');
  const env = signEnvelope(reg.device, 'depin/proofs/v1/sensor', 'depin-local-1', body);
  assert.equal(k.verifyDeviceSignature(ctx, 1n, 'depin/proofs/v1/sensor', body, env.signature), true);
  assert.equal(k.verifyDeviceSignature(ctx, 1n, 'depin/proofs/v1/coverage', body, env.signature), false, 'other domain');
  assert.equal(k.verifyDeviceSignature(ctx, 1n, 'depin/proofs/v1/sensor', new TextEncoder().encode('epoch=8;root=abcd'), env.signature), false, 'other body');
  const foreign = signEnvelope(reg.device, 'depin/proofs/v1/sensor', 'depin-other-1', body);
  assert.equal(k.verifyDeviceSignature(ctx, 1n, 'depin/proofs/v1/sensor', body, foreign.signature), false, 'other chain');
  const regProof = signMessage(reg.device, new Uint8Array([0, 25]));
  assert.equal(k.verifyDeviceSignature(ctx, 1n, 'depin/devices/v1/register', new Uint8Array(), regProof), false, 'reserved domain');
  assert.equal(k.verifyDeviceSignature(ctx, 2n, 'depin/proofs/v1/sensor', body, env.signature), false, 'unknown device');
  assert.equal(k.owner(ctx, 1n), owner.address);
  assert.equal(k.sector(ctx, 1n), 1);
  assert.equal(k.locationCell(ctx, 1n), 0n);
  assert.equal(k.seniorityStart(ctx, 1n), 0n);
  assert.deepEqual(Buffer.from(k.publicKey(ctx, 1n)!.key), Buffer.from(reg.device.publicKey));
  assert.deepEqual(k.activity(ctx, 9n), { active: false, reason: 'not_found' });
  await c.close();
});

test('genesis export -> import gives the same app hash (devices, locations, bans, nonces, bonds, grants)', async () => {
  const c = await TestChain.open();
  const acmeKey = generateDeviceKey('secp256k1');
  await ok(c, authority, [M.addManufacturerMsg({ authority: authority.address, id: 'acme', name: 'ACME', operator: operator.address, attestationKeys: [{ keyType: 1, key: acmeKey.publicKey }], models: ['s1'], deviceQuota: 5n, bond: { denom: 'udpin', amount: 1000n } })]);
  await ok(c, operator, [M.bondManufacturerMsg(operator.address, 'acme', { denom: 'udpin', amount: 1000n })]);
  const a = registration();
  await ok(c, owner, [a.msg, registration({ device: generateDeviceKey('p256'), mfrKey: mfrP256 }).msg]);
  await ok(c, owner2, [registration({ owner: owner2, manufacturerId: 'acme', mfrKey: acmeKey, model: 's1' }).msg]);
  await ok(c, owner, [M.assertLocationMsg(owner.address, 1n, SF_CELL, LOC_FEE), M.updateDeviceMsg(owner.address, 2n, 'm', [{ id: 'x', type: 'T', endpoint: 'https://x' }])]);
  await ok(c, authority, [M.banMsg(authority.address, 1, '2', 1, sha256(new Uint8Array([2])), 1000n), M.banMsg(authority.address, 2, 'acme', 2, sha256(new Uint8Array([3])), 0n)]);
  await ok(c, owner, [M.appealBanMsg(owner.address, 1, '2', 'why'), M.deactivateDeviceMsg(owner.address, 1n), M.grantAllowanceMsg(owner.address, deviceAccountAddress(a.device), { spendLimit: [{ denom: 'udpin', amount: 9n }] })]);
  const exported = c.app.exportGenesis();
  const json = JSON.parse(JSON.stringify(exported));
  assert.equal(json.devices.devices.length, 3);
  assert.equal(json.devices.bans.length, 2);
  const c2 = await TestChain.open({ ...c.genesis, app_state: json });
  assert.deepEqual(diffDumps(c.dump(), c2.dump()), []);
  assert.equal(c2.appHash(), c.appHash());
  // ...and the imported chain keeps working: ids continue, the nonce rule holds.
  const next = await c2.deliver(c2.tx(owner, [any(registration().msg)], { gas: 600_000n }));
  assert.equal(next.code, 0, next.log);
  assert.equal(u64(responseOf(next, 'RegisterDevice').deviceId), 4n);
  await c.close();
  await c2.close();
});

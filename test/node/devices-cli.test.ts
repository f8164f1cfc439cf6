// depind's devices and feegrant commands: listed in the top-level help, each with its own
// --help, usage errors exit 2, and keygen produces a key the chain accepts with a valid DID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DEPIND } from '../helpers/devnet.ts';
import { keyProblem, parseDidKey } from '../../modules/devices/keys.ts';
import { verifySignature } from '../../modules/devices/keys.ts';
import { attestationPayload, serialHash } from '../../modules/devices/payloads.ts';
import { devManufacturerKeys } from '../../node/dev-genesis.ts';

const run = (args: string[]) => spawnSync(process.execPath, [DEPIND, ...args], { encoding: 'utf8' });

const COMMANDS = [
  'devices keygen', 'tx devices register', 'tx devices assert-location', 'tx devices transfer', 'tx devices update', 'tx devices deactivate',
  'tx devices reactivate', 'tx devices appeal', 'tx devices bond', 'tx devices add-manufacturer', 'tx devices set-manufacturer-status',
  'tx devices ban', 'tx devices unban', 'tx feegrant grant', 'tx feegrant revoke', 'query devices device', 'query devices by-owner',
  'query devices by-manufacturer', 'query devices by-cell', 'query devices did', 'query devices manufacturers', 'query devices registration-check',
];

test('every devices / feegrant command is listed and has --help', () => {
  const top = run(['--help']);
  assert.equal(top.status, 0);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c} `, 'm'), c);
  for (const c of ['tx devices register', 'tx feegrant grant', 'query devices registration-check', 'tx devices ban']) {
    const h = run([...c.split(' '), '--help']);
    assert.equal(h.status, 0, c);
    assert.match(h.stdout, new RegExp(`Usage: depind ${c}`));
  }
  const bad = run(['tx', 'devices', 'transfer']);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /missing the signing key name/);
});

test('devices keygen: a valid key, DID and dev attestation for both curves', () => {
  for (const kt of ['secp256k1', 'p256'] as const) {
    const r = run(['devices', 'keygen', '--key-type', kt, '--dev-attest', '--model', 'dev-sensor', '--serial', 'SN-9']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const pub = Buffer.from(out.public_key, 'hex');
    const type = kt === 'secp256k1' ? 1 : 2;
    assert.equal(keyProblem(type, pub), undefined);
    assert.deepEqual(Buffer.from(parseDidKey(out.did).key), pub);
    assert.equal(out.account === null, kt === 'p256');
    const mk = devManufacturerKeys();
    const payload = attestationPayload({ manufacturerId: 'devmfr', keyType: type, devicePubkey: pub, model: 'dev-sensor', serialHash: serialHash('devmfr', 'SN-9') });
    const key = kt === 'secp256k1' ? mk.secp256k1.publicKey : mk.p256.publicKey;
    assert.ok(verifySignature(type, key, payload, Buffer.from(out.attestation, 'hex')));
  }
});

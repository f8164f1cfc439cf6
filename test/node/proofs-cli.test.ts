// depind's proofs commands: listed in the top-level help, each with its own --help, usage errors
// exit 2 (the e2e test submits a proof through one of them against a real node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DEPIND } from '../helpers/devnet.ts';

const run = (args: string[]) => spawnSync(process.execPath, [DEPIND, ...args], { encoding: 'utf8' });

const COMMANDS = [
  'tx proofs beacon', 'tx proofs witness', 'tx proofs availability', 'tx proofs receipt', 'tx proofs sensor-batch', 'tx proofs prove-storage', 'tx proofs submit',
  'tx proofs bond-provider', 'tx proofs unbond-provider', 'tx proofs bond-verifier', 'tx proofs create-data-set', 'tx proofs create-job', 'tx proofs commit-result',
  'tx proofs reveal-result', 'tx proofs vote', 'tx proofs challenge', 'tx proofs resolve-challenge', 'query proofs proof', 'query proofs by-device',
  'query proofs window', 'query proofs seed', 'query proofs data-set', 'query proofs job', 'query proofs params',
];

test('every proofs command is listed and has --help; usage errors exit 2', () => {
  const top = run(['--help']);
  assert.equal(top.status, 0);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c} `, 'm'), c);
  for (const c of ['tx proofs beacon', 'tx proofs challenge', 'query proofs window']) {
    const h = run([...c.split(' '), '--help']);
    assert.equal(h.status, 0, c);
    assert.match(h.stdout, new RegExp(`Usage: depind ${c}`));
  }
  const bad = run(['tx', 'proofs', 'bond-verifier']);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /missing the signing key name/);
});

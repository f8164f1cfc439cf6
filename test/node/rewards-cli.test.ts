// depind's rewards commands: listed in the top-level help, each with its own --help, usage errors
// exit 2 with a clear message; prices parse exactly (no floating point).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DEPIND } from '../helpers/devnet.ts';
import { parsePrice } from '../../node/cli/rewards-cli.ts';

const run = (args: string[]) => spawnSync(process.execPath, [DEPIND, ...args], { encoding: 'utf8' });

const COMMANDS = [
  'tx rewards claim', 'tx rewards mint-credits', 'tx rewards spend-credits', 'tx rewards register-oracle', 'tx rewards unbond-oracle', 'tx rewards post-price',
  'query rewards params', 'query rewards epoch', 'query rewards epochs', 'query rewards device', 'query rewards device-history', 'query rewards claimable',
  'query rewards prices', 'query rewards oracles', 'query rewards credits', 'query rewards totals', 'query rewards schedule', 'query rewards anchor-proof',
];

test('every rewards command is listed and has --help; usage errors exit 2', () => {
  const top = run(['--help']);
  assert.equal(top.status, 0);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c} `, 'm'), c);
  for (const c of ['tx rewards claim', 'tx rewards spend-credits', 'query rewards device']) {
    const h = run([...c.split(' '), '--help']);
    assert.equal(h.status, 0, c);
    assert.match(h.stdout, new RegExp(`Usage: depind ${c}`));
  }
  const bad = run(['tx', 'rewards', 'claim']);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /missing the signing key name/);
  const badAddr = run(['query', 'rewards', 'claimable', 'nope']);
  assert.equal(badAddr.status, 2, badAddr.stderr);
  const noOwner = run(['query', 'rewards', 'anchor-proof', '1']);
  assert.equal(noOwner.status, 2, noOwner.stderr);
  assert.match(noOwner.stderr, /OWNER must be a depin1\.\.\. address/);
});

test('prices: USD decimals or micro-USD, exact', () => {
  assert.equal(parsePrice('1.25'), 1_250_000n);
  assert.equal(parsePrice('0.000001'), 1n);
  assert.equal(parsePrice('1250000u'), 1_250_000n);
  assert.equal(parsePrice('3'), 3_000_000n);
  for (const bad of ['1.2345678', '-1', '1e3', '', 'abc']) assert.throws(() => parsePrice(bad), /price must be/);
});

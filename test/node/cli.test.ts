// The depind command line: help, init, keys, and the committed genesis.json matching the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { DEPIND, REPO, DEV_MNEMONIC } from '../helpers/devnet.ts';
import { devGenesis } from '../../node/dev-genesis.ts';

const run = (args: string[], input?: string) => spawnSync(process.execPath, [DEPIND, ...args], { encoding: 'utf8', input });

test('genesis.json in the repository is the development genesis', () => {
  assert.deepEqual(JSON.parse(readFileSync(join(REPO, 'genesis.json'), 'utf8')), devGenesis());
});

test('--help lists every command and each command has its own help', () => {
  const top = run(['--help']);
  assert.equal(top.status, 0);
  const staking = ['tx staking create-validator', 'tx staking delegate', 'tx staking unbond', 'tx slashing unjail', 'query staking validators', 'query staking validator', 'query staking delegation', 'query staking params', 'query slashing signing-info'];
  for (const c of ['init', 'start', 'keys add', 'keys list', 'keys show', 'tx bank send', 'query bank balances', 'status', ...staking]) {
    assert.match(top.stdout, new RegExp(c));
    const h = run([...c.split(' '), '--help']);
    assert.equal(h.status, 0, c);
    assert.match(h.stdout, /Usage: depind/);
  }
  const bad = run(['frobnicate']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command/);
});

test('init, keys add --recover, list, show', () => {
  const home = mkdtempSync(join(tmpdir(), 'depind-cli-'));
  try {
    execFileSync(process.execPath, [DEPIND, 'init', '--home', home, '--chain-id', 'test-chain-9', '--moniker', 'm1']);
    const g = JSON.parse(readFileSync(join(home, 'config', 'genesis.json'), 'utf8'));
    assert.equal(g.chain_id, 'test-chain-9');
    assert.equal(g.validators.length, 1);
    assert.equal(run(['init', '--home', home]).status, 2, 'refuses to overwrite without --overwrite');

    const add = run(['keys', 'add', 'dev0', '--recover', '--home', home], DEV_MNEMONIC + '\n');
    assert.equal(add.status, 0, add.stderr);
    assert.match(add.stdout, /depin15yk64u7zc9g9k2yr2wmzeva5qgwxps6ygahgn9/);
    const fresh = run(['keys', 'add', 'fresh', '--home', home]);
    assert.equal(fresh.status, 0);
    assert.match(fresh.stdout, /mnemonic/);
    const list = JSON.parse(run(['keys', 'list', '--home', home, '-o', 'json']).stdout);
    assert.deepEqual(list.map((k: { name: string }) => k.name), ['dev0', 'fresh']);
    assert.ok(list.every((k: Record<string, unknown>) => !('mnemonic' in k)), 'list never prints mnemonics');
    assert.equal(run(['keys', 'show', 'dev0', '-a', '--home', home]).stdout.trim(), 'depin15yk64u7zc9g9k2yr2wmzeva5qgwxps6ygahgn9');
    assert.equal(run(['keys', 'add', 'dev0', '--home', home]).status, 1, 'duplicate name refused');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

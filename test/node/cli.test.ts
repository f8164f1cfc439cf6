// The depind command line: help, init, keys, and the committed genesis.json matching the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { DEPIND, REPO, DEV_MNEMONIC } from '../helpers/devnet.ts';
import { devGenesis } from '../../node/dev-genesis.ts';
import { deriveKey, cosmosHdPath } from '../../node/keys/hd.ts';

const run = (args: string[], input?: string) => spawnSync(process.execPath, [DEPIND, ...args], { encoding: 'utf8', input });

test('genesis.json in the repository is the development genesis', () => {
  assert.deepEqual(JSON.parse(readFileSync(join(REPO, 'genesis.json'), 'utf8')), devGenesis());
});

test('--help lists every command and each command has its own help', () => {
  const top = run(['--help']);
  assert.equal(top.status, 0);
  const staking = ['tx staking create-validator', 'tx staking delegate', 'tx staking unbond', 'tx slashing unjail', 'query staking validators', 'query staking validator', 'query staking delegation', 'query staking params', 'query slashing signing-info'];
  for (const c of ['init', 'start', 'testnet', 'keys add', 'keys list', 'keys show', 'tx bank send', 'query bank balances', 'status', ...staking]) {
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

test('testnet: N validator homes and full nodes sharing one genesis, peered on loopback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'depind-tn-'));
  try {
    const out = run(['testnet', '--validators', '3', '--full-nodes', '1', '--output', join(dir, 'net'), '--base-port', '31000', '--chain-id', 'tn-9']);
    assert.equal(out.status, 0, out.stderr);
    const homes = [0, 1, 2, 3].map((i) => join(dir, 'net', `node${i}`));
    const genesis = homes.map((h) => readFileSync(join(h, 'config', 'genesis.json'), 'utf8'));
    assert.ok(genesis.every((g) => g === genesis[0]), 'one genesis for all');
    const g = JSON.parse(genesis[0]!);
    assert.equal(g.chain_id, 'tn-9');
    assert.equal(g.validators.length, 3);
    const funded = new Set(g.app_state.bank.balances.map((b: { address: string }) => b.address));
    assert.ok([0, 1, 2, 9].every((i) => funded.has(deriveKey(DEV_MNEMONIC, cosmosHdPath(i)).address)), 'the dev accounts are funded');
    assert.equal(g.app_state.staking.validators.length, 3, 'the validators are staking validators too');
    const keys = homes.map((h) => { try { return JSON.parse(readFileSync(join(h, 'config', 'priv_validator_key.json'), 'utf8')).address; } catch { return undefined; } });
    assert.deepEqual(keys.slice(0, 3), g.validators.map((v: { address: string }) => v.address));
    assert.equal(keys[3], undefined, 'the full node has no consensus key');
    const cfg = homes.map((h) => JSON.parse(readFileSync(join(h, 'config', 'node.json'), 'utf8')));
    assert.deepEqual(cfg.map((c) => c.rpcListen), ['127.0.0.1:31001', '127.0.0.1:31011', '127.0.0.1:31021', '127.0.0.1:31031']);
    const ids = homes.map((h) => JSON.parse(readFileSync(join(h, 'config', 'node_key.json'), 'utf8')).id);
    assert.deepEqual(cfg[3].p2p.persistentPeers, [0, 1, 2].map((i) => `/ip4/127.0.0.1/tcp/${31000 + 10 * i}/p2p/${ids[i]}`));
    assert.equal(run(['testnet', '--output', join(dir, 'net')]).status, 2, 'refuses to overwrite');
    assert.equal(run(['testnet', '--validators', '0', '--output', join(dir, 'x')]).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

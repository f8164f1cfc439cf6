// Downtime → jail → unjail with four validator processes: consensus tells the app who signed each
// block (every validator of the set, absent ones too); a validator that stays down misses more than
// half of a short liveness window, the slashing module jails it, staking drops it from the set and
// consensus applies that two heights later; restarted, it syncs as a non-voting node, its operator
// sends MsgUnjail after the jail period (the depind CLI), and it is back in the set and signing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEPIND, DEV_MNEMONIC, rpcCall } from '../helpers/devnet.ts';
import { Testnet, waitHeight, waitUntil, maxHeight, type TestNode } from '../helpers/testnet.ts';

const run = promisify(execFile);
let net: Testnet | undefined;
let keyHome: string | undefined;
after(() => {
  net?.cleanup();
  if (keyHome) rmSync(keyHome, { recursive: true, force: true });
});

const setSize = async (n: TestNode) => Number((await rpcCall(n.rpc, 'validators', {})).result.total);

test('a validator down for most of the liveness window is jailed and leaves the set; unjailed, it signs again', { timeout: 150_000 }, async (t) => {
  net = await Testnet.create({ validators: 4, blockTimeMs: 200, timeoutProposeMs: 1000 });
  // A short liveness window and jail period (the defaults are 100 blocks and 10 minutes).
  for (const n of net.nodes) {
    const p = join(n.home, 'config', 'genesis.json');
    const g = JSON.parse(readFileSync(p, 'utf8'));
    g.app_state.slashing.params = { ...g.app_state.slashing.params, signed_blocks_window: '10', min_signed_per_window: '0.500000000000000000', downtime_jail_duration: '4s' };
    writeFileSync(p, JSON.stringify(g, null, 2));
  }
  const [v0, v1, v2, v3] = net.nodes as [TestNode, TestNode, TestNode, TestNode];
  try {
    await Promise.all(net.nodes.map((n) => n.start()));
    await waitHeight(net.nodes, 3n, 40_000);
    assert.equal(await setSize(v0), 4);
    const address3 = (await rpcCall(v3.rpc, 'status')).result.validator_info.address as string;

    await v3.kill();
    const down = await maxHeight([v0, v1, v2]);
    await waitUntil('validator 3 jailed and out of the set', async () => (await setSize(v0)) === 3, 60_000);
    const out = await maxHeight([v0, v1, v2]);
    t.diagnostic(`down at ${down}, out of the set at ${out}`);
    const vals = (await rpcCall(v0.rpc, 'validators', {})).result.validators.map((v: { address: string }) => v.address);
    assert.ok(!vals.includes(address3));

    // Back up: it syncs and follows, but is not in the set, so it does not vote.
    await v3.start();
    await waitHeight([v3], (await maxHeight([v0, v1, v2])) + 1n, 40_000);
    assert.equal((await rpcCall(v3.rpc, 'status')).result.validator_info.voting_power, '0');

    // Its operator (dev account 3) unjails it once the jail period is over.
    keyHome = mkdtempSync(join(tmpdir(), 'depind-keys-'));
    await new Promise<void>((resolve, reject) => {
      const c = execFile(process.execPath, [DEPIND, 'keys', 'add', 'op3', '--recover', '--index', '3', '--home', keyHome!], (err) => (err ? reject(err) : resolve()));
      c.stdin!.end(DEV_MNEMONIC + '\n');
    });
    await new Promise((r) => setTimeout(r, 4_500));
    let unjailed = false;
    for (let attempt = 0; attempt < 5 && !unjailed; attempt++) {
      const r = await run(process.execPath, [DEPIND, 'tx', 'slashing', 'unjail', 'op3', '--node', v1.rpc, '--home', keyHome, '-o', 'json']).catch((e: { stdout: string; stderr: string }) => e);
      unjailed = /"code":\s*0/.test(r.stdout ?? '');
      if (!unjailed) await new Promise((res) => setTimeout(res, 1_000)); // still jailed (block time lags the wall clock)
    }
    assert.ok(unjailed, 'MsgUnjail accepted');
    await waitUntil('validator 3 back in the set', async () => (await setSize(v0)) === 4, 30_000);
    // And it signs again: its precommit appears in a commit.
    await waitUntil('validator 3 signs a commit', async () => {
      const h = await v0.height();
      const c = (await rpcCall(v0.rpc, 'commit', { height: h.toString() })).result.signed_header.commit;
      return c.signatures.some((s: { validator_address: string; block_id_flag: number }) => s.validator_address === address3 && s.block_id_flag === 2);
    }, 30_000);
    t.diagnostic(`back in the set and signing at ${await v0.height()}`);
  } catch (err) {
    throw new Error(`${(err as Error).stack}\n${net.logs(25)}`);
  } finally {
    await net.stopAll();
  }
});

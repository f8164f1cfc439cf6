// What `npm start` runs (`depind start --dev --anvil`) on a fresh dev home: depind starts anvil
// with its chain in the home, deploys DepinAnchor at the address the dev genesis names, and
// anchors; stopped and started again, it reuses the saved Ethereum chain and contract and goes on.
// Also `depind anchor deploy --write-genesis` for another network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { getAddress } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { startAnvil, ANVIL_MNEMONIC } from '../../node/anchor/anvil.ts';
import { ethClients, depinAnchorAbi } from '../../node/anchor/anchor-contract.ts';
import { rpcQuery, anchorQuery } from '../../node/anchor/proof-export.ts';
import { checkpointInfoFromMsg, STATUS } from '../../modules/anchor/types.ts';
import { DEV_ANCHOR_CONTRACT } from '../../node/dev-genesis.ts';
import { makeHome, startDevnet, DEPIND } from '../helpers/devnet.ts';

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port;
    s.close(() => resolve(port));
  });
});

async function acknowledged(rpc: string, n: bigint) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const c = checkpointInfoFromMsg((await anchorQuery(rpcQuery(rpc), 'Checkpoint', { number: n.toString() })).checkpoint);
      if (c.checkpoint.status === STATUS.ACKNOWLEDGED) return c;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`checkpoint ${n} not acknowledged in 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('depind start --anvil: starts anvil in the home, deploys the contract, anchors; a restart reuses both', async () => {
  const home = makeHome({ anchoring: true });
  const port = await freePort();
  const cfgPath = join(home, 'config', 'node.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg.anchor = { ...cfg.anchor, anvilPort: port, pollMs: 200, maxBackoffMs: 1000 };
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  try {
    let net = await startDevnet({ home, blockTimeMs: 150, extraArgs: ['--anvil'] });
    const first = await acknowledged(net.rpc, 1n);
    assert.match(net.output(), new RegExp(`Ethereum RPC  http://127\\.0\\.0\\.1:${port}  \\(chain 31337, anvil started by depind\\)`));
    assert.match(net.output(), /DepinAnchor 0x5FbDB2315678afecb367f032d93F642f64180aa3 \(deployed now\)/);
    await net.stop();
    assert.ok(existsSync(join(home, 'data', 'anvil-state.json')), 'anvil saved its chain in the home');
    await assert.rejects(fetch(`http://127.0.0.1:${port}`, { method: 'POST', body: '{}' }), 'anvil stopped with depind');

    net = await startDevnet({ home, blockTimeMs: 150, extraArgs: ['--anvil'] });
    try {
      const second = await acknowledged(net.rpc, 2n);
      assert.doesNotMatch(net.output(), /deployed now/, 'the saved contract is reused');
      const eth = ethClients(`http://127.0.0.1:${port}`, 31337n);
      const stored = await eth.public.readContract({ address: getAddress(DEV_ANCHOR_CONTRACT), abi: depinAnchorAbi, functionName: 'getCheckpoint', args: [1n] });
      assert.equal(stored.stateRoot, `0x${Buffer.from(first.checkpoint.stateRoot).toString('hex')}`, 'checkpoint 1 survived the restart');
      assert.ok(second.checkpoint.height > first.checkpoint.height);
    } finally {
      await net.stop();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('depind anchor deploy --write-genesis: the contract for this genesis on another network, its address in genesis', async () => {
  const anvil = await startAnvil({ chainId: 4242n });
  const home = makeHome();
  try {
    const key = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 3 }).getHdKey().privateKey!;
    const out = execFileSync(process.execPath, [DEPIND, 'anchor', 'deploy', '--home', home, '--eth-rpc', anvil.url, '--write-genesis', '--checkpoint-interval', '20'], {
      encoding: 'utf8', env: { ...process.env, DEPIND_ETH_PRIVATE_KEY: `0x${Buffer.from(key).toString('hex')}` },
    });
    const address = /DepinAnchor for depin-local-1 at (0x[0-9a-fA-F]{40}) on Ethereum chain 4242/.exec(out)?.[1];
    assert.ok(address, out);
    const g = JSON.parse(readFileSync(join(home, 'config', 'genesis.json'), 'utf8'));
    assert.deepEqual(g.app_state.anchor.params, { checkpoint_interval: '20', eth_chain_id: '4242', contract: address.toLowerCase(), ack_timeout: '50' });
    const eth = ethClients(anvil.url, 4242n);
    assert.equal(await eth.public.readContract({ address: getAddress(address), abi: depinAnchorAbi, functionName: 'cosmosChainId' }), 'depin-local-1');
    // The relayer's log scan starts at the deployment block, not at 0.
    const block = BigInt(/\(block (\d+)\)/.exec(out)![1]!);
    assert.ok(block > 0n);
    assert.equal(JSON.parse(readFileSync(join(home, 'config', 'node.json'), 'utf8')).anchor.logsFromBlock, Number(block));
  } finally {
    await anvil.stop();
    rmSync(home, { recursive: true, force: true });
  }
});

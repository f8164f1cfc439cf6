// Every CometBFT method the node serves, decoded by CosmJS's own Comet38Client decoders (which
// throw on any wrong type), plus URI-style GET and CORS preflight for browser wallets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Comet38Client } from '@cosmjs/tendermint-rpc';
import { startDevnet, rpcCall, waitForHeight, type Devnet } from '../helpers/devnet.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from '../../node/keys/hd.ts';
import { signTx } from '../../chain/tx/builder.ts';
import { MsgSend } from '../../modules/bank/types.ts';

let net: Devnet;
let comet: Comet38Client;
const k = deriveKey(DEV_MNEMONIC, cosmosHdPath(6));

function send(seq: bigint, amount = '1'): Uint8Array {
  return signTx({ messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: k.address, toAddress: k.address, amount: [{ denom: 'udpin', amount }] }) }], fee: [{ denom: 'udpin', amount: '1000' }], gasLimit: 150000n }, { privateKey: k.privateKey, chainId: 'depin-local-1', accountNumber: 6n, sequence: seq });
}

before(async () => {
  net = await startDevnet();
  comet = await Comet38Client.connect(net.rpc);
});

after(async () => {
  comet.disconnect();
  await net.stop();
  net.cleanup();
});

test('broadcast_tx_commit, tx, block_results, block_by_hash, commit, blockchain', async () => {
  const res = await comet.broadcastTxCommit({ tx: send(0n) });
  assert.equal(res.checkTx.code, 0);
  assert.equal(res.txResult?.code, 0, res.txResult?.log ?? "");
  assert.ok(res.height > 0);
  const tx = await comet.tx({ hash: res.hash });
  assert.equal(tx.height, res.height);
  assert.equal(Buffer.from(tx.tx).toString("hex"), Buffer.from(send(0n)).toString("hex"));
  const results = await comet.blockResults(res.height);
  assert.equal(results.results.length, 1);
  assert.equal(results.results[0]!.code, 0);
  assert.ok(results.results[0]!.events.some((e) => e.type === 'transfer'));
  const block = await comet.block(res.height);
  assert.equal(block.block.header.height, res.height);
  const byHash = await rpcCall(net.rpc, 'block_by_hash', { hash: Buffer.from(block.blockId.hash).toString('base64') });
  assert.equal(byHash.result.block.header.height, String(res.height));
  await waitForHeight(net.rpc, BigInt(res.height + 1));
  const commit = await comet.commit(res.height);
  assert.equal(commit.canonical, true);
  assert.deepEqual(commit.header.appHash, block.block.header.appHash);
  assert.equal(commit.commit.signatures.length, 1);
  assert.equal(commit.commit.signatures[0]!.signature?.length, 64);
  const chain = await comet.blockchain(1, res.height);
  assert.equal(chain.blockMetas[0]!.header.height, res.height, 'newest first');
  assert.ok(chain.lastHeight >= res.height);
  // The next block's header commits to the state after this one (CometBFT semantics).
  const next = await comet.block(res.height + 1);
  assert.deepEqual(next.block.header.lastBlockId?.hash, block.blockId.hash);
});

test('broadcast_tx_async, mempool views, status, validators, genesis, abci_info, health, net_info', async () => {
  const r = await comet.broadcastTxAsync({ tx: send(1n) });
  assert.equal(r.hash.length, 32);
  const n = await comet.numUnconfirmedTxs();
  assert.ok(n.total >= 0);
  const status = await comet.status();
  assert.equal(status.nodeInfo.network, 'depin-local-1');
  assert.equal(status.syncInfo.catchingUp, false);
  const vals = await comet.validators({});
  assert.equal(vals.total, 1);
  assert.equal(vals.validators[0]!.votingPower, 10n);
  assert.deepEqual(vals.validators[0]!.address, status.validatorInfo.address);
  const g = await comet.genesis();
  assert.equal(g.chainId, 'depin-local-1');
  const info = await comet.abciInfo();
  assert.ok((info.lastBlockHeight ?? 0) >= 1);
  await comet.health();
  const raw = await rpcCall(net.rpc, 'net_info');
  assert.equal(raw.result.n_peers, '0');
  const unconfirmed = await rpcCall(net.rpc, 'unconfirmed_txs', { limit: '5' });
  assert.ok(Array.isArray(unconfirmed.result.txs));
});

test('tx_search paginates beyond one page, newest first with order_by desc', async () => {
  // 35 txs from one account; then page through them as txSearchAll does.
  const base = 2n;
  for (let i = 0n; i < 35n; i++) {
    const r = await rpcCall(net.rpc, 'broadcast_tx_sync', { tx: Buffer.from(send(base + i, '2')).toString('base64') });
    assert.equal(r.result.code, 0, r.result.log);
  }
  const query = `message.sender='${k.address}' AND transfer.amount='2udpin'`;
  for (let i = 0; i < 100; i++) {
    const s = await comet.txSearch({ query, per_page: 30 });
    if (s.totalCount === 35) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const all = await comet.txSearchAll({ query });
  assert.equal(all.totalCount, 35);
  assert.equal(all.txs.length, 35);
  const desc = await comet.txSearch({ query, order_by: 'desc', per_page: 5 });
  assert.ok(desc.txs[0]!.height >= desc.txs[4]!.height);
});

test('URI GET and CORS preflight', async () => {
  const get = await fetch(`${net.rpc}/block?height=1`).then((r) => r.json() as Promise<any>);
  assert.equal(get.result.block.header.height, '1');
  const pre = await fetch(net.rpc, { method: 'OPTIONS', headers: { Origin: 'https://wallet.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Content-Type/i);
});

test('a second depind on the same home refuses to start, with a clear message', async () => {
  const { spawnSync } = await import('node:child_process');
  const { DEPIND } = await import('../helpers/devnet.ts');
  const r = spawnSync(process.execPath, [DEPIND, 'start', '--home', net.home, '--rpc.laddr', '127.0.0.1:0'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /already running/);
  // ...and the running node is unaffected.
  assert.deepEqual((await rpcCall(net.rpc, 'health')).result, {});
});

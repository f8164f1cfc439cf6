// kill -9 while the node is taking txs, restart, and check that nothing committed was lost:
// height, app hash, balances, every confirmed tx, and the index agrees with the blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StargateClient } from '@cosmjs/stargate';
import { startDevnet, makeHome, rpcCall, height, waitForHeight } from '../helpers/devnet.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from '../../node/keys/hd.ts';
import { signTx } from '../../chain/tx/builder.ts';
import { MsgSend } from '../../modules/bank/types.ts';

const keys = Array.from({ length: 6 }, (_, i) => deriveKey(DEV_MNEMONIC, cosmosHdPath(i)));
const sink = 'depin1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc53d5ev8';

function send(from: number, seq: bigint): Uint8Array {
  return signTx(
    { messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: keys[from]!.address, toAddress: sink, amount: [{ denom: 'udpin', amount: '1' }] }) }], fee: [{ denom: 'udpin', amount: '1000' }], gasLimit: 150000n },
    { privateKey: keys[from]!.privateKey, chainId: 'depin-local-1', accountNumber: BigInt(from), sequence: seq },
  );
}

test('kill -9 under load loses no committed tx', async () => {
  const home = makeHome();
  let net = await startDevnet({ home, blockTimeMs: 100 });
  const seqs = keys.map(() => 0n);
  const accepted: string[] = [];
  // Keep broadcasting from 6 accounts until we pull the plug.
  let stop = false;
  const pump = (async () => {
    while (!stop) {
      await Promise.all(keys.map(async (_, i) => {
        const r = await rpcCall(net.rpc, 'broadcast_tx_sync', { tx: Buffer.from(send(i, seqs[i]!)).toString('base64') }).catch(() => undefined);
        if (r?.result?.code === 0) {
          accepted.push(r.result.hash);
          seqs[i]!++;
        }
      }));
    }
  })();
  await waitForHeight(net.rpc, 8n);
  // Record what is confirmed right before the crash.
  const confirmedHeight = await height(net.rpc);
  const client = await StargateClient.connect(net.rpc);
  const confirmed = [];
  for (const h of accepted.slice()) {
    const tx = await client.getTx(h);
    if (tx) confirmed.push(tx);
  }
  const status = await rpcCall(net.rpc, 'status');
  client.disconnect();
  await net.kill();
  stop = true;
  await pump;
  assert.ok(confirmed.length > 10, `only ${confirmed.length} txs confirmed before the crash`);

  net = await startDevnet({ home, blockTimeMs: 100 });
  try {
    const after = await rpcCall(net.rpc, 'status');
    const h = BigInt(after.result.sync_info.latest_block_height);
    assert.ok(h >= confirmedHeight, `restarted at ${h}, below ${confirmedHeight}`);
    // The block at the pre-crash height is the same block (same hash, same app hash after it).
    const before = await rpcCall(net.rpc, 'block', { height: String(status.result.sync_info.latest_block_height) });
    assert.equal(before.result.block_id.hash, status.result.sync_info.latest_block_hash);
    const c2 = await StargateClient.connect(net.rpc);
    for (const tx of confirmed) {
      const again = await c2.getTx(tx.hash);
      assert.ok(again, `tx ${tx.hash} lost`);
      assert.equal(again.height, tx.height);
      assert.equal(again.code, tx.code);
    }
    // The index agrees with the blocks at every height.
    const top = await height(net.rpc);
    let total = 0;
    for (let i = 1n; i <= top; i++) {
      const b = await rpcCall(net.rpc, 'block', { height: String(i) });
      const n = (b.result.block.data.txs ?? []).length;
      const s = await rpcCall(net.rpc, 'tx_search', { query: `tx.height=${i}`, per_page: '100' });
      assert.equal(Number(s.result.total_count), n, `height ${i}`);
      // Every accepted tx carried the right sequence, so every included one must succeed (an
      // admission racing the post-commit recheck once evicted txs and broke this).
      for (const t of s.result.txs) assert.equal(t.tx_result.code, 0, `height ${i}: ${t.tx_result.log}`);
      total += n;
    }
    // Balances are consistent with the committed txs: the sink got 1udpin per successful send.
    const sinkBalance = BigInt((await c2.getBalance(sink, 'udpin')).amount);
    assert.equal(sinkBalance, BigInt(total));
    // And the chain keeps going.
    await waitForHeight(net.rpc, top + 2n);
    c2.disconnect();
  } finally {
    await net.stop();
    net.cleanup();
  }
});

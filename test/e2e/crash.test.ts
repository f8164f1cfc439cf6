// kill -9 while the node is taking txs, restart, and check that nothing committed was lost:
// height, block hash, balances, every confirmed tx, and the index agrees with the blocks.
// Three crash cycles, each pulling the plug at a different moment of block production.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StargateClient, type IndexedTx } from '@cosmjs/stargate';
import { startDevnet, makeHome, rpcCall, height, waitForHeight, type Devnet } from '../helpers/devnet.ts';
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

/** Broadcasts from 6 accounts (sequences read from the chain) until stopped. */
function pump(net: Devnet, seqs: bigint[], accepted: string[]) {
  let stop = false;
  const done = (async () => {
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
  return async () => {
    stop = true;
    await done;
  };
}

async function verifyAfterRestart(net: Devnet, before: { height: bigint; hash: string; confirmed: IndexedTx[] }) {
  const h = await height(net.rpc);
  assert.ok(h >= before.height, `restarted at ${h}, below ${before.height}`);
  const b = await rpcCall(net.rpc, 'block', { height: String(before.height) });
  assert.equal(b.result.block_id.hash, before.hash, 'the pre-crash block is unchanged');
  const c = await StargateClient.connect(net.rpc);
  for (const tx of before.confirmed) {
    const again = await c.getTx(tx.hash);
    assert.ok(again, `tx ${tx.hash} lost`);
    assert.equal(again.height, tx.height);
    assert.equal(again.code, tx.code);
  }
  // The index agrees with the blocks at every height, and every included tx succeeded (each
  // carried the right sequence).
  let total = 0;
  for (let i = 1n; i <= h; i++) {
    const blk = await rpcCall(net.rpc, 'block', { height: String(i) });
    const n = (blk.result.block.data.txs ?? []).length;
    const s = await rpcCall(net.rpc, 'tx_search', { query: `tx.height=${i}`, per_page: '100' });
    assert.equal(Number(s.result.total_count), n, `height ${i}`);
    for (const t of s.result.txs) assert.equal(t.tx_result.code, 0, `height ${i}: ${t.tx_result.log}`);
    total += n;
  }
  // Balances follow from the committed txs: the sink got 1udpin per send.
  assert.equal(BigInt((await c.getBalance(sink, 'udpin')).amount), BigInt(total));
  c.disconnect();
  return total;
}

test('kill -9 under load, three times, loses no committed tx', async () => {
  const home = makeHome();
  let net = await startDevnet({ home, blockTimeMs: 100 });
  try {
    let lastTotal = 0;
    for (const killAfterMs of [900, 1300, 650]) {
      const c = await StargateClient.connect(net.rpc);
      const seqs = await Promise.all(keys.map(async (k) => BigInt((await c.getSequence(k.address)).sequence)));
      const accepted: string[] = [];
      const stopPump = pump(net, seqs, accepted);
      await new Promise((r) => setTimeout(r, killAfterMs));
      // Record what is confirmed, then pull the plug while txs keep arriving.
      const confirmed: IndexedTx[] = [];
      for (const h of accepted.slice()) {
        const tx = await c.getTx(h);
        if (tx) confirmed.push(tx);
      }
      const status = await rpcCall(net.rpc, 'status');
      c.disconnect();
      await net.kill();
      await stopPump();
      assert.ok(confirmed.length > 5, `only ${confirmed.length} txs confirmed before the crash`);

      net = await startDevnet({ home, blockTimeMs: 100 });
      const total = await verifyAfterRestart(net, {
        height: BigInt(status.result.sync_info.latest_block_height),
        hash: status.result.sync_info.latest_block_hash,
        confirmed,
      });
      assert.ok(total > lastTotal, 'each cycle committed more txs');
      lastTotal = total;
    }
    // And the chain keeps going.
    await waitForHeight(net.rpc, (await height(net.rpc)) + 2n);
  } finally {
    await net.stop();
    net.cleanup();
  }
});

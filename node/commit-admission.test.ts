// The node keeps admitting broadcasts while a block is being written (the synced LevelDB batch of
// App.persist), against the previous block's state; the switch to the new state and the mempool's
// recheck then happen in one synchronous step. Shown here: admissions made during the write
// complete before it ends, see the previous state, survive the recheck and land in the next block
// with code 0, and a copy of a tx the written block holds is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { DepinNode } from './node.ts';
import { txResultFromMsg } from './store/block-types.ts';
import { makeHome } from '../test/helpers/devnet.ts';
import { keys, addr } from '../test/helpers/chain.ts';
import { signTx } from '../chain/tx/builder.ts';
import { MsgSend } from '../modules/bank/types.ts';

function send(from: number, sequence: bigint): Uint8Array {
  return signTx(
    { messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: addr(from), toAddress: addr(9), amount: [{ denom: 'udpin', amount: '7' }] }) }], fee: [{ denom: 'udpin', amount: '5000' }], gasLimit: 200000n },
    { privateKey: keys[from]!.privateKey, chainId: 'depin-local-1', accountNumber: BigInt(from), sequence },
  );
}

test('broadcasts are admitted while a block is written, and survive the recheck that follows', async () => {
  const home = makeHome();
  // One signature worker, as a running node has: admissions go through addAsync's worker round trip.
  const node = await DepinNode.open({ home, config: { sigVerifyWorkers: 1 }, log: () => {} });
  try {
    await node.produceBlock();
    const first = [send(1, 0n), send(1, 1n)];
    for (const tx of first) assert.equal((await node.mempool.addAsync(tx)).result.code, 0);

    const app = node.app;
    const persist = app.persist.bind(app);
    const during: { code: number; log: string }[] = [];
    let heightDuringWrite = -1n;
    app.persist = async () => {
      const writing = persist();
      // These complete before the write is awaited: admission is not paused by the commit.
      heightDuringWrite = app.info().lastBlockHeight;
      for (const tx of [send(1, 2n), send(2, 0n), first[1]!]) {
        try {
          const r = (await node.mempool.addAsync(tx)).result;
          during.push({ code: r.code, log: r.log });
        } catch (err) {
          during.push({ code: -1, log: (err as Error).message });
        }
      }
      await writing;
    };
    await node.produceBlock();
    app.persist = persist;
    const h2 = node.blocks.height();
    assert.equal(heightDuringWrite, h2 - 1n, 'during the write the app still reports the previous block');
    // Account 1's third tx was checked against the previous state plus its two pending txs.
    assert.deepEqual(during.map((d) => d.code), [0, 0, -1], JSON.stringify(during));
    assert.match(during[2]!.log, /already exists in cache/);
    assert.equal((await node.blocks.loadResults(h2))!.txResults.length, 2);
    assert.equal(node.mempool.size(), 2, 'the recheck kept both txs admitted during the write');

    await node.produceBlock();
    const results = (await node.blocks.loadResults(node.blocks.height()))!.txResults.map(txResultFromMsg);
    assert.deepEqual(results.map((r) => r.code), [0, 0], results.map((r) => r.log).join('; '));
    assert.equal(node.mempool.size(), 0);
  } finally {
    await node.stop();
    rmSync(home, { recursive: true, force: true });
  }
});

// Block results are encoded while the block runs (each tx's result as soon as the tx has run) and
// its events are then dropped unless a subscriber needs them. Shown here: the stored results hold
// every tx's events, the same bytes as encoding the whole block at its end; tx_search finds the
// txs by event; and subscribers to Tx and to NewBlock still receive the events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { DepinNode } from './node.ts';
import { eventsFromMsg, txResultFromMsg } from './store/block-types.ts';
import type { BusMessage } from './event-bus.ts';
import type { TxResult } from '../chain/app.ts';
import { encodeBlockResults } from './store/results-codec.ts';
import { makeHome } from '../test/helpers/devnet.ts';
import { keys, addr } from '../test/helpers/chain.ts';
import { signTx } from '../chain/tx/builder.ts';
import { MsgSend } from '../modules/bank/types.ts';

const open = (home: string) => DepinNode.open({ home, config: { sigVerifyWorkers: 0 }, log: () => {} });

function send(from: number, sequence: bigint, amount: string): Uint8Array {
  return signTx(
    { messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: addr(from), toAddress: addr(9), amount: [{ denom: 'udpin', amount }] }) }], fee: [{ denom: 'udpin', amount: '5000' }], gasLimit: 200000n },
    { privateKey: keys[from]!.privateKey, chainId: 'depin-local-1', accountNumber: BigInt(from), sequence },
  );
}

const attr = (r: { events: TxResult['events'] }, type: string, key: string): string[] =>
  r.events.filter((e) => e.type === type).flatMap((e) => e.attributes.filter((a) => a.key === key).map((a) => a.value));

test('each tx result is encoded as the tx runs: stored results, tx_search and subscribers keep every event', async () => {
  const home = makeHome();
  const node = await open(home);
  try {
    await node.produceBlock();
    // Block 2, nobody subscribed: two sends and an overspend (fails in its message, pays its fee).
    for (const tx of [send(1, 0n, '11'), send(2, 0n, '22'), send(3, 0n, '10000000000000000')]) {
      assert.equal((await node.mempool.addAsync(tx)).result.code, 0);
    }
    await node.produceBlock();
    const h2 = node.blocks.height();
    const stored = (await node.blocks.loadResults(h2))!;
    const results = stored.txResults.map(txResultFromMsg);
    assert.deepEqual(results.map((r) => r.code === 0), [true, true, false]);
    assert.deepEqual(attr(results[0]!, 'transfer', 'amount'), ['5000udpin', '11udpin']);
    assert.deepEqual(attr(results[1]!, 'message', 'sender'), [addr(2), addr(2)]);
    assert.deepEqual(attr(results[2]!, 'transfer', 'amount'), ['5000udpin'], 'a failed tx keeps its fee events');
    // Encoding the decoded results again as one block gives the stored bytes back.
    const bytes = (await node.blocks.loadResultsBytes(h2))!;
    assert.deepEqual(Buffer.from(encodeBlockResults(h2, results, eventsFromMsg(stored.finalizeBlockEvents), stored.appHash)), Buffer.from(bytes));
    while ((await node.indexer.lastHeight()) < h2) await new Promise((r) => setTimeout(r, 5));
    const found = await node.indexer.search(`message.sender='${addr(2)}'`, 1, 10, 'asc');
    assert.equal(found.totalCount, 1);

    // Block 3 with a subscriber to NewBlock only, block 4 with one to Tx as well.
    const newBlocks: BusMessage[] = [];
    const txEvents: BusMessage[] = [];
    node.bus.subscribe("tm.event='NewBlock'", (m) => newBlocks.push(m));
    assert.equal((await node.mempool.addAsync(send(4, 0n, '44'))).result.code, 0);
    await node.produceBlock();
    assert.equal(newBlocks.length, 1);
    const inBlock = (newBlocks[0]!.data.value as { results: TxResult[] }).results;
    assert.deepEqual(attr(inBlock[0]!, 'transfer', 'amount'), ['5000udpin', '44udpin']);
    node.bus.subscribe(`tm.event='Tx' AND transfer.recipient='${addr(9)}'`, (m) => txEvents.push(m));
    assert.equal((await node.mempool.addAsync(send(5, 0n, '55'))).result.code, 0);
    await node.produceBlock();
    assert.equal(txEvents.length, 1, 'the Tx subscription matched on an event attribute');
    assert.deepEqual(attr((txEvents[0]!.data.value as { result: TxResult }).result, 'coin_received', 'amount'), ['5000udpin', '55udpin']);
  } finally {
    await node.stop();
    rmSync(home, { recursive: true, force: true });
  }
});

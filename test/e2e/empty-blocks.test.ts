// create_empty_blocks = false with the single dev validator running consensus: no block while the
// mempool is empty, a block as soon as a tx arrives, then one more (its header carries the new app
// hash, CometBFT's proof block), then quiet again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeHome, startDevnet, rpcCall, height } from '../helpers/devnet.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from '../../node/keys/hd.ts';
import { signTx } from '../../chain/tx/builder.ts';
import { MsgSend } from '../../modules/bank/types.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('createEmptyBlocks = false: blocks only for txs (and the proof block after them)', async () => {
  const home = makeHome();
  const p = join(home, 'config', 'node.json');
  writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), createEmptyBlocks: false }));
  const net = await startDevnet({ home, blockTimeMs: 100 });
  try {
    await sleep(1_000);
    const idle = await height(net.rpc);
    await sleep(1_000);
    assert.equal(await height(net.rpc), idle, 'no empty blocks');
    const k = deriveKey(DEV_MNEMONIC, cosmosHdPath(0));
    const tx = signTx(
      { messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: k.address, toAddress: 'depin1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc53d5ev8', amount: [{ denom: 'udpin', amount: '1' }] }) }], fee: [{ denom: 'udpin', amount: '1000' }], gasLimit: 150000n },
      { privateKey: k.privateKey, chainId: 'depin-local-1', accountNumber: 0n, sequence: 0n },
    );
    const r = await rpcCall(net.rpc, 'broadcast_tx_commit', { tx: Buffer.from(tx).toString('base64') });
    assert.equal(r.result.tx_result.code, 0);
    assert.equal(BigInt(r.result.height), idle + 1n);
    await sleep(1_500);
    assert.equal(await height(net.rpc), idle + 2n, 'one proof block, then nothing');
  } finally {
    await net.stop();
    net.cleanup();
  }
});

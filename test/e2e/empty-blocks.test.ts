// create_empty_blocks = false with the single dev validator running consensus: a tx is included at
// once, and every block without txs is a proof block (the previous block changed the state, so the
// next header must carry the new app hash, CometBFT's rule). With the slashing module recording each
// validator's vote of the previous block (as the Cosmos SDK does) the state changes every block, so
// such a chain does not go idle; the waiting itself is unit-tested (readyToStartHeight).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeHome, startDevnet, rpcCall, height } from '../helpers/devnet.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from '../../node/keys/hd.ts';
import { signTx } from '../../chain/tx/builder.ts';
import { MsgSend } from '../../modules/bank/types.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('createEmptyBlocks = false: blocks only for txs and proof blocks', async () => {
  const home = makeHome();
  const p = join(home, 'config', 'node.json');
  writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), createEmptyBlocks: false }));
  const net = await startDevnet({ home, blockTimeMs: 100 });
  try {
    await sleep(1_500);
    const k = deriveKey(DEV_MNEMONIC, cosmosHdPath(0));
    const tx = signTx(
      { messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: k.address, toAddress: 'depin1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc53d5ev8', amount: [{ denom: 'udpin', amount: '1' }] }) }], fee: [{ denom: 'udpin', amount: '1000' }], gasLimit: 150000n },
      { privateKey: k.privateKey, chainId: 'depin-local-1', accountNumber: 0n, sequence: 0n },
    );
    const r = await rpcCall(net.rpc, 'broadcast_tx_commit', { tx: Buffer.from(tx).toString('base64') });
    assert.equal(r.result.tx_result.code, 0);
    await sleep(500);
    const top = await height(net.rpc);
    let withTx = 0;
    let prevAppHash = '';
    for (let h = 1n; h <= top; h++) {
      const b = (await rpcCall(net.rpc, 'block', { height: h.toString() })).result.block;
      const txs = b.data.txs ?? [];
      if (txs.length > 0) withTx++;
      else if (h > 2n) assert.notEqual(b.header.app_hash, prevAppHash, `empty block ${h} is not a proof block (the state did not change)`);
      prevAppHash = b.header.app_hash;
    }
    assert.equal(withTx, 1);
  } finally {
    await net.stop();
    net.cleanup();
  }
});

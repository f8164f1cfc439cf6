// The node's LevelDB layout: a new home keeps the state in chain.db and the block store, validator
// sets and evidence in blocks.db; a home written before that split (everything in chain.db) still
// opens, resumes at its height and app hash, answers for its blocks and txs, and stays one database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { DepinNode } from '../node.ts';
import { makeHome } from '../../test/helpers/devnet.ts';
import { keys, addr } from '../../test/helpers/chain.ts';
import { signTx } from '../../chain/tx/builder.ts';
import { MsgSend, QueryBalanceRequest, QueryBalanceResponse } from '../../modules/bank/types.ts';
import { txHashHex } from '../../chain/tx/tx-hash.ts';

const open = (home: string) => DepinNode.open({ home, config: { sigVerifyWorkers: 0 }, log: () => {} });

function send(from: number, sequence: bigint): Uint8Array {
  return signTx(
    { messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: addr(from), toAddress: addr(9), amount: [{ denom: 'udpin', amount: '7' }] }) }], fee: [{ denom: 'udpin', amount: '5000' }], gasLimit: 200000n },
    { privateKey: keys[from]!.privateKey, chainId: 'depin-local-1', accountNumber: BigInt(from), sequence },
  );
}

function balance(node: DepinNode): bigint {
  const r = node.app.query({ path: '/cosmos.bank.v1beta1.Query/Balance', data: QueryBalanceRequest.encode({ address: addr(9), denom: 'udpin' }) });
  assert.equal(r.code, 0, r.log);
  return BigInt(QueryBalanceResponse.decode(r.value).balance.amount);
}

/** Sublevel names ("!name!...") present in a database, with their key counts. */
async function sublevels(path: string): Promise<Map<string, number>> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  const out = new Map<string, number>();
  for await (const k of db.keys()) {
    const end = k[0] === 0x21 ? k.indexOf(0x21, 1) : -1;
    const name = end > 0 ? Buffer.from(k.subarray(1, end)).toString() : '(none)';
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  await db.close();
  return out;
}

/** Runs a node for three blocks with two sends in block 2; returns what a reopened node must match. */
async function runBlocks(home: string) {
  const node = await open(home);
  await node.produceBlock();
  const txs = [send(0, 0n), send(1, 0n)];
  for (const tx of txs) assert.equal(node.mempool.add(tx).result.code, 0);
  await node.produceBlock();
  await node.produceBlock();
  const height = node.blocks.height();
  const appHash = Buffer.from(node.app.info().lastBlockAppHash).toString('hex');
  const bal = balance(node);
  await node.stop();
  return { txs, height, appHash, balance: bal };
}

test('a new home keeps the state in chain.db and blocks, validator sets and evidence in blocks.db', async () => {
  const home = makeHome();
  try {
    const before = await runBlocks(home);
    const data = join(home, 'data');
    const chain = await sublevels(join(data, 'chain.db'));
    const blocks = await sublevels(join(data, 'blocks.db'));
    assert.deepEqual([...chain.keys()], ['state'], 'chain.db holds only the state');
    assert.deepEqual([...blocks.keys()].sort(), ['blocks', 'valsets'], 'blocks.db holds the block store and validator sets (no evidence was seen)');
    const node = await open(home);
    try {
      assert.equal(node.dbs.layout, 'split');
      assert.equal(node.blocks.height(), before.height);
      assert.equal(Buffer.from(node.app.info().lastBlockAppHash).toString('hex'), before.appHash);
      assert.equal(balance(node), before.balance);
    } finally {
      await node.stop();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a home written before the split (one chain.db) opens, resumes and stays in one database', async () => {
  const home = makeHome();
  try {
    const before = await runBlocks(home);
    // Build the old layout from a new one: every key of blocks.db moved into chain.db (the
    // sublevel prefixes are the ones the single database used).
    const data = join(home, 'data');
    const from = new Level<Uint8Array, Uint8Array>(join(data, 'blocks.db'), { keyEncoding: 'view', valueEncoding: 'view' });
    const to = new Level<Uint8Array, Uint8Array>(join(data, 'chain.db'), { keyEncoding: 'view', valueEncoding: 'view' });
    await to.open();
    const batch = to.batch();
    for await (const [k, v] of from.iterator()) batch.put(k, v);
    await batch.write();
    await from.close();
    await to.close();
    rmSync(join(data, 'blocks.db'), { recursive: true });

    const node = await open(home);
    try {
      assert.equal(node.dbs.layout, 'single');
      assert.equal(node.dbs.blocks, node.dbs.state);
      assert.equal(node.blocks.height(), before.height, 'resumes at the stored height');
      assert.equal(Buffer.from(node.app.info().lastBlockAppHash).toString('hex'), before.appHash, 'same app hash');
      assert.equal(balance(node), before.balance);
      for (const tx of before.txs) {
        const found = await node.indexer.getByHash(txHashHex(tx));
        assert.ok(found, 'a committed tx is found by hash');
        assert.equal(found.height, 2n);
      }
      assert.equal((await node.blocks.loadResults(2n))!.txResults.length, 2);
      // It keeps working: the next block lands in the same database.
      assert.equal(node.mempool.add(send(0, 1n)).result.code, 0);
      await node.produceBlock();
      assert.equal(node.blocks.height(), before.height + 1n);
    } finally {
      await node.stop();
    }
    assert.ok(!existsSync(join(data, 'blocks.db')), 'no blocks.db is created for an old home');
    const reopened = await open(home);
    assert.equal(reopened.blocks.height(), before.height + 1n);
    await reopened.stop();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

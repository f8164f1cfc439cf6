// Every kind of bad input is refused with a clear Cosmos-style code (or JSON-RPC error) and
// changes nothing: balances, sequences and the app hash stay exactly as they were; only a tx that
// passes the ante checks and then fails (overspend) pays its fee and bumps its sequence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SigningStargateClient, GasPrice, defaultRegistryTypes } from '@cosmjs/stargate';
import { DirectSecp256k1HdWallet, Registry } from '@cosmjs/proto-signing';
import { makeCosmoshubPath } from '@cosmjs/amino';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import { startDevnet, waitForHeight, rpcCall, height, DEV_MNEMONIC, type Devnet } from '../helpers/devnet.ts';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
let net: Devnet;
let c: SigningStargateClient;
let A: string;
let B: string;
const fee = { amount: [{ denom: 'udpin', amount: '5000' }], gas: '200000' };

before(async () => {
  net = await startDevnet();
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [makeCosmoshubPath(4), makeCosmoshubPath(5)] });
  [A, B] = (await wallet.getAccounts()).map((a) => a.address) as [string, string];
  c = await SigningStargateClient.connectWithSigner(net.rpc, wallet, { registry: new Registry(defaultRegistryTypes), gasPrice: GasPrice.fromString('0.025udpin'), broadcastPollIntervalMs: 100 });
});

after(async () => {
  c.disconnect();
  await net.stop();
  net.cleanup();
});

const send = (amount: string) => ({ typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: A, toAddress: B, amount: [{ denom: 'udpin', amount }] } });

async function signed(opts: { msgs?: { typeUrl: string; value: unknown }[]; sequenceDelta?: number; chainId?: string; memo?: string } = {}): Promise<TxRaw> {
  const { accountNumber, sequence } = await c.getSequence(A);
  return c.sign(A, opts.msgs ?? [send('1')], fee, opts.memo ?? '', { accountNumber, sequence: sequence + (opts.sequenceDelta ?? 0), chainId: opts.chainId ?? 'depin-local-1' });
}

async function snapshot() {
  const s = await rpcCall(net.rpc, 'status');
  return {
    a: (await c.getBalance(A, 'udpin')).amount,
    b: (await c.getBalance(B, 'udpin')).amount,
    seqA: (await c.getSequence(A)).sequence,
    appHash: s.result.sync_info.latest_app_hash as string,
  };
}

async function broadcast(bytes: Uint8Array) {
  return rpcCall(net.rpc, 'broadcast_tx_sync', { tx: Buffer.from(bytes).toString('base64') });
}

test('rejected txs change nothing', async () => {
  // Let the previous test's effects settle, then record the state.
  await waitForHeight(net.rpc, (await height(net.rpc)) + 2n);
  const before = await snapshot();
  const cases: [string, Uint8Array, number][] = [];

  const good = await signed();
  const tampered = TxRaw.fromPartial({ ...good, signatures: [Uint8Array.from(good.signatures[0]!)] });
  tampered.signatures[0]![10]! ^= 0x01;
  cases.push(['tampered signature', TxRaw.encode(tampered).finish(), 4]);

  const sig = good.signatures[0]!;
  const s = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'));
  const high = Uint8Array.from(sig);
  high.set(Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex'), 32);
  cases.push(['high-S signature', TxRaw.encode(TxRaw.fromPartial({ ...good, signatures: [high] })).finish(), 4]);

  cases.push(['wrong chain id', TxRaw.encode(await signed({ chainId: 'other-chain-1' })).finish(), 4]);
  cases.push(['wrong sequence', TxRaw.encode(await signed({ sequenceDelta: 3 })).finish(), 32]);
  cases.push(['garbage bytes', Uint8Array.from(Buffer.from('this is not a protobuf transaction at all, just text')), 2]);
  const vote = { typeUrl: '/cosmos.gov.v1beta1.MsgVote', value: { proposalId: 1n, voter: A, option: 1 } };
  cases.push(['unknown message type', TxRaw.encode(await signed({ msgs: [vote] })).finish(), 2]);
  cases.push(['memo too long', TxRaw.encode(await signed({ memo: 'x'.repeat(300) })).finish(), 12]);
  const noSig = TxRaw.fromPartial({ ...good, signatures: [] });
  cases.push(['no signatures', TxRaw.encode(noSig).finish(), 15]);

  for (const [name, bytes, code] of cases) {
    const r = await broadcast(bytes);
    assert.ok(r.result, `${name}: ${JSON.stringify(r)}`);
    assert.equal(r.result.code, code, `${name}: ${r.result.log}`);
    assert.equal(r.result.codespace, 'sdk', name);
    assert.ok(r.result.log.length > 0, name);
  }

  // Too large: refused before CheckTx, as a JSON-RPC error.
  const huge = TxRaw.encode(await signed({ memo: 'y'.repeat(200 * 1024) })).finish();
  const big = await broadcast(huge);
  assert.equal(big.error?.code, -32603);
  assert.match(big.error.data, /too large/);

  // Replay: the same good tx twice; the second copy is refused and executes nothing.
  const goodBytes = TxRaw.encode(good).finish();
  const first = await broadcast(goodBytes);
  assert.equal(first.result.code, 0, first.result.log);
  const again = await broadcast(goodBytes);
  assert.match(again.error?.data ?? '', /already exists/);
  const hash = first.result.hash as string;
  let tx = null;
  for (let i = 0; i < 100 && !tx; i++) {
    tx = await c.getTx(hash);
    if (!tx) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(tx);
  const replayAfterCommit = await broadcast(goodBytes);
  assert.ok(replayAfterCommit.error || replayAfterCommit.result.code === 32, JSON.stringify(replayAfterCommit));

  await waitForHeight(net.rpc, (await height(net.rpc)) + 2n);
  const afterAll = await snapshot();
  // Exactly one tx (the good one: 1udpin + 5000udpin fee) changed state.
  assert.equal(BigInt(afterAll.a), BigInt(before.a) - 1n - 5000n);
  assert.equal(BigInt(afterAll.b), BigInt(before.b) + 1n);
  assert.equal(afterAll.seqA, before.seqA + 1);
  const search = await c.searchTx([{ key: 'message.sender', value: A }]);
  assert.equal(search.length, 1, 'only the good tx was ever included');
});

// The app hash itself moves every block now that consensus hands the app the last commit: the
// slashing module records each validator's vote in its liveness window (as the Cosmos SDK does).
// What rejected txs must not do is reach a block or touch an account.
test('rejected txs leave the accounts untouched and never reach a block', async () => {
  await waitForHeight(net.rpc, (await height(net.rpc)) + 1n);
  const from = await height(net.rpc);
  const { appHash: _a, ...before } = await snapshot();
  const good = await signed();
  const bad = TxRaw.fromPartial({ ...good, signatures: [Uint8Array.from(good.signatures[0]!)] });
  bad.signatures[0]![5]! ^= 0xff;
  assert.equal((await broadcast(TxRaw.encode(bad).finish())).result.code, 4);
  assert.equal((await broadcast(TxRaw.encode(await signed({ sequenceDelta: 1 })).finish())).result.code, 32);
  await waitForHeight(net.rpc, (await height(net.rpc)) + 3n);
  const { appHash: _b, ...after } = await snapshot();
  assert.deepEqual(after, before);
  const to = await height(net.rpc);
  for (let h = from + 1n; h <= to; h++) {
    const b = await rpcCall(net.rpc, 'block', { height: h.toString() });
    assert.deepEqual(b.result.block.data.txs ?? [], [], `block ${h} carries no tx`);
  }
});

test('overspend: included, fails with code 5, pays the fee and bumps the sequence only', async () => {
  const before = await snapshot();
  const res = await c.signAndBroadcast(A, [send((BigInt(before.a) * 2n).toString())], fee);
  assert.equal(res.code, 5, res.rawLog ?? "");
  assert.match(res.rawLog ?? '', /insufficient funds/);
  const after = await snapshot();
  assert.equal(BigInt(after.a), BigInt(before.a) - 5000n);
  assert.equal(after.b, before.b);
  assert.equal(after.seqA, before.seqA + 1);
});

test('insufficient fee is refused at CheckTx with code 13', async () => {
  const { accountNumber, sequence } = await c.getSequence(A);
  const cheap = await c.sign(A, [send('1')], { amount: [{ denom: 'udpin', amount: '1' }], gas: '200000' }, '', { accountNumber, sequence, chainId: 'depin-local-1' });
  const r = await broadcast(TxRaw.encode(cheap).finish());
  assert.equal(r.result.code, 13, r.result.log);
  assert.match(r.result.log, /insufficient fee/);
});

test('malformed JSON-RPC requests get JSON-RPC errors with HTTP 200', async () => {
  const post = async (body: string) => {
    const res = await fetch(net.rpc, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    assert.equal(res.status, 200);
    return res.json() as Promise<any>;
  };
  assert.equal((await post('{not json')).error.code, -32700);
  assert.equal((await post('{"jsonrpc":"2.0","id":1}')).error.code, -32600);
  assert.equal((await post('{"jsonrpc":"1.0","id":1,"method":"status"}')).error.code, -32600);
  const unknown = await post('{"jsonrpc":"2.0","id":"x","method":"no_such_method","params":{}}');
  assert.equal(unknown.error.code, -32601);
  assert.equal(unknown.id, 'x');
  assert.equal((await post('{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"!!notbase64"}}')).error.code, -32602);
  assert.equal((await post('{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":["x"]}')).error.code, -32602);
  assert.equal((await post('{"jsonrpc":"2.0","id":1,"method":"abci_query","params":{"path":"/x","data":"zz"}}')).error.code, -32602);
  assert.equal((await post('{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"abc"}}')).error.code, -32602);
  assert.equal((await post('{"jsonrpc":"2.0","id":1,"method":"tx_search","params":{"query":"tx.height=="}}')).error.code, -32603);
  const batch = await post('[{"jsonrpc":"2.0","id":1,"method":"health"},{"jsonrpc":"2.0","id":2,"method":"nope"}]');
  assert.deepEqual(batch.map((r: any) => r.id), [1, 2]);
  assert.ok(batch[0].result && batch[1].error);
  // The node is still healthy afterwards.
  assert.deepEqual((await rpcCall(net.rpc, 'health')).result, {});
});

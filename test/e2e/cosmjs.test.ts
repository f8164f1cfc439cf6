// Unmodified CosmJS 0.39 against a real depind process: queries, sends (auto and explicit fee),
// getTx / searchTx, getBlock, several txs from one account in one block, websocket events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SigningStargateClient, StargateClient, GasPrice } from '@cosmjs/stargate';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { makeCosmoshubPath } from '@cosmjs/amino';
import { Comet38Client, WebsocketClient } from '@cosmjs/tendermint-rpc';
import { startDevnet, waitForHeight, DEV_MNEMONIC, type Devnet } from '../helpers/devnet.ts';

let net: Devnet;
let wallet: DirectSecp256k1HdWallet;
let A: string; // dev account 0
let B: string; // dev account 1
const fresh = 'depin1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc53d5ev8'; // never funded

before(async () => {
  net = await startDevnet({ blockTimeMs: 500 });
  wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [0, 1, 2, 3].map((i) => makeCosmoshubPath(i)) });
  [A, B] = (await wallet.getAccounts()).map((a) => a.address) as [string, string];
});

after(async () => {
  if (process.env.DEBUG_DEPIND) console.log(net.output());
  await net.stop();
  net.cleanup();
});

async function signer() {
  return SigningStargateClient.connectWithSigner(net.rpc, wallet, { gasPrice: GasPrice.fromString('0.025udpin'), broadcastPollIntervalMs: 100 });
}

test('connect, chain id, height advances', async () => {
  const c = await StargateClient.connect(net.rpc);
  assert.equal(await c.getChainId(), 'depin-local-1');
  const h1 = await c.getHeight();
  await waitForHeight(net.rpc, BigInt(h1 + 2));
  assert.ok((await c.getHeight()) >= h1 + 2);
  c.disconnect();
});

test('accounts and balances', async () => {
  const c = await StargateClient.connect(net.rpc);
  assert.equal(await c.getAccount(fresh), null);
  const acc = await c.getAccount(A);
  assert.ok(acc);
  assert.equal(acc.address, A);
  assert.equal(BigInt(acc.accountNumber), 0n); // genesis order: dev account 0 is account number 0
  assert.deepEqual(await c.getBalance(fresh, 'udpin'), { denom: 'udpin', amount: '0' });
  const bal = await c.getBalance(B, 'udpin');
  assert.equal(bal.denom, 'udpin');
  assert.ok(BigInt(bal.amount) > 0n);
  assert.deepEqual(await c.getAllBalances(fresh), []);
  const all = await c.getAllBalances(B);
  assert.deepEqual(all, [{ denom: 'udpin', amount: bal.amount }]);
  c.disconnect();
});

test('sendTokens with fee "auto", then getTx and searchTx', async () => {
  const c = await signer();
  const recipient = (await wallet.getAccounts())[2]!.address;
  const beforeA = BigInt((await c.getBalance(A, 'udpin')).amount);
  const beforeR = BigInt((await c.getBalance(recipient, 'udpin')).amount);
  const seq0 = (await c.getSequence(A)).sequence;
  const res = await c.sendTokens(A, recipient, [{ denom: 'udpin', amount: '12345' }], 'auto', 'hello depin');
  assert.equal(res.code, 0, res.rawLog ?? "");
  assert.ok(res.gasUsed > 0n && res.gasUsed <= res.gasWanted);
  assert.equal(res.msgResponses[0]?.typeUrl, '/cosmos.bank.v1beta1.MsgSendResponse');
  const tx = await c.getTx(res.transactionHash);
  assert.ok(tx);
  assert.equal(tx.hash, res.transactionHash);
  assert.equal(tx.height, res.height);
  // Fee: gas price 0.025 x gas wanted, rounded up, exactly what left A besides the amount.
  const fee = (res.gasWanted * 25n + 999n) / 1000n;
  assert.equal(BigInt((await c.getBalance(A, 'udpin')).amount), beforeA - 12345n - fee);
  assert.equal(BigInt((await c.getBalance(recipient, 'udpin')).amount), beforeR + 12345n);
  assert.equal((await c.getSequence(A)).sequence, seq0 + 1);

  const byHeight = await c.searchTx([{ key: 'tx.height', value: res.height }]);
  assert.ok(byHeight.some((t) => t.hash === res.transactionHash));
  const bySender = await c.searchTx([{ key: 'message.sender', value: A }]);
  assert.ok(bySender.some((t) => t.hash === res.transactionHash));
  const byRecipient = await c.searchTx([{ key: 'transfer.recipient', value: recipient }]);
  assert.ok(byRecipient.some((t) => t.hash === res.transactionHash));
  const none = await c.searchTx([{ key: 'transfer.recipient', value: fresh }]);
  assert.deepEqual(none, []);

  const block = await c.getBlock(res.height);
  assert.equal(block.header.height, res.height);
  assert.equal(block.header.chainId, 'depin-local-1');
  assert.ok(block.txs.some((t) => Buffer.from(t).equals(Buffer.from(tx.tx))));
  c.disconnect();
});

test('sendTokens with an explicit fee', async () => {
  const c = await signer();
  const before = BigInt((await c.getBalance(B, 'udpin')).amount);
  const res = await c.sendTokens(B, A, [{ denom: 'udpin', amount: '1000' }], { amount: [{ denom: 'udpin', amount: '5000' }], gas: '200000' });
  assert.equal(res.code, 0, res.rawLog ?? "");
  assert.equal(res.gasWanted, 200000n);
  assert.equal(BigInt((await c.getBalance(B, 'udpin')).amount), before - 1000n - 5000n);
  c.disconnect();
});

test('several txs from one account land in one block', async () => {
  const c = await signer();
  const { accountNumber, sequence } = await c.getSequence(A);
  const chainId = await c.getChainId();
  const recipient = (await wallet.getAccounts())[3]!.address;
  const fee = { amount: [{ denom: 'udpin', amount: '5000' }], gas: '200000' };
  const msg = { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: A, toAddress: recipient, amount: [{ denom: 'udpin', amount: '1' }] } };
  const { TxRaw } = await import('cosmjs-types/cosmos/tx/v1beta1/tx');
  const signed = [];
  for (let i = 0; i < 5; i++) {
    const raw = await c.sign(A, [msg], fee, `n${i}`, { accountNumber, sequence: sequence + i, chainId });
    signed.push(TxRaw.encode(raw).finish());
  }
  // Start right after a block is cut, so the five broadcasts (a few ms) fall in one block interval.
  const h0 = await c.getHeight();
  while ((await c.getHeight()) === h0) await new Promise((r) => setTimeout(r, 5));
  const hashes = [];
  for (const bytes of signed) hashes.push(await c.broadcastTxSync(bytes));
  const heights = new Set<number>();
  for (const h of hashes) {
    let tx = null;
    for (let i = 0; i < 100 && !tx; i++) {
      tx = await c.getTx(h);
      if (!tx) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(tx, `tx ${h} not included`);
    assert.equal(tx.code, 0, tx.rawLog);
    heights.add(tx.height);
  }
  assert.equal(heights.size, 1, `expected one block, got heights ${[...heights]}`);
  assert.equal((await c.getSequence(A)).sequence, sequence + 5);
  c.disconnect();
});

test('websocket subscription receives NewBlock and the tx event', async () => {
  // Comet38Client over a WebsocketClient we hold, rather than connectComet(ws): CosmJS 0.39's
  // ReconnectingSocket schedules a reconnect on every Disconnected status, its own disconnect()
  // included (seen: Disconnected -> Connecting -> Connected within 3 s), and connectComet's
  // version probe is a second websocket client that it disconnects and never hands back. Either
  // would keep this file's process alive after its tests; this one is closed for good below.
  const ws = new WebsocketClient(net.ws);
  const comet = Comet38Client.create(ws);
  // Subscribe before awaiting anything else: CosmJS 0.39's QueueingStreamingSocket gets stuck
  // (isProcessingQueue never reset) if its socket opens while its request queue is empty, after
  // which it never sends another request. A dApp that subscribes right away is not affected.
  const events: { hash: string; height: number }[] = [];
  const blocks: number[] = [];
  let gotTx: () => void = () => {};
  let gotBlock: () => void = () => {};
  const received = new Promise<void>((r) => (gotTx = r));
  const live = new Promise<void>((r) => (gotBlock = r));
  const txSub = comet.subscribeTx(`message.sender='${B}'`).subscribe({
    next: (ev) => {
      events.push({ hash: Buffer.from(ev.hash).toString('hex').toUpperCase(), height: ev.height });
      gotTx();
    },
  });
  const blockSub = comet.subscribeNewBlock().subscribe({ next: (b) => (blocks.push(b.header.height), gotBlock()) });
  const timeout = (what: string) => new Promise((_, rej) => setTimeout(() => rej(new Error(`no ${what} event in 10 s`)), 10_000));
  await Promise.race([live, timeout('NewBlock')]);
  const c = await signer();
  const res = await c.sendTokens(B, A, [{ denom: 'udpin', amount: '7' }], 'auto');
  assert.equal(res.code, 0);
  await Promise.race([received, timeout('Tx')]);
  assert.equal(events[0]!.hash, res.transactionHash);
  assert.equal(events[0]!.height, res.height);
  assert.ok(blocks.length >= 1 && blocks.every((h, i) => i === 0 || h === blocks[i - 1]! + 1), `blocks ${blocks}`);
  txSub.unsubscribe();
  blockSub.unsubscribe();
  c.disconnect();
  // Disarm the reconnect (see above) before disconnecting: the socket under the reconnecting
  // wrapper is CosmJS-internal, reached by its field names in 0.39.
  const inner = (ws as unknown as { socket: { socket: { reconnect(): void } } }).socket.socket;
  inner.reconnect = () => {};
  comet.disconnect();
});

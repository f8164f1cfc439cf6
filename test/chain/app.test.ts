// The state machine in-process on a real LevelDB: tx semantics (fees, sequences, failure
// branches, gas) and determinism (replaying the same blocks from genesis gives the same app hashes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { openDepinApp } from '../../modules/depin-app.ts';
import { devGenesis } from '../../node/dev-genesis.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from '../../node/keys/hd.ts';
import { signTx, simulationTx } from '../../chain/tx/builder.ts';
import { MsgSend, MsgMultiSend } from '../../modules/bank/types.ts';
import { codec } from '../../chain/codec/proto.ts';
import type { App } from '../../chain/app.ts';
import { SIMULATE_PATH } from '../../chain/app.ts';

const keys = Array.from({ length: 10 }, (_, i) => deriveKey(DEV_MNEMONIC, cosmosHdPath(i)));
const CHAIN = 'depin-local-1';

async function freshApp(): Promise<{ app: App; close: () => Promise<void>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'depin-app-'));
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const { app } = await openDepinApp(db.sublevel<Uint8Array, Uint8Array>('state', { keyEncoding: 'view', valueEncoding: 'view' }));
  app.initChain(devGenesis());
  return { app, dir, close: async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

function send(from: number, to: number, amount: bigint, seq: bigint, opts: { fee?: bigint; gas?: bigint; accountNumber?: bigint } = {}): Uint8Array {
  return signTx(
    {
      messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: keys[from]!.address, toAddress: keys[to]!.address, amount: [{ denom: 'udpin', amount: amount.toString() }] }) }],
      fee: [{ denom: 'udpin', amount: (opts.fee ?? 5000n).toString() }],
      gasLimit: opts.gas ?? 200000n,
    },
    { privateKey: keys[from]!.privateKey, chainId: CHAIN, accountNumber: opts.accountNumber ?? BigInt(from), sequence: seq },
  );
}

const BalanceReq = codec<{ address: string; denom: string }>('cosmos.bank.v1beta1.QueryBalanceRequest');
const BalanceRes = codec<{ balance: { amount: string } }>('cosmos.bank.v1beta1.QueryBalanceResponse');
function balance(app: App, i: number): bigint {
  const r = app.query({ path: '/cosmos.bank.v1beta1.Query/Balance', data: BalanceReq.encode({ address: keys[i]!.address, denom: 'udpin' }) });
  assert.equal(r.code, 0, r.log);
  return BigInt(BalanceRes.decode(r.value).balance.amount);
}

let t = 1_800_000_000n;
async function block(app: App, height: bigint, txs: Uint8Array[]) {
  const res = app.finalizeBlock({ height, time: { seconds: t++, nanos: 0 }, txs });
  await app.commit();
  return res;
}

test('a send moves exactly amount + fee; failed messages still pay the fee and bump the sequence', async () => {
  const { app, close } = await freshApp();
  await block(app, 1n, []);
  const b0 = balance(app, 0);
  const b1 = balance(app, 1);
  const r = await block(app, 2n, [send(0, 1, 777n, 0n), send(0, 1, 10n ** 30n, 1n), send(0, 1, 5n, 1n)]);
  assert.deepEqual(r.txResults.map((x) => x.code), [0, 5, 32]);
  assert.equal(r.txResults[1]!.codespace, 'sdk');
  // tx0 and tx1 paid fees; tx1's transfer was rolled back; tx2 (stale sequence) changed nothing.
  assert.equal(balance(app, 0), b0 - 777n - 5000n - 5000n);
  assert.equal(balance(app, 1), b1 + 777n);
  const events = r.txResults[0]!.events.map((e) => e.type);
  for (const t of ['tx', 'coin_spent', 'coin_received', 'transfer', 'message']) assert.ok(events.includes(t), `missing ${t} event`);
  await close();
});

test('out of gas: in the ante nothing happens; in a message the fee is paid and the send undone', async () => {
  const { app, close } = await freshApp();
  await block(app, 1n, []);
  const b0 = balance(app, 0);
  const b1 = balance(app, 1);
  // 2,000 gas does not even cover the tx size: the ante fails, nothing is charged.
  const r1 = await block(app, 2n, [send(0, 1, 1n, 0n, { gas: 2000n })]);
  assert.equal(r1.txResults[0]!.code, 11, r1.txResults[0]!.log);
  assert.match(r1.txResults[0]!.log, /out of gas/);
  assert.equal(balance(app, 0), b0);
  // Find the exact gas the ante needs: the same tx with more gas reports gasUsed; a limit just
  // above the ante's cost runs out inside the message.
  const ok = app.checkTx(send(0, 1, 1n, 0n, { gas: 200000n }));
  assert.equal(ok.code, 0, ok.log);
  const anteGas = ok.gasUsed;
  const r2 = await block(app, 3n, [send(0, 1, 1n, 0n, { gas: anteGas + 100n })]);
  assert.equal(r2.txResults[0]!.code, 11, r2.txResults[0]!.log);
  assert.equal(balance(app, 0), b0 - 5000n);
  assert.equal(balance(app, 1), b1);
  // ...and the sequence was bumped: the same sequence is now stale.
  assert.equal(app.checkTx(send(0, 1, 1n, 0n)).code, 32);
  await close();
});

test('MultiSend: one input, many outputs, sums must match', async () => {
  const { app, close } = await freshApp();
  await block(app, 1n, []);
  const msg = (outAmount: bigint) => signTx({
    messages: [{ typeUrl: MsgMultiSend.typeUrl, value: MsgMultiSend.encode({
      inputs: [{ address: keys[2]!.address, coins: [{ denom: 'udpin', amount: '30' }] }],
      outputs: [{ address: keys[3]!.address, coins: [{ denom: 'udpin', amount: '10' }] }, { address: keys[4]!.address, coins: [{ denom: 'udpin', amount: outAmount.toString() }] }],
    }) }],
    fee: [{ denom: 'udpin', amount: '5000' }], gasLimit: 300000n,
  }, { privateKey: keys[2]!.privateKey, chainId: CHAIN, accountNumber: 2n, sequence: 0n });
  const bad = app.checkTx(msg(21n));
  assert.equal(bad.code, 4);
  assert.equal(bad.codespace, 'bank');
  const b3 = balance(app, 3);
  const r = await block(app, 2n, [msg(20n)]);
  assert.equal(r.txResults[0]!.code, 0, r.txResults[0]!.log);
  assert.equal(balance(app, 3), b3 + 10n);
  await close();
});

test('simulate returns gas without a signature and without touching state', async () => {
  const { app, close } = await freshApp();
  await block(app, 1n, []);
  const before = app.info().lastBlockAppHash;
  const tx = simulationTx({ messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: keys[0]!.address, toAddress: keys[1]!.address, amount: [{ denom: 'udpin', amount: '5' }] }) }], fee: [], gasLimit: 0n }, keys[0]!.publicKey, 0n);
  const SimReq = codec<{ txBytes: Uint8Array }>('cosmos.tx.v1beta1.SimulateRequest');
  const SimRes = codec<{ gasInfo: { gasUsed: unknown } }>('cosmos.tx.v1beta1.SimulateResponse');
  const r = app.query({ path: SIMULATE_PATH, data: SimReq.encode({ txBytes: tx }) });
  assert.equal(r.code, 0, r.log);
  const gas = BigInt(String(SimRes.decode(r.value).gasInfo.gasUsed));
  assert.ok(gas > 10_000n && gas < 200_000n, `gas ${gas}`);
  assert.deepEqual(app.info().lastBlockAppHash, before);
  // The real tx with 1.4x the simulated gas succeeds.
  const res = await block(app, 2n, [send(0, 1, 5n, 0n, { gas: (gas * 14n) / 10n })]);
  assert.equal(res.txResults[0]!.code, 0, res.txResults[0]!.log);
  assert.ok(res.txResults[0]!.gasUsed <= (gas * 14n) / 10n);
  await close();
});

test('replaying the same blocks from genesis gives identical app hashes', async () => {
  // A deterministic pseudo-random workload: sends between the 10 dev accounts, some failing.
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const seqs = new Array(10).fill(0n) as bigint[];
  const blocks: Uint8Array[][] = [];
  for (let h = 0; h < 15; h++) {
    const txs: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const from = rand(10);
      const to = rand(10);
      const amount = rand(5) === 0 ? 10n ** 25n : BigInt(rand(1000) + 1);
      txs.push(send(from, to, amount, seqs[from]!));
      seqs[from]!++;
    }
    blocks.push(txs);
  }
  const run = async () => {
    const { app, close } = await freshApp();
    const hashes: string[] = [];
    t = 1_800_000_000n;
    for (let h = 0; h < blocks.length; h++) {
      const r = await block(app, BigInt(h + 1), blocks[h]!);
      hashes.push(Buffer.from(r.appHash).toString('hex'));
    }
    await close();
    return hashes;
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a, b);
  assert.equal(new Set(a).size, a.length, 'every block changed state, so every app hash differs');
});

test('queries at a past height, and proofs of raw keys verify against that height app hash', async () => {
  const { app, close } = await freshApp();
  await block(app, 1n, []);
  const before = balance(app, 1);
  const r2 = await block(app, 2n, [send(0, 1, 1234n, 0n)]);
  assert.equal(r2.txResults[0]!.code, 0);
  const atHeight = (h: bigint) => {
    const r = app.query({ path: '/cosmos.bank.v1beta1.Query/Balance', data: BalanceReq.encode({ address: keys[1]!.address, denom: 'udpin' }), height: h });
    assert.equal(r.code, 0, r.log);
    assert.equal(r.height, h);
    return BigInt(BalanceRes.decode(r.value).balance.amount);
  };
  assert.equal(atHeight(1n), before);
  assert.equal(atHeight(2n), before + 1234n);
  const future = app.query({ path: '/cosmos.bank.v1beta1.Query/Balance', data: BalanceReq.encode({ address: keys[1]!.address, denom: 'udpin' }), height: 9n });
  assert.equal(future.code, 26);
  // Range queries at an old height answer from that height's state (its tree), not the latest.
  const AllReq = codec<{ address: string }>('cosmos.bank.v1beta1.QueryAllBalancesRequest');
  const AllRes = codec<{ balances: { denom: string; amount: string }[] }>('cosmos.bank.v1beta1.QueryAllBalancesResponse');
  const all = (h?: bigint) => {
    const r = app.query({ path: '/cosmos.bank.v1beta1.Query/AllBalances', data: AllReq.encode({ address: keys[1]!.address }), height: h });
    assert.equal(r.code, 0, r.log);
    return AllRes.decode(r.value).balances.map((c) => [c.denom, BigInt(c.amount)]);
  };
  assert.deepEqual(all(1n), [['udpin', before]]);
  assert.deepEqual(all(2n), [['udpin', before + 1234n]]);
  assert.deepEqual(all(), all(2n));
  assert.equal(app.query({ path: '/no.such.Service/Method', data: new Uint8Array() }).code, 6);

  // Raw store key of account 1's udpin balance (bank layout: bank/ 0x02 len addr denom).
  const { fromBech32 } = await import('../../chain/crypto/address.ts');
  const { decodeProof, verifyProof } = await import('../../chain/store/proof.ts');
  const addr = fromBech32(keys[1]!.address);
  const rawKey = new Uint8Array([...new TextEncoder().encode('bank/'), 0x02, addr.length, ...addr, ...new TextEncoder().encode('udpin')]);
  for (const h of [1n, 2n]) {
    const q = app.query({ path: '/store/key', data: rawKey, height: h, prove: true });
    assert.equal(q.code, 0, q.log);
    assert.equal(new TextDecoder().decode(q.value), (h === 1n ? before : before + 1234n).toString());
    const root = app.store.rootAt(Number(h))!;
    assert.ok(verifyProof(root, rawKey, q.value, decodeProof(q.proofOps![0]!.data)));
    assert.equal(verifyProof(root, rawKey, new TextEncoder().encode('999'), decodeProof(q.proofOps![0]!.data)), false);
  }
  // The header of the next block carries this root as its app hash.
  assert.deepEqual(app.info().lastBlockAppHash, app.store.rootAt(2));
  await close();
});

test('sign modes other than DIRECT, expired timeout_height, oversize and non-canonical txs are refused', async () => {
  const { app, close } = await freshApp();
  await block(app, 1n, []);
  await block(app, 2n, []);
  const { encodeBody, encodeAuthInfo } = await import('../../chain/tx/builder.ts');
  const { TxRaw, SignDoc } = await import('../../chain/tx/types.ts');
  const { sha256 } = await import('../../chain/crypto/hash.ts');
  const { signDigest } = await import('../../chain/crypto/secp256k1.ts');
  const unsigned = { messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: keys[0]!.address, toAddress: keys[1]!.address, amount: [{ denom: 'udpin', amount: '1' }] }) }], fee: [{ denom: 'udpin', amount: '5000' }], gasLimit: 200000n };
  const sign = (bodyBytes: Uint8Array, authInfoBytes: Uint8Array) =>
    TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [signDigest(sha256(SignDoc.encode({ bodyBytes, authInfoBytes, chainId: CHAIN } as never)), keys[0]!.privateKey)] });
  // LEGACY_AMINO_JSON (127): refused with a clear message, not a signature failure.
  const amino = sign(encodeBody(unsigned), encodeAuthInfo(keys[0]!.publicKey, 0n, unsigned.fee, unsigned.gasLimit, 127));
  const r1 = app.checkTx(amino);
  assert.equal(r1.code, 37);
  assert.match(r1.log, /SIGN_MODE_LEGACY_AMINO_JSON is not supported/);
  // timeout_height 1 at height 3: expired.
  const expired = signTx({ ...unsigned, timeoutHeight: 1n }, { privateKey: keys[0]!.privateKey, chainId: CHAIN, accountNumber: 0n, sequence: 0n });
  const r2 = app.checkTx(expired);
  assert.equal(r2.code, 30, r2.log);
  const fresh = signTx({ ...unsigned, timeoutHeight: 10n }, { privateKey: keys[0]!.privateKey, chainId: CHAIN, accountNumber: 0n, sequence: 0n });
  assert.equal(app.checkTx(fresh).code, 0);
  // Oversize: refused before decoding, also inside a block.
  const big = new Uint8Array(200 * 1024);
  assert.equal(app.checkTx(big).code, 21);
  // Appending an unknown field to the unsigned envelope would change the hash: refused.
  const padded = new Uint8Array([...send(0, 1, 1n, 0n), 0x22, 0x01, 0x00]);
  const r3 = app.checkTx(padded);
  assert.equal(r3.code, 2);
  assert.match(r3.log, /canonical/);
  const r4 = app.finalizeBlock({ height: 3n, time: { seconds: t++, nanos: 0 }, txs: [big, padded, amino] });
  assert.deepEqual(r4.txResults.map((x) => x.code), [21, 2, 37]);
  await app.commit();
  await close();
});

test('exportGenesis reflects the committed state (balances, supply, accounts)', async () => {
  const { app, close } = await freshApp();
  await block(app, 1n, []);
  await block(app, 2n, [send(0, 1, 500n, 0n)]);
  const g = app.exportGenesis() as { auth: { accounts: { address: string; sequence: string; pub_key: unknown }[] }; bank: { balances: { address: string; coins: { amount: string }[] }[]; supply: { denom: string; amount: string }[] } };
  const b1 = g.bank.balances.find((b) => b.address === keys[1]!.address)!;
  assert.equal(BigInt(b1.coins[0]!.amount), balance(app, 1));
  const total = g.bank.balances.reduce((s, b) => s + BigInt(b.coins[0]!.amount), 0n);
  assert.equal(g.bank.supply[0]!.amount, total.toString(), 'supply equals the sum of balances (fees included, in fee_collector)');
  const a0 = g.auth.accounts.find((a) => a.address === keys[0]!.address)!;
  assert.equal(a0.sequence, '1');
  assert.ok(a0.pub_key, 'pubkey recorded on first signature');
  await close();
});

test('finalizeBlock with onTxResult hands over each result with its events, in order, and returns them without', async () => {
  const a = await freshApp();
  const b = await freshApp();
  try {
    const txs = [send(0, 1, 10n, 0n), send(2, 1, 10n ** 30n, 0n), send(3, 1, 30n, 0n)];
    const plain = a.app.finalizeBlock({ height: 1n, time: { seconds: 1_800_000_000n, nanos: 0 }, txs });
    const handed: { index: number; code: number; events: number }[] = [];
    const sunk = b.app.finalizeBlock({ height: 1n, time: { seconds: 1_800_000_000n, nanos: 0 }, txs, onTxResult: (r, index) => handed.push({ index, code: r.code, events: r.events.length }) });
    assert.deepEqual(handed, plain.txResults.map((r, index) => ({ index, code: r.code, events: r.events.length })));
    assert.ok(handed.every((h) => h.events > 0), 'every tx, the failed one too, has events (its fee)');
    assert.deepEqual(sunk.txResults.map((r) => ({ ...r, events: 'dropped' })), plain.txResults.map((r) => ({ ...r, events: 'dropped' })));
    assert.ok(sunk.txResults.every((r) => r.events.length === 0));
    assert.deepEqual(sunk.appHash, plain.appHash);
  } finally {
    await a.close();
    await b.close();
  }
});

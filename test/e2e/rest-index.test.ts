// REST (Cosmos paths and the index's depin views), Prometheus metrics and the live stream of a
// real depind, each answer checked against the chain's own queries: CosmJS over CometBFT RPC
// (getTx, searchTx, getBlock, balances, accounts) and the devices module's ABCI queries. The
// index is then deleted and rebuilt from the block store, and answers the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as h3 from 'h3-js';
import { SigningStargateClient, StargateClient, GasPrice } from '@cosmjs/stargate';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { makeCosmoshubPath } from '@cosmjs/amino';
import { startDevnet, waitForHeight, height, DEV_MNEMONIC, type Devnet } from '../helpers/devnet.ts';
import { registerDevice, type Registered } from '../helpers/register-device.ts';
import { depinRegistry, DevicesClient, cellToString, transferDeviceMsg, banMsg, deactivateDeviceMsg } from '../../sdk/index.ts';
import { parseExposition } from '../../node/metrics/prometheus.ts';

let net: Devnet;
let a: string; // owner A
let b: string; // owner B
let authority: string;
let client: SigningStargateClient;
let reader: StargateClient;
let devices: DevicesClient;
const regs: Registered[] = [];
let sendHash = '';

const get = async (path: string) => {
  const r = await fetch(net.rest + path);
  return { status: r.status, body: (await r.json()) as any, height: r.headers.get('x-cosmos-block-height') };
};

before(async () => {
  net = await startDevnet({ blockTimeMs: 250 });
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [makeCosmoshubPath(3), makeCosmoshubPath(4), makeCosmoshubPath(9)] });
  [a, b, authority] = (await wallet.getAccounts()).map((x) => x.address) as [string, string, string];
  client = await SigningStargateClient.connectWithSigner(net.rpc, wallet, { registry: depinRegistry(), gasPrice: GasPrice.fromString('0.025udpin'), broadcastPollIntervalMs: 100 });
  reader = await StargateClient.connect(net.rpc);
  devices = await DevicesClient.connect(net.rpc);
  regs.push(await registerDevice(client, devices, a, { lat: 48.8566, lng: 2.3522 }));
  regs.push(await registerDevice(client, devices, a, { lat: 52.52, lng: 13.405 }));
  regs.push(await registerDevice(client, devices, b, { sector: 'sensor', lat: 48.857, lng: 2.353 }));
  regs.push(await registerDevice(client, devices, b, { sector: 'storage' })); // never located
  const tr = await client.signAndBroadcast(a, [transferDeviceMsg(a, regs[1]!.id, b)], 'auto');
  assert.equal(tr.code, 0, tr.rawLog ?? '');
  const ban = await client.signAndBroadcast(authority, [banMsg(authority, 1, regs[2]!.id.toString(), 7, new Uint8Array(32).fill(1), 1000n)], 'auto');
  assert.equal(ban.code, 0, ban.rawLog ?? '');
  const off = await client.signAndBroadcast(b, [deactivateDeviceMsg(b, regs[3]!.id)], 'auto');
  assert.equal(off.code, 0, off.rawLog ?? '');
  const send = await client.sendTokens(a, b, [{ denom: 'udpin', amount: '12345' }], 'auto', 'rest-index test');
  assert.equal(send.code, 0);
  sendHash = send.transactionHash;
  // the index follows the block store; wait until it has the last tx
  for (;;) {
    const s = await get('/depin/indexer/v1/status');
    if (BigInt(s.body.as_of_height) >= BigInt(send.height)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  if (process.env.DEBUG_DEPIND) console.log(net.output());
  client?.disconnect();
  reader?.disconnect();
  devices?.disconnect();
  await net.stop();
  net.cleanup();
  rmSync(net.home, { recursive: true, force: true }); // after the restart the helper no longer owns it
});

test('Cosmos REST tx, txs-by-events, block, node info, balances and accounts agree with CosmJS over RPC', async () => {
  const viaRpc = (await reader.getTx(sendHash))!;
  const t = await get(`/cosmos/tx/v1beta1/txs/${sendHash}`);
  assert.equal(t.status, 200);
  assert.equal(t.body.tx_response.txhash, sendHash);
  assert.equal(t.body.tx_response.height, String(viaRpc.height));
  assert.equal(t.body.tx_response.code, viaRpc.code);
  assert.equal(t.body.tx_response.gas_used, String(viaRpc.gasUsed));
  assert.equal(t.body.tx_response.gas_wanted, String(viaRpc.gasWanted));
  assert.deepEqual(t.body.tx_response.events.map((e: any) => [e.type, e.attributes.map((x: any) => [x.key, x.value])]), viaRpc.events.map((e) => [e.type, e.attributes.map((x) => [x.key, x.value])]));
  assert.equal(t.body.tx.body.memo, 'rest-index test');
  assert.deepEqual(t.body.tx.body.messages, [{ '@type': '/cosmos.bank.v1beta1.MsgSend', from_address: a, to_address: b, amount: [{ denom: 'udpin', amount: '12345' }] }]);
  assert.equal(t.body.tx_response.tx['@type'], '/cosmos.tx.v1beta1.Tx');
  const blk = await reader.getBlock(viaRpc.height);
  assert.equal(Date.parse(t.body.tx_response.timestamp), Date.parse(blk.header.time));
  assert.equal((await get(`/cosmos/tx/v1beta1/txs/0x${sendHash.toLowerCase()}`)).body.tx_response.txhash, sendHash);
  const missing = await get(`/cosmos/tx/v1beta1/txs/${'AB'.repeat(32)}`);
  assert.deepEqual([missing.status, missing.body.code], [404, 5]);
  assert.equal((await get('/cosmos/tx/v1beta1/txs/xyz')).status, 400);

  // GetTxsEvent: the same txs, in the same order, as CosmJS searchTx.
  const q = `message.sender='${a}'`;
  const rpcFound = await reader.searchTx(q);
  const restFound = await get(`/cosmos/tx/v1beta1/txs?query=${encodeURIComponent(q)}&limit=100`);
  assert.equal(restFound.status, 200);
  assert.ok(rpcFound.length >= 4);
  assert.deepEqual(restFound.body.tx_responses.map((x: any) => x.txhash), rpcFound.map((x) => x.hash));
  assert.equal(restFound.body.total, String(rpcFound.length));
  assert.equal(restFound.body.txs.length, rpcFound.length);
  const viaEvents = await get(`/cosmos/tx/v1beta1/txs?events=${encodeURIComponent(`message.sender='${a}'`)}`);
  assert.deepEqual(viaEvents.body.tx_responses.map((x: any) => x.txhash), rpcFound.map((x) => x.hash));
  const p2 = await get(`/cosmos/tx/v1beta1/txs?query=${encodeURIComponent(q)}&page=2&limit=2`);
  assert.deepEqual(p2.body.tx_responses.map((x: any) => x.txhash), rpcFound.slice(2, 4).map((x) => x.hash));
  const off = await get(`/cosmos/tx/v1beta1/txs?query=${encodeURIComponent(q)}&pagination.offset=1&pagination.limit=2`);
  assert.deepEqual(off.body.tx_responses.map((x: any) => x.txhash), rpcFound.slice(1, 3).map((x) => x.hash));
  const desc = await get(`/cosmos/tx/v1beta1/txs?query=${encodeURIComponent(q)}&order_by=ORDER_BY_DESC`);
  assert.deepEqual(desc.body.tx_responses.map((x: any) => x.txhash), rpcFound.map((x) => x.hash).reverse());
  const beyond = await get(`/cosmos/tx/v1beta1/txs?query=${encodeURIComponent(q)}&page=99&limit=10`);
  assert.deepEqual([beyond.status, beyond.body.tx_responses.length, beyond.body.total], [200, 0, String(rpcFound.length)]);
  assert.equal((await get('/cosmos/tx/v1beta1/txs')).status, 400);
  assert.equal((await get(`/cosmos/tx/v1beta1/txs?query=${encodeURIComponent("message.sender='x' OR a='b'")}`)).status, 400);

  // Blocks by height and the latest, against CosmJS getBlock.
  const h = viaRpc.height;
  const rb = await get(`/cosmos/base/tendermint/v1beta1/blocks/${h}`);
  assert.equal(Buffer.from(rb.body.block_id.hash, 'base64').toString('hex').toUpperCase(), blk.id);
  assert.equal(rb.body.block.header.height, String(h));
  assert.equal(rb.body.block.header.chain_id, blk.header.chainId);
  assert.equal(Date.parse(rb.body.block.header.time), Date.parse(blk.header.time));
  assert.deepEqual(rb.body.block.data.txs, blk.txs.map((x) => Buffer.from(x).toString('base64')));
  assert.match(rb.body.sdk_block.header.proposer_address, /^depinvalcons1/);
  const latest = await get('/cosmos/base/tendermint/v1beta1/blocks/latest');
  assert.ok(BigInt(latest.body.block.header.height) >= BigInt(h));
  assert.equal((await get('/cosmos/base/tendermint/v1beta1/blocks/99999999')).status, 404);

  const ni = await get('/cosmos/base/tendermint/v1beta1/node_info');
  const comet = await reader.getChainId();
  assert.equal(ni.body.default_node_info.network, comet);
  assert.equal((await get('/cosmos/base/tendermint/v1beta1/syncing')).body.syncing, false);

  const bal = await get(`/cosmos/bank/v1beta1/balances/${b}`);
  assert.deepEqual(bal.body.balances, (await reader.getAllBalances(b)).map((c) => ({ denom: c.denom, amount: c.amount })));
  const acc = await get(`/cosmos/auth/v1beta1/accounts/${a}`);
  const rpcAcc = (await reader.getAccount(a))!;
  assert.deepEqual([acc.body.account.account_number, acc.body.account.sequence], [String(rpcAcc.accountNumber), String(rpcAcc.sequence)]);
});

test('depin index endpoints agree with the devices module\'s ABCI queries and say the height they are as of', async () => {
  const tip = await height(net.rpc);
  for (const r of regs) {
    const view = await get(`/depin/indexer/v1/devices/${r.id}`);
    assert.equal(view.status, 200);
    const asOf = BigInt(view.body.as_of_height);
    assert.ok(asOf > 0n && asOf <= (await height(net.rpc)), 'as_of_height is an indexed height');
    assert.equal(view.height, view.body.as_of_height, 'the header says the same height');
    const abci = await devices.device(r.id);
    const d = view.body.device;
    assert.equal(d.owner, abci.device.owner);
    assert.equal(d.cell, abci.device.locationCell ? cellToString(abci.device.locationCell) : '');
    assert.equal(d.active, abci.active, `device ${r.id} active`);
    assert.equal(d.inactive_reason, abci.inactiveReason ?? '', `device ${r.id} reason`);
    assert.equal(d.registered_height, String(abci.device.registeredHeight));
    assert.equal(d.location_count, Number(abci.device.locationCount));
    assert.equal(d.did, abci.did);
    const hist = await get(`/depin/indexer/v1/devices/${r.id}/locations`);
    const abciHist = await devices.locationHistory(r.id);
    assert.deepEqual(hist.body.locations.map((l: any) => [l.cell, l.height]), abciHist.records.map((x: any) => [cellToString(x.cell), String(x.height)]));
  }
  for (const owner of [a, b]) {
    const view = await get(`/depin/indexer/v1/owners/${owner}/devices`);
    const abci = await devices.devicesByOwner(owner);
    assert.deepEqual(view.body.devices.map((x: any) => x.id), abci.devices.map((x: any) => String(x.device.id)));
  }
  const paris5 = h3.cellToParent(cellToString(regs[0]!.cell!), 5);
  const byCell = await get(`/depin/indexer/v1/cells/${paris5}/devices`);
  assert.deepEqual(byCell.body.devices.map((x: any) => x.id).sort(), (await devices.devicesByCell(paris5)).devices.map((x: any) => String(x.device.id)).sort());
  assert.equal(byCell.body.devices.length, 2);
  // Coverage cells: each cell's count is what the module's cell query finds inside it.
  const cov = await get('/depin/indexer/v1/coverage?res=5');
  assert.deepEqual(cov.body.cells.map((c: any) => c.cell).sort(), [paris5, h3.cellToParent(cellToString(regs[1]!.cell!), 5)].sort());
  for (const c of cov.body.cells) {
    assert.equal(c.devices, (await devices.devicesByCell(c.cell)).devices.length);
    assert.ok(c.density > 0 && c.area_km2 > 0);
  }
  const parisCell = cov.body.cells.find((c: any) => c.cell === paris5);
  assert.deepEqual([parisCell.devices, parisCell.active, parisCell.by_sector.sensor], [2, 1, 1], 'the banned sensor is not active');
  const bans = await get(`/depin/indexer/v1/devices/${regs[2]!.id}/bans`);
  assert.deepEqual(bans.body.bans.map((x: any) => [x.action, x.reason_code]), [['ban', 7]]);
  // Cosmos pagination: limit, count_total, next_key, offset, reverse.
  const all = (await get('/depin/indexer/v1/devices?pagination.limit=100')).body.devices.map((x: any) => x.id);
  assert.deepEqual(all, regs.map((r) => String(r.id)));
  const first = await get('/depin/indexer/v1/devices?pagination.limit=3&pagination.count_total=true');
  assert.equal(first.body.pagination.total, String(regs.length));
  const rest = await get(`/depin/indexer/v1/devices?pagination.limit=3&pagination.key=${encodeURIComponent(first.body.pagination.next_key)}`);
  assert.deepEqual([...first.body.devices, ...rest.body.devices].map((x: any) => x.id), all);
  assert.equal(rest.body.pagination.next_key, null);
  assert.deepEqual((await get('/depin/indexer/v1/devices?pagination.offset=1&pagination.limit=2')).body.devices.map((x: any) => x.id), all.slice(1, 3));
  assert.deepEqual((await get('/depin/indexer/v1/devices?pagination.reverse=true')).body.devices.map((x: any) => x.id), [...all].reverse());
  assert.deepEqual((await get('/depin/indexer/v1/devices?sector=sensor')).body.devices.map((x: any) => x.id), [String(regs[2]!.id)]);
  assert.deepEqual((await get(`/depin/indexer/v1/devices?q=${encodeURIComponent(regs[0]!.res.events.find((e) => e.type === 'device_registered')!.attributes.find((x) => x.key === 'did')!.value)}`)).body.devices.map((x: any) => x.id), [String(regs[0]!.id)]);
  const bad = await get('/depin/indexer/v1/devices?pagination.offset=1&pagination.key=AAAA');
  assert.deepEqual([bad.status, bad.body.code], [400, 3]);
  const nf = await get('/depin/indexer/v1/devices/424242');
  assert.deepEqual([nf.status, nf.body.code], [404, 5]);
  assert.ok(nf.body.as_of_height, 'a not-found still says as of which height');
  assert.equal((await get('/depin/indexer/v1/devices/abc')).status, 400);
  // Answers are cached per indexed height, never served past it.
  const c1 = await get('/depin/indexer/v1/coverage?res=3');
  const c2 = await get('/depin/indexer/v1/coverage?res=3');
  assert.ok(BigInt(c2.body.as_of_height) >= BigInt(c1.body.as_of_height));
  assert.equal(c2.height, c2.body.as_of_height);
  await waitForHeight(net.rpc, BigInt(c2.body.as_of_height) + 2n);
  for (;;) {
    const c3 = await get('/depin/indexer/v1/coverage?res=3');
    if (BigInt(c3.body.as_of_height) > BigInt(c2.body.as_of_height)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const st = await get('/depin/indexer/v1/status');
  assert.deepEqual([st.body.sources.devices, st.body.sources.proofs, st.body.sources.earnings], [true, true, true]);
  // Empty-but-honest views of the modules not merged yet.
  const proofs = await get(`/depin/indexer/v1/devices/${regs[0]!.id}/proofs`);
  assert.deepEqual(proofs.body.proofs, []);
  const ov = await get('/depin/indexer/v1/overview');
  assert.deepEqual([ov.body.devices.total, ov.body.devices.located, ov.body.devices.banned, ov.body.devices.deactivated], ['4', '3', '1', '1']);
  assert.equal(ov.body.validators.bonded, 1);
  assert.ok(BigInt(ov.body.node_height) >= tip);
});

test('metrics scrape and parse; queue times; OpenAPI lists every route', async () => {
  const text = await (await fetch(net.metrics)).text();
  const samples = parseExposition(text);
  const one = (name: string, labels: Record<string, string> = {}) => {
    const s = samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    assert.equal(s.length, 1, `${name} ${JSON.stringify(labels)}`);
    return s[0]!.value;
  };
  const h = one('depin_block_height');
  assert.ok(h >= 8);
  assert.ok(one('depin_index_height') <= h);
  assert.ok(one('depin_txs_total', { result: 'ok' }) >= 11, 'every tx of this test (11) was counted');
  assert.ok(one('depin_block_interval_seconds_count') >= h - 2);
  assert.ok(one('depin_block_interval_seconds_bucket', { le: '+Inf' }) === one('depin_block_interval_seconds_count'));
  assert.equal(one('depin_mempool_size'), 0);
  assert.equal(one('depin_p2p_peers'), 0);
  assert.equal(one('depin_consensus_rounds'), 1);
  assert.equal(one('depin_checkpoint_lag_blocks'), h, 'no checkpoint acknowledged: the whole chain is unanchored');
  assert.deepEqual([one('depin_devices', { sector: 'coverage' }), one('depin_devices', { sector: 'sensor' }), one('depin_devices', { sector: 'storage' })], [2, 1, 1]);
  assert.ok(one('depin_tx_queue_seconds_count') >= 11);
  assert.match(text, /# TYPE depin_proofs_total counter/);
  assert.match(text, /# TYPE depin_block_interval_seconds histogram/);

  const qt = await get(`/depin/indexer/v1/queue_times?hash=${sendHash}`);
  assert.equal(qt.status, 200);
  const tx = (await reader.getTx(sendHash))!;
  assert.equal(qt.body.tx.height, String(tx.height));
  assert.ok(qt.body.tx.ms >= 0 && qt.body.tx.ms < 30_000);
  assert.ok(qt.body.summary.count >= 11 && qt.body.summary.p99_ms >= qt.body.summary.p50_ms);

  const routes = (await get('/')).body.routes as { path: string }[];
  const doc = (await get('/openapi.json')).body;
  assert.equal(doc.openapi, '3.0.3');
  assert.ok(routes.length >= 40);
  for (const r of routes) {
    assert.ok(doc.paths[r.path], `OpenAPI lists ${r.path}`);
    assert.ok(doc.paths[r.path].get.responses['200'], `${r.path} documents its 200`);
  }
  assert.equal(Object.keys(doc.paths).length, routes.length);
  assert.ok(doc.paths['/depin/indexer/v1/devices'].get.parameters.some((p: any) => p.name === 'pagination.key'));
  assert.ok(doc.components.schemas['cosmos.bank.v1beta1.QueryAllBalancesResponse']);
});

test('the websocket sends every indexed block as JSON {type: "block", ...}; a plain GET there is 426', async () => {
  const ws = new WebSocket(`${net.rest.replace(/^http/, 'ws')}/depin/indexer/v1/websocket`);
  const heights: bigint[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${heights.length} messages in 4 s`)), 4000);
    ws.on('message', (m) => {
      const d = JSON.parse(String(m));
      assert.equal(d.type, 'block');
      assert.ok(BigInt(d.node_height) >= BigInt(d.indexed_height));
      heights.push(BigInt(d.indexed_height));
      if (heights.length >= 5) {
        clearTimeout(timer);
        resolve();
      }
    });
    ws.on('error', reject);
  });
  ws.close();
  for (let i = 2; i < heights.length; i++) assert.equal(heights[i], heights[i - 1]! + 1n, 'one message per block, in order');
  const plain = await fetch(`${net.rest}/depin/indexer/v1/websocket`);
  assert.equal(plain.status, 426);
  // Unknown paths do not upgrade.
  const stray = new WebSocket(`${net.rest.replace(/^http/, 'ws')}/depin/indexer/v1/status`);
  await new Promise<void>((resolve) => {
    stray.on('error', () => resolve());
    stray.on('open', () => assert.fail('a non-websocket route upgraded'));
  });
});

test('the stream sends every indexed block; a deleted index is rebuilt from the block store and answers the same', async () => {
  const ac = new AbortController();
  const res = await fetch(`${net.rest}/depin/indexer/v1/stream`, { signal: ac.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const heights: bigint[] = [];
  const reader2 = res.body!.getReader();
  let buf = '';
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && heights.length < 5) {
    const { value, done } = await reader2.read();
    if (done) break;
    buf += Buffer.from(value).toString();
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = /^data: (.*)$/m.exec(ev)?.[1];
      if (/^event: block$/m.test(ev) && data) heights.push(BigInt(JSON.parse(data).indexed_height));
    }
  }
  ac.abort();
  assert.ok(heights.length >= 3, `got ${heights.length} events`);
  for (let i = 2; i < heights.length; i++) assert.equal(heights[i], heights[i - 1]! + 1n, 'one event per block, in order');

  const paths = [...regs.map((r) => `/depin/indexer/v1/devices/${r.id}`), '/depin/indexer/v1/coverage?res=7', `/depin/indexer/v1/devices/${regs[1]!.id}/locations`, '/depin/indexer/v1/devices?pagination.limit=100'];
  const strip = (x: any) => {
    const { as_of_height: _h, ...rest } = x;
    return rest;
  };
  const before = await Promise.all(paths.map(async (p) => strip((await get(p)).body)));
  const home = net.home;
  await net.stop();
  rmSync(join(home, 'data', 'index.db'), { recursive: true, force: true });
  net = await startDevnet({ home, blockTimeMs: 250 });
  const tip = await height(net.rpc);
  await waitForHeight(net.rpc, tip);
  for (;;) {
    const s = await get('/depin/indexer/v1/status');
    if (BigInt(s.body.as_of_height) >= tip) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const afterRebuild = await Promise.all(paths.map(async (p) => strip((await get(p)).body)));
  // Device rows carry no height-dependent fields except through bans; the ban here lasts 1,000 blocks.
  assert.deepEqual(afterRebuild, before);
  // the rebuilt tx index finds the tx again
  assert.equal((await get(`/cosmos/tx/v1beta1/txs/${sendHash}`)).body.tx_response.txhash, sendHash);
});

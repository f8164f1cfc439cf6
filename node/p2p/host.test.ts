// Gossip over real libp2p on loopback: bootstrap + peer exchange to a full mesh, delivery on
// every topic, duplicate suppression, tx batching, persistent identity and redial.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHost, waitFor, waitForMesh, stopAll, rng, randomBytes } from '../../test/helpers/p2p.ts';
import { ALL_TOPICS, TOPIC } from './topics.ts';
import { TxGossip, encodeTxBatch, decodeTxBatch } from './tx-gossip.ts';
import { loadOrCreateNodeKey } from './node-key.ts';
import { parsePeerAddr, type P2PHost } from './host.ts';
import { WireError } from './wire.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('4 nodes gossiping over loopback TCP', () => {
  let hosts: P2PHost[] = [];
  /** deliveries[node] = "topic|payload|from" in arrival order */
  const deliveries: string[][] = [[], [], [], []];
  const txBatches: Uint8Array[][][] = [[], [], [], []];
  const gossips: TxGossip[] = [];

  before(async () => {
    const setup = async (i: number, bootstrapPeers: string[]) => {
      const h = await makeHost({ bootstrapPeers });
      for (const t of ALL_TOPICS) if (t !== TOPIC.txs) h.subscribe(t, { onMessage: (d, from) => void deliveries[i]!.push(`${t}|${dec(d)}|${from}`) });
      gossips[i] = new TxGossip(h, { onTxs: (txs) => (txBatches[i]!.push(txs), 'accept') });
      await h.start();
      return h;
    };
    const boot = await setup(0, []);
    // Nodes 1-3 only know the bootstrap node; peer exchange must complete the mesh.
    hosts = [boot, ...(await Promise.all([1, 2, 3].map((i) => setup(i, [boot.listenAddrs()[0]!]))))];
    await waitFor('full mesh via peer exchange', () => hosts.every((h) => h.connectedPeers().length === 3));
    await waitForMesh(hosts, ALL_TOPICS);
  });

  after(() => stopAll(hosts));

  test('bootstrap + peer exchange connect all 4 nodes; net_info lists each peer once', () => {
    for (const h of hosts) {
      const peers = h.peers();
      assert.equal(peers.length, 3);
      assert.deepEqual(peers.map((p) => p.peerId).sort(), hosts.filter((x) => x !== h).map((x) => x.peerId).sort());
      for (const p of peers) {
        assert.match(p.remoteAddr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+/);
        assert.ok(p.direction === 'inbound' || p.direction === 'outbound');
        assert.ok(p.connectedSince > 0 && p.connectedSince <= Date.now());
        assert.equal(p.score, 0);
      }
    }
  });

  test('every topic delivers each message to all other nodes exactly once', async () => {
    const topics = ALL_TOPICS.filter((t) => t !== TOPIC.txs);
    for (const t of topics) {
      for (let i = 0; i < 4; i++) assert.equal(await hosts[i]!.publish(t, enc(`m-${t}-${i}`)), 3, `publish on ${t} from ${i} reaches 3 peers`);
    }
    const expected = topics.length * 3;
    await waitFor('all deliveries', () => deliveries.every((d) => d.filter((x) => x.includes('|m-')).length >= expected));
    await new Promise((r) => setTimeout(r, 200)); // room for stray duplicates to show up
    deliveries.forEach((d, i) => {
      const got = d.filter((x) => x.includes('|m-')).map((x) => x.split('|').slice(0, 2).join('|')).sort();
      const want = topics.flatMap((t) => [0, 1, 2, 3].filter((j) => j !== i).map((j) => `${t}|m-${t}-${j}`)).sort();
      assert.deepEqual(got, want, `node ${i}`);
    });
  });

  test('the same bytes published by two nodes at once reach each app once', async () => {
    const payload = enc('same-vote-bytes');
    const sent = await Promise.all([hosts[1]!.publish(TOPIC.vote, payload), hosts[2]!.publish(TOPIC.vote, payload)]);
    assert.ok(sent[0]! > 0 && sent[1]! > 0, 'both copies go out');
    await waitFor('nodes 0 and 3 receive it', () => [0, 3].every((i) => deliveries[i]!.some((x) => x.includes('|same-vote-bytes|'))));
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 4; i++) {
      const n = deliveries[i]!.filter((x) => x.includes('|same-vote-bytes|')).length;
      assert.ok(n <= 1, `node ${i} delivered the duplicate ${n} times`);
      if (i === 0 || i === 3) assert.equal(n, 1);
    }
    // Publishing bytes this node has already seen is a no-op, not an error.
    assert.equal(await hosts[0]!.publish(TOPIC.vote, payload), 0);
    // The topic is part of the message id: the same bytes on another topic are another message
    // (so bytes rejected on one topic cannot shadow a valid message on another).
    assert.equal(await hosts[0]!.publish(TOPIC.proposal, payload), 3);
    await waitFor('same bytes on the proposal topic', () => [1, 2, 3].every((i) => deliveries[i]!.some((x) => x.startsWith(`${TOPIC.proposal}|same-vote-bytes|`))));
  });

  test('txs travel in batches, not one gossip message per tx', async () => {
    const next = rng(7);
    const txs = Array.from({ length: 3000 }, () => randomBytes(next, 200));
    for (const tx of txs) gossips[0]!.broadcast(tx);
    await gossips[0]!.flush();
    const want = new Set(txs.map((t) => Buffer.from(t).toString('hex')));
    await waitFor('3000 txs on nodes 1-3', () => [1, 2, 3].every((i) => txBatches[i]!.flat().length >= 3000));
    const { batches } = gossips[0]!.sent;
    // 3000 × (200 + 4) bytes in 64 KiB batches: 10 batches.
    assert.ok(batches >= 9 && batches <= 12, `${batches} batches`);
    for (const i of [1, 2, 3]) {
      assert.equal(txBatches[i]!.length, batches, `node ${i} got every batch once`);
      const got = txBatches[i]!.flat().map((t) => Buffer.from(t).toString('hex'));
      assert.equal(got.length, 3000);
      assert.ok(got.every((h) => want.has(h)));
    }
    // A lone tx goes out after the flush timer as a batch of one.
    const t0 = Date.now();
    gossips[3]!.broadcast(enc('lonely tx'));
    await waitFor('lone tx', () => txBatches[0]!.some((b) => b.length === 1 && dec(b[0]!) === 'lonely tx'));
    assert.ok(Date.now() - t0 < 2000);
  });
});

test('tx batch codec rejects malformed input', () => {
  const good = encodeTxBatch([enc('a'), enc('bc')]);
  assert.deepEqual(decodeTxBatch(good).map(dec), ['a', 'bc']);
  assert.throws(() => decodeTxBatch(good.subarray(0, good.length - 1)), WireError, 'truncated');
  assert.throws(() => decodeTxBatch(new Uint8Array([...good, 0])), WireError, 'trailing');
  assert.throws(() => decodeTxBatch(encodeTxBatch([])), WireError, 'empty');
  assert.throws(() => decodeTxBatch(encodeTxBatch([new Uint8Array()])), WireError, 'empty tx');
  assert.throws(() => decodeTxBatch(new Uint8Array([0xff, 0xff, 0xff, 0xff])), WireError, 'huge count');
  assert.throws(() => decodeTxBatch(encodeTxBatch([new Uint8Array(10)]), { maxBatchTxs: 10, maxTxBytes: 9 }), WireError, 'tx too large');
});

test('peer addresses must name the peer', () => {
  assert.throws(() => parsePeerAddr('/ip4/127.0.0.1/tcp/26656'), /no \/p2p/);
  assert.throws(() => parsePeerAddr('not a multiaddr'), /invalid peer address/);
  assert.throws(() => parsePeerAddr('/ip4/127.0.0.1/tcp/26656/p2p/notapeerid'));
});

test('node_key.json keeps the peer id across restarts; a persistent peer is redialed after it restarts', async () => {
  const home = mkdtempSync(join(tmpdir(), 'p2p-key-'));
  const keyPath = join(home, 'config', 'node_key.json');
  const hosts: P2PHost[] = [];
  try {
    const k1 = await loadOrCreateNodeKey(keyPath);
    assert.equal(statSync(keyPath).mode & 0o777, 0o600, 'key file is private');
    const b1 = await makeHost({ privateKey: k1.privateKey });
    await b1.start();
    hosts.push(b1);
    assert.equal(b1.peerId, k1.peerId);
    const addr = b1.listenAddrs()[0]!;
    const a = await makeHost({ persistentPeers: [addr] });
    await a.start();
    hosts.push(a);
    await waitFor('a connects to its persistent peer', () => a.connectedPeers().includes(b1.peerId));
    assert.equal(a.peers()[0]!.persistent, true);

    await b1.stop();
    await waitFor('a sees b go', () => !a.connectedPeers().includes(b1.peerId));
    // Restart b from the same home, on the same port: same key file, same peer id.
    const k2 = await loadOrCreateNodeKey(keyPath);
    assert.equal(k2.peerId, k1.peerId);
    const port = parsePeerAddr(addr).addr.getComponents().find((c) => c.name === 'tcp')!.value;
    const b2 = await makeHost({ privateKey: k2.privateKey, listen: [`/ip4/127.0.0.1/tcp/${port}`] });
    await b2.start();
    hosts.push(b2);
    assert.equal(b2.peerId, b1.peerId);
    await waitFor('a redials b after its restart', () => a.connectedPeers().includes(b2.peerId));

    // A key file whose id does not match its key is refused with a clear error.
    const f = JSON.parse(readFileSync(keyPath, 'utf8'));
    f.id = hosts[1]!.peerId;
    writeFileSync(keyPath, JSON.stringify(f));
    await assert.rejects(loadOrCreateNodeKey(keyPath), /does not match the key/);
  } finally {
    await stopAll(hosts);
    rmSync(home, { recursive: true, force: true });
  }
});

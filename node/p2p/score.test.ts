// Peer scoring on real libp2p nodes: a peer gossiping garbage or sending malformed requests is
// penalised, disconnected and refused, while the honest peers keep exchanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHost, waitFor, waitForMesh, stopAll, rng, randomBytes } from '../../test/helpers/p2p.ts';
import { TOPIC, PROTOCOL } from './topics.ts';
import { TxGossip } from './tx-gossip.ts';
import { PeerScorer, PENALTY } from './peer-score.ts';
import { serveChain, DEFAULT_PROTOCOL_LIMITS } from './protocols.ts';
import { RequestError } from './reqresp.ts';
import type { P2PHost } from './host.ts';

test('a peer gossiping garbage is rejected, loses gossip score, is disconnected and banned; honest peers keep exchanging', async () => {
  const hosts: P2PHost[] = [];
  try {
    const received: Uint8Array[][] = [[], [], []];
    const honest: P2PHost[] = [];
    for (let i = 0; i < 3; i++) {
      const h = await makeHost({ bootstrapPeers: honest.length ? [honest[0]!.listenAddrs()[0]!] : [] });
      const g = new TxGossip(h, { onTxs: (txs) => (received[i]!.push(...txs), 'accept') });
      (h as P2PHost & { g?: TxGossip }).g = g;
      await h.start();
      honest.push(h);
      hosts.push(h);
    }
    // The attacker accepts anything on its side and publishes bytes that are not a tx batch.
    const evil = await makeHost({ bootstrapPeers: [honest[0]!.listenAddrs()[0]!] });
    evil.subscribe(TOPIC.txs);
    await evil.start();
    hosts.push(evil);
    await waitFor('4 nodes fully connected', () => hosts.every((h) => h.connectedPeers().length === 3));
    await waitForMesh(hosts, [TOPIC.txs]);

    const next = rng(99);
    for (let i = 0; i < 5; i++) assert.ok((await evil.publish(TOPIC.txs, randomBytes(next, 300))) > 0);
    await waitFor('every honest node bans the attacker', () => honest.every((h) => h.scorer.isBanned(evil.peerId)), 8000);
    await waitFor('the attacker is disconnected', () => honest.every((h) => !h.connectedPeers().includes(evil.peerId)) && evil.connectedPeers().length === 0);
    for (const h of honest) {
      const ban = h.scorer.bans().find((b) => b.peerId === evil.peerId)!;
      assert.match(ban.reason, /gossip score -\d+/);
      assert.ok(h.gossipScore(evil.peerId) < -80, `attacker gossip score ${h.gossipScore(evil.peerId)}`);
      // Honest peers never forwarded the garbage, so they keep a clean score.
      for (const o of honest) if (o !== h) {
        assert.ok(h.gossipScore(o.peerId) >= 0, `honest peer score ${h.gossipScore(o.peerId)}`);
        assert.equal(h.scorer.score(o.peerId), 0);
      }
    }
    assert.equal(received.flat().length, 0, 'no garbage reached the application');

    // The ban holds: a redial is refused and leaves no connection behind.
    await evil.dial(honest[1]!.listenAddrs()[0]!).catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!honest[1]!.connectedPeers().includes(evil.peerId));

    // Honest peers still exchange txs.
    (honest[2] as P2PHost & { g: TxGossip }).g.broadcast(new TextEncoder().encode('honest tx'));
    await waitFor('honest tx delivered', () => [0, 1].every((i) => received[i]!.some((t) => new TextDecoder().decode(t) === 'honest tx')));
  } finally {
    await stopAll(hosts);
  }
});

test('malformed requests cost the requester until it is banned', async () => {
  const server = await makeHost();
  await serveChain(server, { status: () => ({ height: 0n, latestBlockHash: new Uint8Array(), earliestHeight: 0n }), block: async () => undefined, tx: () => undefined });
  await server.start();
  const client = await makeHost({ persistentPeers: [] });
  await client.start();
  try {
    await client.dial(server.listenAddrs()[0]!);
    const bad = new Uint8Array([0, 0, 0, 3, 1, 2]); // claims 3 hashes, carries 2 bytes
    const errors: string[] = [];
    for (let i = 0; i < 5; i++) {
      try {
        await client.request(server.peerId, PROTOCOL.fetchTxs, bad, DEFAULT_PROTOCOL_LIMITS.fetchTxs);
      } catch (err) {
        errors.push((err as RequestError).kind);
      }
    }
    // The server answers each with an error and a penalty; the fifth crosses the ban threshold.
    assert.deepEqual(errors.slice(0, 4), ['remote-error', 'remote-error', 'remote-error', 'remote-error']);
    assert.equal(errors.length, 5);
    await waitFor('server drops the client', () => !server.connectedPeers().includes(client.peerId));
    assert.ok(server.scorer.isBanned(client.peerId));
  } finally {
    await stopAll([server, client]);
  }
});

test('application score decays, bans expire and start clean', () => {
  let now = 1_000_000;
  const s = new PeerScorer({ banThreshold: -100, banMs: 60_000, decayPerSecond: 0.5 }, () => now);
  const banned: string[] = [];
  s.onBan = (p) => banned.push(p);
  s.penalize('p', PENALTY.badResponse, 'x');
  assert.equal(s.score('p'), -50);
  now += 1000;
  assert.equal(s.score('p'), -25);
  s.penalize('p', PENALTY.provablyFalse, 'lie');
  assert.ok(s.isBanned('p'));
  assert.deepEqual(banned, ['p']);
  now += 59_000;
  assert.ok(s.isBanned('p'));
  now += 1001;
  assert.ok(!s.isBanned('p'));
  assert.equal(s.score('p'), 0);
  assert.throws(() => s.penalize('p', -5, 'reward?'), RangeError);
});

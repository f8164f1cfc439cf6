// Request/response protocols over real libp2p streams: status, block sync of a range from a
// real LevelDB block store, tx fetch by hash; a lying peer is detected and banned, a silent
// peer times out and the client moves on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { sha256 } from '../../chain/crypto/hash.ts';
import { BlockStore } from '../store/block-store.ts';
import { BlockCodec, CommitCodec } from '../store/block-types.ts';
import { makeHost, waitFor, stopAll, rng, randomBytes, buildChain, verifySyncedBlock } from '../../test/helpers/p2p.ts';
import { serveChain, DEFAULT_PROTOCOL_LIMITS, type ChainSource, type ProtocolLimitsSet, type BlockEntry } from './protocols.ts';
import { SyncClient, LyingPeerError } from './sync-client.ts';
import { PROTOCOL } from './topics.ts';
import { RequestError } from './reqresp.ts';
import { hex, equalBytes } from './wire.ts';
import type { BlockID } from '../store/block-types.ts';
import type { P2PHost } from './host.ts';

const LIMITS: ProtocolLimitsSet = {
  ...DEFAULT_PROTOCOL_LIMITS,
  syncBlocks: { ...DEFAULT_PROTOCOL_LIMITS.syncBlocks, maxBlocksPerRequest: 8 },
  fetchTxs: { ...DEFAULT_PROTOCOL_LIMITS.fetchTxs, timeoutMs: 1000 },
};

test('block sync of a range from a real block store; a peer serving tampered blocks is banned and the range completes from an honest one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'p2p-sync-'));
  const db = new Level<Uint8Array, Uint8Array>(join(dir, 'chain.db'), { keyEncoding: 'view', valueEncoding: 'view' });
  const hosts: P2PHost[] = [];
  try {
    const next = rng(5);
    const { key, blocks } = buildChain(40, (h) => Array.from({ length: 1 + (h % 7) }, () => randomBytes(next, 150)));
    const store = await BlockStore.open(db);
    for (const b of blocks) await store.saveBlock(b.block, b.blockId, b.commit);
    const honestSource: ChainSource = {
      status: () => ({ height: store.height(), latestBlockHash: blocks.at(-1)!.blockId.hash, earliestHeight: store.base() }),
      block: async (h) => {
        const s = await store.loadBlock(h);
        const c = await store.loadCommit(h);
        return s && c ? { block: BlockCodec.encode(s.block), commit: CommitCodec.encode(c) } : undefined;
      },
      tx: () => undefined,
    };
    // Same status, but every block it serves has one tx swapped (the header and commit are the real ones).
    const tamperingSource: ChainSource = {
      ...honestSource,
      block: async (h) => {
        const b = await honestSource.block(h);
        if (!b) return b;
        const block = BlockCodec.decode(b.block);
        block.txs[0] = randomBytes(next, 150);
        return { block: BlockCodec.encode(block), commit: b.commit };
      },
    };
    const honest = await makeHost();
    await serveChain(honest, honestSource, LIMITS);
    const liar = await makeHost();
    await serveChain(liar, tamperingSource, LIMITS);
    const behind = await makeHost(); // a node at height 0: must not be asked for blocks
    await serveChain(behind, { status: () => ({ height: 0n, latestBlockHash: new Uint8Array(), earliestHeight: 0n }), block: async () => undefined, tx: () => undefined }, LIMITS);
    const client = await makeHost();
    hosts.push(honest, liar, behind, client);
    for (const h of hosts) await h.start();
    for (const h of [honest, liar, behind]) await client.dial(h.listenAddrs()[0]!);
    await waitFor('identify done', async () => (await client.peersSupporting(PROTOCOL.syncBlocks)).length === 3);

    const sync = new SyncClient(client, LIMITS);
    const st = await sync.status(honest.peerId);
    assert.equal(st.height, 40n);
    assert.equal(st.earliestHeight, 1n);
    assert.ok(equalBytes(st.latestBlockHash, blocks[39]!.blockId.hash));

    const got: BlockEntry[] = [];
    let prev: BlockID | undefined;
    const verify = (e: BlockEntry) => verifySyncedBlock(e.block, e.commit, key, prev);
    for await (const e of sync.syncBlocks(1n, 40n, verify)) {
      got.push(e);
      prev = CommitCodec.decode(e.commit).blockId;
    }
    assert.deepEqual(got.map((e) => Number(e.height)), Array.from({ length: 40 }, (_, i) => i + 1));
    got.forEach((e, i) => assert.ok(equalBytes(e.block, BlockCodec.encode(blocks[i]!.block)), `block ${i + 1} is the original`));
    assert.ok(client.scorer.isBanned(liar.peerId), 'the peer serving tampered blocks is banned');
    assert.equal(client.scorer.score(honest.peerId), 0);
    await waitFor('liar disconnected', () => !client.connectedPeers().includes(liar.peerId));

    // A range beyond every peer's height fails clearly instead of hanging.
    await assert.rejects(async () => {
      for await (const _ of sync.syncBlocks(41n, 45n, () => true)) void _;
    }, /no peer can serve block 41/);
  } finally {
    await stopAll(hosts);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tx fetch by hashes: found and absent txs, a lying peer is banned, a silent peer times out, the fetch completes from an honest peer', async () => {
  const hosts: P2PHost[] = [];
  try {
    const next = rng(11);
    const txs = Array.from({ length: 300 }, () => randomBytes(next, 250));
    const byHash = new Map(txs.map((t) => [hex(sha256(t)), t]));
    const source = (lookup: (h: Uint8Array) => Uint8Array | undefined): ChainSource => ({
      status: () => ({ height: 0n, latestBlockHash: new Uint8Array(), earliestHeight: 0n }),
      block: async () => undefined,
      tx: lookup,
    });
    const honest = await makeHost();
    await serveChain(honest, source((h) => byHash.get(hex(h))), LIMITS);
    // Answers every hash with some other tx.
    const liar = await makeHost();
    await serveChain(liar, source(() => randomBytes(next, 250)), LIMITS);
    // Accepts the stream and never answers.
    const silent = await makeHost();
    await silent.handle(PROTOCOL.fetchTxs, () => new Promise<Uint8Array>(() => {}), { ...LIMITS.fetchTxs, timeoutMs: 5_000 });
    const client = await makeHost();
    hosts.push(honest, liar, silent, client);
    for (const h of hosts) await h.start();
    for (const h of [honest, liar, silent]) await client.dial(h.listenAddrs()[0]!);
    await waitFor('identify done', async () => (await client.peersSupporting(PROTOCOL.fetchTxs)).length === 3);
    const sync = new SyncClient(client, LIMITS);

    // One peer: present txs come back verified, unknown hashes as undefined.
    const unknown = sha256(new TextEncoder().encode('nobody has this'));
    const one = await sync.txs(honest.peerId, [sha256(txs[0]!), unknown, sha256(txs[1]!)]);
    assert.ok(equalBytes(one[0]!, txs[0]!));
    assert.equal(one[1], undefined);
    assert.ok(equalBytes(one[2]!, txs[1]!));

    // A silent peer costs one timeout, not a hang.
    const t0 = Date.now();
    await assert.rejects(sync.txs(silent.peerId, [sha256(txs[0]!)]), (e: RequestError) => e.kind === 'timeout');
    const waited = Date.now() - t0;
    assert.ok(waited >= 950 && waited < 4000, `timed out after ${waited} ms`);

    // A peer answering with txs that do not match the hashes is caught on the first one.
    await assert.rejects(sync.txs(liar.peerId, [sha256(txs[2]!)]), LyingPeerError);
    assert.ok(client.scorer.isBanned(liar.peerId));
    await waitFor('liar disconnected', () => !client.connectedPeers().includes(liar.peerId));

    // Multi-peer fetch preferring the bad peers first still returns every tx, all from the honest
    // one, and without waiting out the silent peer's timeout (the request is hedged after 200 ms).
    const liar2 = await makeHost();
    await serveChain(liar2, source(() => randomBytes(next, 250)), LIMITS);
    await liar2.start();
    hosts.push(liar2);
    await client.dial(liar2.listenAddrs()[0]!);
    const hashes = txs.map((t) => sha256(t));
    const t1 = Date.now();
    const res = await sync.fetchTxs(hashes, { preferPeers: [silent.peerId, liar2.peerId, honest.peerId], hedgeMs: 200, deadlineMs: 5000 });
    const took = Date.now() - t1;
    assert.equal(res.txs.size, 300);
    for (const t of txs) assert.ok(equalBytes(res.txs.get(hex(sha256(t)))!, t));
    assert.deepEqual(res.missing, []);
    assert.deepEqual([...res.fromPeers], [[honest.peerId, 300]]);
    assert.ok(took < 900, `fetch took ${took} ms: the silent peer's 1 s timeout was waited out`);
    assert.ok(client.scorer.isBanned(liar2.peerId), 'the second liar is caught during the multi-peer fetch');
    // A hash nobody has is reported missing at the deadline.
    const none = await sync.fetchTxs([unknown], { preferPeers: [honest.peerId], deadlineMs: 300 });
    assert.deepEqual(none.missing.map(hex), [hex(unknown)]);
    assert.equal(none.txs.size, 0);
    assert.ok(client.scorer.score(silent.peerId) < 0 && !client.scorer.isBanned(silent.peerId), 'slow is penalised lightly, not banned');
    assert.equal(client.scorer.score(honest.peerId), 0);
  } finally {
    await stopAll(hosts);
  }
});

// Compact blocks: the proposal travels as skeleton + tx hashes, receivers rebuild the exact block
// bytes from their mempool and fetch only what they miss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../../chain/crypto/hash.ts';
import { BlockCodec, dataHash, EMPTY_BLOCK_ID, type Block } from '../store/block-types.ts';
import { makeHost, waitFor, waitForMesh, stopAll, rng, randomBytes, buildChain } from '../../test/helpers/p2p.ts';
import {
  compactFromBlock, encodeCompactBlock, decodeCompactBlock, assembleBlockBytes, reconstructBlock, txCount,
  InvalidCompactBlockError, IncompleteBlockError, encodeBlockAnnouncement, decodeBlockAnnouncement, type ReconstructedBlock,
} from './compact-block.ts';
import { serveChain } from './protocols.ts';
import { SyncClient } from './sync-client.ts';
import { RecentTxCache } from './tx-cache.ts';
import { TOPIC } from './topics.ts';
import { WireError, hex, equalBytes } from './wire.ts';
import type { P2PHost } from './host.ts';

/** A block shaped exactly as node.ts's producer builds it (explicit empty fields, versionApp '0'). */
function producerStyleBlock(txs: Uint8Array[]): Block {
  return {
    header: {
      chainId: 'depin-local-1', height: '7', time: { seconds: '1700000000', nanos: 5 }, lastBlockId: EMPTY_BLOCK_ID,
      lastCommitHash: new Uint8Array(), dataHash: dataHash(txs), validatorsHash: sha256(new Uint8Array([1])), nextValidatorsHash: sha256(new Uint8Array([1])),
      consensusHash: sha256(new Uint8Array([2])), appHash: new Uint8Array(), lastResultsHash: new Uint8Array(), evidenceHash: new Uint8Array(),
      proposerAddress: new Uint8Array(20).fill(9), versionBlock: '11', versionApp: '0',
    },
    txs,
    lastCommit: { height: '6', round: 0, blockId: EMPTY_BLOCK_ID, signatures: [] },
  };
}

test('splicing txs into the skeleton gives exactly BlockCodec.encode(block), for any tx sizes and both encodings', () => {
  const next = rng(3);
  const sizes = [[], [1], [127], [128], [1, 127, 128, 300, 16_383, 16_384, 70_000], Array.from({ length: 200 }, () => 1 + Math.floor(next() * 600))];
  for (const s of sizes) {
    const txs = s.map((n) => randomBytes(next, n));
    const canonical = buildChain(2, () => txs).blocks[1]!.block;
    for (const block of [producerStyleBlock(txs), canonical]) {
      const { compact, blockBytes } = compactFromBlock(block, 'origin');
      assert.ok(equalBytes(blockBytes, BlockCodec.encode(block)));
      assert.ok(equalBytes(assembleBlockBytes(compact.skeleton, txs), blockBytes), `sizes ${s.slice(0, 8).join(',')}`);
      assert.equal(txCount(compact), txs.length);
      const rt = decodeCompactBlock(encodeCompactBlock(compact));
      assert.ok(equalBytes(rt.skeleton, compact.skeleton) && equalBytes(rt.txHashes, compact.txHashes) && rt.origin === 'origin');
    }
  }
  assert.throws(() => assembleBlockBytes(BlockCodec.encode(producerStyleBlock([new Uint8Array([1])])), []), WireError, 'a skeleton that already holds txs');
});

test('a compact block whose hash list does not match the header is rejected before anything is fetched', async () => {
  const next = rng(4);
  const txs = Array.from({ length: 20 }, () => randomBytes(next, 100));
  const { compact } = compactFromBlock(producerStyleBlock(txs), 'o');
  let fetches = 0;
  const opts = { lookupTx: () => undefined, fetchTxs: async () => (fetches++, { txs: new Map(), missing: [] }) };
  const swapped = compact.txHashes.slice();
  swapped.set(compact.txHashes.subarray(32, 64), 0);
  swapped.set(compact.txHashes.subarray(0, 32), 32);
  await assert.rejects(reconstructBlock({ ...compact, txHashes: swapped }, opts), InvalidCompactBlockError, 'reordered');
  await assert.rejects(reconstructBlock({ ...compact, txHashes: compact.txHashes.subarray(32) }, opts), InvalidCompactBlockError, 'dropped tx');
  await assert.rejects(reconstructBlock({ ...compact, skeleton: new Uint8Array([0xff, 0xff]) }, opts), InvalidCompactBlockError, 'garbage skeleton');
  assert.equal(fetches, 0);
  // Malformed encodings.
  const enc = encodeCompactBlock(compact);
  assert.throws(() => decodeCompactBlock(enc.subarray(0, enc.length - 1)), WireError);
  assert.throws(() => decodeCompactBlock(new Uint8Array([...enc, 0])), WireError);
  assert.throws(() => decodeCompactBlock(enc, { maxTxs: 19, maxSkeletonBytes: 1 << 20 }), WireError);
  assert.throws(() => decodeCompactBlock(encodeCompactBlock({ ...compact, txHashes: compact.txHashes.subarray(1) })), /multiple of 32/);
  // Txs nobody delivers: a clear error listing them, no partial block.
  const half = new Map(txs.slice(0, 10).map((t) => [hex(sha256(t)), t]));
  const err = await reconstructBlock(compact, { lookupTx: (h) => half.get(hex(h)), fetchTxs: async (hs) => ({ txs: new Map(), missing: hs }) }).catch((e) => e);
  assert.ok(err instanceof IncompleteBlockError);
  assert.equal(err.missing.length, 10);
  // A fetcher handing back a wrong tx cannot corrupt the block.
  await assert.rejects(reconstructBlock(compact, { lookupTx: (h) => half.get(hex(h)), fetchTxs: async (hs) => ({ txs: new Map(hs.map((h) => [hex(h), txs[0]!])), missing: [] }) }), /does not match/);
  const ann = decodeBlockAnnouncement(encodeBlockAnnouncement(enc, new Uint8Array([1, 2, 3])));
  assert.ok(equalBytes(ann.compact, enc) && equalBytes(ann.commit, new Uint8Array([1, 2, 3])));
});

test('a 5,000-tx block reaches 3 peers as a compact proposal; each rebuilds the exact bytes, fetching its missing 10 %', async (t) => {
  const hosts: P2PHost[] = [];
  try {
    const next = rng(2024);
    const txs = Array.from({ length: 5000 }, () => randomBytes(next, 200 + Math.floor(next() * 200)));
    const block = buildChain(3, (h) => (h === 3 ? txs : [randomBytes(next, 50)])).blocks[2]!.block;
    const all = new Map(txs.map((tx) => [hex(sha256(tx)), tx]));
    // Each receiver misses a different random 10 % of the txs.
    const mempools: Map<string, Uint8Array>[] = [new Map(all)];
    for (let i = 1; i <= 3; i++) {
      const r = rng(100 + i);
      const idx = txs.map((_, k) => k);
      for (let k = idx.length - 1; k > 0; k--) {
        const j = Math.floor(r() * (k + 1));
        [idx[k], idx[j]] = [idx[j]!, idx[k]!];
      }
      const missing = new Set(idx.slice(0, 500));
      mempools.push(new Map(txs.filter((_, k) => !missing.has(k)).map((tx) => [hex(sha256(tx)), tx])));
    }
    for (let i = 1; i <= 3; i++) assert.equal(mempools[i]!.size, 4500);
    assert.notDeepEqual([...mempools[1]!.keys()].sort(), [...mempools[2]!.keys()].sort());

    const results: (ReconstructedBlock | Error)[] = [];
    const recent = new RecentTxCache();
    for (let i = 0; i < 4; i++) {
      const h = await makeHost();
      const mempool = mempools[i]!;
      await serveChain(h, {
        status: () => ({ height: 2n, latestBlockHash: new Uint8Array(32), earliestHeight: 1n }),
        block: async () => undefined,
        tx: (hash) => mempool.get(hex(hash)) ?? (i === 0 ? recent.get(hash) : undefined),
      });
      const sync = new SyncClient(h);
      h.subscribe(TOPIC.proposal, {
        validate: (data) => {
          try {
            decodeCompactBlock(data);
            return 'accept';
          } catch {
            return 'reject';
          }
        },
        onMessage: async (data, from) => {
          const compact = decodeCompactBlock(data);
          const r = await reconstructBlock(compact, {
            lookupTx: (hash) => mempool.get(hex(hash)),
            fetchTxs: (hs) => sync.fetchTxs(hs, { preferPeers: [compact.origin, from] }),
          }).catch((e: Error) => e);
          results.push(r);
        },
      });
      hosts.push(h);
    }
    await hosts[0]!.start();
    for (const h of hosts.slice(1)) {
      await h.start();
      await h.dial(hosts[0]!.listenAddrs()[0]!);
    }
    await waitFor('full mesh', () => hosts.every((h) => h.connectedPeers().length === 3));
    await waitForMesh(hosts, [TOPIC.proposal]);

    const t0 = performance.now();
    const { compact, blockBytes } = compactFromBlock(block, hosts[0]!.peerId);
    recent.add(txs); // the proposer keeps serving its block's txs after they leave its mempool
    mempools[0]!.clear(); // ... as happens when it commits
    const proposal = encodeCompactBlock(compact);
    assert.equal(await hosts[0]!.publish(TOPIC.proposal, proposal), 3);
    await waitFor('3 reconstructions', () => results.length === 3, 20_000);
    const ms = performance.now() - t0;
    for (const r of results) {
      if (r instanceof Error) throw r;
      assert.ok(equalBytes(r.blockBytes, blockBytes), 'rebuilt bytes equal the original block');
      assert.ok(equalBytes(sha256(r.blockBytes), sha256(BlockCodec.encode(block))), 'same part-set hash');
      assert.equal(r.fromLocal, 4500);
      assert.equal(r.fetched, 500);
    }
    t.diagnostic(`5,000-tx block: full ${blockBytes.length} B, compact proposal ${proposal.length} B (${((100 * proposal.length) / blockBytes.length).toFixed(1)} %); published → 3 peers rebuilt (500 txs fetched each) in ${ms.toFixed(0)} ms`);
    assert.ok(proposal.length < blockBytes.length / 5, 'the proposal is a fraction of the block');
  } finally {
    await stopAll(hosts);
  }
});

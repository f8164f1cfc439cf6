// The driver's wire helpers: the proposal envelope round trip and refusal of garbage, and compact
// blocks cut from stored bytes (no re-encoding) that rebuild exactly those bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../chain/crypto/hash.ts';
import { encodeProposalEnvelope, decodeProposalEnvelope, stripTxs, compactFromBytes, readyToStartHeight } from './consensus-driver.ts';
import { decodeCompactBlock, reconstructBlock } from './p2p/compact-block.ts';
import { BlockCodec, encodeBlock, dataHash, EMPTY_BLOCK_ID, type Block } from './store/block-types.ts';
import { signedProposal, makeKeys, blockId } from './consensus/test-fixtures.ts';

const txs = [new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(9), new Uint8Array([4])];
const block: Block = {
  header: {
    chainId: 'c', height: '3', time: { seconds: '100', nanos: 7 }, lastBlockId: EMPTY_BLOCK_ID, lastCommitHash: sha256(new Uint8Array([1])),
    dataHash: dataHash(txs), validatorsHash: new Uint8Array(32), nextValidatorsHash: new Uint8Array(32), consensusHash: new Uint8Array(32),
    appHash: new Uint8Array(32), lastResultsHash: new Uint8Array(32), evidenceHash: new Uint8Array(32), proposerAddress: new Uint8Array(20), versionBlock: '11', versionApp: '0',
  },
  txs,
  lastCommit: { height: '2', round: 1, blockId: blockId('x'), signatures: [] },
  evidence: [new Uint8Array([5, 5])],
};

test('a compact block cut from block bytes rebuilds exactly those bytes (txs and evidence around them)', async () => {
  const bytes = encodeBlock(block);
  const skeleton = stripTxs(bytes);
  assert.deepEqual(BlockCodec.decode(skeleton).txs, []);
  assert.deepEqual(BlockCodec.decode(skeleton).evidence?.map((e) => [...e]), [[5, 5]]);
  const compact = decodeCompactBlock(compactFromBytes(bytes, block.txs, 'origin'));
  assert.deepEqual(Buffer.from(compact.skeleton), Buffer.from(skeleton));
  // The middle tx is missing locally and fetched.
  const r = await reconstructBlock(compact, {
    lookupTx: (h) => [txs[0]!, txs[2]!].find((t) => Buffer.compare(sha256(t), h) === 0),
    fetchTxs: async (hs) => ({ txs: new Map(hs.map((h) => [Buffer.from(h).toString('hex'), txs[1]!])), missing: [] }),
  });
  assert.equal(r.fetched, 1);
  assert.deepEqual(Buffer.from(r.blockBytes), Buffer.from(bytes));
  assert.throws(() => stripTxs(bytes.subarray(0, bytes.length - 1)), /truncated/);
});

test('proposal envelope: round trip; garbage, truncation and a wrong version are refused', () => {
  const [key] = makeKeys(1, 'envelope');
  const p = signedProposal(key!, 3n, 1, blockId('b'), 0);
  const compact = compactFromBytes(encodeBlock(block), block.txs, 'peer');
  const env = encodeProposalEnvelope(p, compact);
  const back = decodeProposalEnvelope(env);
  assert.equal(back.proposal.height, 3n);
  assert.equal(back.proposal.polRound, 0);
  assert.deepEqual(Buffer.from(back.compactBytes), Buffer.from(compact));
  assert.equal(back.compact.origin, 'peer');
  assert.throws(() => decodeProposalEnvelope(env.subarray(0, env.length - 3)));
  assert.throws(() => decodeProposalEnvelope(new Uint8Array([2, ...env.subarray(1)])), /version/);
  assert.throws(() => decodeProposalEnvelope(new Uint8Array([1, 0, 0, 0, 0])));
  assert.throws(() => decodeProposalEnvelope(new Uint8Array([...env, 0])));
});

test('create_empty_blocks = false: a height starts only for txs, a proof block, a peer ahead, or catching up', () => {
  const idle = { createEmptyBlocks: false, height: 10n, pendingTxs: 0, stateChanged: false, peerMovedOn: false, syncing: false };
  assert.equal(readyToStartHeight(idle), false, 'nothing to do: wait');
  assert.equal(readyToStartHeight({ ...idle, createEmptyBlocks: true }), true);
  assert.equal(readyToStartHeight({ ...idle, height: 2n }), true, 'the first heights always run');
  assert.equal(readyToStartHeight({ ...idle, pendingTxs: 1 }), true);
  assert.equal(readyToStartHeight({ ...idle, stateChanged: true }), true, 'proof block');
  assert.equal(readyToStartHeight({ ...idle, peerMovedOn: true }), true);
  assert.equal(readyToStartHeight({ ...idle, syncing: true }), true);
});

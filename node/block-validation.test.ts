// What a validator checks before it prevotes a proposed block, and BFT time: a correct block passes;
// a wrong app hash, proposer, last commit, data hash, validator sets, link or time is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../chain/crypto/hash.ts';
import { makeKeys } from './consensus/test-fixtures.ts';
import { ValidatorSet } from './consensus/validator-set.ts';
import { canonicalVoteSignBytes } from './consensus/sign-bytes.ts';
import { SIGNED_MSG_TYPE_PRECOMMIT } from './consensus/types.ts';
import { BLOCK_ID_FLAG_ABSENT, BLOCK_ID_FLAG_COMMIT, BLOCK_ID_FLAG_NIL, EMPTY_BLOCK_ID, encodeBlock, BlockCodec, type BlockID, type Commit } from './store/block-types.ts';
import { blockError, buildBlock, consensusParamsHash, makeBlockId, type BlockContext } from './block-validation.ts';
import { firstBlockTime, medianTime, fromNanos, toNanos } from './bft-time.ts';
import type { Timestamp } from '../chain/context.ts';
import type { ValidatorKey } from './validator-key.ts';

const CHAIN = 'bv-test-1';
const keys = makeKeys(4, 'block-validation');
const set = ValidatorSet.fromGenesis(keys.map((k) => ({ address: k.address, pubKey: k.publicKey, votingPower: 10n })));
const keyOf = (i: number): ValidatorKey => keys.find((k) => Buffer.compare(k.address, set.validators[i]!.address) === 0)!;
const genesisTime: Timestamp = { seconds: 1_800_000_000n, nanos: 0 };
const ms = (t: Timestamp, n: number) => fromNanos(toNanos(t) + BigInt(n) * 1_000_000n);

/** A commit of `height` for `id`: validator i signs at times[i] (undefined: absent; 'nil': nil precommit). */
function commitFor(height: bigint, id: BlockID, times: (Timestamp | undefined | { nil: Timestamp })[]): Commit {
  return {
    height: height.toString(), round: 0, blockId: id,
    signatures: set.validators.map((v, i) => {
      const t = times[i];
      if (!t) return { blockIdFlag: BLOCK_ID_FLAG_ABSENT, validatorAddress: new Uint8Array(), timestamp: { seconds: '0', nanos: 0 }, signature: new Uint8Array() };
      const nil = 'nil' in t;
      const ts = nil ? t.nil : t;
      const sig = keyOf(i).sign(canonicalVoteSignBytes(CHAIN, SIGNED_MSG_TYPE_PRECOMMIT, height, 0, nil ? EMPTY_BLOCK_ID : id, ts));
      return { blockIdFlag: nil ? BLOCK_ID_FLAG_NIL : BLOCK_ID_FLAG_COMMIT, validatorAddress: v.address, timestamp: { seconds: ts.seconds.toString(), nanos: ts.nanos }, signature: sig };
    }),
  };
}

function ctxAt(height: bigint, prev?: { id: BlockID; time: Timestamp }): BlockContext {
  const sets = [set, set.next(), set.next().next(), set.next().next().next()];
  return {
    chainId: CHAIN, height, lastBlockId: prev?.id ?? EMPTY_BLOCK_ID, lastBlockTime: prev?.time, genesisTime,
    lastValSet: height > 1n ? sets[Number(height) - 2] : undefined, valSet: sets[Number(height) - 1]!, nextValSet: sets[Number(height)]!,
    appHash: sha256(new TextEncoder().encode(`app ${height}`)), lastResultsHash: height > 1n ? sha256(new Uint8Array([Number(height)])) : new Uint8Array(),
    consensusHash: consensusParamsHash({}), maxBlockBytes: 1 << 20,
  };
}

// Block 1 and its commit, then a correct block 2 built on it.
const ctx1 = ctxAt(1n);
const b1 = buildBlock(ctx1, { txs: [new Uint8Array([1, 2, 3])], evidence: [], lastCommit: undefined as never, proposer: set.proposer.address });
const t1 = firstBlockTime(genesisTime);
const votes1 = [ms(t1, 50), ms(t1, 20), ms(t1, 40), undefined];
const commit1 = commitFor(1n, b1.blockId, votes1);
const ctx2 = ctxAt(2n, { id: b1.blockId, time: t1 });
const proposer2 = ctx2.valSet.proposer.address;
const txs2 = [new Uint8Array([9]), new Uint8Array([8, 8])];
const good = buildBlock(ctx2, { txs: txs2, evidence: [], lastCommit: commit1, proposer: proposer2 });

/** Rebuilds block 2 with one change to the header or body, as a faulty or malicious proposer would. */
function tampered(edit: (b: typeof good.block) => void) {
  const block = BlockCodec.decode(good.bytes);
  edit(block);
  const bytes = encodeBlock(block);
  return { block, bytes, id: makeBlockId(block.header, bytes) };
}

test('the first block: genesis time + 1 ns, no last commit; a correct block 2 passes', () => {
  assert.equal(blockError(ctx1, b1.block, b1.bytes, b1.blockId, [set.proposer.address]), undefined);
  assert.deepEqual(b1.block.header.time.seconds.toString(), genesisTime.seconds.toString());
  assert.equal(b1.block.header.time.nanos, 1);
  assert.equal(blockError(ctx2, good.block, good.bytes, good.blockId, [proposer2]), undefined);
  // Block 2's time is the weighted median of block 1's precommits (powers equal: the 2nd of 3 present).
  assert.equal(toNanos(medianTime(commit1, set)), toNanos(ms(t1, 40)));
});

test('a block is refused for a wrong app hash, results hash, validator sets or consensus hash', () => {
  const cases: [string, (b: typeof good.block) => void, RegExp][] = [
    ['app hash', (b) => (b.header.appHash = sha256(new Uint8Array([7]))), /wrong app hash/],
    ['last results hash', (b) => (b.header.lastResultsHash = sha256(new Uint8Array([7]))), /last results hash/],
    ['validators hash', (b) => (b.header.validatorsHash = sha256(new Uint8Array([7]))), /wrong validators hash/],
    ['next validators hash', (b) => (b.header.nextValidatorsHash = ctx2.valSet.updateWithChangeSet([{ pubKey: keys[0]!.publicKey, power: 0n }]).hash()), /next validators hash/],
    ['consensus hash', (b) => (b.header.consensusHash = consensusParamsHash({ x: 1 })), /consensus hash/],
    ['chain id', (b) => (b.header.chainId = 'other-chain'), /wrong chain id/],
    ['height', (b) => (b.header.height = 3), /wrong height/],
    ['last block id', (b) => (b.header.lastBlockId = { hash: sha256(new Uint8Array([1])), partSetHeader: { total: 1, hash: sha256(new Uint8Array([2])) } }), /wrong last block id/],
  ];
  for (const [what, edit, re] of cases) {
    const t = tampered(edit);
    assert.match(blockError(ctx2, t.block, t.bytes, t.id, [proposer2]) ?? 'accepted', re, what);
  }
});

test('a block is refused when its proposer is not the round proposer (or not a validator)', () => {
  const other = set.validators.find((v) => Buffer.compare(v.address, proposer2) !== 0)!.address;
  const t = tampered((b) => (b.header.proposerAddress = other));
  assert.match(blockError(ctx2, t.block, t.bytes, t.id, [proposer2]) ?? 'accepted', /not built by a proposer/);
  const stranger = makeKeys(1, 'stranger')[0]!.address;
  const s = tampered((b) => (b.header.proposerAddress = stranger));
  assert.match(blockError(ctx2, s.block, s.bytes, s.id) ?? 'accepted', /not a validator/);
  // Block sync passes no round information: any validator of the height may be the proposer.
  assert.equal(blockError(ctx2, t.block, t.bytes, t.id), undefined);
});

test('a block is refused when its txs do not match the data hash (or the id does not match)', () => {
  const t = tampered((b) => (b.txs = [txs2[1]!, txs2[0]!]));
  assert.match(blockError(ctx2, t.block, t.bytes, t.id, [proposer2]) ?? 'accepted', /data hash/);
  const extra = tampered((b) => b.txs.push(new Uint8Array([5])));
  assert.match(blockError(ctx2, extra.block, extra.bytes, extra.id, [proposer2]) ?? 'accepted', /data hash/);
  assert.match(blockError(ctx2, good.block, good.bytes, extra.id, [proposer2]) ?? 'accepted', /does not match the block/);
  const ev = tampered((b) => (b.evidence = [new Uint8Array([1])]));
  assert.match(blockError(ctx2, ev.block, ev.bytes, ev.id, [proposer2]) ?? 'accepted', /evidence hash/);
});

test('a block is refused for a bad last commit: forged or missing signatures, wrong block, hash mismatch', () => {
  const forged = structuredClone(commit1);
  forged.signatures[0]!.signature = keys[3]!.sign(new Uint8Array([1])); // a signature over something else
  const insufficient = commitFor(1n, b1.blockId, [ms(t1, 50), ms(t1, 20), undefined, undefined]); // 20 of 40
  const otherBlock = commitFor(1n, good.blockId, votes1);
  for (const [what, c, re] of [['forged', forged, /bad last commit/], ['insufficient', insufficient, /insufficient voting power/], ['other block', otherBlock, /bad last commit/]] as const) {
    // A proposer building on such a commit (hash consistent with it) is still refused.
    const b = buildBlock(ctx2, { txs: txs2, evidence: [], lastCommit: c, proposer: proposer2 });
    assert.match(blockError(ctx2, b.block, b.bytes, b.blockId, [proposer2]) ?? 'accepted', re, what);
  }
  const swapped = tampered((b) => (b.lastCommit = BlockCodec.decode(buildBlock(ctx2, { txs: txs2, evidence: [], lastCommit: commitFor(1n, b1.blockId, [ms(t1, 50), ms(t1, 20), ms(t1, 40), ms(t1, 30)]), proposer: proposer2 }).bytes).lastCommit));
  assert.match(blockError(ctx2, swapped.block, swapped.bytes, swapped.id, [proposer2]) ?? 'accepted', /last commit hash/);
});

test('BFT time: the header time must be the median of the last commit, and must increase', () => {
  // A proposer using its own clock instead of the median is refused.
  const own = tampered((b) => (b.header.time = { seconds: (t1.seconds + 100n).toString(), nanos: 0 }));
  assert.match(blockError(ctx2, own.block, own.bytes, own.id, [proposer2]) ?? 'accepted', /not the BFT time/);
  // Precommit timestamps before block 1's time: the median is consistent but does not increase.
  const backwards = commitFor(1n, b1.blockId, [ms(t1, -5), ms(t1, -9), ms(t1, -7), undefined]);
  const b = buildBlock(ctx2, { txs: txs2, evidence: [], lastCommit: backwards, proposer: proposer2 });
  assert.match(blockError(ctx2, b.block, b.bytes, b.blockId, [proposer2]) ?? 'accepted', /does not increase/);
  // The first block must carry genesis time + 1 ns exactly.
  const early = (() => {
    const block = BlockCodec.decode(b1.bytes);
    block.header.time = { seconds: genesisTime.seconds.toString(), nanos: 0 };
    const bytes = encodeBlock(block);
    return { block, bytes, id: makeBlockId(block.header, bytes) };
  })();
  assert.match(blockError(ctx1, early.block, early.bytes, early.id) ?? 'accepted', /not the BFT time/);
});

test('weighted median: by power, nil precommits count, absent ones do not, < 1/3 cannot move it', () => {
  const t = (s: number) => ({ seconds: BigInt(s), nanos: 0 });
  const weighted = ValidatorSet.fromGenesis(keys.map((k, i) => ({ address: k.address, pubKey: k.publicKey, votingPower: [1n, 1n, 1n, 7n][i]! })));
  const sign = (times: (number | undefined)[]) => ({
    height: '5', round: 0, blockId: EMPTY_BLOCK_ID,
    signatures: weighted.validators.map((_, i) => (times[i] === undefined
      ? { blockIdFlag: BLOCK_ID_FLAG_ABSENT, validatorAddress: new Uint8Array(), timestamp: { seconds: '0', nanos: 0 }, signature: new Uint8Array() }
      : { blockIdFlag: i % 2 ? BLOCK_ID_FLAG_NIL : BLOCK_ID_FLAG_COMMIT, validatorAddress: weighted.validators[i]!.address, timestamp: { seconds: String(times[i]), nanos: 0 }, signature: new Uint8Array(64) })),
  }) as Commit;
  // Set order is by power: index 0 holds 7 of 10. Its time is the median whatever the others say.
  assert.equal(medianTime(sign([100, 1, 2, 3]), weighted).seconds, 100n);
  assert.equal(medianTime(sign([100, 1000, 2000, 3000]), weighted).seconds, 100n);
  // Powers 1,1,1 present (the 7 absent): total 3, integer half 1 → reached at the earliest (CometBFT's rule).
  assert.equal(medianTime(sign([undefined, 30, 10, 20]), weighted).seconds, 10n);
  // Four equal validators, one Byzantine with an absurd clock: the median stays among honest times.
  const equal = set;
  const c = commitFor(9n, b1.blockId, [t(500), t(501), t(502), t(9_000_000)]);
  const m = medianTime(c, equal).seconds;
  assert.ok(m >= 500n && m <= 502n, `median ${m}`);
  assert.throws(() => medianTime({ ...c, signatures: c.signatures.slice(1) }, equal), /signatures for 4 validators/);
});

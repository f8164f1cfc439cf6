// The hand-written block encoding against protobufjs' BlockCodec: the same bytes for any block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BlockCodec, CommitCodec, HeaderCodec, encodeBlock, headerHash, commitHash, canonicalEncode, evidenceHash, EMPTY_BLOCK_ID,
  type Block, type Commit, type Header,
} from './block-types.ts';
import { sha256 } from '../../chain/crypto/hash.ts';

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const block: fc.Arbitrary<Block> = fc.record({
  height: fc.bigInt({ min: 1n, max: 2n ** 40n }),
  txs: fc.array(fc.oneof(bytes(40), bytes(300), fc.uint8Array({ minLength: 20_000, maxLength: 20_000 })), { maxLength: 12 }),
  appHash: bytes(32),
  sigs: fc.array(fc.record({ addr: bytes(20), sig: bytes(64) }), { maxLength: 4 }),
  evidence: fc.array(bytes(300), { maxLength: 3 }),
}).map(({ height, txs, appHash, sigs, evidence }) => ({
  header: {
    chainId: 'depin-test-1', height: height.toString(), time: { seconds: '1700000000', nanos: 5 },
    lastBlockId: EMPTY_BLOCK_ID, lastCommitHash: new Uint8Array(), dataHash: new Uint8Array(32), validatorsHash: new Uint8Array(32),
    nextValidatorsHash: new Uint8Array(32), consensusHash: new Uint8Array(32), appHash, lastResultsHash: new Uint8Array(),
    evidenceHash: new Uint8Array(), proposerAddress: new Uint8Array(20), versionBlock: '11', versionApp: '0',
  },
  txs,
  lastCommit: { height: (height - 1n).toString(), round: 0, blockId: EMPTY_BLOCK_ID, signatures: sigs.map((s) => ({ blockIdFlag: 2, validatorAddress: s.addr, timestamp: { seconds: '1', nanos: 0 }, signature: s.sig })) },
  evidence,
}));

test('encodeBlock gives exactly BlockCodec.encode bytes', () => {
  fc.assert(
    fc.property(block, (b) => {
      assert.deepEqual(Buffer.from(encodeBlock(b)), Buffer.from(BlockCodec.encode(b)));
    }),
    { numRuns: 200 },
  );
});

// 64-bit values in the forms protobufjs encodes: decimal strings (incl. '0') and numbers. (It
// writes a bigint as 0; canonicalEncode converts bigints, tested below.)
const u64Any = (max: bigint) => fc.bigInt({ min: 0n, max }).chain((v) => fc.constantFrom<unknown>(v.toString(), Number(v <= 2n ** 50n ? v : 0n)));
const maybeEmpty = (n: number) => fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ minLength: n, maxLength: n }));
const blockIdArb = fc.oneof(fc.constant(EMPTY_BLOCK_ID), fc.record({ hash: maybeEmpty(32), partSetHeader: fc.record({ total: fc.integer({ min: 0, max: 3 }), hash: maybeEmpty(32) }) }));
const headerArb: fc.Arbitrary<Header> = fc.record({
  chainId: fc.constantFrom('', 'depin-test-1'),
  height: u64Any(2n ** 40n),
  time: fc.record({ seconds: u64Any(2n ** 34n), nanos: fc.integer({ min: 0, max: 999_999_999 }) }),
  lastBlockId: blockIdArb,
  lastCommitHash: maybeEmpty(32), dataHash: maybeEmpty(32), validatorsHash: maybeEmpty(32), nextValidatorsHash: maybeEmpty(32),
  consensusHash: maybeEmpty(32), appHash: maybeEmpty(32), lastResultsHash: maybeEmpty(32), evidenceHash: maybeEmpty(32), proposerAddress: maybeEmpty(20),
  versionBlock: u64Any(11n), versionApp: u64Any(2n),
}) as fc.Arbitrary<Header>;
const commitArb: fc.Arbitrary<Commit> = fc.record({
  height: u64Any(2n ** 40n),
  round: fc.integer({ min: 0, max: 5 }),
  blockId: blockIdArb,
  signatures: fc.array(fc.record({
    blockIdFlag: fc.integer({ min: 1, max: 3 }), validatorAddress: maybeEmpty(20),
    timestamp: fc.record({ seconds: u64Any(2n ** 34n), nanos: fc.integer({ min: 0, max: 999_999_999 }) }), signature: maybeEmpty(64),
  }), { maxLength: 4 }),
}) as fc.Arbitrary<Commit>;

test('header hash is canonical: decode(encode(h)) hashes like h, whatever zero forms h holds', () => {
  fc.assert(
    fc.property(headerArb, (h) => {
      const id = Buffer.from(headerHash(h)).toString('hex');
      assert.equal(Buffer.from(headerHash(HeaderCodec.decode(HeaderCodec.encode(h)))).toString('hex'), id, 'decode(encode(h))');
      // What a receiver does: decode the block bytes the proposer encoded.
      const b: Block = { header: h, txs: [], lastCommit: { height: '0', round: 0, blockId: EMPTY_BLOCK_ID, signatures: [] } };
      assert.equal(Buffer.from(headerHash(BlockCodec.decode(encodeBlock(b)).header)).toString('hex'), id, 'via the block');
      // The canonical encoding is a fixed point and is what is hashed.
      const canon = canonicalEncode(HeaderCodec, h);
      assert.deepEqual(Buffer.from(canonicalEncode(HeaderCodec, HeaderCodec.decode(canon))), Buffer.from(canon));
      assert.equal(Buffer.from(sha256(canon)).toString('hex'), id);
    }),
    { numRuns: 300 },
  );
});

test('the versionApp "0" header that broke decode/encode hashing now hashes the same', () => {
  const h: Header = {
    chainId: 'c', height: '1', time: { seconds: '5', nanos: 0 }, lastBlockId: EMPTY_BLOCK_ID, lastCommitHash: new Uint8Array(), dataHash: new Uint8Array(32),
    validatorsHash: new Uint8Array(32), nextValidatorsHash: new Uint8Array(32), consensusHash: new Uint8Array(32), appHash: new Uint8Array(),
    lastResultsHash: new Uint8Array(), evidenceHash: new Uint8Array(), proposerAddress: new Uint8Array(20), versionBlock: '11', versionApp: '0',
  };
  const decoded = HeaderCodec.decode(HeaderCodec.encode(h));
  assert.notDeepEqual(Buffer.from(HeaderCodec.encode(decoded)), Buffer.from(HeaderCodec.encode(h)), 'protobufjs alone is not canonical');
  assert.deepEqual(headerHash(decoded), headerHash(h));
  // Different content still hashes differently.
  assert.notDeepEqual(headerHash({ ...h, versionApp: '1' }), headerHash(h));
});

test('canonical encoding takes bigints as their decimal value', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 62n }), fc.bigInt({ min: 0n, max: 2n ** 34n }), (height, seconds) => {
      const asString = { height: height.toString(), time: { seconds: seconds.toString(), nanos: 1 } } as unknown as Header;
      const asBigint = { height, time: { seconds, nanos: 1 } } as unknown as Header;
      assert.deepEqual(canonicalEncode(HeaderCodec, asBigint), canonicalEncode(HeaderCodec, asString));
    }),
  );
});

test('commit hash is canonical under decode/encode', () => {
  fc.assert(
    fc.property(commitArb, (c) => {
      assert.deepEqual(commitHash(CommitCodec.decode(CommitCodec.encode(c))), commitHash(c));
    }),
    { numRuns: 300 },
  );
});

test('evidence hash: empty without evidence, order-sensitive with it', () => {
  assert.equal(evidenceHash([]).length, 0);
  assert.equal(evidenceHash(undefined).length, 0);
  const a = new Uint8Array([1]);
  const b = new Uint8Array([2]);
  assert.equal(evidenceHash([a]).length, 32);
  assert.notDeepEqual(evidenceHash([a, b]), evidenceHash([b, a]));
});

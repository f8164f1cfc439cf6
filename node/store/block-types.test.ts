// The hand-written block encoding against protobufjs' BlockCodec: the same bytes for any block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlockCodec, encodeBlock, EMPTY_BLOCK_ID, type Block } from './block-types.ts';

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const block: fc.Arbitrary<Block> = fc.record({
  height: fc.bigInt({ min: 1n, max: 2n ** 40n }),
  txs: fc.array(fc.oneof(bytes(40), bytes(300), fc.uint8Array({ minLength: 20_000, maxLength: 20_000 })), { maxLength: 12 }),
  appHash: bytes(32),
  sigs: fc.array(fc.record({ addr: bytes(20), sig: bytes(64) }), { maxLength: 4 }),
}).map(({ height, txs, appHash, sigs }) => ({
  header: {
    chainId: 'depin-test-1', height: height.toString(), time: { seconds: '1700000000', nanos: 5 },
    lastBlockId: EMPTY_BLOCK_ID, lastCommitHash: new Uint8Array(), dataHash: new Uint8Array(32), validatorsHash: new Uint8Array(32),
    nextValidatorsHash: new Uint8Array(32), consensusHash: new Uint8Array(32), appHash, lastResultsHash: new Uint8Array(),
    evidenceHash: new Uint8Array(), proposerAddress: new Uint8Array(20), versionBlock: '11', versionApp: '0',
  },
  txs,
  lastCommit: { height: (height - 1n).toString(), round: 0, blockId: EMPTY_BLOCK_ID, signatures: sigs.map((s) => ({ blockIdFlag: 2, validatorAddress: s.addr, timestamp: { seconds: '1', nanos: 0 }, signature: s.sig })) },
}));

test('encodeBlock gives exactly BlockCodec.encode bytes', () => {
  fc.assert(
    fc.property(block, (b) => {
      assert.deepEqual(Buffer.from(encodeBlock(b)), Buffer.from(BlockCodec.encode(b)));
    }),
    { numRuns: 200 },
  );
});

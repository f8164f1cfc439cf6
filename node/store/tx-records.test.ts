// Block results stored as a head and chunks of tx records (tx-records.ts) in a real LevelDB block
// store: the encoding reads back byte for byte, every tx reads back alone with its result, and a
// store written before chunking (a whole encoding under 'r:') still answers both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import fc from 'fast-check';
import { BlockStore } from './block-store.ts';
import { encodeBlockResults, txResultSpans, type EncodableTxResult } from './results-codec.ts';
import { RECORDS_PER_CHUNK } from './tx-records.ts';
import { buildChain } from '../../test/helpers/p2p.ts';
import { u64be } from '../../chain/codec/bytes.ts';

async function withStore(fn: (s: BlockStore) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'txrec-'));
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    await fn(await BlockStore.open(db));
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const result = (i: number, h: number): EncodableTxResult => ({
  code: i % 7 === 3 ? 5 : 0, data: new Uint8Array(i % 3), log: i % 5 === 0 ? `log ${i} é` : '', info: '', gasWanted: BigInt(1000 + i), gasUsed: BigInt(i * 13),
  events: Array.from({ length: i % 4 }, (_, e) => ({ type: `ev${e}`, attributes: [{ key: 'k', value: `${h}/${i}/${e}`, index: e % 2 === 0 }] })),
  codespace: i % 7 === 3 ? 'sdk' : '',
});
const txOf = (i: number, h: number) => Buffer.from(`tx ${h}/${i} `.repeat(1 + (i % 9)));

test('results of blocks of 0 to 200 txs read back byte for byte, and each tx alone with its result', async () => {
  await withStore(async (store) => {
    const sizes = [0, 1, RECORDS_PER_CHUNK - 1, RECORDS_PER_CHUNK, RECORDS_PER_CHUNK + 1, 200];
    for (const [k, n] of sizes.entries()) {
      const h = BigInt(k + 1);
      const txs = Array.from({ length: n }, (_, i) => txOf(i, k));
      const bytes = encodeBlockResults(h, txs.map((_, i) => result(i, k)), k % 2 ? [{ type: 'fin', attributes: [{ key: 'a', value: 'b', index: true }] }] : [], new Uint8Array(32).fill(k));
      await store.saveResults(h, bytes, txs);
      assert.deepEqual(Buffer.from((await store.loadResultsBytes(h))!), Buffer.from(bytes), `block of ${n}`);
      assert.equal((await store.loadResults(h))!.txResults.length, n);
      const spans = txResultSpans(bytes);
      const want = [...Array(n).keys(), n, -1, 1.5];
      const got = await store.loadTxs(h, want);
      for (const [j, i] of want.entries()) {
        if (i >= n || i < 0 || !Number.isInteger(i)) {
          assert.equal(got[j], undefined, `index ${i} of ${n}`);
          continue;
        }
        assert.deepEqual(Buffer.from(got[j]!.tx), txs[i]);
        assert.deepEqual(Buffer.from(got[j]!.result), Buffer.from(bytes.subarray(spans[i]![0], spans[i]![1])));
      }
    }
    assert.equal(await store.loadResultsBytes(99n), undefined);
    assert.deepEqual(await store.loadTxs(99n, [0]), [undefined]);
    await assert.rejects(store.saveResults(50n, encodeBlockResults(50n, [result(0, 0)], [], new Uint8Array()), []), /0 txs but 1 results/);
    // Tx results split by another field cannot be cut into a head and chunks: refused.
    const interleaved = Buffer.from([0x08, 0x01, 0x12, 0x02, 0x08, 0x05, 0x1a, 0x00, 0x12, 0x00]);
    await assert.rejects(store.saveResults(51n, interleaved, [txOf(0, 0), txOf(1, 0)]), /not contiguous/);
  });
});

test('generated blocks: the stored results are the saved bytes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(150), { minLength: 1, maxLength: 4 }), async (sizes) => {
      await withStore(async (store) => {
        for (const [k, n] of sizes.entries()) {
          const h = BigInt(k + 1);
          const txs = Array.from({ length: n }, (_, i) => txOf(i + k, k));
          const bytes = encodeBlockResults(h, txs.map((_, i) => result(i + n, k)), [], new Uint8Array(0));
          await store.saveResults(h, bytes, txs);
          assert.deepEqual(Buffer.from((await store.loadResultsBytes(h))!), Buffer.from(bytes));
        }
      });
    }),
    { numRuns: 15 },
  );
});

test('a store written before chunking (the whole encoding under r:) still answers block_results and single txs', async () => {
  await withStore(async (store) => {
    const n = 5;
    const { blocks } = buildChain(1, () => Array.from({ length: n }, (_, i) => txOf(i, 0)));
    const b = blocks[0]!;
    await store.saveBlock(b.block, b.blockId, b.commit);
    const bytes = encodeBlockResults(1n, b.block.txs.map((_, i) => result(i, 0)), [], new Uint8Array(32));
    await store.db.put(Buffer.concat([Buffer.from('r:'), u64be(1n)]), bytes);
    assert.deepEqual(Buffer.from((await store.loadResultsBytes(1n))!), Buffer.from(bytes));
    const spans = txResultSpans(bytes);
    const got = await store.loadTxs(1n, [4, 0, 7]);
    assert.deepEqual(Buffer.from(got[0]!.tx), Buffer.from(b.block.txs[4]!));
    assert.deepEqual(Buffer.from(got[0]!.result), Buffer.from(bytes.subarray(spans[4]![0], spans[4]![1])));
    assert.deepEqual(Buffer.from(got[1]!.result), Buffer.from(bytes.subarray(spans[0]![0], spans[0]![1])));
    assert.equal(got[2], undefined);
  });
});

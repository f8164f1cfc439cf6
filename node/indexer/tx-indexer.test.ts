// The tx indexer on a real LevelDB with the search over it (tx-search.ts): CometBFT paging
// semantics, ordering, conditions, idempotent re-indexing, and a brute-force comparison over
// generated records. Records are served from memory here, as the block store serves them in the
// node (its storage of them is tested in node/store/tx-records.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import fc from 'fast-check';
import { TxIndexer, recordEvents, type IndexedTxRecord } from './tx-indexer.ts';
import { searchTxs, txByHash } from './tx-search.ts';
import { parseQuery, matchEvents, QueryError } from './query.ts';
import { sha256 } from '../../chain/crypto/hash.ts';

function rec(height: bigint, index: number, sender: string, recipient: string, amount: number): IndexedTxRecord {
  const tx = Buffer.alloc(12);
  tx.writeBigUInt64BE(height, 0);
  tx.writeUInt32BE(index, 8);
  return {
    hash: Buffer.from(sha256(tx)).toString('hex').toUpperCase(), height, index, tx,
    result: {
      code: 0, codespace: '', log: '', info: '', data: new Uint8Array(), gasWanted: 100n, gasUsed: 50n,
      events: [
        { type: 'message', attributes: [{ key: 'sender', value: sender, index: true }] },
        { type: 'transfer', attributes: [{ key: 'recipient', value: recipient, index: true }, { key: 'amount', value: `${amount}udpin`, index: true }, { key: 'note', value: 'not indexed', index: false }] },
      ],
    },
  };
}

/** The index plus an in-memory record store: indexBlock keeps the records, search and getByHash
 * read them back by the positions the index returns. */
interface Indexed {
  indexBlock(height: bigint, recs: IndexedTxRecord[]): Promise<void>;
  lastHeight(): Promise<bigint>;
  search(q: string, page: number, perPage: number, order: 'asc' | 'desc'): ReturnType<typeof searchTxs>;
  getByHash(hash: string): Promise<IndexedTxRecord | undefined>;
}

async function withIndexer(fn: (ix: Indexed) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'ix-'));
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    const tx = new TxIndexer(db);
    await tx.init();
    const stored = new Map<string, IndexedTxRecord>();
    const src = {
      candidates: (q: string) => tx.candidates(q),
      position: (h: string) => tx.position(h),
      load: async (ps: readonly { height: bigint; index: number }[]) => ps.map((p) => stored.get(`${p.height}/${p.index}`)),
    };
    await fn({
      indexBlock: async (height, recs) => {
        for (const r of recs) stored.set(`${height}/${r.index}`, r);
        await tx.indexBlock(height, recs);
      },
      lastHeight: () => tx.lastHeight(),
      search: (q, page, perPage, order) => searchTxs(src, q, page, perPage, order),
      getByHash: (hash) => txByHash(src, hash),
    });
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('query parser: valid forms and clear errors', () => {
  assert.equal(parseQuery("tx.hash='ABC'").conditions[0]!.op, '=');
  assert.equal(parseQuery('tx.height=5').conditions[0]!.operand!.kind, 'number');
  assert.equal(parseQuery("message.sender='depin1x' AND tx.height>=1").conditions.length, 2);
  assert.equal(parseQuery("transfer.amount CONTAINS 'udpin' and transfer.recipient EXISTS").conditions[1]!.op, 'EXISTS');
  assert.equal(parseQuery('block.time >= TIME 2026-01-01T00:00:00Z').conditions[0]!.operand!.kind, 'time');
  assert.equal(parseQuery('block.time < DATE 2026-01-02').conditions[0]!.operand!.kind, 'time');
  for (const bad of ['', 'tx.height==', "tx.hash='unterminated", 'tx.height 5', "a='x' OR b='y'", 'tx.height > TIME nope']) {
    assert.throws(() => parseQuery(bad), QueryError, bad);
  }
  const ev = new Map([['tx.height', ['10']], ['transfer.amount', ['1.50']]]);
  assert.ok(matchEvents(parseQuery('tx.height > 9 AND tx.height <= 10'), ev));
  assert.ok(matchEvents(parseQuery('transfer.amount = 1.5'), ev), 'decimal comparison is exact, not textual');
  assert.ok(!matchEvents(parseQuery('tx.height > 10'), ev));
  assert.ok(matchEvents(parseQuery('tx.height = 10000000000000000001 AND tx.height < 3'), new Map([['tx.height', ['3', '10000000000000000001']]])) === false);
  assert.ok(matchEvents(parseQuery('tx.height = 10000000000000000001'), new Map([['tx.height', ['10000000000000000001']]])), 'beyond 2^53 stays exact');
});

test('35 hits: two pages, total_count over all pages, asc and desc, idempotent re-index', async () => {
  await withIndexer(async (ix) => {
    for (let h = 1n; h <= 7n; h++) {
      const block = Array.from({ length: 5 }, (_, i) => rec(h, i, 'alice', i % 2 ? 'bob' : 'carol', i));
      await ix.indexBlock(h, block);
      if (h === 3n) await ix.indexBlock(h, block); // re-index after a crash: no duplicates
    }
    assert.equal(await ix.lastHeight(), 7n);
    const p1 = await ix.search("message.sender='alice'", 1, 30, 'asc');
    const p2 = await ix.search("message.sender='alice'", 2, 30, 'asc');
    assert.equal(p1.totalCount, 35);
    assert.equal(p1.txs.length, 30);
    assert.equal(p2.txs.length, 5);
    const all = [...p1.txs, ...p2.txs].map((t) => `${t.height}/${t.index}`);
    assert.deepEqual(all, [...new Set(all)]);
    assert.equal(all[0], '1/0');
    assert.equal(all[34], '7/4');
    const desc = await ix.search("message.sender='alice'", 1, 10, 'desc');
    assert.equal(`${desc.txs[0]!.height}/${desc.txs[0]!.index}`, '7/4');
    await assert.rejects(ix.search("message.sender='alice'", 3, 30, 'asc'), /page should be within \[1, 2\]/);
    assert.deepEqual(await ix.search("message.sender='nobody'", 1, 30, 'asc'), { txs: [], totalCount: 0 });
    assert.equal((await ix.search("transfer.recipient='bob' AND tx.height>=6", 1, 30, 'asc')).totalCount, 4);
    assert.equal((await ix.search('tx.height=4', 1, 30, 'asc')).totalCount, 5);
    assert.equal((await ix.search("transfer.note='not indexed'", 1, 30, 'asc')).totalCount, 0);
    const one = p1.txs[7]!;
    assert.equal((await ix.getByHash(one.hash.toLowerCase()))?.index, one.index);
    assert.equal((await ix.search(`tx.hash='${one.hash.toLowerCase()}'`, 1, 30, 'asc')).totalCount, 1);
    assert.equal((await ix.search("transfer.amount CONTAINS '3udpin'", 1, 30, 'asc')).totalCount, 7);
  });
});

test('search agrees with a brute-force filter over generated records', async () => {
  const who = fc.constantFrom('a', 'b', 'ç\u{1F4E1}'); // non-ASCII: the index compares raw UTF-8 bytes
  const blocksArb = fc.array(fc.array(fc.tuple(who, who, fc.integer({ min: 0, max: 5 })), { maxLength: 6 }), { minLength: 1, maxLength: 6 });
  const queryArb = fc.oneof(
    who.map((w) => `message.sender='${w}'`),
    fc.tuple(who, fc.integer({ min: 1, max: 6 })).map(([w, h]) => `transfer.recipient='${w}' AND tx.height<=${h}`),
    fc.integer({ min: 1, max: 6 }).map((h) => `tx.height>${h}`),
    fc.tuple(who, who).map(([a, b]) => `message.sender='${a}' AND transfer.recipient='${b}'`),
    fc.integer({ min: 0, max: 5 }).map((n) => `transfer.amount CONTAINS '${n}'`),
  );
  await fc.assert(
    fc.asyncProperty(blocksArb, queryArb, async (blocks, q) => {
      await withIndexer(async (ix) => {
        const all: IndexedTxRecord[] = [];
        for (let h = 0; h < blocks.length; h++) {
          const recs = blocks[h]!.map(([s, r, amt], i) => rec(BigInt(h + 1), i, s, r, amt));
          all.push(...recs);
          await ix.indexBlock(BigInt(h + 1), recs);
        }
        const parsed = parseQuery(q);
        const want = all.filter((r) => matchEvents(parsed, recordEvents(r))).map((r) => r.hash);
        const got = await ix.search(q, 1, 100, 'asc');
        assert.equal(got.totalCount, want.length, q);
        assert.deepEqual(got.txs.map((t) => t.hash), want, q);
      });
    }),
    { numRuns: 60 },
  );
});

// The hand-written results encoding against protobufjs' reflection codec for the same schema:
// whatever results we write, protobufjs reads back the same values; the event reader the indexer
// uses sees exactly the attributes that were written; spans locate every tx result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { i64 } from '../../chain/codec/proto.ts';
import { BlockResultsCodec } from './block-types.ts';
import { encodeBlockResults, encodeTxResult, forEachIndexedAttribute, txResultSpans, type EncodableTxResult } from './results-codec.ts';

const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom(
  '', 'depin1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc53d5ev8', 'x'.repeat(200),
  // around the encoder's 64-unit short-string path, ASCII and not
  'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(65), 'é'.repeat(40), `${'a'.repeat(63)}ü`, `€${'b'.repeat(30)}`, '😀'.repeat(20),
));
const event = fc.record({
  type: text,
  attributes: fc.array(fc.record({ key: text, value: text, index: fc.boolean() }), { maxLength: 5 }),
});
const result: fc.Arbitrary<EncodableTxResult> = fc.record({
  code: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 32 - 1 })),
  data: fc.uint8Array({ maxLength: 40 }),
  log: text,
  info: text,
  gasWanted: fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
  gasUsed: fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
  events: fc.array(event, { maxLength: 6 }),
  codespace: text,
});

const plainEvents = (evs: readonly { type: string; attributes: readonly { key: string; value: string; index: boolean }[] }[]) =>
  evs.map((e) => ({ type: e.type ?? '', attributes: (e.attributes ?? []).map((a) => ({ key: a.key ?? '', value: a.value ?? '', index: !!a.index })) }));

test('protobufjs decodes our BlockResults to the same values', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 40n }), fc.array(result, { maxLength: 8 }), fc.array(event, { maxLength: 3 }), fc.uint8Array({ maxLength: 32 }), (height, results, finalize, appHash) => {
      const bytes = encodeBlockResults(height, results, finalize, appHash);
      const m = BlockResultsCodec.decode(bytes);
      assert.equal(i64(m.height), height);
      assert.equal(m.txResults.length, results.length);
      results.forEach((r, i) => {
        const d = m.txResults[i]!;
        assert.equal(d.code ?? 0, r.code);
        assert.deepEqual(Buffer.from(d.data ?? []), Buffer.from(r.data));
        assert.equal(d.log ?? '', r.log);
        assert.equal(d.info ?? '', r.info);
        assert.equal(i64(d.gasWanted), r.gasWanted);
        assert.equal(i64(d.gasUsed), r.gasUsed);
        assert.equal(d.codespace ?? '', r.codespace);
        assert.deepEqual(plainEvents(d.events ?? []), plainEvents(r.events));
        // One tx result alone encodes to exactly the bytes it occupies inside the block's results.
        const [s, e] = txResultSpans(bytes)[i]!;
        assert.deepEqual(Buffer.from(bytes.subarray(s, e)), Buffer.from(encodeTxResult(r)));
      });
      assert.deepEqual(plainEvents(m.finalizeBlockEvents ?? []), plainEvents(finalize));
      assert.deepEqual(Buffer.from(m.appHash ?? []), Buffer.from(appHash));
    }),
    { numRuns: 300 },
  );
});

test('the indexer reads every indexed attribute back out of the encoded bytes, byte for byte', () => {
  const raw = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  fc.assert(
    fc.property(result, (r) => {
      const buf = Buffer.from(encodeTxResult(r));
      const seen: [string, string, string][] = [];
      forEachIndexedAttribute(buf, 0, buf.length, (t, k, v) => seen.push([t, k, v]));
      const want: [string, string, string][] = [];
      for (const e of r.events) for (const a of e.attributes) if (a.index && a.key) want.push([raw(e.type), raw(a.key), raw(a.value)]);
      assert.deepEqual(seen, want);
    }),
    { numRuns: 300 },
  );
});

test('truncated input is an error, not a silent partial read', () => {
  const bytes = encodeBlockResults(7n, [{ code: 0, data: new Uint8Array(), log: '', info: '', gasWanted: 5n, gasUsed: 3n, events: [{ type: 'transfer', attributes: [{ key: 'amount', value: '1udpin', index: true }] }], codespace: '' }], [], new Uint8Array(32));
  assert.throws(() => txResultSpans(bytes.subarray(0, bytes.length - 5)), /truncated/);
});

// ProtoWriter against protobufjs' own Writer, field by field: varints across every length
// (uint64 up to 2^64 - 1), strings ASCII or not around the JS-copy cut, and embedded messages whose
// length prefix takes 1 to 4 bytes (the body is moved once the length is known).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import fc from 'fast-check';
import { ProtoWriter } from './proto-writer.ts';

const w = new ProtoWriter();

test('scalars and strings give protobufjs bytes', () => {
  fc.assert(fc.property(
    fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    // 'binary' units: any UTF-16 code unit, lone surrogates included (protobufjs writes those in
    // their 3-byte form, Buffer as U+FFFD).
    fc.oneof(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.constantFrom('a'.repeat(64), 'a'.repeat(65), `${'a'.repeat(63)}é`, 'a\uD800b', '\uDC00', `${'a'.repeat(70)}\uD83D`)),
    fc.uint8Array({ minLength: 1, maxLength: 300 }),
    (u64, u32, en, s, b) => {
      const ours = w.start().uint64(1, u64).uint32(2, u32).enum(3, en).bool(4, true).string(5, s).bytes(6, b).finish();
      const ref = protobuf.Writer.create().uint32(8).uint64(u64.toString()).uint32(16).uint32(u32)
        .uint32(24).int32(en).uint32(32).bool(true).uint32(42).string(s).uint32(50).bytes(b).finish();
      assert.deepEqual(Buffer.from(ours), Buffer.from(ref));
    },
  ), { numRuns: 500 });
  fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((v) => v !== 0n), (v) => {
    const ref = protobuf.Writer.create().uint32(8).int64(v.toString()).finish();
    assert.deepEqual(Buffer.from(w.start().int64(1, v).finish()), Buffer.from(ref), `int64 ${v}`);
  }), { numRuns: 300 });
  // Defaults are left out entirely.
  assert.equal(w.start().uint64(1, 0n).int64(7, 0n).uint32(2, 0).enum(3, 0).bool(4, false).string(5, '').bytes(6, new Uint8Array()).finish().length, 0);
});

test('embedded messages of every length-prefix size, nested', () => {
  for (const n of [0, 1, 120, 127, 128, 300, 16_383, 16_384, 20_000, 2_100_000]) {
    const body = 'q'.repeat(n);
    w.start().uint64(1, 5n);
    const outer = w.begin(2);
    const inner = w.string(1, body).begin(3);
    const ours = w.uint32(1, 7).end(inner).end(outer).uint32(3, 9).finish();
    const head = protobuf.Writer.create();
    if (n > 0) head.uint32(10).string(body);
    const ref = protobuf.Writer.create().uint32(8).uint64(5).uint32(18).bytes(head.uint32(26).fork().uint32(8).uint32(7).ldelim().finish()).uint32(24).uint32(9).finish();
    assert.deepEqual(Buffer.from(ours), Buffer.from(ref), `body of ${n} bytes`);
  }
});

test('out-of-range values are refused, and the next message starts clean', () => {
  assert.throws(() => w.start().uint32(1, 5).uint64(2, 2n ** 64n), RangeError);
  assert.throws(() => w.start().uint64(2, -1n), RangeError);
  assert.throws(() => w.start().int64(2, 2n ** 63n), RangeError);
  assert.throws(() => w.start().int64(2, -(2n ** 63n) - 1n), RangeError);
  assert.throws(() => w.start().uint32(2, 2 ** 32), RangeError);
  assert.throws(() => w.start().enum(2, 2 ** 31), RangeError);
  assert.deepEqual([...w.start().uint32(1, 1).finish()], [8, 1]);
});

test('packed repeated varints and repeated string elements give protobufjs bytes', () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 40 }), fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 40 }),
    fc.array(fc.oneof(fc.constant(''), fc.string({ maxLength: 70 }), fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 5 }),
    (u32s, u64s, strs) => {
      const ours = w.start().packedUint32(1, u32s).packedUint64(2, u64s);
      for (const s of strs) ours.stringElement(3, s);
      const ref = protobuf.Writer.create();
      if (u32s.length) {
        ref.uint32(10).fork();
        for (const v of u32s) ref.uint32(v);
        ref.ldelim();
      }
      if (u64s.length) {
        ref.uint32(18).fork();
        for (const v of u64s) ref.uint64(v.toString());
        ref.ldelim();
      }
      for (const s of strs) ref.uint32(26).string(s);
      assert.deepEqual(Buffer.from(ours.finish()), Buffer.from(ref.finish()));
    },
  ), { numRuns: 300 });
  assert.throws(() => w.start().packedUint32(1, [1, -1]), RangeError);
  assert.throws(() => w.start().packedUint64(1, [2n ** 64n]), RangeError);
  assert.equal(w.start().finish().length, 0);
});

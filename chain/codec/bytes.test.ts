// storeKey builds module store keys in one allocation: it must give exactly the bytes of the
// concat(Uint8Array.of(table), ...u64be parts) it replaced, and refuse what u64be refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { storeKey, concat, u64be } from './bytes.ts';

test('storeKey: the bytes of concat(table byte, parts, bigints as big-endian u64); out-of-range bigints refused', () => {
  const part = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom(0n, 1n, 255n, 256n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  );
  fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.array(part, { maxLength: 5 }), (table, parts) => {
    const expected = concat(Uint8Array.of(table), ...parts.map((p) => (typeof p === 'bigint' ? u64be(p) : p)));
    assert.deepEqual(Buffer.from(storeKey(table, ...parts)), Buffer.from(expected));
  }), { numRuns: 500 });
  // Two keys built in a row do not share bytes (the u64 scratch is copied, not referenced).
  const a = storeKey(2, 7n);
  const b = storeKey(2, 9n);
  assert.deepEqual([a[8], b[8]], [7, 9]);
  assert.throws(() => storeKey(1, -1n), /not a uint64/);
  assert.throws(() => storeKey(1, 2n ** 64n), /not a uint64/);
});

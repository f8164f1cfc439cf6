// The protobuf layer and bigint: 64-bit fields given as bigint must encode to their value (protobufjs
// alone silently wrote 0), and values that do not fit 64 bits must be refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codec, u64, i64 } from './proto.ts';

const Fee = codec<{ amount: unknown[]; gasLimit: unknown }>('cosmos.tx.v1beta1.Fee');
const Header = codec<{ height: unknown; chainId: string }>('depin.types.v1.Header');

test('bigint 64-bit fields encode to their value, not 0', () => {
  for (const v of [1n, 5n, 200_000n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
    assert.equal(u64(Fee.decode(Fee.encode({ amount: [], gasLimit: v })).gasLimit as never), v);
    assert.equal(u64(Fee.decode(Fee.encode({ amount: [], gasLimit: v.toString() })).gasLimit as never), v, 'strings agree');
  }
  for (const v of [-1n, -(2n ** 63n), 2n ** 63n - 1n]) {
    assert.equal(i64(Header.decode(Header.encode({ height: v, chainId: 'x' })).height as never), v);
  }
});

test('bigints beyond 64 bits are refused', () => {
  assert.throws(() => Fee.encode({ amount: [], gasLimit: 2n ** 64n }), RangeError);
  assert.throws(() => Header.encode({ height: -(2n ** 63n) - 1n, chainId: 'x' }), RangeError);
});

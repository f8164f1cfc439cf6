import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256, ripemd160 } from './hash.ts';

test('sha256 and ripemd160 match known vectors', () => {
  assert.equal(Buffer.from(sha256(new Uint8Array())).toString('hex'),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(Buffer.from(ripemd160(new TextEncoder().encode('abc'))).toString('hex'),
    '8eb208f7e05d987a9b044a8e98c6b087f15a0bfc');
});

// The hand-written account codec against the protobufjs reflection encoding: identical bytes for
// every BaseAccount, round trips both ways, and module accounts through the fallback path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeAccount, decodeAccount, decodeBase, encodeAccountReflection, type Account } from './account-codec.ts';
import { toBech32 } from '../../chain/crypto/address.ts';

const account: fc.Arbitrary<Account> = fc.record({
  address: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => toBech32('depin', b)),
  pubkey: fc.option(fc.uint8Array({ minLength: 33, maxLength: 33 }), { nil: undefined }),
  accountNumber: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 2n ** 64n - 1n })),
  sequence: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 300n }), fc.bigInt({ min: 1n, max: 2n ** 64n - 1n })),
});

test('hand-written BaseAccount bytes equal protobufjs bytes, and both decode back', () => {
  fc.assert(
    fc.property(account, (a) => {
      const fast = encodeAccount(a);
      const ref = encodeAccountReflection(a);
      assert.deepEqual(Buffer.from(fast), Buffer.from(ref));
      const norm = (x: Account) => ({ address: x.address, pubkey: x.pubkey && Buffer.from(x.pubkey).toString('hex'), accountNumber: x.accountNumber, sequence: x.sequence, module: x.module });
      assert.deepEqual(norm(decodeAccount(fast)), norm(a));
      assert.deepEqual(norm(decodeAccount(ref)), norm(a));
      // Every BaseAccount takes the hand-written path (it once never did: a length was added to
      // the cursor's value from before the length was read, so every decode fell back).
      const direct = decodeBase(fast);
      assert.ok(direct, 'fast path taken');
      assert.deepEqual(norm({ ...direct, module: undefined }), norm(a));
    }),
    { numRuns: 500 },
  );
});

test('module accounts and unexpected layouts take the reflection path', () => {
  const m: Account = { address: toBech32('depin', new Uint8Array(20).fill(7)), pubkey: undefined, accountNumber: 3n, sequence: 0n, module: { name: 'fee_collector', permissions: ['burner'] } };
  assert.deepEqual(decodeAccount(encodeAccount(m)), m);
  assert.equal(decodeBase(encodeAccount(m)), undefined);
  assert.throws(() => decodeAccount(Uint8Array.of(0x0a, 0x05, 0x41)), /.+/);
});

// The validator-set store on a real LevelDB: every height reads back exactly what was put (proposer
// priorities included), across a reopen, while only changed sets and checkpoints are stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { makeKeys } from './consensus/test-fixtures.ts';
import { ValidatorSet } from './consensus/validator-set.ts';
import { ValidatorSetStore, encodeValidatorSet, CHECKPOINT_EVERY } from './validator-sets.ts';

const hex = (s: ValidatorSet | undefined) => (s ? Buffer.from(encodeValidatorSet(s)).toString('hex') : undefined);

test('sets are stored when they change and at checkpoints; every height reads back exact, after a reopen too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'valsets-'));
  const keys = makeKeys(5, 'valsets');
  let db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  try {
    let store = await ValidatorSetStore.open(db);
    const expected = new Map<bigint, string>();
    // Heights 1 and 2 as at genesis, then set(h+2) = set(h+1) + updates, advanced once (node.ts).
    let set = ValidatorSet.fromGenesis(keys.slice(0, 4).map((k, i) => ({ address: k.address, pubKey: k.publicKey, votingPower: BigInt(10 + i) })));
    await store.put(1n, set);
    expected.set(1n, hex(set)!);
    const top = 2n * CHECKPOINT_EVERY + 40n;
    for (let h = 2n; h <= top; h++) {
      const changes = h === 100n ? [{ pubKey: keys[4]!.publicKey, power: 7n }] : h === 300n ? [{ pubKey: keys[0]!.publicKey, power: 0n }] : [];
      set = set.updateWithChangeSet(changes).next();
      await store.put(h, set);
      expected.set(h, hex(set)!);
    }
    const stored = async () => {
      let n = 0;
      for await (const k of db.sublevel('valsets', { keyEncoding: 'view', valueEncoding: 'view' }).keys()) if (k.length === 8) n++;
      return n;
    };
    // Height 1, the two changed heights and the two checkpoints: nothing else.
    assert.equal(await stored(), 5);
    const check = async (s: ValidatorSetStore) => {
      for (let h = 1n; h <= top; h++) assert.equal(hex(await s.get(h)), expected.get(h), `height ${h}`);
      assert.equal(await s.get(top + 1n), undefined, 'a height never put is unknown');
      assert.equal(await s.get(0n), undefined);
    };
    await check(store);
    await db.close();
    db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    store = await ValidatorSetStore.open(db);
    await check(store);
    // A re-executed block rewrites its height with the same set: still derivable, still exact.
    await store.put(top, (await store.get(top))!);
    assert.equal(hex(await store.get(top)), expected.get(top));
    assert.equal(await stored(), 5);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The evidence pool with a real LevelDB: double-sign evidence is checked against the set of its
// height, refused when forged, too recent, expired (past both age limits), duplicated in a block or
// committed before (also after a restart), and turned into the app's misbehavior.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { EvidencePool, evidenceParams, toMisbehavior, type EvidenceContext } from './evidence-pool.ts';
import { makeDuplicateVoteEvidence } from './consensus/evidence.ts';
import { encodeDuplicateVoteEvidence } from './consensus/codec.ts';
import { makeKeys, makeValSet, precommit, prevote, blockId, keyAt, CHAIN_ID } from './consensus/test-fixtures.ts';
import type { Timestamp } from '../chain/context.ts';

const keys = makeKeys(4, 'evidence-pool');
const set = makeValSet(keys);
const cheat = keyAt(keys, set, 2);
const t = (s: number): Timestamp => ({ seconds: BigInt(s), nanos: 0 });

function ev(height: bigint, round = 0) {
  return makeDuplicateVoteEvidence(precommit(cheat, set, height, round, blockId('a')), precommit(cheat, set, height, round, blockId('b')), set);
}

const ctx: EvidenceContext = {
  chainId: CHAIN_ID,
  valSetAt: async () => set,
  blockTimeAt: async (h) => t(1_000 + Number(h)), // one block per second
};

async function withPool(fn: (open: () => Promise<EvidencePool>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'evpool-'));
  try {
    let db: Level<Uint8Array, Uint8Array> | undefined;
    const params = evidenceParams({ evidence: { max_age_num_blocks: '10', max_age_duration: '20000000000', max_bytes: '2000' } });
    await fn(async () => {
      await db?.close();
      db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
      await db.open();
      return EvidencePool.open(db, params);
    });
    await db?.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('valid evidence passes once: pending, committed, then refused (also after a restart)', async () => {
  await withPool(async (open) => {
    let pool = await open();
    const e = ev(5n);
    assert.equal(pool.add(e), true);
    assert.equal(pool.add(e), false, 'the same offence is pending once');
    const forBlock = await pool.forBlock(6n, t(1_006), ctx);
    assert.equal(forBlock.length, 1);
    const checked = await pool.checkBlock(forBlock, 6n, t(1_006), ctx);
    const m = toMisbehavior(checked[0]!);
    assert.equal(m.type, 'duplicate_vote');
    assert.deepEqual(m.validatorAddress, cheat.address);
    assert.equal(m.height, 5n);
    assert.equal(m.totalVotingPower, 4n);
    assert.deepEqual(m.time, t(1_005), 'the time of the block at the offence height');
    await pool.markCommitted(checked, 6n);
    assert.equal(pool.pendingCount, 0);
    await assert.rejects(() => pool.checkBlock(forBlock, 7n, t(1_007), ctx), /already committed/);
    // The same offence with the votes the other way round, or another pair, is the same key.
    pool = await open();
    await assert.rejects(() => pool.checkBlock(forBlock, 8n, t(1_008), ctx), /already committed/);
    assert.equal(pool.add(e), false);
  });
});

test('refused: forged, not below the block, expired past both limits, twice in a block, over the byte budget, non-canonical', async () => {
  await withPool(async (open) => {
    const pool = await open();
    const forged = ev(5n);
    forged.voteB = { ...forged.voteB, signature: precommit(keys[0]!, set, 5n, 0, blockId('b')).signature };
    await assert.rejects(() => pool.check(encodeDuplicateVoteEvidence(forged), 6n, t(1_006), ctx), /invalid signature|vote B/);
    const e = encodeDuplicateVoteEvidence(ev(5n));
    await assert.rejects(() => pool.check(e, 5n, t(1_005), ctx), /not below block/);
    // 12 blocks later but only 12 s: within the duration limit (20 s), so still valid.
    await pool.check(e, 17n, t(1_017), ctx);
    // 12 blocks and 25 s later: past both limits, expired.
    await assert.rejects(() => pool.check(e, 17n, t(1_030), ctx), /expired/);
    await assert.rejects(() => pool.checkBlock([e, e], 6n, t(1_006), ctx), /twice/);
    const big = Array.from({ length: 20 }, (_, r) => encodeDuplicateVoteEvidence(ev(5n, r)));
    await assert.rejects(() => pool.checkBlock(big, 6n, t(1_006), ctx), /exceeds 2000 bytes/);
    // Two votes of different types are not an offence.
    const mixed = makeDuplicateVoteEvidence(prevote(cheat, set, 5n, 0, blockId('a')), precommit(cheat, set, 5n, 0, blockId('b')), set);
    await assert.rejects(() => pool.check(encodeDuplicateVoteEvidence(mixed), 6n, t(1_006), ctx), /different height\/round\/type/);
    const padded = new Uint8Array([...e, 0x28, 0x00]); // trailing zero field: decodes the same, other bytes
    await assert.rejects(() => pool.check(padded, 6n, t(1_006), ctx), /canonically/);
  });
});

test('forBlock keeps too-recent evidence for later and drops what can never be valid', async () => {
  await withPool(async (open) => {
    const pool = await open();
    pool.add(ev(9n));
    assert.equal((await pool.forBlock(9n, t(1_009), ctx)).length, 0, 'evidence of height 9 cannot go in block 9');
    assert.equal(pool.pendingCount, 1);
    assert.equal((await pool.forBlock(10n, t(1_010), ctx)).length, 1);
    assert.equal((await pool.forBlock(40n, t(1_100), ctx)).length, 0, 'expired');
    assert.equal(pool.pendingCount, 0);
  });
});

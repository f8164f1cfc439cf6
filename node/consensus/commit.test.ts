// verifyCommit: what a syncing node trusts. Each forgery or shortfall below must be refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyCommit, commitToVotes, CommitVerificationError } from './commit.ts';
import { VoteSet } from './vote-set.ts';
import { BLOCK_ID_FLAG_ABSENT, BLOCK_ID_FLAG_COMMIT, BLOCK_ID_FLAG_NIL, type Commit } from '../store/block-types.ts';
import { CHAIN_ID, blockId, highS, keyAt, makeKeys, makeValSet, precommit, prevote, signedVote } from './test-fixtures.ts';
import { SIGNED_MSG_TYPE_PRECOMMIT, sameVote } from './types.ts';

const keys = makeKeys(4);
const set = makeValSet(keys, [4n, 3n, 2n, 1n]); // total 10: more than 2/3 means at least 7
const H = 9n;
const B = blockId('B');

/** A commit from precommits: `forB` validators (set indices) precommit B, `forNil` precommit nil, `forC` another block. */
function commitOf(forB: number[], forNil: number[] = [], forC: number[] = []): Commit {
  const vs = new VoteSet(H, 2, SIGNED_MSG_TYPE_PRECOMMIT, set);
  for (const i of forB) vs.add(precommit(keyAt(keys, set, i), set, H, 2, B));
  for (const i of forNil) vs.add(precommit(keyAt(keys, set, i), set, H, 2));
  for (const i of forC) vs.add(precommit(keyAt(keys, set, i), set, H, 2, blockId('C')));
  return vs.makeCommit(B);
}

function refused(c: Commit, re: RegExp, opts: { chainId?: string; height?: bigint; id?: typeof B } = {}): void {
  assert.throws(() => verifyCommit(opts.chainId ?? CHAIN_ID, set, opts.height ?? H, opts.id ?? B, c), (err: Error) => {
    assert.ok(err instanceof CommitVerificationError);
    assert.match(err.message, re);
    return true;
  });
}

test('a commit with more than 2/3 of the power verifies; NIL and ABSENT entries are kept', () => {
  const c = commitOf([0, 2, 3], [1]); // 4+2+1 = 7 of 10 for B, 3 for nil
  assert.deepEqual(c.signatures.map((s) => s.blockIdFlag), [BLOCK_ID_FLAG_COMMIT, BLOCK_ID_FLAG_NIL, BLOCK_ID_FLAG_COMMIT, BLOCK_ID_FLAG_COMMIT]);
  assert.equal(verifyCommit(CHAIN_ID, set, H, B, c), 7n);
  const withOther = commitOf([0, 1], [], [3]); // 7 for B, validator 3 voted for C: ABSENT in the commit
  assert.equal(withOther.signatures[3]!.blockIdFlag, BLOCK_ID_FLAG_ABSENT);
  assert.equal(withOther.signatures[2]!.blockIdFlag, BLOCK_ID_FLAG_ABSENT);
  assert.equal(verifyCommit(CHAIN_ID, set, H, B, withOther), 7n);
  // The precommits come back out of the commit intact (for catch-up gossip).
  const votes = commitToVotes(c);
  assert.equal(votes.length, 4);
  assert.ok(sameVote(votes[0]!, precommit(keyAt(keys, set, 0), set, H, 2, B)));
});

test('insufficient power is refused (2/3 exactly is not enough)', () => {
  const vs = new VoteSet(H, 2, SIGNED_MSG_TYPE_PRECOMMIT, set);
  assert.throws(() => vs.makeCommit(B), /no 2\/3 majority/);
  const c = commitOf([0, 1, 2]); // 9
  // Drop validator 1's signature (power 3): 6 of 10 = 60%.
  c.signatures[1] = { blockIdFlag: BLOCK_ID_FLAG_ABSENT, validatorAddress: new Uint8Array(), timestamp: { seconds: '0', nanos: 0 }, signature: new Uint8Array() };
  refused(c, /insufficient voting power: 6 of 10/);
  // Turning a COMMIT into NIL keeps a valid-looking signature but it signs another block id.
  const d = commitOf([0, 1, 2]);
  d.signatures[1]!.blockIdFlag = BLOCK_ID_FLAG_NIL;
  refused(d, /signature 1: invalid signature/);
});

test('forged, malleated, misplaced and duplicated signatures are refused', () => {
  const flip = commitOf([0, 1, 2]);
  flip.signatures[2]!.signature = Uint8Array.from(flip.signatures[2]!.signature);
  flip.signatures[2]!.signature[7]! ^= 0x40;
  refused(flip, /signature 2: invalid signature/);

  const mall = commitOf([0, 1, 2]);
  mall.signatures[0]!.signature = highS(mall.signatures[0]!.signature);
  refused(mall, /signature 0: high-S/);

  // Validator 0's signature copied into validator 3's slot (a "duplicate" to inflate power).
  const dup = commitOf([0, 1, 2]);
  dup.signatures[3] = { ...dup.signatures[0]! };
  refused(dup, /signs twice|expected validator/);

  // A signature by an outsider in a slot.
  const outsider = makeKeys(1, 'outsider')[0]!;
  const out = commitOf([0, 1, 2]);
  const v = signedVote(outsider, set, SIGNED_MSG_TYPE_PRECOMMIT, H, 2, B);
  out.signatures[3] = { blockIdFlag: BLOCK_ID_FLAG_COMMIT, validatorAddress: outsider.address, timestamp: { seconds: '1000', nanos: 0 }, signature: v.signature };
  refused(out, /signature 3 is by/);

  // Validator 3's real signature, but claiming validator 3 is someone else's slot order swapped.
  const swap = commitOf([0, 1, 2, 3]);
  [swap.signatures[2], swap.signatures[3]] = [swap.signatures[3]!, swap.signatures[2]!];
  refused(swap, /expected validator/);

  // A prevote signature presented as a precommit.
  const pv = commitOf([0, 1, 2]);
  pv.signatures[0]!.signature = prevote(keyAt(keys, set, 0), set, H, 2, B).signature;
  refused(pv, /signature 0: invalid signature/);

  // Timestamp changed after signing.
  const t = commitOf([0, 1, 2]);
  t.signatures[1]!.timestamp = { seconds: '1001', nanos: 0 };
  refused(t, /signature 1: invalid signature/);

  // An ABSENT entry smuggling a signature.
  const abs = commitOf([0, 1, 2]);
  abs.signatures[3] = { blockIdFlag: BLOCK_ID_FLAG_ABSENT, validatorAddress: new Uint8Array(), timestamp: { seconds: '0', nanos: 0 }, signature: abs.signatures[0]!.signature };
  refused(abs, /absent signature 3/);

  const flag = commitOf([0, 1, 2]);
  flag.signatures[1]!.blockIdFlag = 7;
  refused(flag, /unknown block id flag/);
});

test('wrong chain id, height, round, block id or shape are refused', () => {
  const c = commitOf([0, 1, 2]);
  refused(c, /invalid signature/, { chainId: 'other-chain' });
  refused(c, /commit is for height 9/, { height: 10n });
  refused(c, /expected/, { id: blockId('C') });
  refused({ ...c, round: 3 }, /invalid signature/);
  refused({ ...c, height: '10' }, /commit is for height 10/);
  refused({ ...c, signatures: c.signatures.slice(0, 3) }, /3 signatures for 4 validators/);
  refused({ ...c, blockId: { hash: B.hash, partSetHeader: { total: 0, hash: new Uint8Array() } } }, /no complete block id/);
});

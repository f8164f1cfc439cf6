// Signed consensus messages: what is signed (precommits unchanged from the single-validator chain),
// the protobuf codec, and signature checks against attacks (high-S, wrong chain, wrong validator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { voteSignBytes as blockPrecommitSignBytes } from '../store/block-types.ts';
import { canonicalVoteSignBytes, proposalSignBytes, voteSignBytes } from './sign-bytes.ts';
import {
  decodeConsensusMessage, decodeDuplicateVoteEvidence, decodeProposal, decodeVote, encodeConsensusMessage, encodeDuplicateVoteEvidence,
  encodeProposal, encodeVote, ConsensusDecodeError,
} from './codec.ts';
import { verifyProposal, verifyVote } from './verify.ts';
import { makeDuplicateVoteEvidence, verifyDuplicateVoteEvidence } from './evidence.ts';
import { CHAIN_ID, blockId, highS, keyAt, makeKeys, makeValSet, precommit, prevote, signedProposal, signedVote, ts } from './test-fixtures.ts';
import { NIL_BLOCK_ID, SIGNED_MSG_TYPE_PRECOMMIT, SIGNED_MSG_TYPE_PREVOTE, sameProposal, sameVote } from './types.ts';

const keys = makeKeys(4);
const set = makeValSet(keys);
const B = blockId('B');

test('a precommit signs exactly the bytes of block-types voteSignBytes; a prevote differs only in its type', () => {
  fc.assert(fc.property(
    fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }), fc.integer({ min: 0, max: 0x7fffffff }), fc.boolean(),
    fc.bigInt({ min: 0n, max: 1n << 40n }), fc.integer({ min: 0, max: 999_999_999 }), fc.string({ maxLength: 40 }),
    (height, round, nil, seconds, nanos, chainId) => {
      const id = nil ? NIL_BLOCK_ID : B;
      const t = { seconds, nanos };
      const pc = canonicalVoteSignBytes(chainId, SIGNED_MSG_TYPE_PRECOMMIT, height, round, id, t);
      assert.deepEqual(pc, blockPrecommitSignBytes(chainId, height, round, id, t));
      const pv = canonicalVoteSignBytes(chainId, SIGNED_MSG_TYPE_PREVOTE, height, round, id, t);
      assert.notDeepEqual(pv, pc);
      assert.equal(pv.length, pc.length);
    }), { numRuns: 200 });
});

test('sign bytes bind the chain id, height, round, POL round, block id and timestamp', () => {
  const base = { height: 5n, round: 2, polRound: 1, blockId: B, timestamp: ts(100, 5) };
  const ref = proposalSignBytes(CHAIN_ID, base);
  for (const changed of [
    proposalSignBytes('other', base),
    proposalSignBytes(CHAIN_ID, { ...base, height: 6n }),
    proposalSignBytes(CHAIN_ID, { ...base, round: 3 }),
    proposalSignBytes(CHAIN_ID, { ...base, polRound: -1 }),
    proposalSignBytes(CHAIN_ID, { ...base, blockId: blockId('C') }),
    proposalSignBytes(CHAIN_ID, { ...base, timestamp: ts(100, 6) }),
  ]) assert.notDeepEqual(changed, ref);
  // A vote and a proposal never share sign bytes (different message types).
  const v: Parameters<typeof voteSignBytes>[1] = { type: SIGNED_MSG_TYPE_PREVOTE, height: 5n, round: 2, blockId: B, timestamp: ts(100, 5), validatorAddress: keys[0]!.address, validatorIndex: 0 };
  assert.notDeepEqual(voteSignBytes(CHAIN_ID, v), ref);
});

test('votes, proposals, evidence and consensus messages round-trip through protobuf', () => {
  const k = keyAt(keys, set, 1);
  const v = prevote(k, set, 7n, 3, B);
  const n = precommit(k, set, 7n, 3);
  const p = signedProposal(k, 7n, 3, B, 1, ts(1_700_000_000, 123));
  assert.ok(sameVote(decodeVote(encodeVote(v)), v));
  assert.ok(sameVote(decodeVote(encodeVote(n)), n));
  assert.ok(sameProposal(decodeProposal(encodeProposal(p)), p));
  const m = decodeConsensusMessage(encodeConsensusMessage({ vote: v }));
  assert.ok(m.vote && sameVote(m.vote, v));
  const mp = decodeConsensusMessage(encodeConsensusMessage({ proposal: p }));
  assert.ok(mp.proposal && sameProposal(mp.proposal, p));
  const ev = makeDuplicateVoteEvidence(v, prevote(k, set, 7n, 3), set);
  const back = decodeDuplicateVoteEvidence(encodeDuplicateVoteEvidence(ev));
  assert.ok(sameVote(back.voteA, ev.voteA) && sameVote(back.voteB, ev.voteB));
  assert.equal(back.totalVotingPower, 4n);
  verifyDuplicateVoteEvidence(CHAIN_ID, set, back);
});

test('malformed messages do not decode', () => {
  const k = keyAt(keys, set, 1);
  const v = prevote(k, set, 7n, 3, B);
  const bad = (x: object) => encodeVote({ ...v, ...x } as never);
  assert.throws(() => decodeVote(bad({ signature: new Uint8Array(63) })), ConsensusDecodeError);
  assert.throws(() => decodeVote(bad({ height: 0n })), /bad height/);
  assert.throws(() => decodeVote(bad({ type: 32 })), /bad vote type/);
  assert.throws(() => decodeVote(bad({ validatorAddress: new Uint8Array(19) })), /20 bytes/);
  assert.throws(() => decodeVote(bad({ blockId: { hash: B.hash, partSetHeader: { total: 0, hash: new Uint8Array() } } })), /malformed block id/);
  assert.throws(() => decodeVote(Uint8Array.from([0xff, 0xff, 0xff])), ConsensusDecodeError);
  const p = signedProposal(k, 7n, 3, B);
  assert.throws(() => decodeProposal(encodeProposal({ ...p, polRound: 3 })), /POL round/);
  assert.throws(() => decodeProposal(encodeProposal({ ...p, blockId: NIL_BLOCK_ID })), /complete block id/);
  assert.throws(() => decodeConsensusMessage(new Uint8Array()), /empty/);
});

test('signature checks: high-S twin, wrong chain id, unknown validator, wrong index, another key', () => {
  const k = keyAt(keys, set, 2);
  const v = prevote(k, set, 1n, 0, B);
  assert.equal(verifyVote(CHAIN_ID, set, v), undefined);
  assert.equal(verifyVote(CHAIN_ID, set, { ...v, signature: highS(v.signature) }), 'high-S (malleable) signature');
  assert.match(verifyVote('other-chain', set, v)!, /invalid signature/);
  const outsider = makeKeys(1, 'outsider')[0]!;
  assert.equal(verifyVote(CHAIN_ID, set, { ...signedVote(outsider, set, SIGNED_MSG_TYPE_PREVOTE, 1n, 0, B), validatorIndex: 0 }), 'unknown validator');
  assert.match(verifyVote(CHAIN_ID, set, { ...v, validatorIndex: 3 })!, /wrong validator index/);
  assert.match(verifyVote(CHAIN_ID, set, { ...v, validatorIndex: 9 })!, /out of range/);
  const other = keyAt(keys, set, 3);
  const byOther = signedVote(other, set, SIGNED_MSG_TYPE_PREVOTE, 1n, 0, B);
  assert.match(verifyVote(CHAIN_ID, set, { ...v, signature: byOther.signature })!, /invalid signature/);
  // A prevote signature does not pass as a precommit.
  assert.match(verifyVote(CHAIN_ID, set, { ...v, type: SIGNED_MSG_TYPE_PRECOMMIT })!, /invalid signature/);
  const p = signedProposal(k, 1n, 0, B);
  assert.equal(verifyProposal(CHAIN_ID, k.publicKey, p), undefined);
  assert.equal(verifyProposal(CHAIN_ID, k.publicKey, { ...p, signature: highS(p.signature) }), 'high-S (malleable) signature');
  assert.match(verifyProposal(CHAIN_ID, other.publicKey, p)!, /invalid signature/);
});

test('duplicate-vote evidence: verified only for two valid, different, same-slot votes of a member', () => {
  const k = keyAt(keys, set, 0);
  const a = prevote(k, set, 3n, 1, B);
  const b = prevote(k, set, 3n, 1);
  const ev = makeDuplicateVoteEvidence(a, b, set);
  verifyDuplicateVoteEvidence(CHAIN_ID, set, ev);
  assert.ok(sameVote(makeDuplicateVoteEvidence(b, a, set).voteA, ev.voteA), 'canonical order');
  const other = keyAt(keys, set, 1);
  const cases: [string, object, RegExp][] = [
    ['same block', { voteA: ev.voteB, voteB: ev.voteB }, /same block id/],
    ['other round', { voteB: { ...ev.voteB, round: 2 } }, /different height\/round\/type/],
    ['other type', { voteB: precommit(k, set, 3n, 1) }, /different height\/round\/type/],
    ['other validator', { voteB: prevote(other, set, 3n, 1) }, /different validators/],
    ['forged', { voteB: { ...ev.voteB, signature: ev.voteA.signature } }, /invalid signature/],
    ['reversed', { voteA: ev.voteB, voteB: ev.voteA }, /canonical order/],
    ['wrong power', { validatorPower: 5n }, /validator power/],
    ['wrong total', { totalVotingPower: 5n }, /total power/],
  ];
  for (const [name, change, re] of cases) {
    assert.throws(() => verifyDuplicateVoteEvidence(CHAIN_ID, set, { ...ev, ...change }), re, name);
  }
  assert.throws(() => verifyDuplicateVoteEvidence('other-chain', set, ev), /invalid signature/);
});

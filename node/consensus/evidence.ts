// Duplicate-vote evidence: one validator signed two votes of the same type at the same height and
// round for different block ids (nil counts as a block id). Both signatures must verify, so
// evidence cannot be forged against an honest validator; it is slashable by the staking module.
import { sha256 } from '../../chain/crypto/hash.ts';
import { verifyVote } from './verify.ts';
import { blockIdKey, bytesEqual, voteTypeName, type Vote } from './types.ts';
import type { ValidatorSet } from './validator-set.ts';

export interface DuplicateVoteEvidence {
  /** The vote whose block id key sorts first. */
  voteA: Vote;
  voteB: Vote;
  /** Of the validator set at the votes' height. */
  totalVotingPower: bigint;
  validatorPower: bigint;
}

export class EvidenceError extends Error {
  override name = 'EvidenceError';
}

/** Builds evidence from two conflicting votes, in canonical order (so one offence has one form). */
export function makeDuplicateVoteEvidence(a: Vote, b: Vote, valSet: ValidatorSet): DuplicateVoteEvidence {
  const [voteA, voteB] = blockIdKey(a.blockId) < blockIdKey(b.blockId) ? [a, b] : [b, a];
  const val = valSet.get(a.validatorIndex);
  if (!val) throw new EvidenceError('validator index out of range');
  return { voteA, voteB, totalVotingPower: valSet.totalVotingPower, validatorPower: val.votingPower };
}

/**
 * Throws EvidenceError unless `ev` proves that a validator of `valSet` (the set of the votes'
 * height) double-signed on `chainId`.
 */
export function verifyDuplicateVoteEvidence(chainId: string, valSet: ValidatorSet, ev: DuplicateVoteEvidence): void {
  const { voteA: a, voteB: b } = ev;
  const fail = (msg: string): never => {
    throw new EvidenceError(`duplicate vote evidence: ${msg}`);
  };
  if (!a || !b) fail('missing vote');
  if (a.height !== b.height || a.round !== b.round || a.type !== b.type) fail('votes are for different height/round/type');
  if (!bytesEqual(a.validatorAddress, b.validatorAddress) || a.validatorIndex !== b.validatorIndex) fail('votes are by different validators');
  const ka = blockIdKey(a.blockId);
  const kb = blockIdKey(b.blockId);
  if (ka === kb) fail('votes are for the same block id');
  if (!(ka < kb)) fail('votes are not in canonical order');
  for (const [name, v] of [['A', a], ['B', b]] as const) {
    const err = verifyVote(chainId, valSet, v);
    if (err) fail(`vote ${name}: ${err}`);
  }
  const val = valSet.get(a.validatorIndex)!;
  if (ev.validatorPower !== val.votingPower) fail(`validator power ${ev.validatorPower}, the set says ${val.votingPower}`);
  if (ev.totalVotingPower !== valSet.totalVotingPower) fail(`total power ${ev.totalVotingPower}, the set says ${valSet.totalVotingPower}`);
}

/** A stable identity of the offence (validator, height, round, type), for de-duplication. */
export function evidenceKey(ev: DuplicateVoteEvidence): string {
  const a = ev.voteA;
  return `${Buffer.from(a.validatorAddress).toString('hex')}/${a.height}/${a.round}/${voteTypeName(a.type)}`;
}

export function evidenceHash(encoded: Uint8Array): Uint8Array {
  return sha256(encoded);
}

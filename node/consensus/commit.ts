// Verifying a Commit (the +2/3 precommit signatures that finalize a block) against the validator set
// of its height: what a syncing node runs on every block it downloads, and what the engine runs on a
// catch-up commit from a peer. Every signature present is checked (NIL ones too), not only enough of
// them, so a commit with one forged signature is refused as a whole.
import { i64 } from '../../chain/codec/proto.ts';
import { isLowS } from '../../chain/crypto/secp256k1.ts';
import type { Timestamp } from '../../chain/context.ts';
import { BLOCK_ID_FLAG_ABSENT, BLOCK_ID_FLAG_COMMIT, BLOCK_ID_FLAG_NIL, type Commit, type ProtoTimestamp } from '../store/block-types.ts';
import { canonicalVoteSignBytes } from './sign-bytes.ts';
import { checkSignatureBytes } from './verify.ts';
import {
  MAX_ROUND, NIL_BLOCK_ID, SIGNED_MSG_TYPE_PRECOMMIT, blockIdEquals, bytesEqual, isNilBlockId, isWellFormedBlockId, shortId,
  type BlockID, type Vote,
} from './types.ts';
import type { ValidatorSet } from './validator-set.ts';

export class CommitVerificationError extends Error {
  override name = 'CommitVerificationError';
}

export function toTimestamp(t: ProtoTimestamp | null | undefined): Timestamp {
  return { seconds: i64(t?.seconds), nanos: t?.nanos ?? 0 };
}

/**
 * Throws CommitVerificationError unless `commit` finalizes `blockId` at `height`: one entry per
 * validator of `valSet` in set order, every present signature valid (low-S, this chain id, this
 * height/round, the right validator), no validator twice, and more than 2/3 of the total power
 * signing the block. Returns the voting power that signed the block.
 */
export function verifyCommit(chainId: string, valSet: ValidatorSet, height: bigint, blockId: BlockID, commit: Commit): bigint {
  const fail = (msg: string): never => {
    throw new CommitVerificationError(`commit for height ${height}: ${msg}`);
  };
  if (!commit || !Array.isArray(commit.signatures)) fail('malformed commit');
  if (i64(commit.height) !== height) fail(`commit is for height ${i64(commit.height)}`);
  const round = commit.round ?? 0;
  if (!Number.isInteger(round) || round < 0 || round > MAX_ROUND) fail(`bad round ${round}`);
  if (!commit.blockId || !isWellFormedBlockId(commit.blockId) || isNilBlockId(commit.blockId)) fail('commit has no complete block id');
  if (!blockIdEquals(commit.blockId, blockId)) fail(`commit is for block ${shortId(commit.blockId)}, expected ${shortId(blockId)}`);
  if (commit.signatures.length !== valSet.size) fail(`${commit.signatures.length} signatures for ${valSet.size} validators`);
  const seen = new Set<string>();
  let signed = 0n;
  commit.signatures.forEach((cs, i) => {
    const val = valSet.validators[i]!;
    const flag = cs.blockIdFlag;
    if (flag === BLOCK_ID_FLAG_ABSENT) {
      if ((cs.validatorAddress?.length ?? 0) !== 0 || (cs.signature?.length ?? 0) !== 0) fail(`absent signature ${i} carries an address or signature`);
      return;
    }
    if (flag !== BLOCK_ID_FLAG_COMMIT && flag !== BLOCK_ID_FLAG_NIL) fail(`signature ${i}: unknown block id flag ${flag}`);
    const addr = cs.validatorAddress ?? new Uint8Array();
    const key = Buffer.from(addr).toString('hex');
    if (seen.has(key)) fail(`validator ${key.toUpperCase()} signs twice`);
    seen.add(key);
    if (!bytesEqual(addr, val.address)) fail(`signature ${i} is by ${key.toUpperCase() || 'nobody'}, expected validator ${Buffer.from(val.address).toString('hex').toUpperCase()}`);
    const sig = cs.signature ?? new Uint8Array();
    if (sig.length === 64 && !isLowS(sig)) fail(`signature ${i}: high-S (malleable) signature`);
    const ts = toTimestamp(cs.timestamp);
    if (ts.seconds < 0n || !Number.isInteger(ts.nanos) || ts.nanos < 0 || ts.nanos >= 1e9) fail(`signature ${i}: bad timestamp`);
    const signedId = flag === BLOCK_ID_FLAG_COMMIT ? blockId : NIL_BLOCK_ID;
    const err = checkSignatureBytes(chainId, canonicalVoteSignBytes(chainId, SIGNED_MSG_TYPE_PRECOMMIT, height, round, signedId, ts), sig, val.pubKey);
    if (err) fail(`signature ${i}: ${err}`);
    if (flag === BLOCK_ID_FLAG_COMMIT) signed += val.votingPower;
  });
  if (!valSet.hasTwoThirds(signed)) fail(`insufficient voting power: ${signed} of ${valSet.totalVotingPower} signed, more than 2/3 needed`);
  return signed;
}

/** The precommits a commit is made of, as votes (to gossip them to a peer still at that height). */
export function commitToVotes(commit: Commit): Vote[] {
  const height = i64(commit.height);
  const out: Vote[] = [];
  commit.signatures.forEach((cs, i) => {
    if (cs.blockIdFlag !== BLOCK_ID_FLAG_COMMIT && cs.blockIdFlag !== BLOCK_ID_FLAG_NIL) return;
    out.push({
      type: SIGNED_MSG_TYPE_PRECOMMIT, height, round: commit.round ?? 0,
      blockId: cs.blockIdFlag === BLOCK_ID_FLAG_COMMIT ? commit.blockId : NIL_BLOCK_ID,
      timestamp: toTimestamp(cs.timestamp), validatorAddress: cs.validatorAddress, validatorIndex: i, signature: cs.signature,
    });
  });
  return out;
}

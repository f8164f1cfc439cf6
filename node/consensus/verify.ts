// Stateless checks of signed consensus messages: shape, membership and signature. Each returns
// undefined when the message is acceptable, or the reason it is not (callers decide whether that is
// an error to throw or a message to drop). Signatures must be 64-byte low-S r||s: libsecp256k1
// rejects the high-S twin anyway, the explicit check only gives the precise reason.
import { isLowS, verifyDigest } from '../../chain/crypto/secp256k1.ts';
import type { Timestamp } from '../../chain/context.ts';
import { proposalSignBytes, signDigestOf, voteSignBytes } from './sign-bytes.ts';
import {
  MAX_HEIGHT, MAX_ROUND, SIGNED_MSG_TYPE_PRECOMMIT, SIGNED_MSG_TYPE_PREVOTE, bytesEqual, isNilBlockId, isWellFormedBlockId,
  type Proposal, type Vote,
} from './types.ts';
import type { ValidatorSet } from './validator-set.ts';

function isTimestamp(t: Timestamp | undefined): boolean {
  return !!t && typeof t.seconds === 'bigint' && t.seconds >= 0n && t.seconds <= MAX_HEIGHT &&
    Number.isInteger(t.nanos) && t.nanos >= 0 && t.nanos < 1_000_000_000;
}

function isRound(r: number): boolean {
  return Number.isInteger(r) && r >= 0 && r <= MAX_ROUND;
}

export function checkSignatureBytes(chainId: string, signBytes: Uint8Array, signature: Uint8Array, pubKey: Uint8Array): string | undefined {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return 'signature must be 64 bytes';
  if (!isLowS(signature)) return 'high-S (malleable) signature';
  if (!verifyDigest(signature, signDigestOf(signBytes), pubKey)) return `invalid signature (chain id ${chainId})`;
  return undefined;
}

/** Shape of a vote, independent of any validator set. */
export function voteBasicError(v: Vote): string | undefined {
  if (v.type !== SIGNED_MSG_TYPE_PREVOTE && v.type !== SIGNED_MSG_TYPE_PRECOMMIT) return `bad vote type ${v.type}`;
  if (typeof v.height !== 'bigint' || v.height <= 0n || v.height > MAX_HEIGHT) return 'bad height';
  if (!isRound(v.round)) return 'bad round';
  if (!isWellFormedBlockId(v.blockId)) return 'malformed block id';
  if (!isTimestamp(v.timestamp)) return 'bad timestamp';
  if (!(v.validatorAddress instanceof Uint8Array) || v.validatorAddress.length !== 20) return 'validator address must be 20 bytes';
  if (!Number.isInteger(v.validatorIndex) || v.validatorIndex < 0 || v.validatorIndex > MAX_ROUND) return 'bad validator index';
  return undefined;
}

/** A vote's shape, its validator's membership at the given index, and its signature. */
export function verifyVote(chainId: string, valSet: ValidatorSet, v: Vote): string | undefined {
  const basic = voteBasicError(v);
  if (basic) return basic;
  const val = valSet.get(v.validatorIndex);
  if (!val) {
    return valSet.indexOf(v.validatorAddress) < 0 ? 'unknown validator' : `validator index ${v.validatorIndex} out of range`;
  }
  if (!bytesEqual(val.address, v.validatorAddress)) {
    return valSet.indexOf(v.validatorAddress) < 0 ? 'unknown validator' : `wrong validator index ${v.validatorIndex} for this address`;
  }
  return checkSignatureBytes(chainId, voteSignBytes(chainId, v), v.signature, val.pubKey);
}

export function proposalBasicError(p: Proposal): string | undefined {
  if (typeof p.height !== 'bigint' || p.height <= 0n || p.height > MAX_HEIGHT) return 'bad height';
  if (!isRound(p.round)) return 'bad round';
  if (!Number.isInteger(p.polRound) || p.polRound < -1 || p.polRound >= p.round) return 'POL round must be -1 or below the round';
  if (!isWellFormedBlockId(p.blockId) || isNilBlockId(p.blockId)) return 'a proposal needs a complete block id';
  if (!isTimestamp(p.timestamp)) return 'bad timestamp';
  return undefined;
}

/** A proposal's shape and the signature of the given proposer. */
export function verifyProposal(chainId: string, proposerPubKey: Uint8Array, p: Proposal): string | undefined {
  const basic = proposalBasicError(p);
  if (basic) return basic;
  return checkSignatureBytes(chainId, proposalSignBytes(chainId, p), p.signature, proposerPubKey);
}

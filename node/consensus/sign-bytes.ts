// The bytes validators sign. A vote signs depin.types.v1.CanonicalVote with its type, so a
// precommit signs exactly what block-types.ts `voteSignBytes` produced for the single-validator
// chain (a test pins the two together); a prevote differs only in the type field, and a proposal
// signs depin.consensus.v1.CanonicalProposal. The chain id is in every one of them, so a signature
// cannot be replayed on another chain, and the type is too, so a prevote cannot pass as a precommit.
import { codec } from '../../chain/codec/proto.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { CanonicalVoteCodec, type BlockID } from '../store/block-types.ts';
import type { Timestamp } from '../../chain/context.ts';
import { SIGNED_MSG_TYPE_PROPOSAL, type UnsignedProposal, type UnsignedVote, type VoteType } from './types.ts';

export const CanonicalProposalCodec = codec<object>('depin.consensus.v1.CanonicalProposal');

export function canonicalVoteSignBytes(chainId: string, type: VoteType, height: bigint, round: number, blockId: BlockID, time: Timestamp): Uint8Array {
  return CanonicalVoteCodec.encode({
    type,
    height: height.toString(),
    round: String(round),
    blockId,
    timestamp: { seconds: time.seconds.toString(), nanos: time.nanos },
    chainId,
  });
}

export function voteSignBytes(chainId: string, v: UnsignedVote): Uint8Array {
  return canonicalVoteSignBytes(chainId, v.type, v.height, v.round, v.blockId, v.timestamp);
}

export function proposalSignBytes(chainId: string, p: UnsignedProposal): Uint8Array {
  return CanonicalProposalCodec.encode({
    type: SIGNED_MSG_TYPE_PROPOSAL,
    height: p.height.toString(),
    round: String(p.round),
    polRound: String(p.polRound),
    blockId: p.blockId,
    timestamp: { seconds: p.timestamp.seconds.toString(), nanos: p.timestamp.nanos },
    chainId,
  });
}

/** What secp256k1 actually signs: sha256 of the sign bytes (as ValidatorKey.sign does). */
export function signDigestOf(signBytes: Uint8Array): Uint8Array {
  return sha256(signBytes);
}

// Protobuf encoding of consensus messages (proto/depin/consensus/v1/consensus.proto) to and from the
// engine's types. Decoding is strict: anything that does not decode into a well-formed message
// throws a ConsensusDecodeError (a peer sending garbage is dropped, never half-processed). Decoding
// does not check signatures; the engine does, against the validator set of the height.
import { codec, i64 } from '../../chain/codec/proto.ts';
import type { BlockID, Commit, ProtoTimestamp } from '../store/block-types.ts';
import type { DuplicateVoteEvidence } from './evidence.ts';
import { proposalBasicError, voteBasicError } from './verify.ts';
import { SIGNED_MSG_TYPE_PROPOSAL, type Proposal, type Timestamp, type Vote, type VoteType } from './types.ts';

export class ConsensusDecodeError extends Error {
  override name = 'ConsensusDecodeError';
}

interface ProtoBlockID {
  hash?: Uint8Array | null;
  partSetHeader?: { total?: number | null; hash?: Uint8Array | null } | null;
}
interface ProtoVote {
  type?: number; height?: unknown; round?: number; blockId?: ProtoBlockID | null; timestamp?: ProtoTimestamp | null;
  validatorAddress?: Uint8Array; validatorIndex?: number; signature?: Uint8Array;
}
interface ProtoProposal {
  type?: number; height?: unknown; round?: number; polRound?: number; blockId?: ProtoBlockID | null; timestamp?: ProtoTimestamp | null; signature?: Uint8Array;
}
interface ProtoEvidence { voteA?: ProtoVote | null; voteB?: ProtoVote | null; totalVotingPower?: unknown; validatorPower?: unknown }
interface ProtoConsensusMessage { proposal?: ProtoProposal | null; vote?: ProtoVote | null; commit?: Commit | null }

const VoteCodec = codec<ProtoVote>('depin.consensus.v1.Vote');
const ProposalCodec = codec<ProtoProposal>('depin.consensus.v1.Proposal');
const EvidenceCodec = codec<ProtoEvidence>('depin.consensus.v1.DuplicateVoteEvidence');
const ConsensusMessageCodec = codec<ProtoConsensusMessage>('depin.consensus.v1.ConsensusMessage');

function bytes(b: Uint8Array | null | undefined): Uint8Array {
  return b ? Uint8Array.from(b) : new Uint8Array();
}

export function blockIdToProto(id: BlockID): ProtoBlockID {
  return { hash: id.hash, partSetHeader: { total: id.partSetHeader.total, hash: id.partSetHeader.hash } };
}

export function blockIdFromProto(p: ProtoBlockID | null | undefined): BlockID {
  return { hash: bytes(p?.hash), partSetHeader: { total: p?.partSetHeader?.total ?? 0, hash: bytes(p?.partSetHeader?.hash) } };
}

export function timestampToProto(t: Timestamp): ProtoTimestamp {
  return { seconds: t.seconds.toString(), nanos: t.nanos };
}

export function timestampFromProto(t: ProtoTimestamp | null | undefined): Timestamp {
  return { seconds: i64(t?.seconds as never), nanos: t?.nanos ?? 0 };
}

export function voteToProto(v: Vote): ProtoVote {
  return {
    type: v.type, height: v.height.toString(), round: v.round, blockId: blockIdToProto(v.blockId), timestamp: timestampToProto(v.timestamp),
    validatorAddress: v.validatorAddress, validatorIndex: v.validatorIndex, signature: v.signature,
  };
}

export function voteFromProto(p: ProtoVote): Vote {
  const v: Vote = {
    type: (p.type ?? 0) as VoteType, height: i64(p.height as never), round: p.round ?? 0, blockId: blockIdFromProto(p.blockId),
    timestamp: timestampFromProto(p.timestamp), validatorAddress: bytes(p.validatorAddress), validatorIndex: p.validatorIndex ?? 0,
    signature: bytes(p.signature),
  };
  const err = voteBasicError(v) ?? (v.signature.length === 64 ? undefined : 'signature must be 64 bytes');
  if (err) throw new ConsensusDecodeError(`bad vote: ${err}`);
  return v;
}

export function proposalToProto(p: Proposal): ProtoProposal {
  return {
    type: SIGNED_MSG_TYPE_PROPOSAL, height: p.height.toString(), round: p.round, polRound: p.polRound, blockId: blockIdToProto(p.blockId),
    timestamp: timestampToProto(p.timestamp), signature: p.signature,
  };
}

export function proposalFromProto(m: ProtoProposal): Proposal {
  if ((m.type ?? 0) !== SIGNED_MSG_TYPE_PROPOSAL) throw new ConsensusDecodeError(`bad proposal: type ${m.type}`);
  const p: Proposal = {
    height: i64(m.height as never), round: m.round ?? 0, polRound: m.polRound ?? 0, blockId: blockIdFromProto(m.blockId),
    timestamp: timestampFromProto(m.timestamp), signature: bytes(m.signature),
  };
  const err = proposalBasicError(p) ?? (p.signature.length === 64 ? undefined : 'signature must be 64 bytes');
  if (err) throw new ConsensusDecodeError(`bad proposal: ${err}`);
  return p;
}

function decodeWith<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ConsensusDecodeError) throw err;
    throw new ConsensusDecodeError(`undecodable message: ${(err as Error).message}`);
  }
}

export function encodeVote(v: Vote): Uint8Array {
  return VoteCodec.encode(voteToProto(v));
}

export function decodeVote(b: Uint8Array): Vote {
  return decodeWith(() => voteFromProto(VoteCodec.decode(b)));
}

export function encodeProposal(p: Proposal): Uint8Array {
  return ProposalCodec.encode(proposalToProto(p));
}

export function decodeProposal(b: Uint8Array): Proposal {
  return decodeWith(() => proposalFromProto(ProposalCodec.decode(b)));
}

export function encodeDuplicateVoteEvidence(ev: DuplicateVoteEvidence): Uint8Array {
  return EvidenceCodec.encode({
    voteA: voteToProto(ev.voteA), voteB: voteToProto(ev.voteB),
    totalVotingPower: ev.totalVotingPower.toString(), validatorPower: ev.validatorPower.toString(),
  });
}

export function decodeDuplicateVoteEvidence(b: Uint8Array): DuplicateVoteEvidence {
  return decodeWith(() => {
    const m = EvidenceCodec.decode(b);
    if (!m.voteA || !m.voteB) throw new ConsensusDecodeError('evidence needs two votes');
    return { voteA: voteFromProto(m.voteA), voteB: voteFromProto(m.voteB), totalVotingPower: i64(m.totalVotingPower as never), validatorPower: i64(m.validatorPower as never) };
  });
}

/** What the p2p layer carries on the consensus topic. */
export type ConsensusMessage =
  | { proposal: Proposal; vote?: undefined; commit?: undefined }
  | { vote: Vote; proposal?: undefined; commit?: undefined }
  | { commit: Commit; proposal?: undefined; vote?: undefined };

export function encodeConsensusMessage(m: ConsensusMessage): Uint8Array {
  if (m.proposal) return ConsensusMessageCodec.encode({ proposal: proposalToProto(m.proposal) });
  if (m.vote) return ConsensusMessageCodec.encode({ vote: voteToProto(m.vote) });
  return ConsensusMessageCodec.encode({ commit: m.commit });
}

export function decodeConsensusMessage(b: Uint8Array): ConsensusMessage {
  return decodeWith(() => {
    const m = ConsensusMessageCodec.decode(b);
    if (m.proposal) return { proposal: proposalFromProto(m.proposal) };
    if (m.vote) return { vote: voteFromProto(m.vote) };
    if (m.commit) return { commit: commitFromProto(m.commit) };
    throw new ConsensusDecodeError('empty consensus message');
  });
}

/** A decoded Commit with plain bytes and string heights (verifyCommit checks its contents). */
export function commitFromProto(c: Commit): Commit {
  return {
    height: i64(c.height).toString(),
    round: c.round ?? 0,
    blockId: blockIdFromProto(c.blockId),
    signatures: (c.signatures ?? []).map((s) => ({
      blockIdFlag: s.blockIdFlag ?? 0,
      validatorAddress: bytes(s.validatorAddress),
      timestamp: { seconds: i64(s.timestamp?.seconds).toString(), nanos: s.timestamp?.nanos ?? 0 },
      signature: bytes(s.signature),
    })),
  };
}

// The consensus engine's message and value types. Heights are bigint (int64 on the wire), rounds are
// numbers (int32 on the wire). A "value" in the sense of the Tendermint paper is a BlockID; nil is the
// empty BlockID.
import type { Timestamp } from '../../chain/context.ts';
import type { BlockID } from '../store/block-types.ts';
import { EMPTY_BLOCK_ID, SIGNED_MSG_TYPE_PRECOMMIT } from '../store/block-types.ts';
import { bytesEqual } from '../../chain/codec/bytes.ts';

export const SIGNED_MSG_TYPE_PREVOTE = 1;
export { SIGNED_MSG_TYPE_PRECOMMIT };
export const SIGNED_MSG_TYPE_PROPOSAL = 32;

export type VoteType = typeof SIGNED_MSG_TYPE_PREVOTE | typeof SIGNED_MSG_TYPE_PRECOMMIT;

export type { BlockID, Timestamp };

export interface Vote {
  type: VoteType;
  height: bigint;
  round: number;
  /** EMPTY_BLOCK_ID (nil) or a complete block id. */
  blockId: BlockID;
  timestamp: Timestamp;
  validatorAddress: Uint8Array;
  validatorIndex: number;
  signature: Uint8Array;
}

export interface Proposal {
  height: bigint;
  round: number;
  /** -1, or the round < `round` whose +2/3 prevotes for blockId justify re-proposing it. */
  polRound: number;
  blockId: BlockID;
  timestamp: Timestamp;
  signature: Uint8Array;
}

export type UnsignedVote = Omit<Vote, 'signature'>;
export type UnsignedProposal = Omit<Proposal, 'signature'>;

/** Steps of a round, ordered as the privval compares them (CometBFT's stepPropose/Prevote/Precommit). */
export const STEP_PROPOSE = 1;
export const STEP_PREVOTE = 2;
export const STEP_PRECOMMIT = 3;
export type Step = typeof STEP_PROPOSE | typeof STEP_PREVOTE | typeof STEP_PRECOMMIT;

export function stepName(s: Step): 'propose' | 'prevote' | 'precommit' {
  return s === STEP_PROPOSE ? 'propose' : s === STEP_PREVOTE ? 'prevote' : 'precommit';
}

export function voteStep(type: VoteType): Step {
  return type === SIGNED_MSG_TYPE_PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT;
}

export function voteTypeName(type: VoteType): 'prevote' | 'precommit' {
  return type === SIGNED_MSG_TYPE_PREVOTE ? 'prevote' : 'precommit';
}

export const NIL_BLOCK_ID: BlockID = EMPTY_BLOCK_ID;

/** Rounds are int32 on the wire; the engine refuses anything it could not encode back. */
export const MAX_ROUND = 0x7fffffff;
/** Heights are int64 on the wire. */
export const MAX_HEIGHT = (1n << 63n) - 1n;

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function isNilBlockId(id: BlockID): boolean {
  return id.hash.length === 0 && id.partSetHeader.total === 0 && id.partSetHeader.hash.length === 0;
}

/**
 * A nil block id, or a complete one (32-byte hash, at least one part, 32-byte part-set hash).
 * Anything in between is malformed and refused, so "nil" has exactly one representation.
 */
export function isWellFormedBlockId(id: BlockID): boolean {
  if (isNilBlockId(id)) return true;
  const t = id.partSetHeader.total;
  return id.hash.length === 32 && id.partSetHeader.hash.length === 32 && Number.isInteger(t) && t >= 1 && t <= 0xffffffff;
}

/** A map key for a block id ('' for nil); equal keys ⇔ equal block ids. */
export function blockIdKey(id: BlockID): string {
  if (isNilBlockId(id)) return '';
  return `${hex(id.hash)}:${id.partSetHeader.total}:${hex(id.partSetHeader.hash)}`;
}

export function blockIdEquals(a: BlockID, b: BlockID): boolean {
  return blockIdKey(a) === blockIdKey(b);
}

export { bytesEqual };

export function timestampEquals(a: Timestamp, b: Timestamp): boolean {
  return a.seconds === b.seconds && a.nanos === b.nanos;
}

export function shortId(id: BlockID): string {
  return isNilBlockId(id) ? 'nil' : hex(id.hash).slice(0, 12).toUpperCase();
}

export function sameVote(a: Vote, b: Vote): boolean {
  return a.type === b.type && a.height === b.height && a.round === b.round && a.validatorIndex === b.validatorIndex &&
    blockIdEquals(a.blockId, b.blockId) && timestampEquals(a.timestamp, b.timestamp) &&
    bytesEqual(a.validatorAddress, b.validatorAddress) && bytesEqual(a.signature, b.signature);
}

export function sameProposal(a: Proposal, b: Proposal): boolean {
  return a.height === b.height && a.round === b.round && a.polRound === b.polRound && blockIdEquals(a.blockId, b.blockId) &&
    timestampEquals(a.timestamp, b.timestamp) && bytesEqual(a.signature, b.signature);
}

export function copyBlockId(id: BlockID): BlockID {
  return { hash: Uint8Array.from(id.hash), partSetHeader: { total: id.partSetHeader.total, hash: Uint8Array.from(id.partSetHeader.hash) } };
}

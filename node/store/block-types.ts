// Block, header and commit types (depin.types.v1), their hashes and the bytes validators sign.
import protobuf from 'protobufjs';
import { codec, i64, type Codec, type U64 } from '../../chain/codec/proto.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { txHash } from '../../chain/tx/tx-hash.ts';
import type { Timestamp } from '../../chain/context.ts';
import type { Event } from '../../chain/events.ts';
import type { TxResult } from '../../chain/app.ts';

export interface PartSetHeader {
  total: number;
  hash: Uint8Array;
}

export interface BlockID {
  hash: Uint8Array;
  partSetHeader: PartSetHeader;
}

export interface ProtoTimestamp {
  seconds: U64;
  nanos: number;
}

export interface Header {
  chainId: string;
  height: U64;
  time: ProtoTimestamp;
  lastBlockId: BlockID;
  lastCommitHash: Uint8Array;
  dataHash: Uint8Array;
  validatorsHash: Uint8Array;
  nextValidatorsHash: Uint8Array;
  consensusHash: Uint8Array;
  appHash: Uint8Array;
  lastResultsHash: Uint8Array;
  evidenceHash: Uint8Array;
  proposerAddress: Uint8Array;
  versionBlock: U64;
  versionApp: U64;
}

export const BLOCK_ID_FLAG_ABSENT = 1;
export const BLOCK_ID_FLAG_COMMIT = 2;
export const BLOCK_ID_FLAG_NIL = 3;

export interface CommitSig {
  blockIdFlag: number;
  validatorAddress: Uint8Array;
  timestamp: ProtoTimestamp;
  signature: Uint8Array;
}

export interface Commit {
  height: U64;
  round: number;
  blockId: BlockID;
  signatures: CommitSig[];
}

export interface Block {
  header: Header;
  txs: Uint8Array[];
  lastCommit: Commit;
  /** Encoded depin.consensus.v1.DuplicateVoteEvidence, committed to by header.evidenceHash. */
  evidence?: Uint8Array[];
}

export interface ExecTxResultMsg {
  code: number;
  data: Uint8Array;
  log: string;
  info: string;
  gasWanted: U64;
  gasUsed: U64;
  events: Event[];
  codespace: string;
}

export interface BlockResultsMsg {
  height: U64;
  txResults: ExecTxResultMsg[];
  finalizeBlockEvents: Event[];
  appHash: Uint8Array;
}

export const HeaderCodec = codec<Header>('depin.types.v1.Header');
export const BlockCodec = codec<Block>('depin.types.v1.Block');
export const CommitCodec = codec<Commit>('depin.types.v1.Commit');
export const BlockResultsCodec = codec<BlockResultsMsg>('depin.types.v1.BlockResults');
export const ExecTxResultCodec = codec<ExecTxResultMsg>('depin.types.v1.ExecTxResult');

/** Decoded events as plain objects (protobufjs leaves defaults on prototypes, lists may be absent). */
export function eventsFromMsg(events: readonly Event[] | undefined): Event[] {
  return (events ?? []).map((e) => ({ type: e.type, attributes: (e.attributes ?? []).map((a) => ({ key: a.key, value: a.value, index: a.index })) }));
}

/** A decoded ExecTxResult as the app's TxResult. */
export function txResultFromMsg(r: ExecTxResultMsg): TxResult {
  return {
    code: r.code, codespace: r.codespace, log: r.log, info: r.info, data: r.data,
    gasWanted: i64(r.gasWanted), gasUsed: i64(r.gasUsed), events: eventsFromMsg(r.events),
  };
}
export const CanonicalVoteCodec = codec<object>('depin.types.v1.CanonicalVote');
const ValidatorSetCodec = codec<{ validators: { address: Uint8Array; pubKey: Uint8Array; votingPower: U64 }[] }>('depin.types.v1.ValidatorSet');

export const SIGNED_MSG_TYPE_PRECOMMIT = 2;
export const BLOCK_VERSION = 11n; // CometBFT's block protocol version, reported by status

export const EMPTY_BLOCK_ID: BlockID = { hash: new Uint8Array(), partSetHeader: { total: 0, hash: new Uint8Array() } };

/**
 * BlockCodec.encode(block), with the txs written directly: a block of thousands of txs spent most
 * of its encoding time in protobufjs' per-field writer bookkeeping. Same bytes (tested).
 */
export function encodeBlock(block: Block): Uint8Array {
  const header = HeaderCodec.encode(block.header);
  const commit = CommitCodec.encode(block.lastCommit);
  const lenSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
  let size = 1 + lenSize(header.length) + header.length + 1 + lenSize(commit.length) + commit.length;
  for (const tx of block.txs) size += 1 + lenSize(tx.length) + tx.length;
  for (const ev of block.evidence ?? []) size += 1 + lenSize(ev.length) + ev.length;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  const field = (tag: number, bytes: Uint8Array) => {
    out[p++] = tag;
    let n = bytes.length;
    while (n >= 0x80) {
      out[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[p++] = n;
    out.set(bytes, p);
    p += bytes.length;
  };
  field(0x0a, header);
  for (const tx of block.txs) field(0x12, tx);
  field(0x1a, commit);
  for (const ev of block.evidence ?? []) field(0x22, ev);
  return out;
}

function isDefaultScalar(x: unknown): boolean {
  if (x === 0 || x === '0' || x === 0n || x === false || x === '') return true;
  if (x instanceof Uint8Array) return x.length === 0;
  if (typeof x === 'object' && x !== null && 'low' in x && 'high' in x) return (x as { low: number }).low === 0 && (x as { high: number }).high === 0;
  return false;
}

/**
 * The proto3-canonical form of a message object: scalar fields holding their default (0, '0',
 * 0n, a zero Long, '', false, empty bytes) are left out and bigints become decimal strings.
 * protobufjs writes a 64-bit zero given as the string '0' but drops it on decode, so without this
 * headerHash(decode(encode(h))) could differ from headerHash(h). Presence of sub-messages is kept
 * (protobufjs preserves it both ways).
 */
export function canonicalMessage(t: protobuf.Type, v: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const obj = v as Record<string, unknown>;
  for (const f of t.fieldsArray) {
    const x = obj[f.name];
    if (x === undefined || x === null) continue;
    const sub = f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
    if (f.repeated) {
      const arr = x as unknown[];
      if (arr.length > 0) out[f.name] = sub ? arr.map((e) => canonicalMessage(sub, e)) : arr;
    } else if (sub) {
      out[f.name] = canonicalMessage(sub, x);
    } else if (!isDefaultScalar(x)) {
      out[f.name] = typeof x === 'bigint' ? x.toString() : x;
    }
  }
  return out;
}

/** Encodes the canonical form of `value` (what every hash of a header or commit is taken over). */
export function canonicalEncode<T>(c: Codec<T>, value: T): Uint8Array {
  return c.encode(canonicalMessage(c.type, value) as T);
}

/** sha256 of the canonical header encoding: the same on every node, however the header was built or decoded. */
export function headerHash(h: Header): Uint8Array {
  return sha256(canonicalEncode(HeaderCodec, h));
}

/** Hash over the tx hashes in order, so the header commits to the exact tx list. */
export function dataHash(txs: readonly Uint8Array[]): Uint8Array {
  const buf = new Uint8Array(32 * txs.length);
  txs.forEach((tx, i) => buf.set(txHash(tx), 32 * i));
  return sha256(buf);
}

export function commitHash(c: Commit): Uint8Array {
  return sha256(canonicalEncode(CommitCodec, c));
}

/** sha256 over the sha256 of each encoded evidence, in block order; empty for a block without evidence. */
export function evidenceHash(evidence: readonly Uint8Array[] | undefined): Uint8Array {
  if (!evidence || evidence.length === 0) return new Uint8Array();
  const buf = new Uint8Array(32 * evidence.length);
  evidence.forEach((e, i) => buf.set(sha256(e), 32 * i));
  return sha256(buf);
}

/** The bytes a validator signs for a precommit: sha256 of the canonical vote. */
export function voteSignBytes(chainId: string, height: bigint, round: number, blockId: BlockID, time: Timestamp): Uint8Array {
  return CanonicalVoteCodec.encode({
    type: SIGNED_MSG_TYPE_PRECOMMIT,
    height: height.toString(),
    round: String(round),
    blockId,
    timestamp: { seconds: time.seconds.toString(), nanos: time.nanos },
    chainId,
  });
}

export interface Validator {
  address: Uint8Array; // 20 bytes
  pubKey: Uint8Array; // 33-byte secp256k1
  votingPower: bigint;
  name?: string;
}

export function validatorSetHash(vals: readonly Validator[]): Uint8Array {
  return sha256(ValidatorSetCodec.encode({ validators: vals.map((v) => ({ address: v.address, pubKey: v.pubKey, votingPower: v.votingPower.toString() })) }));
}

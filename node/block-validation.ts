// Building a proposal block and checking one: what every validator checks before it prevotes a
// block (and what block sync checks before applying one). The header must be exactly what the
// chain's state implies: height and chain id, the link to the previous block, the previous
// block's commit (verified against the validator set that signed it), the data and evidence
// hashes, this height's and the next height's validator sets, the app hash and results hash of
// the previous block's execution, the consensus parameters, a proposer of this height, and the
// BFT time (weighted median of the last commit's timestamps), which must increase.
import { sha256 } from '../chain/crypto/hash.ts';
import { i64, u64 } from '../chain/codec/proto.ts';
import type { Timestamp } from '../chain/context.ts';
import {
  BlockCodec, CommitCodec, HeaderCodec, BLOCK_VERSION, EMPTY_BLOCK_ID, canonicalEncode, commitHash, dataHash, encodeBlock, evidenceHash, headerHash,
  type Block, type BlockID, type Commit, type Header,
} from './store/block-types.ts';
import { verifyCommit } from './consensus/commit.ts';
import { blockIdFromProto, commitFromProto } from './consensus/codec.ts';
import { blockIdEquals, bytesEqual, shortId } from './consensus/types.ts';
import type { ValidatorSet } from './consensus/validator-set.ts';
import { compareTime, firstBlockTime, medianTime, protoTime } from './bft-time.ts';

/** What the chain's state says the block at `height` must look like. */
export interface BlockContext {
  chainId: string;
  height: bigint;
  /** Block id of height - 1 (EMPTY_BLOCK_ID at height 1). */
  lastBlockId: BlockID;
  /** Time of block height - 1 (undefined at height 1). */
  lastBlockTime: Timestamp | undefined;
  genesisTime: Timestamp;
  /** The set that signed block height - 1 (undefined at height 1). */
  lastValSet: ValidatorSet | undefined;
  valSet: ValidatorSet;
  nextValSet: ValidatorSet;
  /** App hash and results hash after executing block height - 1 (or genesis). */
  appHash: Uint8Array;
  lastResultsHash: Uint8Array;
  consensusHash: Uint8Array;
  /** Largest encoded block (consensus_params.block.max_bytes). */
  maxBlockBytes: number;
}

/** A bytes field of a decoded message as a Uint8Array (protobufjs' default for an absent one is []). */
export function bytesOf(x: Uint8Array | readonly number[] | null | undefined): Uint8Array {
  return x instanceof Uint8Array ? x : new Uint8Array(x ?? []);
}

/** sha256 of the genesis consensus parameters, which the header commits to. */
export function consensusParamsHash(params: unknown): Uint8Array {
  return sha256(new TextEncoder().encode(JSON.stringify(params ?? {})));
}

export function emptyCommit(): Commit {
  return CommitCodec.decode(canonicalEncode(CommitCodec, { height: 0, round: 0, blockId: EMPTY_BLOCK_ID, signatures: [] } as unknown as Commit));
}

/** A message object in the form every receiver decodes it to (so proposer and peers see the same). */
export function canonicalCommit(c: Commit): Commit {
  return CommitCodec.decode(canonicalEncode(CommitCodec, c));
}

/** The block's time by the BFT time rule. */
export function expectedBlockTime(ctx: Pick<BlockContext, 'height' | 'genesisTime' | 'lastValSet'>, lastCommit: Commit): Timestamp {
  if (ctx.height === 1n) return firstBlockTime(ctx.genesisTime);
  if (!ctx.lastValSet) throw new Error(`no validator set for height ${ctx.height - 1n}`);
  return medianTime(lastCommit, ctx.lastValSet);
}

export interface BuiltBlock {
  block: Block;
  bytes: Uint8Array;
  blockId: BlockID;
}

/** Builds the block a proposer proposes (header and commit in canonical, decoded form). */
export function buildBlock(ctx: BlockContext, opts: { txs: Uint8Array[]; evidence: Uint8Array[]; lastCommit: Commit; proposer: Uint8Array }): BuiltBlock {
  const lastCommit = ctx.height === 1n ? emptyCommit() : canonicalCommit(opts.lastCommit);
  const time = expectedBlockTime(ctx, lastCommit);
  const raw: Header = {
    chainId: ctx.chainId,
    height: ctx.height.toString(),
    time: { seconds: time.seconds.toString(), nanos: time.nanos },
    lastBlockId: ctx.lastBlockId,
    lastCommitHash: ctx.height === 1n ? new Uint8Array() : commitHash(lastCommit),
    dataHash: dataHash(opts.txs),
    validatorsHash: ctx.valSet.hash(),
    nextValidatorsHash: ctx.nextValSet.hash(),
    consensusHash: ctx.consensusHash,
    appHash: ctx.appHash,
    lastResultsHash: ctx.lastResultsHash,
    evidenceHash: evidenceHash(opts.evidence),
    proposerAddress: opts.proposer,
    versionBlock: BLOCK_VERSION.toString(),
    versionApp: 0,
  };
  const header = HeaderCodec.decode(canonicalEncode(HeaderCodec, raw));
  const block: Block = { header, txs: opts.txs, lastCommit, evidence: opts.evidence };
  const bytes = encodeBlock(block);
  return { block, bytes, blockId: makeBlockId(block.header, bytes) };
}

/** A block's id: its header hash and the hash of its encoding (one part). */
export function makeBlockId(header: Header, bytes: Uint8Array): BlockID {
  return { hash: headerHash(header), partSetHeader: { total: 1, hash: sha256(bytes) } };
}

/** Decodes block bytes from the network; throws on garbage. */
export function decodeBlock(bytes: Uint8Array): Block {
  const b = BlockCodec.decode(bytes);
  if (!b.header) throw new Error('block without header');
  return b;
}

/**
 * Returns why `block` (encoded as `bytes`, claimed to have id `blockId`) cannot be the block at
 * ctx.height, or undefined if its header and last commit are right. `proposers` lists the
 * addresses allowed as header.proposer_address (the proposer of the round the block was built in;
 * omit to accept any validator of the height, as block sync does: the commit vouches for it).
 * Evidence contents are checked separately (EvidencePool.checkBlock), their hash here.
 */
export function blockError(ctx: BlockContext, block: Block, bytes: Uint8Array, blockId: BlockID, proposers?: readonly Uint8Array[]): string | undefined {
  const h = block.header;
  if (!h) return 'no header';
  if (bytes.length > ctx.maxBlockBytes) return `block of ${bytes.length} bytes exceeds max_bytes ${ctx.maxBlockBytes}`;
  if (!blockIdEquals(makeBlockId(h, bytes), blockId)) return `block id ${shortId(blockId)} does not match the block`;
  if (h.chainId !== ctx.chainId) return `wrong chain id ${h.chainId}`;
  if (i64(h.height) !== ctx.height) return `wrong height ${i64(h.height)}, expected ${ctx.height}`;
  if (u64(h.versionBlock) !== BLOCK_VERSION || u64(h.versionApp) !== 0n) return `wrong version ${u64(h.versionBlock)}/${u64(h.versionApp)}`;
  const lastBlockId = blockIdFromProto(h.lastBlockId);
  if (!blockIdEquals(lastBlockId, ctx.lastBlockId)) return `wrong last block id ${shortId(lastBlockId)}, expected ${shortId(ctx.lastBlockId)}`;
  const lastCommit = commitFromProto(block.lastCommit ?? emptyCommit());
  if (ctx.height === 1n) {
    if ((lastCommit.signatures ?? []).length !== 0 || bytesOf(h.lastCommitHash).length !== 0) return 'the first block carries a last commit';
  } else {
    if (!bytesEqual(bytesOf(h.lastCommitHash), commitHash(lastCommit))) return 'last commit hash does not match the last commit';
    try {
      verifyCommit(ctx.chainId, ctx.lastValSet!, ctx.height - 1n, ctx.lastBlockId, lastCommit);
    } catch (err) {
      return `bad last commit: ${(err as Error).message}`;
    }
  }
  if (!bytesEqual(bytesOf(h.dataHash), dataHash(block.txs ?? []))) return 'data hash does not match the txs';
  if (!bytesEqual(bytesOf(h.evidenceHash), evidenceHash(block.evidence))) return 'evidence hash does not match the evidence';
  if (!bytesEqual(bytesOf(h.validatorsHash), ctx.valSet.hash())) return 'wrong validators hash';
  if (!bytesEqual(bytesOf(h.nextValidatorsHash), ctx.nextValSet.hash())) return 'wrong next validators hash';
  if (!bytesEqual(bytesOf(h.consensusHash), ctx.consensusHash)) return 'wrong consensus hash';
  if (!bytesEqual(bytesOf(h.appHash), ctx.appHash)) return `wrong app hash ${Buffer.from(bytesOf(h.appHash)).toString('hex').toUpperCase()}, expected ${Buffer.from(ctx.appHash).toString('hex').toUpperCase()}`;
  if (!bytesEqual(bytesOf(h.lastResultsHash), ctx.lastResultsHash)) return 'wrong last results hash';
  const proposer = bytesOf(h.proposerAddress);
  if (ctx.valSet.indexOf(proposer) < 0) return 'proposer is not a validator of this height';
  if (proposers && !proposers.some((p) => bytesEqual(p, proposer))) return 'block was not built by a proposer of this height/round';
  let expected: Timestamp;
  try {
    expected = expectedBlockTime(ctx, lastCommit);
  } catch (err) {
    return `cannot compute the block time: ${(err as Error).message}`;
  }
  const time = protoTime(h.time);
  if (compareTime(time, expected) !== 0) return `block time ${time.seconds}.${time.nanos} is not the BFT time ${expected.seconds}.${expected.nanos}`;
  if (ctx.lastBlockTime && compareTime(time, ctx.lastBlockTime) <= 0) return 'block time does not increase';
  return undefined;
}

// Runs the BFT engine (node/consensus) inside a node: feeds it proposals, votes and decided-block
// announcements from libp2p, timeouts and the node's verdicts, and carries out what it asks —
// build a block from the mempool and propose it as a compact block, check a proposed block,
// store and execute a decided block, broadcast votes, gossip evidence.
//
// Blocks travel as compact blocks (header + last commit + tx hashes) inside the proposal envelope;
// receivers rebuild them from their mempools and fetch missing txs from peers. A decided block is
// stored with its commit before it is executed (node.commitBlock); the next height starts after
// timeout_commit (config.blockTimeMs). While a height is undecided for a while, the driver asks its
// peers for the messages they hold at that height (/depin/consensus/state/1): gossipsub drops what
// was published while a peer was away, and the algorithm needs every message of an honest
// validator to reach everyone eventually.
//
// A node without a consensus key runs the same engine without a signer: it decides from the
// validators' precommits (or a decided-block announcement) and never votes.
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../chain/crypto/hash.ts';
import { txHash } from '../chain/tx/tx-hash.ts';
import type { Timestamp } from '../chain/context.ts';
import { DurableConsensus } from './consensus/durable-consensus.ts';
import { ConsensusWal, FileWalStorage, MemoryWalStorage } from './consensus/wal.ts';
import { FileSignStateStore, PrivValidator } from './consensus/privval.ts';
import type { ConsensusAction, ConsensusInput, InputResult } from './consensus/state-machine.ts';
import {
  commitFromProto, decodeConsensusMessage, decodeDuplicateVoteEvidence, decodeProposal, encodeConsensusMessage,
  encodeDuplicateVoteEvidence, encodeProposal,
} from './consensus/codec.ts';
import { evidenceKey, verifyDuplicateVoteEvidence, type DuplicateVoteEvidence } from './consensus/evidence.ts';
import { verifyCommit } from './consensus/commit.ts';
import { verifyProposal, verifyVote } from './consensus/verify.ts';
import { writeFileAtomicSync } from './consensus/durable-file.ts';
import { blockIdEquals, blockIdKey, bytesEqual, isNilBlockId, shortId, voteTypeName, type BlockID, type Proposal, type Vote } from './consensus/types.ts';
import { BlockCodec, CommitCodec, headerHash, type Block, type Commit } from './store/block-types.ts';
import {
  decodeBlockAnnouncement, decodeCompactBlock, encodeBlockAnnouncement, encodeCompactBlock, reconstructBlock, type CompactBlock,
} from './p2p/compact-block.ts';
import { TOPIC } from './p2p/topics.ts';
import { PENALTY } from './p2p/peer-score.ts';
import { Reader, Writer, hex } from './p2p/wire.ts';
import type { Verdict } from './p2p/host.ts';
import { blockError, decodeBlock, emptyCommit, buildBlock, bytesOf, expectedBlockTime, makeBlockId } from './block-validation.ts';
import { compareTime, minVoteTime, protoTime } from './bft-time.ts';
import { CONSENSUS_STATE_PROTOCOL, EVIDENCE_TOPIC, type NodeNetwork } from './network.ts';
import type { DepinNode } from './node.ts';

// ---------------------------------------------------------------------------------- wire formats

const ENVELOPE_VERSION = 1;

/** A signed proposal and the compact block whose id it signs: what travels on TOPIC.proposal. */
export function encodeProposalEnvelope(p: Proposal, compact: Uint8Array): Uint8Array {
  const prop = encodeProposal(p);
  return new Writer(16 + prop.length + compact.length).u8(ENVELOPE_VERSION).bytes(prop).bytes(compact).finish();
}

export function decodeProposalEnvelope(b: Uint8Array): { proposal: Proposal; compactBytes: Uint8Array; compact: CompactBlock } {
  const r = new Reader(b);
  const v = r.u8();
  if (v !== ENVELOPE_VERSION) throw new Error(`proposal envelope version ${v}`);
  const proposal = decodeProposal(r.bytes(1024, 'proposal'));
  const compactBytes = r.bytes(b.length, 'compact block');
  r.end('proposal envelope');
  return { proposal, compactBytes, compact: decodeCompactBlock(compactBytes) };
}

/** The block's encoding without its txs (field 2), cut from the bytes themselves: never a re-encoding. */
export function stripTxs(bytes: Uint8Array): Uint8Array {
  const keep: Uint8Array[] = [];
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (pos >= bytes.length || shift > 49) throw new Error('block bytes: bad varint');
      const byte = bytes[pos++]!;
      v += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return v;
      shift += 7;
    }
  };
  while (pos < bytes.length) {
    const start = pos;
    const tag = varint();
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint(); // (not `pos += varint()`: that adds to the value pos had before the call)
      pos += len;
    }
    else if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`block bytes: wire type ${wire}`);
    if (pos > bytes.length) throw new Error('block bytes: truncated field');
    if (Math.floor(tag / 8) !== 2) keep.push(bytes.subarray(start, pos));
  }
  return Buffer.concat(keep);
}

/** The compact form of stored or built block bytes (tx hashes from the txs). */
export function compactFromBytes(bytes: Uint8Array, txs: readonly Uint8Array[], origin: string): Uint8Array {
  const hashes = new Uint8Array(32 * txs.length);
  txs.forEach((tx, i) => hashes.set(txHash(tx), 32 * i));
  return encodeCompactBlock({ skeleton: stripTxs(bytes), txHashes: hashes, origin });
}

/**
 * Whether a node may start height `height` now (CometBFT's create_empty_blocks): always when empty
 * blocks are on; otherwise for the first two heights, when txs wait, when the last block changed
 * the state (a proof block: the next header carries the new app hash), when a peer is already at
 * this height, or while catching up.
 */
export function readyToStartHeight(o: { createEmptyBlocks: boolean; height: bigint; pendingTxs: number; stateChanged: boolean; peerMovedOn: boolean; syncing: boolean }): boolean {
  return o.createEmptyBlocks || o.height <= 2n || o.pendingTxs > 0 || o.stateChanged || o.peerMovedOn || o.syncing;
}

const STATE_ITEM = { proposal: 1, vote: 2, announcement: 3 } as const;
const STATE_LIMITS = { maxRequestBytes: 8, maxResponseBytes: 16 * 1024 * 1024, timeoutMs: 3_000, maxInboundStreams: 8 };

// ---------------------------------------------------------------------------------------- driver

interface Candidate {
  height: bigint;
  blockId: BlockID;
  block: Block;
  bytes: Uint8Array;
  compact: Uint8Array;
}

const candKey = (height: bigint, id: BlockID) => `${height}:${blockIdKey(id)}`;

export class ConsensusDriver {
  readonly cs: DurableConsensus;
  readonly signer: PrivValidator | undefined;
  private readonly node: DepinNode;
  private readonly net: NodeNetwork;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly voteLog: string | undefined;
  private running = false;
  private stopped = false;
  /** Why consensus stopped on its own (a consensus failure); the node keeps serving what it has. */
  halted: string | undefined;

  private readonly candidates = new Map<string, Candidate>();
  private readonly reconstructing = new Map<string, Promise<Candidate | undefined>>();
  private readonly waiters = new Map<string, { height: bigint; resolve: (c: Candidate | undefined) => void }[]>();
  /** Rounds and POL rounds of the proposals seen for each block (who may have built it). */
  private readonly proposalRounds = new Map<string, { round: number; polRound: number }[]>();
  private decidedHeight = 0n;
  private heightStartedAt = Date.now();
  private minVote: Timestamp | undefined;
  /** The engine's commit of the last decided height, fuller than the stored one (late precommits). */
  private lastCommit: { height: bigint; commit: Commit } | undefined;
  private sawNextHeight = false;
  private pulling = false;
  private advancing = false;
  private advanceAgain = false;
  private announcementCache: { height: bigint; bytes: Uint8Array } | undefined;
  private gossipTimer: NodeJS.Timeout | undefined;
  private readonly decoded = new WeakMap<Uint8Array, unknown>();
  private readonly rejects = new Map<string, number>();
  private lastReject = '';

  private constructor(node: DepinNode, net: NodeNetwork) {
    this.node = node;
    this.net = net;
    const data = node.dataDir;
    const cfg = node.config.consensus;
    this.voteLog = cfg.voteLog;
    this.signer = node.validatorKey ? new PrivValidator(node.validatorKey, new FileSignStateStore(join(data, 'priv_validator_state.json'))) : undefined;
    this.cs = new DurableConsensus({
      chainId: node.chainId,
      signer: this.signer,
      wal: new ConsensusWal(this.signer ? new FileWalStorage(join(data, 'cs.wal')) : new MemoryWalStorage()),
      clock: () => this.voteTime(),
      timeouts: {
        proposeMs: cfg.timeoutProposeMs, proposeDeltaMs: cfg.timeoutProposeDeltaMs, prevoteMs: cfg.timeoutPrevoteMs,
        prevoteDeltaMs: cfg.timeoutPrevoteDeltaMs, precommitMs: cfg.timeoutPrecommitMs, precommitDeltaMs: cfg.timeoutPrecommitDeltaMs,
      },
    });
    const host = net.host;
    const maxBytes = node.config.p2p.maxGossipBytes;
    host.subscribe(TOPIC.proposal, { maxBytes, validate: (b, from) => this.logReject('proposal', from, this.checkProposal(b, from)), onMessage: (b, from) => this.onProposalMsg(b, from) });
    host.subscribe(TOPIC.vote, { maxBytes: 4096, validate: (b, from) => this.logReject('vote', from, this.checkVote(b)), onMessage: (b) => this.onVoteMsg(b) });
    host.subscribe(TOPIC.block, { maxBytes, validate: (b, from) => this.logReject('block', from, this.checkAnnouncement(b)), onMessage: (b, from) => this.onAnnouncementMsg(b, from) });
    host.subscribe(EVIDENCE_TOPIC, { maxBytes: 64 * 1024, validate: async (b, from) => this.logReject('evidence', from, await this.checkEvidence(b)), onMessage: (b) => this.onEvidenceMsg(b) });
  }

  static async create(node: DepinNode, net: NodeNetwork): Promise<ConsensusDriver> {
    const d = new ConsensusDriver(node, net);
    await net.host.handle(CONSENSUS_STATE_PROTOCOL, (req) => d.serveState(req), STATE_LIMITS);
    return d;
  }

  private get height(): bigint {
    return this.cs.engine.height;
  }

  private get ownProposalPath(): string {
    return join(this.node.dataDir, 'cs_proposal.bin');
  }

  /** Starts at the height after the stored chain, replaying the WAL if the node crashed inside it. */
  async start(): Promise<void> {
    if (this.running || this.stopped) return;
    const h = this.node.blocks.height() + 1n;
    const set = await this.node.valsets.get(h);
    if (!set) throw new Error(`no validator set for height ${h}`);
    this.running = true;
    this.heightStartedAt = Date.now();
    this.decidedHeight = h - 1n;
    let actions: ConsensusAction[];
    try {
      actions = this.cs.start(h, set);
    } catch (err) {
      this.halt(err);
      return;
    }
    if (this.cs.replayed > 0) this.node.log(`consensus: resumed height ${h} from ${this.cs.replayed} WAL records (round ${this.cs.engine.round})`);
    this.carry(actions);
    this.gossipTimer = setInterval(() => void this.gossipTick(), this.node.config.consensus.peerGossipMs);
    this.gossipTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    if (this.gossipTimer) clearInterval(this.gossipTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const list of this.waiters.values()) for (const w of list) w.resolve(undefined);
    this.waiters.clear();
    this.cs.wal.storage.close();
  }

  private halt(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.halted = msg;
    this.running = false;
    this.node.log(`CONSENSUS HALTED at height ${this.height}: ${msg}`);
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Vote timestamps: now, but at least 1 ms after any valid block of this height (BFT time increases). */
  private voteTime(): Timestamp {
    const ms = Date.now();
    const now = { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
    return this.minVote && compareTime(now, this.minVote) < 0 ? this.minVote : now;
  }

  private noteValidBlock(block: Block): void {
    const t = minVoteTime(protoTime(block.header.time));
    if (!this.minVote || compareTime(t, this.minVote) > 0) this.minVote = t;
  }

  // ------------------------------------------------------------------------------ engine I/O

  private input(inp: ConsensusInput): InputResult | undefined {
    if (!this.running) return undefined;
    let res: InputResult;
    try {
      res = this.cs.handle(inp);
    } catch (err) {
      this.halt(err);
      return undefined;
    }
    if (inp.type === 'vote' && res.accepted) this.logVote(inp.vote);
    this.carry(res.actions);
    return res;
  }

  private carry(actions: ConsensusAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'broadcastProposal':
          void this.publishProposal(a.proposal);
          break;
        case 'broadcastVote':
          this.logVote(a.vote);
          void this.publish(TOPIC.vote, encodeConsensusMessage({ vote: a.vote }));
          break;
        case 'scheduleTimeout':
          this.later(a.durationMs, () => this.input({ type: 'timeout', height: a.height, round: a.round, step: a.step }));
          break;
        case 'requestValue':
          void this.buildValue(a.height, a.round);
          break;
        case 'validateValue':
          void this.validate(a.height, a.round, a.blockId);
          break;
        case 'decide':
          void this.onDecide(a.height, a.round, a.blockId, a.commit);
          break;
        case 'evidence':
          this.onEngineEvidence(a.evidence);
          break;
        case 'signRefused':
          this.node.log(`consensus: signer refused at ${a.height}/${a.round}: ${a.reason}`);
          break;
      }
    }
  }

  private async publish(topic: string, data: Uint8Array): Promise<void> {
    try {
      await this.net.host.publish(topic, data);
    } catch (err) {
      this.node.log(`p2p: publish on ${topic} failed: ${(err as Error).message}`);
    }
  }

  private logVote(v: Vote): void {
    if (!this.voteLog) return;
    const rec = { h: v.height.toString(), r: v.round, t: voteTypeName(v.type), v: hex(v.validatorAddress), b: isNilBlockId(v.blockId) ? 'nil' : hex(v.blockId.hash), s: hex(v.signature) };
    try {
      appendFileSync(this.voteLog, JSON.stringify(rec) + '\n');
    } catch {
      // test instrumentation only
    }
  }

  // --------------------------------------------------------------------------- candidate blocks

  private addCandidate(height: bigint, blockId: BlockID, block: Block, bytes: Uint8Array, compact?: Uint8Array): Candidate {
    const key = candKey(height, blockId);
    const existing = this.candidates.get(key);
    if (existing) return existing;
    const c: Candidate = { height, blockId, block, bytes, compact: compact ?? compactFromBytes(bytes, block.txs, this.net.host.peerId) };
    this.candidates.set(key, c);
    for (const w of this.waiters.get(key) ?? []) w.resolve(c);
    this.waiters.delete(key);
    return c;
  }

  /** The candidate with this id once it is known; undefined after `timeoutMs` or when the height is left behind. */
  private waitCandidate(height: bigint, blockId: BlockID, timeoutMs: number): Promise<Candidate | undefined> {
    const key = candKey(height, blockId);
    const have = this.candidates.get(key);
    if (have) return Promise.resolve(have);
    return new Promise((resolve) => {
      let done = false;
      const finish = (c: Candidate | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(c);
      };
      const timer = setTimeout(() => {
        const list = this.waiters.get(key);
        if (list) this.waiters.set(key, list.filter((w) => w.resolve !== finish));
        finish(undefined);
      }, timeoutMs);
      const list = this.waiters.get(key) ?? [];
      list.push({ height, resolve: finish });
      this.waiters.set(key, list);
    });
  }

  /** Rebuilds a block from its compact form (mempool + tx fetch) in the background. */
  private reconstruct(height: bigint, blockId: BlockID, compact: CompactBlock, compactBytes: Uint8Array, from?: string): void {
    const key = candKey(height, blockId);
    if (this.candidates.has(key) || this.reconstructing.has(key) || height < this.height) return;
    const prefer = [compact.origin, from].filter((p): p is string => !!p && p !== this.net.host.peerId);
    const p = reconstructBlock(compact, {
      lookupTx: (h) => this.node.mempool.get(hex(h))?.bytes ?? this.node.recentTxs.get(h),
      fetchTxs: (hs) => this.net.sync.fetchTxs(hs, { preferPeers: prefer, deadlineMs: 5_000 }),
    })
      .then((r) => {
        if (blockId.partSetHeader.total !== 1 || !bytesEqual(sha256(r.blockBytes), blockId.partSetHeader.hash)) throw new Error('rebuilt bytes do not match the part-set hash');
        if (!bytesEqual(headerHash(r.block.header), blockId.hash)) throw new Error('header does not match the block id');
        return this.addCandidate(height, blockId, r.block, r.blockBytes, compactBytes);
      })
      .catch((err) => {
        this.node.log(`consensus: cannot rebuild block ${shortId(blockId)} of height ${height}: ${(err as Error).message}`);
        return undefined;
      })
      .finally(() => this.reconstructing.delete(key));
    this.reconstructing.set(key, p);
  }

  /**
   * The block the engine decided, from wherever it can be found: already rebuilt, the peers'
   * consensus state (proposals or the decided-block announcement), or block sync once a peer has
   * stored it. Undefined when the store reached the height meanwhile (block sync got it first).
   */
  private async obtainBlock(height: bigint, blockId: BlockID): Promise<Candidate | undefined> {
    for (let attempt = 0; !this.stopped; attempt++) {
      if (this.node.blocks.height() >= height) return undefined;
      const c = await this.waitCandidate(height, blockId, attempt === 0 ? 1_500 : 500);
      if (c) return c;
      if (this.node.blocks.height() >= height) return undefined;
      if (attempt === 0) this.node.log(`consensus: decided block ${shortId(blockId)} of height ${height} not here yet, asking peers`);
      await this.pullFromPeers(height);
      const pulled = await this.waitCandidate(height, blockId, 300);
      if (pulled) return pulled;
      await this.fetchStoredBlock(height, blockId);
    }
    return undefined;
  }

  /** Block sync of one decided block by id (peers that already stored it). */
  private async fetchStoredBlock(height: bigint, blockId: BlockID): Promise<void> {
    try {
      for await (const e of this.net.sync.syncBlocks(height, height, (e) => {
        try {
          return bytesEqual(sha256(e.block), blockId.partSetHeader.hash) && bytesEqual(headerHash(decodeBlock(e.block).header), blockId.hash);
        } catch {
          return false;
        }
      })) {
        this.addCandidate(height, blockId, decodeBlock(e.block), e.block);
      }
    } catch {
      // no peer has it yet
    }
  }

  // ---------------------------------------------------------------------------- engine actions

  /** We propose this round: reap the mempool, build the block, persist it, hand the engine its id. */
  private async buildValue(height: bigint, round: number): Promise<void> {
    try {
      if (!this.signer || height !== this.node.blocks.height() + 1n) return;
      const ctx = await this.node.blockContext(height);
      const lastCommit = height > 1n ? await this.commitOf(height - 1n) : emptyCommit();
      const time = expectedBlockTime(ctx, lastCommit);
      const evidence = await this.node.evidence.forBlock(height, time, this.node.evidenceContext());
      const cfg = this.node.config.block;
      const txs = this.node.mempool.reap(cfg.maxTxs, Math.min(cfg.maxBytes, this.node.maxBlockBytes - 1024 * 1024));
      const built = buildBlock(ctx, { txs, evidence, lastCommit, proposer: this.signer.address });
      if (this.height !== height || this.cs.engine.round !== round || !this.running) return; // the round moved on meanwhile
      // Our proposal must outlive a crash: peers may hold our signature on it before they have its txs.
      writeFileAtomicSync(this.ownProposalPath, new Writer(16 + built.bytes.length).u64(height).u32(round).bytes(built.bytes).finish());
      this.addCandidate(height, built.blockId, built.block, built.bytes);
      this.noteValidBlock(built.block);
      this.node.recentTxs.add(txs);
      this.input({ type: 'value', height, round, blockId: built.blockId });
    } catch (err) {
      this.node.log(`consensus: cannot build a proposal for ${height}/${round}: ${(err as Error).message}`);
    }
  }

  /** Our own proposal's block from the file written before we signed it (after a crash). */
  private loadOwnProposal(p: Proposal): Candidate | undefined {
    if (!existsSync(this.ownProposalPath)) return undefined;
    try {
      const r = new Reader(new Uint8Array(readFileSync(this.ownProposalPath)));
      const height = r.u64();
      r.u32();
      const bytes = r.bytes(1 << 30, 'block');
      if (height !== p.height) return undefined;
      const block = decodeBlock(bytes);
      if (!blockIdEquals(makeBlockId(block.header, bytes), p.blockId)) return undefined;
      return this.addCandidate(height, p.blockId, block, bytes);
    } catch {
      return undefined;
    }
  }

  private async publishProposal(p: Proposal): Promise<void> {
    const c = this.candidates.get(candKey(p.height, p.blockId)) ?? this.loadOwnProposal(p) ?? (await this.waitCandidate(p.height, p.blockId, 5_000));
    if (!c) {
      this.node.log(`consensus: cannot send proposal ${p.height}/${p.round}: block ${shortId(p.blockId)} unknown`);
      return;
    }
    this.noteProposalRound(p);
    await this.publish(TOPIC.proposal, encodeProposalEnvelope(p, c.compact));
  }

  private noteProposalRound(p: Proposal): void {
    const key = candKey(p.height, p.blockId);
    const list = this.proposalRounds.get(key) ?? [];
    if (!list.some((x) => x.round === p.round)) list.push({ round: p.round, polRound: p.polRound });
    this.proposalRounds.set(key, list);
  }

  /**
   * Validators allowed as the block's proposer_address: a fresh proposal (POL round -1) must be the
   * round proposer's own block; a re-proposal carries a block built in a round up to its POL round.
   */
  private allowedProposers(height: bigint, blockId: BlockID): Uint8Array[] {
    if (height !== this.height) return [];
    const sched = this.cs.engine.validatorSet.proposerSchedule();
    const out: Uint8Array[] = [];
    for (const { round, polRound } of this.proposalRounds.get(candKey(height, blockId)) ?? []) {
      if (polRound < 0) out.push(sched.proposer(round).address);
      else for (let r = 0; r <= polRound; r++) out.push(sched.proposer(r).address);
    }
    return out;
  }

  /** The paper's valid(v): once the block is here, check header, last commit, evidence. No verdict if it never arrives. */
  private async validate(height: bigint, round: number, blockId: BlockID): Promise<void> {
    const c = await this.waitCandidate(height, blockId, 60_000);
    if (!c || height !== this.height || height !== this.node.blocks.height() + 1n || !this.running) return;
    let err: string | undefined;
    try {
      const ctx = await this.node.blockContext(height);
      err = blockError(ctx, c.block, c.bytes, blockId, this.allowedProposers(height, blockId));
      if (!err && (c.block.evidence ?? []).length > 0) {
        try {
          await this.node.evidence.checkBlock((c.block.evidence ?? []).map(bytesOf), height, protoTime(c.block.header.time), this.node.evidenceContext());
        } catch (e) {
          err = (e as Error).message;
        }
      }
    } catch (e) {
      this.node.log(`consensus: cannot check block ${shortId(blockId)} at ${height}/${round}: ${(e as Error).message}`);
      return; // a local problem: no verdict (we prevote nil at the timeout)
    }
    if (height !== this.height) return;
    if (err) this.node.log(`consensus: block ${shortId(blockId)} proposed at ${height}/${round} is invalid: ${err}`);
    else this.noteValidBlock(c.block);
    this.input({ type: 'validity', height, blockId, valid: !err });
  }

  private async onDecide(height: bigint, round: number, blockId: BlockID, commit: Commit): Promise<void> {
    if (height <= this.decidedHeight) return;
    this.decidedHeight = height;
    const decidedAt = Date.now();
    const c = await this.obtainBlock(height, blockId);
    if (this.stopped || !this.running) return;
    if (c) {
      const seen = (this.height === height ? this.cs.engine.commit() : undefined) ?? commit;
      try {
        if (await this.node.commitBlock(c.block, blockId, seen, c.bytes)) {
          this.node.log(`committed block ${height} (${c.block.txs.length} txs, round ${round}) ${shortId(blockId)}`);
          this.announce(height, round, c, seen);
        }
      } catch (err) {
        this.halt(err);
        return;
      }
    }
    const storedId = this.node.last?.height === height ? this.node.last.blockId : undefined;
    if (storedId && !blockIdEquals(storedId, blockId)) this.halt(new Error(`FORK: consensus decided ${shortId(blockId)} at ${height} but ${shortId(storedId)} is stored`));
    if (this.node.blocks.height() < height) return;
    const delay = this.node.syncer?.behind ? 0 : Math.max(0, decidedAt + this.node.config.blockTimeMs - Date.now());
    this.later(delay, () => void this.advance());
  }

  /** The round's proposer tells full nodes (and anyone who missed the precommits) about the decided block. */
  private announce(height: bigint, round: number, c: Candidate, commit: Commit): void {
    if (!this.signer || height !== this.height) return;
    if (!bytesEqual(this.cs.engine.validatorSet.proposerSchedule().proposer(round).address, this.signer.address)) return;
    void this.publish(TOPIC.block, encodeBlockAnnouncement(c.compact, CommitCodec.encode(commit)));
  }

  /** The commit for `height` to put in the next block: the engine's (with late precommits) or the stored one. */
  private async commitOf(height: bigint): Promise<Commit> {
    if (this.lastCommit?.height === height) return this.lastCommit.commit;
    const c = await this.node.blocks.loadCommit(height);
    if (!c) throw new Error(`no commit stored for height ${height}`);
    return commitFromProto(c);
  }

  /**
   * Moves the engine to the height after the stored chain (after timeout_commit, or after block
   * sync stored several blocks). Calls during a move are folded into one more check afterwards.
   */
  async advance(): Promise<void> {
    if (!this.running) return;
    if (this.advancing) {
      this.advanceAgain = true;
      return;
    }
    this.advancing = true;
    try {
      do {
        this.advanceAgain = false;
        const h = this.node.blocks.height() + 1n;
        if (this.height >= h || !this.running) return;
        const ready = readyToStartHeight({
          createEmptyBlocks: this.node.config.createEmptyBlocks, height: h, pendingTxs: this.node.mempool.size(),
          stateChanged: !this.node.last || !bytesEqual(this.node.last.appHash, this.node.lastAppHash),
          peerMovedOn: this.sawNextHeight, syncing: !!this.node.syncer?.behind,
        });
        if (!ready) {
          this.later(100, () => void this.advance());
          return;
        }
        const set = this.node.valsets.cached(h) ?? (await this.node.valsets.get(h));
        if (!set || !this.running || this.height >= h) return;
        if (this.height === h - 1n) {
          const c = this.cs.engine.commit();
          this.lastCommit = c && this.node.last && blockIdEquals(c.blockId, this.node.last.blockId) ? { height: h - 1n, commit: c } : undefined;
        } else {
          this.lastCommit = undefined;
        }
        this.forgetBelow(h);
        this.minVote = undefined;
        this.sawNextHeight = false;
        this.heightStartedAt = Date.now();
        this.decidedHeight = h - 1n;
        if (existsSync(this.ownProposalPath)) rmSync(this.ownProposalPath, { force: true });
        let actions: ConsensusAction[];
        try {
          actions = this.cs.startHeight(h, set);
        } catch (err) {
          this.halt(err);
          return;
        }
        this.carry(actions);
      } while (this.advanceAgain);
    } finally {
      this.advancing = false;
    }
  }

  private forgetBelow(h: bigint): void {
    for (const [k, c] of this.candidates) if (c.height < h) this.candidates.delete(k);
    for (const k of this.proposalRounds.keys()) if (BigInt(k.slice(0, k.indexOf(':'))) < h) this.proposalRounds.delete(k);
    for (const [k, list] of this.waiters) {
      if (list[0] && list[0].height < h) {
        for (const w of list) w.resolve(undefined);
        this.waiters.delete(k);
      }
    }
  }

  private onEngineEvidence(ev: DuplicateVoteEvidence): void {
    try {
      verifyDuplicateVoteEvidence(this.node.chainId, this.cs.engine.validatorSet, ev);
    } catch (err) {
      this.node.log(`consensus: engine evidence does not verify: ${(err as Error).message}`);
      return;
    }
    if (this.node.evidence.add(ev)) {
      this.node.log(`consensus: evidence of double signing: ${evidenceKey(ev)}`);
      void this.publish(EVIDENCE_TOPIC, encodeDuplicateVoteEvidence(ev));
    }
  }

  // ------------------------------------------------------------------------------- gossip in

  /** Logs why a peer's message was refused (the first few per peer): a refusal costs the peer score. */
  private logReject(topic: string, from: string, v: Verdict): Verdict {
    if (v === 'reject') {
      const n = (this.rejects.get(from) ?? 0) + 1;
      this.rejects.set(from, n);
      if (n <= 5) this.node.log(`p2p: refused a ${topic} message from ${from}: ${this.lastReject}`);
    }
    return v;
  }

  private reject(why: string): Verdict {
    this.lastReject = why;
    return 'reject';
  }

  private peerAhead(): void {
    this.node.syncer?.poke();
  }

  /** Decodes gossip bytes once: the validator and the handler see the same Uint8Array (else it decodes again). */
  private parsed<T>(b: Uint8Array, parse: (b: Uint8Array) => T): T {
    const hit = this.decoded.get(b);
    if (hit !== undefined) return hit as T;
    const v = parse(b);
    this.decoded.set(b, v);
    return v;
  }

  private static parseProposal(b: Uint8Array) {
    const m = decodeProposalEnvelope(b);
    return { ...m, header: BlockCodec.decode(m.compact.skeleton).header };
  }

  private checkProposal(b: Uint8Array, _from: string): Verdict {
    let m: ReturnType<typeof ConsensusDriver.parseProposal>;
    try {
      m = this.parsed(b, ConsensusDriver.parseProposal);
    } catch (err) {
      return this.reject(`undecodable proposal: ${(err as Error).message}`);
    }
    const p = m.proposal;
    // The compact block must be the block the proposal signs (a relay cannot swap it).
    if (!m.header || !bytesEqual(headerHash(m.header), p.blockId.hash)) return this.reject(`proposal ${p.height}/${p.round}: compact block is not the signed block`);
    if (p.height < this.height) return 'ignore';
    if (p.height > this.height + 1n) {
      this.peerAhead();
      return 'ignore';
    }
    const set = p.height === this.height ? this.cs.engine.validatorSet : this.node.valsets.cached(p.height);
    if (!set) return 'ignore';
    if (p.round > (p.height === this.height ? this.cs.engine.round : 0) + 8) return 'ignore';
    const perr = verifyProposal(this.node.chainId, set.proposerSchedule().proposer(p.round).pubKey, p);
    if (perr) return this.reject(`proposal ${p.height}/${p.round} (we are at ${this.height}): ${perr}`);
    if (p.height > this.height) this.sawNextHeight = true;
    return 'accept';
  }

  private onProposalMsg(b: Uint8Array, from: string): void {
    const m = this.parsed(b, ConsensusDriver.parseProposal);
    this.noteProposalRound(m.proposal);
    this.reconstruct(m.proposal.height, m.proposal.blockId, m.compact, m.compactBytes, from);
    this.input({ type: 'proposal', proposal: m.proposal });
  }

  private static parseVote(b: Uint8Array): Vote {
    const m = decodeConsensusMessage(b);
    if (!m.vote) throw new Error('not a vote');
    return m.vote;
  }

  private checkVote(b: Uint8Array): Verdict {
    let v: Vote;
    try {
      v = this.parsed(b, ConsensusDriver.parseVote);
    } catch (err) {
      return this.reject(`undecodable vote: ${(err as Error).message}`);
    }
    if (v.height < this.height) return 'ignore';
    if (v.height > this.height + 1n) {
      this.peerAhead();
      return 'ignore';
    }
    const set = v.height === this.height ? this.cs.engine.validatorSet : this.node.valsets.cached(v.height);
    if (!set) return 'ignore';
    const verr = verifyVote(this.node.chainId, set, v);
    if (verr) return this.reject(`vote ${v.height}/${v.round} (we are at ${this.height}): ${verr}`);
    if (v.height > this.height) this.sawNextHeight = true;
    return 'accept';
  }

  private onVoteMsg(b: Uint8Array): void {
    this.input({ type: 'vote', vote: this.parsed(b, ConsensusDriver.parseVote) });
  }

  private static parseAnnouncement(b: Uint8Array) {
    const a = decodeBlockAnnouncement(b);
    const compact = decodeCompactBlock(a.compact);
    return { compact, compactBytes: a.compact, commit: commitFromProto(CommitCodec.decode(a.commit)), header: BlockCodec.decode(compact.skeleton).header };
  }

  private checkAnnouncement(b: Uint8Array): Verdict {
    let a: ReturnType<typeof ConsensusDriver.parseAnnouncement>;
    try {
      a = this.parsed(b, ConsensusDriver.parseAnnouncement);
    } catch (err) {
      return this.reject(`undecodable block announcement: ${(err as Error).message}`);
    }
    const commit = a.commit;
    const h = BigInt(commit.height.toString());
    if (!a.header || !bytesEqual(headerHash(a.header), commit.blockId.hash)) return this.reject(`announcement ${h}: compact block is not the committed block`);
    if (h < this.height) return 'ignore';
    // Once decided, only an announcement of the decided block is useful (its content, if we lack it).
    const decision = h === this.height ? this.cs.engine.snapshot().decision : undefined;
    if (decision && (!blockIdEquals(decision.blockId, commit.blockId) || this.candidates.has(candKey(h, commit.blockId)))) return 'ignore';
    if (h > this.height) {
      this.peerAhead();
      return 'ignore';
    }
    try {
      verifyCommit(this.node.chainId, this.cs.engine.validatorSet, h, commit.blockId, commit);
    } catch (err) {
      return this.reject(`announcement ${h}: ${(err as Error).message}`);
    }
    return 'accept';
  }

  private onAnnouncementMsg(b: Uint8Array, from: string): void {
    const a = this.parsed(b, ConsensusDriver.parseAnnouncement);
    const h = BigInt(a.commit.height.toString());
    this.reconstruct(h, a.commit.blockId, a.compact, a.compactBytes, from);
    this.input({ type: 'commit', commit: a.commit });
  }

  private async checkEvidence(b: Uint8Array): Promise<Verdict> {
    let ev: DuplicateVoteEvidence;
    try {
      ev = this.parsed(b, decodeDuplicateVoteEvidence);
    } catch (err) {
      return this.reject(`undecodable evidence: ${(err as Error).message}`);
    }
    const set = ev.voteA.height <= this.node.blocks.height() + 2n ? await this.node.valsets.get(ev.voteA.height) : undefined;
    if (!set) return 'ignore';
    try {
      verifyDuplicateVoteEvidence(this.node.chainId, set, ev);
    } catch (err) {
      return this.reject((err as Error).message);
    }
    if (this.node.evidence.isCommitted(evidenceKey(ev))) return 'ignore';
    return 'accept';
  }

  private onEvidenceMsg(b: Uint8Array): void {
    const ev = this.parsed(b, decodeDuplicateVoteEvidence);
    if (this.node.evidence.add(ev)) this.node.log(`consensus: evidence from a peer: ${evidenceKey(ev)}`);
  }

  // ------------------------------------------------------------------ consensus state (pull)

  /** Every peerGossipMs: a height undecided for that long asks peers for what they hold at it. */
  private async gossipTick(): Promise<void> {
    if (!this.running || this.pulling) return;
    if (Date.now() - this.heightStartedAt < this.node.config.consensus.peerGossipMs) return;
    if (this.cs.engine.snapshot().decision) return; // obtainBlock pulls for a decided block it lacks
    await this.pullFromPeers(this.height);
  }

  private async pullFromPeers(height: bigint): Promise<void> {
    if (this.pulling) return;
    this.pulling = true;
    try {
      const peers = await this.net.host.peersSupporting(CONSENSUS_STATE_PROTOCOL);
      const req = new Writer(8).u64(height).finish();
      await Promise.all(peers.map(async (peer) => {
        let res: Uint8Array;
        try {
          res = await this.net.host.request(peer, CONSENSUS_STATE_PROTOCOL, req, STATE_LIMITS);
        } catch {
          return;
        }
        try {
          this.takeState(res, peer);
        } catch (err) {
          this.node.log(`consensus: bad state from ${peer}: ${(err as Error).message}`);
          this.net.host.penalize(peer, PENALTY.badResponse, `consensus state: ${(err as Error).message}`);
        }
      }));
    } finally {
      this.pulling = false;
    }
  }

  /** Feeds a peer's consensus state through the same checks as gossip; garbage costs the peer. */
  private takeState(res: Uint8Array, peer: string): void {
    const r = new Reader(res);
    const n = r.count(10_000, 5, 'state items');
    const items: { kind: number; bytes: Uint8Array }[] = [];
    for (let i = 0; i < n; i++) items.push({ kind: r.u8(), bytes: r.bytes(res.length, 'item') });
    r.end('consensus state');
    for (const { kind, bytes } of items) {
      const verdict = kind === STATE_ITEM.proposal ? this.checkProposal(bytes, peer) : kind === STATE_ITEM.vote ? this.checkVote(bytes) : kind === STATE_ITEM.announcement ? this.checkAnnouncement(bytes) : 'reject';
      if (verdict === 'reject') throw new Error(`invalid item of kind ${kind}: ${this.lastReject}`);
      if (verdict !== 'accept') continue;
      if (kind === STATE_ITEM.proposal) this.onProposalMsg(bytes, peer);
      else if (kind === STATE_ITEM.vote) this.onVoteMsg(bytes);
      else this.onAnnouncementMsg(bytes, peer);
    }
  }

  private async serveState(req: Uint8Array): Promise<Uint8Array> {
    const r = new Reader(req);
    const height = r.u64();
    r.end('state request');
    const items: [number, Uint8Array][] = [];
    if (this.running && height === this.height) {
      const { proposals, votes } = this.cs.engine.gossip();
      for (const p of proposals) {
        const c = this.candidates.get(candKey(height, p.blockId));
        if (c) items.push([STATE_ITEM.proposal, encodeProposalEnvelope(p, c.compact)]);
      }
      for (const v of votes) items.push([STATE_ITEM.vote, encodeConsensusMessage({ vote: v })]);
    }
    if (height >= 1n && height <= this.node.blocks.height()) {
      const a = await this.storedAnnouncement(height);
      if (a) items.push([STATE_ITEM.announcement, a]);
    }
    const w = new Writer(4 + items.reduce((s, [, b]) => s + 5 + b.length, 0)).u32(items.length);
    for (const [k, b] of items) w.u8(k).bytes(b);
    return w.finish();
  }

  private async storedAnnouncement(height: bigint): Promise<Uint8Array | undefined> {
    if (this.announcementCache?.height === height) return this.announcementCache.bytes;
    const bytes = await this.node.blocks.loadBlockBytes(height);
    const commit = await this.node.blocks.loadCommitBytes(height);
    if (!bytes || !commit) return undefined;
    const block = BlockCodec.decode(bytes);
    const out = encodeBlockAnnouncement(compactFromBytes(bytes, block.txs, this.net.host.peerId), commit);
    this.announcementCache = { height, bytes: out };
    return out;
  }
}

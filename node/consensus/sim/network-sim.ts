// A deterministic in-process network of validators running the real consensus engine, WAL and
// privval, on a virtual clock driven by a seeded PRNG. Before GST (global stabilisation time) the
// network delays, drops, duplicates and reorders messages and splits into partitions, validators
// crash (some right after persisting a signature, before sending it; some losing the unsynced WAL
// tail) and restart from their WAL and sign state; one or more Byzantine validators equivocate
// throughout. After GST messages arrive within a bound.
//
// What is checked, on every run:
// - safety: no two honest validators decide different blocks at one height; every decision carries
//   a commit that verifyCommit accepts, for a value that was valid;
// - no honest validator ever signs two different messages for one height/round/step (crashes included);
// - liveness: every honest validator reaches the target height within a bound after GST;
// - every duplicate-vote evidence verifies and accuses a Byzantine validator; equivocation is caught.
import { sha256 } from '../../../chain/crypto/hash.ts';
import type { Commit } from '../../store/block-types.ts';
import type { ValidatorKey } from '../../validator-key.ts';
import { decodeConsensusMessage, encodeConsensusMessage, type ConsensusMessage } from '../codec.ts';
import { verifyCommit } from '../commit.ts';
import { DurableConsensus } from '../durable-consensus.ts';
import { verifyDuplicateVoteEvidence, type DuplicateVoteEvidence } from '../evidence.ts';
import { FileSignStateStore, MemorySignStateStore, PrivValidator, type SignStateStore } from '../privval.ts';
import { proposalSignBytes, voteSignBytes } from '../sign-bytes.ts';
import type { ConsensusSigner } from '../signer.ts';
import { ConsensusState, type ConsensusAction, type ConsensusInput, type TimeoutParams } from '../state-machine.ts';
import {
  NIL_BLOCK_ID, blockIdKey, isNilBlockId, stepName,
  type BlockID, type Proposal, type Timestamp, type Vote,
} from '../types.ts';
import { ConsensusWal, FileWalStorage, MemoryWalStorage } from '../wal.ts';
import { ValidatorSet } from '../validator-set.ts';
import { EventQueue } from './event-queue.ts';
import { Prng } from './prng.ts';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

export interface SimConfig {
  seed: number;
  keys: readonly ValidatorKey[];
  /** Voting power per key (default 1 each). */
  powers?: readonly bigint[];
  /** Key indices of equivocating validators (keep their power below 1/3). */
  byzantine?: readonly number[];
  /**
   * 'everything': a Byzantine runs the real engine but each peer gets a vote for a random proposed
   * value or nil, and half the peers a second proposal. 'lockSplit' is a scripted attacker on locks
   * (no engine, it never decides, so it keeps attacking every round): it prevotes the round's
   * proposal, precommits a block to one honest validator only and nil to the others (one validator
   * decides, the others stay locked and move on), and as proposer sends a fresh value without
   * proof-of-lock and votes for it, which a validator ignoring its lock would prevote and decide.
   */
  byzantineStrategy?: 'everything' | 'lockSplit';
  /**
   * Adversarial scheduling before GST (0: off): the block precommits of one honest validator per
   * height/round (the one a lockSplit Byzantine lets decide) and all catch-up commits are delayed
   * this much, so the others time out of the round locked but undecided.
   */
  adversarialDelayMs?: number;
  targetHeight: number;
  gstMs: number;
  preGst: { maxDelayMs: number; dropPerMille: number; dupPerMille: number; partitions: number };
  postGstMaxDelayMs: number;
  /** Crash/restart episodes before GST (honest validators only). */
  crashes: number;
  /** Crashes injected right after a signature is persisted, before it is broadcast. */
  signCrashes: number;
  /** A crash loses the WAL tail that was not fsynced (possibly leaving a torn record). */
  powerLoss: boolean;
  /** valid(v) answered asynchronously (validateValue → onValueValidity) instead of by the callback. */
  asyncValidity: boolean;
  /** Use real files (FileWalStorage, FileSignStateStore) under this directory instead of memory. */
  realFilesDir?: string;
  timeouts: TimeoutParams;
  gossipIntervalMs: number;
  commitDelayMs: number;
  /** Every honest validator must reach targetHeight within this long after GST. */
  livenessBoundMs: number;
  chainId?: string;
  /** Debug output of decisions, crashes and attacker moves. */
  trace?: (line: string) => void;
}

export interface SimStats {
  heights: number;
  decisions: number;
  /** Honest decisions made before GST (under loss, partitions and crashes). */
  decisionsBeforeGst: number;
  maxDecisionRound: number;
  roundsAboveZero: number;
  crashes: number;
  signCrashes: number;
  restarts: number;
  replayedRecords: number;
  evidence: number;
  signRefused: number;
  delivered: number;
  dropped: number;
  catchUpCommits: number;
  finishedAtMs: number;
}

export interface SimResult {
  violations: string[];
  live: boolean;
  equivocationDetected: boolean;
  stats: SimStats;
}

class SimCrash extends Error {}

type Wire = { kind: 'consensus'; bytes: Uint8Array } | { kind: 'status'; height: bigint };

interface SimNode {
  id: number;
  key: ValidatorKey;
  byzantine: boolean;
  up: boolean;
  /** Incremented on every crash; events scheduled by an earlier incarnation are void. */
  gen: number;
  height: bigint;
  decided: Map<bigint, { blockId: BlockID; commit: Commit }>;
  // honest nodes
  durable?: DurableConsensus;
  memWal?: MemoryWalStorage;
  fileWal?: FileWalStorage;
  signStore?: SignStateStore;
  crashAtNextSign: boolean;
  // Byzantine nodes
  engine?: ConsensusState;
}

const GENESIS_SECONDS = 1_700_000_000;

export function runSimulation(cfg: SimConfig): SimResult {
  return new NetworkSim(cfg).run();
}

class NetworkSim {
  private readonly cfg: SimConfig;
  private readonly chainId: string;
  private readonly q = new EventQueue();
  private readonly net: Prng;
  private readonly faults: Prng;
  private readonly misc: Prng;
  private readonly nodes: SimNode[];
  private readonly valSets: ValidatorSet[] = [];
  private readonly valid = new Set<string>();
  private readonly invalid = new Set<string>();
  private valueCounter = 0;
  private readonly decisions = new Map<bigint, string>();
  private readonly signed = new Map<string, string>();
  private readonly violations: string[] = [];
  private readonly partitions: { from: number; to: number; side: Set<number> }[] = [];
  private honestAtTarget = 0;
  private readonly honestCount: number;
  private equivocationDetected = false;
  /** Values proposed per height/round, as the Byzantine validators know them. */
  private readonly byzValues = new Map<string, BlockID[]>();
  /** The fresh value a Byzantine proposer sent at a height/round (lockSplit votes for it). */
  private readonly byzTwins = new Map<string, BlockID>();
  /** The lockSplit attacker's memory: rounds it has seen, and prevote tallies per round. */
  private readonly agentRounds = new Set<string>();
  private readonly agentTally = new Map<string, Map<string, Set<number>>>();
  private readonly stats: SimStats = {
    heights: 0, decisions: 0, decisionsBeforeGst: 0, maxDecisionRound: 0, roundsAboveZero: 0, crashes: 0, signCrashes: 0, restarts: 0, replayedRecords: 0,
    evidence: 0, signRefused: 0, delivered: 0, dropped: 0, catchUpCommits: 0, finishedAtMs: 0,
  };

  constructor(cfg: SimConfig) {
    this.cfg = cfg;
    this.chainId = cfg.chainId ?? 'depin-sim-1';
    const root = new Prng(cfg.seed);
    this.net = root.fork();
    this.faults = root.fork();
    this.misc = root.fork();
    const byz = new Set(cfg.byzantine ?? []);
    this.nodes = cfg.keys.map((key, id) => ({
      id, key, byzantine: byz.has(id), up: true, gen: 0, height: 1n, decided: new Map(), crashAtNextSign: false,
    }));
    this.honestCount = this.nodes.filter((n) => !n.byzantine).length;
    let set = ValidatorSet.fromGenesis(cfg.keys.map((k, i) => ({ address: k.address, pubKey: k.publicKey, votingPower: cfg.powers?.[i] ?? 1n })));
    this.valSets.push(set, set); // index = height (0 unused)
    for (let h = 2; h <= cfg.targetHeight + 2; h++) {
      set = set.next();
      this.valSets.push(set);
    }
    let byzPower = 0n;
    for (const n of this.nodes) if (n.byzantine) byzPower += set.validators[set.indexOf(n.key.address)]!.votingPower;
    if (byzPower * 3n >= set.totalVotingPower) throw new Error('Byzantine power must stay below 1/3');
  }

  // ---------------------------------------------------------------- setup and main loop

  run(): SimResult {
    for (const node of this.nodes) {
      if (node.byzantine) this.startByzantine(node);
      else this.startHonest(node, true);
    }
    this.scheduleFaults();
    for (const node of this.nodes) this.q.after(this.misc.int(1, this.cfg.gossipIntervalMs), () => this.gossipTick(node));
    const deadline = this.cfg.gstMs + this.cfg.livenessBoundMs;
    while (this.honestAtTarget < this.honestCount && this.q.now <= deadline && this.violations.length === 0) {
      if (!this.q.step()) break;
    }
    this.stats.finishedAtMs = this.q.now;
    this.stats.heights = this.cfg.targetHeight;
    for (const n of this.nodes) n.fileWal?.close();
    const live = this.honestAtTarget === this.honestCount;
    if (!live && this.violations.length === 0) {
      const where = this.nodes.filter((n) => !n.byzantine).map((n) => {
        const e = n.durable?.engine.snapshot();
        return `v${n.id}${n.up ? '' : '(down)'}@${n.height}/${e?.round ?? '-'}/${e ? stepName(e.step) : '-'}`;
      }).join(' ');
      this.violations.push(`LIVENESS: not all honest validators reached height ${this.cfg.targetHeight} by ${deadline} ms (${where})`);
    }
    return { violations: this.violations, live, equivocationDetected: this.equivocationDetected, stats: this.stats };
  }

  private clock(): Timestamp {
    const ms = this.q.now;
    return { seconds: BigInt(GENESIS_SECONDS + Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
  }

  private validate(_height: bigint, id: BlockID): boolean | undefined {
    if (this.cfg.asyncValidity) return undefined;
    return this.verdict(id);
  }

  private verdict(id: BlockID): boolean | undefined {
    const k = blockIdKey(id);
    return this.valid.has(k) ? true : this.invalid.has(k) ? false : undefined;
  }

  /** A new block id; `valid` decides what every node's valid(v) will say about it. */
  private newValue(node: SimNode, height: bigint, round: number, valid = true): BlockID {
    const label = new TextEncoder().encode(`${this.cfg.seed}/${height}/${round}/${node.id}/${this.valueCounter++}`);
    const id: BlockID = { hash: sha256(label), partSetHeader: { total: 1, hash: sha256(sha256(label)) } };
    (valid ? this.valid : this.invalid).add(blockIdKey(id));
    return id;
  }

  // ---------------------------------------------------------------- honest validators

  private startHonest(node: SimNode, first: boolean): void {
    const dir = this.cfg.realFilesDir ? join(this.cfg.realFilesDir, `v${node.id}`) : undefined;
    if (first) {
      if (dir) mkdirSync(dir, { recursive: true });
      else {
        node.memWal = new MemoryWalStorage();
        node.signStore = new MemorySignStateStore();
      }
    }
    let walStorage;
    if (dir) {
      node.fileWal = new FileWalStorage(join(dir, 'cs.wal'));
      node.signStore = new FileSignStateStore(join(dir, 'priv_validator_state.json'));
      walStorage = node.fileWal;
    } else {
      walStorage = node.memWal!;
    }
    const signer = new PrivValidator(node.key, node.signStore!, {
      afterPersist: () => {
        if (node.crashAtNextSign) {
          node.crashAtNextSign = false;
          this.stats.signCrashes++;
          throw new SimCrash('crash after persisting a signature, before broadcasting it');
        }
      },
    });
    node.durable = new DurableConsensus({
      chainId: this.chainId, signer, wal: new ConsensusWal(walStorage), clock: () => this.clock(),
      validate: (h, id) => this.validate(h, id), timeouts: this.cfg.timeouts,
    });
    // The block store survives crashes: resume at the height after the last decided one.
    let h = 0n;
    for (const k of node.decided.keys()) if (k > h) h = k;
    node.height = h + 1n;
    this.call(node, () => {
      const actions = node.durable!.start(node.height, this.valSets[Number(node.height)]!);
      this.stats.replayedRecords += node.durable!.replayed;
      return actions;
    });
  }

  /** Runs one step of a node's consensus; a simulated crash inside it takes the node down. */
  private call(node: SimNode, f: () => ConsensusAction[]): void {
    if (!node.up) return;
    let actions: ConsensusAction[];
    try {
      actions = f();
    } catch (err) {
      if (err instanceof SimCrash) {
        this.crash(node);
        return;
      }
      throw err;
    }
    this.carryOut(node, actions);
  }

  private input(node: SimNode, input: ConsensusInput): void {
    if (!node.up) return;
    if (node.byzantine) {
      // Its own equivocations come back through honest relays; its engine only knows one version.
      if (input.type === 'vote' && Buffer.compare(input.vote.validatorAddress, node.key.address) === 0) return;
      if (!node.engine) {
        this.lockSplitAgent(node, input);
        return;
      }
      if (input.type === 'proposal') this.noteValue(input.proposal.height, input.proposal.round, input.proposal.blockId);
      this.carryOut(node, node.engine!.handle(input).actions);
      return;
    }
    this.call(node, () => node.durable!.handle(input).actions);
  }

  private engineOf(node: SimNode): ConsensusState | undefined {
    return node.byzantine ? node.engine : node.durable?.engine;
  }

  private carryOut(node: SimNode, actions: ConsensusAction[]): void {
    const gen = node.gen;
    const alive = () => node.up && node.gen === gen;
    for (const a of actions) {
      switch (a.type) {
        case 'broadcastProposal':
          if (node.byzantine) this.equivocateProposal(node, a.proposal);
          else {
            this.recordSigned(node, `${a.proposal.height}/${a.proposal.round}/proposal`, `${blockIdKey(a.proposal.blockId)}/${a.proposal.polRound}`);
            this.broadcast(node, { proposal: a.proposal });
          }
          break;
        case 'broadcastVote':
          if (node.byzantine) this.equivocateVote(node, a.vote);
          else {
            this.recordSigned(node, `${a.vote.height}/${a.vote.round}/${a.vote.type}`, blockIdKey(a.vote.blockId));
            this.cfg.trace?.(`${this.q.now} v${node.id} ${a.vote.type === 1 ? 'prevotes' : 'precommits'} ${a.vote.height}/${a.vote.round} ${blockIdKey(a.vote.blockId).slice(0, 8) || 'nil'}`);
            const slow = a.vote.type === 2 && !isNilBlockId(a.vote.blockId) && this.lucky(a.vote.height, a.vote.round) === node;
            this.broadcast(node, { vote: a.vote }, slow ? this.cfg.adversarialDelayMs ?? 0 : 0);
          }
          break;
        case 'scheduleTimeout':
          this.q.after(a.durationMs, () => {
            if (alive()) this.input(node, { type: 'timeout', height: a.height, round: a.round, step: a.step });
          });
          break;
        case 'requestValue':
          this.q.after(this.misc.int(1, 5), () => {
            if (alive()) this.input(node, { type: 'value', height: a.height, round: a.round, blockId: this.newValue(node, a.height, a.round) });
          });
          break;
        case 'validateValue':
          this.q.after(this.misc.int(1, 40), () => {
            const v = this.verdict(a.blockId);
            if (alive() && v !== undefined) this.input(node, { type: 'validity', height: a.height, blockId: a.blockId, valid: v });
          });
          break;
        case 'decide':
          this.onDecide(node, a.height, a.round, a.blockId, a.commit);
          break;
        case 'evidence':
          this.onEvidence(node, a.evidence);
          break;
        case 'signRefused':
          this.stats.signRefused++;
          break;
      }
    }
  }

  private recordSigned(node: SimNode, slot: string, content: string): void {
    const key = `v${node.id}/${slot}`;
    const prev = this.signed.get(key);
    if (prev === undefined) this.signed.set(key, content);
    else if (prev !== content) this.violations.push(`DOUBLE SIGN: honest validator ${node.id} signed two different messages at ${slot}`);
  }

  private onDecide(node: SimNode, height: bigint, round: number, blockId: BlockID, commit: Commit): void {
    this.cfg.trace?.(`${this.q.now} v${node.id} decides ${height}/${round} ${blockIdKey(blockId).slice(0, 8)}${node.decided.has(height) ? ' (again)' : ''}`);
    const existing = node.decided.get(height);
    if (existing) {
      // A restarted node re-announces a decision it had already made: it must be the same.
      if (blockIdKey(existing.blockId) !== blockIdKey(blockId)) this.violations.push(`SAFETY: validator ${node.id} changed its decision at height ${height}`);
    } else {
      if (!node.byzantine) {
        try {
          verifyCommit(this.chainId, this.valSets[Number(height)]!, height, blockId, commit);
        } catch (err) {
          this.violations.push(`COMMIT: validator ${node.id} decided height ${height} with a commit that does not verify: ${(err as Error).message}`);
        }
        if (this.verdict(blockId) !== true) this.violations.push(`VALIDITY: validator ${node.id} decided an invalid or unknown block at height ${height}`);
        const k = blockIdKey(blockId);
        const other = this.decisions.get(height);
        if (other === undefined) this.decisions.set(height, k);
        else if (other !== k) this.violations.push(`SAFETY: two different blocks decided at height ${height}`);
        this.stats.decisions++;
        if (this.q.now < this.cfg.gstMs) this.stats.decisionsBeforeGst++;
        if (round > this.stats.maxDecisionRound) this.stats.maxDecisionRound = round;
        if (round > 0) this.stats.roundsAboveZero++;
        if (height === BigInt(this.cfg.targetHeight)) this.honestAtTarget++;
      }
      node.decided.set(height, { blockId, commit });
    }
    if (height >= BigInt(this.cfg.targetHeight) + 1n) return; // far enough
    const gen = node.gen;
    this.q.after(this.cfg.commitDelayMs, () => {
      if (!node.up || node.gen !== gen || node.height !== height) return;
      node.height = height + 1n;
      const set = this.valSets[Number(node.height)]!;
      if (node.byzantine) this.carryOut(node, node.engine!.startHeight(node.height, set));
      else this.call(node, () => node.durable!.startHeight(node.height, set));
    });
  }

  private onEvidence(node: SimNode, ev: DuplicateVoteEvidence): void {
    if (node.byzantine) return;
    this.stats.evidence++;
    const accused = this.nodes.find((n) => Buffer.compare(n.key.address, ev.voteA.validatorAddress) === 0);
    try {
      verifyDuplicateVoteEvidence(this.chainId, this.valSets[Number(ev.voteA.height)]!, ev);
    } catch (err) {
      this.violations.push(`EVIDENCE: validator ${node.id} produced evidence that does not verify: ${(err as Error).message}`);
    }
    if (!accused?.byzantine) this.violations.push(`EVIDENCE: honest validator ${accused?.id} accused of equivocation`);
    else this.equivocationDetected = true;
  }

  // ---------------------------------------------------------------- Byzantine validators

  private rawSigner(node: SimNode): ConsensusSigner {
    return {
      address: node.key.address,
      publicKey: node.key.publicKey,
      signVote: (chainId, v) => ({ ...v, signature: node.key.sign(voteSignBytes(chainId, v)) }),
      signProposal: (chainId, p) => ({ ...p, signature: node.key.sign(proposalSignBytes(chainId, p)) }),
    };
  }

  private startByzantine(node: SimNode): void {
    if (this.cfg.byzantineStrategy === 'lockSplit') return; // the scripted attacker needs no engine
    node.engine = new ConsensusState({
      chainId: this.chainId, signer: this.rawSigner(node), clock: () => this.clock(),
      validate: (_h, id) => this.verdict(id), timeouts: this.cfg.timeouts,
    });
    this.carryOut(node, node.engine.startHeight(1n, this.valSets[1]!));
  }

  /** The lockSplit attacker: reacts to what it hears, round by round, at every height. */
  private lockSplitAgent(node: SimNode, input: ConsensusInput): void {
    if (input.type !== 'proposal' && input.type !== 'vote') return;
    const height = input.type === 'proposal' ? input.proposal.height : input.vote.height;
    const round = input.type === 'proposal' ? input.proposal.round : input.vote.round;
    const set = this.valSets[Number(height)];
    if (!set) return;
    const me = set.indexOf(node.key.address);
    const slot = `${node.id}/${height}/${round}`;
    const vote = (type: 1 | 2, id: BlockID, to: (peer: SimNode) => boolean, r = round): void => {
      const unsigned = { type, height, round: r, blockId: id, timestamp: this.clock(), validatorAddress: node.key.address, validatorIndex: me };
      const v: Vote = { ...unsigned, signature: node.key.sign(voteSignBytes(this.chainId, unsigned)) };
      for (const peer of this.nodes) if (peer !== node && to(peer)) this.send(node, peer, { vote: v });
    };
    /** Our round: a fresh value with no proof-of-lock, and our votes for it everywhere (sent early, so it is there when they arrive). */
    const attack = (r: number): void => {
      const s2 = `${node.id}/${height}/${r}`;
      if (this.agentTally.get(s2)?.has('done')) return;
      this.agentTally.set(s2, new Map([['done', new Set()]]));
      const y = this.newValue(node, height, r);
      this.cfg.trace?.(`${this.q.now} attacker v${node.id} proposes ${height}/${r} ${blockIdKey(y).slice(0, 8)}`);
      const unsigned = { height, round: r, polRound: -1, blockId: y, timestamp: this.clock() };
      const p: Proposal = { ...unsigned, signature: node.key.sign(proposalSignBytes(this.chainId, unsigned)) };
      for (const peer of this.nodes) if (peer !== node) this.send(node, peer, { proposal: p });
      vote(1, y, () => true, r);
      vote(2, y, () => true, r);
    };
    if (!this.agentRounds.has(slot)) {
      this.agentRounds.add(slot);
      if (set.proposerSchedule().proposerIndex(round) === me) attack(round);
    }
    let tally = this.agentTally.get(slot);
    if (tally?.has('done')) return;
    if (input.type === 'proposal') {
      vote(1, input.proposal.blockId, () => true); // help the honest proposal get locked on
      return;
    }
    if (input.vote.type !== 1 || isNilBlockId(input.vote.blockId)) return;
    if (!tally) this.agentTally.set(slot, (tally = new Map()));
    const k = blockIdKey(input.vote.blockId);
    const voters = tally.get(k) ?? new Set<number>([me]);
    voters.add(input.vote.validatorIndex);
    tally.set(k, voters);
    let power = 0n;
    for (const i of voters) power += set.validators[i]!.votingPower;
    if (set.hasTwoThirds(power)) {
      tally.set('done', new Set());
      if (set.proposerSchedule().proposerIndex(round + 1) !== me) {
        vote(2, input.vote.blockId, () => true);
        return;
      }
      // Everyone is about to lock on this block and we propose next: let one honest validator
      // decide it, nobody else, then offer the others a fresh value in our round.
      const lucky = this.lucky(height, round);
      this.cfg.trace?.(`${this.q.now} attacker v${node.id} splits ${height}/${round} ${k.slice(0, 8)}: only v${lucky.id} gets its precommit`);
      vote(2, input.vote.blockId, (peer) => peer === lucky);
      vote(2, NIL_BLOCK_ID, (peer) => peer !== lucky);
      attack(round + 1);
    }
  }

  private noteValue(height: bigint, round: number, id: BlockID): void {
    const k = `${height}/${round}`;
    const list = this.byzValues.get(k) ?? [];
    if (!list.some((x) => blockIdKey(x) === blockIdKey(id))) list.push(id);
    this.byzValues.set(k, list);
  }

  /**
   * The strongest equivocation: each peer gets a vote for a value picked at random among everything
   * proposed in that round (the Byzantine's own twin proposals included) and nil, so the
   * equivocator helps every value toward a quorum at once. Honest validators relay what they
   * counted, so everyone ends up holding several of its votes (and evidence). Sometimes it also
   * sends junk votes for far-away rounds.
   */
  private equivocateVote(node: SimNode, vote: Vote): void {
    const { signature: _, ...unsigned } = vote;
    const candidates: BlockID[] = [vote.blockId, NIL_BLOCK_ID, ...(this.byzValues.get(`${vote.height}/${vote.round}`) ?? [])];
    const signedFor = new Map<string, Vote>();
    const voteFor = (id: BlockID): Vote => {
      const k = blockIdKey(id);
      let v = signedFor.get(k);
      if (!v) {
        v = k === blockIdKey(vote.blockId) ? vote : { ...unsigned, blockId: id, signature: node.key.sign(voteSignBytes(this.chainId, { ...unsigned, blockId: id })) };
        signedFor.set(k, v);
      }
      return v;
    };
    const lockSplit = this.cfg.byzantineStrategy === 'lockSplit';
    const twin = this.byzTwins.get(`${vote.height}/${vote.round}`);
    const lucky = this.lucky(vote.height, vote.round);
    for (const peer of this.nodes) {
      if (peer === node) continue;
      let id: BlockID;
      if (!lockSplit) id = this.misc.pick(candidates);
      else if (twin) id = twin; // back our own fresh proposal all the way
      else if (vote.type === 2 && !isNilBlockId(vote.blockId)) id = peer === lucky || peer.byzantine ? vote.blockId : NIL_BLOCK_ID;
      else id = vote.blockId;
      this.send(node, peer, { vote: voteFor(id) });
      if (this.misc.chance(100)) {
        const far = { ...unsigned, round: vote.round + this.misc.int(3, 60), blockId: NIL_BLOCK_ID };
        this.send(node, peer, { vote: { ...far, signature: node.key.sign(voteSignBytes(this.chainId, far)) } });
      }
    }
  }

  /** Sends the proposal to some peers and a fresh value (valid or not, POL round -1) to the others. */
  private equivocateProposal(node: SimNode, p: Proposal): void {
    this.noteValue(p.height, p.round, p.blockId);
    const unsigned = { height: p.height, round: p.round, polRound: -1, blockId: this.newValue(node, p.height, p.round, this.cfg.byzantineStrategy === 'lockSplit' || this.misc.chance(700)), timestamp: p.timestamp };
    this.noteValue(p.height, p.round, unsigned.blockId);
    this.byzTwins.set(`${p.height}/${p.round}`, unsigned.blockId);
    const twin: Proposal = { ...unsigned, signature: node.key.sign(proposalSignBytes(this.chainId, unsigned)) };
    const lockSplit = this.cfg.byzantineStrategy === 'lockSplit';
    for (const peer of this.nodes) if (peer !== node) this.send(node, peer, { proposal: !lockSplit && this.misc.chance(500) ? p : twin });
  }

  // ---------------------------------------------------------------- network

  /** The honest validator a lockSplit attack lets decide at this height/round (the same for every Byzantine). */
  private lucky(height: bigint, round: number): SimNode {
    const honest = this.nodes.filter((n) => !n.byzantine);
    return honest[Number((height * 31n + BigInt(round)) % BigInt(honest.length))]!;
  }

  private broadcast(from: SimNode, m: ConsensusMessage, extraDelayMs = 0): void {
    const bytes = encodeConsensusMessage(m);
    for (const to of this.nodes) if (to !== from) this.sendWire(from, to, { kind: 'consensus', bytes }, extraDelayMs);
  }

  private send(from: SimNode, to: SimNode, m: ConsensusMessage): void {
    this.sendWire(from, to, { kind: 'consensus', bytes: encodeConsensusMessage(m) });
  }

  private separated(a: number, b: number): boolean {
    const now = this.q.now;
    for (const p of this.partitions) if (now >= p.from && now < p.to && p.side.has(a) !== p.side.has(b)) return true;
    return false;
  }

  private sendWire(from: SimNode, to: SimNode, w: Wire, extraDelayMs = 0): void {
    const pre = this.q.now < this.cfg.gstMs;
    const extra = pre ? extraDelayMs : 0;
    if (pre) {
      if (this.separated(from.id, to.id) || this.net.chance(this.cfg.preGst.dropPerMille)) {
        this.stats.dropped++;
        return;
      }
      const copies = this.net.chance(this.cfg.preGst.dupPerMille) ? 2 : 1;
      for (let i = 0; i < copies; i++) this.q.after(extra + this.net.int(1, this.cfg.preGst.maxDelayMs), () => this.deliver(to, from, w));
    } else {
      this.q.after(this.net.int(1, this.cfg.postGstMaxDelayMs), () => this.deliver(to, from, w));
    }
  }

  private deliver(to: SimNode, from: SimNode, w: Wire): void {
    if (!to.up) return;
    this.stats.delivered++;
    if (w.kind === 'status') {
      // A peer behind us gets the commit of its height (CometBFT's catch-up).
      const d = to.decided.get(w.height);
      if (w.height < to.height && d) this.sendWire(to, from, { kind: 'consensus', bytes: encodeConsensusMessage({ commit: d.commit }) }, this.cfg.adversarialDelayMs ?? 0);
      return;
    }
    const m = decodeConsensusMessage(w.bytes);
    if (m.proposal) this.input(to, { type: 'proposal', proposal: m.proposal });
    else if (m.vote) this.input(to, { type: 'vote', vote: m.vote });
    else if (m.commit && BigInt(m.commit.height.toString()) === to.height) {
      const e = this.engineOf(to);
      if (e && !e.snapshot().decision) {
        this.stats.catchUpCommits++;
        this.input(to, { type: 'commit', commit: m.commit });
      }
    }
  }

  /** Periodic re-gossip: our status, and every proposal and vote we hold at our height. */
  private gossipTick(node: SimNode): void {
    if (node.up) {
      for (const to of this.nodes) if (to !== node) this.sendWire(node, to, { kind: 'status', height: node.height });
      const e = this.engineOf(node);
      if (e && !e.snapshot().decision) {
        const g = e.gossip();
        for (const p of g.proposals) this.broadcast(node, { proposal: p });
        for (const v of g.votes) this.broadcast(node, { vote: v });
      }
    }
    this.q.after(this.cfg.gossipIntervalMs + this.misc.int(0, 50), () => this.gossipTick(node));
  }

  // ---------------------------------------------------------------- faults

  private scheduleFaults(): void {
    const gst = this.cfg.gstMs;
    const honest = this.nodes.filter((n) => !n.byzantine);
    for (let i = 0; i < this.cfg.preGst.partitions; i++) {
      const from = this.faults.int(0, Math.max(0, gst - 600));
      const to = Math.min(gst, from + this.faults.int(300, 2000));
      const side = new Set<number>();
      for (const n of this.nodes) if (this.faults.chance(500)) side.add(n.id);
      this.partitions.push({ from, to, side });
    }
    for (let i = 0; i < this.cfg.crashes; i++) {
      const at = this.faults.int(50, Math.max(60, gst - 800));
      const who = this.faults.pick(honest);
      this.q.at(at, () => this.crash(who));
    }
    for (let i = 0; i < this.cfg.signCrashes; i++) {
      const at = this.faults.int(50, Math.max(60, gst - 800));
      const who = this.faults.pick(honest);
      this.q.at(at, () => {
        if (who.up) who.crashAtNextSign = true;
      });
    }
  }

  private crash(node: SimNode): void {
    if (!node.up) return;
    node.up = false;
    node.gen++;
    node.durable = undefined;
    this.stats.crashes++;
    if (node.fileWal) {
      node.fileWal.close();
      node.fileWal = undefined;
    }
    if (node.memWal && this.cfg.powerLoss) {
      const unsynced = node.memWal.size - node.memWal.syncedSize;
      node.memWal.loseUnsynced(this.faults.int(0, unsynced));
    }
    // The process supervisor restarts the node after a while.
    this.q.after(this.faults.int(100, 700), () => this.restart(node));
  }

  private restart(node: SimNode): void {
    if (node.up) return;
    node.up = true;
    node.crashAtNextSign = false;
    this.stats.restarts++;
    this.startHonest(node, false);
  }
}

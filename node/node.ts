// A depind node: opens the home's LevelDB (state, blocks, validator sets, evidence, index),
// replays any block the app has not committed (crash recovery), and runs the chain with its peers:
// libp2p (node/network.ts), BFT consensus (node/consensus-driver.ts, for every validator count,
// one included) and block sync (node/sync/block-sync.ts). Every decided or synced block goes
// through commitBlock: stored with its commit first, then executed.
import { readFileSync } from 'node:fs';
import type { App, CheckTxResult, TxResult } from '../chain/app.ts';
import type { GenesisDoc } from '../chain/genesis.ts';
import { parseRfc3339 } from '../chain/genesis.ts';
import type { Timestamp, VoteInfo } from '../chain/context.ts';
import { sha256 } from '../chain/crypto/hash.ts';
import { txHashHex } from '../chain/tx/tx-hash.ts';
import { i64 } from '../chain/codec/proto.ts';
import { openDepinApp, type DepinKeepers } from '../modules/depin-app.ts';
import { BlockStore } from './store/block-store.ts';
import { openNodeDatabases, type NodeDatabases } from './store/databases.ts';
import { BlockResultsEncoder, encodeBlockResults } from './store/results-codec.ts';
import {
  BLOCK_ID_FLAG_ABSENT, BLOCK_ID_FLAG_COMMIT, EMPTY_BLOCK_ID, txResultFromMsg,
  type Block, type BlockID, type Commit,
} from './store/block-types.ts';
import { Mempool } from './mempool/mempool.ts';
import { SigVerifierPool } from './mempool/sig-verifier.ts';
import { IndexerClient, type TxIndex } from './indexer/indexer-client.ts';
import { loadRecords } from './indexer/tx-search.ts';
import { join } from 'node:path';
import { EventBus, flattenEvents } from './event-bus.ts';
import type { Event } from '../chain/events.ts';
import { ValidatorKey, validatorAddress } from './validator-key.ts';
import { loadConfig, homePaths, type NodeConfig } from './config.ts';
import { ValidatorSet } from './consensus/validator-set.ts';
import { commitFromProto, decodeDuplicateVoteEvidence } from './consensus/codec.ts';
import { canonicalVoteSignBytes } from './consensus/sign-bytes.ts';
import { SIGNED_MSG_TYPE_PRECOMMIT } from './consensus/types.ts';
import { ValidatorSetStore } from './validator-sets.ts';
import { EvidencePool, evidenceParams, toMisbehavior, type EvidenceContext } from './evidence-pool.ts';
import { RecentTxCache } from './p2p/tx-cache.ts';
import { buildBlock, bytesOf, consensusParamsHash, type BlockContext } from './block-validation.ts';
import { compareTime, minVoteTime, protoTime } from './bft-time.ts';
import { evidenceKey } from './consensus/evidence.ts';
import { blockIdEquals, bytesEqual, shortId } from './consensus/types.ts';
import type { Misbehavior } from '../chain/context.ts';
import type { NodeNetwork } from './network.ts';
import type { ConsensusDriver } from './consensus-driver.ts';
import type { BlockSyncer } from './sync/block-sync.ts';

export interface NodeOptions {
  home: string;
  config?: Partial<NodeConfig>;
  log?: (msg: string) => void;
}

function toTimestamp(t: { seconds: unknown; nanos?: number | null } | null | undefined): Timestamp {
  return protoTime(t as never);
}

/** Deterministic part of tx results (code, data, gas), as CometBFT hashes them. */
export function resultsHash(results: readonly Pick<TxResult, 'code' | 'data' | 'gasWanted' | 'gasUsed'>[]): Uint8Array {
  return sha256(encodeBlockResults(0n, results.map((r) => ({ code: r.code, data: r.data, gasWanted: r.gasWanted, gasUsed: r.gasUsed, log: '', info: '', events: [], codespace: '' })), [], new Uint8Array()));
}

/** The last stored block, as the next block's header refers to it. */
export interface LastBlock {
  height: bigint;
  blockId: BlockID;
  time: Timestamp;
  /** The app hash its header carries (the state before it). */
  appHash: Uint8Array;
}

export class DepinNode {
  readonly home: string;
  readonly config: NodeConfig;
  readonly genesis: GenesisDoc;
  readonly dbs: NodeDatabases;
  readonly app: App;
  readonly keepers: DepinKeepers;
  readonly blocks: BlockStore;
  readonly valsets: ValidatorSetStore;
  readonly evidence: EvidencePool;
  readonly indexer: TxIndex;
  readonly mempool: Mempool;
  private readonly verifier: SigVerifierPool | undefined;
  readonly bus = new EventBus();
  readonly validatorKey: ValidatorKey | undefined;
  /** Txs of recently proposed and committed blocks, served to peers still reconstructing them. */
  readonly recentTxs = new RecentTxCache();
  readonly log: (msg: string) => void;
  readonly genesisTime: Timestamp;
  readonly consensusHash: Uint8Array;
  readonly maxBlockBytes: number;
  /** App hash after the last committed block (or genesis), which the next header carries. */
  lastAppHash: Uint8Array = new Uint8Array();
  lastResultsHash: Uint8Array = new Uint8Array();
  last: LastBlock | undefined;
  network: NodeNetwork | undefined;
  consensus: ConsensusDriver | undefined;
  syncer: BlockSyncer | undefined;
  private stopping = false;
  private started = false;
  private indexing: Promise<unknown> = Promise.resolve();
  private readonly resultsEncoder = new BlockResultsEncoder();
  /** Block storage and execution happen one block at a time, in height order. */
  private advancing: Promise<unknown> = Promise.resolve();

  private constructor(fields: {
    home: string; config: NodeConfig; genesis: GenesisDoc; dbs: NodeDatabases; app: App; keepers: DepinKeepers;
    blocks: BlockStore; valsets: ValidatorSetStore; evidence: EvidencePool; indexer: TxIndex; validatorKey: ValidatorKey | undefined; log: (m: string) => void;
  }) {
    this.home = fields.home;
    this.config = fields.config;
    this.genesis = fields.genesis;
    this.dbs = fields.dbs;
    this.app = fields.app;
    this.keepers = fields.keepers;
    this.blocks = fields.blocks;
    this.valsets = fields.valsets;
    this.evidence = fields.evidence;
    this.indexer = fields.indexer;
    this.validatorKey = fields.validatorKey;
    this.log = fields.log;
    this.verifier = this.config.sigVerifyWorkers > 0 ? new SigVerifierPool(this.config.sigVerifyWorkers) : undefined;
    this.mempool = new Mempool(this.app, this.config.mempool, this.verifier);
    this.genesisTime = parseRfc3339(this.genesis.genesis_time);
    this.consensusHash = consensusParamsHash(this.genesis.consensus_params);
    const maxBytes = Number((this.genesis.consensus_params as { block?: { max_bytes?: string } } | undefined)?.block?.max_bytes ?? 22020096);
    this.maxBlockBytes = maxBytes > 0 ? maxBytes : 104857600;
  }

  static async open(opts: NodeOptions): Promise<DepinNode> {
    const paths = homePaths(opts.home);
    const loaded = loadConfig(opts.home);
    const config: NodeConfig = {
      ...loaded, ...opts.config,
      p2p: { ...loaded.p2p, ...opts.config?.p2p },
      consensus: { ...loaded.consensus, ...opts.config?.consensus },
    };
    const genesis = JSON.parse(readFileSync(paths.genesis, 'utf8')) as GenesisDoc;
    if ((genesis.initial_height ?? '1') !== '1') throw new Error(`genesis initial_height ${genesis.initial_height} is not supported (only 1)`);
    const dbs = await openNodeDatabases(paths.data, opts.home);
    const stateDb = dbs.state.sublevel<Uint8Array, Uint8Array>('state', { keyEncoding: 'view', valueEncoding: 'view' });
    const { app, keepers } = await openDepinApp(stateDb, { minGasPrice: config.minGasPrice, maxTxBytes: config.mempool.maxTxBytes, storeCacheNodes: config.store.cacheNodes });
    const blocks = await BlockStore.open(dbs.blocks);
    const valsets = await ValidatorSetStore.open(dbs.blocks);
    const evidence = await EvidencePool.open(dbs.blocks, evidenceParams(genesis.consensus_params));
    // The tx index lives in its own LevelDB, written by a worker thread (a derived view, rebuilt
    // from stored blocks and results for any height it lacks).
    const indexer = new IndexerClient(join(paths.data, 'index.db'), (positions) => loadRecords(blocks, positions));
    let validatorKey: ValidatorKey | undefined;
    try {
      validatorKey = ValidatorKey.load(paths.validatorKey);
    } catch {
      validatorKey = undefined; // a full node without a consensus key
    }
    const node = new DepinNode({ home: opts.home, config, genesis, dbs, app, keepers, blocks, valsets, evidence, indexer, validatorKey, log: opts.log ?? ((m) => console.log(m)) });
    await node.handshake();
    return node;
  }

  get chainId(): string {
    return this.genesis.chain_id;
  }

  get dataDir(): string {
    return homePaths(this.home).data;
  }

  /** Whether this node's key is in the validator set of the next height. */
  isValidator(): boolean {
    const set = this.valsets.cached(this.blocks.height() + 1n);
    return !!this.validatorKey && !!set && set.indexOf(this.validatorKey.address) >= 0;
  }

  /** True while the node is behind its peers and downloading blocks (the RPC's catching_up). */
  get catchingUp(): boolean {
    return this.syncer?.catchingUp ?? false;
  }

  /** The initial validator set: the app's (a staking module's genesis) if it has one, else genesis.validators. */
  private initialValidators(fromApp: { pubKey: Uint8Array; power: bigint }[]): ValidatorSet {
    if (fromApp.length > 0) {
      return ValidatorSet.fromGenesis(fromApp.map((u) => ({ address: validatorAddress(u.pubKey), pubKey: u.pubKey, votingPower: u.power })));
    }
    return ValidatorSet.fromGenesis(this.genesis.validators.map((v) => {
      const pubKey = new Uint8Array(Buffer.from(v.pub_key.value, 'base64'));
      return { address: validatorAddress(pubKey), pubKey, votingPower: BigInt(v.power), name: v.name };
    }));
  }

  /** Brings app and index up to the block store (CometBFT's handshake + replay). */
  private async handshake(): Promise<void> {
    const storeHeight = this.blocks.height();
    let appHeight = this.app.info().lastBlockHeight;
    if (appHeight > storeHeight) throw new Error(`app height ${appHeight} is ahead of the block store ${storeHeight}: data directory is corrupted`);
    if (appHeight === 0n) {
      const init = this.app.initChain(this.genesis);
      this.lastAppHash = init.appHash;
      // Sets of heights 1 and 2 (CometBFT: Validators and NextValidators of the genesis state).
      const set1 = this.initialValidators(init.validators);
      await this.valsets.put(1n, set1);
      await this.valsets.put(2n, set1.next());
    } else {
      this.lastAppHash = this.app.info().lastBlockAppHash;
      const last = await this.blocks.loadBlock(appHeight);
      if (last) this.app.setLastBlockTime(toTimestamp(last.block.header.time));
      const res = await this.blocks.loadResults(appHeight);
      this.lastResultsHash = res ? resultsHash(res.txResults.map(txResultFromMsg)) : new Uint8Array();
      if (!(await this.valsets.get(appHeight + 1n))) {
        throw new Error(`${this.home}: no validator set for height ${appHeight + 1n}; this data directory predates BFT consensus, remove ${this.dataDir} to start the chain afresh`);
      }
    }
    if (storeHeight > 0n) {
      const stored = (await this.blocks.loadBlock(storeHeight))!;
      this.last = { height: storeHeight, blockId: stored.blockId, time: toTimestamp(stored.block.header.time), appHash: bytesOf(stored.block.header.appHash) };
    }
    if (appHeight < storeHeight) this.log(`replaying blocks ${appHeight + 1n}..${storeHeight} into the app`);
    while (appHeight < storeHeight) {
      const stored = await this.blocks.loadBlock(appHeight + 1n);
      if (!stored) throw new Error(`block ${appHeight + 1n} missing from the block store`);
      await this.applyBlock(stored.block, { replay: true });
      appHeight = this.app.info().lastBlockHeight;
    }
    // Keep the sets around the tip in memory.
    for (let h = storeHeight - 1n; h <= storeHeight + 2n; h++) if (h >= 1n) await this.valsets.get(h);
    // The index is rebuilt from stored blocks and results for any height it missed.
    for (let h = (await this.indexer.lastHeight()) + 1n; h <= appHeight; h++) {
      const stored = await this.blocks.loadBlock(h);
      const results = await this.blocks.loadResultsBytes(h);
      if (stored && results) await this.indexer.indexEncodedBlock(h, stored.block.txs, results);
    }
  }

  /** What checking or building the block at `height` needs; `height` must be the store height + 1. */
  async blockContext(height: bigint): Promise<BlockContext> {
    if (height !== this.blocks.height() + 1n) throw new Error(`block context for ${height}, but the store is at ${this.blocks.height()}`);
    const valSet = await this.valsets.get(height);
    const nextValSet = await this.valsets.get(height + 1n);
    if (!valSet || !nextValSet) throw new Error(`validator sets for heights ${height} and ${height + 1n} are not known`);
    return {
      chainId: this.chainId,
      height,
      lastBlockId: this.last?.blockId ?? EMPTY_BLOCK_ID,
      lastBlockTime: this.last?.time,
      genesisTime: this.genesisTime,
      lastValSet: height > 1n ? await this.valsets.get(height - 1n) : undefined,
      valSet,
      nextValSet,
      appHash: this.lastAppHash,
      lastResultsHash: this.lastResultsHash,
      consensusHash: this.consensusHash,
      maxBlockBytes: this.maxBlockBytes,
    };
  }

  /** Lookups evidence checks need. */
  evidenceContext(): EvidenceContext {
    return {
      chainId: this.chainId,
      valSetAt: (h) => this.valsets.get(h),
      blockTimeAt: async (h) => {
        if (this.last && h === this.last.height) return this.last.time;
        const b = await this.blocks.loadBlock(h);
        return b ? toTimestamp(b.block.header.time) : undefined;
      },
    };
  }

  /**
   * Stores a decided block with its commit, durably, then executes it. Blocks arrive from
   * consensus and block sync; the first to bring a height wins and later calls for a stored
   * height return false. Refuses (throws) a block that does not follow the stored chain or whose
   * header disagrees with this node's state: after +2/3 signed it, that means this node's
   * execution diverged, and going on would fork the node off the chain.
   */
  commitBlock(block: Block, blockId: BlockID, commit: Commit, bytes: Uint8Array): Promise<boolean> {
    const run = this.advancing.then(async () => {
      const height = i64(block.header.height);
      if (height <= this.blocks.height()) return false;
      if (height !== this.blocks.height() + 1n) throw new Error(`block ${height} does not follow the stored height ${this.blocks.height()}`);
      if (!blockIdEquals(commit.blockId ? commitFromProto(commit).blockId : EMPTY_BLOCK_ID, blockId)) throw new Error(`commit for ${height} is not for block ${shortId(blockId)}`);
      if (!bytesEqual(bytesOf(block.header.appHash), this.lastAppHash)) {
        throw new Error(`CONSENSUS FAILURE: block ${height} was decided with app hash ${Buffer.from(bytesOf(block.header.appHash)).toString('hex').toUpperCase()} but this node computed ${Buffer.from(this.lastAppHash).toString('hex').toUpperCase()}`);
      }
      if (!bytesEqual(bytesOf(block.header.lastResultsHash), this.lastResultsHash)) throw new Error(`CONSENSUS FAILURE: block ${height} was decided with a different last results hash`);
      await this.blocks.saveBlock(block, blockId, commit, bytes);
      this.last = { height, blockId, time: toTimestamp(block.header.time), appHash: bytesOf(block.header.appHash) };
      await this.applyBlock(block);
      return true;
    });
    this.advancing = run.catch(() => undefined);
    return run;
  }

  /** Who signed the previous block, for the app (downtime tracking): signed = a precommit is present. */
  private async lastCommitInfo(block: Block, height: bigint): Promise<VoteInfo[]> {
    if (height <= 1n) return [];
    const set = await this.valsets.get(height - 1n);
    const sigs = block.lastCommit?.signatures ?? [];
    if (!set || sigs.length !== set.size) throw new Error(`block ${height}: last commit does not match the validator set of ${height - 1n}`);
    return set.validators.map((v, i) => ({ validatorAddress: v.address, power: v.votingPower, signed: sigs[i]!.blockIdFlag !== BLOCK_ID_FLAG_ABSENT }));
  }

  /** Executes a stored block: finalize, persist results and the validator set of height + 2, commit state, index, notify. */
  async applyBlock(block: Block, opts: { replay?: boolean } = {}): Promise<void> {
    const height = i64(block.header.height);
    const time = toTimestamp(block.header.time);
    const ctx = this.evidenceContext();
    const misbehavior: Misbehavior[] = [];
    const checked = [];
    for (const bytes of block.evidence ?? []) {
      const ev = decodeDuplicateVoteEvidence(bytesOf(bytes));
      const evTime = await ctx.blockTimeAt(ev.voteA.height);
      const c = { ev, bytes: bytesOf(bytes), key: evidenceKey(ev), time: evTime ?? time };
      checked.push(c);
      misbehavior.push(toMisbehavior(c));
    }
    const lastCommit = await this.lastCommitInfo(block, height);
    // Each tx's result is encoded as soon as the tx has run; its events are kept past that only
    // for subscribers to events that carry them (Tx, and NewBlock's tx results).
    const events: Event[][] | undefined = !opts.replay && (this.bus.wants('Tx') || this.bus.wants('NewBlock')) ? [] : undefined;
    const encoder = this.resultsEncoder;
    encoder.begin(height);
    const res = this.app.finalizeBlock({
      height, time, txs: block.txs, proposer: bytesOf(block.header.proposerAddress), lastAppHash: bytesOf(block.header.appHash),
      lastCommit, misbehavior,
      onTxResult: (r) => {
        encoder.tx(r);
        events?.push(r.events);
      },
    });
    const resultsBytes = encoder.finish(res.events, res.appHash);
    // Validator updates of block H take effect at H+2 (CometBFT): set(H+2) = set(H+1) + updates, advanced once.
    const next = await this.valsets.get(height + 1n);
    if (!next) throw new Error(`no validator set for height ${height + 1n}`);
    let after: ValidatorSet;
    try {
      after = next.updateWithChangeSet(res.validatorUpdates).next();
    } catch (err) {
      throw new Error(`CONSENSUS FAILURE: block ${height}: the app returned invalid validator updates: ${(err as Error).message}`);
    }
    await this.valsets.put(height + 2n, after);
    await this.evidence.markCommitted(checked, height);
    await this.blocks.saveResults(height, resultsBytes, block.txs); // synced: also makes the two writes above durable
    // Broadcasts keep being admitted while the block is written (against the previous state);
    // the switch to the new state and the mempool's recheck then run in one synchronous step, so
    // no admission can land between them (it would advance the fresh check state ahead of the
    // pending txs the recheck replays, and get them evicted).
    await this.app.persist();
    const { appHash } = this.app.finishCommit();
    this.lastAppHash = appHash;
    if (!opts.replay) this.mempool.update(block.txs);
    this.lastResultsHash = resultsHash(res.txResults);
    if (!opts.replay) this.recentTxs.add(block.txs);
    // Indexing runs on the indexer thread while the next block is built; its queue keeps blocks in
    // order, and a crash before it finishes is repaired from the stored results at startup.
    const indexed = this.indexer.indexEncodedBlock(height, block.txs, resultsBytes);
    this.indexing = this.indexing.then(() => indexed).catch((err) => this.log(`indexing block ${height} failed: ${(err as Error).message}`));
    if (opts.replay) await indexed;
    if (!opts.replay) this.publishBlock(block, events ? res.txResults.map((r, i) => ({ ...r, events: events[i]! })) : res.txResults, height);
  }

  private publishBlock(block: Block, results: TxResult[], height: bigint): void {
    if (this.bus.size === 0) return;
    this.bus.publish({ events: flattenEvents([], { 'tm.event': 'NewBlock', 'block.height': height.toString() }), data: { type: 'tendermint/event/NewBlock', value: { block, results } } });
    this.bus.publish({ events: flattenEvents([], { 'tm.event': 'NewBlockHeader', 'block.height': height.toString() }), data: { type: 'tendermint/event/NewBlockHeader', value: { header: block.header } } });
    if (!this.bus.wants('Tx')) return;
    block.txs.forEach((tx, index) => {
      const r = results[index]!;
      const hash = txHashHex(tx);
      this.bus.publish({
        events: flattenEvents(r.events, { 'tm.event': 'Tx', 'tx.hash': hash, 'tx.height': height.toString() }),
        data: { type: 'tendermint/event/Tx', value: { height, index, tx, result: r } },
      });
    });
  }

  // ------------------------------------------------------------------------------------ running

  /**
   * Starts p2p, catches up from peers (block sync), then runs consensus: as a validator when the
   * node has a consensus key, otherwise as a full node that follows the validators' votes, the
   * decided-block gossip and block sync.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { NodeNetwork } = await import('./network.ts');
    const { ConsensusDriver } = await import('./consensus-driver.ts');
    const { BlockSyncer } = await import('./sync/block-sync.ts');
    this.network = await NodeNetwork.create(this);
    this.consensus = await ConsensusDriver.create(this, this.network);
    this.syncer = new BlockSyncer(this, this.network, this.consensus);
    await this.network.start();
    this.log(`p2p: node ${this.network.host.peerId} listening on ${this.network.host.listenAddrs().join(', ')}`);
    if (!this.validatorKey) this.log('no validator key: running as a full node');
    else if (!this.isValidator()) this.log('the validator key is not in the validator set: following consensus without voting');
    // Catch up before joining consensus (a restarted or new node); consensus then starts at the next height.
    await this.syncer.initialSync();
    if (this.stopping) return;
    this.consensus.start();
    this.syncer.run();
  }

  /** Admits a tx from a client and gossips it to peers when CheckTx passes. */
  async broadcastTx(bytes: Uint8Array): Promise<{ hash: string; result: CheckTxResult }> {
    const r = await this.mempool.addAsync(bytes);
    if (r.result.code === 0 && this.network) {
      try {
        this.network.txGossip.broadcast(bytes);
      } catch (err) {
        this.log(`tx gossip: ${(err as Error).message}`);
      }
    }
    return r;
  }

  /**
   * In-process block production without networking or consensus rounds: builds the next block
   * exactly as a proposer does and commits it with precommits signed by `signers` (default: this
   * node's validator key), which must hold more than 2/3 of the voting power so the commit
   * verifies. For benchmarks and in-process tests of execution (several validators' keys in one
   * process); refused once the node runs consensus (double-sign protection lives in the consensus
   * signer, which this bypasses).
   */
  async produceBlock(opts: { signers?: readonly ValidatorKey[] } = {}): Promise<void> {
    if (this.started) throw new Error('produceBlock is for a node that is not running consensus');
    const signers = opts.signers ?? (this.validatorKey ? [this.validatorKey] : []);
    const height = this.blocks.height() + 1n;
    const ctx = await this.blockContext(height);
    const byIndex = new Map<number, ValidatorKey>();
    for (const k of signers) {
      const i = ctx.valSet.indexOf(k.address);
      if (i >= 0) byIndex.set(i, k);
    }
    let power = 0n;
    for (const i of byIndex.keys()) power += ctx.valSet.validators[i]!.votingPower;
    if (!ctx.valSet.hasTwoThirds(power)) throw new Error(`produceBlock: the signers hold ${power} of ${ctx.valSet.totalVotingPower} voting power, more than 2/3 is needed`);
    const proposer = byIndex.get(ctx.valSet.proposerIndex) ?? byIndex.values().next().value!;
    const txs = this.mempool.reap(this.config.block.maxTxs, this.config.block.maxBytes);
    const lastCommit = height > 1n ? commitFromProto((await this.blocks.loadCommit(height - 1n))!) : undefined;
    const built = buildBlock(ctx, { txs, evidence: [], lastCommit: lastCommit!, proposer: proposer.address });
    // Precommit timestamps: now, and at least 1 ms after the block (BFT time then increases).
    const now = Date.now();
    const nowTs = { seconds: BigInt(Math.floor(now / 1000)), nanos: (now % 1000) * 1_000_000 };
    const min = minVoteTime(toTimestamp(built.block.header.time));
    const ts = compareTime(nowTs, min) > 0 ? nowTs : min;
    const commit: Commit = {
      height: height.toString(), round: 0, blockId: built.blockId,
      signatures: ctx.valSet.validators.map((_, i) => {
        const k = byIndex.get(i);
        if (!k) return { blockIdFlag: BLOCK_ID_FLAG_ABSENT, validatorAddress: new Uint8Array(), timestamp: { seconds: '0', nanos: 0 }, signature: new Uint8Array() };
        const signature = k.sign(canonicalVoteSignBytes(this.chainId, SIGNED_MSG_TYPE_PRECOMMIT, height, 0, built.blockId, ts));
        return { blockIdFlag: BLOCK_ID_FLAG_COMMIT, validatorAddress: k.address, timestamp: { seconds: ts.seconds.toString(), nanos: ts.nanos }, signature };
      }),
    };
    await this.commitBlock(built.block, built.blockId, commit, built.bytes);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.syncer?.stop();
    await this.consensus?.stop();
    await this.network?.stop().catch((err) => this.log(`p2p stop: ${(err as Error).message}`));
    await this.advancing;
    await this.verifier?.close();
    await this.indexing;
    await this.indexer.close();
    await this.dbs.close();
  }
}

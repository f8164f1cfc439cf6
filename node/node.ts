// A depind node: opens the home's LevelDB (state, blocks, index), replays any block the app has
// not committed (crash recovery), and produces blocks as the single validator of a dev chain.
// BFT consensus among many validators replaces the producer in a later stage; everything else
// (block store, mempool, indexer, RPC) stays.
import { Level } from 'level';
import { readFileSync, mkdirSync } from 'node:fs';
import type { App, TxResult } from '../chain/app.ts';
import type { GenesisDoc } from '../chain/genesis.ts';
import { parseRfc3339 } from '../chain/genesis.ts';
import type { Timestamp } from '../chain/context.ts';
import { sha256 } from '../chain/crypto/hash.ts';
import { txHashHex } from '../chain/tx/tx-hash.ts';
import { u64, i64 } from '../chain/codec/proto.ts';
import { openDepinApp, type DepinKeepers } from '../modules/depin-app.ts';
import { BlockStore, partHash } from './store/block-store.ts';
import { encodeBlockResults } from './store/results-codec.ts';
import {
  encodeBlock, headerHash, dataHash, commitHash, voteSignBytes, validatorSetHash, EMPTY_BLOCK_ID, BLOCK_ID_FLAG_COMMIT, BLOCK_VERSION,
  type Block, type BlockID, type Commit, type Header, type Validator, type BlockResultsMsg,
} from './store/block-types.ts';
import { Mempool } from './mempool/mempool.ts';
import { SigVerifierPool } from './mempool/sig-verifier.ts';
import { IndexerClient, type TxIndex } from './indexer/indexer-client.ts';
import { join } from 'node:path';
import { EventBus, flattenEvents } from './event-bus.ts';
import { ValidatorKey, validatorAddress } from './validator-key.ts';
import { loadConfig, homePaths, type NodeConfig } from './config.ts';

export interface NodeOptions {
  home: string;
  config?: Partial<NodeConfig>;
  log?: (msg: string) => void;
}

function toTimestamp(t: { seconds: unknown; nanos: number }): Timestamp {
  return { seconds: u64(t.seconds as never), nanos: t.nanos ?? 0 };
}

function nowTimestamp(): Timestamp {
  const ms = Date.now();
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

function later(a: Timestamp, b: Timestamp): boolean {
  return a.seconds > b.seconds || (a.seconds === b.seconds && a.nanos > b.nanos);
}

/** Deterministic part of tx results (code, data, gas), as CometBFT hashes them. */
export function resultsHash(results: readonly Pick<TxResult, 'code' | 'data' | 'gasWanted' | 'gasUsed'>[]): Uint8Array {
  return sha256(encodeBlockResults(0n, results.map((r) => ({ code: r.code, data: r.data, gasWanted: r.gasWanted, gasUsed: r.gasUsed, log: '', info: '', events: [], codespace: '' })), [], new Uint8Array()));
}

export class DepinNode {
  readonly home: string;
  readonly config: NodeConfig;
  readonly genesis: GenesisDoc;
  readonly db: Level<Uint8Array, Uint8Array>;
  readonly app: App;
  readonly keepers: DepinKeepers;
  readonly blocks: BlockStore;
  readonly indexer: TxIndex;
  readonly mempool: Mempool;
  private readonly verifier: SigVerifierPool | undefined;
  readonly bus = new EventBus();
  readonly validatorKey: ValidatorKey | undefined;
  readonly validators: Validator[];
  readonly log: (msg: string) => void;
  /** App hash after the last committed block (or genesis), which the next header carries. */
  lastAppHash: Uint8Array = new Uint8Array();
  lastResultsHash: Uint8Array = new Uint8Array();
  private producing = false;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private inFlight: Promise<void> | undefined;
  private indexing: Promise<unknown> = Promise.resolve();

  private constructor(fields: {
    home: string; config: NodeConfig; genesis: GenesisDoc; db: Level<Uint8Array, Uint8Array>; app: App; keepers: DepinKeepers;
    blocks: BlockStore; indexer: TxIndex; validatorKey: ValidatorKey | undefined; log: (m: string) => void;
  }) {
    this.home = fields.home;
    this.config = fields.config;
    this.genesis = fields.genesis;
    this.db = fields.db;
    this.app = fields.app;
    this.keepers = fields.keepers;
    this.blocks = fields.blocks;
    this.indexer = fields.indexer;
    this.validatorKey = fields.validatorKey;
    this.log = fields.log;
    this.verifier = this.config.sigVerifyWorkers > 0 ? new SigVerifierPool(this.config.sigVerifyWorkers) : undefined;
    this.mempool = new Mempool(this.app, this.config.mempool, this.verifier);
    this.validators = this.genesis.validators.map((v) => {
      const pubKey = Buffer.from(v.pub_key.value, 'base64');
      return { address: validatorAddress(pubKey), pubKey, votingPower: BigInt(v.power), name: v.name };
    });
  }

  static async open(opts: NodeOptions): Promise<DepinNode> {
    const paths = homePaths(opts.home);
    const config = { ...loadConfig(opts.home), ...opts.config };
    const genesis = JSON.parse(readFileSync(paths.genesis, 'utf8')) as GenesisDoc;
    mkdirSync(paths.data, { recursive: true });
    const db = new Level<Uint8Array, Uint8Array>(join(paths.data, 'chain.db'), { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED' || /lock/i.test(cause?.message ?? '')) {
        throw new Error(`another depind is already running on ${opts.home} (its database is locked)`);
      }
      throw new Error(`cannot open ${join(paths.data, 'chain.db')}: ${cause?.message ?? (err as Error).message}`);
    }
    const stateDb = db.sublevel<Uint8Array, Uint8Array>('state', { keyEncoding: 'view', valueEncoding: 'view' });
    const { app, keepers } = await openDepinApp(stateDb, { minGasPrice: config.minGasPrice, maxTxBytes: config.mempool.maxTxBytes });
    const blocks = await BlockStore.open(db);
    // The tx index lives in its own LevelDB, written by a worker thread (a derived view, rebuilt
    // from stored blocks and results for any height it lacks).
    const indexer = new IndexerClient(join(paths.data, 'index.db'));
    let validatorKey: ValidatorKey | undefined;
    try {
      validatorKey = ValidatorKey.load(paths.validatorKey);
    } catch {
      validatorKey = undefined; // a full node without a consensus key
    }
    const node = new DepinNode({ home: opts.home, config, genesis, db, app, keepers, blocks, indexer, validatorKey, log: opts.log ?? ((m) => console.log(m)) });
    await node.handshake();
    return node;
  }

  get chainId(): string {
    return this.genesis.chain_id;
  }

  isValidator(): boolean {
    return !!this.validatorKey && this.validators.some((v) => Buffer.compare(v.address, this.validatorKey!.address) === 0);
  }

  /** Brings app and index up to the block store (CometBFT's handshake + replay). */
  private async handshake(): Promise<void> {
    const storeHeight = this.blocks.height();
    let appHeight = this.app.info().lastBlockHeight;
    if (appHeight > storeHeight) throw new Error(`app height ${appHeight} is ahead of the block store ${storeHeight}: data directory is corrupted`);
    if (appHeight === 0n) {
      this.lastAppHash = this.app.initChain(this.genesis).appHash;
    } else {
      this.lastAppHash = this.app.info().lastBlockAppHash;
      const last = await this.blocks.loadBlock(appHeight);
      if (last) this.app.setLastBlockTime(toTimestamp(last.block.header.time));
      const res = await this.blocks.loadResults(appHeight);
      this.lastResultsHash = res ? resultsHash(res.txResults.map(fromResultMsg)) : new Uint8Array();
    }
    if (appHeight < storeHeight) this.log(`replaying blocks ${appHeight + 1n}..${storeHeight} into the app`);
    while (appHeight < storeHeight) {
      const stored = await this.blocks.loadBlock(appHeight + 1n);
      if (!stored) throw new Error(`block ${appHeight + 1n} missing from the block store`);
      await this.applyBlock(stored.block, { replay: true });
      appHeight = this.app.info().lastBlockHeight;
    }
    // The index is rebuilt from stored blocks and results for any height it missed.
    for (let h = (await this.indexer.lastHeight()) + 1n; h <= appHeight; h++) {
      const stored = await this.blocks.loadBlock(h);
      const results = await this.blocks.loadResultsBytes(h);
      if (stored && results) await this.indexer.indexEncodedBlock(h, stored.block.txs, results);
    }
  }

  /** Executes a decided block: finalize, persist results, commit state, index, notify. */
  async applyBlock(block: Block, opts: { replay?: boolean } = {}): Promise<void> {
    const height = i64(block.header.height);
    const time = toTimestamp(block.header.time);
    const res = this.app.finalizeBlock({ height, time, txs: block.txs, proposer: block.header.proposerAddress, lastAppHash: block.header.appHash });
    const resultsBytes = encodeBlockResults(height, res.txResults, res.events, res.appHash);
    await this.blocks.saveResults(height, resultsBytes);
    await this.mempool.exclusive(async () => {
      const { appHash } = await this.app.commit();
      this.lastAppHash = appHash;
      if (!opts.replay) this.mempool.update(block.txs);
    });
    this.lastResultsHash = resultsHash(res.txResults);
    // Indexing runs on the indexer thread while the next block is built; its queue keeps blocks in
    // order, and a crash before it finishes is repaired from the stored results at startup.
    const indexed = this.indexer.indexEncodedBlock(height, block.txs, resultsBytes);
    this.indexing = this.indexing.then(() => indexed).catch((err) => this.log(`indexing block ${height} failed: ${(err as Error).message}`));
    if (opts.replay) await indexed;
    if (!opts.replay) this.publishBlock(block, res.txResults, height);
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

  // ------------------------------------------------------------ single-validator block production

  start(): void {
    if (!this.isValidator()) {
      this.log('not a genesis validator: running as a full node (no block production)');
      return;
    }
    this.producing = true;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (!this.producing || this.stopping) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.produceBlock()
        .catch((err) => {
          this.log(`block production failed: ${(err as Error).stack ?? err}`);
          this.producing = false;
        })
        .finally(() => {
          this.inFlight = undefined;
        });
      void this.inFlight.then(() => this.schedule(this.config.blockTimeMs));
    }, delayMs);
  }

  async produceBlock(): Promise<void> {
    const key = this.validatorKey!;
    const height = this.blocks.height() + 1n;
    const txs = this.mempool.reap(this.config.block.maxTxs, this.config.block.maxBytes);
    if (txs.length === 0 && !this.config.createEmptyBlocks && height > 1n) return;
    let lastBlockId: BlockID = EMPTY_BLOCK_ID;
    let lastCommit: Commit = { height: '0', round: 0, blockId: EMPTY_BLOCK_ID, signatures: [] };
    let time = nowTimestamp();
    if (height > 1n) {
      const prev = (await this.blocks.loadBlock(height - 1n))!;
      lastBlockId = prev.blockId;
      lastCommit = (await this.blocks.loadCommit(height - 1n))!;
      const prevTime = toTimestamp(prev.block.header.time);
      // Block time must strictly increase (BFT time); a clock step back waits it out.
      if (!later(time, prevTime)) time = { seconds: prevTime.seconds, nanos: prevTime.nanos + 1 };
      if (time.nanos >= 1e9) time = { seconds: time.seconds + 1n, nanos: time.nanos - 1e9 };
    } else {
      const genesisTime = parseRfc3339(this.genesis.genesis_time);
      if (!later(time, genesisTime)) time = { seconds: genesisTime.seconds, nanos: genesisTime.nanos + 1 };
    }
    const valHash = validatorSetHash(this.validators);
    const header: Header = {
      chainId: this.chainId,
      height: height.toString(),
      time: { seconds: time.seconds.toString(), nanos: time.nanos },
      lastBlockId,
      lastCommitHash: height > 1n ? commitHash(lastCommit) : new Uint8Array(),
      dataHash: dataHash(txs),
      validatorsHash: valHash,
      nextValidatorsHash: valHash,
      consensusHash: sha256(new TextEncoder().encode(JSON.stringify(this.genesis.consensus_params ?? {}))),
      appHash: this.lastAppHash,
      lastResultsHash: this.lastResultsHash,
      evidenceHash: new Uint8Array(),
      proposerAddress: key.address,
      versionBlock: BLOCK_VERSION.toString(),
      versionApp: '0',
    };
    const block: Block = { header, txs, lastCommit };
    const encoded = encodeBlock(block);
    const blockId: BlockID = { hash: headerHash(header), partSetHeader: { total: 1, hash: partHash(encoded) } };
    const signature = key.sign(voteSignBytes(this.chainId, height, 0, blockId, time));
    const commit: Commit = {
      height: height.toString(),
      round: 0,
      blockId,
      signatures: [{ blockIdFlag: BLOCK_ID_FLAG_COMMIT, validatorAddress: key.address, timestamp: header.time, signature }],
    };
    await this.blocks.saveBlock(block, blockId, commit, encoded);
    await this.applyBlock(block);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.producing = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.inFlight) await this.inFlight;
    await this.verifier?.close();
    await this.indexing;
    await this.indexer.close();
    await this.db.close();
  }
}

export function fromResultMsg(r: BlockResultsMsg['txResults'][number]): TxResult {
  return {
    code: r.code, codespace: r.codespace, log: r.log, info: r.info, data: r.data,
    gasWanted: i64(r.gasWanted), gasUsed: i64(r.gasUsed),
    events: r.events.map((e) => ({ type: e.type, attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })) })),
  };
}

// Node configuration: <home>/config/node.json, with defaults for everything so a fresh home (or
// `npm start`'s embedded dev defaults) runs with no editing.
import { readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { DEFAULT_P2P_CONFIG, type P2PConfig } from './p2p/p2p-config.ts';
import type { AnchorConfig } from './anchor/config.ts';
import { DEFAULT_CACHE_NODES } from '../chain/store/merkle-store.ts';

export interface NodeConfig {
  moniker: string;
  /** CometBFT JSON-RPC (HTTP + /websocket). */
  rpcListen: string;
  /** REST (grpc-gateway style JSON over GET) and the dashboard; empty string disables it. */
  restListen: string;
  /** Prometheus metrics (GET /metrics); empty string disables it. */
  metricsListen: string;
  /** Origins allowed by CORS on the RPC; "*" for browser wallets on any origin. */
  corsAllowedOrigins: string[];
  /** Validator-local minimum gas price for mempool admission. */
  minGasPrice: string;
  /**
   * CometBFT's timeout_commit, ms: after a block is decided, how long the node waits (collecting
   * late precommits) before starting the next height. The block interval is this plus the time
   * consensus takes (one round trip of proposal, prevotes and precommits when all is well).
   */
  blockTimeMs: number;
  /** Produce empty blocks (CometBFT create_empty_blocks); when false a height starts once txs
   * arrive or for a proof block (readyToStartHeight). As on Cosmos SDK chains, slashing records the
   * last commit's votes every block, so the app hash moves each block and the chain keeps making
   * proof blocks: the setting only idles a chain whose state stops changing. */
  createEmptyBlocks: boolean;
  /** BFT consensus (node/consensus): round timeouts and gossip, see ConsensusConfig. */
  consensus: ConsensusConfig;
  mempool: { maxTxs: number; maxBytes: number; maxTxBytes: number; cacheSize: number };
  /** Worker threads verifying tx signatures ahead of CheckTx (0: verify on the main thread). */
  sigVerifyWorkers: number;
  /** The state store: nodes of the latest state's Merkle tree kept in memory (chain/store/
   * merkle-store.ts DEFAULT_CACHE_NODES; ~190-300 bytes each once the state is big enough to fill it). */
  store: { cacheNodes: number };
  /** Limits on what one block takes from the mempool. */
  block: { maxTxs: number; maxBytes: number };
  /** libp2p: listen addresses, persistent/bootstrap peers, limits (node/p2p/p2p-config.ts). */
  p2p: P2PConfig;
  /** The anchor service (Ethereum checkpoints), off unless enabled here or by start flags: node/anchor/config.ts. */
  anchor?: Partial<AnchorConfig>;
}

export interface ConsensusConfig {
  /** timeout_propose and its per-round increase (ms): how long to wait for the round's proposal. */
  timeoutProposeMs: number;
  timeoutProposeDeltaMs: number;
  /** timeout_prevote / timeout_precommit (ms), after 2/3 of any prevotes / precommits. */
  timeoutPrevoteMs: number;
  timeoutPrevoteDeltaMs: number;
  timeoutPrecommitMs: number;
  timeoutPrecommitDeltaMs: number;
  /** While a height is undecided for this long, ask peers for their proposals and votes (ms). */
  peerGossipMs: number;
  /** How often peers' heights are polled for block sync (ms). */
  statusIntervalMs: number;
  /** Test hook: append every signed vote this node sends or accepts to this file (JSON lines). */
  voteLog?: string;
}

export const DEFAULT_CONSENSUS_CONFIG: ConsensusConfig = {
  timeoutProposeMs: 3000,
  timeoutProposeDeltaMs: 500,
  timeoutPrevoteMs: 1000,
  timeoutPrevoteDeltaMs: 500,
  timeoutPrecommitMs: 1000,
  timeoutPrecommitDeltaMs: 500,
  peerGossipMs: 500,
  statusIntervalMs: 1000,
};

export const DEFAULT_CONFIG: NodeConfig = {
  moniker: 'depin-node',
  rpcListen: '127.0.0.1:26657',
  restListen: '127.0.0.1:1317',
  metricsListen: '127.0.0.1:26660',
  corsAllowedOrigins: ['*'],
  minGasPrice: '0.0025udpin',
  blockTimeMs: 1000,
  createEmptyBlocks: true,
  consensus: DEFAULT_CONSENSUS_CONFIG,
  mempool: { maxTxs: 100_000, maxBytes: 512 * 1024 * 1024, maxTxBytes: 128 * 1024, cacheSize: 100_000 },
  sigVerifyWorkers: 1,
  store: { cacheNodes: DEFAULT_CACHE_NODES },
  block: { maxTxs: 20_000, maxBytes: 21 * 1024 * 1024 },
  p2p: DEFAULT_P2P_CONFIG,
};

export interface HomePaths {
  home: string;
  config: string;
  genesis: string;
  validatorKey: string;
  /** ed25519 p2p identity (libp2p peer id), created on first start. */
  nodeKey: string;
  data: string;
}

export function homePaths(home: string): HomePaths {
  return {
    home,
    config: join(home, 'config', 'node.json'),
    genesis: join(home, 'config', 'genesis.json'),
    validatorKey: join(home, 'config', 'priv_validator_key.json'),
    nodeKey: join(home, 'config', 'node_key.json'),
    data: join(home, 'data'),
  };
}

export function loadConfig(home: string): NodeConfig {
  const p = homePaths(home).config;
  if (!existsSync(p)) return structuredClone(DEFAULT_CONFIG);
  const user = JSON.parse(readFileSync(p, 'utf8')) as Partial<NodeConfig>;
  return {
    ...DEFAULT_CONFIG,
    ...user,
    mempool: { ...DEFAULT_CONFIG.mempool, ...user.mempool },
    block: { ...DEFAULT_CONFIG.block, ...user.block },
    store: { ...DEFAULT_CONFIG.store, ...user.store },
    p2p: { ...DEFAULT_CONFIG.p2p, ...user.p2p },
    consensus: { ...DEFAULT_CONFIG.consensus, ...user.consensus },
  };
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

// The node's libp2p side: the host (identity from config/node_key.json, listen addresses and peers
// from node.json), the chain-serving protocols (status, block sync, tx fetch: stored bytes, never
// re-encoded), tx gossip wired to the mempool, and the clients the consensus driver and block sync
// use. Consensus topics are subscribed by the ConsensusDriver; evidence gossip has its own topic.
import { sha256 } from '../chain/crypto/hash.ts';
import { peerIdFromString } from '@libp2p/peer-id';
import { P2PHost } from './p2p/host.ts';
import { loadOrCreateNodeKey } from './p2p/node-key.ts';
import { serveChain } from './p2p/protocols.ts';
import { SyncClient } from './p2p/sync-client.ts';
import { TxGossip } from './p2p/tx-gossip.ts';
import { ALL_TOPICS } from './p2p/topics.ts';
import { hex } from './p2p/wire.ts';
import { homePaths } from './config.ts';
import type { DepinNode } from './node.ts';
import type { Verdict } from './p2p/host.ts';

/** Duplicate-vote evidence, encoded depin.consensus.v1.DuplicateVoteEvidence. */
export const EVIDENCE_TOPIC = 'depin/evidence/1';
/** The consensus messages a peer holds for a height (proposals with compact blocks, votes) or the decided block. */
export const CONSENSUS_STATE_PROTOCOL = '/depin/consensus/state/1';

/** CometBFT's node id format: hex of the first 20 bytes of sha256(ed25519 public key). */
export function cometNodeId(peerId: string): string {
  const pk = peerIdFromString(peerId).publicKey;
  if (!pk) return '';
  return Buffer.from(sha256(pk.raw).subarray(0, 20)).toString('hex');
}

export class NodeNetwork {
  readonly host: P2PHost;
  readonly sync: SyncClient;
  readonly txGossip: TxGossip;
  private readonly node: DepinNode;

  private constructor(node: DepinNode, host: P2PHost) {
    this.node = node;
    this.host = host;
    this.sync = new SyncClient(host);
    this.txGossip = new TxGossip(host, {
      limits: { maxTxBytes: node.config.mempool.maxTxBytes },
      log: node.log,
      onTxs: (txs) => this.admitGossipedTxs(txs),
    });
  }

  static async create(node: DepinNode): Promise<NodeNetwork> {
    const { privateKey } = await loadOrCreateNodeKey(homePaths(node.home).nodeKey);
    const host = await P2PHost.create({ privateKey, ...node.config.p2p, topics: [...ALL_TOPICS, EVIDENCE_TOPIC], log: node.log });
    const net = new NodeNetwork(node, host);
    await serveChain(host, {
      status: () => ({ height: node.blocks.height(), latestBlockHash: node.last?.blockId.hash ?? new Uint8Array(), earliestHeight: node.blocks.base() }),
      block: async (h) => {
        const block = await node.blocks.loadBlockBytes(h);
        const commit = await node.blocks.loadCommitBytes(h);
        return block && commit ? { block, commit } : undefined;
      },
      tx: (hash) => node.mempool.get(hex(hash))?.bytes ?? node.recentTxs.get(hash),
    });
    return net;
  }

  /**
   * Txs from gossip go through normal admission. A batch is forwarded when at least one of its
   * txs was admitted; otherwise it is ignored, never rejected: CheckTx failures depend on this
   * node's state (sequence already used, tx already known) and must not cost an honest peer score.
   */
  private async admitGossipedTxs(txs: Uint8Array[]): Promise<Verdict> {
    const results = await Promise.allSettled(txs.map((tx) => this.node.mempool.addAsync(tx)));
    return results.some((r) => r.status === 'fulfilled' && r.value.result.code === 0) ? 'accept' : 'ignore';
  }

  async start(): Promise<void> {
    try {
      await this.host.start();
    } catch (err) {
      const msg = (err as Error).message;
      const inUse = /EADDRINUSE[^\n]*/.exec(msg)?.[0];
      throw new Error(`p2p: cannot listen on ${this.node.config.p2p.listen.join(', ')}: ${inUse ?? msg} (set p2p.listen in node.json or --p2p.laddr)`);
    }
  }

  async stop(): Promise<void> {
    await this.txGossip.close().catch(() => {});
    await this.host.stop();
  }
}

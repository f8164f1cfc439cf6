// Gossip topics and request/response protocol ids, with the gossipsub score parameters that go
// with them. Every topic carries opaque bytes; the application signs what needs signing.
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score';

export const TOPIC = {
  /** Batches of txs (many per message), see tx-gossip.ts. */
  txs: 'depin/txs/1',
  /** Signed proposals; the block travels inside as a compact block (header + tx hashes). */
  proposal: 'depin/consensus/proposal/1',
  /** Signed prevotes/precommits. */
  vote: 'depin/consensus/vote/1',
  /** Decided blocks as compact block + commit, so full nodes follow the chain without consensus. */
  block: 'depin/blocks/compact/1',
} as const;

export const ALL_TOPICS: readonly string[] = Object.values(TOPIC);

export const PROTOCOL = {
  status: '/depin/status/1',
  syncBlocks: '/depin/sync/blocks/1',
  fetchTxs: '/depin/txs/fetch/1',
  pex: '/depin/pex/1',
} as const;

/**
 * Per-topic score: invalid messages (P4) dominate. Honest nodes validate before forwarding, so a
 * peer that forwards a rejected message is either broken or hostile: -20·n² per topic, decaying
 * 1 %/s, puts a peer below the graylist threshold (-80) after two invalid messages and keeps it
 * there for about a minute. Mesh-delivery deficits (P3/P3b) are off: consensus topics carry a
 * few messages per second in bursts, so a delivery-rate quota would penalise honest peers.
 */
export function topicScoreParams(): Partial<TopicScoreParams> {
  return {
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -20,
    invalidMessageDeliveriesDecay: 0.99,
  };
}

export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 5,
};

export function peerScoreParams(topics: readonly string[], appScore: (peerId: string) => number): Partial<PeerScoreParams> {
  return {
    topics: Object.fromEntries(topics.map((t) => [t, topicScoreParams() as TopicScoreParams])),
    topicScoreCap: 10,
    appSpecificScore: appScore,
    appSpecificWeight: 1,
    decayInterval: 1000,
    decayToZero: 0.01,
  };
}

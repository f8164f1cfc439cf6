// The `p2p` section of node.json. Kept free of libp2p imports so loading the config (CLI init,
// RPC-only tools) does not load the networking stack.

export interface P2PConfig {
  /** Multiaddrs to listen on (libp2p's default port for depin-chain is 26656). */
  listen: string[];
  /** Multiaddrs with /p2p/<peer id> that are always (re)connected, with backoff (validators). */
  persistentPeers: string[];
  /** Multiaddrs with /p2p/<peer id> dialed while the node has fewer than `targetPeers` peers. */
  bootstrapPeers: string[];
  /** Hard cap on connections (libp2p maxConnections). */
  maxPeers: number;
  /** Peer exchange keeps dialing peers learned from peers until this many are connected. */
  targetPeers: number;
  /** Ask connected peers for their peers (`/depin/pex/1`). */
  pex: boolean;
  /** Redial backoff for persistent/bootstrap peers: min doubles per failure up to max (ms). */
  dialBackoffMinMs: number;
  dialBackoffMaxMs: number;
  /** Largest gossip message accepted or published (a 20,000-tx compact proposal is ~640 KB). */
  maxGossipBytes: number;
  /** Gossipsub heartbeat (mesh maintenance, score decay checks), ms. */
  gossipHeartbeatMs: number;
  /** How long a peer whose score fell to the ban threshold is refused, ms. */
  banMs: number;
}

export const DEFAULT_P2P_CONFIG: P2PConfig = {
  listen: ['/ip4/0.0.0.0/tcp/26656'],
  persistentPeers: [],
  bootstrapPeers: [],
  maxPeers: 64,
  targetPeers: 16,
  pex: true,
  dialBackoffMinMs: 500,
  dialBackoffMaxMs: 30_000,
  maxGossipBytes: 2 * 1024 * 1024,
  gossipHeartbeatMs: 700,
  banMs: 10 * 60_000,
};

// The p2p host: one libp2p node (TCP + noise + yamux + identify + gossipsub) with
// - gossip topics carrying opaque bytes, each with an application validator wired into
//   gossipsub's topic validation (rejected messages are not forwarded and cost the sender score);
// - request/response protocols over streams (reqresp.ts) with size limits and timeouts;
// - persistent and bootstrap peers redialed with exponential backoff, and peer exchange;
// - an application peer score (peer-score.ts) that also feeds gossipsub, and bans.
//
// Gossipsub runs with StrictNoSign: libp2p does not sign or verify messages (votes, proposals and
// txs carry their own signatures), and the message id is sha256(data) ‖ topic, computed once by
// the fast-id path, so a duplicate costs one hash and a cache lookup before anything else.
import { createLibp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import { gossipsub, type GossipSub, type GossipsubMessage, type TopicValidatorResult } from '@libp2p/gossipsub';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Libp2p, PrivateKey, PeerId } from '@libp2p/interface';
import { sha256 } from '../../chain/crypto/hash.ts';
import { PeerScorer, PENALTY, type PeerScoreOptions } from './peer-score.ts';
import { handleProtocol, request, RequestError, type ProtocolLimits, type RequestHandler } from './reqresp.ts';
import { ALL_TOPICS, PROTOCOL, SCORE_THRESHOLDS, peerScoreParams } from './topics.ts';
import { DEFAULT_P2P_CONFIG, type P2PConfig } from './p2p-config.ts';
import { Reader, Writer } from './wire.ts';

export type Verdict = 'accept' | 'reject' | 'ignore';

/**
 * Decides whether a gossip message is valid before it is delivered or forwarded.
 * 'reject': provably invalid (undecodable, bad signature): not forwarded, sender penalised.
 * 'ignore': not useful now (stale height, already known): not forwarded, no penalty.
 * A validator that throws counts as 'ignore' (a local bug must not punish honest peers).
 */
export type GossipValidator = (data: Uint8Array, fromPeer: string) => Verdict | Promise<Verdict>;
export type GossipHandler = (data: Uint8Array, fromPeer: string) => void | Promise<void>;

export interface TopicOptions {
  validate?: GossipValidator;
  /** Called once per distinct accepted message (duplicates never reach it). */
  onMessage?: GossipHandler;
  /** Larger messages are rejected on receipt and refused on publish (default config.maxGossipBytes). */
  maxBytes?: number;
}

export interface P2PHostOptions extends Partial<P2PConfig> {
  privateKey: PrivateKey;
  /** Topics gossipsub accepts (and scores); messages on other topics are dropped. */
  topics?: readonly string[];
  scoring?: Partial<PeerScoreOptions>;
  /** How often the dialer runs (persistent/bootstrap redials, peer exchange, score checks). */
  maintenanceMs?: number;
  pexIntervalMs?: number;
  log?: (msg: string) => void;
}

/** A connected peer, for the RPC's net_info. */
export interface PeerInfo {
  peerId: string;
  remoteAddr: string;
  direction: 'inbound' | 'outbound';
  /** ms since the epoch (libp2p connection timeline). */
  connectedSince: number;
  persistent: boolean;
  /** Application score (penalties only, <= 0). */
  score: number;
  /** Gossipsub's score (includes the application score). */
  gossipScore: number;
  rttMs?: number;
}

interface DialTarget {
  addr: Multiaddr;
  peerId: string;
  persistent: boolean;
  failures: number;
  nextAttempt: number;
  dialing: boolean;
}

interface Topic extends TopicOptions {
  maxBytes: number;
}

type Services = { identify: Identify; pubsub: GossipSub };
type ScoredGossipSub = GossipSub & { getScore(peerId: string): number };

const PEX_LIMITS: ProtocolLimits = { maxRequestBytes: 0, maxResponseBytes: 64 * 1024, timeoutMs: 5_000, maxInboundStreams: 4 };
const PEX_MAX_PEERS = 32;
const PEX_MAX_ADDRS = 8;

/** Parses "<multiaddr>/p2p/<peer id>"; throws a clear error for anything else. */
export function parsePeerAddr(s: string): { addr: Multiaddr; peerId: string } {
  let addr: Multiaddr;
  try {
    addr = multiaddr(s);
  } catch (err) {
    throw new Error(`invalid peer address "${s}": ${(err as Error).message}`);
  }
  const peerId = addr.getComponents().findLast((c) => c.name === 'p2p')?.value;
  if (!peerId) throw new Error(`peer address "${s}" has no /p2p/<peer id>`);
  peerIdFromString(peerId); // validates
  return { addr, peerId };
}

export class P2PHost {
  readonly libp2p: Libp2p<Services>;
  readonly scorer: PeerScorer;
  readonly peerId: string;
  readonly config: P2PConfig;
  private readonly log: (msg: string) => void;
  private readonly topics = new Map<string, Topic>();
  private readonly targets = new Map<string, DialTarget>();
  private readonly maintenanceMs: number;
  private readonly pexIntervalMs: number;
  private nextPex = 0;
  private pexCursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private pexServed = false;

  private constructor(libp2p: Libp2p<Services>, scorer: PeerScorer, config: P2PConfig, opts: P2PHostOptions) {
    this.libp2p = libp2p;
    this.scorer = scorer;
    this.config = config;
    this.peerId = libp2p.peerId.toString();
    this.log = opts.log ?? (() => {});
    this.maintenanceMs = opts.maintenanceMs ?? 1000;
    this.pexIntervalMs = opts.pexIntervalMs ?? 5000;
    this.pubsub.addEventListener('gossipsub:message', (evt) => this.deliver(evt.detail));
    libp2p.addEventListener('peer:disconnect', (evt) => {
      const t = this.targets.get(evt.detail.toString());
      // A persistent peer that drops is redialed soon, whatever its earlier backoff.
      if (t?.persistent && this.running) t.nextAttempt = Math.min(t.nextAttempt, Date.now() + this.config.dialBackoffMinMs);
    });
    for (const [list, persistent] of [[config.persistentPeers, true], [config.bootstrapPeers, false]] as const) {
      for (const s of list) {
        const { addr, peerId } = parsePeerAddr(s);
        if (peerId === this.peerId) continue; // our own entry in a shared peer list
        const prev = this.targets.get(peerId);
        this.targets.set(peerId, { addr, peerId, persistent: persistent || !!prev?.persistent, failures: 0, nextAttempt: 0, dialing: false });
      }
    }
  }

  /** Creates the libp2p node (not started: register topics and protocols, then start()). */
  static async create(opts: P2PHostOptions): Promise<P2PHost> {
    const config = pickConfig(opts);
    const scorer = new PeerScorer({ banMs: config.banMs, ...opts.scoring });
    const topics = opts.topics ?? ALL_TOPICS;
    // sha256 of each received payload, computed once by the fast-id path (receive only) and reused
    // by msgIdFn (gossipsub passes it the same Uint8Array when no data transform is configured).
    // Published payloads are always hashed afresh: the caller may reuse and mutate its buffer.
    const received = new WeakMap<Uint8Array, Uint8Array>();
    const digest = (data: Uint8Array): Uint8Array => received.get(data) ?? sha256(data);
    // The topic is part of the id: bytes rejected on one topic must not shadow the same bytes on another.
    const topicBytes = new Map<string, Uint8Array>();
    const msgId = (topic: string, data: Uint8Array): Uint8Array => {
      let t = topicBytes.get(topic);
      if (!t) {
        t = new TextEncoder().encode(topic);
        if (topicBytes.size < 64) topicBytes.set(topic, t); // bounded: topics come from the wire
      }
      const id = new Uint8Array(32 + t.length);
      id.set(digest(data), 0);
      id.set(t, 32);
      return id;
    };
    const idStr = (id: Uint8Array) => Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('base64');
    // The fast id only keys the local seen-cache, so it need not be the wire id's encoding.
    const fastId = (topic: string, data: Uint8Array) => {
      const d = sha256(data);
      received.set(data, d);
      return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64') + topic;
    };
    const libp2p = await createLibp2p<Services>({
      start: false,
      privateKey: opts.privateKey,
      addresses: { listen: config.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: scorer.gater(),
      connectionManager: { maxConnections: config.maxPeers, dialTimeout: 10_000 },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          globalSignaturePolicy: 'StrictNoSign',
          msgIdFn: (m) => msgId(m.topic, m.data),
          fastMsgIdFn: (m) => fastId(m.topic, m.data ?? new Uint8Array()),
          msgIdToStrFn: idStr,
          allowedTopics: [...topics],
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          emitSelf: false,
          heartbeatInterval: config.gossipHeartbeatMs,
          // One RPC frame may batch several messages; leave room above the largest message.
          maxInboundDataLength: config.maxGossipBytes + 256 * 1024,
          scoreParams: peerScoreParams(topics, (p) => scorer.score(p)),
          scoreThresholds: SCORE_THRESHOLDS,
        }),
      },
    });
    const host = new P2PHost(libp2p, scorer, config, opts);
    scorer.onBan = (peerId, reason) => {
      host.log(`p2p: banning ${peerId}: ${reason}`);
      void libp2p.hangUp(peerIdFromString(peerId)).catch(() => {});
    };
    return host;
  }

  private get pubsub(): ScoredGossipSub {
    return this.libp2p.services.pubsub as ScoredGossipSub;
  }

  async start(): Promise<void> {
    if (this.running) return;
    // Protocols are registered before the node starts, so identify advertises them from the first connection.
    if (this.config.pex && !this.pexServed) {
      this.pexServed = true;
      await this.servePex();
    }
    await this.libp2p.start();
    this.running = true;
    for (const topic of this.topics.keys()) this.pubsub.subscribe(topic);
    // When connections exceed maxPeers, libp2p prunes the lowest-tagged peers first: never validators.
    for (const t of this.targets.values()) {
      if (t.persistent) await this.libp2p.peerStore.merge(peerIdFromString(t.peerId), { tags: { 'depin-persistent': { value: 100 } } });
    }
    this.timer = setInterval(() => void this.maintain(), this.maintenanceMs);
    this.timer.unref();
    void this.maintain();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    await this.libp2p.stop();
  }

  /** Listening addresses with /p2p/<our id>, as other nodes put them in their peer lists. */
  listenAddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((a) => a.toString());
  }

  // ------------------------------------------------------------------------------------- gossip

  /** Registers a topic with its validator and handler; before or after start. */
  subscribe(topic: string, opts: TopicOptions = {}): void {
    const maxBytes = opts.maxBytes ?? this.config.maxGossipBytes;
    this.topics.set(topic, { ...opts, maxBytes });
    this.pubsub.topicValidators.set(topic, async (peer: PeerId, msg) => this.validate(topic, msg.data, peer.toString()));
    if (this.running) this.pubsub.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
    this.pubsub.topicValidators.delete(topic);
    if (this.running) this.pubsub.unsubscribe(topic);
  }

  private async validate(topic: string, data: Uint8Array, from: string): Promise<TopicValidatorResult> {
    const t = this.topics.get(topic);
    if (!t) return 'ignore' as TopicValidatorResult;
    if (data.length > t.maxBytes) return 'reject' as TopicValidatorResult;
    if (!t.validate) return 'accept' as TopicValidatorResult;
    let v: Verdict;
    try {
      v = await t.validate(data, from);
    } catch (err) {
      this.log(`p2p: validator for ${topic} threw: ${(err as Error).message}`);
      v = 'ignore';
    }
    return (v === 'accept' || v === 'reject' ? v : 'ignore') as TopicValidatorResult;
  }

  private deliver(m: GossipsubMessage): void {
    const t = this.topics.get(m.msg.topic);
    if (!t?.onMessage) return;
    const from = m.propagationSource.toString();
    try {
      const r = t.onMessage(m.msg.data, from);
      if (r) r.catch((err) => this.log(`p2p: handler for ${m.msg.topic} failed: ${(err as Error).message}`));
    } catch (err) {
      this.log(`p2p: handler for ${m.msg.topic} failed: ${(err as Error).message}`);
    }
  }

  /** Publishes opaque bytes; resolves to the number of peers it was sent to (0 for a duplicate). */
  async publish(topic: string, data: Uint8Array): Promise<number> {
    const max = this.topics.get(topic)?.maxBytes ?? this.config.maxGossipBytes;
    if (data.length > max) throw new RangeError(`gossip message of ${data.length} bytes on ${topic} exceeds ${max}`);
    const r = await this.pubsub.publish(topic, data);
    return r.recipients.length;
  }

  /** Peers subscribed to a topic (as gossipsub knows them). */
  topicPeers(topic: string): string[] {
    return this.pubsub.getSubscribers(topic).map((p) => p.toString());
  }

  gossipScore(peerId: string): number {
    return this.pubsub.getScore(peerId);
  }

  // ----------------------------------------------------------------------------- request/response

  /** Serves a request/response protocol. Register before start() so identify advertises it. */
  async handle(protocol: string, handler: RequestHandler, limits: ProtocolLimits): Promise<void> {
    await handleProtocol(this.libp2p, protocol, handler, limits, (peer, err) => {
      this.log(`p2p: bad ${protocol} request from ${peer}: ${err.message}`);
      this.scorer.penalize(peer, PENALTY.badRequest, `bad ${protocol} request: ${err.message}`);
    });
  }

  /**
   * One request to one peer. Transport failures are penalised here (timeouts lightly, broken
   * framing heavily); the caller penalises content it finds wrong with penalize().
   */
  async request(peerId: string, protocol: string, req: Uint8Array, limits: ProtocolLimits): Promise<Uint8Array> {
    if (this.scorer.isBanned(peerId)) throw new RequestError('dial', peerId, 'peer is banned');
    try {
      return await request(this.libp2p, peerId, protocol, req, limits);
    } catch (err) {
      if (err instanceof RequestError) {
        if (err.kind === 'timeout' || err.kind === 'stream') this.scorer.penalize(peerId, PENALTY.timeout, `${protocol}: ${err.message}`);
        if (err.kind === 'bad-response') this.scorer.penalize(peerId, PENALTY.badResponse, `${protocol}: ${err.message}`);
      }
      throw err;
    }
  }

  penalize(peerId: string, amount: number, reason: string): void {
    this.log(`p2p: penalising ${peerId} by ${amount}: ${reason}`);
    this.scorer.penalize(peerId, amount, reason);
  }

  // ------------------------------------------------------------------------------------- peers

  connectedPeers(): string[] {
    return this.libp2p.getPeers().map((p) => p.toString());
  }

  /** Connected peers whose identify record lists `protocol`, best score first. */
  async peersSupporting(protocol: string): Promise<string[]> {
    const out: { id: string; score: number }[] = [];
    for (const p of this.libp2p.getPeers()) {
      const id = p.toString();
      if (this.scorer.isBanned(id)) continue;
      try {
        const rec = await this.libp2p.peerStore.get(p);
        if (rec.protocols.includes(protocol)) out.push({ id, score: this.scorer.score(id) });
      } catch {
        // not identified yet
      }
    }
    return out.sort((a, b) => b.score - a.score).map((x) => x.id);
  }

  peers(): PeerInfo[] {
    const byPeer = new Map<string, PeerInfo>();
    for (const c of this.libp2p.getConnections()) {
      if (c.status !== 'open') continue;
      const id = c.remotePeer.toString();
      const prev = byPeer.get(id);
      if (prev && prev.connectedSince <= c.timeline.open) continue;
      byPeer.set(id, {
        peerId: id,
        remoteAddr: c.remoteAddr.toString(),
        direction: c.direction,
        connectedSince: c.timeline.open,
        persistent: !!this.targets.get(id)?.persistent,
        score: this.scorer.score(id),
        gossipScore: this.pubsub.getScore(id),
        rttMs: c.rtt,
      });
    }
    return [...byPeer.values()].sort((a, b) => (a.peerId < b.peerId ? -1 : 1));
  }

  /** Dials a "<multiaddr>/p2p/<id>" now (also added as a bootstrap target when `remember`). */
  async dial(addr: string, remember = false): Promise<void> {
    const { addr: ma, peerId } = parsePeerAddr(addr);
    if (remember && !this.targets.has(peerId)) this.targets.set(peerId, { addr: ma, peerId, persistent: false, failures: 0, nextAttempt: 0, dialing: false });
    await this.libp2p.dial(ma, { signal: AbortSignal.timeout(10_000) });
  }

  async hangUp(peerId: string): Promise<void> {
    await this.libp2p.hangUp(peerIdFromString(peerId));
  }

  // ------------------------------------------------------------------------------- maintenance

  private async maintain(): Promise<void> {
    if (!this.running) return;
    const now = Date.now();
    const connected = new Set(this.connectedPeers());
    // Gossip misbehaviour (invalid messages, broken promises) shows in gossipsub's score: a peer
    // below the graylist threshold is already ignored by gossipsub; drop it and refuse it too.
    for (const id of connected) {
      const s = this.pubsub.getScore(id);
      if (s < SCORE_THRESHOLDS.graylistThreshold) this.scorer.ban(id, `gossip score ${s.toFixed(1)}`);
    }
    const want = connected.size < this.config.targetPeers;
    for (const t of this.targets.values()) {
      if (connected.has(t.peerId)) {
        t.failures = 0;
        continue;
      }
      if (t.dialing || now < t.nextAttempt || (!t.persistent && !want) || this.scorer.isBanned(t.peerId)) continue;
      t.dialing = true;
      this.libp2p
        .dial(t.addr, { signal: AbortSignal.timeout(10_000) })
        .then(() => {
          t.failures = 0;
        })
        .catch((err) => {
          t.failures++;
          const backoff = Math.min(this.config.dialBackoffMaxMs, this.config.dialBackoffMinMs * 2 ** Math.min(t.failures - 1, 20));
          // ±20 % jitter so restarted validators do not redial each other in lockstep.
          t.nextAttempt = Date.now() + Math.round(backoff * (0.8 + 0.4 * Math.random()));
          if (t.failures === 1 || t.failures % 10 === 0) this.log(`p2p: dial ${t.addr.toString()} failed (${t.failures}x): ${(err as Error).message}`);
        })
        .finally(() => {
          t.dialing = false;
        });
    }
    if (this.config.pex && want && connected.size > 0 && now >= this.nextPex) {
      this.nextPex = now + this.pexIntervalMs;
      await this.exchangePeers([...connected]).catch((err) => this.log(`p2p: peer exchange failed: ${(err as Error).message}`));
    }
  }

  // ------------------------------------------------------------------------------ peer exchange

  private async servePex(): Promise<void> {
    await this.handle(
      PROTOCOL.pex,
      async (_req, from) => {
        const w = new Writer();
        const peers: { id: string; addrs: string[] }[] = [];
        for (const p of this.libp2p.getPeers()) {
          const id = p.toString();
          if (id === from || peers.length >= PEX_MAX_PEERS) continue;
          const rec = await this.libp2p.peerStore.get(p).catch(() => undefined);
          const addrs = (rec?.addresses ?? []).map((a) => a.multiaddr.toString()).slice(0, PEX_MAX_ADDRS);
          if (addrs.length > 0) peers.push({ id, addrs });
        }
        w.u32(peers.length);
        for (const p of peers) {
          w.string(p.id).u32(p.addrs.length);
          for (const a of p.addrs) w.string(a);
        }
        return w.finish();
      },
      PEX_LIMITS,
    );
  }

  /** Asks one connected peer (round robin) for its peers and dials the ones we lack. */
  private async exchangePeers(connected: string[]): Promise<void> {
    const peer = connected[this.pexCursor++ % connected.length]!;
    const res = await this.request(peer, PROTOCOL.pex, new Uint8Array(), PEX_LIMITS);
    const r = new Reader(res);
    const n = r.count(PEX_MAX_PEERS, 8, 'pex peers');
    const have = new Set(this.connectedPeers());
    let budget = this.config.targetPeers - have.size;
    for (let i = 0; i < n; i++) {
      const id = r.string(128, 'peer id');
      const addrs: string[] = [];
      const m = r.count(PEX_MAX_ADDRS, 4, 'pex addrs');
      for (let j = 0; j < m; j++) addrs.push(r.string(256, 'multiaddr'));
      if (budget <= 0 || id === this.peerId || have.has(id) || this.scorer.isBanned(id)) continue;
      let pid: PeerId;
      try {
        pid = peerIdFromString(id);
      } catch {
        this.penalize(peer, PENALTY.badResponse, 'pex: invalid peer id');
        return;
      }
      const mas: Multiaddr[] = [];
      for (const a of addrs) {
        try {
          const ma = multiaddr(a);
          // Dial with the claimed id: the noise handshake proves it, so a lying list only costs a failed dial.
          mas.push(ma.getComponents().some((c) => c.name === 'p2p') ? ma : ma.encapsulate(`/p2p/${id}`));
        } catch {
          // skip unparsable addresses
        }
      }
      if (mas.length === 0) continue;
      budget--;
      void this.libp2p.peerStore.merge(pid, { multiaddrs: mas.map((a) => a.decapsulateCode(421)) })
        .then(() => this.libp2p.dial(pid, { signal: AbortSignal.timeout(10_000) }))
        .catch(() => {});
    }
  }
}

/** The P2PConfig fields of the options, defaults for the rest. */
function pickConfig(opts: Partial<P2PConfig>): P2PConfig {
  const out = { ...DEFAULT_P2P_CONFIG } as Record<string, unknown>;
  for (const k of Object.keys(DEFAULT_P2P_CONFIG)) {
    const v = (opts as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as unknown as P2PConfig;
}

// Application-level peer score: what gossipsub cannot see (bad request/response data, lies,
// timeouts on request/response protocols). The score is fed into gossipsub as its
// application-specific component (P5), so a misbehaving peer also loses gossip standing; once a
// peer's score falls to the ban threshold it is disconnected and refused (dial and inbound) for
// the ban period. Scores decay toward zero, so a single timeout is forgotten in a minute or two.
// Timing here is wall-clock on purpose: peer scoring is local policy, never consensus.
import type { ConnectionGater, PeerId } from '@libp2p/interface';

/** How much each kind of misbehaviour costs (the ban threshold is -100 by default). */
export const PENALTY = {
  /** A request/response timed out or the stream failed: often honest (slow link), so small. */
  timeout: 5,
  /** A malformed or oversized request (five in quick succession ban: decay keeps four just above -100). */
  badRequest: 25,
  /** A malformed response, or one that breaks the protocol's shape (wrong heights, counts). */
  badResponse: 50,
  /** Data that cannot come from an honest peer: a tx that does not hash to the requested hash, a block that fails verification. */
  provablyFalse: 100,
} as const;

export interface PeerScoreOptions {
  /** At or below this score a peer is disconnected and banned. */
  banThreshold: number;
  banMs: number;
  /** Fraction of the score kept per second (0.98: half-life about 34 s). */
  decayPerSecond: number;
}

export const DEFAULT_PEER_SCORE: PeerScoreOptions = { banThreshold: -100, banMs: 10 * 60_000, decayPerSecond: 0.98 };

interface Entry {
  score: number;
  at: number;
}

export interface BanInfo {
  peerId: string;
  until: number;
  reason: string;
}

export class PeerScorer {
  readonly opts: PeerScoreOptions;
  private readonly scores = new Map<string, Entry>();
  private readonly banned = new Map<string, { until: number; reason: string }>();
  /** Called once when a peer is banned; the host hangs up on it. */
  onBan: (peerId: string, reason: string) => void = () => {};
  private readonly now: () => number;

  constructor(opts: Partial<PeerScoreOptions> = {}, now: () => number = Date.now) {
    this.opts = { ...DEFAULT_PEER_SCORE, ...opts };
    this.now = now;
  }

  /** Current application score (<= 0; only penalties are tracked). */
  score(peerId: string): number {
    const e = this.scores.get(peerId);
    if (!e) return 0;
    const t = this.now();
    const decayed = e.score * Math.pow(this.opts.decayPerSecond, (t - e.at) / 1000);
    if (decayed > -0.01) {
      this.scores.delete(peerId);
      return 0;
    }
    e.score = decayed;
    e.at = t;
    return decayed;
  }

  /** Lowers a peer's score; bans it when the score reaches the threshold. Returns the new score. */
  penalize(peerId: string, amount: number, reason: string): number {
    if (!(amount > 0)) throw new RangeError(`penalty must be positive, got ${amount}`);
    const s = this.score(peerId) - amount;
    this.scores.set(peerId, { score: s, at: this.now() });
    if (s <= this.opts.banThreshold) this.ban(peerId, reason);
    return s;
  }

  ban(peerId: string, reason: string, ms = this.opts.banMs): void {
    const already = this.isBanned(peerId);
    this.banned.set(peerId, { until: this.now() + ms, reason });
    if (!already) this.onBan(peerId, reason);
  }

  isBanned(peerId: string): boolean {
    const b = this.banned.get(peerId);
    if (!b) return false;
    if (b.until > this.now()) return true;
    // Ban served: the peer starts again from a clean application score.
    this.banned.delete(peerId);
    this.scores.delete(peerId);
    return false;
  }

  bans(): BanInfo[] {
    const out: BanInfo[] = [];
    for (const [peerId, b] of [...this.banned]) if (this.isBanned(peerId)) out.push({ peerId, until: b.until, reason: b.reason });
    return out;
  }

  /** A libp2p connection gater refusing banned peers in both directions. */
  gater(): ConnectionGater {
    const denied = (p: PeerId) => this.isBanned(p.toString());
    return {
      denyDialPeer: denied,
      denyInboundEncryptedConnection: denied,
      denyOutboundEncryptedConnection: denied,
    };
  }
}

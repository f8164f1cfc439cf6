// Clients of the status, block sync and tx fetch protocols. Peers may be slow, silent, missing
// data or lying: every response is shape-checked, txs are checked against the hash they were
// asked for, blocks go through the caller's verify() (commit signatures, chain linkage), and on
// any failure the client penalises the peer and asks the next one.
import { setTimeout as delay } from 'node:timers/promises';
import { sha256 } from '../../chain/crypto/hash.ts';
import { PROTOCOL } from './topics.ts';
import { PENALTY } from './peer-score.ts';
import {
  DEFAULT_PROTOCOL_LIMITS, decodeBlocksResponse, decodeStatus, decodeTxsResponse, encodeBlocksRequest, encodeTxsRequest,
  type BlockEntry, type ChainStatus, type ProtocolLimitsSet,
} from './protocols.ts';
import { WireError, equalBytes, hex } from './wire.ts';
import type { P2PHost } from './host.ts';

/** A peer sent data that cannot be honest (a tx that does not match its hash). */
export class LyingPeerError extends Error {
  override name = 'LyingPeerError';
}

export class SyncError extends Error {
  override name = 'SyncError';
}

export interface FetchTxsOptions {
  /** Asked first, in order (the proposer, the peer that relayed the proposal). */
  preferPeers?: readonly string[];
  /** Give up on what is still missing after this long (default 10 s). */
  deadlineMs?: number;
  /** Pause between passes over the peers, for txs still in flight to them (default 50 ms). */
  retryDelayMs?: number;
  /** Ask the next peer too when one has not answered in this long (default 500 ms). */
  hedgeMs?: number;
}

export interface FetchTxsResult {
  /** Fetched txs by hex hash, each verified to hash to its key. */
  txs: Map<string, Uint8Array>;
  /** Hashes no peer delivered before the deadline. */
  missing: Uint8Array[];
  /** How many txs each peer delivered. */
  fromPeers: Map<string, number>;
}


export class SyncClient {
  private readonly host: P2PHost;
  readonly limits: ProtocolLimitsSet;

  constructor(host: P2PHost, limits: ProtocolLimitsSet = DEFAULT_PROTOCOL_LIMITS) {
    this.host = host;
    this.limits = limits;
  }

  private decodeOrPenalize<T>(peer: string, what: string, decode: () => T): T {
    try {
      return decode();
    } catch (err) {
      if (err instanceof WireError) this.host.penalize(peer, PENALTY.badResponse, `${what}: ${err.message}`);
      throw err;
    }
  }

  async status(peer: string): Promise<ChainStatus> {
    const res = await this.host.request(peer, PROTOCOL.status, new Uint8Array(), this.limits.status);
    return this.decodeOrPenalize(peer, 'status', () => decodeStatus(res));
  }

  /** Status of every connected peer serving it (or of `peers`); peers that fail are left out. */
  async statuses(peers?: readonly string[]): Promise<Map<string, ChainStatus>> {
    const list = peers ?? (await this.host.peersSupporting(PROTOCOL.status));
    const out = new Map<string, ChainStatus>();
    await Promise.all(list.map(async (p) => {
      try {
        out.set(p, await this.status(p));
      } catch {
        // unreachable, slow or malformed: penalised by request()/decode, skipped here
      }
    }));
    return out;
  }

  /** Blocks from..to from one peer (possibly fewer, from `from` on); shape-checked, not verified. */
  async blocks(peer: string, from: bigint, to: bigint): Promise<BlockEntry[]> {
    const res = await this.host.request(peer, PROTOCOL.syncBlocks, encodeBlocksRequest(from, to), this.limits.syncBlocks);
    const entries = this.decodeOrPenalize(peer, 'blocks', () => decodeBlocksResponse(res, this.limits.syncBlocks));
    const span = to - from + 1n;
    if (BigInt(entries.length) > span) {
      this.host.penalize(peer, PENALTY.badResponse, `blocks: ${entries.length} blocks for a range of ${span}`);
      throw new WireError('more blocks than requested');
    }
    entries.forEach((e, i) => {
      if (e.height !== from + BigInt(i)) {
        this.host.penalize(peer, PENALTY.badResponse, `blocks: height ${e.height} at position ${i} of a range from ${from}`);
        throw new WireError('blocks out of order');
      }
    });
    return entries;
  }

  /**
   * Yields blocks from..to in order, each accepted by `verify` (which must check the commit
   * against the validator set and the link to the previous block: a peer can send anything).
   * Peers are chosen by their reported height; a peer that fails, times out or sends a block
   * that fails verification is dropped (and penalised), and the range continues from another.
   */
  async *syncBlocks(from: bigint, to: bigint, verify: (e: BlockEntry) => boolean | Promise<boolean>, opts: { peers?: readonly string[] } = {}): AsyncGenerator<BlockEntry> {
    const statuses = await this.statuses(opts.peers);
    const usable = (next: bigint) =>
      [...statuses].filter(([, s]) => s.height >= next && s.earliestHeight <= next).sort((a, b) => (b[1].height > a[1].height ? 1 : b[1].height < a[1].height ? -1 : 0)).map(([p]) => p);
    const batch = BigInt(this.limits.syncBlocks.maxBlocksPerRequest);
    let next = from;
    let cursor = 0;
    while (next <= to) {
      const peers = usable(next);
      if (peers.length === 0) throw new SyncError(`no peer can serve block ${next}`);
      const peer = peers[cursor++ % peers.length]!;
      const last = next + batch - 1n < to ? next + batch - 1n : to;
      let entries: BlockEntry[];
      try {
        entries = await this.blocks(peer, next, last);
      } catch {
        statuses.delete(peer);
        continue;
      }
      if (entries.length === 0) {
        statuses.delete(peer); // claimed the height but did not serve it
        continue;
      }
      for (const e of entries) {
        if (!(await verify(e))) {
          this.host.penalize(peer, PENALTY.provablyFalse, `block ${e.height} failed verification`);
          statuses.delete(peer);
          break;
        }
        yield e;
        next = e.height + 1n;
      }
    }
  }

  /**
   * Txs for `hashes` from one peer: entries are undefined where the peer does not have the tx.
   * A tx that does not hash to the requested hash is a lie: the peer is penalised (banned by
   * default) and LyingPeerError is thrown.
   */
  async txs(peer: string, hashes: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const res = await this.host.request(peer, PROTOCOL.fetchTxs, encodeTxsRequest(hashes), this.limits.fetchTxs);
    const txs = this.decodeOrPenalize(peer, 'txs', () => decodeTxsResponse(res, hashes.length, this.limits.fetchTxs));
    txs.forEach((tx, i) => {
      if (tx && !equalBytes(sha256(tx), hashes[i]!)) {
        this.host.penalize(peer, PENALTY.provablyFalse, `sent a tx that does not match hash ${hex(hashes[i]!)}`);
        throw new LyingPeerError(`peer ${peer} sent a tx that does not match hash ${hex(hashes[i]!)}`);
      }
    });
    return txs;
  }

  /**
   * Fetches txs by hash from the preferred peers first, then every connected peer serving the
   * protocol (best score first), in passes until all are found or the deadline passes. Requests
   * are hedged: if a peer has not answered within `hedgeMs`, the next peer is asked too (for what
   * is still missing), so a silent proposer delays a block by the hedge, not by a full timeout.
   */
  async fetchTxs(hashes: readonly Uint8Array[], opts: FetchTxsOptions = {}): Promise<FetchTxsResult> {
    const deadline = Date.now() + (opts.deadlineMs ?? 10_000);
    const hedgeMs = opts.hedgeMs ?? 500;
    const remaining = new Map<string, Uint8Array>();
    for (const h of hashes) remaining.set(hex(h), h);
    const found = new Map<string, Uint8Array>();
    const fromPeers = new Map<string, number>();
    const bad = new Set<string>();
    const perRequest = this.limits.fetchTxs.maxHashesPerRequest;
    let allFound: () => void = () => {};
    const done = new Promise<void>((r) => (allFound = r));
    // Timers of this fetch are cancelled when it returns (a hedge or deadline wait must not linger).
    const timers = new AbortController();
    const sleep = (ms: number) => delay(ms, undefined, { signal: timers.signal }).catch(() => {});
    let closed = false; // answers arriving after the fetch returned are dropped

    /** Asks one peer for everything still missing; resolves when its answers are in (never rejects). */
    const ask = async (peer: string): Promise<void> => {
      const want = [...remaining.values()];
      const chunks: Uint8Array[][] = [];
      for (let i = 0; i < want.length; i += perRequest) chunks.push(want.slice(i, i + perRequest));
      // Chunks to one peer go out together (bounded by its inbound stream limit on the far side).
      const results = await Promise.allSettled(chunks.map(async (c) => {
        const txs = await this.txs(peer, c);
        if (closed) return;
        txs.forEach((tx, i) => {
          if (!tx) return;
          const k = hex(c[i]!);
          if (!remaining.delete(k)) return;
          found.set(k, tx);
          fromPeers.set(peer, (fromPeers.get(peer) ?? 0) + 1);
        });
        if (remaining.size === 0) allFound();
      }));
      // A liar, or a peer that failed every request, is not asked again in this fetch.
      if (results.some((r) => r.status === 'rejected' && r.reason instanceof LyingPeerError) || results.every((r) => r.status === 'rejected')) bad.add(peer);
    };

    try {
      while (remaining.size > 0 && Date.now() < deadline) {
        const others = await this.host.peersSupporting(PROTOCOL.fetchTxs);
        const order = [...new Set([...(opts.preferPeers ?? []), ...others])].filter((p) => p !== this.host.peerId && !bad.has(p));
        if (order.length === 0) break;
        const inflight = new Set<Promise<void>>();
        for (const peer of order) {
          if (remaining.size === 0 || Date.now() >= deadline) break;
          const p = ask(peer);
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
          await Promise.race([p, done, sleep(Math.min(hedgeMs, Math.max(0, deadline - Date.now())))]);
        }
        // Wait for the requests still out, unless everything arrived or the deadline passed first;
        // abandoned requests finish (or time out) on their own and their answers are ignored.
        while (inflight.size > 0 && remaining.size > 0 && Date.now() < deadline) {
          await Promise.race([...inflight, done, sleep(Math.max(0, deadline - Date.now()))]);
        }
        if (remaining.size > 0) await sleep(Math.min(opts.retryDelayMs ?? 50, Math.max(0, deadline - Date.now())));
      }
    } finally {
      closed = true;
      timers.abort();
    }
    return { txs: found, missing: [...remaining.values()], fromPeers };
  }
}

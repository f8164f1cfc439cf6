// The request/response protocols a node serves: its chain status, stored blocks with their
// commits (block sync), and txs by hash (compact-block reconstruction). Payloads are opaque
// encoded bytes supplied by the node; this file owns only the wire format, the limits and the
// server side. Clients (with peer selection and verification) are in sync-client.ts.
import { PROTOCOL } from './topics.ts';
import { BadRequestError, type ProtocolLimits } from './reqresp.ts';
import { Reader, Writer, WireError } from './wire.ts';
import type { P2PHost } from './host.ts';

export const HASH_BYTES = 32;

export interface ChainStatus {
  height: bigint;
  /** Hash of the block at `height` (empty before the first block). */
  latestBlockHash: Uint8Array;
  /** Lowest height this node can serve (pruned below). */
  earliestHeight: bigint;
}

export interface BlockEntry {
  height: bigint;
  /** Encoded block (BlockCodec) */
  block: Uint8Array;
  /** Encoded commit that decided it (CommitCodec) */
  commit: Uint8Array;
}

export interface ProtocolLimitsSet {
  status: ProtocolLimits;
  syncBlocks: ProtocolLimits & { maxBlocksPerRequest: number; maxBlockBytes: number; maxCommitBytes: number };
  fetchTxs: ProtocolLimits & { maxHashesPerRequest: number; maxTxBytes: number };
}

export const DEFAULT_PROTOCOL_LIMITS: ProtocolLimitsSet = {
  status: { maxRequestBytes: 0, maxResponseBytes: 128, timeoutMs: 3_000 },
  syncBlocks: {
    maxRequestBytes: 16,
    // A response holds whole blocks; at least one block is always sent, so this must exceed the
    // largest block (config block.maxBytes is 21 MiB).
    maxResponseBytes: 48 * 1024 * 1024,
    timeoutMs: 30_000,
    maxInboundStreams: 4,
    maxBlocksPerRequest: 64,
    maxBlockBytes: 24 * 1024 * 1024,
    maxCommitBytes: 1024 * 1024,
  },
  fetchTxs: {
    maxRequestBytes: 4 + 8192 * HASH_BYTES,
    maxResponseBytes: 16 * 1024 * 1024,
    timeoutMs: 10_000,
    maxHashesPerRequest: 8192,
    maxTxBytes: 128 * 1024,
  },
};

// ------------------------------------------------------------------------------------- codecs

export function encodeStatus(s: ChainStatus): Uint8Array {
  return new Writer(64).u64(s.height).bytes(s.latestBlockHash).u64(s.earliestHeight).finish();
}

export function decodeStatus(b: Uint8Array): ChainStatus {
  const r = new Reader(b);
  const s = { height: r.u64(), latestBlockHash: r.bytes(64, 'block hash'), earliestHeight: r.u64() };
  r.end('status');
  if (s.earliestHeight > s.height) throw new WireError(`status: earliest height ${s.earliestHeight} above height ${s.height}`);
  return s;
}

export function encodeBlocksRequest(from: bigint, to: bigint): Uint8Array {
  return new Writer(16).u64(from).u64(to).finish();
}

export function decodeBlocksRequest(b: Uint8Array): { from: bigint; to: bigint } {
  const r = new Reader(b);
  const req = { from: r.u64(), to: r.u64() };
  r.end('blocks request');
  if (req.from < 1n || req.to < req.from) throw new WireError(`blocks request: bad range ${req.from}..${req.to}`);
  return req;
}

export function encodeBlocksResponse(entries: readonly BlockEntry[]): Uint8Array {
  const w = new Writer(entries.reduce((n, e) => n + 16 + e.block.length + e.commit.length, 4));
  w.u32(entries.length);
  for (const e of entries) w.u64(e.height).bytes(e.block).bytes(e.commit);
  return w.finish();
}

export function decodeBlocksResponse(b: Uint8Array, limits = DEFAULT_PROTOCOL_LIMITS.syncBlocks): BlockEntry[] {
  const r = new Reader(b);
  const n = r.count(limits.maxBlocksPerRequest, 16, 'blocks');
  const out: BlockEntry[] = [];
  for (let i = 0; i < n; i++) out.push({ height: r.u64(), block: r.bytes(limits.maxBlockBytes, 'block'), commit: r.bytes(limits.maxCommitBytes, 'commit') });
  r.end('blocks response');
  return out;
}

export function encodeTxsRequest(hashes: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(4 + hashes.length * HASH_BYTES);
  w.u32(hashes.length);
  for (const h of hashes) {
    if (h.length !== HASH_BYTES) throw new RangeError(`tx hash must be ${HASH_BYTES} bytes, got ${h.length}`);
    w.raw(h);
  }
  return w.finish();
}

export function decodeTxsRequest(b: Uint8Array, limits = DEFAULT_PROTOCOL_LIMITS.fetchTxs): Uint8Array[] {
  const r = new Reader(b);
  const n = r.count(limits.maxHashesPerRequest, HASH_BYTES, 'tx hashes');
  const out: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = r.raw(HASH_BYTES, 'tx hash');
  r.end('txs request');
  return out;
}

/** One slot per requested hash, in request order: 0 = absent, 1 = present followed by the tx. */
export function encodeTxsResponse(txs: readonly (Uint8Array | undefined)[]): Uint8Array {
  const w = new Writer(txs.reduce((n, t) => n + 5 + (t?.length ?? 0), 4));
  w.u32(txs.length);
  for (const t of txs) {
    if (t) w.u8(1).bytes(t);
    else w.u8(0);
  }
  return w.finish();
}

export function decodeTxsResponse(b: Uint8Array, expected: number, limits = DEFAULT_PROTOCOL_LIMITS.fetchTxs): (Uint8Array | undefined)[] {
  const r = new Reader(b);
  const n = r.count(limits.maxHashesPerRequest, 1, 'txs');
  if (n !== expected) throw new WireError(`txs response has ${n} slots for ${expected} hashes`);
  const out: (Uint8Array | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const flag = r.u8();
    if (flag === 0) out[i] = undefined;
    else if (flag === 1) out[i] = r.bytes(limits.maxTxBytes, 'tx');
    else throw new WireError(`txs response: bad slot flag ${flag}`);
  }
  r.end('txs response');
  return out;
}

// ------------------------------------------------------------------------------------- servers

export interface ChainSource {
  status(): ChainStatus | Promise<ChainStatus>;
  /** A stored block and the commit that decided it, or undefined if this node does not have it. */
  block(height: bigint): Promise<{ block: Uint8Array; commit: Uint8Array } | undefined>;
  /** A tx by its sha256, from the mempool or recently proposed/committed blocks. */
  tx(hash: Uint8Array): Uint8Array | undefined;
}

/** Registers the status, block sync and tx fetch servers on the host (call before start()). */
export async function serveChain(host: P2PHost, source: ChainSource, limits: ProtocolLimitsSet = DEFAULT_PROTOCOL_LIMITS): Promise<void> {
  await host.handle(PROTOCOL.status, async (req) => {
    if (req.length !== 0) throw new BadRequestError('status request must be empty');
    return encodeStatus(await source.status());
  }, limits.status);

  const sb = limits.syncBlocks;
  await host.handle(PROTOCOL.syncBlocks, async (req) => {
    const { from, to } = decodeBlocksRequest(req);
    const last = to - from + 1n > BigInt(sb.maxBlocksPerRequest) ? from + BigInt(sb.maxBlocksPerRequest) - 1n : to;
    const entries: BlockEntry[] = [];
    let bytes = 4;
    for (let h = from; h <= last; h++) {
      const b = await source.block(h);
      if (!b) break; // the client sees a short (possibly empty) range and asks elsewhere
      const size = 20 + b.block.length + b.commit.length;
      // Always send at least one block; stop before the response would pass the limit.
      if (entries.length > 0 && bytes + size > sb.maxResponseBytes) break;
      if (size > sb.maxResponseBytes) throw new Error(`block ${h} (${size} bytes) exceeds the response limit`);
      entries.push({ height: h, block: b.block, commit: b.commit });
      bytes += size;
    }
    return encodeBlocksResponse(entries);
  }, sb);

  const ft = limits.fetchTxs;
  await host.handle(PROTOCOL.fetchTxs, (req) => {
    const hashes = decodeTxsRequest(req, ft);
    let bytes = 4;
    return encodeTxsResponse(hashes.map((h) => {
      bytes += 1;
      const tx = source.tx(h);
      // Past the byte budget, txs are reported absent; the client asks again for what is left.
      if (!tx || bytes + 4 + tx.length > ft.maxResponseBytes) return undefined;
      bytes += 4 + tx.length;
      return tx;
    }));
  }, ft);
}

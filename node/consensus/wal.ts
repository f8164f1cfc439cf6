// The consensus write-ahead log: every input the engine accepted at the current height (peers'
// proposals and votes, our own, timeouts that fired, the node's verdicts and values), in processing
// order, so a restarted validator replays them into a fresh engine and resumes in the same round,
// step and lock. Records are framed as [u32 length][u32 crc32][protobuf WalRecord]; a torn or corrupt
// tail (a crash mid-write) is cut off on open, and everything before it is used.
//
// Durability: records are written with write(2) as they come (they survive a process crash) and
// fsynced before any of our own signed messages is released to the network, so whatever made us
// sign (e.g. the prevotes that locked us on a block) is on disk before anyone can see the signature.
// The log holds one height: it is emptied when the node starts the next height (after it stored the
// decided block), and records of other heights are ignored on replay.
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync, fstatSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { codec, i64 } from '../../chain/codec/proto.ts';
import type { Commit } from '../store/block-types.ts';
import {
  blockIdFromProto, blockIdToProto, commitFromProto, proposalFromProto, proposalToProto, voteFromProto, voteToProto,
} from './codec.ts';
import type { ConsensusInput } from './state-machine.ts';
import type { Step } from './types.ts';

/** Bytes on some medium; `append` may be buffered by the OS, `sync` makes everything appended durable. */
export interface WalStorage {
  append(frame: Uint8Array): void;
  sync(): void;
  /** The whole content. */
  read(): Uint8Array;
  /** Cuts the content to `length` bytes, durably. */
  truncate(length: number): void;
  close(): void;
}

export const MAX_WAL_RECORD_BYTES = 4 * 1024 * 1024;

export class FileWalStorage implements WalStorage {
  readonly path: string;
  private fd: number;

  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, 'a+', 0o600);
  }

  append(frame: Uint8Array): void {
    let off = 0;
    while (off < frame.length) off += writeSync(this.fd, frame, off, frame.length - off);
  }

  sync(): void {
    fsyncSync(this.fd);
  }

  read(): Uint8Array {
    if (fstatSync(this.fd).size === 0) return new Uint8Array();
    return new Uint8Array(readFileSync(this.path));
  }

  truncate(length: number): void {
    ftruncateSync(this.fd, length);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * An in-memory medium with explicit crash semantics, for the network simulator and crash tests: it
 * remembers how much was synced, and crash() keeps everything (process crash: the OS still had it)
 * or drops the unsynced tail, optionally leaving a torn prefix of it (power loss).
 */
export class MemoryWalStorage implements WalStorage {
  private buf = new Uint8Array(1024);
  private len = 0;
  private synced = 0;

  append(frame: Uint8Array): void {
    if (this.len + frame.length > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + frame.length));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(frame, this.len);
    this.len += frame.length;
  }

  sync(): void {
    this.synced = this.len;
  }

  read(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  truncate(length: number): void {
    this.len = Math.min(this.len, length);
    this.synced = Math.min(this.synced, this.len);
    this.sync();
  }

  close(): void {}

  get size(): number {
    return this.len;
  }

  get syncedSize(): number {
    return this.synced;
  }

  /** Power loss: only synced bytes survive, plus `keepUnsynced` bytes of the tail (a torn write). */
  loseUnsynced(keepUnsynced = 0): void {
    this.len = Math.min(this.len, this.synced + Math.max(0, keepUnsynced));
  }
}

interface ProtoWalRecord {
  proposal?: Parameters<typeof proposalFromProto>[0] | null;
  vote?: Parameters<typeof voteFromProto>[0] | null;
  timeout?: { height?: unknown; round?: number; step?: number } | null;
  validity?: { height?: unknown; blockId?: Parameters<typeof blockIdFromProto>[0]; valid?: boolean } | null;
  value?: { height?: unknown; round?: number; blockId?: Parameters<typeof blockIdFromProto>[0] } | null;
  commit?: Commit | null;
}

const WalRecordCodec = codec<ProtoWalRecord>('depin.consensus.v1.WalRecord');

export function encodeWalRecord(input: ConsensusInput): Uint8Array {
  switch (input.type) {
    case 'proposal': return WalRecordCodec.encode({ proposal: proposalToProto(input.proposal) });
    case 'vote': return WalRecordCodec.encode({ vote: voteToProto(input.vote) });
    case 'timeout': return WalRecordCodec.encode({ timeout: { height: input.height.toString(), round: input.round, step: input.step } });
    case 'validity': return WalRecordCodec.encode({ validity: { height: input.height.toString(), blockId: blockIdToProto(input.blockId), valid: input.valid } });
    case 'value': return WalRecordCodec.encode({ value: { height: input.height.toString(), round: input.round, blockId: blockIdToProto(input.blockId) } });
    case 'commit': return WalRecordCodec.encode({ commit: input.commit });
  }
}

export function decodeWalRecord(bytes: Uint8Array): ConsensusInput {
  const m = WalRecordCodec.decode(bytes);
  if (m.proposal) return { type: 'proposal', proposal: proposalFromProto(m.proposal) };
  if (m.vote) return { type: 'vote', vote: voteFromProto(m.vote) };
  if (m.timeout) return { type: 'timeout', height: i64(m.timeout.height as never), round: m.timeout.round ?? 0, step: (m.timeout.step ?? 0) as Step };
  if (m.validity) return { type: 'validity', height: i64(m.validity.height as never), blockId: blockIdFromProto(m.validity.blockId), valid: !!m.validity.valid };
  if (m.value) return { type: 'value', height: i64(m.value.height as never), round: m.value.round ?? 0, blockId: blockIdFromProto(m.value.blockId) };
  if (m.commit) return { type: 'commit', commit: commitFromProto(m.commit) };
  throw new Error('empty WAL record');
}

export function inputHeight(input: ConsensusInput): bigint {
  switch (input.type) {
    case 'proposal': return input.proposal.height;
    case 'vote': return input.vote.height;
    case 'commit': return i64(input.commit.height);
    default: return input.height;
  }
}

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, payload.length);
  dv.setUint32(4, crc32(payload));
  out.set(payload, 8);
  return out;
}

export class ConsensusWal {
  readonly storage: WalStorage;
  /** Records dropped from a corrupt tail when the log was last read (for logs and tests). */
  lastTruncatedBytes = 0;

  constructor(storage: WalStorage) {
    this.storage = storage;
  }

  write(input: ConsensusInput): void {
    const payload = encodeWalRecord(input);
    if (payload.length > MAX_WAL_RECORD_BYTES) throw new Error(`WAL record of ${payload.length} bytes exceeds ${MAX_WAL_RECORD_BYTES}`);
    this.storage.append(frame(payload));
  }

  sync(): void {
    this.storage.sync();
  }

  /** Empties the log (the node stored the decided block and moves to the next height). */
  reset(): void {
    this.storage.truncate(0);
  }

  /**
   * All intact records, in order. A torn or corrupt record ends the log: it and anything after it
   * are cut off (they were never acted upon durably) so new records follow the intact ones.
   */
  readAll(): ConsensusInput[] {
    const bytes = this.storage.read();
    const out: ConsensusInput[] = [];
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let off = 0;
    while (off + 8 <= bytes.length) {
      const len = dv.getUint32(off);
      const sum = dv.getUint32(off + 4);
      if (len > MAX_WAL_RECORD_BYTES || off + 8 + len > bytes.length) break;
      const payload = bytes.subarray(off + 8, off + 8 + len);
      if (crc32(payload) !== sum) break;
      let rec: ConsensusInput;
      try {
        rec = decodeWalRecord(payload);
      } catch {
        break;
      }
      out.push(rec);
      off += 8 + len;
    }
    this.lastTruncatedBytes = bytes.length - off;
    if (off < bytes.length) this.storage.truncate(off);
    return out;
  }

  /** The records of one height, in order. */
  readHeight(height: bigint): ConsensusInput[] {
    return this.readAll().filter((r) => inputHeight(r) === height);
  }

  close(): void {
    this.storage.close();
  }
}

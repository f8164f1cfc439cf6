// The proof envelope shared by every sector (README "Envelope"), its seeds and the derived values
// both the chain and the device SDK compute. Pure functions: no state, no clocks.
//
// What a device signs:  lp("depin/proofs/v1") ‖ lp(chain_id) ‖ header
// where header = canonical protobuf EnvelopeHeader{version, chain_id, sector, kind, device_id,
// window, seed, payload_hash = SHA-256(payload), seq}. The chain verifies the signature over the
// header bytes it receives (no re-encoding), then checks payload_hash against the payload.
import { hash } from 'node:crypto';
import { sha256 } from '../../chain/crypto/hash.ts';
import { lp, envelopePayload } from '../devices/payloads.ts';
import { concat, u64be } from '../../chain/codec/bytes.ts';
import { EnvelopeHeaderCodec, encode, type EnvelopeHeader } from './types.ts';

export const PROOF_DOMAIN = 'depin/proofs/v1';
export const PROTOCOL_VERSION = 1;
const SEED_DOMAIN = lp('depin/proofs/v1/seed');
const CHALLENGE_SEED_DOMAIN = lp('depin/proofs/v1/challenge-seed');
const BEACON_DOMAIN = lp('depin/proofs/v1/beacon');
const PUZZLE_DOMAIN = lp('depin/proofs/v1/puzzle');
const RECEIPT_DOMAIN = 'depin/proofs/v1/receipt';
const PDP_DOMAIN = lp('depin/proofs/v1/pdp-challenge');
const SPOT_CHECK_DOMAIN = lp('depin/proofs/v1/spot-check');

/** Canonical bytes of a header (what the device signs after the domain and chain id). */
export function encodeHeader(h: EnvelopeHeader): Uint8Array {
  return encode(EnvelopeHeaderCodec, h);
}

/** The exact bytes a device key signs for an envelope. */
export function signedBytes(chainId: string, header: Uint8Array): Uint8Array {
  return envelopePayload(PROOF_DOMAIN, chainId, header);
}

/** seed(w) = SHA-256(lp("depin/proofs/v1/seed") ‖ lp(chain_id) ‖ u64(w) ‖ app_hash(w·W − L)). */
export function windowSeed(chainId: string, window: bigint, appHash: Uint8Array): Uint8Array {
  return sha256(concat(SEED_DOMAIN, lp(chainId), u64be(window), appHash));
}

/** PDP challenge seed of a challenge height c: from the app hash after block c. */
export function challengeSeed(chainId: string, height: bigint, appHash: Uint8Array): Uint8Array {
  return sha256(concat(CHALLENGE_SEED_DOMAIN, lp(chainId), u64be(height), appHash));
}

/** The window of a height and its bounds: window w covers heights [w·W, (w+1)·W). */
export const windowOf = (height: bigint, windowBlocks: bigint): bigint => height / windowBlocks;
export const windowStart = (window: bigint, windowBlocks: bigint): bigint => window * windowBlocks;
/** Height whose app hash makes the seed of `window` (may be < 1: no seed). */
export const seedSourceHeight = (window: bigint, windowBlocks: bigint, delay: bigint): bigint => window * windowBlocks - delay;

/** The 32 bytes a beacon transmits: a function of the seed, the device and its radio report, so
 * the chain regenerates it (Helium verify_beacon_payload). */
export function beaconPayload(seed: Uint8Array, deviceId: bigint, localEntropy: Uint8Array, region: number, frequencyKhz: number, dataRate: number): Uint8Array {
  const radio = new Uint8Array(12);
  const v = new DataView(radio.buffer);
  v.setUint32(0, region >>> 0);
  v.setUint32(4, frequencyKhz >>> 0);
  v.setUint32(8, dataRate >>> 0);
  return sha256(concat(BEACON_DOMAIN, seed, u64be(deviceId), lp(localEntropy), radio));
}

/** Compute availability challenge c = H(seed ‖ device ‖ window); an answer is a nonce with
 * H(c ‖ nonce) < 2^(256 − difficulty_bits). */
export function puzzleChallenge(seed: Uint8Array, deviceId: bigint, window: bigint): Uint8Array {
  return sha256(concat(PUZZLE_DOMAIN, seed, u64be(deviceId), u64be(window)));
}

export function puzzleSolved(challenge: Uint8Array, nonce: Uint8Array, difficultyBits: number): boolean {
  return leadingZeroBits(sha256(concat(challenge, nonce))) >= difficultyBits;
}

export function leadingZeroBits(h: Uint8Array): number {
  let n = 0;
  for (const byte of h) {
    if (byte === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(byte) - 24;
  }
  return n;
}

/** What the job's tenant key signs for a usage receipt (ECDSA over SHA-256 of these bytes). */
export function receiptBytes(chainId: string, jobId: bigint, window: bigint, units: bigint, outputHash: Uint8Array): Uint8Array {
  return envelopePayload(RECEIPT_DOMAIN, chainId, concat(u64be(jobId), u64be(window), u64be(units), lp(outputHash)));
}

/** PDP challenge i of a data set: SHA-256(domain ‖ seed ‖ set ‖ u64(i)) mod total leaves (as PDP). */
export function pdpChallengeIndex(seed: Uint8Array, dataSetId: bigint, i: number, totalLeaves: bigint): bigint {
  return pdpChallengeIndexes(seed, dataSetId, i + 1, totalLeaves, i)[0]!;
}

/** Challenges `first`..count-1 of a data set (pdpChallengeIndex): one buffer for the hash input,
 * the index rewritten in place, and the digest read as one hex number (a proof needs several; a
 * buffer and a 64-bit reassembly per challenge cost ~2 µs each). */
export function pdpChallengeIndexes(seed: Uint8Array, dataSetId: bigint, count: number, totalLeaves: bigint, first = 0): bigint[] {
  const at = PDP_DOMAIN.length + seed.length;
  const buf = Buffer.allocUnsafe(at + 16);
  buf.set(PDP_DOMAIN, 0);
  buf.set(seed, PDP_DOMAIN.length);
  buf.writeBigUInt64BE(dataSetId, at);
  buf.writeUInt32BE(0, at + 8);
  const out: bigint[] = [];
  for (let i = first; i < count; i++) {
    buf.writeUInt32BE(i, at + 12);
    out.push(BigInt('0x' + hash('sha256', buf, 'hex')) % totalLeaves);
  }
  return out;
}

/** Spot-check draw of a job in [0, 10000): selected when below spot_check_bps. */
export function spotCheckDraw(seed: Uint8Array, jobId: bigint): number {
  const h = sha256(concat(SPOT_CHECK_DOMAIN, seed, u64be(jobId)));
  return Number(new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0) % 10_000n);
}

/** Ordering key of a candidate (witness selection, second provider, dispute committee):
 * H(seed ‖ tag ‖ key): a proposer cannot pick winners by ordering txs. */
export function rankKey(seed: Uint8Array, tag: string, key: Uint8Array): Uint8Array {
  return sha256(concat(seed, lp(tag), key));
}

export const hex = (b: Uint8Array): string => (b instanceof Uint8Array ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : Buffer.from(b ?? [])).toString('hex');
export { bytesEqual as equalBytes } from '../../chain/codec/bytes.ts';
export const compareBytes = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

// The exact bytes that manufacturers and devices sign. Not protobuf: a fixed, canonical layout
// (README "Signed payloads") so there is exactly one encoding of each statement.
//   lp(x)  = u16 big-endian length ‖ x          u64(n) = 8 bytes big-endian
//   attestation  = lp("depin/devices/v1/attest") ‖ lp(manufacturer_id) ‖ u8(key_type) ‖ lp(device_key)
//                  ‖ lp(model) ‖ serial_hash (32 bytes)
//   envelope     = lp(domain) ‖ lp(chain_id) ‖ body          (everything a device key signs)
//   registration = envelope("depin/devices/v1/register", chain_id, lp(owner bech32) ‖ u64(nonce))
// Every payload starts with a 0x00 byte (domains are < 256 bytes) while a Cosmos SignDoc starts
// with 0x0a, so a device key that also signs transactions can never be tricked into signing
// one for the other.
import { sha256 } from '../../chain/crypto/hash.ts';
import { concat, u64be } from '../../chain/codec/bytes.ts';

export const DOMAIN_ATTEST = 'depin/devices/v1/attest';
export const DOMAIN_REGISTER = 'depin/devices/v1/register';
export const DOMAIN_SERIAL = 'depin/devices/v1/serial';
/** Domains a device key may sign through verifyDeviceSignature must not start with this. */
export const RESERVED_DOMAIN_PREFIX = 'depin/devices/';

const enc = new TextEncoder();

export function lp(x: Uint8Array | string): Uint8Array {
  const b = typeof x === 'string' ? enc.encode(x) : x;
  if (b.length > 0xffff) throw new Error(`field of ${b.length} bytes is too long for a u16 length prefix`);
  const out = new Uint8Array(2 + b.length);
  out[0] = b.length >> 8;
  out[1] = b.length & 0xff;
  out.set(b, 2);
  return out;
}

export interface AttestationFields {
  manufacturerId: string;
  keyType: number;
  devicePubkey: Uint8Array;
  model: string;
  serialHash: Uint8Array;
}

/** What a manufacturer signs at the factory: "device key K of type T is our model M with serial
 * hash S". Bound to the manufacturer id so an attestation cannot be re-labelled as another
 * manufacturer entry that shares the key (a revoked brand re-appearing under a second id). */
export function attestationPayload(f: AttestationFields): Uint8Array {
  if (f.serialHash.length !== 32) throw new Error('serial hash must be 32 bytes');
  return concat(lp(DOMAIN_ATTEST), lp(f.manufacturerId), Uint8Array.of(f.keyType), lp(f.devicePubkey), lp(f.model), f.serialHash);
}

/** The generic device-signed envelope: domain- and chain-separated canonical bytes. */
export function envelopePayload(domain: string, chainId: string, body: Uint8Array): Uint8Array {
  // lp(domain) ‖ lp(chain id) is the same for every envelope of a chain: built once per pair and
  // copied, so a proof's signature check allocates one array instead of five.
  let h = headers.get(domain)?.get(chainId);
  if (!h) {
    h = concat(lp(domain), lp(chainId));
    let m = headers.get(domain);
    if (!m) {
      if (headers.size >= 64) headers.clear();
      headers.set(domain, (m = new Map()));
    }
    if (m.size >= 64) m.clear();
    m.set(chainId, h);
  }
  const out = new Uint8Array(h.length + body.length);
  out.set(h, 0);
  out.set(body, h.length);
  return out;
}
/** lp(domain) ‖ lp(chain id) by domain (a few constants) and chain id (bounded per domain). */
const headers = new Map<string, Map<string, Uint8Array>>();

/** What the device signs to prove it holds its key: for this owner, on this chain, once. */
export function registrationPayload(chainId: string, owner: string, nonce: bigint): Uint8Array {
  return envelopePayload(DOMAIN_REGISTER, chainId, concat(lp(owner), u64be(nonce)));
}

/** A suggested serial commitment: SHA-256(lp(domain) ‖ lp(manufacturer_id) ‖ lp(serial)). The
 * chain only sees 32 bytes; manufacturers may use a keyed hash to keep serials private. */
export function serialHash(manufacturerId: string, serial: string): Uint8Array {
  return sha256(concat(lp(DOMAIN_SERIAL), lp(manufacturerId), lp(serial)));
}

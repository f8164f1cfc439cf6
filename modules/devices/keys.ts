// Device keys: secp256k1 (native libsecp256k1) or P-256 (node:crypto / OpenSSL). One canonical
// form for both: the 33-byte compressed SEC1 point. Signatures: ECDSA over SHA-256(message),
// 64 bytes r ‖ s, with s in the lower half of the group order (low-S), so a signature cannot be
// malleated into a second valid one. Also did:key encoding of a device key.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { base58 } from '@scure/base';
import { sha256 } from '../../chain/crypto/hash.ts';
import { isValidPublicKey, verifyDigest } from '../../chain/crypto/secp256k1.ts';
import { verifiedSignatures } from '../../chain/crypto/sig-cache.ts';

export const KEY_TYPE_SECP256K1 = 1;
export const KEY_TYPE_P256 = 2;
export type DeviceKeyType = typeof KEY_TYPE_SECP256K1 | typeof KEY_TYPE_P256;

export const KEY_TYPE_NAMES: Record<DeviceKeyType, string> = { 1: 'secp256k1', 2: 'p256' };

export function parseKeyType(s: string): DeviceKeyType {
  const t = s.toLowerCase().replace(/^key_type_/, '');
  if (t === 'secp256k1' || t === '1') return KEY_TYPE_SECP256K1;
  if (t === 'p256' || t === 'p-256' || t === 'secp256r1' || t === '2') return KEY_TYPE_P256;
  throw new Error(`unknown key type ${JSON.stringify(s)} (secp256k1 or p256)`);
}

/** Group orders; a signature's s must be in [1, n/2]. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** Gas charged per signature verification (P-256 measured ~3x slower than native secp256k1). */
export const VERIFY_GAS: Record<DeviceKeyType, number> = { 1: 1000, 2: 2000 };

const P256_SPKI_PREFIX = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');

function bigintOf(b: Uint8Array): bigint {
  return b.length ? BigInt('0x' + Buffer.from(b).toString('hex')) : 0n;
}

/** Parsed P-256 keys by hex: importing a key costs about as much as a verification. */
const p256Keys = new Map<string, KeyObject>();

function p256Key(key: Uint8Array): KeyObject | undefined {
  const hex = Buffer.from(key).toString('hex');
  let k = p256Keys.get(hex);
  if (k) return k;
  try {
    k = createPublicKey({ key: Buffer.concat([P256_SPKI_PREFIX, key]), format: 'der', type: 'spki' });
  } catch {
    return undefined; // not a point on the curve
  }
  if (p256Keys.size >= 10_000) p256Keys.clear();
  p256Keys.set(hex, k);
  return k;
}

/** Why a key is not acceptable, or undefined when it is a valid compressed point. */
export function keyProblem(keyType: number, key: Uint8Array): string | undefined {
  if (keyType !== KEY_TYPE_SECP256K1 && keyType !== KEY_TYPE_P256) return `unsupported key type ${keyType} (1 = secp256k1, 2 = P-256)`;
  if (key.length !== 33 || (key[0] !== 2 && key[0] !== 3)) return `a ${KEY_TYPE_NAMES[keyType]} key must be a 33-byte compressed point (02/03 ‖ x), got ${key.length} bytes`;
  const ok = keyType === KEY_TYPE_SECP256K1 ? isValidPublicKey(key) : p256Key(key) !== undefined;
  return ok ? undefined : `not a point on the ${KEY_TYPE_NAMES[keyType]} curve`;
}

/** True when the 64-byte signature's s is in [1, n/2] (the only form verify accepts). */
export function isLowS(keyType: DeviceKeyType, sig: Uint8Array): boolean {
  if (sig.length !== 64) return false;
  const n = keyType === KEY_TYPE_SECP256K1 ? SECP256K1_N : P256_N;
  const r = bigintOf(sig.subarray(0, 32));
  const s = bigintOf(sig.subarray(32));
  return r > 0n && r < n && s > 0n && s <= n >> 1n;
}

/** ECDSA verification over SHA-256(message) with a canonical (compressed) key and a low-S
 * 64-byte signature; anything malformed is simply invalid. */
export function verifySignature(keyType: number, key: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  if (keyType !== KEY_TYPE_SECP256K1 && keyType !== KEY_TYPE_P256) return false;
  if (keyType === KEY_TYPE_SECP256K1) {
    // Triples the node's signature workers (or an earlier CheckTx) already verified are answered
    // from memory: same result, same gas (charged by the caller), no second ECDSA. Only low-S
    // signatures ever verify, so a cached triple is low-S.
    const digest = sha256(message);
    if (verifiedSignatures.has(key, digest, sig)) return true;
    if (!isLowS(keyType, sig)) return false;
    const ok = verifyDigest(sig, digest, key);
    if (ok) verifiedSignatures.add(key, digest, sig);
    return ok;
  }
  if (!isLowS(keyType, sig)) return false;
  const k = key.length === 33 ? p256Key(key) : undefined;
  if (!k) return false;
  try {
    return nodeVerify('sha256', message, { key: k, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ did:key

/** Multicodec prefixes (unsigned varints) of compressed public keys, per the did:key method. */
const MULTICODEC: Record<DeviceKeyType, Uint8Array> = { 1: Uint8Array.of(0xe7, 0x01), 2: Uint8Array.of(0x80, 0x24) };

/** The multibase (base58btc, "z") multikey of a device key: z + base58(multicodec ‖ key). */
export function multikey(keyType: DeviceKeyType, key: Uint8Array): string {
  return 'z' + base58.encode(new Uint8Array([...MULTICODEC[keyType], ...key]));
}

export function didKey(keyType: DeviceKeyType, key: Uint8Array): string {
  return `did:key:${multikey(keyType, key)}`;
}

/** Decodes a did:key (optionally with a #fragment) into its key, or throws. */
export function parseDidKey(did: string): { keyType: DeviceKeyType; key: Uint8Array } {
  const m = /^did:key:(z[1-9A-HJ-NP-Za-km-z]+)(#.*)?$/.exec(did);
  if (!m) throw new Error(`not a did:key: ${JSON.stringify(did)}`);
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(m[1]!.slice(1));
  } catch {
    throw new Error(`did:key ${did} is not valid base58btc`);
  }
  for (const keyType of [KEY_TYPE_SECP256K1, KEY_TYPE_P256] as const) {
    const p = MULTICODEC[keyType];
    if (bytes.length === p.length + 33 && bytes[0] === p[0] && bytes[1] === p[1]) return { keyType, key: bytes.subarray(2) };
  }
  throw new Error(`did:key ${did} is not a compressed secp256k1 or P-256 key`);
}

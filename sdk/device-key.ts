// Device keys for the SDK: generation, import and signing for both curves the chain accepts.
// A real device keeps its private key in a secure element and signs there; these helpers are for
// tests, simulators, factories and devices without one. Signatures are what the chain verifies:
// ECDSA over SHA-256(message), 64 bytes r ‖ s, normalized to low S.
import { createECDH, createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { sha256 } from '../chain/crypto/hash.ts';
import { publicKeyCreate, randomPrivateKey, signDigest } from '../chain/crypto/secp256k1.ts';
import { accountAddress } from '../chain/crypto/address.ts';
import { KEY_TYPE_SECP256K1, KEY_TYPE_P256, P256_N, didKey, parseKeyType, verifySignature, type DeviceKeyType } from '../modules/devices/keys.ts';

export { KEY_TYPE_SECP256K1, KEY_TYPE_P256, type DeviceKeyType };

export interface DeviceKey {
  keyType: DeviceKeyType;
  /** 32-byte private scalar. */
  privateKey: Uint8Array;
  /** 33-byte compressed public key (the canonical form on chain). */
  publicKey: Uint8Array;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function p256Private(privateKey: Uint8Array): { publicKey: Uint8Array; keyObject: KeyObject } {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(privateKey));
  const uncompressed = ecdh.getPublicKey();
  const keyObject = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: b64url(privateKey), x: b64url(uncompressed.subarray(1, 33)), y: b64url(uncompressed.subarray(33)) },
    format: 'jwk',
  });
  return { publicKey: new Uint8Array(ecdh.getPublicKey(null, 'compressed')), keyObject };
}

const p256Objects = new Map<string, KeyObject>();

export function toKeyType(t: DeviceKeyType | string): DeviceKeyType {
  return typeof t === 'number' ? t : parseKeyType(t);
}

export function deviceKeyFromPrivate(keyType: DeviceKeyType | string, privateKey: Uint8Array): DeviceKey {
  const kt = toKeyType(keyType);
  if (privateKey.length !== 32) throw new Error('a device private key is 32 bytes');
  if (kt === KEY_TYPE_SECP256K1) return { keyType: kt, privateKey: Uint8Array.from(privateKey), publicKey: publicKeyCreate(privateKey) };
  return { keyType: kt, privateKey: Uint8Array.from(privateKey), publicKey: p256Private(privateKey).publicKey };
}

/** A private scalar as exactly 32 bytes: OpenSSL's getPrivateKey() drops leading zero bytes
 * (1 key in 256 came back 31 bytes long), and on chain and in JWK the scalar is fixed-length. */
export function scalar32(b: Uint8Array): Uint8Array {
  if (b.length > 32) throw new Error(`private scalar of ${b.length} bytes`);
  const out = new Uint8Array(32);
  out.set(b, 32 - b.length);
  return out;
}

export function generateDeviceKey(keyType: DeviceKeyType | string = KEY_TYPE_SECP256K1): DeviceKey {
  const kt = toKeyType(keyType);
  if (kt === KEY_TYPE_SECP256K1) return deviceKeyFromPrivate(kt, randomPrivateKey());
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return deviceKeyFromPrivate(kt, scalar32(ecdh.getPrivateKey()));
}

function normalizeLowS(sig: Uint8Array, n: bigint): Uint8Array {
  const s = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'));
  if (s <= n >> 1n) return sig;
  const out = Uint8Array.from(sig);
  out.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}

/** Signs `message` (the chain hashes it with SHA-256): 64-byte r ‖ s, low S. */
export function signMessage(key: Pick<DeviceKey, 'keyType' | 'privateKey'>, message: Uint8Array): Uint8Array {
  if (key.keyType === KEY_TYPE_SECP256K1) return signDigest(sha256(message), key.privateKey);
  const hex = Buffer.from(key.privateKey).toString('hex');
  let obj = p256Objects.get(hex);
  if (!obj) {
    obj = p256Private(key.privateKey).keyObject;
    p256Objects.set(hex, obj);
  }
  return normalizeLowS(new Uint8Array(nodeSign('sha256', message, { key: obj, dsaEncoding: 'ieee-p1363' })), P256_N);
}

export function verifyMessage(key: Pick<DeviceKey, 'keyType' | 'publicKey'>, message: Uint8Array, sig: Uint8Array): boolean {
  return verifySignature(key.keyType, key.publicKey, message, sig);
}

/** The device's DID (did:key of its public key). */
export function deviceDidOf(key: Pick<DeviceKey, 'keyType' | 'publicKey'>): string {
  return didKey(key.keyType, key.publicKey);
}

/** The Cosmos account of a secp256k1 device key: where its owner sends a fee grant, and the
 * signer of the device's own transactions. P-256 keys have no Cosmos account. */
export function deviceAccountAddress(key: Pick<DeviceKey, 'keyType' | 'publicKey'>): string {
  if (key.keyType !== KEY_TYPE_SECP256K1) throw new Error('only secp256k1 device keys can sign Cosmos transactions');
  return accountAddress(key.publicKey);
}

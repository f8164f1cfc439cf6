// secp256k1 through the native libsecp256k1 binding (~25x @noble/curves on this machine).
// `require('secp256k1')` silently falls back to pure-JS elliptic when the addon fails to load,
// which would cut verification speed 30x without a word; we load the bindings directly so a
// broken install fails loudly at startup instead.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

interface NativeSecp256k1 {
  ecdsaVerify(sig: Uint8Array, msg32: Uint8Array, pubkey: Uint8Array): boolean;
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
  publicKeyCreate(seckey: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyVerify(pubkey: Uint8Array): boolean;
  publicKeyConvert(pubkey: Uint8Array, compressed?: boolean): Uint8Array;
  privateKeyVerify(seckey: Uint8Array): boolean;
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
}

function loadNative(): NativeSecp256k1 {
  const require = createRequire(import.meta.url);
  try {
    return require('secp256k1/bindings') as NativeSecp256k1;
  } catch (err) {
    throw new Error(`native secp256k1 binding failed to load (refusing the 30x slower JS fallback): ${(err as Error).message}`);
  }
}

const native = loadNative();

/** Half the group order: an ECDSA `s` above it is the malleable (high-S) twin of a valid signature. */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

export function isLowS(sig: Uint8Array): boolean {
  if (sig.length !== 64) return false;
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(sig[i]!);
  return s > 0n && s <= HALF_N;
}

/**
 * Verifies a 64-byte r||s signature over a 32-byte digest with a 33-byte compressed key (or its
 * 65-byte uncompressed form, which verifies faster: no square root to parse it).
 * libsecp256k1 itself rejects high-S signatures (it requires the normalized form), so malleated
 * signatures fail here; isLowS is kept for explicit error reporting.
 */
export function verifyDigest(sig: Uint8Array, digest: Uint8Array, pubkey: Uint8Array): boolean {
  if (sig.length !== 64 || digest.length !== 32 || (pubkey.length !== 33 && pubkey.length !== 65)) return false;
  try {
    return native.ecdsaVerify(sig, digest, pubkey);
  } catch {
    return false; // malformed point or signature encoding
  }
}

/** Signs a 32-byte digest; RFC 6979 deterministic, always low-S. */
export function signDigest(digest: Uint8Array, privkey: Uint8Array): Uint8Array {
  return Uint8Array.from(native.ecdsaSign(digest, privkey).signature);
}

/** Signs and returns the 65-byte r||s||v form Ethereum's ecrecover expects (v = 27 + recid). */
export function signDigestRecoverable(digest: Uint8Array, privkey: Uint8Array): Uint8Array {
  const { signature, recid } = native.ecdsaSign(digest, privkey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return out;
}

export function publicKeyCreate(privkey: Uint8Array, compressed = true): Uint8Array {
  return Uint8Array.from(native.publicKeyCreate(privkey, compressed));
}

/** Compressed (33 bytes) <-> uncompressed (65 bytes, 0x04 prefix); throws on an invalid key. */
export function publicKeyConvert(pubkey: Uint8Array, compressed: boolean): Uint8Array {
  return Uint8Array.from(native.publicKeyConvert(pubkey, compressed));
}

/**
 * The public key (uncompressed, 65 bytes) whose signature `sig` (64-byte r||s, recovery id 0..3)
 * signed `digest`, or undefined if there is none. Does NOT reject high-S: callers that must match
 * Ethereum's rules check isLowS themselves.
 */
export function recoverPublicKey(sig: Uint8Array, recid: number, digest: Uint8Array): Uint8Array | undefined {
  if (sig.length !== 64 || digest.length !== 32 || !Number.isInteger(recid) || recid < 0 || recid > 3) return undefined;
  try {
    return Uint8Array.from(native.ecdsaRecover(sig, recid, digest, false));
  } catch {
    return undefined;
  }
}

export function isValidPublicKey(pubkey: Uint8Array): boolean {
  try {
    return native.publicKeyVerify(pubkey);
  } catch {
    return false;
  }
}

export function randomPrivateKey(): Uint8Array {
  for (;;) {
    const k = randomBytes(32);
    if (native.privateKeyVerify(k)) return new Uint8Array(k);
  }
}

/** Exposed for the benchmark that compares the pipeline against the raw verify rate. */
export const rawNativeVerify = (sig: Uint8Array, digest: Uint8Array, pubkey: Uint8Array): boolean =>
  native.ecdsaVerify(sig, digest, pubkey);

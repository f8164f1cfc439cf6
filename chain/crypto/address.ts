// Cosmos account addresses: bech32(prefix, ripemd160(sha256(compressed secp256k1 pubkey))).
import { bech32 } from '@scure/base';
import { sha256, ripemd160 } from './hash.ts';

export const ACCOUNT_PREFIX = 'depin';
export const VALOPER_PREFIX = 'depinvaloper';
/** Consensus addresses (ripemd160(sha256(consensus pubkey))), as slashing's signing infos name them. */
export const VALCONS_PREFIX = 'depinvalcons';

export function addressBytesFromPubkey(pubkey33: Uint8Array): Uint8Array {
  return ripemd160(sha256(pubkey33));
}

export function toBech32(prefix: string, bytes: Uint8Array): string {
  return bech32.encode(prefix, bech32.toWords(bytes), 200);
}

export function accountAddress(pubkey33: Uint8Array): string {
  return toBech32(ACCOUNT_PREFIX, addressBytesFromPubkey(pubkey33));
}

/** Recently decoded addresses, one map per prefix (keyed by the address string itself, so the
 * string's cached hash makes a hit one lookup): every store key of an account needs its bytes,
 * and bech32 checksum verification was ~10% of CheckTx time. Entries are results of a pure
 * function; the maps are cleared when they grow past a bound. */
const decoded = new Map<string, Map<string, { bytes: Uint8Array; key: string }>>();
const DECODED_CACHE_MAX = 200_000;

function lookup(address: string, prefix: string): { bytes: Uint8Array; key: string } {
  let m = decoded.get(prefix);
  if (!m) decoded.set(prefix, (m = new Map()));
  let hit = m.get(address);
  if (hit) return hit;
  const bytes = decodeBech32(address, prefix);
  hit = { bytes, key: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') };
  if (m.size >= DECODED_CACHE_MAX) m.clear();
  m.set(address, hit);
  return hit;
}

/** Decodes a bech32 address with the expected prefix; throws a descriptive Error otherwise.
 * The result is shared: callers must not mutate it. */
export function fromBech32(address: string, expectedPrefix: string = ACCOUNT_PREFIX): Uint8Array {
  return lookup(address, expectedPrefix).bytes;
}

/** The address bytes as a latin1 string (one char per byte), the form store keys are built from. */
export function addressKey(address: string, expectedPrefix: string = ACCOUNT_PREFIX): string {
  return lookup(address, expectedPrefix).key;
}

function decodeBech32(address: string, expectedPrefix: string): Uint8Array {
  let decoded;
  try {
    decoded = bech32.decode(address as `${string}1${string}`, 200);
  } catch (err) {
    throw new Error(`invalid address "${address}": ${(err as Error).message}`);
  }
  if (decoded.prefix !== expectedPrefix) {
    throw new Error(`invalid address "${address}": expected prefix ${expectedPrefix}, got ${decoded.prefix}`);
  }
  const bytes = bech32.fromWords(decoded.words);
  if (bytes.length !== 20 && bytes.length !== 32) {
    throw new Error(`invalid address "${address}": ${bytes.length}-byte payload`);
  }
  return bytes;
}

export function isValidAddress(address: string, prefix: string = ACCOUNT_PREFIX): boolean {
  try {
    fromBech32(address, prefix);
    return true;
  } catch {
    return false;
  }
}

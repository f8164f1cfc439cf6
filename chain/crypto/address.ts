// Cosmos account addresses: bech32(prefix, ripemd160(sha256(compressed secp256k1 pubkey))).
import { bech32 } from '@scure/base';
import { sha256, ripemd160 } from './hash.ts';

export const ACCOUNT_PREFIX = 'depin';
export const VALOPER_PREFIX = 'depinvaloper';

export function addressBytesFromPubkey(pubkey33: Uint8Array): Uint8Array {
  return ripemd160(sha256(pubkey33));
}

export function toBech32(prefix: string, bytes: Uint8Array): string {
  return bech32.encode(prefix, bech32.toWords(bytes), 200);
}

export function accountAddress(pubkey33: Uint8Array): string {
  return toBech32(ACCOUNT_PREFIX, addressBytesFromPubkey(pubkey33));
}

/** Decodes a bech32 address with the expected prefix; throws a descriptive Error otherwise. */
export function fromBech32(address: string, expectedPrefix: string = ACCOUNT_PREFIX): Uint8Array {
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

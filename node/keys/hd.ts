// BIP-39 mnemonics and BIP-32 derivation at Cosmos paths (m/44'/118'/0'/0/i), the same keys
// CosmJS's DirectSecp256k1HdWallet derives (makeCosmoshubPath).
import { validateMnemonic, generateMnemonic } from '@scure/bip39';
import { pbkdf2Sync } from 'node:crypto';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { HDKey } from '@scure/bip32';
import { publicKeyCreate } from '../../chain/crypto/secp256k1.ts';
import { accountAddress } from '../../chain/crypto/address.ts';

export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

export function cosmosHdPath(index: number, account = 0): string {
  return `m/44'/118'/${account}'/0/${index}`;
}

export interface DerivedKey {
  privateKey: Uint8Array;
  publicKey: Uint8Array; // 33-byte compressed
  address: string;
  hdPath: string;
}

const seeds = new Map<string, Uint8Array>();

/** BIP-39 seed: PBKDF2-HMAC-SHA512(NFKD mnemonic, "mnemonic", 2048 rounds) via OpenSSL, which is
 * ~10x the pure-JS implementation; memoized because genesis derives eleven keys from one phrase. */
function seedOf(normalized: string): Uint8Array {
  let seed = seeds.get(normalized);
  if (!seed) {
    seed = pbkdf2Sync(normalized.normalize('NFKD'), 'mnemonic', 2048, 64, 'sha512');
    seeds.set(normalized, seed);
  }
  return seed;
}

export function deriveKey(mnemonic: string, hdPath: string = cosmosHdPath(0)): DerivedKey {
  const normalized = mnemonic.trim().split(/\s+/).join(' ');
  if (!validateMnemonic(normalized, wordlist)) throw new Error('invalid mnemonic (checksum or word list mismatch)');
  const node = HDKey.fromMasterSeed(seedOf(normalized)).derive(hdPath);
  const privateKey = node.privateKey!;
  const publicKey = publicKeyCreate(privateKey);
  return { privateKey, publicKey, address: accountAddress(publicKey), hdPath };
}

export function newMnemonic(): string {
  return generateMnemonic(wordlist, 256);
}

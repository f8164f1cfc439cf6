// The validator's consensus key (secp256k1, so Ethereum can ecrecover checkpoint signatures),
// stored as CometBFT's priv_validator_key.json.
import { readFileSync } from 'node:fs';
import { publicKeyCreate, signDigest, randomPrivateKey } from '../chain/crypto/secp256k1.ts';
import { sha256, ripemd160 } from '../chain/crypto/hash.ts';
import { writeJson } from './config.ts';

export interface ValidatorKeyFile {
  address: string; // uppercase hex, 20 bytes
  pub_key: { type: 'tendermint/PubKeySecp256k1'; value: string };
  priv_key: { type: 'tendermint/PrivKeySecp256k1'; value: string };
}

/** CometBFT's secp256k1 address: ripemd160(sha256(compressed pubkey)). */
export function validatorAddress(pubkey: Uint8Array): Uint8Array {
  return ripemd160(sha256(pubkey));
}

export class ValidatorKey {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly address: Uint8Array;

  constructor(privateKey: Uint8Array) {
    this.privateKey = privateKey;
    this.publicKey = publicKeyCreate(privateKey);
    this.address = validatorAddress(this.publicKey);
  }

  static generate(): ValidatorKey {
    return new ValidatorKey(randomPrivateKey());
  }

  static load(path: string): ValidatorKey {
    const f = JSON.parse(readFileSync(path, 'utf8')) as ValidatorKeyFile;
    return new ValidatorKey(Buffer.from(f.priv_key.value, 'base64'));
  }

  save(path: string): void {
    writeJson(path, this.toFile());
  }

  toFile(): ValidatorKeyFile {
    return {
      address: Buffer.from(this.address).toString('hex').toUpperCase(),
      pub_key: { type: 'tendermint/PubKeySecp256k1', value: Buffer.from(this.publicKey).toString('base64') },
      priv_key: { type: 'tendermint/PrivKeySecp256k1', value: Buffer.from(this.privateKey).toString('base64') },
    };
  }

  sign(message: Uint8Array): Uint8Array {
    return signDigest(sha256(message), this.privateKey);
  }
}

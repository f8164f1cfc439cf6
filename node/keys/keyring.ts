// The "test" keyring backend: one JSON file per key under <home>/keyring-test, unencrypted, as
// the Cosmos SDK's test backend. Fine for development; do not keep mainnet funds in it.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { deriveKey, cosmosHdPath, newMnemonic } from './hd.ts';

export interface KeyInfo {
  name: string;
  type: 'local';
  address: string;
  pubkey: string; // base64, 33 bytes
  hdPath: string;
  mnemonic: string;
}

export class Keyring {
  readonly dir: string;

  constructor(home: string) {
    this.dir = join(home, 'keyring-test');
  }

  private file(name: string): string {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error(`invalid key name ${JSON.stringify(name)} (letters, digits, _ . - only)`);
    return join(this.dir, `${name}.json`);
  }

  add(name: string, opts: { mnemonic?: string; hdPath?: string } = {}): KeyInfo {
    const file = this.file(name);
    if (existsSync(file)) throw new Error(`key ${name} already exists`);
    const mnemonic = opts.mnemonic ?? newMnemonic();
    const k = deriveKey(mnemonic, opts.hdPath ?? cosmosHdPath(0));
    const info: KeyInfo = { name, type: 'local', address: k.address, pubkey: Buffer.from(k.publicKey).toString('base64'), hdPath: k.hdPath, mnemonic };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
    return info;
  }

  get(nameOrAddress: string): KeyInfo {
    if (nameOrAddress.startsWith('depin1')) {
      const found = this.list().find((k) => k.address === nameOrAddress);
      if (!found) throw new Error(`no key with address ${nameOrAddress} in ${this.dir}`);
      return found;
    }
    const file = this.file(nameOrAddress);
    if (!existsSync(file)) throw new Error(`key ${nameOrAddress} not found in ${this.dir} (see: depind keys list)`);
    return JSON.parse(readFileSync(file, 'utf8')) as KeyInfo;
  }

  list(): KeyInfo[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as KeyInfo);
  }

  privateKey(nameOrAddress: string): Uint8Array {
    const k = this.get(nameOrAddress);
    return deriveKey(k.mnemonic, k.hdPath).privateKey;
  }
}

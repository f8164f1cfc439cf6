// The development genesis: chain depin-local-1, the accounts of the well-known test mnemonic at
// m/44'/118'/0'/0/0..9 funded with 1,000,000 DPIN each, and one validator whose consensus key is
// derived from the same mnemonic (m/44'/118'/1'/0/0) so the repo's genesis.json is reproducible.
// Devices: dev account 9 is the devices authority, and a development manufacturer ("devmfr",
// operator dev account 8) attests with keys derived from the same mnemonic (devManufacturerKeys).
import { createECDH } from 'node:crypto';
import type { GenesisDoc } from '../chain/genesis.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from './keys/hd.ts';
import { ValidatorKey } from './validator-key.ts';
import { paramsToJson, DEFAULT_AUTH_PARAMS } from '../modules/auth/params.ts';
import { defaultDevicesGenesis, DEFAULT_PARAMS as DEVICES_PARAMS } from '../modules/devices/module.ts';
import { KEY_TYPE_SECP256K1, KEY_TYPE_P256, P256_N } from '../modules/devices/keys.ts';
import { MFR_ACTIVE, type Manufacturer } from '../modules/devices/types.ts';
import { defaultProofsGenesis } from '../modules/proofs/module.ts';
import { devParams as proofsDevParams } from '../modules/proofs/params.ts';

export const DEV_CHAIN_ID = 'depin-local-1';
export const DEV_ACCOUNTS = 10;
export const DEV_BALANCE_UDPIN = 1_000_000n * 1_000_000n; // 1,000,000 DPIN
export const DEV_GENESIS_TIME = '2026-11-24T00:00:00.000000000Z';

/** Dev account index of the devices authority, and of the dev manufacturer's operator. */
export const DEV_DEVICES_AUTHORITY_INDEX = 9;
export const DEV_MANUFACTURER_OPERATOR_INDEX = 8;
export const DEV_MANUFACTURER_ID = 'devmfr';
export const DEV_MODELS = ['dev-hotspot', 'dev-sensor', 'dev-storage', 'dev-gpu'];

/**
 * The dev manufacturer's attestation keys (development only: anyone can derive them):
 * secp256k1 = the key at m/44'/118'/2'/0/0 of the dev mnemonic; P-256 = the 32 bytes derived at
 * m/44'/118'/2'/0/1 taken as a P-256 scalar.
 */
export function devManufacturerKeys(): { secp256k1: { privateKey: Uint8Array; publicKey: Uint8Array }; p256: { privateKey: Uint8Array; publicKey: Uint8Array } } {
  const k1 = deriveKey(DEV_MNEMONIC, cosmosHdPath(0, 2));
  const scalar = deriveKey(DEV_MNEMONIC, cosmosHdPath(1, 2)).privateKey;
  const d = BigInt('0x' + Buffer.from(scalar).toString('hex'));
  if (d === 0n || d >= P256_N) throw new Error('derived P-256 scalar out of range');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(scalar));
  return {
    secp256k1: { privateKey: k1.privateKey, publicKey: k1.publicKey },
    p256: { privateKey: new Uint8Array(ecdh.getPrivateKey()), publicKey: new Uint8Array(ecdh.getPublicKey(null, 'compressed')) },
  };
}

export function devManufacturer(): Manufacturer {
  const k = devManufacturerKeys();
  return {
    id: DEV_MANUFACTURER_ID,
    name: 'Development Manufacturer (keys derivable from the dev mnemonic)',
    operator: deriveKey(DEV_MNEMONIC, cosmosHdPath(DEV_MANUFACTURER_OPERATOR_INDEX)).address,
    attestationKeys: [{ keyType: KEY_TYPE_SECP256K1, key: k.secp256k1.publicKey }, { keyType: KEY_TYPE_P256, key: k.p256.publicKey }],
    models: DEV_MODELS,
    deviceQuota: 1_000_000n,
    devicesRegistered: 0n,
    bond: { denom: 'udpin', amount: '0' },
    bonded: { denom: 'udpin', amount: '0' },
    status: MFR_ACTIVE,
    statusReason: 0,
    statusHeight: 0n,
  };
}

export function devValidatorKey(): ValidatorKey {
  return new ValidatorKey(deriveKey(DEV_MNEMONIC, cosmosHdPath(0, 1)).privateKey);
}

export const DENOM_METADATA = {
  description: 'The native staking, fee and reward token of depin-chain',
  denom_units: [
    { denom: 'udpin', exponent: 0, aliases: ['microdpin'] },
    { denom: 'dpin', exponent: 6, aliases: [] },
  ],
  base: 'udpin',
  display: 'dpin',
  name: 'DePIN',
  symbol: 'DPIN',
};

export function makeGenesis(opts: {
  chainId: string;
  genesisTime: string;
  validator: ValidatorKey;
  moniker: string;
  balances: { address: string; amount: bigint }[];
}): GenesisDoc {
  const v = opts.validator.toFile();
  return {
    genesis_time: opts.genesisTime,
    chain_id: opts.chainId,
    initial_height: '1',
    consensus_params: {
      block: { max_bytes: '22020096', max_gas: '-1' },
      evidence: { max_age_num_blocks: '100000', max_age_duration: '172800000000000', max_bytes: '1048576' },
      validator: { pub_key_types: ['secp256k1'] },
      version: { app: '0' },
    },
    validators: [{ address: v.address, pub_key: { type: v.pub_key.type, value: v.pub_key.value }, power: '10', name: opts.moniker }],
    app_hash: '',
    app_state: {
      auth: { params: paramsToJson(DEFAULT_AUTH_PARAMS), accounts: [] },
      bank: {
        params: { default_send_enabled: true },
        balances: opts.balances.map((b) => ({ address: b.address, coins: [{ denom: 'udpin', amount: b.amount.toString() }] })),
        supply: [],
        denom_metadata: [DENOM_METADATA],
      },
      feegrant: { allowances: [] },
      devices: defaultDevicesGenesis(),
      proofs: defaultProofsGenesis(),
    },
  };
}

export function devGenesis(): GenesisDoc {
  const balances = Array.from({ length: DEV_ACCOUNTS }, (_, i) => ({ address: deriveKey(DEV_MNEMONIC, cosmosHdPath(i)).address, amount: DEV_BALANCE_UDPIN }));
  const g = makeGenesis({ chainId: DEV_CHAIN_ID, genesisTime: DEV_GENESIS_TIME, validator: devValidatorKey(), moniker: 'dev-validator', balances });
  g.app_state.devices = defaultDevicesGenesis({ ...DEVICES_PARAMS, authority: balances[DEV_DEVICES_AUTHORITY_INDEX]!.address }, [devManufacturer()]);
  // Proofs: the same authority; short windows (README "Parameters": development values).
  g.app_state.proofs = defaultProofsGenesis(proofsDevParams(balances[DEV_DEVICES_AUTHORITY_INDEX]!.address));
  return g;
}

// The development genesis: chain depin-local-1, the accounts of the well-known test mnemonic at
// m/44'/118'/0'/0/0..9 funded with 1,000,000 DPIN each, and one validator whose consensus key is
// derived from the same mnemonic (m/44'/118'/1'/0/0) so the repo's genesis.json is reproducible.
import type { GenesisDoc } from '../chain/genesis.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from './keys/hd.ts';
import { ValidatorKey } from './validator-key.ts';
import { paramsToJson, DEFAULT_AUTH_PARAMS } from '../modules/auth/params.ts';
import type { AnchorGenesis } from '../modules/anchor/module.ts';

export const DEV_CHAIN_ID = 'depin-local-1';
export const DEV_ACCOUNTS = 10;
export const DEV_BALANCE_UDPIN = 1_000_000n * 1_000_000n; // 1,000,000 DPIN
export const DEV_GENESIS_TIME = '2026-11-24T00:00:00.000000000Z';

/** Ethereum side of the dev chain (`npm start`): anvil's chain id, and the address DepinAnchor gets
 * when anvil's first dev account deploys it as its first transaction (CREATE from nonce 0). */
export const DEV_ETH_CHAIN_ID = 31337n;
export const DEV_ANCHOR_CONTRACT = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
export const DEV_ANCHOR_PARAMS: AnchorGenesis['params'] = { checkpoint_interval: '10', eth_chain_id: DEV_ETH_CHAIN_ID.toString(), contract: DEV_ANCHOR_CONTRACT, ack_timeout: '30' };
/** Anchoring off: a chain gets its contract address and Ethereum chain id in genesis (see README). */
export const NO_ANCHOR_PARAMS: AnchorGenesis['params'] = { checkpoint_interval: '0', eth_chain_id: '0', contract: '', ack_timeout: '0' };

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
  anchor?: AnchorGenesis['params'];
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
      // The validator set the anchor contract starts with (and, until staking, the anchor module's
      // validator source): the genesis validators above, by consensus key and power.
      anchor: { params: opts.anchor ?? NO_ANCHOR_PARAMS, validators: [{ pub_key: v.pub_key.value, power: '10' }] } satisfies AnchorGenesis,
    },
  };
}

export function devGenesis(): GenesisDoc {
  const balances = Array.from({ length: DEV_ACCOUNTS }, (_, i) => ({ address: deriveKey(DEV_MNEMONIC, cosmosHdPath(i)).address, amount: DEV_BALANCE_UDPIN }));
  return makeGenesis({ chainId: DEV_CHAIN_ID, genesisTime: DEV_GENESIS_TIME, validator: devValidatorKey(), moniker: 'dev-validator', balances, anchor: DEV_ANCHOR_PARAMS });
}

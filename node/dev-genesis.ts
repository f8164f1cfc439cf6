// The development genesis: chain depin-local-1, the accounts of the well-known test mnemonic at
// m/44'/118'/0'/0/0..9 funded with 1,000,000 DPIN each, and one validator whose consensus key is
// derived from the same mnemonic (m/44'/118'/1'/0/0) so the repo's genesis.json is reproducible.
// Devices: dev account 9 is the devices authority, and a development manufacturer ("devmfr",
// operator dev account 8) attests with keys derived from the same mnemonic (devManufacturerKeys).
import { createECDH } from 'node:crypto';
// The validator is also a staking validator operated by dev account 0, self-bonded with 10 DPIN
// (power 10) held by the not-bonded pool until initChain bonds it; genesis.validators lists the
// same key and power.
import type { GenesisDoc } from '../chain/genesis.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from './keys/hd.ts';
import { ValidatorKey, validatorAddress } from './validator-key.ts';
import { paramsToJson, DEFAULT_AUTH_PARAMS } from '../modules/auth/params.ts';
import { defaultDevicesGenesis, DEFAULT_PARAMS as DEVICES_PARAMS } from '../modules/devices/module.ts';
import { KEY_TYPE_SECP256K1, KEY_TYPE_P256, P256_N } from '../modules/devices/keys.ts';
import { MFR_ACTIVE, type Manufacturer } from '../modules/devices/types.ts';
import { moduleAddress } from '../modules/auth/keeper.ts';
import { NOT_BONDED_POOL } from '../modules/staking/keeper.ts';
import { genesisValidator, type StakingGenesis } from '../modules/staking/genesis.ts';
import { paramsToJson as stakingParamsToJson, DEFAULT_STAKING_PARAMS } from '../modules/staking/params.ts';
import { POWER_REDUCTION } from '../modules/staking/validator.ts';
import { defaultSlashingGenesis } from '../modules/slashing/module.ts';
import type { AnchorGenesis } from '../modules/anchor/module.ts';
import { defaultRewardsGenesis } from '../modules/rewards/module.ts';
import { devParams as rewardsDevParams } from '../modules/rewards/params.ts';
import { defaultProofsGenesis } from '../modules/proofs/module.ts';
import { devParams as proofsDevParams } from '../modules/proofs/params.ts';

export const DEV_CHAIN_ID = 'depin-local-1';
export const DEV_ACCOUNTS = 10;
export const DEV_BALANCE_UDPIN = 1_000_000n * 1_000_000n; // 1,000,000 DPIN
export const DEV_GENESIS_TIME = '2026-11-24T00:00:00.000000000Z';
export const DEV_SELF_BOND_UDPIN = 10n * 1_000_000n; // 10 DPIN: power 10
/** Dev chain unbonding period: short, so undelegations complete while you watch. */
export const DEV_UNBONDING_TIME = '300s';

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
    p256: { privateKey: Uint8Array.from(scalar), publicKey: new Uint8Array(ecdh.getPublicKey(null, 'compressed')) },
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
  /** Account that operates the genesis validator in the staking module, self-bonding `selfBond`.
   * Without it the staking section has no validator (genesis.validators still lists the key). */
  operator?: { address: string; selfBond: bigint };
  unbondingTime?: string;
  anchor?: AnchorGenesis['params'];
}): GenesisDoc {
  const v = opts.validator.toFile();
  const evidence = { max_age_num_blocks: '100000', max_age_duration: '172800000000000' };
  const power = opts.operator ? opts.operator.selfBond / POWER_REDUCTION : 10n;
  const staking: StakingGenesis = { params: { ...stakingParamsToJson(DEFAULT_STAKING_PARAMS), ...(opts.unbondingTime ? { unbonding_time: opts.unbondingTime } : {}) }, validators: [], delegations: [], unbonding_delegations: [] };
  const balances = opts.balances.map((b) => ({ address: b.address, coins: [{ denom: 'udpin', amount: b.amount.toString() }] }));
  if (opts.operator) {
    const g = genesisValidator({ operatorAccount: opts.operator.address, consPubKey: opts.validator.publicKey, tokens: opts.operator.selfBond, moniker: opts.moniker });
    staking.validators.push(g.validator);
    staking.delegations.push(g.delegation);
    balances.push({ address: moduleAddress(NOT_BONDED_POOL), coins: [{ denom: 'udpin', amount: opts.operator.selfBond.toString() }] });
  }
  const slashing = { ...defaultSlashingGenesis(), evidence: { max_age_num_blocks: evidence.max_age_num_blocks, max_age_duration: `${BigInt(evidence.max_age_duration) / 1_000_000_000n}s` } };
  return {
    genesis_time: opts.genesisTime,
    chain_id: opts.chainId,
    initial_height: '1',
    consensus_params: {
      block: { max_bytes: '22020096', max_gas: '-1' },
      evidence: { ...evidence, max_bytes: '1048576' },
      validator: { pub_key_types: ['secp256k1'] },
      version: { app: '0' },
    },
    validators: [{ address: v.address, pub_key: { type: v.pub_key.type, value: v.pub_key.value }, power: power.toString(), name: opts.moniker }],
    app_hash: '',
    app_state: {
      auth: { params: paramsToJson(DEFAULT_AUTH_PARAMS), accounts: [] },
      bank: {
        params: { default_send_enabled: true },
        balances,
        supply: [],
        denom_metadata: [DENOM_METADATA],
      },
      staking,
      slashing,
      feegrant: { allowances: [] },
      devices: defaultDevicesGenesis(),
      proofs: defaultProofsGenesis(),
      rewards: defaultRewardsGenesis(),
      // The validator set the anchor contract starts with (and, until staking, the anchor module's
      // validator source): the genesis validators above, by consensus key and power.
      anchor: { params: opts.anchor ?? NO_ANCHOR_PARAMS, validators: [{ pub_key: v.pub_key.value, power: power.toString() }] } satisfies AnchorGenesis,
    },
  };
}

/**
 * Replaces a genesis's validator set everywhere it appears, consistently: `validators` (what
 * consensus starts with), the staking section (each validator self-bonded power × 10^6 udpin by its
 * operator account, held by the not-bonded pool until initChain bonds it), and the anchor
 * module's genesis set (the set the Ethereum contract starts with).
 */
export function setGenesisValidators(g: GenesisDoc, validators: readonly { pubkey: Uint8Array; power: bigint; operator: string; moniker?: string }[]): GenesisDoc {
  const staking = g.app_state.staking as StakingGenesis;
  staking.validators = [];
  staking.delegations = [];
  let bonded = 0n;
  validators.forEach((v, i) => {
    const tokens = v.power * POWER_REDUCTION;
    const gv = genesisValidator({ operatorAccount: v.operator, consPubKey: v.pubkey, tokens, moniker: v.moniker ?? `validator-${i}` });
    staking.validators.push(gv.validator);
    staking.delegations.push(gv.delegation);
    bonded += tokens;
  });
  const bank = g.app_state.bank as { balances: { address: string; coins: { denom: string; amount: string }[] }[] };
  const pool = moduleAddress(NOT_BONDED_POOL);
  bank.balances = [...bank.balances.filter((b) => b.address !== pool), { address: pool, coins: [{ denom: 'udpin', amount: bonded.toString() }] }];
  g.validators = validators.map((v, i) => ({
    address: Buffer.from(validatorAddress(v.pubkey)).toString('hex').toUpperCase(),
    pub_key: { type: 'tendermint/PubKeySecp256k1', value: Buffer.from(v.pubkey).toString('base64') },
    power: v.power.toString(),
    name: v.moniker ?? `validator-${i}`,
  }));
  const anchor = g.app_state.anchor as AnchorGenesis | undefined;
  if (anchor) anchor.validators = validators.map((v) => ({ pub_key: Buffer.from(v.pubkey).toString('base64'), power: v.power.toString() }));
  return g;
}

export function devGenesis(): GenesisDoc {
  const balances = Array.from({ length: DEV_ACCOUNTS }, (_, i) => ({ address: deriveKey(DEV_MNEMONIC, cosmosHdPath(i)).address, amount: DEV_BALANCE_UDPIN }));
  const g = makeGenesis({
    chainId: DEV_CHAIN_ID, genesisTime: DEV_GENESIS_TIME, validator: devValidatorKey(), moniker: 'dev-validator', balances,
    operator: { address: balances[0]!.address, selfBond: DEV_SELF_BOND_UDPIN }, unbondingTime: DEV_UNBONDING_TIME, anchor: DEV_ANCHOR_PARAMS,
  });
  g.app_state.devices = defaultDevicesGenesis({ ...DEVICES_PARAMS, authority: balances[DEV_DEVICES_AUTHORITY_INDEX]!.address }, [devManufacturer()]);
  // Rewards: 30-block epochs, one oracle is a quorum, dev account 9 is the authority (README).
  g.app_state.rewards = defaultRewardsGenesis(rewardsDevParams(balances[DEV_DEVICES_AUTHORITY_INDEX]!.address));
  // Proofs: the same authority; short windows (README "Parameters": development values).
  g.app_state.proofs = defaultProofsGenesis(proofsDevParams(balances[DEV_DEVICES_AUTHORITY_INDEX]!.address));
  return g;
}

// The simulated chain's genesis: the development parameters of every module with the builder's
// overrides (epoch and window length, witness limits, reward shares, bonds...), the simulator's
// validators in staking, and every actor's account funded (manufacturers, devices and everything
// else are created by real transactions afterwards).
import type { GenesisDoc } from '../chain/genesis.ts';
import { makeGenesis, setGenesisValidators, NO_ANCHOR_PARAMS } from '../node/dev-genesis.ts';
import { defaultDevicesGenesis, DEFAULT_PARAMS as DEVICES_PARAMS } from '../modules/devices/module.ts';
import { defaultProofsGenesis } from '../modules/proofs/module.ts';
import { devParams as proofsDevParams, validateParams as validateProofsParams, type Params as ProofsParams } from '../modules/proofs/params.ts';
import { defaultRewardsGenesis } from '../modules/rewards/module.ts';
import { devParams as rewardsDevParams, validateParams as validateRewardsParams } from '../modules/rewards/params.ts';
import type { Params as RewardsParams } from '../modules/rewards/types.ts';
import type { SimConfig } from './config.ts';
import type { SimValidator } from './actors.ts';

export const SIM_CHAIN_ID = 'depin-sim-1';
export const SIM_GENESIS_TIME = '2026-12-01T00:00:00.000000000Z';

export function simParams(cfg: SimConfig, authority: string): { proofs: ProofsParams; rewards: RewardsParams } {
  const proofs: ProofsParams = { ...proofsDevParams(authority), ...cfg.proofsParams, windowBlocks: BigInt(cfg.windowBlocks), authority };
  const rewards: RewardsParams = { ...rewardsDevParams(authority), ...cfg.rewardsParams, epochBlocks: BigInt(cfg.epochBlocks), authority };
  // The seed comes from the app hash seed_delay_blocks before a window: the dev default is fitted
  // into short windows; a value the config sets itself is validated as given.
  if (cfg.proofsParams?.seedDelayBlocks === undefined && proofs.seedDelayBlocks >= proofs.windowBlocks) proofs.seedDelayBlocks = proofs.windowBlocks / 4n > 0n ? proofs.windowBlocks / 4n : 1n;
  validateProofsParams(proofs);
  validateRewardsParams(rewards);
  return { proofs, rewards };
}

export function simGenesis(opts: {
  cfg: SimConfig;
  authority: string;
  validators: SimValidator[];
  balances: { address: string; amount: bigint }[];
  params: { proofs: ProofsParams; rewards: RewardsParams };
}): GenesisDoc {
  const first = opts.validators[0]!;
  const g = makeGenesis({
    chainId: SIM_CHAIN_ID, genesisTime: SIM_GENESIS_TIME, validator: first.key, moniker: 'sim-validator-0',
    balances: opts.balances, unbondingTime: '300s', anchor: NO_ANCHOR_PARAMS,
  });
  setGenesisValidators(g, opts.validators.map((v) => ({ pubkey: v.key.publicKey, power: v.power, operator: v.operator.address, moniker: `sim-validator-${v.index}` })));
  g.app_state.devices = defaultDevicesGenesis({ ...DEVICES_PARAMS, authority: opts.authority }, []);
  g.app_state.rewards = defaultRewardsGenesis(opts.params.rewards);
  g.app_state.proofs = defaultProofsGenesis(opts.params.proofs);
  return g;
}

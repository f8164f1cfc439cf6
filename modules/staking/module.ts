// The staking module: validators, delegations, unbonding, and the validator set handed to
// consensus (initGenesis and endBlock return validatorUpdates).
import type { AppModule } from '../../chain/module.ts';
import type { StakingKeeper } from './keeper.ts';
import { stakingMsgs } from './msgs.ts';
import { stakingQueries } from './queries.ts';
import { initStakingGenesis, exportStakingGenesis, defaultStakingGenesis, type StakingGenesis } from './genesis.ts';

export function stakingModule(keeper: StakingKeeper): AppModule {
  return {
    name: 'staking',
    msgs: stakingMsgs(keeper),
    queries: stakingQueries(keeper),
    defaultGenesis: defaultStakingGenesis,
    initGenesis: (ctx, raw) => ({ validatorUpdates: initStakingGenesis(keeper, ctx, (raw ?? defaultStakingGenesis()) as StakingGenesis) }),
    exportGenesis: (ctx) => exportStakingGenesis(keeper, ctx),
    endBlock: (ctx) => ({ validatorUpdates: keeper.endBlock(ctx) }),
  };
}

// The depin application: which modules run, in which order, and how their keepers are wired.
// This is the one place that knows every module; forks of the chain change this file.
import type { AbstractLevel } from 'abstract-level';
import { App, type AppOptions } from '../chain/app.ts';
import type { AppModule } from '../chain/module.ts';
import { AccountKeeper } from './auth/keeper.ts';
import { authModule } from './auth/module.ts';
import { anteHandler, signatureJobs, FEE_COLLECTOR } from './auth/ante.ts';
import { BankKeeper } from './bank/keeper.ts';
import { bankModule } from './bank/module.ts';
import { FeegrantKeeper } from './feegrant/keeper.ts';
import { feegrantModule } from './feegrant/module.ts';
import { DevicesKeeper, MODULE_NAME as DEVICES } from './devices/keeper.ts';
import { devicesModule } from './devices/module.ts';
import { StakingKeeper, BONDED_POOL, NOT_BONDED_POOL } from './staking/keeper.ts';
import { stakingModule } from './staking/module.ts';
import { SlashingKeeper } from './slashing/keeper.ts';
import { slashingModule } from './slashing/module.ts';
import { AnchorKeeper } from './anchor/keeper.ts';
import { anchorModule } from './anchor/module.ts';
import { ProofsKeeper, MODULE_NAME as PROOFS } from './proofs/keeper.ts';
import { proofsModule } from './proofs/module.ts';
import type { ProofHooks } from './proofs/hooks.ts';
import { RewardsKeeper, MODULE_NAME as REWARDS, ORACLE_BONDS, TREASURY } from './rewards/keeper.ts';
import { rewardsModule } from './rewards/module.ts';

export interface DepinKeepers {
  auth: AccountKeeper;
  bank: BankKeeper;
  staking: StakingKeeper;
  slashing: SlashingKeeper;
  feegrant: FeegrantKeeper;
  /** Also the DevicesKeeperI handed to the proofs and rewards modules. */
  devices: DevicesKeeper;
  anchor: AnchorKeeper;
  proofs: ProofsKeeper;
  /** Also the ProofHooks the proofs module calls (afterProofVerdict / afterProofReversed). */
  rewards: RewardsKeeper;
}

/** `proofHooks`: where proof verdicts go instead of the rewards keeper (tests record them). */
export function createKeepers(extras: DepinAppExtras = {}): DepinKeepers {
  const auth = new AccountKeeper();
  // Module accounts that must not receive plain sends: fees, the staking pools (they must hold
  // exactly the stake), the devices bond escrow, the proofs module's bonds and job escrows, and
  // the rewards accounts (an unsolicited send would break "rewards balance = owed + in flight").
  const bank = new BankKeeper(auth, [FEE_COLLECTOR, BONDED_POOL, NOT_BONDED_POOL, DEVICES, PROOFS, REWARDS, ORACLE_BONDS, TREASURY]);
  const staking = new StakingKeeper(bank, auth);
  const slashing = new SlashingKeeper(staking);
  staking.addHooks(slashing.hooks());
  const feegrant = new FeegrantKeeper(auth);
  const devices = new DevicesKeeper(bank, auth);
  // Checkpoints name the next signing set from the staking module's bonded validators.
  const anchor = new AnchorKeeper({ validators: (ctx) => staking.bondedValidators(ctx).map((v) => ({ consensusPubkey: v.consPubKey, power: v.power })) });
  // The validators' share of each epoch's emission goes to fee_collector (x/mint style).
  const rewards = new RewardsKeeper(bank, devices, auth, FEE_COLLECTOR);
  // Every proof verdict and reversal reaches rewards (tests may substitute recording hooks).
  const proofs = new ProofsKeeper(devices, bank, auth, extras.proofHooks ?? rewards);
  // The verifiers' share of each epoch goes to the bonded compute-dispute verifiers, by bond.
  rewards.verifierSource = {
    verifierWeights: (ctx) => proofs.eligibleVerifiers(ctx, proofs.params(ctx)).map((v) => ({ address: v.address, weight: v.bonded })),
  };
  return { auth, bank, staking, slashing, feegrant, devices, anchor, proofs, rewards };
}

export interface DepinAppExtras {
  /** Modules inserted between proofs and rewards (tests use it for a verdict driver). */
  beforeRewards?: (keepers: DepinKeepers) => AppModule[];
  /** Hooks the proofs module calls instead of the rewards keeper (tests record them). */
  proofHooks?: ProofHooks;
}

export async function openDepinApp(db: AbstractLevel<any, any, any>, opts: AppOptions = {}, extras: DepinAppExtras = {}): Promise<{ app: App; keepers: DepinKeepers }> {
  const keepers = createKeepers(extras);
  // Order matters: genesis runs in this order (bank funds the pools before staking checks them;
  // staking bonds validators before slashing loads signing infos and before anchor reads the
  // set), begin block runs slashing's liveness/evidence handling, end block runs staking's set
  // update; rewards comes last, after proofs records verdicts, so an epoch closing in this end
  // block includes them.
  const modules = [
    authModule(keepers.auth), bankModule(keepers.bank), stakingModule(keepers.staking), slashingModule(keepers.slashing),
    feegrantModule(keepers.feegrant), devicesModule(keepers.devices), anchorModule(keepers.anchor), proofsModule(keepers.proofs),
    ...(extras.beforeRewards?.(keepers) ?? []),
    rewardsModule(keepers.rewards),
  ];
  const app = await App.open(db, { modules, ante: anteHandler(keepers), signatureJobs: signatureJobs(keepers) }, opts);
  return { app, keepers };
}

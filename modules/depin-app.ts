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
import { RewardsKeeper, MODULE_NAME as REWARDS, ORACLE_BONDS, TREASURY } from './rewards/keeper.ts';
import { rewardsModule } from './rewards/module.ts';

export interface DepinKeepers {
  auth: AccountKeeper;
  bank: BankKeeper;
  feegrant: FeegrantKeeper;
  /** Also the DevicesKeeperI handed to the proofs and rewards modules. */
  devices: DevicesKeeper;
  /** Also the ProofHooks the proofs module calls (afterProofVerdict / afterProofReversed). */
  rewards: RewardsKeeper;
}

export function createKeepers(): DepinKeepers {
  const auth = new AccountKeeper();
  // Module accounts that must not receive plain sends: fees, the devices bond escrow, and the
  // rewards accounts (an unsolicited send would break "rewards balance = owed + in flight").
  const bank = new BankKeeper(auth, [FEE_COLLECTOR, DEVICES, REWARDS, ORACLE_BONDS, TREASURY]);
  const feegrant = new FeegrantKeeper(auth);
  const devices = new DevicesKeeper(bank, auth);
  const rewards = new RewardsKeeper(bank, devices, auth, FEE_COLLECTOR);
  return { auth, bank, feegrant, devices, rewards };
}

export interface DepinAppExtras {
  /** Modules inserted before rewards (the proofs module goes here: rewards' end block must run
   * after the end block that records verdicts). Tests use it for a verdict driver. */
  beforeRewards?: (keepers: DepinKeepers) => AppModule[];
}

export async function openDepinApp(db: AbstractLevel<any, any, any>, opts: AppOptions = {}, extras: DepinAppExtras = {}): Promise<{ app: App; keepers: DepinKeepers }> {
  const keepers = createKeepers();
  const modules = [
    authModule(keepers.auth), bankModule(keepers.bank), feegrantModule(keepers.feegrant), devicesModule(keepers.devices),
    ...(extras.beforeRewards?.(keepers) ?? []),
    rewardsModule(keepers.rewards),
  ];
  const app = await App.open(db, { modules, ante: anteHandler(keepers), signatureJobs: signatureJobs(keepers) }, opts);
  return { app, keepers };
}

// The depin application: which modules run, in which order, and how their keepers are wired.
// This is the one place that knows every module; forks of the chain change this file.
import type { AbstractLevel } from 'abstract-level';
import { App, type AppOptions } from '../chain/app.ts';
import { AccountKeeper } from './auth/keeper.ts';
import { authModule } from './auth/module.ts';
import { anteHandler, signatureJobs, FEE_COLLECTOR } from './auth/ante.ts';
import { BankKeeper } from './bank/keeper.ts';
import { bankModule } from './bank/module.ts';
import { AnchorKeeper } from './anchor/keeper.ts';
import { anchorModule } from './anchor/module.ts';

export interface DepinKeepers {
  auth: AccountKeeper;
  bank: BankKeeper;
  anchor: AnchorKeeper;
}

export function createKeepers(): DepinKeepers {
  const auth = new AccountKeeper();
  const bank = new BankKeeper(auth, [FEE_COLLECTOR]);
  // Pre-staking: the anchor module's own genesis validator set. Staking will pass its keeper here.
  const anchor = new AnchorKeeper();
  return { auth, bank, anchor };
}

export async function openDepinApp(db: AbstractLevel<any, any, any>, opts: AppOptions = {}): Promise<{ app: App; keepers: DepinKeepers }> {
  const keepers = createKeepers();
  const modules = [authModule(keepers.auth), bankModule(keepers.bank), anchorModule(keepers.anchor)];
  const app = await App.open(db, { modules, ante: anteHandler(keepers), signatureJobs: signatureJobs(keepers) }, opts);
  return { app, keepers };
}

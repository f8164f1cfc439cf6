// The depin application: which modules run, in which order, and how their keepers are wired.
// This is the one place that knows every module; forks of the chain change this file.
import type { AbstractLevel } from 'abstract-level';
import { App, type AppOptions } from '../chain/app.ts';
import { AccountKeeper } from './auth/keeper.ts';
import { authModule } from './auth/module.ts';
import { anteHandler, signatureJobs, FEE_COLLECTOR } from './auth/ante.ts';
import { BankKeeper } from './bank/keeper.ts';
import { bankModule } from './bank/module.ts';
import { FeegrantKeeper } from './feegrant/keeper.ts';
import { feegrantModule } from './feegrant/module.ts';
import { DevicesKeeper, MODULE_NAME as DEVICES } from './devices/keeper.ts';
import { devicesModule } from './devices/module.ts';
import { ProofsKeeper, MODULE_NAME as PROOFS } from './proofs/keeper.ts';
import { proofsModule } from './proofs/module.ts';
import { NOOP_PROOF_HOOKS, type ProofHooks } from './proofs/hooks.ts';

export interface DepinKeepers {
  auth: AccountKeeper;
  bank: BankKeeper;
  feegrant: FeegrantKeeper;
  /** Also the DevicesKeeperI handed to the proofs and rewards modules. */
  devices: DevicesKeeper;
  proofs: ProofsKeeper;
}

/** `proofHooks`: where proof verdicts go (the rewards module, once merged; no-op until then). */
export function createKeepers(proofHooks: ProofHooks = NOOP_PROOF_HOOKS): DepinKeepers {
  const auth = new AccountKeeper();
  // Module accounts that must not receive plain sends: fees, the devices bond escrow, and the
  // proofs module's bonds and job escrows.
  const bank = new BankKeeper(auth, [FEE_COLLECTOR, DEVICES, PROOFS]);
  const feegrant = new FeegrantKeeper(auth);
  const devices = new DevicesKeeper(bank, auth);
  const proofs = new ProofsKeeper(devices, bank, auth, proofHooks);
  return { auth, bank, feegrant, devices, proofs };
}

export async function openDepinApp(db: AbstractLevel<any, any, any>, opts: AppOptions = {}, proofHooks?: ProofHooks): Promise<{ app: App; keepers: DepinKeepers }> {
  const keepers = createKeepers(proofHooks);
  const modules = [authModule(keepers.auth), bankModule(keepers.bank), feegrantModule(keepers.feegrant), devicesModule(keepers.devices), proofsModule(keepers.proofs)];
  const app = await App.open(db, { modules, ante: anteHandler(keepers), signatureJobs: signatureJobs(keepers) }, opts);
  return { app, keepers };
}

// The interface between the proofs module (owner of this file) and the rewards module: proofs
// calls these for every verdict and every reversal, inside the tx or end block that produced them
// (same store branch, deterministic order).
import type { Context } from '../../chain/context.ts';

/** Sectors, as the devices module numbers them. */
export const SECTOR = { coverage: 1, storage: 2, compute: 3, sensor: 4 } as const;

/** Fixed-point scale of reward units: 1 unit = 1_000_000n. */
export const UNIT = 1_000_000n;

/** The verdict on one proof (valid or not), as recorded by the proofs module. */
export interface ProofOutcome {
  proofId: bigint;        // unique, assigned by proofs (for reversal and for the breakdown query)
  deviceId: bigint;       // devices module id
  sector: number;         // SECTOR.*
  kind: string;           // stable kind name, e.g. 'coverage/beacon', 'coverage/witness',
                          // 'storage/pdp', 'compute/availability', 'compute/job', 'sensor/batch'
  window: bigint;         // the proof window (epoch/window index of the envelope)
  height: bigint;         // block height at which the verdict was recorded
  valid: boolean;
  reason: number;         // 0 = valid; otherwise the stable reason code (proofs README lists them)
  units: bigint;          // reward units earned, in UNIT fixed point; 0n when invalid
  credit?: ProofCredit;   // on reversal: what afterProofVerdict returned for this proof, if anything
}

/** What rewards credited for a verdict. Proofs keeps it in the proof's record and hands it back
 *  with the reversal, so a reversal takes back exactly what was added without rewards keeping a
 *  key per proof. */
export interface ProofCredit {
  owner: string;          // the device's owner when credited (whose epoch record got the units)
  weightedUnits: bigint;  // units after the record's trust and seniority multipliers
}

/** What proofs calls; rewards implements it (wired at app construction). */
export interface ProofHooks {
  /** Every verdict, valid or not (rewards counts units and reason codes per device and epoch).
   *  Returns what was credited (undefined: nothing a reversal would have to take back). */
  afterProofVerdict(ctx: Context, o: ProofOutcome): ProofCredit | undefined;
  /** A fraud challenge against an accepted proof succeeded: its units must be reversed (withheld
   *  from the epoch not yet distributed, or clawed back from the device's earned-not-claimed
   *  balance if already distributed). `penaltyUnits` adds withholding on top (0n for none). */
  afterProofReversed(ctx: Context, o: ProofOutcome, challenger: string, penaltyUnits: bigint): void;
}

/** Hooks that do nothing (a proofs keeper built without rewards, e.g. in a module's own tests). */
export const NOOP_PROOF_HOOKS: ProofHooks = {
  afterProofVerdict() {
    return undefined;
  },
  afterProofReversed() {},
};

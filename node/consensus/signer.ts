// What the engine needs from a validator's key: sign a vote or a proposal, or refuse to. The
// production signer is the double-sign-protected PrivValidator (privval.ts); tests of Byzantine
// behaviour sign with the raw key instead.
import type { Proposal, UnsignedProposal, UnsignedVote, Vote } from './types.ts';

export interface ConsensusSigner {
  readonly address: Uint8Array;
  readonly publicKey: Uint8Array;
  /**
   * Returns the signed vote. The returned timestamp may differ from the requested one (a crash-retry
   * of an already signed vote gets the original signature and timestamp back). Throws
   * DoubleSignError when signing would conflict with something signed before.
   */
  signVote(chainId: string, vote: UnsignedVote): Vote;
  signProposal(chainId: string, proposal: UnsignedProposal): Proposal;
}

/**
 * A signature refused because it could contradict an earlier one (the validator would equivocate).
 * When a different message was already signed for the same height/round/step, `signed` is that
 * message: the engine sends it instead (it is what this validator said, perhaps never delivered
 * because of a crash), so the validator still takes part in the round.
 */
export class DoubleSignError extends Error {
  override name = 'DoubleSignError';
  readonly signed: Vote | Proposal | undefined;

  constructor(message: string, signed?: Vote | Proposal) {
    super(message);
    this.signed = signed;
  }
}

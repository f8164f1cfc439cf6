// The engine with its write-ahead log: what a validator node runs. Every input the engine accepts is
// appended to the WAL before it is acted upon; our own signed proposals and votes are appended too,
// and the WAL is fsynced before they are handed back for broadcast. On start, the records of the
// starting height are replayed into a fresh engine (signatures come back from the double-sign
// protected signer, which returns the stored signature for a re-sign of the same message), and
// resume() re-broadcasts our messages and re-schedules the current step's timeouts.
//
// During replay our own messages come from the log itself: when the engine asks to sign a vote or
// proposal that the log shows we signed before the crash, that signed message is reused (the
// double-sign protected signer only remembers the last one, and would refuse an earlier step).
// The synchronous validity callback is off during replay (verdicts come from the log, in order);
// resume() asks it again for what is still open.
import { ConsensusState, type ConsensusAction, type ConsensusInput, type ConsensusOptions, type InputResult } from './state-machine.ts';
import type { ConsensusSigner } from './signer.ts';
import { blockIdEquals, bytesEqual, type Proposal, type Vote } from './types.ts';
import type { ConsensusWal } from './wal.ts';
import type { ValidatorSet } from './validator-set.ts';

export interface DurableConsensusOptions extends Omit<ConsensusOptions, 'journal'> {
  wal: ConsensusWal;
}

export class DurableConsensus {
  readonly engine: ConsensusState;
  readonly wal: ConsensusWal;
  private replaying = false;
  private replayRecords: ConsensusInput[] = [];
  /** How many WAL records the last start() replayed (for logs and tests). */
  replayed = 0;

  constructor(opts: DurableConsensusOptions) {
    this.wal = opts.wal;
    const real = opts.signer;
    const signer: ConsensusSigner | undefined = real && {
      address: real.address,
      publicKey: real.publicKey,
      signVote: (chainId, v) => (this.replaying ? this.loggedVote(v) : undefined) ?? real.signVote(chainId, v),
      signProposal: (chainId, p) => (this.replaying ? this.loggedProposal(p) : undefined) ?? real.signProposal(chainId, p),
    };
    const validate = opts.validate;
    this.engine = new ConsensusState({
      ...opts,
      signer,
      validate: validate && ((h, id) => (this.replaying ? undefined : validate(h, id))),
      journal: (input) => {
        if (!this.replaying) this.wal.write(input);
      },
    });
  }

  private loggedVote(v: Omit<Vote, 'signature'>): Vote | undefined {
    for (const r of this.replayRecords) {
      if (r.type === 'vote' && r.vote.height === v.height && r.vote.round === v.round && r.vote.type === v.type &&
        bytesEqual(r.vote.validatorAddress, v.validatorAddress) && blockIdEquals(r.vote.blockId, v.blockId)) return r.vote;
    }
    return undefined;
  }

  private loggedProposal(p: Omit<Proposal, 'signature'>): Proposal | undefined {
    for (const r of this.replayRecords) {
      // Only the round's proposer (us, or the engine would not be signing) can have signed it.
      if (r.type === 'proposal' && r.proposal.height === p.height && r.proposal.round === p.round && r.proposal.polRound === p.polRound &&
        blockIdEquals(r.proposal.blockId, p.blockId)) return r.proposal;
    }
    return undefined;
  }

  /**
   * Starts at `height` after a (re)start of the node: `height` is the block store's height + 1 and
   * `valSet` that height's validator set. If the WAL holds records of this height (we crashed in the
   * middle of it), they are replayed first and the actions returned are those that resume it.
   */
  start(height: bigint, valSet: ValidatorSet): ConsensusAction[] {
    const records = this.wal.readHeight(height);
    this.replayed = records.length;
    if (records.length === 0) return this.startHeight(height, valSet);
    this.replaying = true;
    this.replayRecords = records;
    try {
      this.engine.startHeight(height, valSet);
      for (const rec of records) this.engine.handle(rec);
    } finally {
      this.replaying = false;
      this.replayRecords = [];
    }
    return this.release(this.engine.resume());
  }

  /** Moves to the next height. Call it only after the decided block and its commit are stored. */
  startHeight(height: bigint, valSet: ValidatorSet): ConsensusAction[] {
    this.wal.reset();
    return this.release(this.engine.startHeight(height, valSet));
  }

  handle(input: ConsensusInput): InputResult {
    const res = this.engine.handle(input);
    return { ...res, actions: this.release(res.actions) };
  }

  /** Logs our own signed messages and makes the log durable before they may be sent. */
  private release(actions: ConsensusAction[]): ConsensusAction[] {
    let own = false;
    for (const a of actions) {
      if (a.type === 'broadcastVote') {
        this.wal.write({ type: 'vote', vote: a.vote });
        own = true;
      } else if (a.type === 'broadcastProposal') {
        this.wal.write({ type: 'proposal', proposal: a.proposal });
        own = true;
      }
    }
    if (own) this.wal.sync();
    return actions;
  }
}

// The execution context handed to modules: the (gas-metered) store, block info, the gas meter,
// the event sink and the execution mode. Everything a state transition may depend on is here;
// wall-clock time and randomness are deliberately absent.
import type { KVStore, Bytes } from './store/kv.ts';
import { PrefixStore } from './store/prefix-store.ts';
import type { GasMeter } from './gas.ts';
import type { EventManager } from './events.ts';

/** check/recheck: mempool admission; simulate: gas estimation; finalize: block execution. */
export type ExecMode = 'check' | 'recheck' | 'simulate' | 'finalize' | 'query' | 'genesis';

export interface Timestamp {
  seconds: bigint;
  nanos: number;
}

/** One validator's participation in the last block's commit (ABCI CommitInfo.votes). */
export interface VoteInfo {
  validatorAddress: Uint8Array; // 20 bytes
  power: bigint;
  /** False when the validator's precommit is absent from the commit (downtime tracking). */
  signed: boolean;
}

/** Proven consensus misbehavior to punish (ABCI Misbehavior), e.g. a double-signed vote. */
export interface Misbehavior {
  type: 'duplicate_vote' | 'light_client_attack';
  validatorAddress: Uint8Array;
  /** Height of the offence. */
  height: bigint;
  time: Timestamp;
  totalVotingPower: bigint;
  /** The validator's voting power at the offence height (ABCI Misbehavior.validator.power); the
   * slash is computed from it. When absent, the validator's current power is used. */
  power?: bigint;
}

export interface BlockInfo {
  chainId: string;
  height: bigint;
  time: Timestamp;
  /** Consensus address of the block's proposer (finalize and begin/end block only). */
  proposer?: Uint8Array;
  /** App hash after the previous block, as the header carries it. */
  lastAppHash?: Uint8Array;
  /** Who signed the previous block (absent in the first block and single-validator dev chains). */
  lastCommit?: readonly VoteInfo[];
  misbehavior?: readonly Misbehavior[];
}

export class Context {
  readonly store: KVStore;
  readonly block: BlockInfo;
  readonly gasMeter: GasMeter;
  readonly events: EventManager;
  readonly mode: ExecMode;

  constructor(store: KVStore, block: BlockInfo, gasMeter: GasMeter, events: EventManager, mode: ExecMode) {
    this.store = store;
    this.block = block;
    this.gasMeter = gasMeter;
    this.events = events;
    this.mode = mode;
  }

  /** The keyspace of one module (or one table inside it). */
  kv(prefix: Bytes): KVStore {
    return new PrefixStore(this.store, prefix);
  }

  withStore(store: KVStore): Context {
    return new Context(store, this.block, this.gasMeter, this.events, this.mode);
  }

  withEvents(events: EventManager): Context {
    return new Context(this.store, this.block, this.gasMeter, events, this.mode);
  }
}

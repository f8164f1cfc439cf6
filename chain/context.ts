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

export interface BlockInfo {
  chainId: string;
  height: bigint;
  time: Timestamp;
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

// ABCI events with plain UTF-8 attributes (CometBFT >= 0.38 style), collected per tx or block.

export interface EventAttribute {
  key: string;
  value: string;
  index: boolean;
}

export interface Event {
  type: string;
  attributes: EventAttribute[];
}

export function event(type: string, attrs: Record<string, string> | [string, string][], index = true): Event {
  const pairs = Array.isArray(attrs) ? attrs : Object.entries(attrs);
  return { type, attributes: pairs.map(([key, value]) => ({ key, value, index })) };
}

export class EventManager {
  readonly events: Event[] = [];
  /** False where events are discarded (CheckTx): emit() is then a no-op, and hot paths check this
   * before building event objects at all. Events never affect state, so skipping them is safe. */
  readonly enabled: boolean;

  constructor(enabled = true) {
    this.enabled = enabled;
  }

  emit(ev: Event): void {
    if (this.enabled) this.events.push(ev);
  }

  emitAll(evs: readonly Event[]): void {
    if (this.enabled) for (const e of evs) this.events.push(e);
  }
}

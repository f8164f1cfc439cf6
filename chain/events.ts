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
  const attributes: EventAttribute[] = [];
  if (Array.isArray(attrs)) for (const [key, value] of attrs) attributes.push({ key, value, index });
  // for-in rather than Object.entries: events are built for every tx, and the entry arrays were
  // a visible share of the per-tx garbage. Attribute order is the literal's key order either way.
  else for (const key in attrs) attributes.push({ key, value: attrs[key]!, index });
  return { type, attributes };
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

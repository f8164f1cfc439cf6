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

  emit(ev: Event): void {
    this.events.push(ev);
  }

  emitAll(evs: readonly Event[]): void {
    for (const e of evs) this.events.push(e);
  }
}

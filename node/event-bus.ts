// Publishes NewBlock / NewBlockHeader / Tx events to websocket subscribers whose CometBFT query
// matches (same query language and keys as tx_search, plus tm.event).
import { parseQuery, matchEvents, type Query } from './indexer/query.ts';
export { flattenEvents } from './indexer/query.ts';

export interface BusMessage {
  /** "type.key" -> values, including tm.event; what queries match against. */
  events: Map<string, string[]>;
  /** CometBFT's result.data: {type: "tendermint/event/Tx", value: {...}}. */
  data: { type: string; value: unknown };
}

export interface Subscription {
  query: string;
  parsed: Query;
  deliver(msg: BusMessage): void;
}

export const MAX_SUBSCRIPTIONS_PER_CLIENT = 100;

export class EventBus {
  private readonly subs = new Set<Subscription>();

  subscribe(query: string, deliver: (msg: BusMessage) => void): Subscription {
    const sub: Subscription = { query, parsed: parseQuery(query), deliver };
    this.subs.add(sub);
    return sub;
  }

  unsubscribe(sub: Subscription): void {
    this.subs.delete(sub);
  }

  get size(): number {
    return this.subs.size;
  }

  /** Whether any subscription could match an event of this tm.event type (to skip building
   * per-tx event maps when nobody listens for Tx events). */
  wants(tmEvent: string): boolean {
    for (const s of this.subs) {
      const c = s.parsed.conditions.find((x) => x.key === 'tm.event' && x.op === '=');
      if (!c || c.operand?.value === tmEvent) return true;
    }
    return false;
  }

  publish(msg: BusMessage): void {
    for (const s of this.subs) {
      if (!matchEvents(s.parsed, msg.events)) continue;
      try {
        s.deliver(msg);
      } catch {
        this.subs.delete(s); // a broken subscriber must not stop the node
      }
    }
  }
}

// Routes messages by type URL and queries by path to the module that registered them.
import type { AppModule, MsgDef, QueryDef } from './module.ts';

export class Router {
  readonly msgs = new Map<string, MsgDef>();
  readonly queries = new Map<string, QueryDef>();

  constructor(modules: readonly AppModule[]) {
    for (const m of modules) {
      for (const def of m.msgs ?? []) {
        if (this.msgs.has(def.typeUrl)) throw new Error(`message ${def.typeUrl} registered twice`);
        this.msgs.set(def.typeUrl, def);
      }
      for (const q of m.queries ?? []) {
        if (this.queries.has(q.path)) throw new Error(`query ${q.path} registered twice`);
        this.queries.set(q.path, q);
      }
    }
  }
}

// A view: an event-driven reducer over committed blocks that keeps its own keys in the index
// LevelDB, written in the same atomic batch as the block's tx index (so every view and the tx
// index are always at one height), plus the read-side queries over those keys. Views are derived
// data: the index is rebuilt from the block store when a view's version changes.
//
// Adding a view for a module = one file exporting a `View` + one line in registry.ts.
import type { ViewEvent } from '../../store/results-codec.ts';
import { PageRequestError, u64, type ViewReader, type ViewWriter } from './kv.ts';

export type { ViewEvent };

/** Per-block facts views report to the node (metrics) besides writing keys. */
export interface BlockSummary {
  height: bigint;
  /** Proof verdicts of this block by outcome ("valid"/"invalid") and reason name. */
  proofs?: { outcome: string; reason: string; count: number }[];
  /** Views that failed on this block (they lost its writes; the rest of the index did not). */
  viewErrors?: { view: string; message: string }[];
}

/** Query parameters as strings (path params and the URL query), plus parsed pagination. */
export interface QueryParams {
  [name: string]: string | undefined;
}

export interface QueryContext {
  /** The view's own key space. */
  reader: ViewReader;
  /** Another view's key space (read-only), for answers that join views. */
  other(name: string): ViewReader;
  /** The height every answer is as of (the last indexed block). */
  height: bigint;
}

export type ViewQuery = (ctx: QueryContext, params: QueryParams, page: import('./kv.ts').PageRequest) => Promise<unknown>;

export interface View {
  /** Key namespace, stable: renaming it orphans the keys (bump the version too). */
  readonly name: string;
  /** Bump when the reducer or the key layout changes: the index is rebuilt from blocks. */
  readonly version: number;
  /** Event types the reducer consumes (tx events of successful txs, then finalize-block events). */
  readonly events: readonly string[];
  /** Folds one block's wanted events into the view's keys. */
  apply(w: ViewWriter, events: readonly ViewEvent[], summary: BlockSummary): Promise<void>;
  /** Read-side queries, by name ("<view>.<query>" from outside). */
  readonly queries: Record<string, ViewQuery>;
}

/** Small parsing helpers shared by reducers: events carry strings. */
export const attrBig = (e: ViewEvent, k: string, dflt = 0n): bigint => {
  const v = e.attrs[k];
  if (v === undefined || v === '') return dflt;
  if (!/^-?[0-9]+$/.test(v)) throw new Error(`event ${e.type}: attribute ${k}=${JSON.stringify(v)} is not an integer`);
  return BigInt(v);
};

/** "1000000udpin" (or "1000000udpin,5foo") -> the udpin amount. */
export function coinAmount(s: string | undefined, denom = 'udpin'): bigint {
  if (!s) return 0n;
  let total = 0n;
  for (const part of s.split(',')) {
    const m = /^([0-9]+)([a-zA-Z][a-zA-Z0-9/:._-]*)$/.exec(part.trim());
    if (m && m[2] === denom) total += BigInt(m[1]!);
  }
  return total;
}

/** Sector numbering of the devices module. */
export const SECTORS = ['', 'coverage', 'storage', 'compute', 'sensor'] as const;
export const sectorNumber = (s: string | undefined): number => {
  if (s === undefined) return 0;
  const i = SECTORS.indexOf(s as never);
  if (i > 0) return i;
  const n = Number(s);
  return Number.isInteger(n) && n >= 1 && n <= 4 ? n : 0;
};

/** from_epoch / to_epoch (inclusive) query parameters as paginate bounds over u64 epoch keys. */
export function epochBounds(p: Record<string, string | undefined>): { from?: Uint8Array; to?: Uint8Array } {
  const out: { from?: Uint8Array; to?: Uint8Array } = {};
  for (const [k, name] of [['from', 'from_epoch'], ['to', 'to_epoch']] as const) {
    const v = p[name];
    if (v === undefined || v === '') continue;
    if (!/^[0-9]{1,19}$/.test(v)) throw new PageRequestError(`${name} must be a non-negative integer`);
    out[k] = u64(k === 'to' ? BigInt(v) + 1n : BigInt(v));
  }
  return out;
}

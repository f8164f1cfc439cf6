// `tx` and `tx_search` over the two places a tx lives: the tx index (indexer thread) finds
// positions, the block store (main thread, tx-records.ts) holds each tx with its result. A query
// the index decides alone reads only the records of the page it returns; one with conditions the
// index cannot decide (CONTAINS, ranges, several attributes) checks the candidates' events.
import { ExecTxResultCodec, txResultFromMsg } from '../store/block-types.ts';
import type { StoredTx } from '../store/block-store.ts';
import { txHashHex } from '../../chain/tx/tx-hash.ts';
import { parseQuery, matchEvents } from './query.ts';
import { recordEvents, type Candidate, type IndexedTxRecord } from './tx-indexer.ts';

export class PageError extends Error {}

/** Where candidates come from and how records are read. */
export interface TxSearchSource {
  candidates(query: string): Promise<{ candidates: Candidate[]; exact: boolean }>;
  /** The records at these positions (undefined where nothing is stored). */
  load(positions: readonly Candidate[]): Promise<(IndexedTxRecord | undefined)[]>;
}

/** A record from a tx and its encoded ExecTxResult, as the block store keeps them. */
export function recordOf(height: bigint, index: number, stored: StoredTx): IndexedTxRecord {
  return { hash: txHashHex(stored.tx), height, index, tx: stored.tx, result: txResultFromMsg(ExecTxResultCodec.decode(stored.result)) };
}

/** Records at `positions` from a block store, reading each block's chunks once. */
export async function loadRecords(blocks: { loadTxs(height: bigint, indices: readonly number[]): Promise<(StoredTx | undefined)[]> }, positions: readonly Candidate[]): Promise<(IndexedTxRecord | undefined)[]> {
  const byHeight = new Map<bigint, number[]>();
  positions.forEach((p, i) => {
    const list = byHeight.get(p.height);
    if (list) list.push(i);
    else byHeight.set(p.height, [i]);
  });
  const out = new Array<IndexedTxRecord | undefined>(positions.length);
  for (const [height, at] of byHeight) {
    const stored = await blocks.loadTxs(height, at.map((i) => positions[i]!.index));
    at.forEach((i, j) => {
      const s = stored[j];
      out[i] = s && recordOf(height, positions[i]!.index, s);
    });
  }
  return out;
}

/** The tx with this hash, if indexed. */
export async function txByHash(src: { position(hash: string): Promise<Candidate | undefined> } & Pick<TxSearchSource, 'load'>, hash: string): Promise<IndexedTxRecord | undefined> {
  const pos = await src.position(hash);
  return pos && (await src.load([pos]))[0];
}

/** CometBFT tx_search: all matches ordered by (height, index), one page of them returned. */
export async function searchTxs(src: TxSearchSource, query: string, page: number, perPage: number, orderBy: 'asc' | 'desc' = 'asc'): Promise<{ txs: IndexedTxRecord[]; totalCount: number }> {
  const q = parseQuery(query);
  perPage = Math.min(100, Math.max(1, Math.floor(perPage) || 30));
  const { candidates, exact } = await src.candidates(query);
  let matches = candidates;
  const loaded = new Map<string, IndexedTxRecord>();
  const id = (c: Candidate) => `${c.height}/${c.index}`;
  if (!exact) {
    matches = [];
    const recs = await src.load(candidates);
    candidates.forEach((c, i) => {
      const rec = recs[i];
      if (rec && matchEvents(q, recordEvents(rec))) {
        matches.push(c);
        loaded.set(id(c), rec);
      }
    });
  }
  matches.sort((a, b) => (a.height === b.height ? a.index - b.index : a.height < b.height ? -1 : 1));
  if (orderBy === 'desc') matches.reverse();
  const total = matches.length;
  const pages = Math.max(1, Math.ceil(total / perPage));
  if (!Number.isInteger(page) || page < 1 || page > pages) {
    throw new PageError(`page should be within [1, ${pages}] range, given ${page}`);
  }
  const slice = matches.slice((page - 1) * perPage, page * perPage);
  const missing = slice.filter((c) => !loaded.has(id(c)));
  const recs = await src.load(missing);
  missing.forEach((c, i) => {
    const r = recs[i];
    if (r) loaded.set(id(c), r);
  });
  const txs: IndexedTxRecord[] = [];
  for (const c of slice) {
    const r = loaded.get(id(c));
    if (!r) throw new Error(`tx ${id(c)} is indexed but missing from the block store`);
    txs.push(r);
  }
  return { txs, totalCount: total };
}

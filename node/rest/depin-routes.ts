// REST endpoints over the index's views (/depin/indexer/v1/...): devices by owner / sector / cell,
// device pages (locations, bans, proofs with reason codes, earnings by epoch, service quality),
// coverage cells for the map, proofs outcomes, economics per epoch, checkpoints, node-local queue
// times and block stats, an overview, and a server-sent-events stream of indexed blocks. Every
// view answer carries `as_of_height`, the index height it was read at.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeCanonical } from '../../chain/codec/proto-json.ts';
import { codec } from '../../chain/codec/proto.ts';
import type { QueryRequest, QueryResult } from '../../chain/app.ts';
import type { TxIndex } from '../indexer/indexer-client.ts';
import type { PageRequest } from '../indexer/views/kv.ts';
import type { BlockStore } from '../store/block-store.ts';
import type { ChainStats } from '../metrics/chain-stats.ts';
import type { QueueTimes } from '../metrics/queue-times.ts';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { RestError, type HandlerContext, type HandlerResult, type HandlerRoute, type Schema } from './handler-route.ts';
import { GZIP_MIN } from './server.ts';

export const PREFIX = '/depin/indexer/v1';

/** What these routes read from the node (DepinNode satisfies it). */
export interface DepinRestNode {
  chainId: string;
  app: { query(req: QueryRequest): QueryResult; readonly modules?: readonly { name: string }[] };
  blocks: BlockStore;
  indexer: TxIndex;
  mempool: { size(): number };
}

export interface RestObservers {
  stats?: ChainStats;
  queue?: QueueTimes;
}

/** Modules whose events feed views that are empty until the module is part of the chain. */
const SOURCES: Record<string, string[]> = { devices: ['devices'], coverage: ['devices'], checkpoints: ['anchor'], proofs: ['proofs'], earnings: ['rewards'], economics: ['rewards', 'devices'] };

const ValidatorsReq = codec<any>('cosmos.staking.v1beta1.QueryValidatorsRequest');
const ValidatorsRes = codec<any>('cosmos.staking.v1beta1.QueryValidatorsResponse');

const asOf: Schema = { type: 'string', description: 'index height this answer is as of' };
const obj = (properties: Record<string, Schema>): Schema => ({ type: 'object', properties: { as_of_height: asOf, ...properties } });
const arr = (items: Schema = { type: 'object' }): Schema => ({ type: 'array', items });
const page: Schema = { $ref: '#/components/schemas/PageResponse' };
const device: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, owner: { type: 'string' }, did: { type: 'string' }, manufacturer_id: { type: 'string' }, model: { type: 'string' }, sector: { type: 'string' },
    key_type: { type: 'string' }, registered_height: { type: 'string' }, cell: { type: 'string', description: 'H3 cell (resolution 12, hex), "" when never located' },
    location_height: { type: 'string' }, location_count: { type: 'integer' }, deactivated: { type: 'boolean' }, ban: { type: 'object', nullable: true },
    active: { type: 'boolean' }, inactive_reason: { type: 'string' }, fees_burned: { type: 'string' }, transfers: { type: 'integer' },
  },
};
const cell: Schema = {
  type: 'object',
  properties: {
    cell: { type: 'string' }, resolution: { type: 'integer' }, devices: { type: 'integer' }, active: { type: 'integer' }, occupied_children: { type: 'integer' },
    by_sector: { type: 'object', additionalProperties: { type: 'integer' } }, area_km2: { type: 'number' }, density: { type: 'number', description: 'devices per km²' },
  },
};

/**
 * Answers of the index by request, valid while no newer block is indexed: an entry is served
 * only while the index height the node last heard of equals the entry's as_of_height, so a
 * cached answer is exactly what the index would answer now. Concurrent misses share one query.
 */
class AnswerCache {
  private readonly entries = new Map<string, { height: string; value: Promise<HandlerResult> }>();
  readonly max: number;
  height = '';
  constructor(max = 512) {
    this.max = max;
  }
  async get(key: string, compute: () => Promise<HandlerResult>): Promise<HandlerResult> {
    const hit = this.entries.get(key);
    if (hit && hit.height === this.height && this.height !== '') return hit.value;
    const height = this.height;
    const value = compute().then(async (r) => {
      if (String(r.height) !== height) {
        this.entries.delete(key); // answered at another height than the one it was filed under
        return r;
      }
      const text = JSON.stringify(r.body);
      return { ...r, serialized: { text, gzip: text.length >= GZIP_MIN ? await gzipAsync(text, { level: 6 }) : undefined } };
    });
    value.catch(() => this.entries.delete(key));
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { height, value });
    return value;
  }
}

const gzipAsync = promisify(gzip);

export function depinRoutes(node: DepinRestNode, obs: RestObservers = {}): HandlerRoute[] {
  const modules = new Set((node.app.modules ?? []).map((m) => m.name));
  const sources = () => Object.fromEntries(Object.entries(SOURCES).map(([view, mods]) => [view, mods.some((m) => modules.has(m))]));
  const cache = new AnswerCache();
  void node.indexer.lastHeight().then((h) => {
    if (cache.height === '') cache.height = h.toString();
  });
  node.indexer.onBlockIndexed((s) => (cache.height = s.height.toString()));

  /** One view query -> body with as_of_height (404 when the view has no such entry). */
  const view = async (name: string, params: Record<string, string | undefined>, pg: PageRequest, notFound?: string) => {
    const a = await node.indexer.query(name, params, pg);
    if (a.result === undefined) throw new RestError(404, notFound ?? 'not found', { as_of_height: a.as_of_height });
    return { body: { as_of_height: a.as_of_height, ...(a.result as object) }, height: a.as_of_height };
  };
  const q = (ctx: HandlerContext, names: string[]) => Object.fromEntries(names.map((n) => [n, ctx.query.get(n) ?? undefined]));
  const idParam = (ctx: HandlerContext) => {
    const id = ctx.params.id!;
    if (!/^[0-9]{1,20}$/.test(id)) throw new RestError(400, `invalid device id ${JSON.stringify(id)}`);
    return id;
  };

  let validatorsCache: { height: bigint; value: { bonded: number; total_power: string } } | undefined;
  const validators = () => {
    const h = node.blocks.height();
    if (validatorsCache?.height === h) return validatorsCache.value;
    let value = { bonded: 0, total_power: '0' };
    const r = node.app.query({ path: '/cosmos.staking.v1beta1.Query/Validators', data: encodeCanonical(ValidatorsReq.type, { status: 'BOND_STATUS_BONDED', pagination: { limit: 1000 } }) });
    if (r.code === 0) {
      const vs = (ValidatorsRes.decode(r.value) as { validators?: { tokens?: string }[] }).validators ?? [];
      value = { bonded: vs.length, total_power: vs.reduce((a, v) => a + BigInt(v.tokens ?? '0') / 1_000_000n, 0n).toString() };
    }
    validatorsCache = { height: h, value };
    return value;
  };

  const deviceList = (fixed: (ctx: HandlerContext) => Record<string, string | undefined>) => async (ctx: HandlerContext) =>
    view('devices.list', { ...q(ctx, ['q', 'owner', 'sector', 'cell', 'manufacturer', 'status']), ...fixed(ctx) }, ctx.page);
  const listDoc = [
    { name: 'q', description: 'search: a device id, an owner address, a DID, an H3 cell or a manufacturer id' },
    { name: 'owner', description: 'owner address' },
    { name: 'sector', description: 'coverage | storage | compute | sensor' },
    { name: 'cell', description: 'H3 cell (any resolution 0..12): devices located inside it' },
    { name: 'manufacturer', description: 'manufacturer id' },
    { name: 'status', description: 'active | inactive' },
  ];
  const listSchema = obj({ devices: arr(device), pagination: page });

  const routes: HandlerRoute[] = [
    {
      path: `${PREFIX}/status`,
      summary: 'Index status: indexed height, node height, views (with any recorded failure) and whether the modules feeding them are part of this chain',
      tag: 'depin.indexer',
      response: obj({ chain_id: { type: 'string' }, node_height: { type: 'string' }, views: arr(), sources: { type: 'object', additionalProperties: { type: 'boolean' } } }),
      async handle() {
        const st = await node.indexer.status();
        return { body: { as_of_height: st.height, chain_id: node.chainId, node_height: node.blocks.height().toString(), views: st.views, sources: sources() }, height: st.height };
      },
    },
    {
      path: `${PREFIX}/overview`,
      summary: 'Network overview: heights, validators, tx/s, devices, coverage, proofs, economics, last checkpoint on Ethereum',
      tag: 'depin.indexer',
      response: obj({ chain_id: { type: 'string' }, node_height: { type: 'string' }, validators: { type: 'object' }, devices: { type: 'object' }, checkpoint: { type: 'object' } }),
      async handle() {
        const a = await node.indexer.queryMany([
          { name: 'devices.stats' }, { name: 'checkpoints.latest' }, { name: 'proofs.outcomes' }, { name: 'economics.totals' }, { name: 'coverage.stats' },
        ]);
        const [devices, checkpoint, proofs, economics, coverage] = a.results as any[];
        const latest = obs.stats?.latest();
        const rates = obs.stats?.rates(60_000);
        return {
          body: {
            as_of_height: a.as_of_height,
            chain_id: node.chainId,
            node_height: node.blocks.height().toString(),
            latest_block_time: latest ? new Date(latest.timeMs).toISOString() : null,
            block_time_ms: rates ? Math.round(rates.blockTimeMs) : null,
            tx_per_sec: rates ? Number(rates.txPerSec.toFixed(2)) : null,
            mempool_size: node.mempool.size(),
            validators: validators(),
            devices, coverage, checkpoint, proofs, economics: economics.totals,
            queue_times: obs.queue?.summary(1000) ?? null,
            sources: sources(),
          },
          height: a.as_of_height,
        };
      },
    },
    { path: `${PREFIX}/devices`, summary: 'Devices (filters and search; newest first with pagination.reverse=true)', tag: 'depin.indexer', query: listDoc, paginated: true, response: listSchema, handle: deviceList(() => ({})) },
    { path: `${PREFIX}/owners/{owner}/devices`, summary: 'Devices of an owner', tag: 'depin.indexer', query: listDoc.slice(2), paginated: true, response: listSchema, handle: deviceList((c) => ({ owner: c.params.owner })) },
    { path: `${PREFIX}/sectors/{sector}/devices`, summary: 'Devices of a sector', tag: 'depin.indexer', query: listDoc.slice(3), paginated: true, response: listSchema, handle: deviceList((c) => ({ sector: c.params.sector })) },
    { path: `${PREFIX}/cells/{cell}/devices`, summary: 'Devices located inside an H3 cell (any resolution 0..12)', tag: 'depin.indexer', paginated: true, response: listSchema, handle: deviceList((c) => ({ cell: c.params.cell })) },
    {
      path: `${PREFIX}/devices/{id}`,
      summary: 'A device: registry row, status, service quality (proofs) and earnings totals',
      tag: 'depin.indexer',
      response: obj({ device, quality: { type: 'object' }, earnings: { type: 'object', nullable: true } }),
      async handle(ctx) {
        const id = idParam(ctx);
        const a = await node.indexer.queryMany([{ name: 'devices.get', params: { id } }, { name: 'proofs.quality', params: { id, epochs: ctx.query.get('epochs') ?? undefined } }, { name: 'earnings.device', params: { id }, page: { limit: 1 } }]);
        const [d, quality, earnings] = a.results as any[];
        if (!d) throw new RestError(404, `device ${id} not found`, { as_of_height: a.as_of_height });
        return { body: { as_of_height: a.as_of_height, device: d.device, quality, earnings: earnings.totals, sources: sources() }, height: a.as_of_height };
      },
    },
    {
      path: `${PREFIX}/devices/{id}/locations`,
      summary: 'Every location a device asserted (oldest first), with heights',
      tag: 'depin.indexer', paginated: true, response: obj({ locations: arr(), pagination: page }),
      handle: (ctx) => view('devices.locations', { id: idParam(ctx) }, ctx.page),
    },
    {
      path: `${PREFIX}/devices/{id}/bans`,
      summary: 'Ban history of a device (bans with reason code and expiry, appeals, lifts)',
      tag: 'depin.indexer', paginated: true, response: obj({ bans: arr(), pagination: page }),
      handle: (ctx) => view('devices.bans', { id: idParam(ctx) }, ctx.page),
    },
    {
      path: `${PREFIX}/devices/{id}/proofs`,
      summary: 'Proof verdicts of a device, newest first, with reason codes',
      tag: 'depin.indexer', paginated: true, response: obj({ proofs: arr(), pagination: page }),
      handle: (ctx) => view('proofs.device', { id: idParam(ctx) }, ctx.page),
    },
    {
      path: `${PREFIX}/devices/{id}/earnings`,
      summary: 'Per-epoch earnings of a device: proof verdicts and reward units (proofs) and udpin paid (rewards)',
      tag: 'depin.indexer',
      query: [{ name: 'from_epoch', description: 'first epoch (inclusive)', type: 'integer' }, { name: 'to_epoch', description: 'last epoch (inclusive)', type: 'integer' }],
      paginated: true,
      response: obj({ epochs: arr(), totals: { type: 'object', nullable: true }, pagination: page }),
      async handle(ctx) {
        const id = idParam(ctx);
        const bounds = q(ctx, ['from_epoch', 'to_epoch']);
        const a = await node.indexer.queryMany([
          { name: 'proofs.device_epochs', params: { id, ...bounds }, page: ctx.page },
          { name: 'earnings.device', params: { id, ...bounds }, page: ctx.page },
        ]);
        const [units, paid] = a.results as any[];
        const rows = new Map<string, Record<string, unknown>>();
        for (const u of units.epochs) rows.set(u.epoch, { epoch: u.epoch, valid: u.valid, invalid: u.invalid, units: u.units, reversed_units: u.reversed_units, paid: '0' });
        for (const p of paid.epochs) {
          const r = rows.get(p.epoch) ?? { epoch: p.epoch, valid: 0, invalid: 0, units: '0', reversed_units: '0' };
          rows.set(p.epoch, { ...r, paid: p.amount, demand: p.demand, proof: p.proof, withheld: p.withheld, weighted_units: p.weighted_units, owners: p.owners });
        }
        const epochs = [...rows.values()].sort((x, y) => (BigInt(x.epoch as string) < BigInt(y.epoch as string) ? -1 : 1));
        if (ctx.page.reverse) epochs.reverse();
        return { body: { as_of_height: a.as_of_height, epochs, totals: paid.totals, pagination: units.pagination.next_key ? units.pagination : paid.pagination, sources: sources() }, height: a.as_of_height };
      },
    },
    {
      path: `${PREFIX}/coverage`,
      summary: 'Occupied H3 cells at a resolution (optionally under given parent cells) with device counts and density',
      tag: 'depin.indexer',
      query: [
        { name: 'res', description: 'H3 resolution 0..12', required: true, type: 'integer' },
        { name: 'parents', description: 'comma-separated coarser cells (at most 64): only cells under them' },
        { name: 'compact', description: 'true: {fields, rows} with rows [cell, devices, active, occupied_children, density] instead of cell objects', type: 'boolean' },
      ],
      paginated: true,
      response: obj({ resolution: { type: 'integer' }, cells: arr(cell), fields: arr({ type: 'string' }), rows: arr({ type: 'array', items: {} }), truncated: { type: 'boolean' }, pagination: page }),
      handle: (ctx) => view('coverage.cells', q(ctx, ['res', 'parents', 'compact']), ctx.page),
    },
    { path: `${PREFIX}/coverage/stats`, summary: 'Occupied cells per resolution', tag: 'depin.indexer', response: obj({ occupied_cells_by_resolution: { type: 'object' } }), handle: (ctx) => view('coverage.stats', {}, ctx.page) },
    { path: `${PREFIX}/coverage/{cell}`, summary: 'One H3 cell and its occupied children', tag: 'depin.indexer', response: obj({ cell, children: arr(cell) }), handle: (ctx) => view('coverage.cell', { cell: ctx.params.cell }, ctx.page) },
    { path: `${PREFIX}/proofs/outcomes`, summary: 'Proof verdicts by outcome and reason code', tag: 'depin.indexer', response: obj({ valid: { type: 'string' }, invalid: { type: 'string' }, reasons: arr() }), handle: (ctx) => view('proofs.outcomes', {}, ctx.page) },
    {
      path: `${PREFIX}/epochs`,
      summary: 'Economics per reward epoch (newest first): emission, demand burn, paid, subsidy-to-revenue',
      tag: 'depin.indexer', paginated: true,
      query: [{ name: 'from_epoch', description: 'first epoch', type: 'integer' }, { name: 'to_epoch', description: 'last epoch', type: 'integer' }],
      response: obj({ epochs: arr(), pagination: page }),
      handle: (ctx) => view('economics.epochs', q(ctx, ['from_epoch', 'to_epoch']), ctx.page),
    },
    {
      path: `${PREFIX}/economics`,
      summary: 'Economics totals with proofs per epoch',
      tag: 'depin.indexer',
      response: obj({ totals: { type: 'object' }, proofs_by_epoch: arr() }),
      async handle() {
        const a = await node.indexer.queryMany([{ name: 'economics.totals' }, { name: 'proofs.epochs', page: { reverse: true, limit: 100 } }]);
        const [t, p] = a.results as any[];
        return { body: { as_of_height: a.as_of_height, totals: t.totals, proofs_by_epoch: p.epochs, sources: sources() }, height: a.as_of_height };
      },
    },
    { path: `${PREFIX}/checkpoints`, summary: 'Ethereum checkpoints, newest first', tag: 'depin.indexer', paginated: true, response: obj({ checkpoints: arr(), pagination: page }), handle: (ctx) => view('checkpoints.list', {}, ctx.page) },
    { path: `${PREFIX}/checkpoints/latest`, summary: 'The latest checkpoint, the last acknowledged one and the lag in blocks', tag: 'depin.indexer', response: obj({ latest: { type: 'object' }, last_acknowledged: { type: 'object' }, lag_blocks: { type: 'string', nullable: true } }), handle: (ctx) => view('checkpoints.latest', {}, ctx.page) },
    {
      path: `${PREFIX}/queue_times`,
      summary: 'Node-local queue times (receive -> inclusion) of txs this node\'s mempool held: percentiles, or one tx by hash',
      tag: 'depin.indexer',
      query: [{ name: 'hash', description: 'a tx hash (hex)' }, { name: 'last', description: 'summarize the last N included txs', type: 'integer' }],
      response: { type: 'object', properties: { node_height: { type: 'string' }, summary: { type: 'object' }, tx: { type: 'object', nullable: true } } },
      async handle(ctx) {
        if (!obs.queue) throw new RestError(503, 'queue times are not recorded by this server');
        const hash = ctx.query.get('hash');
        const last = Number(ctx.query.get('last') ?? '') || undefined;
        const tx = hash ? obs.queue.get(hash) : undefined;
        if (hash && !tx) throw new RestError(404, `no queue time recorded for ${hash} (only txs this node's mempool held, recently)`);
        return { body: { node_height: node.blocks.height().toString(), summary: obs.queue.summary(last), tx: tx ? { hash: tx.hash, ms: tx.ms, height: tx.height.toString() } : null }, height: node.blocks.height() };
      },
    },
    {
      path: `${PREFIX}/blocks/recent`,
      summary: 'Recent blocks as this node committed them: height, time, txs (node-local)',
      tag: 'depin.indexer',
      query: [{ name: 'n', description: 'how many (max 1000)', type: 'integer' }],
      response: { type: 'object', properties: { blocks: arr() } },
      async handle(ctx) {
        const n = Math.min(Math.max(Number(ctx.query.get('n') ?? 100) || 100, 1), 1000);
        const blocks = (obs.stats?.recent(n) ?? []).map((b) => ({ height: b.height.toString(), time: new Date(b.timeMs).toISOString(), txs: b.txs, failed: b.failed, last_commit_round: b.lastCommitRound }));
        return { body: { node_height: node.blocks.height().toString(), blocks }, height: node.blocks.height() };
      },
    },
  ];

  // Routes whose answer depends only on the index (not on node-local figures) are cached per
  // indexed height, keyed by the whole request.
  const NODE_LOCAL = new Set([`${PREFIX}/status`, `${PREFIX}/overview`, `${PREFIX}/queue_times`, `${PREFIX}/blocks/recent`]);
  for (const r of routes) {
    if (NODE_LOCAL.has(r.path) || !r.handle) continue;
    const handle = r.handle;
    r.handle = (ctx) => cache.get(`${r.path}|${JSON.stringify(ctx.params)}|${ctx.query.toString()}`, () => handle(ctx));
  }

  // ---------------------------------------------------------------- live: websocket and server-sent events
  // Each client is a sink taking one block message: SSE responses and websockets alike.
  type BlockMessage = Record<string, unknown>;
  const clients = new Set<(m: BlockMessage) => void>();
  const MAX_CLIENTS = 256;
  const message = (height: bigint, extra: Record<string, unknown> = {}): BlockMessage => {
    const s = obs.stats?.get(height);
    return {
      indexed_height: height.toString(), node_height: node.blocks.height().toString(), time: s ? new Date(s.timeMs).toISOString() : null, txs: s?.txs ?? null,
      mempool_size: node.mempool.size(), ...extra,
    };
  };
  let unsubscribe: (() => void) | undefined;
  const ensureSubscribed = () => {
    unsubscribe ??= node.indexer.onBlockIndexed((summary) => {
      const m = message(summary.height, { proofs: summary.proofs?.reduce((a, p) => a + p.count, 0) ?? 0 });
      for (const send of clients) send(m);
    });
  };
  const sseClients = new Set<ServerResponse>();
  const heartbeat = setInterval(() => {
    for (const res of sseClients) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();
  routes.push({
    path: `${PREFIX}/stream`,
    summary: 'Server-sent events: one `block` event per indexed block ({indexed_height, node_height, time, txs, mempool_size, proofs})',
    tag: 'depin.indexer',
    produces: 'text/event-stream',
    raw(req: IncomingMessage, res: ServerResponse) {
      if (clients.size >= MAX_CLIENTS) {
        res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 14, message: 'too many stream clients', details: [] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      res.write('retry: 2000\n\n');
      ensureSubscribed();
      const send = (m: BlockMessage) => res.write(`event: block\ndata: ${JSON.stringify(m)}\n\n`);
      clients.add(send);
      sseClients.add(res);
      void node.indexer.lastHeight().then((h) => send(message(h)));
      req.on('close', () => {
        clients.delete(send);
        sseClients.delete(res);
      });
    },
  });
  routes.push({
    path: `${PREFIX}/websocket`,
    summary: 'Websocket: the same block messages as the stream, one JSON text message {type: "block", indexed_height, node_height, time, txs, mempool_size, proofs} per indexed block (the dashboard\'s live feed)',
    tag: 'depin.indexer',
    websocket(ws) {
      if (clients.size >= MAX_CLIENTS) {
        ws.close(1013, 'too many stream clients');
        return;
      }
      ensureSubscribed();
      const send = (m: BlockMessage) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'block', ...m }));
      };
      clients.add(send);
      void node.indexer.lastHeight().then((h) => send(message(h)));
      ws.on('close', () => clients.delete(send));
      ws.on('error', () => clients.delete(send));
    },
  });
  return routes;
}

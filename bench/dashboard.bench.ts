// The dashboard and its REST API with a big index: 100,000 devices (registered and located,
// clustered around cities) and a year of daily reward epochs (365 epochs: economics rows for
// every epoch; proof verdicts and payouts every epoch for a fleet of tracked devices), all fed as
// encoded block results through the node's real index path (IndexerClient -> indexer thread ->
// tx index + every view, one batch per block). Then: p50/p99 latency of the main REST endpoints
// under concurrent load, and the dashboard's first paint / DOM ready / data-ready times in
// Chromium, cold (new browser context per load). Run: node bench/dashboard.bench.ts
// Sizes: DASHBOARD_BENCH_DEVICES, DASHBOARD_BENCH_EPOCHS, DASHBOARD_BENCH_FLEET.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as h3 from 'h3-js';
import { DepinNode } from '../node/node.ts';
import { RestServer } from '../node/rest/server.ts';
import { restRoutes, nodeRestRoutes } from '../node/rest/routes.ts';
import { dashboardSite } from '../node/dashboard/site.ts';
import { startObservability } from '../node/metrics/observability.ts';
import { encodeBlockResults, type EncodableTxResult } from '../node/store/results-codec.ts';
import { event, type Event } from '../chain/events.ts';
import { sha256 } from '../chain/crypto/hash.ts';
import { toBech32, ACCOUNT_PREFIX } from '../chain/crypto/address.ts';
import { machine, percentile, fmt } from './machine.ts';

const DEPIND = join(import.meta.dirname, '..', 'node', 'cli', 'depind.ts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Deterministic PRNG (mulberry32) so every run indexes the same data. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECTORS = ['coverage', 'coverage', 'coverage', 'coverage', 'coverage', 'coverage', 'storage', 'compute', 'compute', 'sensor'];
const REASONS = [[101, 'beacon_bad_radio'], [114, 'witness_too_close'], [115, 'witness_too_far'], [117, 'witness_rssi_too_strong'], [205, 'pdp_missed_period']] as const;

const ok = (events: Event[]): EncodableTxResult => ({ code: 0, data: new Uint8Array(), log: '', info: '', gasWanted: 200_000n, gasUsed: 120_000n, events, codespace: '' });

function du(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const s = statSync(p);
    n += s.isDirectory() ? du(p) : s.size;
  }
  return n;
}

export interface DashboardBench {
  devices: number;
  indexSeconds: number;
  endpoints: { name: string; p50: number; p99: number; n: number }[];
  viewsOverheadUsPerTx: { txOnly: number; withViews: number };
  mixedP99: number;
  paint: { page: string; fcp: number; domReady: number; dataReady: number }[];
}

/** What the views add to indexing a block of bank sends (no event any view consumes): the same
 * blocks through the tx index alone and through the tx index + views, interleaved, in-process. */
async function viewsOverhead(): Promise<{ txOnly: number; withViews: number }> {
  const { Level } = await import('level');
  const { TxIndexer } = await import('../node/indexer/tx-indexer.ts');
  const { BlockIndexer } = await import('../node/indexer/block-indexer.ts');
  const TXS = 4000;
  const BLOCKS = 12;
  const send = (h: number, i: number): Event[] => {
    const from = toBech32(ACCOUNT_PREFIX, sha256(Buffer.from(`s${i}`)).subarray(0, 20));
    const to = toBech32(ACCOUNT_PREFIX, sha256(Buffer.from(`r${h}-${i}`)).subarray(0, 20));
    return [
      event('coin_spent', { spender: from, amount: '2500udpin' }), event('coin_received', { receiver: 'depin17xpfvakm2amg962yls6f84z3kell8c5lnjl8gj', amount: '2500udpin' }),
      event('transfer', { recipient: 'depin17xpfvakm2amg962yls6f84z3kell8c5lnjl8gj', sender: from, amount: '2500udpin' }), event('message', { sender: from }),
      event('tx', { fee: '2500udpin', fee_payer: from }), event('tx', { acc_seq: `${from}/${h}` }), event('tx', { signature: Buffer.from(sha256(Buffer.from(`${h}/${i}`))).toString('base64') }),
      event('message', { action: '/cosmos.bank.v1beta1.MsgSend', sender: from, module: 'bank', msg_index: '0' }),
      event('coin_spent', { spender: from, amount: '1udpin', msg_index: '0' }), event('coin_received', { receiver: to, amount: '1udpin', msg_index: '0' }),
      event('transfer', { recipient: to, sender: from, amount: '1udpin', msg_index: '0' }),
    ];
  };
  const blocks = Array.from({ length: BLOCKS }, (_, b) => {
    const h = BigInt(b + 1);
    return { h, txs: Array.from({ length: TXS }, (_, i) => sha256(Buffer.from(`t${h}/${i}`))), res: encodeBlockResults(h, Array.from({ length: TXS }, (_, i) => ok(send(b, i))), [], new Uint8Array(32)) };
  });
  const open = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'views-overhead-'));
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    return { db, dir };
  };
  const a = await open();
  const b = await open();
  const tx = new TxIndexer(a.db);
  await tx.init();
  const full = new BlockIndexer(b.db);
  await full.init();
  let txOnly = 0;
  let withViews = 0;
  for (const blk of blocks) {
    let t = performance.now();
    await tx.indexEncodedBlock(blk.h, blk.txs, blk.res);
    txOnly += performance.now() - t;
    t = performance.now();
    await full.indexEncodedBlock(blk.h, blk.txs, blk.res);
    withViews += performance.now() - t;
  }
  for (const x of [a, b]) {
    await x.db.close();
    rmSync(x.dir, { recursive: true, force: true });
  }
  return { txOnly: (txOnly * 1000) / (TXS * BLOCKS), withViews: (withViews * 1000) / (TXS * BLOCKS) };
}

export async function runDashboardBench(opts: { devices?: number; epochs?: number; fleet?: number; perBlock?: number; concurrency?: number; perEndpoint?: number } = {}): Promise<DashboardBench> {
  const N = opts.devices ?? Number(process.env.DASHBOARD_BENCH_DEVICES ?? 100_000);
  const EPOCHS = opts.epochs ?? Number(process.env.DASHBOARD_BENCH_EPOCHS ?? 365);
  const FLEET = Math.min(N, opts.fleet ?? Number(process.env.DASHBOARD_BENCH_FLEET ?? 1000));
  const PER_BLOCK = opts.perBlock ?? 1000;
  const CONC = opts.concurrency ?? 16;
  const PER_ENDPOINT = opts.perEndpoint ?? 400;
  console.log(`\n# dashboard: ${fmt(N)} devices, ${EPOCHS} daily epochs (proofs and payouts for a fleet of ${fmt(FLEET)} devices every epoch), on ${machine()}`);

  const oh = await viewsOverhead();
  console.log(`indexing bank sends (4,000 per block): tx index alone ${oh.txOnly.toFixed(1)} µs/tx, tx index + views ${oh.withViews.toFixed(1)} µs/tx (the views' event scan on a block no view consumes)`);

  const home = mkdtempSync(join(tmpdir(), 'depind-dash-bench-'));
  execFileSync(process.execPath, [DEPIND, 'init', '--dev', '--home', home], { stdio: 'ignore' });
  const node = await DepinNode.open({ home, log: () => {} });
  // One real block, so the app answers ABCI queries; the synthetic blocks follow it in the index.
  await node.produceBlock();
  while ((await node.indexer.lastHeight()) < 1n) await new Promise((res) => setTimeout(res, 10));
  const r = rng(42);
  // Cities: cluster centres on populated latitudes; devices fall around them (and 10% anywhere).
  const cities = Array.from({ length: 300 }, () => [r() * 110 - 45, r() * 340 - 170] as [number, number]);
  const owners = Array.from({ length: Math.max(1, Math.floor(N / 5)) }, (_, i) => toBech32(ACCOUNT_PREFIX, sha256(Buffer.from(`owner ${i}`)).subarray(0, 20)));
  const cellOf: string[] = [];
  let height = 1n;
  const index = (txEvents: Event[][], blockEvents: Event[] = []) => {
    height++;
    const txs = txEvents.map((_, i) => sha256(Buffer.from(`bench tx ${height} ${i}`)));
    return node.indexer.indexEncodedBlock(height, txs, encodeBlockResults(height, txEvents.map(ok), blockEvents, new Uint8Array(32)));
  };

  // ---------------------------------------------------------------- devices
  let t0 = performance.now();
  for (let s = 0; s < N; s += PER_BLOCK) {
    const txs: Event[][] = [];
    for (let i = s; i < Math.min(N, s + PER_BLOCK); i++) {
      const id = String(i + 1);
      let lat: number, lng: number;
      if (r() < 0.1) [lat, lng] = [r() * 120 - 55, r() * 358 - 179];
      else {
        const [clat, clng] = cities[Math.floor(r() * cities.length)]!;
        const spread = 0.05 + r() * 0.6;
        [lat, lng] = [clat + (r() - 0.5) * spread, clng + (r() - 0.5) * spread * 1.5];
      }
      const cell = h3.latLngToCell(lat, lng, 12);
      cellOf[i] = cell;
      const owner = owners[Math.floor(r() * owners.length)]!;
      txs.push([
        event('message', { action: '/depin.devices.v1.MsgRegisterDevice', sender: owner, module: 'devices' }),
        event('device_registered', { device_id: id, owner, did: `did:key:zBench${id}`, manufacturer_id: 'devmfr', model: 'dev-hotspot', sector: SECTORS[i % SECTORS.length]!, key_type: 'secp256k1', fee: '1000000udpin' }),
        event('device_location_asserted', { device_id: id, owner, cell, previous_cell: '', seniority_reset: 'false', fee: '100000udpin' }),
      ]);
    }
    // a few bans and deactivations, as a live network has
    if (s > 0) txs.push([event('ban', { target_type: 'device', target_id: String(Math.floor(r() * s) + 1), reason_code: '3', evidence_hash: 'ab', expires_height: '0' })]);
    await index(txs);
  }
  const devSecs = (performance.now() - t0) / 1000;
  console.log(`indexed ${fmt(N)} devices (register + locate events, ${PER_BLOCK} per block) in ${devSecs.toFixed(1)} s = ${fmt(N / devSecs)} devices/s through the indexer thread (tx index + all views)`);

  // ---------------------------------------------------------------- a year of epochs
  t0 = performance.now();
  let proofId = 0;
  const fleet = Array.from({ length: FLEET }, (_, i) => Math.floor((i * N) / FLEET) + 1);
  for (let e = 0; e < EPOCHS; e++) {
    const verdicts: Event[][] = [];
    for (let k = 0; k < fleet.length; k += 100) {
      const evs: Event[] = [];
      for (const d of fleet.slice(k, k + 100)) {
        const valid = r() < 0.9;
        const [reason, name] = valid ? [0, 'valid'] : REASONS[Math.floor(r() * REASONS.length)]!;
        evs.push(event('proof_verdict', { proof_id: String(++proofId), device_id: String(d), sector: 'coverage', kind: 'coverage/beacon', window: String(e), valid: String(valid), reason: String(reason), reason_name: name, units: valid ? String(500_000 + Math.floor(r() * 1_500_000)) : '0' }));
      }
      verdicts.push(evs);
    }
    const minted = 100_000_000_000n;
    const burned = BigInt(Math.floor(r() * 40_000_000_000));
    const paid = fleet.map(() => BigInt(Math.floor(r() * 50_000_000)));
    const blockEvents: Event[] = [
      event('credits_minted', { buyer: owners[0]!, burned: `${burned}udpin`, credits: `${burned}udc`, price: '1000000', median: '1000000' }),
      event('rewards_epoch_closed', { epoch: String(e), scheduled: String(minted), reemission: '0', breaker_clipped: '0', minted: String(minted), credits_burned: String(burned) }),
      event('rewards_epoch_distributed', { epoch: String(e), minted: String(minted), paid: String(paid.reduce((a, b) => a + b, 0n)), unallocated: '0', withheld: '0', demand_paid: '0', subsidy_to_revenue_ppm: burned ? String((minted * 1_000_000n) / burned) : '0', revenue_zero: String(burned === 0n) }),
      // the attributes modules/rewards/distribution.ts emits per device record
      ...fleet.map((d, i) => event('rewards_device_paid', { device_id: String(d), epoch: String(e), owner: owners[i % owners.length]!, amount: String(paid[i]), demand: '0', proof: String(paid[i]), withheld: '0', units: '1000000', weighted_units: '1000000' })),
    ];
    await index(verdicts, blockEvents);
  }
  const epochSecs = (performance.now() - t0) / 1000;
  console.log(`indexed ${EPOCHS} epochs (${fmt(EPOCHS * FLEET)} proof verdicts + ${fmt(EPOCHS * FLEET)} payouts) in ${epochSecs.toFixed(1)} s = ${fmt((2 * EPOCHS * FLEET) / epochSecs)} events/s`);
  const indexBytes = du(join(home, 'data', 'index.db'));
  console.log(`index: height ${height}, ${(indexBytes / 2 ** 20).toFixed(0)} MiB on disk`);

  // ---------------------------------------------------------------- REST under load
  const obs = await startObservability(node);
  const rest = new RestServer(node.app, restRoutes, { handlers: nodeRestRoutes(node, obs, '127.0.0.1:0'), site: dashboardSite() });
  const base = `http://${await rest.listen('127.0.0.1:0')}`;
  const someOwner = owners[7]!;
  const world = '/depin/indexer/v1/coverage?res=2&compact=true&pagination.limit=20000';
  const city = cellOf[fleet[3]! - 1]!;
  const cityParents = h3.gridDisk(h3.cellToParent(city, 5), 1).join(',');
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const endpoints: [string, () => string][] = [
    ['overview', () => '/depin/indexer/v1/overview'],
    ['devices page (newest 50)', () => '/depin/indexer/v1/devices?pagination.limit=50&pagination.reverse=true'],
    ['devices by owner', () => `/depin/indexer/v1/devices?q=${pick(owners)}`],
    ['device by id', () => `/depin/indexer/v1/devices/${1 + Math.floor(r() * N)}`],
    ['device earnings, 365 epochs', () => `/depin/indexer/v1/devices/${pick(fleet)}/earnings?pagination.limit=400&pagination.reverse=true`],
    ['device proofs (50)', () => `/depin/indexer/v1/devices/${pick(fleet)}/proofs?pagination.limit=50`],
    ['map: world (res 2, compact)', () => world],
    ['map: city (res 8 under 7 res-5 cells)', () => `/depin/indexer/v1/coverage?res=8&compact=true&parents=${cityParents}&pagination.limit=20000`],
    ['coverage res 3, full objects, random page', () => `/depin/indexer/v1/coverage?res=3&pagination.limit=1000&pagination.offset=${Math.floor(r() * 4) * 1000}`],
    ['devices in a cell', () => `/depin/indexer/v1/cells/${h3.cellToParent(cellOf[Math.floor(r() * N)]!, 7)}/devices?pagination.limit=20`],
    ['economics epochs (365)', () => '/depin/indexer/v1/epochs?pagination.limit=365'],
    ['bank balance (ABCI)', () => `/cosmos/bank/v1beta1/balances/${someOwner}`],
  ];
  const once = async (path: string): Promise<number> => {
    const t = performance.now();
    const res = await fetch(base + path);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
    return performance.now() - t;
  };
  const load = async (paths: () => string, n: number): Promise<number[]> => {
    const lat: number[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: CONC }, async () => {
      while (next < n) {
        next++;
        lat.push(await once(paths()));
      }
    }));
    return lat.sort((a, b) => a - b);
  };
  for (const [, p] of endpoints) await once(p()); // warm up
  const results: DashboardBench['endpoints'] = [];
  console.log(`REST latency, ${CONC} concurrent clients (same machine, load generator in the server's process), ${PER_ENDPOINT} requests each:`);
  for (const [name, p] of endpoints) {
    const lat = await load(p, PER_ENDPOINT);
    results.push({ name, p50: percentile(lat, 50), p99: percentile(lat, 99), n: lat.length });
    console.log(`  ${name.padEnd(44)} p50 ${percentile(lat, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(lat, 99).toFixed(1).padStart(6)} ms`);
  }
  const mixed = await load(() => pick(endpoints)[1](), PER_ENDPOINT * 3);
  const mixedP99 = percentile(mixed, 99);
  console.log(`  ${'mixed (all of the above at random)'.padEnd(44)} p50 ${percentile(mixed, 50).toFixed(1).padStart(6)} ms   p99 ${mixedP99.toFixed(1).padStart(6)} ms   ${fmt((mixed.length * 1000) / mixed.reduce((a, b) => a + b, 0) * CONC)} req/s`);

  // ---------------------------------------------------------------- first paint in Chromium
  const paint: DashboardBench['paint'] = [];
  if (existsSync(CHROMIUM)) {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const pages: [string, string, string][] = [
      ['overview', '/', 'dashboard-ready'],
      ['devices', '/#/devices', 'dashboard-ready'],
      [`device (365 epochs)`, `/#/device/${fleet[5]}`, 'dashboard-ready'],
      ['coverage map (world)', '/#/map', 'map-cells'],
    ];
    console.log(`Chromium ${browser.version()}, cold loads (new context each), median of 5:`);
    for (const [name, path, mark] of pages) {
      const runs: { fcp: number; domReady: number; dataReady: number }[] = [];
      for (let i = 0; i < 5; i++) {
        const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
        const page = await ctx.newPage();
        await page.goto(base + path);
        await page.waitForFunction((m) => performance.getEntriesByName(m).length > 0, mark, { timeout: 30_000 });
        runs.push(await page.evaluate((m) => {
          const nav = (performance as any).getEntriesByType('navigation')[0];
          const fcp = performance.getEntriesByName('first-contentful-paint')[0];
          return { fcp: fcp ? fcp.startTime : NaN, domReady: nav.domContentLoadedEventEnd, dataReady: performance.getEntriesByName(m)[0]!.startTime };
        }, mark));
        await ctx.close();
      }
      const med = (k: 'fcp' | 'domReady' | 'dataReady') => runs.map((x) => x[k]).sort((a, b) => a - b)[2]!;
      paint.push({ page: name, fcp: med('fcp'), domReady: med('domReady'), dataReady: med('dataReady') });
      console.log(`  ${name.padEnd(24)} first contentful paint ${med('fcp').toFixed(0).padStart(5)} ms   DOM ready ${med('domReady').toFixed(0).padStart(5)} ms   data on screen ${med('dataReady').toFixed(0).padStart(5)} ms`);
    }
    await browser.close();
  } else console.log(`Chromium not found at ${CHROMIUM}: paint times skipped`);

  await rest.close();
  await obs.close();
  await node.stop();
  rmSync(home, { recursive: true, force: true });
  return { devices: N, indexSeconds: devSecs + epochSecs, endpoints: results, mixedP99, paint, viewsOverheadUsPerTx: oh };
}

if (import.meta.main) await runDashboardBench();

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as h3 from 'h3-js';
import { chromium } from 'playwright-core';
import { DepinNode } from '../node/node.ts';
import { RestServer } from '../node/rest/server.ts';
import { restRoutes, nodeRestRoutes } from '../node/rest/routes.ts';
import { dashboardSite } from '../node/dashboard/site.ts';
import { startObservability } from '../node/metrics/observability.ts';
import { encodeBlockResults } from '../node/store/results-codec.ts';
import { event } from '../chain/events.ts';
const home = mkdtempSync(join(tmpdir(), 'shots-'));
execFileSync(process.execPath, ['node/cli/depind.ts', 'init', '--dev', '--home', home], { stdio: 'ignore' });
const node = await DepinNode.open({ home, log: () => {} });
await node.produceBlock();
while ((await node.indexer.lastHeight()) < 1n) await new Promise((r) => setTimeout(r, 10));
let h = 1n;
const ok = (events: any[]) => ({ code: 0, data: new Uint8Array(), log: '', info: '', gasWanted: 1n, gasUsed: 1n, events, codespace: '' });
const idx = (tx: any[][], fin: any[] = []) => { h++; return node.indexer.indexEncodedBlock(h, tx.map((_, i) => Buffer.from(`x${h}-${i}`)), encodeBlockResults(h, tx.map(ok), fin, new Uint8Array(32))); };
const txs = [];
for (let i = 1; i <= 300; i++) {
  const cell = h3.latLngToCell(48.85 + (Math.random() - 0.5) * 0.6, 2.35 + (Math.random() - 0.5) * 0.9, 12);
  txs.push([event('device_registered', { device_id: String(i), owner: 'depin1owner' + (i % 7), did: 'did:key:z' + i, manufacturer_id: 'devmfr', model: 'dev-hotspot', sector: i % 5 ? 'coverage' : 'sensor', key_type: 'secp256k1', fee: '1000000udpin' }), event('device_location_asserted', { device_id: String(i), owner: 'o', cell, previous_cell: '', seniority_reset: 'false', fee: '100000udpin' })]);
}
await idx(txs);
await idx([[event('ban', { target_type: 'device', target_id: '1', reason_code: '4', evidence_hash: 'ab', expires_height: '900' })]]);
let pid = 0;
for (let e = 0; e < 40; e++) {
  const v = [];
  for (let d = 1; d <= 20; d++) { const valid = Math.random() < 0.85; v.push(event('proof_verdict', { proof_id: String(++pid), device_id: String(d), kind: 'coverage/beacon', valid: String(valid), reason: valid ? '0' : '115', reason_name: valid ? 'valid' : 'witness_too_far', window: String(e), units: valid ? String(500000 + Math.floor(Math.random() * 1e6)) : '0' })); }
  const burned = BigInt(Math.floor(2e10 + Math.random() * 4e10));
  await idx([v], [event('credits_minted', { buyer: 'b', burned: `${burned}udpin` }), event('rewards_epoch_closed', { epoch: String(e), scheduled: '100000000000', reemission: '0', minted: '100000000000', credits_burned: String(burned) }), event('rewards_epoch_distributed', { epoch: String(e), minted: '100000000000', paid: '95000000000', unallocated: '5000000000', withheld: '0' }), ...Array.from({ length: 20 }, (_, d) => event('rewards_device_paid', { device_id: String(d + 1), epoch: String(e), amount: String(Math.floor(Math.random() * 5e7)) }))]);
}
const obs = await startObservability(node);
const rest = new RestServer(node.app, restRoutes, { handlers: nodeRestRoutes(node, obs, '127.0.0.1:0'), site: dashboardSite() });
const base = `http://${await rest.listen('127.0.0.1:0')}`;
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const p = await b.newPage({ viewport: { width: 1400, height: 1000 } });
p.on('pageerror', (e) => console.log('pageerror', e.message));
for (const [name, path] of [['device', '/#/device/1'], ['economics', '/#/economics'], ['overview', '/'], ['map', '/#/map?focus=' + h3.latLngToCell(48.85, 2.35, 12)]]) {
  await p.goto(base + path);
  await p.waitForSelector('body[data-ready=true]');
  await p.waitForTimeout(1200);
  await p.screenshot({ path: `/tmp/shots/data-${name}.png`, fullPage: true });
}
await b.close(); await rest.close(); await obs.close(); await node.stop(); rmSync(home, { recursive: true, force: true });

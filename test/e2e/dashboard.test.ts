// The dashboard in a real browser: Debian's Chromium driven by playwright-core against a real
// depind. The page loads from the node alone (any request elsewhere fails the test), the height
// climbs live over the node's websocket, a device registered meanwhile through unmodified
// CosmJS + the SDK registry shows up in the open devices table without a reload, its page shows
// its location (and the honest empty state: no proofs, no earnings yet), and the coverage map
// shows its hexagon and lists it when clicked. A sensor device whose gateway submitted an invalid
// and a valid batch, once its reward epoch is paid, shows its proofs table with reason codes and
// its earnings chart (reward units and DPIN paid, as the index's REST answers). A simulation
// report in the node's home shows on the Simulation page with the report's figures. Short epochs
// and windows in this test's genesis. Screenshots go to test-artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as h3 from 'h3-js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SigningStargateClient, GasPrice } from '@cosmjs/stargate';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { makeCosmoshubPath } from '@cosmjs/amino';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { startDevnet, makeHome, DEV_MNEMONIC, REPO, type Devnet } from '../helpers/devnet.ts';
import { registerDevice } from '../helpers/register-device.ts';
import { SensorGateway, readings } from '../helpers/sensor-gateway.ts';
import { depinRegistry, DevicesClient, ProofsClient, cellToString } from '../../sdk/index.ts';
import { readingsRoot } from '../../sdk/proofs.ts';
import { Simulation } from '../../sim/simulation.ts';
import { reportJson, type SimReport } from '../../sim/report.ts';
import { reportName } from '../../sim/cli.ts';

// Browser globals used inside page callbacks (the project's tsconfig has no DOM lib).
declare const document: any;

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// No internet on the test machines: without these Chromium keeps dialling out.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = join(REPO, 'test-artifacts');

let net: Devnet;
let browser: Browser;
let page: Page;
const foreign: string[] = [];
const pageErrors: string[] = [];

const skip = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM} (apt-get install chromium; .ci/run does)`;

before(async () => {
  if (skip) return;
  // 20-block reward epochs and 6-block proof windows (dev genesis: 30 and 20): an epoch is paid
  // a few seconds after the proofs.
  const home = makeHome();
  const gPath = join(home, 'config', 'genesis.json');
  const genesis = JSON.parse(readFileSync(gPath, 'utf8'));
  genesis.app_state.rewards.params.epoch_blocks = '20';
  genesis.app_state.proofs.params.window_blocks = '6';
  writeFileSync(gPath, JSON.stringify(genesis, null, 2));
  net = await startDevnet({ home, blockTimeMs: 250 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const origin = new URL(net.rest).origin;
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  if (net) {
    await net.stop();
    net.cleanup();
    rmSync(net.home, { recursive: true, force: true }); // a home passed in is not the helper's to remove
  }
});

const heightOnPage = async () => Number(await page.locator('#height').textContent());

test('dashboard: live height, a CosmJS-registered device in the table, on its page and on the coverage map; honest empty proofs/earnings', { skip }, async () => {
  await page.goto(`${net.rest}/`);
  await page.waitForSelector('body[data-ready=true][data-page=overview]');
  await page.waitForFunction(() => Number(document.getElementById('height')!.textContent) > 0);
  const h0 = await heightOnPage();
  // Live: the header follows the chain without a reload.
  await page.waitForFunction((h) => Number(document.getElementById('height')!.textContent) >= h + 3, h0, { timeout: 15_000 });
  assert.ok((await heightOnPage()) >= h0 + 3);
  assert.match((await page.locator('#live-dot').getAttribute('class'))!, /\bon\b/);
  assert.equal(await page.locator('body').getAttribute('data-live'), 'websocket', 'live over the node\'s websocket');
  assert.match(await page.locator('#overview-cards').innerText(), /VALIDATORS\s+1/i);

  // Open the devices table, then register a device with a location through CosmJS.
  await page.goto(`${net.rest}/#/devices`);
  await page.waitForSelector('body[data-ready=true][data-page=devices]');
  assert.match(await page.locator('#devices-table').innerText(), /No device registered yet/);
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [makeCosmoshubPath(2)] });
  const [{ address: owner }] = await wallet.getAccounts();
  const client = await SigningStargateClient.connectWithSigner(net.rpc, wallet, { registry: depinRegistry(), gasPrice: GasPrice.fromString('0.025udpin'), broadcastPollIntervalMs: 100 });
  const devices = await DevicesClient.connect(net.rpc);
  const lat = 45.764;
  const lng = 4.8357; // Lyon
  const reg = await registerDevice(client, devices, owner!, { lat, lng });
  client.disconnect();
  devices.disconnect();
  const cell = cellToString(reg.cell!);
  // It appears in the open table by itself (live refresh).
  await page.waitForFunction(([id, c]) => document.querySelector(`#devices-table tr[data-device-id="${id}"]`)?.textContent?.includes(c!), [String(reg.id), cell], { timeout: 15_000 });

  // Its page: location, and the honest empty state for proofs and earnings.
  await page.locator(`#devices-table tr[data-device-id="${reg.id}"]`).click();
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForSelector('#device-location .mono');
  const locText = await page.locator('#device-location').innerText();
  assert.match(locText, new RegExp(cell));
  const [clat, clng] = h3.cellToLatLng(cell);
  assert.match(locText, new RegExp(`${clat.toFixed(5)}, ${clng.toFixed(5)}`));
  assert.match(await page.locator('#device-proofs').innerText(), /No proofs recorded for this device yet/);
  assert.match(await page.locator('#device-earnings').innerText(), /No earnings recorded for this device yet/);
  assert.match(await page.locator('#device-locations').innerText(), new RegExp(cell));
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-device.png'), fullPage: true });

  // The coverage map centred on it: its hexagon is drawn (listed in the cells table) and a click
  // on it lists the device.
  await page.locator('#device-location a').click();
  await page.waitForSelector('body[data-ready=true][data-page=map]');
  await page.waitForFunction((c12) => [...document.querySelectorAll('#cells-in-view tr[data-cell]')].length > 0 && !!c12, cell, { timeout: 15_000 });
  const shown = await page.locator('#cells-in-view tr[data-cell]').evaluateAll((rows) => rows.map((r) => [(r as any).dataset.cell!, r.children[2]!.textContent!]));
  const mine = shown.find(([c]) => h3.cellToParent(cell, h3.getResolution(c!)) === c);
  assert.ok(mine, `the device's hexagon is on the map (cells shown: ${shown.map(([c]) => c).join(', ')})`);
  assert.equal(mine![1], '1');
  const box = (await page.locator('.map canvas').boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector(`#cell-panel tr[data-device-id="${reg.id}"]`);
  assert.equal(await page.locator('#cell-devices-count').innerText(), '1');
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-map.png'), fullPage: true });

  // Economics: the rewards module is part of the chain, so the page renders its epochs.
  await page.goto(`${net.rest}/#/economics`);
  await page.waitForSelector('body[data-ready=true][data-page=economics]');
  assert.doesNotMatch(await page.locator('#economics-chart').innerText(), /not part of this chain yet/);
  await page.goto(`${net.rest}/`);
  await page.waitForSelector('body[data-ready=true][data-page=overview]');
  await page.waitForFunction(() => /DEVICES\s+1/i.test(document.getElementById('overview-cards')!.innerText));
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });

  assert.deepEqual(foreign, [], 'every request goes to the node');
  assert.deepEqual(pageErrors, []);
});

test('dashboard: a sensor device with proofs and a paid epoch shows its proofs table with reason codes and its earnings chart', { skip }, async () => {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [makeCosmoshubPath(3), makeCosmoshubPath(6)] });
  const [{ address: owner }, { address: gatewayAddr }] = await wallet.getAccounts();
  const client = await SigningStargateClient.connectWithSigner(net.rpc, wallet, { registry: depinRegistry(), gasPrice: GasPrice.fromString('0.025udpin'), broadcastPollIntervalMs: 100 });
  const devices = await DevicesClient.connect(net.rpc);
  const proofs = await ProofsClient.connect(net.rpc);
  const api = async (path: string) => (await fetch(`${net.rest}/depin/indexer/v1/${path}`)).json() as Promise<any>;
  let id = 0n;
  try {
    const reg = await registerDevice(client, devices, owner!, { sector: 'sensor', lat: 59.3293, lng: 18.0686 }); // Stockholm
    id = reg.id;
    // The gateway submits two windows: 721 readings (720 allowed: invalid, 401), then an honest batch.
    const gw = new SensorGateway(client, gatewayAddr!, proofs, await client.getChainId(), 6n);
    const dev = { id, key: reg.device, cell: reg.cell! };
    const w1 = await gw.nextWindow();
    const bad = await gw.submit(dev, w1, { readingCount: 721n, readingsRoot: readingsRoot(readings(8, 'dash')) });
    assert.equal(bad.verdict.reason, '401');
    const good = await gw.submit(dev, await gw.nextWindow(w1), { readings: readings(8, 'dash-2') });
    assert.equal(good.verdict.valid, 'true');
    // Wait until the index shows the valid proof's epoch paid.
    const paid = await (async () => {
      for (let i = 0; i < 300; i++) {
        const e = await api(`devices/${id}/earnings`);
        const row = e.epochs?.find((r: any) => r.valid > 0 && r.paid !== '0');
        if (row) return { row, totals: e.totals };
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('no paid epoch in the index');
    })();
    const shownProofs = (await api(`devices/${id}/proofs`)).proofs as any[];
    assert.deepEqual(shownProofs.map((p) => [p.reason, p.reason_name]), [[0, 'valid'], [401, 'sensor_too_many_readings']]);

    await page.goto(`${net.rest}/#/device/${id}`);
    await page.waitForSelector('body[data-ready=true][data-page=devices]');
    // Proofs table: newest first, verdict badges, reason code and name, epoch.
    await page.waitForSelector('#device-proofs table tbody tr');
    const rows = await page.locator('#device-proofs table tbody tr').evaluateAll((trs) => trs.map((tr) => [...(tr as any).children].map((td: any) => td.textContent.trim())));
    assert.equal(rows.length, 2);
    assert.deepEqual(rows.map((r) => [r[1], r[2], r[4], r[5]]), [
      [good.verdict.proof_id, 'sensor/batch', 'valid', '0 valid'],
      [bad.verdict.proof_id, 'sensor/batch', 'invalid', '401 sensor_too_many_readings'],
    ]);
    assert.match(await page.locator('#device-quality').innerText(), /Invalid proofs\s+1[\s\S]*reason 401\s+1\s+sensor_too_many_readings/i);
    // Earnings chart: a bar of reward units per epoch, and the DPIN paid as a point on its own axis.
    const bars = await page.locator('#device-earnings svg rect title').allTextContents();
    assert.ok(bars.includes(`${paid.row.epoch}: ${Number(paid.row.units) / 1e6}`), `unit bars: ${bars.join(', ')}`);
    const points = await page.locator('#device-earnings svg circle.line-point title').allTextContents();
    assert.ok(points.includes(`${paid.row.epoch}: ${Number(paid.row.paid) / 1e6}`), `DPIN paid points: ${points.join(', ')}`);
    assert.match(await page.locator('#device-earnings').innerText(), /DPIN paid[\s\S]*earned in total/);
    assert.ok(BigInt(paid.totals.earned) >= BigInt(paid.row.paid));
    await page.locator('#device-earnings').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-device-proofs-earnings.png'), fullPage: true });
    assert.deepEqual(foreign, [], 'every request goes to the node');
    assert.deepEqual(pageErrors, []);
  } finally {
    client.disconnect();
    devices.disconnect();
    proofs.disconnect();
  }
});

test('dashboard: a simulation report written into the node home (depind simulate --home) on the Simulation page: fraud caught by kind, honest penalties, rewards by sector, subsidy-to-revenue', { skip }, async () => {
  // A small seeded run of the real state machine (the simulator's own test checks its verdicts);
  // written where `depind simulate --home` writes it.
  const sim = await Simulation.create({ seed: 3, devices: 120, blocks: 40, cheatersPpm: 250_000 });
  let report: SimReport;
  try {
    report = await sim.run();
  } finally {
    await sim.close();
  }
  mkdirSync(join(net.home, 'simulations'), { recursive: true });
  writeFileSync(join(net.home, 'simulations', reportName(report)), reportJson(report));
  const attempted = report.frauds.reduce((a, f) => a + f.attempted, 0);
  const caught = report.frauds.reduce((a, f) => a + f.caught, 0);
  assert.ok(attempted > 0 && report.epochs.length > 0, 'the run attempted fraud and closed an epoch');

  await page.goto(`${net.rest}/#/simulation`);
  await page.waitForSelector('body[data-ready=true][data-page=simulation]');
  await page.waitForSelector('#simulation-fraud-chart svg');
  assert.equal(await page.locator('#simulation-select').inputValue(), reportName(report), 'the newest report is selected');
  assert.equal(await page.locator('[data-fraud-attempted]').getAttribute('data-fraud-attempted'), String(attempted));
  assert.equal(await page.locator('[data-fraud-caught]').getAttribute('data-fraud-caught'), String(caught));
  assert.equal(await page.locator('[data-honest-penalised]').getAttribute('data-honest-penalised'), '0');
  // One bar (attempted) and one point (caught) per fraud kind, with the report's numbers.
  const bars = await page.locator('#simulation-fraud-chart svg rect title').allTextContents();
  const points = await page.locator('#simulation-fraud-chart svg circle.line-point title').allTextContents();
  assert.deepEqual(bars, report.frauds.map((f) => `${f.kind}: ${f.attempted}`));
  assert.deepEqual(points, report.frauds.map((f) => `${f.kind}: ${f.caught}`));
  const rewardBars = await page.locator('#simulation-reward-chart svg rect title').allTextContents();
  assert.deepEqual(rewardBars, Object.entries(report.rewardPerHonestDevice).map(([s, v]) => `${s}: ${Number(BigInt(v.perDeviceUdpin)) / 1e6}`));
  const ratio = await page.locator('#simulation-ratio-chart svg rect title').allTextContents();
  assert.equal(ratio.length, report.epochs.length, 'a bar per epoch');
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-simulation.png'), fullPage: true });
  assert.deepEqual(foreign, [], 'every request goes to the node');
  assert.deepEqual(pageErrors, []);
});

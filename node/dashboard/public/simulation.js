// The Simulation page: a report written by `depind simulate` (listed from the node's home, or a
// JSON file opened from disk): fraud attempted vs caught by kind, honest devices wrongly penalised,
// reward per honest device by sector, subsidy-to-revenue per epoch, throughput, invariants.
import { barChart } from './charts.js';

const SIM_API = '/depin/simulation/v1';

/** ui: the app's helpers {h, api, card, table, empty, dpin, num}. */
export async function simulationPage(root, params, ui) {
  const { h, api, empty } = ui;
  const picker = h('div', { class: 'sim-picker' });
  const body = h('div', { id: 'simulation-report' });
  root.append(h('h1', {}, 'Simulation'), picker, body);

  const file = h('input', { type: 'file', accept: 'application/json,.json', id: 'simulation-file' });
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    try {
      renderReport(body, JSON.parse(await f.text()), f.name, ui);
    } catch (err) {
      body.replaceChildren(h('p', { class: 'error' }, `${f.name} is not a simulation report: ${err.message}`));
    }
  });

  const list = await api(`${SIM_API}/reports`).catch(() => ({ reports: [] }));
  const reports = list.reports ?? [];
  const wanted = params.get('report') ?? reports[0]?.name;
  const select = h('select', { id: 'simulation-select', onchange: (e) => (location.hash = `#/simulation?report=${encodeURIComponent(e.target.value)}`) },
    reports.map((r) => h('option', { value: r.name, selected: r.name === wanted }, `${r.name} · seed ${r.seed ?? '?'} · ${r.devices ?? '?'} devices · ${r.modified.slice(0, 16).replace('T', ' ')}`)));
  picker.replaceChildren(
    reports.length ? h('label', {}, 'Report ', select) : h('span', { class: 'muted' }, 'No report in this node\'s home yet: run depind simulate --home <this home>. '),
    h('label', { class: 'muted' }, ' or open a report file ', file),
  );
  if (!wanted) {
    body.replaceChildren(empty('Nothing to show: run a simulation (npm run depind -- simulate --help) or open a report file.'));
    return {};
  }
  try {
    renderReport(body, await api(`${SIM_API}/reports/${encodeURIComponent(wanted)}`), wanted, ui);
  } catch (err) {
    body.replaceChildren(h('p', { class: 'error' }, `Cannot load ${wanted}: ${err.message}`));
  }
  return {};
}

function renderReport(body, r, name, { h, card, table, empty, dpin, num }) {
  const frauds = r.frauds ?? [];
  const epochs = r.epochs ?? [];
  const sectors = Object.entries(r.rewardPerHonestDevice ?? {});
  const t = r.throughput ?? {};
  const inv = r.invariants ?? {};
  const penalised = r.honest?.penalised;
  const attempted = frauds.reduce((a, f) => a + f.attempted, 0);
  const caught = frauds.reduce((a, f) => a + f.caught, 0);
  const ei = r.exportImport;

  const cards = h('div', { class: 'cards' },
    card('Seed', String(r.seed ?? '—'), name),
    card('Devices', num(r.network?.devices), Object.entries(r.network?.bySector ?? {}).map(([s, v]) => `${s} ${v.honest}+${v.cheating}`).join(' · ')),
    card('Blocks / txs', `${num(t.blocks)} / ${num(t.txs)}`, `final height ${r.finalHeight ?? '—'}`),
    card('Throughput', `${num(Math.round(t.opTxsPerExecSecond ?? 0))} tx/s`, `state machine time; ${num(Math.round(t.txsPerWallSecond ?? 0))} tx/s wall clock`),
    card('Fraud caught', `${num(caught)} / ${num(attempted)}`, 'by the chain\'s own verdicts and codes', { 'data-fraud-caught': caught, 'data-fraud-attempted': attempted }),
    card('Honest devices penalised', String(penalised ?? '—'), penalised === 0 ? 'none (must be zero)' : 'MUST BE ZERO', { class: penalised === 0 ? 'card' : 'card bad', 'data-honest-penalised': penalised }),
    card('Invariants', `${num(inv.checks)} checks`, `${inv.violationCount ?? '—'} violations; ${num(inv.reverified)} accepted proofs re-verified`),
    card('Export → import', ei ? (ei.ok ? 'same app hash' : 'MISMATCH') : '—', ei ? `${String(ei.appHash).slice(0, 16)}…` : ''),
  );

  const fraudChart = frauds.length
    ? h('div', { class: 'chart', id: 'simulation-fraud-chart' }, barChart({
      bars: frauds.map((f) => ({ x: f.kind, label: f.kind.split('_')[0], y: f.attempted, color: '#ef9a9a' })),
      line: frauds.map((f) => ({ x: f.kind, y: f.caught })),
      yLabel: 'attempted (bars)', lineLabel: 'caught (points)', sameAxis: true,
    }))
    : empty('No fraud attempted in this run.');
  const fraudTable = table([
    { label: 'Fraud', render: (f) => f.title ?? f.kind },
    { label: 'Attempted', key: 'attempted', num: true }, { label: 'Caught', key: 'caught', num: true },
    { label: 'Escaped', render: (f) => `${f.escaped}${f.expectedEscapes ? ` (${f.expectedEscapes} expected)` : ''}`, num: true },
    { label: 'Pending', key: 'pending', num: true }, { label: 'Caught by', render: (f) => f.caughtBy ?? '', wrap: true },
  ], frauds);

  const ratioChart = epochs.length
    ? h('div', { class: 'chart', id: 'simulation-ratio-chart' }, barChart({
      bars: epochs.map((e) => ({ x: e.epoch, y: Number(BigInt(e.minted ?? '0')) / 1e6 })),
      line: epochs.map((e) => ({ x: e.epoch, y: e.subsidyToRevenuePpm === null || e.subsidyToRevenuePpm === undefined ? 0 : Number(e.subsidyToRevenuePpm) / 1e6 })),
      yLabel: 'DPIN emitted (bars)', lineLabel: 'subsidy / revenue (points; 0 = no revenue)',
    }))
    : empty('No epoch closed in this run.');

  const rewardChart = sectors.length
    ? h('div', { class: 'chart', id: 'simulation-reward-chart' }, barChart({ bars: sectors.map(([s, v]) => ({ x: s, y: Number(BigInt(v.perDeviceUdpin ?? '0')) / 1e6 })), yLabel: 'DPIN per honest device', height: 180 }))
    : empty('No honest device earned in this run.');
  const rewardTable = table([
    { label: 'Sector', render: ([s]) => s }, { label: 'Honest devices', render: ([, v]) => num(v.devices), num: true },
    { label: 'Earned', render: ([, v]) => dpin(v.earnedUdpin, 2), num: true }, { label: 'Per device', render: ([, v]) => dpin(v.perDeviceUdpin, 2), num: true },
  ], sectors);

  const problems = [...(inv.violations ?? []), ...(inv.reverifyFailures ?? []), ...(r.unexpected ?? [])];
  body.replaceChildren(
    cards,
    h('h2', {}, 'Fraud attempted vs caught, by kind'), fraudChart, fraudTable,
    h('h2', {}, 'Reward per honest device, by sector'), rewardChart, rewardTable,
    h('h2', {}, 'Emission and subsidy-to-revenue per epoch'), ratioChart,
    ...(problems.length ? [h('div', {}, h('h2', {}, 'Problems'), h('ul', { class: 'error' }, problems.slice(0, 50).map((p) => h('li', {}, p))))] : []),
  );
}

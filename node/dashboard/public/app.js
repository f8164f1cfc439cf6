// The dashboard: a hash-routed single-page app over the node's REST API (/depin/indexer/v1/...).
// Live: one websocket from the node (server-sent events, then polling, as fallbacks); each indexed block updates the header and
// refreshes the current page (at most every 1.5 s). Pages show the height their data is as of,
// and an explicit "no data yet" where a view's source module is not part of this chain yet.
import { barChart, fmtShort } from './charts.js';
import { simulationPage } from './simulation.js';

const API = '/depin/indexer/v1';
const $main = document.getElementById('main');
const state = { status: null, page: null, lastRefresh: 0, refreshing: false };

// ------------------------------------------------------------------ helpers

async function api(path, init) {
  const r = await fetch(path.startsWith('/') ? path : `${API}/${path}`, init);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const e = new Error(body.message || `HTTP ${r.status}`);
    e.status = r.status;
    throw e;
  }
  return body;
}

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

const DPIN = 1_000_000n;
/** udpin (string) -> "12.345678 DPIN" */
function dpin(udpin, digits = 6) {
  let v = BigInt(udpin || '0');
  const neg = v < 0n;
  if (neg) v = -v;
  const frac = (v % DPIN).toString().padStart(6, '0').slice(0, digits).replace(/0+$/, '');
  return `${neg ? '-' : ''}${(v / DPIN).toLocaleString('en-US')}${frac ? '.' + frac : ''} DPIN`;
}
/** reward units in 1e6 fixed point -> number */
const units = (s) => Number(BigInt(s || '0')) / 1e6;
const num = (s) => Number(s || 0).toLocaleString('en-US');
const short = (s, n = 10) => (s && s.length > 2 * n + 1 ? `${s.slice(0, n)}…${s.slice(-6)}` : s || '');
const card = (label, value, sub, attrs = {}) => h('div', { class: 'card', ...attrs }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), sub ? h('div', { class: 'sub' }, sub) : null);
const empty = (text) => h('div', { class: 'empty', 'data-empty': 'true' }, text);
const asof = (height) => h('span', { class: 'asof', 'data-asof': height }, `as of height ${height}`);
const badge = (text, kind) => h('span', { class: `badge ${kind || ''}` }, text);

function table(columns, rows, onClick) {
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : '' }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', { class: onClick ? 'clickable' : '', onclick: onClick ? () => onClick(r) : undefined, dataset: r.__data || {} },
      columns.map((c) => h('td', { class: `${c.num ? 'num' : ''} ${c.mono ? 'mono' : ''} ${c.wrap ? 'wrap' : ''}` }, c.render ? c.render(r) : r[c.key]))))));
}

let h3Promise;
const loadH3 = () => (h3Promise ??= import('/dashboard/vendor/h3-js.js'));
let mapModule;
const loadMap = async () => (mapModule ??= await import('./map.js'));

function sourceMissing(view) {
  return state.status && state.status.sources && state.status.sources[view] === false;
}

const NOT_YET = {
  proofs: 'No proof data yet: the proofs module is not part of this chain yet. Proof verdicts (with reason codes) will appear here, per block, once it is.',
  earnings: 'No earnings data yet: the rewards module is not part of this chain yet. Per-epoch payouts will appear here once it is.',
  economics: 'No epoch data yet: the rewards module is not part of this chain yet. Emission, demand burn and the subsidy-to-revenue ratio per epoch will appear here once it is.',
};

// ------------------------------------------------------------------ live header

function setHeight(node, indexed) {
  if (node !== undefined) document.getElementById('height').textContent = node;
  if (indexed !== undefined) document.getElementById('indexed-height').textContent = indexed;
}

function live() {
  const dot = document.getElementById('live-dot');
  let es;
  let poll;
  const onBlock = (d) => {
    setHeight(d.node_height, d.indexed_height);
    maybeRefresh();
  };
  const startPolling = () => {
    if (poll) return;
    poll = setInterval(async () => {
      try {
        const s = await api('status');
        onBlock({ node_height: s.node_height, indexed_height: s.as_of_height });
      } catch { /* node down */ }
    }, 2000);
  };
  // Server-sent events: the fallback where a websocket cannot be opened (a proxy that refuses
  // upgrades); polling where neither works.
  const connectSse = () => {
    document.body.dataset.live = 'sse';
    es = new EventSource(`${API}/stream`);
    es.addEventListener('block', (ev) => {
      dot.className = 'dot on';
      onBlock(JSON.parse(ev.data));
    });
    es.onerror = () => {
      dot.className = 'dot off';
      if (es.readyState === EventSource.CLOSED) {
        document.body.dataset.live = 'polling';
        startPolling();
      }
    };
  };
  // The node's websocket: one JSON message per indexed block; reconnects after a drop.
  let opened = false;
  const connect = () => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${API}/websocket`);
    ws.onopen = () => {
      opened = true;
      document.body.dataset.live = 'websocket';
      dot.className = 'dot on';
    };
    ws.onmessage = (ev) => {
      const d = JSON.parse(ev.data);
      if (d.type === 'block') onBlock(d);
    };
    ws.onclose = () => {
      dot.className = 'dot off';
      if (opened) setTimeout(connect, 2000); // the node restarted or the network dropped
      else connectSse(); // never opened: this path cannot upgrade
    };
  };
  connect();
}

function maybeRefresh() {
  const p = state.page;
  if (!p || !p.refresh || state.refreshing) return;
  const now = performance.now();
  if (now - state.lastRefresh < 1500) {
    clearTimeout(state.pending);
    state.pending = setTimeout(maybeRefresh, 1500 - (now - state.lastRefresh));
    return;
  }
  state.lastRefresh = now;
  state.refreshing = true;
  Promise.resolve(p.refresh()).catch(() => {}).finally(() => (state.refreshing = false));
}

// ------------------------------------------------------------------ pages

async function overviewPage(root) {
  const cards = h('div', { class: 'cards', id: 'overview-cards' });
  const blocksChart = h('div', { class: 'chart', id: 'blocks-chart' });
  const checkpoint = h('div', { id: 'checkpoint' });
  const head = h('div', {});
  root.append(h('h1', {}, 'Network overview'), head, cards, h('h2', {}, 'Transactions per block (recent)'), blocksChart, h('h2', {}, 'Last checkpoint on Ethereum'), checkpoint);
  const render = async () => {
    const [o, recent] = await Promise.all([api('overview'), api('blocks/recent?n=120')]);
    head.replaceChildren(asof(o.as_of_height));
    const d = o.devices;
    const p = o.proofs;
    const e = o.economics;
    const q = o.queue_times;
    cards.replaceChildren(
      card('Height', num(o.node_height), `indexed ${num(o.as_of_height)} · ${o.latest_block_time ? new Date(o.latest_block_time).toLocaleTimeString() : ''}`, { id: 'card-height' }),
      card('Validators', num(o.validators.bonded), `bonded · power ${num(o.validators.total_power)}`),
      card('Tx / s', o.tx_per_sec ?? '—', `block time ${o.block_time_ms ? (o.block_time_ms / 1000).toFixed(2) + ' s' : '—'} · last minute`),
      card('Mempool', num(o.mempool_size), q && q.count ? `queue p50 ${q.p50_ms} ms · p99 ${q.p99_ms} ms` : 'queue times: none yet'),
      card('Devices', num(d.total), `${num(d.located)} located · ${num(d.banned)} banned · ${num(d.deactivated)} off`, { id: 'card-devices' }),
      card('By sector', Object.values(d.by_sector).map(Number).join(' / '), 'coverage / storage / compute / sensor'),
      card('Coverage', num(o.coverage.occupied_cells_by_resolution['8']), `occupied res-8 hexes · ${num(o.coverage.occupied_cells_by_resolution['5'])} at res 5`),
      o.sources.proofs || BigInt(p.valid) + BigInt(p.invalid) > 0n ? card('Proofs', `${num(p.valid)} ✓ / ${num(p.invalid)} ✗`, `current epoch ${p.current_epoch ?? '—'}`) : card('Proofs', '—', 'no data yet: proofs module not on this chain', { 'data-empty': 'true' }),
      o.sources.earnings || BigInt(e.epochs_closed) > 0n ? card('Emitted', dpin(e.minted, 0), `demand burn ${dpin(e.credits_burned, 0)}`) : card('Emitted', '—', 'no data yet: rewards module not on this chain', { 'data-empty': 'true' }),
      card('Fees burned', dpin(e.device_fees_burned, 2), 'device registration and location fees'),
    );
    const blocks = recent.blocks;
    blocksChart.replaceChildren(blocks.length ? barChart({ bars: blocks.map((b) => ({ x: b.height, y: b.txs })), yLabel: 'txs', height: 180 }) : empty('No blocks yet.'));
    const cp = o.checkpoint;
    if (!cp.latest) checkpoint.replaceChildren(empty('No checkpoint yet (anchoring is off on this chain, or the first interval has not passed).'));
    else {
      const a = cp.last_acknowledged;
      checkpoint.replaceChildren(h('div', { class: 'cards' },
        card('Latest checkpoint', `#${cp.latest.number}`, `height ${cp.latest.height} · ${cp.latest.status}`),
        card('Acknowledged on Ethereum', a ? `#${a.number}` : '—', a ? `anchors height ${a.height} · Ethereum block ${a.eth_block_number}` : 'none yet'),
        card('Ethereum tx', a ? short(a.eth_tx_hash, 8) : '—', a ? `acknowledged at height ${a.acknowledged_at}` : ''),
        card('Checkpoint lag', cp.lag_blocks !== null ? `${num(cp.lag_blocks)} blocks` : '—', 'since the last anchored height'),
      ));
    }
  };
  await render();
  return { refresh: render };
}

const SECTORS = ['coverage', 'storage', 'compute', 'sensor'];
const deviceColumns = [
  { label: 'ID', key: 'id', num: true },
  { label: 'Owner', render: (d) => h('span', { class: 'mono', title: d.owner }, short(d.owner, 12)) },
  { label: 'Sector', key: 'sector' },
  { label: 'Model', key: 'model' },
  { label: 'Cell', render: (d) => h('span', { class: 'mono' }, d.cell || '—') },
  { label: 'Status', render: (d) => (d.active ? badge('active', 'good') : badge(d.inactive_reason, d.inactive_reason === 'banned' ? 'bad' : 'warn')) },
  { label: 'Registered', render: (d) => `#${d.registered_height}`, num: true },
];

async function devicesPage(root, params) {
  const search = h('input', { type: 'search', placeholder: 'device id, owner address, DID, H3 cell or manufacturer', value: params.get('q') || '', id: 'device-search' });
  const sector = h('select', { id: 'sector' }, h('option', { value: '' }, 'all sectors'), SECTORS.map((s) => h('option', { value: s, selected: params.get('sector') === s }, s)));
  const status = h('select', { id: 'status' }, h('option', { value: '' }, 'any status'), h('option', { value: 'active', selected: params.get('status') === 'active' }, 'active'), h('option', { value: 'inactive', selected: params.get('status') === 'inactive' }, 'inactive'));
  const info = h('div', { class: 'muted' });
  const tableBox = h('div', { id: 'devices-table' });
  const prev = h('button', { disabled: true }, '← newer');
  const next = h('button', { disabled: true }, 'older →');
  const keys = [null]; // page start keys (newest first)
  let at = 0;
  const go = () => {
    const p = new URLSearchParams();
    if (search.value.trim()) p.set('q', search.value.trim());
    if (sector.value) p.set('sector', sector.value);
    if (status.value) p.set('status', status.value);
    location.hash = `#/devices${p.toString() ? '?' + p : ''}`;
  };
  search.addEventListener('keydown', (e) => e.key === 'Enter' && go());
  sector.addEventListener('change', go);
  status.addEventListener('change', go);
  root.append(h('h1', {}, 'Devices'), h('div', { class: 'toolbar' }, search, h('button', { onclick: go }, 'Search'), sector, status, prev, next), info, tableBox);
  const load = async () => {
    const p = new URLSearchParams(params);
    p.set('pagination.limit', '50');
    p.set('pagination.reverse', 'true');
    if (keys[at]) p.set('pagination.key', keys[at]);
    const r = await api(`devices?${p}`);
    keys[at + 1] = r.pagination.next_key;
    prev.disabled = at === 0;
    next.disabled = !r.pagination.next_key;
    info.replaceChildren(asof(r.as_of_height), ` · page ${at + 1} · ${r.devices.length} shown`);
    tableBox.replaceChildren(r.devices.length
      ? table(deviceColumns, r.devices.map((d) => ({ ...d, __data: { deviceId: d.id } })), (d) => (location.hash = `#/device/${d.id}`))
      : empty(params.toString() ? 'No device matches.' : 'No device registered yet.'));
  };
  prev.addEventListener('click', () => { at = Math.max(0, at - 1); load(); });
  next.addEventListener('click', () => { at++; load(); });
  await load();
  return { refresh: load };
}

async function devicePage(root, id) {
  const head = h('div', {});
  const kv = h('div', { class: 'kv', id: 'device-kv' });
  const mapBox = h('div', { id: 'device-map' });
  const earnBox = h('div', { id: 'device-earnings' });
  const proofsBox = h('div', { id: 'device-proofs' });
  const locBox = h('div', { id: 'device-locations' });
  const bansBox = h('div', { id: 'device-bans' });
  const qualityBox = h('div', { id: 'device-quality' });
  root.append(head, h('div', { class: 'grid2' }, kv, mapBox), h('h2', {}, 'Earnings by epoch'), earnBox, h('h2', {}, 'Service quality'), qualityBox,
    h('h2', {}, 'Proofs'), proofsBox, h('div', { class: 'grid2' }, h('div', {}, h('h2', {}, 'Location history'), locBox), h('div', {}, h('h2', {}, 'Bans'), bansBox)));
  let map;
  const render = async () => {
    let d;
    try {
      d = await api(`devices/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err.status === 404) {
        head.replaceChildren(h('h1', {}, `Device ${id}`), empty(`Device ${id} is not in the index (yet).`));
        return;
      }
      throw err;
    }
    const dev = d.device;
    const [earn, proofs, locs, bans] = await Promise.all([
      api(`devices/${id}/earnings?pagination.limit=400&pagination.reverse=true`),
      api(`devices/${id}/proofs?pagination.limit=50`),
      api(`devices/${id}/locations?pagination.limit=100&pagination.reverse=true`),
      api(`devices/${id}/bans?pagination.limit=50&pagination.reverse=true`),
    ]);
    head.replaceChildren(h('h1', {}, `Device ${dev.id} `, dev.active ? badge('active', 'good') : badge(dev.inactive_reason, dev.inactive_reason === 'banned' ? 'bad' : 'warn')), asof(d.as_of_height));
    const h3 = dev.cell ? await loadH3() : null;
    const ll = dev.cell ? h3.cellToLatLng(dev.cell) : null;
    kv.replaceChildren(
      h('div', {}, 'Owner'), h('div', { class: 'mono' }, h('a', { href: `#/devices?q=${dev.owner}` }, dev.owner)),
      h('div', {}, 'DID'), h('div', { class: 'mono' }, short(dev.did, 24)),
      h('div', {}, 'Manufacturer / model'), h('div', {}, `${dev.manufacturer_id} / ${dev.model}`),
      h('div', {}, 'Sector'), h('div', {}, dev.sector),
      h('div', {}, 'Key type'), h('div', {}, dev.key_type),
      h('div', {}, 'Registered'), h('div', {}, `height ${dev.registered_height}`),
      h('div', {}, 'Location'), h('div', { id: 'device-location' }, dev.cell ? h('span', {}, h('span', { class: 'mono' }, dev.cell), ` · ${ll[0].toFixed(5)}, ${ll[1].toFixed(5)} · since height ${dev.location_height} · `, h('a', { href: `#/map?focus=${dev.cell}` }, 'on the map')) : 'not located yet'),
      h('div', {}, 'Fees burned'), h('div', {}, dpin(dev.fees_burned, 2)),
      h('div', {}, 'Transfers'), h('div', {}, String(dev.transfers)),
    );
    if (dev.cell) {
      const { HexMap } = await loadMap();
      if (!map) {
        mapBox.replaceChildren();
        map = new HexMap(mapBox, { h3, api, small: true });
      }
      map.setMarkers(locs.locations.map((l, i) => ({ cell: l.cell, current: i === 0 })));
    } else mapBox.replaceChildren(empty('Not located yet: no location asserted.'));
    // earnings
    const rows = earn.epochs.slice().reverse();
    if (rows.length) {
      earnBox.replaceChildren(h('div', { class: 'chart' }, barChart({
        bars: rows.map((r) => ({ x: r.epoch, y: units(r.units) })), line: rows.some((r) => r.paid && r.paid !== '0') ? rows.map((r) => ({ x: r.epoch, y: Number(BigInt(r.paid || '0')) / 1e6 })) : undefined,
        yLabel: 'reward units', lineLabel: 'DPIN paid',
      })), h('div', { class: 'muted' }, `${rows.length} epochs · earned in total ${earn.totals ? dpin(earn.totals.earned, 2) : '— (no payouts recorded)'}`));
    } else earnBox.replaceChildren(empty(sourceMissing('proofs') && sourceMissing('earnings') ? `${NOT_YET.earnings}` : 'No earnings recorded for this device yet.'));
    // quality
    const qa = d.quality;
    qualityBox.replaceChildren(qa.summary
      ? h('div', { class: 'cards' },
        card('Valid proofs', num(qa.summary.valid), `last valid at height ${qa.summary.last_valid_height}`),
        card('Invalid proofs', num(qa.summary.invalid), `${qa.summary.reversed} reversed by fraud challenges`),
        card('Valid share', qa.valid_ratio_ppm !== null ? `${(Number(qa.valid_ratio_ppm) / 1e4).toFixed(1)} %` : '—', `last ${qa.recent_epochs} epochs`),
        card('Reward units', fmtShort(units(qa.summary.units)), `${qa.epochs_with_valid_proof}/${qa.recent_epochs} recent epochs with a valid proof`),
        ...qa.reasons.filter((r) => r.reason !== 0).slice(0, 4).map((r) => card(`reason ${r.reason}`, num(r.count), r.reason_name)))
      : empty(sourceMissing('proofs') ? NOT_YET.proofs : 'No proofs recorded for this device yet.'));
    // proofs
    proofsBox.replaceChildren(proofs.proofs.length
      ? table([
        { label: 'Height', key: 'height', num: true }, { label: 'Proof', key: 'proof_id', num: true }, { label: 'Kind', key: 'kind' }, { label: 'Epoch', key: 'epoch', num: true },
        { label: 'Verdict', render: (p) => (p.valid ? badge(p.reversed ? 'valid, reversed' : 'valid', p.reversed ? 'warn' : 'good') : badge('invalid', 'bad')) },
        { label: 'Reason', render: (p) => `${p.reason} ${p.reason_name}` }, { label: 'Units', render: (p) => fmtShort(units(p.units)), num: true },
      ], proofs.proofs)
      : empty(sourceMissing('proofs') ? NOT_YET.proofs : 'No proofs recorded for this device yet.'));
    locBox.replaceChildren(locs.locations.length
      ? table([{ label: 'Height', key: 'height', num: true }, { label: 'Cell', render: (l) => h('span', { class: 'mono' }, l.cell) }, { label: 'From', render: (l) => h('span', { class: 'mono' }, l.previous_cell || '—') }, { label: 'Seniority', render: (l) => (l.seniority_reset ? 'reset' : 'kept') }], locs.locations)
      : empty('No location asserted.'));
    bansBox.replaceChildren(bans.bans.length
      ? table([{ label: 'Height', key: 'height', num: true }, { label: 'Action', key: 'action' }, { label: 'Reason', render: (b) => (b.reason_code !== undefined ? `code ${b.reason_code}` : b.reason || '') }, { label: 'Expires', render: (b) => (b.expires_height === undefined ? '' : b.expires_height === '0' ? 'never' : `height ${b.expires_height}`) }], bans.bans)
      : empty('Never banned.'));
  };
  await render();
  return { refresh: render, destroy: () => map?.destroy() };
}

async function mapPage(root, params) {
  const [h3, { HexMap }] = await Promise.all([loadH3(), loadMap()]);
  const mode = h('select', { id: 'map-mode' }, h('option', { value: 'devices' }, 'colour by devices'), h('option', { value: 'density' }, 'colour by density (devices/km²)'));
  const side = h('div', { class: 'side', id: 'cell-panel' }, h('h3', {}, 'Cell'), h('p', { class: 'muted' }, 'Click a hexagon to see its counts and its devices.'));
  const cellsList = h('tbody', {});
  const cellsTable = h('details', { id: 'cells-in-view' }, h('summary', {}, 'Cells in view (table)'), h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'cell'), h('th', { class: 'num' }, 'res'), h('th', { class: 'num' }, 'devices'), h('th', { class: 'num' }, 'active'), h('th', { class: 'num' }, 'devices/km²'))), cellsList));
  const mapBox = h('div', {});
  root.append(h('h1', {}, 'Coverage map'), h('div', { class: 'toolbar' }, mode, h('div', { class: 'legend' }, 'few', h('span', { class: 'ramp' }), 'many'), h('span', { class: 'muted' }, 'H3 hexagons; resolution follows the zoom; dim = no active device')), h('div', { class: 'map-wrap' }, mapBox, side), cellsTable);
  const showCell = async (c) => {
    if (!c) {
      side.replaceChildren(h('h3', {}, 'Cell'), h('p', { class: 'muted' }, 'No device in this hexagon.'));
      return;
    }
    const [r, full] = await Promise.all([api(`cells/${c.cell}/devices?pagination.limit=20`), api(`coverage/${c.cell}`)]);
    c = full.cell;
    side.replaceChildren(
      h('h3', {}, 'Cell ', h('span', { class: 'mono' }, c.cell)), asof(r.as_of_height),
      h('div', { class: 'kv' },
        h('div', {}, 'Resolution'), h('div', {}, String(c.resolution)),
        h('div', {}, 'Devices'), h('div', { id: 'cell-devices-count' }, String(c.devices)),
        h('div', {}, 'Active'), h('div', {}, String(c.active)),
        h('div', {}, 'Density'), h('div', {}, `${c.density} /km² (${c.area_km2} km²)`),
        h('div', {}, 'Occupied children'), h('div', {}, String(c.occupied_children)),
        h('div', {}, 'By sector'), h('div', {}, SECTORS.map((s) => `${s} ${c.by_sector[s]}`).join(', '))),
      // The cell's count comes from its aggregate: counting the list would scan every device under
      // a coarse hexagon, while the index thread waits.
      h('h3', {}, `Devices (${c.devices})`),
      table([{ label: 'ID', key: 'id', num: true }, { label: 'Sector', key: 'sector' }, { label: 'Owner', render: (d) => short(d.owner, 8) }, { label: '', render: (d) => (d.active ? badge('active', 'good') : badge(d.inactive_reason, 'warn')) }],
        r.devices.map((d) => ({ ...d, __data: { deviceId: d.id } })), (d) => (location.hash = `#/device/${d.id}`)),
    );
  };
  const map = new HexMap(mapBox, {
    h3, api, onSelect: showCell,
    onCells: (cells) => {
      if (!performance.getEntriesByName('map-cells').length) performance.mark('map-cells');
      document.body.dataset.mapCells = String(cells.length);
      cellsList.replaceChildren(...cells.slice().sort((a, b) => b.devices - a.devices).slice(0, 300).map((c) => h('tr', { dataset: { cell: c.cell } }, h('td', { class: 'mono' }, c.cell), h('td', { class: 'num' }, String(c.resolution)), h('td', { class: 'num' }, String(c.devices)), h('td', { class: 'num' }, String(c.active)), h('td', { class: 'num' }, String(c.density)))));
    },
  });
  mode.addEventListener('change', () => map.setMode(mode.value));
  const focus = params.get('focus');
  if (focus && h3.isValidCell(focus)) {
    const [lat, lng] = h3.cellToLatLng(focus);
    map.setView(lat, lng, 11);
  }
  return { refresh: () => map.refresh(), destroy: () => map.destroy() };
}

async function economicsPage(root) {
  const head = h('div', {});
  const cards = h('div', { class: 'cards' });
  const chart = h('div', { id: 'economics-chart' });
  const tbl = h('div', { id: 'economics-epochs' });
  const proofsChart = h('div', {});
  root.append(h('h1', {}, 'Economics'), head, cards, h('h2', {}, 'Emission vs demand burn per epoch'), chart, tbl, h('h2', {}, 'Proofs per epoch'), proofsChart);
  const render = async () => {
    const [eco, epochs] = await Promise.all([api('economics'), api('epochs?pagination.limit=365')]);
    const t = eco.totals;
    head.replaceChildren(asof(eco.as_of_height));
    const ratio = BigInt(t.credits_burned) > 0n ? (Number(BigInt(t.minted) * 1000n / BigInt(t.credits_burned)) / 1000).toFixed(2) : '—';
    cards.replaceChildren(
      card('Emitted', dpin(t.minted, 0), `${num(t.epochs_closed)} epochs closed`),
      card('Demand burn', dpin(t.credits_burned, 0), 'udpin burned for data credits'),
      card('Emission / burn', ratio, 'overall, lower is healthier'),
      card('Paid to devices', dpin(t.paid, 0), `unallocated (burned) ${dpin(t.unallocated, 0)}`),
      card('Claimed', dpin(t.claimed, 0), ''),
      card('Device fees burned', dpin(t.device_fees_burned, 2), 'registration + location'),
    );
    const rows = epochs.epochs.slice().reverse();
    if (!rows.length) {
      chart.replaceChildren(empty(sourceMissing('earnings') ? NOT_YET.economics : 'No epoch closed yet.'));
      tbl.replaceChildren();
    } else {
      chart.replaceChildren(h('div', { class: 'chart' }, barChart({
        bars: rows.map((r) => ({ x: r.epoch, y: Number(BigInt(r.minted)) / 1e6 })), line: rows.map((r) => ({ x: r.epoch, y: Number(BigInt(r.credits_burned)) / 1e6 })), yLabel: 'DPIN emitted (bars)', lineLabel: 'DPIN burned by demand (line)', sameAxis: true,
      })));
      tbl.replaceChildren(table([
        { label: 'Epoch', key: 'epoch', num: true }, { label: 'Emitted', render: (r) => dpin(r.minted, 2), num: true }, { label: 'Demand burn', render: (r) => dpin(r.credits_burned, 2), num: true },
        { label: 'Paid', render: (r) => dpin(r.paid, 2), num: true }, { label: 'Unallocated', render: (r) => dpin(r.unallocated, 2), num: true },
        { label: 'Subsidy / revenue', render: (r) => (r.distributed_height === '0' ? 'pending' : r.subsidy_to_revenue_ppm === null ? 'no revenue' : (Number(r.subsidy_to_revenue_ppm) / 1e6).toFixed(2)), num: true },
      ], epochs.epochs.slice(0, 30)));
    }
    const pe = eco.proofs_by_epoch.slice().reverse();
    proofsChart.replaceChildren(pe.length
      ? h('div', { class: 'chart' }, barChart({ bars: pe.map((r) => ({ x: r.epoch, y: r.valid })), line: pe.map((r) => ({ x: r.epoch, y: r.invalid })), yLabel: 'valid proofs', lineLabel: 'invalid' }))
      : empty(sourceMissing('proofs') ? NOT_YET.proofs : 'No proofs yet.'));
  };
  await render();
  return { refresh: render };
}

// ------------------------------------------------------------------ router

const routes = [
  [/^#?\/?$/, 'overview', (root) => overviewPage(root)],
  [/^#\/devices$/, 'devices', (root, _m, params) => devicesPage(root, params)],
  [/^#\/device\/([0-9]+)$/, 'devices', (root, m) => devicePage(root, m[1])],
  [/^#\/map$/, 'map', (root, _m, params) => mapPage(root, params)],
  [/^#\/economics$/, 'economics', (root) => economicsPage(root)],
  [/^#\/simulation$/, 'simulation', (root, _m, params) => simulationPage(root, params, { h, api, card, table, empty, dpin, num })],
];

async function route() {
  const [path, query] = (location.hash || '#/').split('?');
  const params = new URLSearchParams(query || '');
  state.page?.destroy?.();
  state.page = null;
  const root = h('div', {});
  $main.replaceChildren(root);
  for (const [re, nav, page] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.dataset.nav === nav));
    try {
      state.page = await page(root, m, params);
      document.body.dataset.page = nav;
      document.body.dataset.ready = 'true';
      performance.mark?.('dashboard-ready');
    } catch (err) {
      root.append(h('p', { class: 'error' }, `Cannot load this page: ${err.message}`));
    }
    return;
  }
  root.append(h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Overview')));
}

async function main() {
  try {
    state.status = await api('status');
    document.getElementById('chain-id').textContent = state.status.chain_id ?? '';
    setHeight(state.status.node_height, state.status.as_of_height);
  } catch (err) {
    $main.replaceChildren(h('p', { class: 'error' }, `Cannot reach the node's index: ${err.message}`));
  }
  window.addEventListener('hashchange', () => {
    document.body.dataset.ready = 'false';
    route();
  });
  await route();
  live();
}

main();

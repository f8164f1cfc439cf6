// The coverage map: a canvas with a Web Mercator projection, Natural Earth land (served by the
// node), and H3 cells from the index's coverage view coloured by device count or density. The
// resolution follows the zoom; at resolution 3 and finer only cells under the parents covering
// the viewport are requested, so the browser never receives more than a screenful of cells.
import { topoRings } from './topo.js';

const EDGE_KM = [1107.7, 418.7, 158.2, 59.8, 22.6, 8.54, 3.23, 1.22, 0.461, 0.174, 0.0659, 0.0249, 0.00941];
const EARTH_KM = 40075;
const MAX_LAT = 85.05;
const RAMP = [[0x1b, 0x5e, 0x20], [0xfd, 0xd8, 0x35], [0xff, 0x70, 0x43], [0xd5, 0x00, 0x00]];

const landPromises = {};
/** Land rings (1:110m, or 1:50m for closer zooms) with longitudes unwrapped (continuous) and a
 * bounding box each; a ring crossing the antimeridian is kept twice, shifted by 360°, so both
 * halves are drawn. */
function land(scale = '110m') {
  landPromises[scale] ??= fetch(`/dashboard/vendor/land-${scale}.json`).then((r) => r.json()).then((t) => {
    const out = [];
    for (const ring of topoRings(t, 'land')) {
      let prev;
      let crosses = false;
      const un = ring.map(([lng, lat]) => {
        if (prev !== undefined) {
          while (lng - prev > 180) lng -= 360;
          while (prev - lng > 180) lng += 360;
        }
        if (lng > 180 || lng < -180) crosses = true;
        prev = lng;
        return [lng, lat];
      });
      out.push(un);
      if (crosses) out.push(un.map(([lng, lat]) => [lng + (un.some(([x]) => x > 180) ? -360 : 360), lat]));
    }
    for (const ring of out) {
      let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const [lng, lat] of ring) {
        if (lng < w) w = lng;
        if (lng > e) e = lng;
        if (lat < s) s = lat;
        if (lat > n) n = lat;
      }
      ring.bbox = [w, s, e, n];
    }
    return out;
  }).catch(() => []);
  return landPromises[scale];
}

const mercX = (lng) => (lng + 180) / 360;
const mercY = (lat) => {
  const φ = (Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI) / 180;
  return (1 - Math.log(Math.tan(φ) + 1 / Math.cos(φ)) / Math.PI) / 2;
};
const invX = (x) => x * 360 - 180;
const invY = (y) => (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;

function ramp(t) {
  t = Math.max(0, Math.min(1, t));
  const seg = t * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(seg));
  const f = seg - i;
  const c = RAMP[i].map((a, k) => Math.round(a + (RAMP[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export class HexMap {
  /**
   * opts: h3 (the h3-js module), api(path) -> JSON, onSelect(cell | null), small (no controls),
   * onCells(cells, resolution) after each load.
   */
  constructor(container, opts) {
    this.h3 = opts.h3;
    this.api = opts.api;
    this.opts = opts;
    this.mode = 'devices';
    this.cells = [];
    this.byId = new Map();
    this.markers = [];
    this.selected = null;
    this.boundaryCache = new Map();
    this.cx = 0.5; this.cy = 0.4; this.zoom = 1.5;
    this.el = document.createElement('div');
    this.el.className = 'map' + (opts.small ? ' small' : '');
    this.canvas = document.createElement('canvas');
    this.el.append(this.canvas);
    this.statusEl = document.createElement('div');
    this.statusEl.className = 'status';
    this.el.append(this.statusEl);
    if (!opts.small) {
      const controls = document.createElement('div');
      controls.className = 'controls';
      for (const [label, fn, title] of [['+', () => this.zoomBy(1), 'zoom in'], ['−', () => this.zoomBy(-1), 'zoom out'], ['⤢', () => this.fit(), 'fit to devices']]) {
        const b = document.createElement('button');
        b.textContent = label;
        b.title = title;
        b.addEventListener('click', fn);
        controls.append(b);
      }
      this.el.append(controls);
    }
    container.append(this.el);
    this.ctx = this.canvas.getContext('2d');
    this.bind();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.el);
    this.resize();
    land().then((rings) => {
      this.land = rings;
      this.draw();
    });
  }

  destroy() {
    this.resizeObserver.disconnect();
    this.abort?.abort();
    clearTimeout(this.loadTimer);
    this.el.remove();
  }

  get W() {
    return 256 * 2 ** this.zoom;
  }

  resize() {
    const r = this.el.getBoundingClientRect();
    if (!this.viewSet && r.width > 0) {
      // First layout: the whole world across the width.
      this.viewSet = true;
      this.zoom = Math.max(this.zoom, Math.log2(r.width / 256));
    }
    const dpr = window.devicePixelRatio || 1;
    this.w = Math.max(1, r.width);
    this.h = Math.max(1, r.height);
    this.canvas.width = Math.round(this.w * dpr);
    this.canvas.height = Math.round(this.h * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.draw();
    this.scheduleLoad();
  }

  project(lng, lat) {
    return [(mercX(lng) - this.cx) * this.W + this.w / 2, (mercY(lat) - this.cy) * this.W + this.h / 2];
  }

  unproject(px, py) {
    const x = this.cx + (px - this.w / 2) / this.W;
    const y = this.cy + (py - this.h / 2) / this.W;
    return [invX(x), invY(Math.max(0, Math.min(1, y)))];
  }

  clamp() {
    this.zoom = Math.max(0, Math.min(22, this.zoom));
    this.cx = Math.max(0, Math.min(1, this.cx));
    this.cy = Math.max(0, Math.min(1, this.cy));
  }

  setView(lat, lng, zoom) {
    this.viewSet = true;
    this.cx = mercX(lng);
    this.cy = mercY(lat);
    if (zoom !== undefined) this.zoom = zoom;
    this.clamp();
    this.draw();
    this.scheduleLoad();
  }

  zoomBy(dz, px = this.w / 2, py = this.h / 2) {
    const [lng, lat] = this.unproject(px, py);
    this.zoom += dz;
    this.clamp();
    // keep the point under the cursor in place
    this.cx = mercX(lng) - (px - this.w / 2) / this.W;
    this.cy = mercY(lat) - (py - this.h / 2) / this.W;
    this.clamp();
    this.draw();
    this.scheduleLoad();
  }

  /** Zoom to the loaded cells (or markers). */
  fit() {
    this.viewSet = true;
    const pts = this.markers.length ? this.markers.map((m) => this.h3.cellToLatLng(m.cell)) : this.cells.map((c) => this.h3.cellToLatLng(c.cell));
    if (!pts.length) return this.setView(20, 0, 1.2);
    const xs = pts.map(([, lng]) => mercX(lng));
    const ys = pts.map(([lat]) => mercY(lat));
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const span = Math.max(x1 - x0, y1 - y0, 1e-7);
    this.cx = (x0 + x1) / 2;
    this.cy = (y0 + y1) / 2;
    this.zoom = Math.min(this.markers.length ? 12 : 11, Math.log2((Math.min(this.w, this.h) * 0.6) / span / 256));
    this.clamp();
    this.draw();
    this.scheduleLoad();
  }

  bind() {
    let drag = null;
    this.el.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = this.el.getBoundingClientRect();
      this.zoomBy(-Math.sign(e.deltaY) * 0.5, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    this.el.addEventListener('pointerdown', (e) => {
      if (e.target !== this.canvas) return;
      drag = { x: e.clientX, y: e.clientY, cx: this.cx, cy: this.cy, moved: false };
      this.canvas.setPointerCapture(e.pointerId);
    });
    this.el.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      this.cx = drag.cx - dx / this.W;
      this.cy = drag.cy - dy / this.W;
      this.clamp();
      this.draw();
    });
    this.el.addEventListener('pointerup', (e) => {
      if (!drag) return;
      const moved = drag.moved;
      drag = null;
      if (moved) return this.scheduleLoad();
      const r = this.el.getBoundingClientRect();
      this.clickAt(e.clientX - r.left, e.clientY - r.top);
    });
    this.el.addEventListener('dblclick', (e) => {
      const r = this.el.getBoundingClientRect();
      this.zoomBy(1, e.clientX - r.left, e.clientY - r.top);
    });
  }

  clickAt(px, py) {
    if (this.opts.small) return;
    const [lng, lat] = this.unproject(px, py);
    const cell = this.h3.latLngToCell(lat, lng, this.res);
    const hit = this.byId.get(cell);
    this.selected = hit ? cell : null;
    this.draw();
    this.opts.onSelect?.(hit ?? null);
  }

  /** Resolution whose hexagons are at most ~36 px across at this zoom. */
  get res() {
    const ppk = this.W / EARTH_KM;
    for (let r = 0; r < EDGE_KM.length; r++) if (2 * EDGE_KM[r] * ppk <= 36) return r;
    return 12;
  }

  scheduleLoad() {
    if (this.opts.small) return;
    clearTimeout(this.loadTimer);
    this.loadTimer = setTimeout(() => this.load(), 120);
  }

  /** Parent cells covering the viewport, coarse enough to be at most `max` of them. */
  viewportParents(res, max = 48) {
    const [w, n] = this.unproject(0, 0);
    const [e, s] = this.unproject(this.w, this.h);
    for (let pr = Math.max(0, res - 3); pr >= 0; pr--) {
      const pad = (EDGE_KM[pr] * 1.5) / 111;
      const south = Math.max(-89, s - pad), north = Math.min(89, n + pad);
      const west = w - pad / Math.max(0.1, Math.cos((n * Math.PI) / 180)), east = e + pad / Math.max(0.1, Math.cos((n * Math.PI) / 180));
      if (east - west >= 180) continue;
      const boxes = [];
      const box = (a, b) => boxes.push([[south, a], [north, a], [north, b], [south, b]]);
      if (west < -180) { box(west + 360, 180); box(-180, east); }
      else if (east > 180) { box(west, 180); box(-180, east - 360); }
      else box(west, east);
      const set = new Set();
      for (const b of boxes) for (const c of this.h3.polygonToCells(b, pr)) set.add(c);
      // cells straddling the edge have their centre outside the box: add the neighbours
      for (const c of [...set]) for (const d of this.h3.gridDisk(c, 1)) set.add(d);
      if (set.size <= max) return [...set];
    }
    return null;
  }

  async load() {
    const res = this.res;
    let path = `/depin/indexer/v1/coverage?res=${res}&compact=true&pagination.limit=20000`;
    if (res >= 3) {
      const parents = this.viewportParents(res);
      if (parents) path += `&parents=${parents.join(',')}`;
    }
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    try {
      const r = await this.api(path, { signal: ac.signal });
      if (ac.signal.aborted) return;
      const f = Object.fromEntries(r.fields.map((name, i) => [name, i]));
      this.cells = r.rows.map((x) => ({ cell: x[f.cell], devices: x[f.devices], active: x[f.active], occupied_children: x[f.occupied_children], density: x[f.density], resolution: res }));
      this.byId = new Map(this.cells.map((c) => [c.cell, c]));
      this.loadedRes = res;
      this.asOf = r.as_of_height;
      this.truncated = !!r.truncated || !!r.pagination?.next_key;
      this.draw();
      this.opts.onCells?.(this.cells, res, r.as_of_height);
    } catch (err) {
      if (err.name !== 'AbortError') this.statusEl.textContent = `cannot load cells: ${err.message}`;
    }
  }

  refresh() {
    this.load();
  }

  setMode(mode) {
    this.mode = mode;
    this.draw();
  }

  setMarkers(markers) {
    this.markers = markers;
    this.fit();
  }

  boundary(cell) {
    let b = this.boundaryCache.get(cell);
    if (!b) {
      b = this.h3.cellToBoundary(cell);
      // unwrap across the antimeridian relative to the first vertex
      const lng0 = b[0][1];
      b = b.map(([lat, lng]) => [lat, lng - lng0 > 180 ? lng - 360 : lng0 - lng > 180 ? lng + 360 : lng]);
      if (this.boundaryCache.size > 50000) this.boundaryCache.clear();
      this.boundaryCache.set(cell, b);
    }
    return b;
  }

  pathCell(cell) {
    const ctx = this.ctx;
    ctx.beginPath();
    this.boundary(cell).forEach(([lat, lng], i) => {
      const [x, y] = this.project(lng, lat);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.closePath();
  }

  draw() {
    if (!this.ctx || !this.w) return;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const ctx = this.ctx;
    ctx.clearRect(0, 0, this.w, this.h);
    ctx.fillStyle = '#0b1a26';
    ctx.fillRect(0, 0, this.w, this.h);
    // graticule every 30°
    ctx.strokeStyle = '#12283a';
    ctx.lineWidth = 1;
    for (let lng = -180; lng <= 180; lng += 30) {
      const [x] = this.project(lng, 0);
      ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, this.h); ctx.stroke();
    }
    for (let lat = -60; lat <= 60; lat += 30) {
      const [, y] = this.project(0, lat);
      ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(this.w, y); ctx.stroke();
    }
    if (this.zoom >= 3.5 && !this.landDetailRequested) {
      this.landDetailRequested = true;
      land('50m').then((rings) => {
        this.landDetail = rings;
        this.draw();
      });
    }
    const rings = this.zoom >= 3.5 && this.landDetail ? this.landDetail : this.land;
    if (rings) {
      ctx.fillStyle = '#1d3346';
      ctx.strokeStyle = '#2b4a63';
      ctx.beginPath();
      const [vw, vn] = this.unproject(0, 0);
      const [ve, vs] = this.unproject(this.w, this.h);
      for (const ring of rings) {
        const [w, s, e, n] = ring.bbox;
        if (e < vw || w > ve || n < vs || s > vn) continue; // off screen
        ring.forEach(([lng, lat], i) => {
          const [x, y] = this.project(lng, lat);
          if (i === 0) ctx.moveTo(x, y);
          else ctx.lineTo(x, y);
        });
        ctx.closePath();
      }
      ctx.fill();
      ctx.stroke();
    }
    const value = (c) => (this.mode === 'density' ? c.density : c.devices);
    // Counts: the ramp spans at least 0..10 devices, so one device is not already "many".
    const max = Math.max(this.mode === 'density' ? 1e-9 : 10, ...this.cells.map(value));
    ctx.lineWidth = 1;
    for (const c of this.cells) {
      this.pathCell(c.cell);
      ctx.globalAlpha = c.active ? 0.85 : 0.45;
      ctx.fillStyle = ramp(Math.log1p(value(c)) / Math.log1p(max));
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.strokeStyle = c.cell === this.selected ? '#ffffff' : 'rgba(0,0,0,.35)';
      ctx.lineWidth = c.cell === this.selected ? 2.5 : 1;
      ctx.stroke();
    }
    for (const m of this.markers) {
      this.pathCell(m.cell);
      ctx.fillStyle = m.current ? 'rgba(79,195,247,.55)' : 'rgba(132,148,165,.35)';
      ctx.fill();
      const [lat, lng] = this.h3.cellToLatLng(m.cell);
      const [x, y] = this.project(lng, lat);
      ctx.beginPath();
      ctx.arc(x, y, m.current ? 6 : 4, 0, 2 * Math.PI);
      ctx.fillStyle = m.current ? '#4fc3f7' : '#8494a5';
      ctx.fill();
      ctx.strokeStyle = '#0f1419';
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    const [lng, lat] = this.unproject(this.w / 2, this.h / 2);
    this.statusEl.textContent = this.opts.small
      ? `${lat.toFixed(4)}, ${lng.toFixed(4)}`
      : `res ${this.loadedRes ?? this.res} · ${this.cells.length} cells${this.truncated ? ' (first page)' : ''} · ${lat.toFixed(2)}, ${lng.toFixed(2)} · zoom ${this.zoom.toFixed(1)}${this.asOf ? ` · as of height ${this.asOf}` : ''}`;
  }
}

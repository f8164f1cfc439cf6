// Coverage view: for every H3 cell at resolutions 0..12 that holds a located device, how many
// devices it holds (active ones, per sector) and how many of its children (resolution + 1) are
// occupied — Helium's hex density notion. Maintained incrementally from the devices module's events,
// so a map at any zoom reads pre-aggregated cells instead of devices.
//
// "Active" here is device-level (not deactivated, not banned); a manufacturer-wide ban or
// revocation is not folded into cell counts (the devices view answers per device).
import * as h3 from 'h3-js';
import { descendantRange, parseCell, resolutionOf } from '../../../modules/devices/h3.ts';
import { cat, u64, u8, readU64, PageRequestError, type PageRequest, type ViewWriter } from './kv.ts';
import { attrBig, sectorNumber, SECTORS, type BlockSummary, type QueryContext, type View, type ViewEvent } from './view.ts';

export const MAX_RES = 12;
const T = { cell: 0x63, device: 0x64, occupied: 0x6e } as const;

// Cell record: u32 × 8 = devices, active, occupied children, coverage, storage, compute, sensor, 0.
const F = { devices: 0, active: 1, children: 2, sector0: 3 } as const;
const FIELDS = 8;

function decodeCell(v: Uint8Array | undefined): Uint32Array {
  const out = new Uint32Array(FIELDS);
  if (!v) return out;
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  for (let i = 0; i < FIELDS && 4 * i + 4 <= v.byteLength; i++) out[i] = dv.getUint32(4 * i);
  return out;
}

function encodeCell(a: Uint32Array): Uint8Array {
  const b = Buffer.allocUnsafe(4 * FIELDS);
  for (let i = 0; i < FIELDS; i++) b.writeUInt32BE(a[i]!, 4 * i);
  return b;
}

// Device state: u64 cell (0 = not located), u8 sector, u8 flags (1 deactivated, 2 banned).
interface DevState {
  cell: bigint;
  sector: number;
  flags: number;
}

const decodeDev = (v: Uint8Array): DevState => ({ cell: readU64(v), sector: v[8]!, flags: v[9]! });
const encodeDev = (d: DevState): Uint8Array => cat(u64(d.cell), Uint8Array.of(d.sector, d.flags));
const active = (d: DevState) => d.flags === 0;

/**
 * The 8-byte keys of a resolution-12 cell's ancestors at resolutions 0..12 (index = resolution):
 * H3's cellToParent on the key bytes — set the resolution field, set every digit past it to 7 —
 * with 32-bit integer ops (a view update touches 13 ancestors twice; BigInt was the hot spot).
 */
export function ancestorKeys(cell12: bigint): Uint8Array[] {
  const hi0 = Number(cell12 >> 32n) >>> 0;
  const lo0 = Number(cell12 & 0xffffffffn) >>> 0;
  const out: Uint8Array[] = [];
  for (let r = 0; r <= MAX_RES; r++) {
    const n = (15 - r) * 3; // low bits holding digits r+1..15
    let hi = ((hi0 & ~(0xf << 20)) | (r << 20)) >>> 0;
    let lo = lo0;
    if (n >= 32) {
      lo = 0xffffffff;
      hi = (hi | ((1 << (n - 32)) - 1)) >>> 0;
    } else lo = (lo | ((1 << n) - 1)) >>> 0;
    const b = Buffer.allocUnsafe(8);
    b.writeUInt32BE(hi, 0);
    b.writeUInt32BE(lo, 4);
    out.push(b);
  }
  return out;
}

/** Adds (sign +1) or removes (-1) one device at a resolution-12 cell, at every resolution. */
async function place(w: ViewWriter, cell12: bigint, sector: number, isActive: boolean, sign: 1 | -1): Promise<void> {
  const keys = ancestorKeys(cell12);
  for (let r = MAX_RES; r >= 0; r--) {
    const c = keys[r]!;
    const rec = decodeCell(await w.get(u8(T.cell), u8(r), c));
    const before = rec[F.devices]!;
    if (sign < 0 && before === 0) throw new Error(`coverage: removing a device from empty cell ${Buffer.from(c).toString('hex')}`);
    rec[F.devices] = before + sign;
    if (isActive) rec[F.active] = rec[F.active]! + sign;
    if (sector >= 1 && sector <= 4) rec[F.sector0 + sector - 1] = rec[F.sector0 + sector - 1]! + sign;
    const emptied = rec[F.devices] === 0;
    const created = before === 0;
    if (emptied) w.del(u8(T.cell), u8(r), c);
    else w.put(encodeCell(rec), u8(T.cell), u8(r), c);
    if (created || emptied) {
      await w.add(created ? 1n : -1n, u8(T.occupied), u8(r));
      if (r > 0) {
        const parent = keys[r - 1]!;
        const prec = decodeCell(await w.get(u8(T.cell), u8(r - 1), parent));
        prec[F.children] = prec[F.children]! + (created ? 1 : -1);
        // The parent's own device count is updated at r - 1 (next iteration), so it exists by then.
        w.put(encodeCell(prec), u8(T.cell), u8(r - 1), parent);
      }
    }
  }
}

async function setActive(w: ViewWriter, cell12: bigint, delta: 1 | -1): Promise<void> {
  const keys = ancestorKeys(cell12);
  for (let r = MAX_RES; r >= 0; r--) {
    const rec = decodeCell(await w.get(u8(T.cell), u8(r), keys[r]!));
    rec[F.active] = rec[F.active]! + delta;
    w.put(encodeCell(rec), u8(T.cell), u8(r), keys[r]!);
  }
}

/** Reads ahead every device state and every cell record (all resolutions) the block touches. */
async function prefetch(w: ViewWriter, events: readonly ViewEvent[]): Promise<void> {
  const idOf = (e: ViewEvent) => attrBig(e, e.type === 'ban' || e.type === 'ban_lifted' ? 'target_id' : 'device_id');
  const relevant = events.filter((e) => e.type !== 'device_registered' && ((e.type !== 'ban' && e.type !== 'ban_lifted') || e.attrs.target_type === 'device'));
  if (!relevant.length) return;
  await w.prefetch(relevant.map((e) => [u8(T.device), u64(idOf(e))]));
  const cells: bigint[] = [];
  for (const e of relevant) {
    const raw = await w.get(u8(T.device), u64(idOf(e)));
    if (raw) cells.push(decodeDev(raw).cell);
    if (e.type === 'device_location_asserted' && e.attrs.cell) cells.push(parseCell(e.attrs.cell));
  }
  const keys: Uint8Array[][] = [];
  for (const c of cells) if (c !== 0n && resolutionOf(c) === MAX_RES) ancestorKeys(c).forEach((k, r) => keys.push([u8(T.cell), u8(r), k]));
  for (let r = 0; r <= MAX_RES; r++) keys.push([u8(T.occupied), u8(r)]);
  await w.prefetch(keys);
}

async function apply(w: ViewWriter, events: readonly ViewEvent[], _summary: BlockSummary): Promise<void> {
  await prefetch(w, events);
  for (const e of events) {
    const isBan = e.type === 'ban' || e.type === 'ban_lifted';
    if (isBan && e.attrs.target_type !== 'device') continue;
    const id = attrBig(e, isBan ? 'target_id' : 'device_id');
    if (e.type === 'device_registered') {
      w.put(encodeDev({ cell: 0n, sector: sectorNumber(e.attrs.sector), flags: 0 }), u8(T.device), u64(id));
      continue;
    }
    const raw = await w.get(u8(T.device), u64(id));
    if (!raw) continue;
    const d = decodeDev(raw);
    if (e.type === 'device_location_asserted') {
      const cell = parseCell(e.attrs.cell ?? '');
      if (resolutionOf(cell) !== MAX_RES) throw new Error(`coverage: location cell ${e.attrs.cell} is not resolution ${MAX_RES}`);
      if (d.cell !== 0n) await place(w, d.cell, d.sector, active(d), -1);
      await place(w, cell, d.sector, active(d), 1);
      d.cell = cell;
    } else {
      const bit = e.type === 'device_deactivated' || e.type === 'device_reactivated' ? 1 : 2;
      const on = e.type === 'device_deactivated' || e.type === 'ban';
      const was = active(d);
      d.flags = on ? d.flags | bit : d.flags & ~bit;
      if (d.cell !== 0n && was !== active(d)) await setActive(w, d.cell, active(d) ? 1 : -1);
    }
    w.put(encodeDev(d), u8(T.device), u64(id));
  }
}

// ------------------------------------------------------------------ queries

export interface CellAnswer {
  cell: string;
  resolution: number;
  devices: number;
  active: number;
  /** Occupied cells one resolution finer (Helium-style density: how spread out the devices are). */
  occupied_children: number;
  by_sector: Record<string, number>;
  area_km2: number;
  /** Devices per km². */
  density: number;
}

const areaCache = new Map<string, number>();
function area(hex: string): number {
  let a = areaCache.get(hex);
  if (a === undefined) {
    a = h3.cellArea(hex, 'km2');
    if (areaCache.size > 100_000) areaCache.clear();
    areaCache.set(hex, a);
  }
  return a;
}

function cellAnswer(res: number, c: bigint, v: Uint8Array): CellAnswer {
  const rec = decodeCell(v);
  const hex = c.toString(16);
  const a = area(hex);
  const by_sector: Record<string, number> = {};
  for (let s = 1; s <= 4; s++) by_sector[SECTORS[s]!] = rec[F.sector0 + s - 1]!;
  return {
    cell: hex, resolution: res, devices: rec[F.devices]!, active: rec[F.active]!, occupied_children: res < MAX_RES ? rec[F.children]! : 0, by_sector,
    area_km2: Number(a.toPrecision(6)), density: Number((rec[F.devices]! / a).toPrecision(6)),
  };
}

function parseRes(s: string | undefined): number {
  const r = Number(s ?? '');
  if (!Number.isInteger(r) || r < 0 || r > MAX_RES) throw new PageRequestError(`res must be an integer within 0..${MAX_RES}`);
  return r;
}

function parseCellParam(s: string): bigint {
  try {
    return parseCell(s);
  } catch (err) {
    throw new PageRequestError((err as Error).message);
  }
}

export const MAX_PARENTS = 64;

/** Occupied cells at `res`, optionally only those under given coarser cells (`parents`). */
async function cells(ctx: QueryContext, p: Record<string, string | undefined>, page: PageRequest) {
  const res = parseRes(p.res);
  const parents = (p.parents ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (parents.length > MAX_PARENTS) throw new PageRequestError(`at most ${MAX_PARENTS} parent cells`);
  const sub = cat(u8(T.cell), u8(res));
  // compact=true: rows of [cell, devices, active, occupied_children, density] (the map's form,
  // a quarter of the bytes).
  const compact = p.compact === 'true';
  const shape = (c: CellAnswer) => (compact ? [c.cell, c.devices, c.active, c.occupied_children, c.density] : c);
  const done = (items: CellAnswer[], extra: Record<string, unknown>) =>
    compact ? { resolution: res, fields: COMPACT_FIELDS, rows: items.map(shape), ...extra } : { resolution: res, cells: items, ...extra };
  if (parents.length === 0) {
    const r = await ctx.reader.paginate(sub, { ...page, limit: page.limit || 2000 }, (k, v) => cellAnswer(res, readU64(k), v), { maxLimit: MAX_CELLS });
    return done(r.items, { pagination: r.pagination });
  }
  // Each parent's descendants at `res` are one key range; ranges of distinct parents do not
  // overlap unless one parent contains another (then the inner one is skipped).
  const ranges = parents.map((s) => {
    const c = parseCellParam(s);
    if (resolutionOf(c) > res) throw new PageRequestError(`parent ${s} is finer than res ${res}`);
    return descendantRange(c, res);
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = r[1] > last[1] ? r[1] : last[1];
    else merged.push([r[0], r[1]]);
  }
  const limit = Math.min(page.limit || 5000, MAX_CELLS);
  const out: CellAnswer[] = [];
  let truncated = false;
  for (const [lo, hi] of merged) {
    for await (const [k, v] of ctx.reader.range(sub, { gte: u64(lo), lte: u64(hi) })) {
      if (out.length >= limit) {
        truncated = true;
        break;
      }
      out.push(cellAnswer(res, readU64(k), v));
    }
    if (truncated) break;
  }
  return done(out, { truncated });
}

export const MAX_CELLS = 20_000;
export const COMPACT_FIELDS = ['cell', 'devices', 'active', 'occupied_children', 'density'];

/** One cell and its occupied children (resolution + 1). */
async function cell(ctx: QueryContext, p: Record<string, string | undefined>) {
  const c = parseCellParam(p.cell ?? '');
  const res = resolutionOf(c);
  if (res > MAX_RES) throw new PageRequestError(`cell resolution must be 0..${MAX_RES}`);
  const v = await ctx.reader.get(u8(T.cell), u8(res), u64(c));
  const children: CellAnswer[] = [];
  if (v && res < MAX_RES) {
    const [lo, hi] = descendantRange(c, res + 1);
    for await (const [k, cv] of ctx.reader.range(cat(u8(T.cell), u8(res + 1)), { gte: u64(lo), lte: u64(hi) })) children.push(cellAnswer(res + 1, readU64(k), cv));
  }
  return { cell: v ? cellAnswer(res, c, v) : { ...cellAnswer(res, c, new Uint8Array()), devices: 0 }, children };
}

async function stats(ctx: QueryContext) {
  const occupied: Record<string, string> = {};
  for (let r = 0; r <= MAX_RES; r++) occupied[r] = (await ctx.reader.counter(u8(T.occupied), u8(r))).toString();
  return { occupied_cells_by_resolution: occupied };
}

export const coverageView: View = {
  name: 'coverage',
  version: 1,
  events: ['device_registered', 'device_location_asserted', 'device_deactivated', 'device_reactivated', 'ban', 'ban_lifted'],
  apply,
  queries: { cells, cell, stats: (ctx) => stats(ctx) },
};

// Devices view: one row per device (owner, sector, model, location, status, ban) with indexes by
// owner, sector, manufacturer, H3 cell and DID, the full location and ban history (the module
// keeps only the last few locations), and network counters. Built from the devices module's events.
import { ACCOUNT_PREFIX } from '../../../chain/crypto/address.ts';
import { descendantRange, parseCell, resolutionOf } from '../../../modules/devices/h3.ts';
import { cat, str, u32, u64, u8, readU64, parseJson, PageRequestError, type PageRequest, type ViewWriter } from './kv.ts';
import { attrBig, coinAmount, sectorNumber, SECTORS, type BlockSummary, type QueryContext, type View, type ViewEvent } from './view.ts';

export interface BanInfo {
  reason_code: number;
  expires_height: string; // "0" = until lifted
  height: string;
  evidence_hash: string;
  appealed: boolean;
}

export interface DeviceRow {
  id: string;
  owner: string;
  did: string;
  manufacturer_id: string;
  model: string;
  sector: string;
  key_type: string;
  registered_height: string;
  /** H3 cell (resolution 12, hex) or '' when never located. */
  cell: string;
  location_height: string;
  location_count: number;
  deactivated: boolean;
  ban: BanInfo | null;
  ban_events: number;
  transfers: number;
  /** udpin burned by this device's registration and location fees. */
  fees_burned: string;
  updated_height: string;
}

export interface ManufacturerRow {
  id: string;
  status: string;
  ban: BanInfo | null;
}

export interface LocationEntry {
  seq: number;
  cell: string;
  previous_cell: string;
  height: string;
  seniority_reset: boolean;
}

export interface BanEntry {
  seq: number;
  action: 'ban' | 'lifted' | 'appeal';
  height: string;
  reason_code?: number;
  expires_height?: string;
  evidence_hash?: string;
  reason?: string;
  appellant?: string;
}

// Tables (after the view prefix)
const T = {
  row: 0x64, // d ‖ u64 id -> DeviceRow
  owner: 0x6f, // o ‖ str owner ‖ u64 id
  sector: 0x73, // s ‖ u8 sector ‖ u64 id
  cell: 0x63, // c ‖ u64 cell(res 12) ‖ u64 id
  mfr: 0x6d, // m ‖ str manufacturer ‖ u64 id
  did: 0x6b, // k ‖ str did -> u64 id
  loc: 0x6c, // l ‖ u64 id ‖ u32 seq -> LocationEntry
  ban: 0x62, // b ‖ u64 id ‖ u32 seq -> BanEntry
  mfrRow: 0x4d, // M ‖ str manufacturer -> ManufacturerRow
  count: 0x6e, // n ‖ str name -> u64
} as const;

const t = (x: number) => u8(x);
const ONE = Uint8Array.of(1);

function cellBig(hex: string): bigint {
  return hex ? BigInt('0x' + hex) : 0n;
}

async function count(w: ViewWriter, name: string, delta: bigint): Promise<void> {
  await w.add(delta, t(T.count), str(name));
}

function isBanned(row: { ban: BanInfo | null }, height: bigint): boolean {
  if (!row.ban) return false;
  const exp = BigInt(row.ban.expires_height);
  return exp === 0n || height < exp;
}

/** Why a device is inactive at `height`, or '' when active (same rules as the module). */
export function inactiveReason(d: DeviceRow, m: ManufacturerRow | undefined, height: bigint): string {
  if (d.deactivated) return 'deactivated'; // before a ban, as DevicesKeeper.activityOf decides
  if (isBanned(d, height)) return 'banned';
  if (m?.status === 'revoked') return 'manufacturer_revoked';
  if (m && isBanned(m, height)) return 'manufacturer_banned';
  return '';
}

async function apply(w: ViewWriter, events: readonly ViewEvent[], summary: BlockSummary): Promise<void> {
  const h = w.height;
  await w.prefetch(events.flatMap((e) => {
    if (e.type === 'device_registered' || e.type === 'manufacturer_status') return [];
    if ((e.type === 'ban' || e.type === 'ban_lifted' || e.type === 'ban_appeal') && e.attrs.target_type !== 'device') return [];
    return [[t(T.row), u64(attrBig(e, e.type.startsWith('ban') ? 'target_id' : 'device_id'))]];
  }));
  const rowOf = async (e: ViewEvent): Promise<DeviceRow | undefined> => {
    const id = attrBig(e, e.type === 'ban' || e.type === 'ban_lifted' || e.type === 'ban_appeal' ? 'target_id' : 'device_id');
    return w.getJson<DeviceRow>(t(T.row), u64(id));
  };
  const save = (d: DeviceRow) => {
    d.updated_height = h.toString();
    w.putJson(d, t(T.row), u64(BigInt(d.id)));
  };
  const banLog = (d: DeviceRow, entry: Omit<BanEntry, 'seq' | 'height'>) => {
    const seq = d.ban_events++;
    w.putJson({ seq, height: h.toString(), ...entry }, t(T.ban), u64(BigInt(d.id)), u32(seq));
  };
  for (const e of events) {
    switch (e.type) {
      case 'device_registered': {
        const id = attrBig(e, 'device_id');
        const d: DeviceRow = {
          id: id.toString(), owner: e.attrs.owner ?? '', did: e.attrs.did ?? '', manufacturer_id: e.attrs.manufacturer_id ?? '', model: e.attrs.model ?? '',
          sector: e.attrs.sector ?? '', key_type: e.attrs.key_type ?? '', registered_height: h.toString(), cell: '', location_height: '0', location_count: 0,
          deactivated: false, ban: null, ban_events: 0, transfers: 0, fees_burned: coinAmount(e.attrs.fee).toString(), updated_height: h.toString(),
        };
        save(d);
        const idk = u64(id);
        w.put(ONE, t(T.owner), str(d.owner), idk);
        w.put(ONE, t(T.sector), u8(sectorNumber(d.sector)), idk);
        w.put(ONE, t(T.mfr), str(d.manufacturer_id), idk);
        if (d.did) w.put(idk, t(T.did), str(d.did));
        await count(w, 'total', 1n);
        await count(w, `sector:${d.sector}`, 1n);
        await count(w, 'fees_burned', coinAmount(e.attrs.fee));
        break;
      }
      case 'device_location_asserted': {
        const d = await rowOf(e);
        if (!d) break;
        const id = u64(BigInt(d.id));
        const cell = e.attrs.cell ?? '';
        if (d.cell) w.del(t(T.cell), u64(cellBig(d.cell)), id);
        else await count(w, 'located', 1n);
        w.put(ONE, t(T.cell), u64(cellBig(cell)), id);
        const entry: LocationEntry = { seq: d.location_count, cell, previous_cell: e.attrs.previous_cell ?? d.cell, height: h.toString(), seniority_reset: e.attrs.seniority_reset === 'true' };
        w.putJson(entry, t(T.loc), id, u32(d.location_count));
        d.cell = cell;
        d.location_height = h.toString();
        d.location_count++;
        const fee = coinAmount(e.attrs.fee);
        d.fees_burned = (BigInt(d.fees_burned) + fee).toString();
        await count(w, 'fees_burned', fee);
        save(d);
        break;
      }
      case 'device_transferred': {
        const d = await rowOf(e);
        if (!d) break;
        const id = u64(BigInt(d.id));
        w.del(t(T.owner), str(d.owner), id);
        d.owner = e.attrs.to ?? '';
        w.put(ONE, t(T.owner), str(d.owner), id);
        d.transfers++;
        save(d);
        break;
      }
      case 'device_deactivated':
      case 'device_reactivated': {
        const d = await rowOf(e);
        if (!d) break;
        const off = e.type === 'device_deactivated';
        if (d.deactivated !== off) await count(w, 'deactivated', off ? 1n : -1n);
        d.deactivated = off;
        save(d);
        break;
      }
      case 'ban':
      case 'ban_lifted':
      case 'ban_appeal': {
        const info = (): BanInfo => ({
          reason_code: Number(e.attrs.reason_code ?? 0), expires_height: e.attrs.expires_height ?? '0', height: h.toString(), evidence_hash: e.attrs.evidence_hash ?? '', appealed: false,
        });
        if (e.attrs.target_type === 'manufacturer') {
          const id = e.attrs.target_id ?? '';
          const m = (await w.getJson<ManufacturerRow>(t(T.mfrRow), str(id))) ?? { id, status: 'active', ban: null };
          if (e.type === 'ban') m.ban = info();
          else if (e.type === 'ban_lifted') m.ban = null;
          else if (m.ban) m.ban.appealed = true;
          w.putJson(m, t(T.mfrRow), str(id));
          break;
        }
        const d = await rowOf(e);
        if (!d) break;
        if (e.type === 'ban') {
          if (!d.ban) await count(w, 'banned', 1n);
          d.ban = info();
          banLog(d, { action: 'ban', reason_code: d.ban.reason_code, expires_height: d.ban.expires_height, evidence_hash: d.ban.evidence_hash });
        } else if (e.type === 'ban_lifted') {
          if (d.ban) await count(w, 'banned', -1n);
          d.ban = null;
          banLog(d, { action: 'lifted', reason: e.attrs.reason ?? '' });
        } else {
          if (d.ban) d.ban.appealed = true;
          banLog(d, { action: 'appeal', appellant: e.attrs.appellant ?? '', evidence_hash: e.attrs.evidence_hash ?? '' });
        }
        save(d);
        break;
      }
      case 'manufacturer_status': {
        const id = e.attrs.manufacturer_id ?? '';
        const m = (await w.getJson<ManufacturerRow>(t(T.mfrRow), str(id))) ?? { id, status: 'active', ban: null };
        m.status = e.attrs.status ?? m.status;
        w.putJson(m, t(T.mfrRow), str(id));
        break;
      }
    }
  }
}

// ------------------------------------------------------------------ queries

export interface DeviceAnswer extends DeviceRow {
  active: boolean;
  inactive_reason: string;
}

async function answer(ctx: QueryContext, d: DeviceRow, mfrCache?: Map<string, ManufacturerRow | undefined>): Promise<DeviceAnswer> {
  let m: ManufacturerRow | undefined;
  if (mfrCache?.has(d.manufacturer_id)) m = mfrCache.get(d.manufacturer_id);
  else {
    m = await ctx.reader.getJson<ManufacturerRow>(t(T.mfrRow), str(d.manufacturer_id));
    mfrCache?.set(d.manufacturer_id, m);
  }
  const reason = inactiveReason(d, m, ctx.height);
  return { ...d, active: reason === '', inactive_reason: reason };
}

export async function deviceById(ctx: QueryContext, id: bigint): Promise<DeviceAnswer | undefined> {
  const d = await ctx.reader.getJson<DeviceRow>(t(T.row), u64(id));
  return d ? answer(ctx, d) : undefined;
}

function parseId(s: string | undefined, what = 'id'): bigint {
  if (!s || !/^[0-9]{1,20}$/.test(s) || BigInt(s) >= 1n << 64n) throw new PageRequestError(`invalid ${what} ${JSON.stringify(s ?? '')}`);
  return BigInt(s);
}

export { parseId };

/** What a search box string means: an id, an owner address, a DID, an H3 cell or a manufacturer. */
export function classifySearch(q: string): { kind: 'id' | 'owner' | 'did' | 'cell' | 'manufacturer'; value: string } {
  const s = q.trim();
  if (/^[0-9]{1,20}$/.test(s)) return { kind: 'id', value: s };
  if (/^did:/.test(s)) return { kind: 'did', value: s };
  if (s.startsWith(`${ACCOUNT_PREFIX}1`) && /^[0-9a-z]+$/.test(s)) return { kind: 'owner', value: s };
  if (/^8[0-9a-f]{14}$/i.test(s)) return { kind: 'cell', value: s.toLowerCase() };
  return { kind: 'manufacturer', value: s };
}

async function list(ctx: QueryContext, p: Record<string, string | undefined>, page: PageRequest) {
  const r = ctx.reader;
  let owner = p.owner;
  let cell = p.cell;
  let mfr = p.manufacturer;
  let sector = p.sector;
  if (p.q) {
    const c = classifySearch(p.q);
    if (c.kind === 'id' || c.kind === 'did') {
      let id: bigint | undefined;
      if (c.kind === 'id') id = parseId(c.value);
      else {
        const v = await r.get(t(T.did), str(c.value));
        id = v ? readU64(v) : undefined;
      }
      const d = id !== undefined ? await deviceById(ctx, id) : undefined;
      return { devices: d ? [d] : [], pagination: { next_key: null, total: d ? '1' : '0' } };
    }
    if (c.kind === 'owner') owner = c.value;
    else if (c.kind === 'cell') cell = c.value;
    else mfr = c.value;
  }
  const status = p.status; // 'active' | 'inactive' | undefined
  if (status && status !== 'active' && status !== 'inactive') throw new PageRequestError('status must be active or inactive');
  const sec = sector ? sectorNumber(sector) : 0;
  if (sector && !sec) throw new PageRequestError(`unknown sector ${JSON.stringify(sector)} (coverage, storage, compute, sensor)`);
  // The most selective index decides the scan; the other filters apply to its rows.
  let sub: Uint8Array;
  let idAt: (rel: Uint8Array) => bigint;
  if (cell) {
    let c: bigint;
    try {
      c = parseCell(cell);
    } catch (err) {
      throw new PageRequestError((err as Error).message);
    }
    const res = resolutionOf(c);
    if (res > 12) throw new PageRequestError('cell resolution must be 0..12');
    const [lo, hi] = descendantRange(c, 12);
    // Cell-range scans page by (cell, id) keys under the range.
    return cellRange(ctx, lo, hi, page, { owner, mfr, sec, status });
  } else if (owner) {
    sub = cat(t(T.owner), str(owner));
    idAt = (rel) => readU64(rel);
  } else if (mfr) {
    sub = cat(t(T.mfr), str(mfr));
    idAt = (rel) => readU64(rel);
  } else if (sec) {
    sub = cat(t(T.sector), u8(sec));
    idAt = (rel) => readU64(rel);
  } else {
    sub = t(T.row);
    idAt = (rel) => readU64(rel);
  }
  const mfrs = new Map<string, ManufacturerRow | undefined>();
  const filtered = !!((owner && sub[0] !== T.owner) || (mfr && sub[0] !== T.mfr) || (sec && sub[0] !== T.sector) || status);
  const res = await r.paginate(sub, page, async (rel, v) => {
    const d = sub[0] === T.row ? parseJson<DeviceRow>(v)! : await r.getJson<DeviceRow>(t(T.row), u64(idAt(rel)));
    if (!d) return undefined;
    if (!filtered) return answer(ctx, d, mfrs);
    if (owner && d.owner !== owner) return undefined;
    if (mfr && d.manufacturer_id !== mfr) return undefined;
    if (sec && sectorNumber(d.sector) !== sec) return undefined;
    const a = await answer(ctx, d, mfrs);
    if (status === 'active' && !a.active) return undefined;
    if (status === 'inactive' && a.active) return undefined;
    return a;
  }, { maxScan: filtered ? 200_000 : undefined });
  return { devices: res.items, pagination: res.pagination };
}

async function cellRange(ctx: QueryContext, lo: bigint, hi: bigint, page: PageRequest, f: { owner?: string; mfr?: string; sec: number; status?: string }) {
  const r = ctx.reader;
  const mfrs = new Map<string, ManufacturerRow | undefined>();
  // Keys under T.cell are u64 cell ‖ u64 id: the cell's descendants at resolution 12 are one range.
  const out = await r.paginate(t(T.cell), page, async (rel) => {
    const d = await r.getJson<DeviceRow>(t(T.row), u64(readU64(rel, 8)));
    if (!d) return undefined;
    if (f.owner && d.owner !== f.owner) return undefined;
    if (f.mfr && d.manufacturer_id !== f.mfr) return undefined;
    if (f.sec && sectorNumber(d.sector) !== f.sec) return undefined;
    const a = await answer(ctx, d, mfrs);
    if (f.status === 'active' && !a.active) return undefined;
    if (f.status === 'inactive' && a.active) return undefined;
    return a;
  }, { from: u64(lo), to: u64(hi + 1n), maxScan: 200_000 });
  return { devices: out.items, pagination: out.pagination };
}

async function get(ctx: QueryContext, p: Record<string, string | undefined>) {
  const d = await deviceById(ctx, parseId(p.id));
  if (!d) return undefined;
  return { device: d };
}

async function locations(ctx: QueryContext, p: Record<string, string | undefined>, page: PageRequest) {
  const id = parseId(p.id);
  const res = await ctx.reader.paginate(cat(t(T.loc), u64(id)), page, (_k, v) => parseJson<LocationEntry>(v)!);
  return { locations: res.items, pagination: res.pagination };
}

async function bans(ctx: QueryContext, p: Record<string, string | undefined>, page: PageRequest) {
  const id = parseId(p.id);
  const res = await ctx.reader.paginate(cat(t(T.ban), u64(id)), page, (_k, v) => parseJson<BanEntry>(v)!);
  return { bans: res.items, pagination: res.pagination };
}

/** Network counters: devices in total, per sector, located, deactivated, banned, fees burned. */
export async function deviceStats(ctx: QueryContext) {
  const r = ctx.reader;
  const by_sector: Record<string, string> = {};
  for (const s of SECTORS.slice(1)) by_sector[s] = (await r.counter(t(T.count), str(`sector:${s}`))).toString();
  return {
    total: (await r.counter(t(T.count), str('total'))).toString(),
    located: (await r.counter(t(T.count), str('located'))).toString(),
    deactivated: (await r.counter(t(T.count), str('deactivated'))).toString(),
    banned: (await r.counter(t(T.count), str('banned'))).toString(),
    fees_burned: (await r.counter(t(T.count), str('fees_burned'))).toString(),
    by_sector,
  };
}

export const devicesView: View = {
  name: 'devices',
  version: 1,
  events: ['device_registered', 'device_location_asserted', 'device_transferred', 'device_deactivated', 'device_reactivated', 'ban', 'ban_lifted', 'ban_appeal', 'manufacturer_status'],
  apply,
  queries: {
    list: (ctx, p, page) => list(ctx, p, page),
    get: (ctx, p) => get(ctx, p),
    locations,
    bans,
    stats: (ctx) => deviceStats(ctx),
  },
};

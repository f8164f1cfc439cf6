// Views on a real LevelDB, fed encoded block results the way the node feeds them: devices,
// coverage (against a brute-force recount over random histories), proofs, economics and
// checkpoints; as-of heights; one atomic batch with the tx index; rebuilds give the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import fc from 'fast-check';
import * as h3 from 'h3-js';
import { BlockIndexer } from '../block-indexer.ts';
import { encodeBlockResults, type EncodableTxResult } from '../../store/results-codec.ts';
import { event, type Event } from '../../../chain/events.ts';
import { cellToParent } from '../../../modules/devices/h3.ts';
import { readBlockEvents } from '../../store/results-codec.ts';
import { ancestorKeys } from './coverage.ts';
import { sha256 } from '../../../chain/crypto/hash.ts';
import { ViewReader, u64, readU64 } from './kv.ts';

async function withIndex(fn: (ix: BlockIndexer, db: Level<Uint8Array, Uint8Array>) => Promise<void>, dir = mkdtempSync(join(tmpdir(), 'views-'))) {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    const ix = new BlockIndexer(db);
    await ix.init();
    await fn(ix, db);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ok = (events: Event[], code = 0): EncodableTxResult => ({ code, data: new Uint8Array(), log: '', info: '', gasWanted: 100n, gasUsed: 50n, events, codespace: '' });

/** A block whose txs carry `txEvents` (one tx each) and whose finalize events are `blockEvents`. */
async function block(ix: BlockIndexer, height: bigint, txEvents: Event[][], blockEvents: Event[] = [], codes: number[] = []) {
  const txs = txEvents.map((_, i) => Buffer.from(`tx-${height}-${i}`));
  return ix.indexEncodedBlock(height, txs, encodeBlockResults(height, txEvents.map((e, i) => ok(e, codes[i] ?? 0)), blockEvents, new Uint8Array(32)));
}

const cellAt = (lat: number, lng: number) => h3.latLngToCell(lat, lng, 12);
const reg = (id: number, owner: string, sector = 'coverage', mfr = 'devmfr') =>
  event('device_registered', { device_id: String(id), owner, did: `did:key:z${id}`, manufacturer_id: mfr, model: 'dev-hotspot', sector, key_type: 'secp256k1', fee: '1000000udpin' });
const loc = (id: number, cell: string, prev = '') => event('device_location_asserted', { device_id: String(id), owner: 'x', cell, previous_cell: prev, seniority_reset: String(!!prev), fee: '100000udpin' });

test('event reader: wanted events only, failed txs skipped, finalize events last', () => {
  const bytes = encodeBlockResults(7n, [ok([event('transfer', { a: '1' }), event('device_registered', { device_id: '1' })]), ok([event('device_registered', { device_id: '2' })], 5)], [event('device_registered', { device_id: 'eb' })], new Uint8Array());
  const evs = readBlockEvents(bytes, new Set(['device_registered']));
  assert.deepEqual(evs.map((e) => [e.attrs.device_id, e.tx]), [['1', 0], ['eb', -1]]);
  assert.deepEqual(readBlockEvents(bytes, new Set()), []);
});

test('devices view: rows, indexes, search, history, status and as-of height', async () => {
  await withIndex(async (ix) => {
    const berlin = cellAt(52.52, 13.405);
    const paris = cellAt(48.8566, 2.3522);
    await block(ix, 1n, [[reg(1, 'depin1alice')], [reg(2, 'depin1bob', 'sensor')], [reg(3, 'depin1alice', 'storage', 'othermfr')]]);
    await block(ix, 2n, [[loc(1, berlin)], [loc(2, paris)]]);
    // a failed tx's events never reach the view
    await block(ix, 3n, [[loc(3, berlin)]], [], [7]);
    await block(ix, 4n, [[loc(1, paris, berlin)], [event('device_transferred', { device_id: '2', from: 'depin1bob', to: 'depin1carol' })], [event('device_deactivated', { device_id: '3', owner: 'depin1alice' })]]);
    await block(ix, 5n, [[event('ban', { target_type: 'device', target_id: '1', reason_code: '4', evidence_hash: 'ab', expires_height: '9' })]], [event('manufacturer_status', { manufacturer_id: 'othermfr', status: 'revoked', reason_code: '1', slashed: '' })]);

    const d1 = await ix.query('devices.get', { id: '1' });
    assert.equal(d1.as_of_height, '5');
    const dev = (d1.result as any).device;
    assert.equal(dev.cell, paris);
    assert.equal(dev.location_count, 2);
    assert.equal(dev.active, false);
    assert.equal(dev.inactive_reason, 'banned');
    assert.equal(dev.fees_burned, '1200000');
    assert.equal((await ix.query('devices.get', { id: '99' })).result, undefined);

    const ids = async (params: Record<string, string>, page = {}) => ((await ix.query('devices.list', params, page)).result as any).devices.map((d: any) => d.id);
    assert.deepEqual(await ids({ owner: 'depin1alice' }), ['1', '3']);
    assert.deepEqual(await ids({ owner: 'depin1carol' }), ['2']);
    assert.deepEqual(await ids({ owner: 'depin1bob' }), []);
    assert.deepEqual(await ids({ sector: 'sensor' }), ['2']);
    assert.deepEqual(await ids({ manufacturer: 'othermfr' }), ['3']);
    assert.deepEqual(await ids({ status: 'active' }), ['2']);
    assert.deepEqual(await ids({ status: 'inactive' }), ['1', '3']);
    assert.deepEqual(await ids({ cell: paris }), ['1', '2']);
    assert.deepEqual(await ids({ cell: h3.cellToParent(paris, 5) }), ['1', '2']);
    assert.deepEqual(await ids({ cell: h3.cellToParent(berlin, 5) }), []);
    assert.deepEqual(await ids({ q: '2' }), ['2']);
    assert.deepEqual(await ids({ q: 'did:key:z3' }), ['3']);
    assert.deepEqual(await ids({ q: 'depin1carol' }), ['2']);
    assert.deepEqual(await ids({}, { reverse: true }), ['3', '2', '1']);
    const p1 = (await ix.query('devices.list', {}, { limit: 2, countTotal: true })).result as any;
    assert.deepEqual(p1.devices.map((d: any) => d.id), ['1', '2']);
    assert.equal(p1.pagination.total, '3');
    const p2 = (await ix.query('devices.list', {}, { limit: 2, key: Buffer.from(p1.pagination.next_key, 'base64') })).result as any;
    assert.deepEqual(p2.devices.map((d: any) => d.id), ['3']);
    assert.equal(p2.pagination.next_key, null);
    assert.deepEqual(await ids({}, { offset: 1, limit: 1 }), ['2']);
    const d3 = ((await ix.query('devices.get', { id: '3' })).result as any).device;
    assert.equal(d3.inactive_reason, 'deactivated');
    await assert.rejects(ix.query('devices.list', { sector: 'mining' }), /unknown sector/);
    // 2^64 + 1 is a 20-digit id: it must be refused, not wrapped onto device 1's key.
    await assert.rejects(ix.query('devices.list', { q: '18446744073709551617' }), /invalid id/);
    await assert.rejects(ix.query('devices.list', {}, { key: Uint8Array.of(1), offset: 2 }), /either offset or key/);
    await assert.rejects(ix.query('devices.nope', {}), /unknown view query/);

    const locs = ((await ix.query('devices.locations', { id: '1' })).result as any).locations;
    assert.deepEqual(locs.map((l: any) => [l.cell, l.previous_cell, l.height]), [[berlin, '', '2'], [paris, berlin, '4']]);
    const bans = ((await ix.query('devices.bans', { id: '1' })).result as any).bans;
    assert.deepEqual(bans.map((b: any) => [b.action, b.reason_code, b.expires_height]), [['ban', 4, '9']]);
    const stats = (await ix.query('devices.stats', {})).result as any;
    assert.deepEqual([stats.total, stats.located, stats.deactivated, stats.banned, stats.by_sector.sensor], ['3', '2', '1', '1', '1']);

    // The ban expires by height in end block (a finalize event): lifted, history kept.
    await block(ix, 6n, [], [event('ban_lifted', { target_type: 'device', target_id: '1', reason: 'expired' })]);
    const after = ((await ix.query('devices.get', { id: '1' })).result as any).device;
    assert.equal(after.active, true);
    assert.equal(((await ix.query('devices.bans', { id: '1' })).result as any).bans.length, 2);
  });
});

test('coverage view: cell counts at every resolution equal a brute-force recount over random histories', async () => {
  const cities = [[52.52, 13.405], [48.8566, 2.3522], [40.7128, -74.006], [-33.8688, 151.2093], [35.6762, 139.6503], [52.5, 13.3]];
  const op = fc.oneof(
    fc.record({ kind: fc.constant('move' as const), dev: fc.integer({ min: 1, max: 8 }), city: fc.integer({ min: 0, max: cities.length - 1 }), jitter: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constantFrom('deactivate' as const, 'reactivate' as const, 'ban' as const, 'unban' as const), dev: fc.integer({ min: 1, max: 8 }) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(op, { maxLength: 6 }), { minLength: 1, maxLength: 6 }), async (blocks) => {
      await withIndex(async (ix) => {
        const sectors = ['coverage', 'storage', 'compute', 'sensor'];
        await block(ix, 1n, Array.from({ length: 8 }, (_, i) => [reg(i + 1, 'o', sectors[i % 4])]));
        const state = new Map<number, { cell: string; deact: boolean; banned: boolean; sector: string }>();
        for (let i = 1; i <= 8; i++) state.set(i, { cell: '', deact: false, banned: false, sector: sectors[(i - 1) % 4]! });
        let h = 2n;
        for (const ops of blocks) {
          const evs: Event[][] = [];
          for (const o of ops) {
            const s = state.get(o.dev)!;
            if (o.kind === 'move') {
              const [lat, lng] = cities[o.city]!;
              const cell = cellAt(lat! + o.jitter * 0.001, lng! + o.jitter * 0.001);
              if (cell === s.cell) continue;
              evs.push([loc(o.dev, cell, s.cell)]);
              s.cell = cell;
            } else if (o.kind === 'deactivate' || o.kind === 'reactivate') {
              if (s.deact === (o.kind === 'deactivate')) continue; // the module refuses a no-op
              s.deact = o.kind === 'deactivate';
              evs.push([event(o.kind === 'deactivate' ? 'device_deactivated' : 'device_reactivated', { device_id: String(o.dev), owner: 'o' })]);
            } else if (o.kind === 'ban') {
              s.banned = true;
              evs.push([event('ban', { target_type: 'device', target_id: String(o.dev), reason_code: '1', evidence_hash: '', expires_height: '0' })]);
            } else {
              if (!s.banned) continue;
              s.banned = false;
              evs.push([event('ban_lifted', { target_type: 'device', target_id: String(o.dev), reason: 'unban' })]);
            }
          }
          await block(ix, h++, evs);
        }
        for (let res = 0; res <= 12; res++) {
          const expect = new Map<string, { devices: number; active: number; sectors: Record<string, number> }>();
          for (const s of state.values()) {
            if (!s.cell) continue;
            const c = h3.cellToParent(s.cell, res);
            const e = expect.get(c) ?? { devices: 0, active: 0, sectors: { coverage: 0, storage: 0, compute: 0, sensor: 0 } };
            e.devices++;
            if (!s.deact && !s.banned) e.active++;
            e.sectors[s.sector]!++;
            expect.set(c, e);
          }
          const got = ((await ix.query('coverage.cells', { res: String(res) }, { limit: 1000 })).result as any).cells as any[];
          assert.deepEqual(new Map(got.map((c) => [c.cell, { devices: c.devices, active: c.active, sectors: c.by_sector }])), expect, `resolution ${res}`);
          for (const c of got) {
            if (res === 12) continue;
            const children = new Set([...state.values()].filter((s) => s.cell && h3.cellToParent(s.cell, res) === c.cell).map((s) => h3.cellToParent(s.cell, res + 1)));
            assert.equal(c.occupied_children, children.size, `children of ${c.cell}`);
          }
        }
      });
    }),
    { numRuns: 12 },
  );
});

test('coverage view: parents restrict the cells, one cell with its children, density', async () => {
  await withIndex(async (ix) => {
    const a = cellAt(52.52, 13.405);
    const b = cellAt(52.53, 13.41);
    const c = cellAt(48.8566, 2.3522);
    await block(ix, 1n, [[reg(1, 'o')], [reg(2, 'o')], [reg(3, 'o')]]);
    await block(ix, 2n, [[loc(1, a)], [loc(2, b)], [loc(3, c)]]);
    const berlin4 = h3.cellToParent(a, 4);
    const r = (await ix.query('coverage.cells', { res: '7', parents: berlin4 })).result as any;
    assert.deepEqual(r.cells.map((x: any) => x.cell).sort(), [...new Set([h3.cellToParent(a, 7), h3.cellToParent(b, 7)])].sort());
    const one = (await ix.query('coverage.cell', { cell: berlin4 })).result as any;
    assert.equal(one.cell.devices, 2);
    assert.ok(Math.abs(one.cell.area_km2 - h3.cellArea(berlin4, 'km2')) / one.cell.area_km2 < 1e-5);
    assert.ok(Math.abs(one.cell.density - 2 / one.cell.area_km2) / one.cell.density < 1e-5);
    assert.deepEqual(one.children.map((x: any) => x.cell), [...new Set([h3.cellToParent(a, 5), h3.cellToParent(b, 5)])].sort());
    await assert.rejects(ix.query('coverage.cells', { res: '13' }), /res must be/);
    await assert.rejects(ix.query('coverage.cells', { res: '3', parents: h3.cellToParent(a, 6) }), /finer than res/);
    assert.equal(BigInt('0x' + h3.cellToParent(a, 4)), cellToParent(BigInt('0x' + a), 4), 'integer parent agrees with h3-js');
    for (const x of [a, b, c, cellAt(-33.9, 151.2), cellAt(64.1, -21.9), cellAt(0.1, 179.99)]) {
      assert.deepEqual(ancestorKeys(BigInt('0x' + x)).map((k) => Buffer.from(k).toString('hex').replace(/^0+/, '')), Array.from({ length: 13 }, (_, r) => h3.cellToParent(x, r)), `ancestors of ${x}`);
    }
  });
});

test('proofs, earnings, economics and checkpoints views from their modules\' events', async () => {
  await withIndex(async (ix) => {
    const verdict = (proof: number, device: number, valid: boolean, reason: number, units: bigint, name = '') =>
      // the attributes the proofs module's keeper.finalize emits (no sector: it comes from the kind)
      event('proof_verdict', { proof_id: String(proof), device_id: String(device), kind: 'coverage/beacon', valid: String(valid), reason: String(reason), reason_name: name, window: '3', units: units.toString() });
    // what the rewards module's distribution emits (modules/rewards/distribution.ts)
    const paid = (device: number, epoch: number, owner: string, amount: bigint, demand: bigint, proof: bigint, units: bigint) =>
      event('rewards_device_paid', { device_id: String(device), epoch: String(epoch), owner, amount: amount.toString(), demand: demand.toString(), proof: proof.toString(), withheld: (demand + proof - amount).toString(), units: units.toString(), weighted_units: units.toString() });
    await block(ix, 1n, [[reg(1, 'o')]]);
    const s2 = await block(ix, 2n, [[verdict(1, 1, true, 0, 2_000_000n)], [verdict(2, 1, false, 115, 0n, 'witness_too_far')]]);
    assert.deepEqual(s2.proofs?.map((p) => [p.outcome, p.reason, p.count]).sort(), [['invalid', 'witness_too_far', 1], ['valid', 'valid', 1]]);
    // epoch 1 closes in block 3's end block, after that block's verdicts (proofs' end block, then rewards')
    await block(ix, 3n, [[verdict(3, 1, true, 0, 1_000_000n)], [event('credits_minted', { buyer: 'b', burned: '400udpin', credits: '800udc', price: '2000000', median: '2000000' })]], [
      event('rewards_epoch_closed', { epoch: '1', scheduled: '1000', reemission: '0', breaker_clipped: '0', minted: '1000', credits_burned: '400' }),
    ]);
    // Closed but not yet distributed: demand is unpaid, so there is no ratio yet (not a guess).
    const closed = ((await ix.query('economics.epochs', {})).result as any).epochs[0];
    assert.deepEqual([closed.minted, closed.distributed_height, closed.subsidy_to_revenue_ppm], ['1000', '0', null]);
    await block(ix, 4n, [[verdict(4, 1, false, 115, 0n, 'witness_too_far')], [event('proof_reversed', { proof_id: '3', device_id: '1', challenge_id: '1', challenger: 'c', units: '1000000' })], [event('credits_minted', { buyer: 'b', burned: '250udpin', credits: '25udc' })]], [
      paid(1, 1, 'o', 700n, 200n, 600n, 3_000_000n),
      paid(1, 1, 'o2', 200n, 0n, 200n, 1_000_000n), // the device changed hands mid-epoch: a second record
      event('rewards_epoch_distributed', { epoch: '1', minted: '1000', paid: '900', unallocated: '100', withheld: '100', demand_paid: '200', subsidy_to_revenue_ppm: '2000000', revenue_zero: 'false' }),
    ]);
    const proofs = ((await ix.query('proofs.device', { id: '1' })).result as any).proofs;
    assert.ok(proofs.every((p: any) => p.sector === 'coverage' && p.kind === 'coverage/beacon' && p.window === '3'));
    assert.deepEqual(proofs.map((p: any) => [p.proof_id, p.epoch, p.valid, p.reason_name, p.reversed]), [['4', '2', false, 'witness_too_far', false], ['3', '1', true, 'valid', true], ['2', '1', false, 'witness_too_far', false], ['1', '1', true, 'valid', false]]);
    const q = (await ix.query('proofs.quality', { id: '1' })).result as any;
    assert.deepEqual([q.summary.valid, q.summary.invalid, q.summary.reversed, q.summary.units], [2, 2, 1, '3000000']);
    assert.equal(q.valid_ratio_ppm, '500000');
    assert.deepEqual(q.reasons.map((r: any) => [r.reason, r.reason_name, r.count]), [[0, 'valid', '2'], [115, 'witness_too_far', '2']]);
    const epochs = ((await ix.query('proofs.device_epochs', { id: '1' })).result as any).epochs;
    assert.deepEqual(epochs.map((e: any) => [e.epoch, e.valid, e.invalid, e.units, e.reversed_units]), [['1', 2, 1, '3000000', '1000000'], ['2', 0, 1, '0', '0']]);
    const out = (await ix.query('proofs.outcomes', {})).result as any;
    assert.deepEqual([out.valid, out.invalid, out.current_epoch], ['2', '2', '2']);

    const earn = (await ix.query('earnings.device', { id: '1' })).result as any;
    assert.deepEqual([earn.totals.earned, earn.totals.epochs, earn.totals.last_epoch], ['900', 1, '1']);
    assert.deepEqual(earn.epochs.map((e: any) => [e.epoch, e.amount, e.demand, e.proof, e.withheld, e.units, e.owners]), [['1', '900', '200', '800', '100', '4000000', ['o', 'o2']]]);
    const eco = (await ix.query('economics.epochs', {})).result as any;
    assert.deepEqual([eco.epochs[0].epoch, eco.epochs[0].minted, eco.epochs[0].paid, eco.epochs[0].credits_burned, eco.epochs[0].demand_paid, eco.epochs[0].subsidy_to_revenue_ppm], ['1', '1000', '900', '400', '200', '2000000']);
    const tot = ((await ix.query('economics.totals', {})).result as any).totals;
    assert.deepEqual([tot.minted, tot.credits_burned, tot.device_fees_burned, tot.paid], ['1000', '650', '1000000', '900']);
    // an epoch without revenue has no ratio (null), as the module says
    await block(ix, 5n, [], [
      event('rewards_epoch_closed', { epoch: '2', scheduled: '1000', reemission: '0', breaker_clipped: '0', minted: '1000', credits_burned: '0' }),
      event('rewards_epoch_distributed', { epoch: '2', minted: '1000', paid: '100', unallocated: '900', withheld: '0', demand_paid: '0', subsidy_to_revenue_ppm: '0', revenue_zero: 'true' }),
    ]);
    const e2 = ((await ix.query('economics.epochs', { from_epoch: '2', to_epoch: '2' })).result as any).epochs[0];
    assert.deepEqual([e2.epoch, e2.subsidy_to_revenue_ppm], ['2', null]);

    const cp = (n: number, type: string, attrs: Record<string, string> = {}) => event(type, { number: String(n), ...attrs });
    await block(ix, 6n, [], [cp(1, 'checkpoint_created', { height: '4', state_root: 'aa' })]);
    await block(ix, 7n, [[cp(1, 'checkpoint_confirmed', { signed_power: '10', total_power: '10' })]], [cp(1, 'checkpoint_signed', { signed_power: '10', total_power: '10', submitter: 'v1' })]);
    await block(ix, 8n, [[cp(1, 'checkpoint_acknowledged', { height: '4', state_root: 'aa', eth_tx_hash: '0xabc', eth_block_number: '12' })]]);
    const latest = (await ix.query('checkpoints.latest', {})).result as any;
    assert.deepEqual([latest.last_acknowledged.status, latest.last_acknowledged.eth_tx_hash, latest.last_acknowledged.confirmations, latest.lag_blocks], ['acknowledged', '0xabc', 1, '4']);
  });
});

test('a view failing on a block loses that block\'s writes and records why; the tx index and other views go on', async () => {
  await withIndex(async (ix) => {
    await block(ix, 1n, [[reg(1, 'a')]]);
    // a verdict whose device id is not a number: the proofs view cannot read it
    const s = await block(ix, 2n, [[event('proof_verdict', { proof_id: '1', device_id: 'x', valid: 'true', reason: '0', units: '1' })], [reg(2, 'b')]]);
    assert.deepEqual(s.viewErrors?.map((e) => e.view), ['proofs']);
    assert.equal(await ix.lastHeight(), 2n);
    assert.equal(((await ix.query('devices.stats', {})).result as any).total, '2');
    assert.ok(await ix.position(Buffer.from(sha256(Buffer.from('tx-2-1'))).toString('hex')));
    const st = await ix.status();
    const p = st.views.find((v) => v.name === 'proofs')!;
    assert.deepEqual([p.error?.height, p.error?.count], ['2', 1]);
    assert.match(p.error!.message, /device_id="x" is not an integer/);
    assert.equal(st.views.find((v) => v.name === 'devices')!.error, null);
    await block(ix, 3n, [[event('proof_verdict', { proof_id: '2', device_id: '1', kind: 'coverage/beacon', valid: 'true', reason: '0', units: '5' })]]);
    assert.equal(((await ix.query('proofs.device', { id: '1' })).result as any).proofs.length, 1, 'the view goes on with the next block');
  });
});

test('a block is one batch with the tx index; blocks index once, in order; a rebuild writes the same bytes', async () => {
  const blocks: [bigint, Event[][], Event[]][] = [
    [1n, [[reg(1, 'a')], [reg(2, 'b', 'compute')]], []],
    [2n, [[loc(1, cellAt(1, 1))], [event('transfer', { recipient: 'x' })]], [event('checkpoint_created', { number: '1', height: '1' })]],
    [3n, [[loc(2, cellAt(1.001, 1.001))]], []],
  ];
  const dump = async (db: Level<Uint8Array, Uint8Array>) => {
    const out: string[] = [];
    for await (const [k, v] of db.iterator()) out.push(`${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`);
    return out;
  };
  let first: string[] = [];
  await withIndex(async (ix, db) => {
    for (const [h, txs, fin] of blocks) await block(ix, h, txs, fin);
    await ix.indexEncodedBlock(2n, [Buffer.from('tx-2-0')], encodeBlockResults(2n, [ok([reg(9, 'z')])], [], new Uint8Array(32))); // already indexed (same state root): ignored
    await assert.rejects(ix.indexEncodedBlock(2n, [], encodeBlockResults(2n, [], [], new Uint8Array(32).fill(7))), /another chain's block 2/);
    await assert.rejects(block(ix, 5n, []), /before 4/);
    assert.equal(await ix.lastHeight(), 3n);
    assert.equal((await ix.position(Buffer.from(sha256(Buffer.from('tx-2-1'))).toString('hex')))?.height, 2n);
    first = await dump(db);
  });
  await withIndex(async (ix, db) => {
    for (const [h, txs, fin] of blocks) await block(ix, h, txs, fin);
    assert.deepEqual(await dump(db), first);
  });
});

test('a filtered page that reaches its scan limit says so and resumes where it stopped', async () => {
  await withIndex(async (_ix, db) => {
    const r = new ViewReader(db, Uint8Array.of(0x76, 0x7e));
    const batch = db.batch();
    for (let i = 0; i < 30; i++) batch.put(r.key(u64(BigInt(i))), Uint8Array.of(i % 10 === 9 ? 1 : 0));
    await batch.write();
    // Only entries 9, 19, 29 match; 12 entries may be scanned per request.
    const onlyOnes = (_k: Uint8Array, v: Uint8Array) => (v[0] === 1 ? readU64(_k) : undefined);
    const seen: bigint[] = [];
    let key: Uint8Array | undefined;
    let pages = 0;
    for (;;) {
      const { items, pagination } = await r.paginate(new Uint8Array(), { limit: 5, key }, onlyOnes, { maxScan: 12 });
      pages++;
      seen.push(...items);
      if (!pagination.next_key) {
        assert.equal(pagination.scan_limited, undefined);
        break;
      }
      assert.equal(pagination.scan_limited, true, 'a short page with a next_key is marked');
      key = Buffer.from(pagination.next_key, 'base64');
    }
    assert.deepEqual(seen, [9n, 19n, 29n]);
    assert.equal(pages, 3);
  });
});

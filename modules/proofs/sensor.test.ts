// Sensor batches in-process: honest batch with its readings root; a second batch for the same
// window is a tx error (one per window); the same event id from another device, a cell outside the
// asserted location, too many readings for the class and an unlocated device are recorded with
// their reasons; an event id is refused for at least event_dedupe_windows windows and forgotten
// within twice that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProofsHarness, cellAt, cellNear } from '../../test/helpers/proofs.ts';
import * as P from '../../sdk/proofs.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { R } from './reasons.ts';
import { K } from './store-keys.ts';
import { devParams, validateParams } from './params.ts';

const LAT = -33.8688;
const LNG = 151.2093;
const readings = (n: number, tag: string) => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`${tag}:${i}:21.5C`));

test('sensor batches: honest, duplicate window, duplicate event id, outside the location, too many readings, not located', async () => {
  const t = await ProofsHarness.open();
  const home = cellAt(LAT, LNG);
  const s1 = await t.device('sensor', { cell: home });
  const s2 = await t.device('sensor', { cell: cellNear(LAT, LNG, 30, 0) });
  const ws = await t.device('sensor', { cell: home, hardwareClass: 'weather-station' });
  const nowhere = await t.device('sensor');
  await t.enterWindow(2n);
  const w = t.nextBlockWindow();
  const rs = readings(600, 's1');
  const honest = P.sensorBatch(s1.key, t.ec(s1, w), { readings: rs, cell: cellNear(LAT, LNG, 40, 40) });
  const r = await t.submit([honest]);
  const [ev] = ProofsHarness.verdictEvents(r);
  assert.equal(ev!.valid, 'true', ev!.reason_name);
  const rec = t.record(BigInt(ev!.proof_id!));
  assert.equal(rec.inputs.find((x) => x.key === 'readings_root')!.value, Buffer.from(P.readingsRoot(rs)).toString('hex'));
  assert.equal(rec.inputs.find((x) => x.key === 'reading_count')!.value, '600');

  // One batch per device per window: a second one is a tx error.
  const dup = await t.submit([P.sensorBatch(s1.key, t.ec(s1, w), { readings: readings(3, 'again'), cell: home })]);
  assert.equal(`${dup.codespace}/${dup.code}`, 'proofs/17', dup.log);

  // Another device copying s1's batch (same event id) is recorded as a duplicate event.
  const eventId = sha256(new TextEncoder().encode('event-1'));
  const first = await t.submit([P.sensorBatch(s2.key, t.ec(s2, w), { readings: rs.slice(0, 10), cell: s2.cell, eventId })]);
  assert.equal(ProofsHarness.verdictEvents(first)[0]!.valid, 'true');
  const copy = await t.submit([P.sensorBatch(ws.key, t.ec(ws, w), { readings: rs.slice(0, 10), cell: home, eventId })]);
  assert.equal(Number(ProofsHarness.verdictEvents(copy)[0]!.reason), R.SENSOR_DUPLICATE_EVENT);

  await t.enterWindow(w + 1n);
  const w2 = t.nextBlockWindow();
  const far = await t.submit([P.sensorBatch(s1.key, t.ec(s1, w2), { readings: rs, cell: cellNear(LAT, LNG, 2_000, 0) })]);
  const farEv = ProofsHarness.verdictEvents(far)[0]!;
  assert.equal(Number(farEv.reason), R.LOCATION_MISMATCH);
  assert.ok(Number(t.record(BigInt(farEv.proof_id!)).inputs.find((x) => x.key === 'rings_from_location')!.value) > t.params.locationRingLimit);
  const many = await t.submit([P.sensorBatch(s2.key, t.ec(s2, w2), { readingCount: 721n, readingsRoot: P.readingsRoot(rs), cell: s2.cell })]);
  assert.equal(Number(ProofsHarness.verdictEvents(many)[0]!.reason), R.SENSOR_TOO_MANY_READINGS);
  // The weather-station class allows 3,600 readings.
  const wsOk = await t.submit([P.sensorBatch(ws.key, t.ec(ws, w2), { readingCount: 3_600n, readingsRoot: P.readingsRoot(rs), cell: home })]);
  assert.equal(ProofsHarness.verdictEvents(wsOk)[0]!.valid, 'true');
  const lost = await t.submit([P.sensorBatch(nowhere.key, t.ec(nowhere, w2), { readings: rs, cell: home })]);
  assert.equal(Number(ProofsHarness.verdictEvents(lost)[0]!.reason), R.NOT_LOCATED);
  await t.close();
});

test('sensor: an invalid cell is recorded; an event id is refused for at least event_dedupe_windows windows, forgotten within twice that, and pruned', async () => {
  const D = 2n;
  const t = await ProofsHarness.open(() => ({ eventDedupeWindows: D }));
  const home = cellAt(LAT, LNG);
  const s = await t.device('sensor', { cell: home });
  const other = await t.device('sensor', { cell: home });
  await t.enterWindow(2n);
  let w = t.nextBlockWindow();
  const invalidCell = home & ~(0xfn << 52n) | (11n << 52n); // resolution 11 with res-12 digits: not a valid cell
  const r = await t.submit([P.sensorBatch(s.key, t.ec(s, w), { readings: readings(2, 'x'), cell: invalidCell })]);
  assert.equal(Number(ProofsHarness.verdictEvents(r)[0]!.reason), R.INVALID_CELL);
  // Ids used at the last window of a bucket (odd) and at the first (even): the two ends of the
  // [D, 2D) memory.
  const late = sha256(new Uint8Array([3]));
  const early = sha256(new Uint8Array([4]));
  await t.enterWindow(5n);
  w = t.nextBlockWindow();
  assert.equal(w, 5n);
  const submit = async (d: typeof s, eventId: Uint8Array, tag: string) => {
    const win = t.nextBlockWindow();
    const v = ProofsHarness.verdictEvents(await t.submit([P.sensorBatch(d.key, t.ec(d, win), { readings: readings(2, tag), cell: home, eventId })]))[0]!;
    return v.valid === 'true' ? 'valid' : Number(v.reason) === R.SENSOR_DUPLICATE_EVENT ? 'duplicate' : `reason ${v.reason}`;
  };
  assert.equal(await submit(s, late, 'a'), 'valid');
  await t.enterWindow(6n);
  assert.equal(await submit(s, early, 'b'), 'valid');
  assert.equal(await submit(other, early, 'c'), 'duplicate', 'the same id from another device, same window');
  await t.enterWindow(7n); // late was used D windows ago
  assert.equal(await submit(other, late, 'd'), 'duplicate', 'still refused D windows after its use');
  await t.enterWindow(8n); // early was used D windows ago, late 3 (its bucket is now two back)
  assert.equal(await submit(s, early, 'e'), 'duplicate', 'still refused D windows after its use');
  assert.equal(await submit(other, late, 'f'), 'valid', 'forgotten: its bucket is no longer read');
  await t.enterWindow(10n); // early used 2D windows ago
  assert.equal(await submit(other, early, 'g'), 'valid', 'forgotten within 2D windows');
  // End blocks have dropped every bucket before the previous one: only ids of windows 8.. remain.
  const left: bigint[] = [];
  const store = t.chain.keepers.proofs.store(t.ctx());
  for (const [k] of store.iterator(Uint8Array.of(K.eventId), Uint8Array.of(K.eventId + 1))) left.push(new DataView(k.buffer, k.byteOffset + 1, 8).getBigUint64(0));
  assert.deepEqual(left, [4n, 5n], 'buckets 4 (windows 8-9: late again) and 5 (window 10: early again)');
  await t.close();
});

test('sensor: event_dedupe_windows must be at least 1', () => {
  assert.throws(() => validateParams({ ...devParams(''), eventDedupeWindows: 0n }), /event_dedupe_windows must be >= 1/);
});

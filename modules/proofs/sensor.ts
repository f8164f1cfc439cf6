// Sensor data (depin-anchors.md §2.4): per window, a device signs the root of its readings
// (stored off chain), their count, the H3 cell where they were taken and a 32-byte event id.
// Checked: the count is within the hardware class maximum, the cell within location_ring_limit
// rings of the asserted location (res-12 grid distance), the event id was never used (dedup:
// the same readings cannot be paid twice, e.g. relayed by two gateways or copied by another
// device), and one batch per device per window (the envelope slot).
//
// Event ids live in buckets of event_dedupe_windows (D) windows, by the window current when they
// were accepted: bucket = window / D. A lookup reads the current bucket and the one before, and
// end block drops older buckets, so an id is refused for at least D windows after it was used and
// forgotten within 2D. One key per event, where an id key plus an expiry-queue key cost two writes
// and two deletes.
import type { Context } from '../../chain/context.ts';
import { u64 } from '../../chain/codec/proto.ts';
import { u64be, readU64 } from '../../chain/codec/bytes.ts';
import { R, KIND } from './reasons.ts';
import { decodePayload } from './decode.ts';
import { hex, windowOf } from './envelope.ts';
import { gridDistance, isLocationCell } from './grid.ts';
import { K, keys } from './store-keys.ts';
import { input, type KindHandler, type ProofsKeeper, type Judgement, PRUNE_PER_BLOCK } from './keeper.ts';
import { SensorBatchPayloadCodec, type SensorBatchPayload } from './types.ts';
import type { Params } from './params.ts';

export function maxReadings(p: Params, hardwareClass: string): bigint {
  const c = p.classes.find((x) => x.hardwareClass === hardwareClass);
  return c && c.maxReadings > 0n ? c.maxReadings : p.defaultMaxReadings;
}

export const sensorHandler: KindHandler<SensorBatchPayload> = {
  kind: KIND.SENSOR_BATCH,
  decode: (bytes) => decodePayload(SensorBatchPayloadCodec, bytes, 'sensor batch'),
  seed: (k, ctx, p, h) => k.liveWindowSeed(ctx, p, h.window),
  subject: () => 0n,
  verify(k, ctx, e): Judgement {
    const b = e.payload;
    const p = e.params;
    const count = u64(b.readingCount);
    const cell = u64(b.cell);
    const max = maxReadings(p, e.device.hardwareClass);
    const inputs = [input('reading_count', count), input('max_readings', max), input('readings_root', hex(b.readingsRoot ?? new Uint8Array())), input('event_id', hex(b.eventId ?? new Uint8Array())), input('cell', cell.toString(16))];
    const fail = (reason: number): Judgement => ({ reason, units: 0n, inputs });
    if (b.readingsRoot?.length !== 32 || b.eventId?.length !== 32) return fail(R.SENSOR_BAD_ROOT);
    if (count === 0n) return fail(R.SENSOR_NO_READINGS);
    if (count > max) return fail(R.SENSOR_TOO_MANY_READINGS);
    if (e.device.locationCell === 0n) return fail(R.NOT_LOCATED);
    inputs.push(input('location', e.device.locationCell.toString(16)));
    if (!isLocationCell(cell)) return fail(R.INVALID_CELL);
    const d = gridDistance(cell, e.device.locationCell);
    inputs.push(input('rings_from_location', d ?? 'undefined'), input('ring_limit', p.locationRingLimit));
    if (d === undefined || d > p.locationRingLimit) return fail(R.LOCATION_MISMATCH);
    const s = k.store(ctx);
    const bucket = eventBucket(ctx, p);
    const seen = s.get(keys.eventId(bucket, b.eventId)) ?? (bucket > 0n ? s.get(keys.eventId(bucket - 1n, b.eventId)) : undefined);
    if (seen) {
      inputs.push(input('event_first_window', readU64(seen)));
      return fail(R.SENSOR_DUPLICATE_EVENT);
    }
    s.set(keys.eventId(bucket, b.eventId), u64be(e.header.window));
    return { reason: R.VALID, units: p.sensorBatchUnits, inputs };
  },
};

/** The event-id bucket of the current window (see the header). */
function eventBucket(ctx: Context, p: Params): bigint {
  return windowOf(ctx.block.height, p.windowBlocks) / p.eventDedupeWindows;
}

/** End block: forget the buckets before the previous one (a bounded number of ids per block). */
export function pruneEventIds(k: ProofsKeeper, ctx: Context, p: Params): void {
  const bucket = eventBucket(ctx, p);
  if (bucket < 2n) return;
  k.pruneRange(ctx, Uint8Array.of(K.eventId), keys.eventBucket(bucket - 1n), PRUNE_PER_BLOCK);
}

// Coverage proofs, modelled on Helium IoT proof-of-coverage (depin-anchors.md §2.1).
//
// Beacon: a device transmits 32 bytes that are a function of the window seed, its id and its radio
// report; the chain regenerates them. A beacon that passes its checks waits `witness_window_blocks`
// for witnesses, then is finalized in end block together with them.
// Witness: a device that heard the beacon reports the 32 bytes with RSSI, SNR, frequency and region.
// Checked at once: the beacon is pending, not self, same region and frequency (± tolerance), H3 grid
// distance of the res-11 ancestors within [min, max], RSSI not above the integer free-space bound.
// At finalization: reciprocity (beaconer witnessed recently, witness beaconed recently), then the
// valid witnesses are ranked by H(rank seed ‖ witness key) and the first max_witnesses are paid
// (HIP-15 units); the rest are recorded as not selected. The rank seed is fixed by the beacon
// (window seed and payload), so the selection depends only on which valid witnesses reported, not
// on the order or blocks a proposer puts them in.
import type { Context } from '../../../chain/context.ts';
import { concat, readU64 } from '../../../chain/codec/bytes.ts';
import { sha256 } from '../../../chain/crypto/hash.ts';
import { prefixEnd } from '../../../chain/store/kv.ts';
import { event } from '../../../chain/events.ts';
import { ErrInvalidPayload } from '../errors.ts';
import { R, KIND, STATUS } from '../reasons.ts';
import { decodePayload, requireBytes } from '../decode.ts';
import { beaconPayload, equalBytes, hex, rankKey, compareBytes } from '../envelope.ts';
import { gridDistance, gridDistanceAt, isLocationCell, SEPARATION_RESOLUTION } from '../grid.ts';
import { fsplLowerBoundDb10 } from './fspl.ts';
import { beaconerUnits, witnessUnits } from './hip15.ts';
import { K, keys } from '../store-keys.ts';
import { popPackedIds } from '../block-local.ts';
import { input, type KindHandler, type ProofsKeeper, type Judgement } from '../keeper.ts';
import { u64 } from '../../../chain/codec/proto.ts';
import { BeaconPayloadCodec, WitnessPayloadCodec, type BeaconPayload, type WitnessPayload, type Input, type ProofRecord } from '../types.ts';
import type { Params } from '../params.ts';

/** RSSI and SNR a radio can physically report (dBm x 10, dB x 10). */
const RSSI_RANGE = [-1_500, 0] as const;
const SNR_RANGE = [-400, 400] as const;
const MIN_GAIN_DBI10 = -100;
const EMPTY = new Uint8Array(0);

/** What a pending beacon keeps for its witnesses' checks (value of beaconByPayload). */
interface BeaconInfo {
  proofId: bigint;
  region: number;
  frequencyKhz: number;
  eirpDbm10: number;
  seed: Uint8Array;
  deviceId: bigint;
  /** The end block that finalizes it (absent in the 60-byte info of databases written before
   * 2026-11-25, whose witness candidates are one key each). */
  finalizeHeight?: bigint;
}

function encodeInfo(b: BeaconInfo & { finalizeHeight: bigint }): Uint8Array {
  const out = new Uint8Array(68);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, b.proofId);
  v.setUint32(8, b.region);
  v.setUint32(12, b.frequencyKhz);
  v.setInt32(16, b.eirpDbm10);
  out.set(b.seed, 20);
  v.setBigUint64(52, b.deviceId);
  v.setBigUint64(60, b.finalizeHeight);
  return out;
}

function decodeInfo(raw: Uint8Array): BeaconInfo {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { proofId: v.getBigUint64(0), region: v.getUint32(8), frequencyKhz: v.getUint32(12), eirpDbm10: v.getInt32(16), seed: raw.slice(20, 52), deviceId: v.getBigUint64(52), ...(raw.length >= 68 ? { finalizeHeight: v.getBigUint64(60) } : {}) };
}

/** Checks a reported cell (optional: 0 = not reported) against the asserted location. */
function cellCheck(reported: bigint, asserted: bigint, ringLimit: number, inputs: Input[]): number {
  if (reported === 0n) return R.VALID;
  inputs.push(input('reported_cell', reported.toString(16)));
  if (!isLocationCell(reported)) return R.INVALID_CELL;
  const d = gridDistance(reported, asserted);
  inputs.push(input('reported_cell_rings', d ?? 'undefined'), input('ring_limit', ringLimit));
  return d === undefined || d > ringLimit ? R.LOCATION_MISMATCH : R.VALID;
}

export const beaconHandler: KindHandler<BeaconPayload> = {
  kind: KIND.BEACON,
  decode(bytes) {
    const p = decodePayload(BeaconPayloadCodec, bytes, 'beacon');
    requireBytes(p.payload, 32, 'payload');
    if (!p.localEntropy || p.localEntropy.length === 0 || p.localEntropy.length > 32) throw ErrInvalidPayload.wrap('local_entropy must be 1-32 bytes');
    return p;
  },
  seed: (k, ctx, p, h) => k.liveWindowSeed(ctx, p, h.window),
  subject: () => 0n,
  verify(k, ctx, e): Judgement {
    const { payload: b, header, device, params: p } = e;
    const inputs: Input[] = [input('payload', hex(b.payload)), input('region', b.region), input('frequency_khz', b.frequencyKhz), input('tx_power_dbm10', b.txPowerDbm10), input('antenna_gain_dbi10', b.antennaGainDbi10)];
    const fail = (reason: number): Judgement => ({ reason, units: 0n, inputs });
    if (device.locationCell === 0n) return fail(R.NOT_LOCATED);
    inputs.push(input('location', device.locationCell.toString(16)));
    const cellReason = cellCheck(u64(b.cell), device.locationCell, p.locationRingLimit, inputs);
    if (cellReason) return fail(cellReason);
    const region = p.regions.find((r) => r.id === b.region);
    const eirp = b.txPowerDbm10 + b.antennaGainDbi10;
    inputs.push(input('eirp_dbm10', eirp));
    if (!region) return fail(R.BEACON_BAD_RADIO);
    inputs.push(input('region_frequency_khz', `${region.minFrequencyKhz}-${region.maxFrequencyKhz}`), input('region_max_eirp_dbm10', region.maxEirpDbm10));
    if (b.frequencyKhz < region.minFrequencyKhz || b.frequencyKhz > region.maxFrequencyKhz) return fail(R.BEACON_BAD_RADIO);
    if (b.antennaGainDbi10 < MIN_GAIN_DBI10 || b.antennaGainDbi10 > p.maxAntennaGainDbi10 || eirp > region.maxEirpDbm10) return fail(R.BEACON_BAD_RADIO);
    const expected = beaconPayload(header.seed, device.id, b.localEntropy, b.region, b.frequencyKhz, b.dataRate);
    if (!equalBytes(expected, b.payload)) {
      inputs.push(input('regenerated_payload', hex(expected)));
      return fail(R.BEACON_PAYLOAD_MISMATCH);
    }
    // Valid so far: wait for witnesses. The end block queues this block's beacons in one key.
    const s = k.store(ctx);
    const id = e.record.id;
    const finalizeHeight = ctx.block.height + p.witnessWindowBlocks;
    s.set(keys.beaconByPayload(b.payload), encodeInfo({ proofId: id, region: b.region, frequencyKhz: b.frequencyKhz, eirpDbm10: eirp, seed: header.seed, deviceId: device.id, finalizeHeight }));
    s.set(keys.newBeacon(finalizeHeight, id), EMPTY);
    e.state.lastBeaconHeight = ctx.block.height;
    return { pending: true, reason: 0, units: 0n, inputs };
  },
};

export const witnessHandler: KindHandler<WitnessPayload> = {
  kind: KIND.WITNESS,
  decode(bytes) {
    const p = decodePayload(WitnessPayloadCodec, bytes, 'witness');
    requireBytes(p.beaconPayload, 32, 'beacon_payload');
    return p;
  },
  seed: (k, ctx, p, h) => k.liveWindowSeed(ctx, p, h.window),
  // One witness report per device per beacon (keyed by the beacon payload's first 8 bytes).
  subject: (_h, w) => readU64(w.beaconPayload),
  verify(k, ctx, e): Judgement {
    const { payload: w, device, params: p } = e;
    const inputs: Input[] = [input('beacon_payload', hex(w.beaconPayload)), input('rssi_dbm10', w.rssiDbm10), input('snr_db10', w.snrDb10), input('frequency_khz', w.frequencyKhz), input('region', w.region)];
    const fail = (reason: number): Judgement => ({ reason, units: 0n, inputs });
    const raw = k.store(ctx).get(keys.beaconByPayload(w.beaconPayload));
    if (!raw) return fail(R.WITNESS_UNKNOWN_BEACON);
    const beacon = decodeInfo(raw);
    inputs.push(input('beacon_proof_id', beacon.proofId), input('beaconer', beacon.deviceId));
    const beaconRecord = k.getRecord(ctx, beacon.proofId);
    if (!beaconRecord || beaconRecord.status !== STATUS.PENDING) return fail(R.WITNESS_LATE);
    if (beacon.deviceId === device.id) return fail(R.WITNESS_SELF);
    if (device.locationCell === 0n) return fail(R.NOT_LOCATED);
    const beaconCell = k.devices.locationCell(ctx, beacon.deviceId) ?? 0n;
    if (beaconCell === 0n) return fail(R.NOT_LOCATED);
    inputs.push(input('location', device.locationCell.toString(16)), input('beacon_location', beaconCell.toString(16)));
    const cellReason = cellCheck(u64(w.cell), device.locationCell, p.locationRingLimit, inputs);
    if (cellReason) return fail(cellReason);
    if (w.region !== beacon.region) return fail(R.WITNESS_REGION_MISMATCH);
    const df = Math.abs(w.frequencyKhz - beacon.frequencyKhz);
    inputs.push(input('beacon_frequency_khz', beacon.frequencyKhz), input('frequency_tolerance_khz', p.frequencyToleranceKhz));
    if (df > p.frequencyToleranceKhz) return fail(R.WITNESS_FREQUENCY_MISMATCH);
    if (w.rssiDbm10 < RSSI_RANGE[0] || w.rssiDbm10 > RSSI_RANGE[1] || w.snrDb10 < SNR_RANGE[0] || w.snrDb10 > SNR_RANGE[1]) return fail(R.WITNESS_BAD_RADIO);
    if (w.antennaGainDbi10 < MIN_GAIN_DBI10 || w.antennaGainDbi10 > p.maxAntennaGainDbi10) return fail(R.WITNESS_BAD_RADIO);
    const d = gridDistanceAt(beaconCell, device.locationCell, SEPARATION_RESOLUTION);
    inputs.push(input('grid_distance_res11', d ?? 'undefined'), input('min_grid_distance', p.minWitnessGridDistance), input('max_grid_distance', p.maxWitnessGridDistance));
    if (d === undefined) return fail(R.WITNESS_DISTANCE_UNDEFINED);
    if (d < p.minWitnessGridDistance) return fail(R.WITNESS_TOO_CLOSE);
    if (d > p.maxWitnessGridDistance) return fail(R.WITNESS_TOO_FAR);
    const fspl = fsplLowerBoundDb10(d, beacon.frequencyKhz);
    if (fspl === undefined) return fail(R.WITNESS_BAD_RADIO);
    const maxRssi = beacon.eirpDbm10 + w.antennaGainDbi10 - fspl;
    inputs.push(input('beacon_eirp_dbm10', beacon.eirpDbm10), input('antenna_gain_dbi10', w.antennaGainDbi10), input('fspl_min_db10', fspl), input('rssi_max_dbm10', maxRssi));
    if (w.rssiDbm10 > maxRssi) return fail(R.WITNESS_RSSI_TOO_STRONG);
    // Candidate: selection and reciprocity at the beacon's finalization. The end block adds this
    // block's candidates to the list of their beacons' finalization height.
    if (beacon.finalizeHeight === undefined) k.store(ctx).set(keys.witnessCandidate(beacon.proofId, e.record.id), Uint8Array.of(1));
    else k.store(ctx).set(keys.newCandidate(beacon.finalizeHeight, beacon.proofId, e.record.id), EMPTY);
    e.state.lastWitnessHeight = ctx.block.height;
    return { pending: true, reason: 0, units: 0n, inputs };
  },
};

function recent(last: bigint, now: bigint, window: bigint): boolean {
  if (window === 0n) return true; // reciprocity disabled
  return last > 0n && now - last <= window;
}

/** End block: finalizes every beacon whose witness window ends at this height. */
export function finalizeBeacons(k: ProofsKeeper, ctx: Context, p: Params): void {
  const s = k.store(ctx);
  const h = ctx.block.height;
  // Queue keys up to h: `0x09 ‖ u64(height)` with packed beacon ids, or (databases written before)
  // `0x09 ‖ u64(height) ‖ u64(beacon)`.
  const due = popPackedIds(s, K.beaconFinalize, keys.beaconFinalize, h);
  const dead: Uint8Array[] = [];
  const candidates = new Map<bigint, bigint[]>();
  for (const [key, value] of s.iterator(Uint8Array.of(K.candidatesAt), keys.candidatesAt(h + 1n))) {
    dead.push(Uint8Array.from(key));
    for (let i = 0; i + 16 <= value.length; i += 16) {
      const beacon = readU64(value, i);
      const list = candidates.get(beacon);
      if (list) list.push(readU64(value, i + 8));
      else candidates.set(beacon, [readU64(value, i + 8)]);
    }
  }
  for (const key of dead) s.delete(key);
  for (const beaconId of due) finalizeBeacon(k, ctx, p, beaconId, candidates.get(beaconId) ?? []);
}

function finalizeBeacon(k: ProofsKeeper, ctx: Context, p: Params, beaconId: bigint, witnessIds: readonly bigint[]): void {
  const s = k.store(ctx);
  const h = ctx.block.height;
  const beacon = k.getRecord(ctx, beaconId);
  if (!beacon || beacon.status !== STATUS.PENDING) return;
  const payloadHex = beacon.inputs.find((x) => x.key === 'payload')?.value ?? '';
  const infoRaw = s.get(keys.beaconByPayload(Buffer.from(payloadHex, 'hex')));
  const info = infoRaw ? decodeInfo(infoRaw) : undefined;
  // Rank seed: the beacon's window seed and payload, both fixed before any witness report exists;
  // the selection is then a function of the set of valid witnesses only, not of the order or the
  // block in which a proposer includes them.
  const rankSeed = sha256(concat(info?.seed ?? new Uint8Array(32), Buffer.from(payloadHex, 'hex')));

  const ids = [...witnessIds];
  if (info?.finalizeHeight === undefined) {
    // A beacon from a database written before the candidate lists: a key per candidate.
    const prefix = keys.witnessCandidatePrefix(beaconId);
    const keysToDelete: Uint8Array[] = [];
    for (const [key] of s.iterator(prefix, prefixEnd(prefix))) {
      keysToDelete.push(Uint8Array.from(key));
      ids.push(readU64(key, 9));
    }
    for (const key of keysToDelete) s.delete(key);
  }
  const candidates: ProofRecord[] = [];
  for (const id of ids) {
    const r = k.getRecord(ctx, id);
    if (r && r.status === STATUS.PENDING) candidates.push(r);
  }

  const eligible: { r: ProofRecord; rank: Uint8Array }[] = [];
  const refused: ProofRecord[] = [];
  for (const r of candidates) {
    const st = k.deviceState(ctx, r.deviceId);
    const pk = k.devices.publicKey(ctx, r.deviceId);
    if (!pk || !recent(st.lastBeaconHeight, h, p.reciprocityBlocks)) {
      r.inputs = [...r.inputs, input('last_beacon_height', st.lastBeaconHeight), input('reciprocity_blocks', p.reciprocityBlocks)];
      refused.push(r);
    } else eligible.push({ r, rank: rankKey(rankSeed, 'witness', pk.key) });
  }
  eligible.sort((a, b) => compareBytes(a.rank, b.rank) || (a.r.id < b.r.id ? -1 : 1));
  const selected = eligible.slice(0, p.maxWitnesses);
  const n = selected.length;

  const bst = k.deviceState(ctx, beacon.deviceId);
  const beaconInputs = [...beacon.inputs, input('witnesses_valid', eligible.length), input('witnesses_selected', n), input('last_witness_height', bst.lastWitnessHeight), input('rank_seed', hex(rankSeed))];
  if (recent(bst.lastWitnessHeight, h, p.reciprocityBlocks)) k.finalize(ctx, beacon, R.VALID, beaconerUnits(n), beaconInputs);
  else k.finalize(ctx, beacon, R.BEACON_NO_RECENT_WITNESS, 0n, [...beaconInputs, input('reciprocity_blocks', p.reciprocityBlocks)]);

  const wu = witnessUnits(n);
  eligible.forEach(({ r }, i) => {
    const inputs = [...r.inputs, input('rank', i + 1), input('max_witnesses', p.maxWitnesses)];
    if (i < p.maxWitnesses) k.finalize(ctx, r, R.VALID, wu, inputs);
    else k.finalize(ctx, r, R.WITNESS_NOT_SELECTED, 0n, inputs);
  });
  for (const r of refused) k.finalize(ctx, r, R.WITNESS_NO_RECENT_BEACON, 0n);
  if (ctx.events.enabled) ctx.events.emit(event('beacon_finalized', { proof_id: beaconId.toString(), device_id: beacon.deviceId.toString(), witnesses: String(candidates.length), selected: String(n) }));
}

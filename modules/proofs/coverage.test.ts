// Coverage proofs in-process: the honest beacon/witness round with HIP-15 units; every witness
// attack recorded with its reason code, no units and no candidacy; the colluding cluster capped at
// max_witnesses by H(seed ‖ key) regardless of tx order; reciprocity; one beacon per interval;
// the integer FSPL table equals its offline generator; HIP-15 arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h3 from 'h3-js';
import { ProofsHarness, cellNear, changes, VERDICT_TABLES, type TestDevice } from '../../test/helpers/proofs.ts';
import * as P from '../../sdk/proofs.ts';
import { deviceKeyFromPrivate } from '../../sdk/device-key.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { R, STATUS, KIND } from './reasons.ts';
import { BeaconPayloadCodec, encode } from './types.ts';
import { UNIT } from './hooks.ts';
import { beaconerUnits, witnessUnits } from './coverage/hip15.ts';
import { FSPL_DB10, BAND_KHZ, DISTANCE_BUCKETS, fsplLowerBoundDb10 } from './coverage/fspl.ts';
import { generate, BAND_MHZ, DISTANCE_BUCKETS as GEN_BUCKETS, lowerBoundMetres } from '../../scripts/fspl-table.ts';
import { gridDistanceAt } from './grid.ts';
import { K, keys } from './store-keys.ts';
import { finalizeBeacons } from './coverage/coverage.ts';
import { prefixEnd } from '../../chain/store/kv.ts';
import { storeKey, u64be, concat } from '../../chain/codec/bytes.ts';

const LAT = 52.52;
const LNG = 13.405;
const RADIO = { region: 1, frequencyKhz: 868_100, dataRate: 5, txPowerDbm10: 140, antennaGainDbi10: 20 } as const;
const HEARD = { rssiDbm10: -1_100, snrDb10: 55, frequencyKhz: 868_100, region: 1, antennaGainDbi10: 30 } as const;

async function beaconRound(t: ProofsHarness, beaconer: TestDevice, entropy = new Uint8Array([1, 2, 3, 4])) {
  const w = t.nextBlockWindow();
  const { envelope, payload } = P.beacon(beaconer.key, t.ec(beaconer, w), { ...RADIO, localEntropy: entropy });
  const r = await t.submit([envelope]);
  assert.equal(r.code, 0, r.log);
  return { w, payload, beaconId: ProofsHarness.proofIds(r)[0]! };
}

const reasonOf = (t: ProofsHarness, id: bigint) => t.record(id).reason;

test('HIP-15 units in integer fixed point match the formula', () => {
  for (let n = 0; n <= 30; n++) {
    const b = n <= 4 ? n / 4 : Math.min(2, 2 - 0.8 ** (n - 4));
    const w = n === 0 ? 0 : n <= 4 ? 1 : Math.min(2, (4 - (1 - 0.8 ** (n - 4))) / n);
    assert.ok(Math.abs(Number(beaconerUnits(n)) - b * 1e6) <= 1, `beaconer n=${n}`);
    assert.ok(Math.abs(Number(witnessUnits(n)) - w * 1e6) <= 1, `witness n=${n}`);
    assert.ok(beaconerUnits(n) <= b * 1e6 + 1e-6 && witnessUnits(n) <= w * 1e6 + 1e-6, 'rounded down');
  }
  assert.equal(beaconerUnits(4), UNIT);
  assert.equal(witnessUnits(14), 221_955n); // (3·5^10 + 4^10) / (5^10 · 14) = 0.2219557…
});

test('the committed FSPL table is exactly what the offline generator computes', () => {
  assert.deepEqual(FSPL_DB10, generate());
  assert.deepEqual([...BAND_KHZ], BAND_MHZ.map((m) => m * 1000));
  assert.deepEqual([...DISTANCE_BUCKETS], [...GEN_BUCKETS]);
  assert.equal(fsplLowerBoundDb10(22, 868_100), FSPL_DB10[3]![12]); // bucket 20, band 860 MHz
  assert.equal(fsplLowerBoundDb10(22, 300_000), undefined);
});

test('the FSPL distance model is a lower bound of real distances (h3-js geometry, off chain)', () => {
  let checked = 0;
  for (let i = 0; i < 400; i++) {
    const lat = -60 + ((i * 37) % 120);
    const lng = -170 + ((i * 53) % 340);
    const a = BigInt('0x' + h3.latLngToCell(lat, lng, 12));
    const dist = [300, 900, 3_000, 12_000, 60_000][i % 5]!;
    const b = cellNear(lat, lng, dist * Math.cos(i), dist * Math.sin(i));
    const d = gridDistanceAt(a, b, 11);
    if (d === undefined || d < 8) continue;
    const metres = h3.greatCircleDistance(h3.cellToLatLng(a.toString(16)), h3.cellToLatLng(b.toString(16)), 'm');
    assert.ok(metres >= lowerBoundMetres(d), `grid distance ${d}: ${metres.toFixed(0)} m < bound ${lowerBoundMetres(d)} m at ${lat},${lng}`);
    checked++;
  }
  assert.ok(checked > 300);
});

test('honest round: beacon + witnesses finalized with HIP-15 units; hooks called once per proof', async () => {
  const t = await ProofsHarness.open(() => ({ reciprocityBlocks: 0n }));
  const b = await t.device('coverage', { cell: cellNear(LAT, LNG, 0, 0) });
  const ws = [];
  for (const [n, e] of [[1_000, 0], [0, 1_500], [-2_000, 300], [800, -900], [3_000, 3_000]] as const) ws.push(await t.device('coverage', { cell: cellNear(LAT, LNG, n, e) }));
  await t.enterWindow(2n);
  const { w, payload, beaconId } = await beaconRound(t, b);
  assert.equal(t.record(beaconId).status, STATUS.PENDING);
  const r = await t.submit(ws.map((x) => P.witness(x.key, t.ec(x, w), { ...HEARD, beaconPayload: payload })));
  assert.equal(r.code, 0, r.log);
  const ids = ProofsHarness.proofIds(r);
  assert.equal(r.events.filter((e) => e.type === 'proof_pending').length, 5);
  assert.equal(t.hooks.verdicts.length, 0, 'no verdict before the witness window closes');
  await t.advanceTo(t.height() + t.params.witnessWindowBlocks);
  assert.equal(t.record(beaconId).status, STATUS.FINAL);
  assert.equal(t.record(beaconId).units, beaconerUnits(5));
  for (const id of ids) {
    const rec = t.record(id);
    assert.equal(rec.valid, true, `witness ${id}: ${rec.reason}`);
    assert.equal(rec.units, witnessUnits(5));
  }
  assert.deepEqual(t.hooks.verdicts.map((v) => v.proofId).sort(), [beaconId, ...ids].sort());
  assert.deepEqual(new Set(t.hooks.verdicts.map((v) => v.kind)), new Set(['coverage/beacon', 'coverage/witness']));
  const finalizedAt = t.record(beaconId).submittedHeight + t.params.witnessWindowBlocks;
  assert.ok(t.hooks.verdicts.every((v) => v.height === finalizedAt), 'all verdicts at the beacon\'s finalization height');
  await t.close();
});

test('witness attacks are recorded with their reason, inputs and zero units, and never become candidates', async () => {
  const t = await ProofsHarness.open(() => ({ reciprocityBlocks: 0n, witnessWindowBlocks: 15n }));
  const b = await t.device('coverage', { cell: cellNear(LAT, LNG, 0, 0) });
  const near = await t.device('coverage', { cell: cellNear(LAT, LNG, 60, 40) }); // ~70 m
  const far = await t.device('coverage', { cell: cellNear(LAT, LNG, 150_000, 0) }); // 150 km
  const loud = await t.device('coverage', { cell: cellNear(LAT, LNG, 1_000, 0) });
  const other = await t.device('coverage', { cell: cellNear(LAT, LNG, -1_200, 0) });
  const other2 = await t.device('coverage', { cell: cellNear(LAT, LNG, 0, -1_200) });
  const unknown = await t.device('coverage', { cell: cellNear(LAT, LNG, 500, 900) });
  await t.enterWindow(2n);
  const { w, payload, beaconId } = await beaconRound(t, b);

  const cases: [string, TestDevice, P.WitnessReport, number][] = [
    ['too close', near, { ...HEARD, beaconPayload: payload }, R.WITNESS_TOO_CLOSE],
    ['too far', far, { ...HEARD, beaconPayload: payload }, R.WITNESS_TOO_FAR],
    ['RSSI too strong for the distance', loud, { ...HEARD, beaconPayload: payload, rssiDbm10: -300 }, R.WITNESS_RSSI_TOO_STRONG],
    ['self-witness', b, { ...HEARD, beaconPayload: payload }, R.WITNESS_SELF],
    ['other region', other, { ...HEARD, beaconPayload: payload, region: 2 }, R.WITNESS_REGION_MISMATCH],
    ['other frequency', other2, { ...HEARD, beaconPayload: payload, frequencyKhz: 868_500 }, R.WITNESS_FREQUENCY_MISMATCH],
    ['unknown beacon', unknown, { ...HEARD, beaconPayload: sha256(new Uint8Array([9])) }, R.WITNESS_UNKNOWN_BEACON],
  ];
  for (const [what, dev, report, reason] of cases) {
    const before = t.chain.dump();
    const hooks = t.hooks.verdicts.length;
    const r = await t.submit([P.witness(dev.key, t.ec(dev, w), report)]);
    assert.equal(r.code, 0, `${what}: included (${r.log})`);
    const [ev] = ProofsHarness.verdictEvents(r);
    assert.equal(Number(ev!.reason), reason, `${what}: reason ${ev!.reason_name} ${JSON.stringify(t.record(BigInt(ev!.proof_id!)).inputs)}`);
    assert.equal(ev!.valid, 'false');
    assert.equal(ev!.units, '0');
    const rec = t.record(BigInt(ev!.proof_id!));
    assert.equal(rec.status, STATUS.FINAL);
    assert.ok(rec.inputs.length >= 5, `${what}: inputs recorded`);
    assert.equal(t.hooks.verdicts.length, hooks + 1);
    assert.equal(t.hooks.verdicts.at(-1)!.reason, reason);
    // Only the verdict's own tables changed (and the fee): no candidate, no beacon, no units.
    const proofsChanges = changes(before, t.chain.dump()).filter((c) => c.table !== undefined);
    assert.deepEqual(proofsChanges.filter((c) => !VERDICT_TABLES.has(c.table!)), [], `${what}: only the verdict record`);
  }
  const tooFar = t.record(t.hooks.verdicts.find((v) => v.reason === R.WITNESS_TOO_FAR)!.proofId);
  assert.ok(Number(tooFar.inputs.find((x) => x.key === 'grid_distance_res11')!.value) > t.params.maxWitnessGridDistance);
  const loudRec = t.record(t.hooks.verdicts.find((v) => v.reason === R.WITNESS_RSSI_TOO_STRONG)!.proofId);
  assert.ok(Number(loudRec.inputs.find((x) => x.key === 'rssi_max_dbm10')!.value) < -300);
  // The beacon is finalized with no valid witness: valid, zero units (n = 0).
  await t.advanceTo(t.height() + t.params.witnessWindowBlocks);
  assert.equal(t.record(beaconId).valid, true);
  assert.equal(t.record(beaconId).units, 0n);
  // A late witness (the beacon is final).
  const late = await t.submit([P.witness(loud.key, t.ec(loud, t.nextBlockWindow()), { ...HEARD, beaconPayload: payload })]);
  assert.equal(Number(ProofsHarness.verdictEvents(late)[0]!.reason), R.WITNESS_LATE);
  await t.close();
});

test('one beacon per device per window; a payload that does not regenerate is recorded invalid', async () => {
  const t = await ProofsHarness.open(() => ({ reciprocityBlocks: 0n }));
  const b = await t.device('coverage', { cell: cellNear(LAT, LNG, 0, 0) });
  await t.enterWindow(2n);
  const w = t.nextBlockWindow();
  // Re-sign a payload that is not the one the seed gives (pre-computed / replayed beacon bytes).
  const c = t.ec(b, w);
  const { envelope } = P.beacon(b.key, c, { ...RADIO, localEntropy: new Uint8Array([5, 5, 5, 5]) });
  const decoded = BeaconPayloadCodec.decode(envelope.payload);
  const bad = P.signEnvelopeOf(b.key, KIND.BEACON, c, encode(BeaconPayloadCodec, { ...decoded, payload: sha256(new Uint8Array([1])) }));
  const r = await t.submit([bad]);
  assert.equal(Number(ProofsHarness.verdictEvents(r)[0]!.reason), R.BEACON_PAYLOAD_MISMATCH);
  // That used the window's beacon slot: another beacon this window is a tx error.
  const again = await t.submit([P.beacon(b.key, t.ec(b, w), RADIO).envelope]);
  assert.equal(`${again.codespace}/${again.code}`, 'proofs/17');
  // Too much power for the region.
  await t.enterWindow(t.window() + 1n);
  const loud = await t.submit([P.beacon(b.key, t.ec(b, t.nextBlockWindow()), { ...RADIO, txPowerDbm10: 300 }).envelope]);
  assert.equal(Number(ProofsHarness.verdictEvents(loud)[0]!.reason), R.BEACON_BAD_RADIO);
  await t.close();
});

/** Same deterministic devices on a fresh chain; returns the selected witness device ids. */
async function clusterRun(order: 'forward' | 'reversed-split'): Promise<{ selected: bigint[]; notSelected: bigint[]; t: ProofsHarness; beaconUnits: bigint; witnessUnitsEach: bigint[] }> {
  const t = await ProofsHarness.open(() => ({ reciprocityBlocks: 0n }));
  const key = (i: number) => deviceKeyFromPrivate('secp256k1', sha256(new TextEncoder().encode(`cluster-${i}`)));
  const b = await t.device('coverage', { cell: cellNear(LAT, LNG, 0, 0), key: key(0) });
  const cluster: TestDevice[] = [];
  for (let i = 1; i <= 20; i++) cluster.push(await t.device('coverage', { cell: cellNear(LAT, LNG, 1_000 + 37 * i, 23 * i), key: key(i) }));
  await t.enterWindow(3n);
  const { w, payload, beaconId } = await beaconRound(t, b, new Uint8Array([4, 4, 4, 4]));
  const envs = cluster.map((x) => P.witness(x.key, t.ec(x, w), { ...HEARD, beaconPayload: payload }));
  if (order === 'forward') assert.equal((await t.submit(envs)).code, 0);
  else {
    const rev = [...envs].reverse();
    for (const part of [rev.slice(0, 7), rev.slice(7, 13), rev.slice(13)]) assert.equal((await t.submit(part)).code, 0);
  }
  await t.advanceTo(t.height() + t.params.witnessWindowBlocks);
  const witnessVerdicts = t.hooks.verdicts.filter((v) => v.kind === 'coverage/witness');
  return {
    t,
    selected: witnessVerdicts.filter((v) => v.valid).map((v) => v.deviceId).sort(),
    notSelected: witnessVerdicts.filter((v) => v.reason === R.WITNESS_NOT_SELECTED).map((v) => v.deviceId).sort(),
    beaconUnits: t.record(beaconId).units,
    witnessUnitsEach: witnessVerdicts.filter((v) => v.valid).map((v) => v.units),
  };
}

test('a colluding cluster of 20 witnesses: 14 selected by H(seed ‖ key), 6 recorded "not selected", whatever the tx order', async () => {
  const a = await clusterRun('forward');
  const b = await clusterRun('reversed-split');
  assert.equal(a.selected.length, 14);
  assert.equal(a.notSelected.length, 6);
  assert.deepEqual(a.selected, b.selected, 'same selection in any order and blocks');
  assert.deepEqual(a.notSelected, b.notSelected);
  assert.equal(a.beaconUnits, beaconerUnits(14));
  assert.ok(a.witnessUnitsEach.every((u) => u === witnessUnits(14)));
  // The cap is not "first 14 to arrive": in forward order the first 14 devices are ids 2..15.
  assert.notDeepEqual(a.selected, Array.from({ length: 14 }, (_, i) => BigInt(i + 2)));
  await a.t.close();
  await b.t.close();
});

test('reciprocity: a device earns only with both a recent beacon and a recent witness', async () => {
  const t = await ProofsHarness.open(() => ({ reciprocityBlocks: 100n }));
  const A = await t.device('coverage', { cell: cellNear(LAT, LNG, 0, 0) });
  const B = await t.device('coverage', { cell: cellNear(LAT, LNG, 1_500, 0) });
  await t.enterWindow(2n);
  // Round 1: nobody has history.
  const r1 = await beaconRound(t, A);
  const wit1 = ProofsHarness.proofIds(await t.submit([P.witness(B.key, t.ec(B, r1.w), { ...HEARD, beaconPayload: r1.payload })]))[0]!;
  await t.advanceTo(t.height() + t.params.witnessWindowBlocks);
  assert.equal(reasonOf(t, r1.beaconId), R.BEACON_NO_RECENT_WITNESS);
  assert.equal(reasonOf(t, wit1), R.WITNESS_NO_RECENT_BEACON);
  // Round 2 (next window): roles swap; both now have the other half of the history.
  await t.enterWindow(t.window() + 1n);
  const r2 = await beaconRound(t, B);
  const wit2 = ProofsHarness.proofIds(await t.submit([P.witness(A.key, t.ec(A, r2.w), { ...HEARD, beaconPayload: r2.payload })]))[0]!;
  await t.advanceTo(t.height() + t.params.witnessWindowBlocks);
  assert.equal(reasonOf(t, r2.beaconId), R.VALID);
  assert.equal(t.record(r2.beaconId).units, beaconerUnits(1));
  assert.equal(reasonOf(t, wit2), R.VALID);
  // History older than reciprocity_blocks no longer counts.
  await t.advanceTo(t.height() + 120n);
  await t.enterWindow(t.window() + 1n);
  const r3 = await beaconRound(t, A);
  await t.advanceTo(t.height() + t.params.witnessWindowBlocks);
  assert.equal(reasonOf(t, r3.beaconId), R.BEACON_NO_RECENT_WITNESS);
  await t.close();
});

test('beacon queue and witness candidates: one key per finalization height, written by the end block; block-local keys never committed; the per-beacon keys of older databases still finalize', async () => {
  const W = 4n;
  const t = await ProofsHarness.open(() => ({ reciprocityBlocks: 0n, witnessWindowBlocks: W }));
  const [b1, b2, wit] = [await t.device('coverage', { cell: cellNear(LAT, LNG, 0, 0) }), await t.device('coverage', { cell: cellNear(LAT, LNG, 0, 2_000) }), await t.device('coverage', { cell: cellNear(LAT, LNG, 1_200, 1_000) })];
  const table = (k: number) => [...t.chain.keepers.proofs.store(t.ctx()).iterator(Uint8Array.of(k), prefixEnd(Uint8Array.of(k)))].map(([key, v]) => [Buffer.from(key).toString('hex'), Buffer.from(v).toString('hex')]);
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const noBlockLocal = () => assert.deepEqual([...table(K.newBeacon), ...table(K.newCandidate)], [], 'no block-local key committed');
  await t.enterWindow(2n);
  const w = t.nextBlockWindow();
  const beacons = [b1, b2].map((d, i) => P.beacon(d.key, t.ec(d, w), { ...RADIO, localEntropy: new Uint8Array([i + 1]) }));
  const r = await t.submit(beacons.map((x) => x.envelope));
  assert.equal(r.code, 0, r.log);
  const ids = ProofsHarness.proofIds(r);
  const at = t.height() + W;
  // Both beacons of the block in one queue key, in id order.
  assert.deepEqual(table(K.beaconFinalize), [[hex(keys.beaconFinalize(at)), hex(concat(...ids.map((id) => u64be(id))))]]);
  noBlockLocal();
  // A failed tx (its second envelope replays a sequence) queues nothing.
  const lateW = t.nextBlockWindow();
  const stale = { ...t.ec(b1, lateW), seq: 1n };
  const bad = await t.submit([P.beacon(wit.key, t.ec(wit, lateW), { ...RADIO, localEntropy: new Uint8Array([9]) }).envelope, P.beacon(b1.key, stale, { ...RADIO, localEntropy: new Uint8Array([8]) }).envelope]);
  assert.equal(`${bad.codespace}/${bad.code}`, 'proofs/12', bad.log);
  assert.equal(table(K.beaconFinalize).length, 1);
  noBlockLocal();
  // One witness hears both: its two candidacies in one list for the finalization height.
  const rw = await t.submit(beacons.map((x) => P.witness(wit.key, t.ec(wit, w), { ...HEARD, beaconPayload: x.payload })));
  assert.equal(rw.code, 0, rw.log);
  const wids = ProofsHarness.proofIds(rw);
  assert.deepEqual(table(K.candidatesAt), [[hex(keys.candidatesAt(at)), hex(concat(...ids.flatMap((id, i) => [u64be(id), u64be(wids[i]!)])))]]);
  noBlockLocal();
  // The beacons' databases-before-2026-11-25 form, on a branch at the finalization height: a
  // 60-byte info, a queue key per beacon and a candidate key per witness. It finalizes the same.
  const ctx = t.branchCtx(at);
  const s = t.chain.keepers.proofs.store(ctx);
  s.delete(keys.beaconFinalize(at));
  s.delete(keys.candidatesAt(at));
  for (const [i, x] of beacons.entries()) {
    const info = s.get(keys.beaconByPayload(x.payload))!;
    s.set(keys.beaconByPayload(x.payload), info.slice(0, 60));
    s.set(storeKey(K.beaconFinalize, at, ids[i]!), Uint8Array.of(1));
    s.set(storeKey(K.witnessCandidate, ids[i]!, wids[i]!), Uint8Array.of(1));
  }
  finalizeBeacons(t.chain.keepers.proofs, ctx, t.params);
  for (const id of [...ids, ...wids]) {
    const rec = t.chain.keepers.proofs.getRecord(ctx, id)!;
    assert.deepEqual([rec.status, rec.valid], [STATUS.FINAL, true], `old form: proof ${id} reason ${rec.reason}`);
  }
  for (const k of [K.beaconFinalize, K.witnessCandidate]) assert.deepEqual([...s.iterator(Uint8Array.of(k), prefixEnd(Uint8Array.of(k)))], [], `old keys 0x${k.toString(16)} deleted`);
  // On the chain itself: finalized with one witness each, and the queue and lists are gone.
  await t.advanceTo(at);
  for (const id of [...ids, ...wids]) assert.deepEqual([t.record(id).status, t.record(id).valid], [STATUS.FINAL, true], `proof ${id}`);
  assert.equal(t.record(ids[0]!).units, beaconerUnits(1));
  assert.deepEqual([...table(K.beaconFinalize), ...table(K.candidatesAt), ...table(K.witnessCandidate)], []);
  noBlockLocal();
  await t.close();
});

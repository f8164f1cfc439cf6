// Queries and genesis of the proofs module in-process: proofs by device newest first with their
// verdicts and inputs, the per-device per-window summary with reason counts, seeds with their
// bounds, device state and bond; the module account holds exactly the bonds, escrows, challenge
// bonds and fraud fund it accounts for; genesis export -> import reproduces the app hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProofsHarness, cellAt, cellNear } from '../../test/helpers/proofs.ts';
import { TestChain, diffDumps, devKeys } from '../../test/helpers/inproc.ts';
import * as P from '../../sdk/proofs.ts';
import { moduleAddress } from '../auth/keeper.ts';
import { publicKeyCreate, randomPrivateKey } from '../../chain/crypto/secp256k1.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { R } from './reasons.ts';
import { Q } from './types.ts';
import { K, keys } from './store-keys.ts';
import { prefixEnd } from '../../chain/store/kv.ts';
import { u64be } from '../../chain/codec/bytes.ts';
import { encodeRecord } from './types.ts';
import { getJob } from './compute.ts';

const LAT = 51.5072;
const LNG = -0.1276;

test('queries, module balance accounting, and genesis export -> import', async () => {
  const t = await ProofsHarness.open();
  const home = cellAt(LAT, LNG);
  const s = await t.device('sensor', { cell: home });
  const prov = await t.device('compute', { cell: home, owner: devKeys[1]! });
  await t.ok(prov.owner, [P.bondProviderMsg(prov.owner.address, prov.id, { denom: 'udpin', amount: 100_000_000n })]);
  await t.ok(devKeys[5]!, [P.bondVerifierMsg(devKeys[5]!.address, { denom: 'udpin', amount: 150_000_000n })]);
  await t.ok(devKeys[4]!, [P.createJobMsg(devKeys[4]!.address, prov.id, publicKeyCreate(randomPrivateKey()), { denom: 'udpin', amount: 2_000_000n }, 10n, sha256(new Uint8Array([1])))]);
  await t.enterWindow(2n);
  const w = t.nextBlockWindow();
  const ids: bigint[] = [];
  for (const [cell, tag] of [[home, 'a'], [cellNear(LAT, LNG, 5_000, 0), 'b']] as const) {
    const d = tag === 'a' ? s : await t.device('sensor', { cell: home });
    const r = await t.submit([P.sensorBatch(d.key, t.ec(d, w), { readings: [new TextEncoder().encode(tag)], cell })]);
    ids.push(ProofsHarness.proofIds(r)[0]!);
  }
  await t.enterWindow(w + 1n);
  const w2 = t.nextBlockWindow();
  const r2 = await t.submit([P.sensorBatch(s.key, t.ec(s, w2), { readings: [new Uint8Array([1])], cell: cellNear(LAT, LNG, 9_000, 0) })]);
  const later = ProofsHarness.proofIds(r2)[0]!;

  const q = <N extends keyof typeof Q>(name: N, req: object) => t.chain.query(`/depin.proofs.v1.Query/${name}`, Q[name][0] as never, req as never, Q[name][1]) as any;
  // Newest first, with verdicts and inputs.
  const page = q('ProofsByDevice', { deviceId: s.id });
  assert.deepEqual(page.proofs.map((p: any) => BigInt(p.id.toString())), [later, ids[0]]);
  assert.equal(page.proofs[0].reason, R.LOCATION_MISMATCH);
  assert.ok(page.proofs[0].inputs.some((x: any) => x.key === 'rings_from_location'));
  const oldestFirst = q('ProofsByDevice', { deviceId: s.id, pagination: { reverse: true, limit: 1 } });
  assert.deepEqual(oldestFirst.proofs.map((p: any) => BigInt(p.id.toString())), [ids[0]]);
  assert.ok(oldestFirst.pagination.nextKey.length > 0);
  const one = q('Proof', { id: later });
  assert.deepEqual([one.reasonName, one.kindName], ['location_mismatch', 'sensor/batch']);
  // Per-device per-window summary.
  const sum = q('DeviceWindow', { deviceId: s.id, window: w2 });
  assert.deepEqual([Number(sum.proofs), Number(sum.valid), Number(sum.invalid), Number(sum.units)], [1, 0, 1, 0]);
  assert.deepEqual(sum.reasons.map((x: any) => [x.reason, x.name, Number(x.count)]), [[R.LOCATION_MISMATCH, 'location_mismatch', 1]]);
  const sumW = q('DeviceWindow', { deviceId: s.id, window: w });
  assert.deepEqual([Number(sumW.valid), Number(sumW.units)], [1, 1_000_000]);
  // Seeds: bounds and availability.
  const seed = q('Seed', { window: w2 });
  assert.equal(seed.available, true);
  assert.deepEqual(Buffer.from(seed.seed), Buffer.from(t.seed(w2)));
  assert.equal(Number(seed.windowStart), Number(w2 * t.params.windowBlocks));
  assert.equal(Number(seed.sourceHeight), Number(w2 * t.params.windowBlocks - t.params.seedDelayBlocks));
  const future = q('Seed', { window: w2 + 3n });
  assert.equal(future.available, false);
  const st = q('DeviceState', { deviceId: prov.id });
  assert.equal(st.bond.bonded, '100000000');
  assert.equal(Number(q('DeviceState', { deviceId: s.id }).state.lastSeq), Number(s.seq));
  const notFound = t.chain.queryRaw('/depin.proofs.v1.Query/Proof', Q.Proof[0].encode({ id: 999_999n }));
  assert.equal(notFound.codespace, 'proofs');
  assert.match(notFound.log, /NotFound/);

  // The module account holds exactly what the module accounts for.
  const k = t.chain.keepers.proofs;
  const ctx = t.ctx();
  const job = getJob(k, ctx, 1n)!;
  const held = k.getBond(ctx, prov.id)!.bonded + k.getVerifier(ctx, devKeys[5]!.address)!.bonded + job.remaining + job.checkFee + k.fraudFund(ctx);
  assert.equal(t.chain.balance(moduleAddress('proofs')), held);

  // Genesis round trip: same app hash; the imported chain keeps accepting proofs.
  const exported = t.chain.app.exportGenesis();
  const g = { ...t.chain.genesis, app_state: exported, initial_height: '1' };
  const c2 = await TestChain.open(g);
  const proofsKeys = (m: Map<string, string>) => new Map([...m].filter(([key]) => key.startsWith(Buffer.from('proofs/').toString('hex')) && !key.startsWith(Buffer.from('proofs/').toString('hex') + K.appHash.toString(16).padStart(2, '0'))));
  assert.deepEqual(diffDumps(proofsKeys(t.chain.dump()), proofsKeys(c2.dump())), []);
  await t.close();
  await c2.close();
});

test('a device\'s proofs are a chain from its state: no index key per proof; pages newest and oldest first; index entries of older databases listed below the chain; a pruned record ends it', async () => {
  const t = await ProofsHarness.open();
  const home = cellAt(LAT, LNG);
  const [s, other] = [await t.device('sensor', { cell: home }), await t.device('sensor', { cell: home })];
  const mine: bigint[] = [];
  await t.enterWindow(2n);
  for (let i = 0; i < 5; i++) {
    const w = t.nextBlockWindow();
    const r = await t.submit([s, other].map((d) => P.sensorBatch(d.key, t.ec(d, w), { readings: [new Uint8Array([i])], cell: home })));
    mine.push(ProofsHarness.proofIds(r)[0]!);
    await t.nextWindow();
  }
  const newest = [...mine].reverse();
  assert.deepEqual([...t.chain.keepers.proofs.store(t.ctx()).iterator(Uint8Array.of(K.byDevice), prefixEnd(Uint8Array.of(K.byDevice)))], [], 'no index key');
  assert.equal(t.chain.keepers.proofs.deviceState(t.ctx(), s.id).lastProofId, newest[0]);
  const q = (pagination: object) => t.chain.query('/depin.proofs.v1.Query/ProofsByDevice', Q.ProofsByDevice[0] as never, { deviceId: s.id, pagination } as never, Q.ProofsByDevice[1]) as { proofs: { id: unknown }[]; pagination: { nextKey: Uint8Array; total: unknown } };
  const pages = (reverse: boolean) => {
    const out: bigint[][] = [];
    let key: Uint8Array | undefined;
    do {
      const r = q({ limit: 2n, reverse, ...(key ? { key } : {}) });
      out.push(r.proofs.map((p) => BigInt(String(p.id))));
      key = r.pagination.nextKey.length ? r.pagination.nextKey : undefined;
    } while (key);
    return out;
  };
  assert.deepEqual(pages(false), [newest.slice(0, 2), newest.slice(2, 4), newest.slice(4)]);
  assert.deepEqual(pages(true), [mine.slice(0, 2), mine.slice(2, 4), mine.slice(4)]);
  assert.equal(String(q({ countTotal: true, limit: 1n }).pagination.total), '5');
  assert.deepEqual(q({ offset: 3n }).proofs.map((p) => BigInt(String(p.id))), newest.slice(3));
  for (const reverse of [false, true]) {
    const bad = t.chain.queryRaw('/depin.proofs.v1.Query/ProofsByDevice', Q.ProofsByDevice[0].encode({ deviceId: s.id, pagination: { key: new Uint8Array(3), reverse } } as never));
    assert.deepEqual([bad.codespace, bad.code], ['sdk', 18], bad.log);
    assert.match(bad.log, /proof id \(8 bytes\), got 3 bytes/);
  }
  // A database written before the chain: the two oldest proofs listed by index keys only.
  const k = t.chain.keepers.proofs;
  const ctx = t.branchCtx(t.height() + 1n);
  const third = k.getRecord(ctx, mine[2]!)!;
  k.store(ctx).set(keys.record(third.id), encodeRecord({ ...third, prevByDevice: 0n }));
  for (const id of mine.slice(0, 2)) k.store(ctx).set(keys.byDevice(s.id, id), u64be(1n));
  assert.deepEqual([...k.proofsOfDevice(ctx, s.id)].map((r) => r.id), newest);
  assert.deepEqual([...k.proofsOfDevice(ctx, s.id, mine[1])].map((r) => r.id), [mine[1], mine[0]], 'from an index-only proof');
  // Pruning goes oldest first: a missing record ends the chain.
  const ctx2 = t.branchCtx(t.height() + 1n);
  k.store(ctx2).delete(keys.record(mine[1]!));
  assert.deepEqual([...k.proofsOfDevice(ctx2, s.id)].map((r) => r.id), newest.slice(0, 3));
  await t.close();
});

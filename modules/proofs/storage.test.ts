// Storage (PDP) in-process: a bonded provider's data set, challenges fixed before their seed
// exists, honest Merkle answers paid per challenge; a wrong leaf, a wrong path and a
// non-provider's proof recorded with their reasons; an answer before the seed is a tx error;
// missed periods become faults in end block, slashed only beyond the grace periods, terminated
// after max_consecutive_faults; the DataSet query tells the provider exactly what to prove.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ProofsHarness, cellAt, type TestDevice } from '../../test/helpers/proofs.ts';
import * as P from '../../sdk/proofs.ts';
import { R, KIND } from './reasons.ts';
import { UNIT } from './hooks.ts';
import { getDataSet, processStorageDeadlines } from './storage.ts';
import { DS_ACTIVE, DS_TERMINATED } from './types.ts';
import { K, keys } from './store-keys.ts';
import { prefixEnd } from '../../chain/store/kv.ts';
import { storeKey, u64be, concat } from '../../chain/codec/bytes.ts';

const BOND = { denom: 'udpin', amount: 100_000_000n };
const pieces = [P.Piece.fromBytes(randomBytes(32 * 100)), P.Piece.fromBytes(randomBytes(32 * 37))];

async function setup(tweak = {}) {
  const t = await ProofsHarness.open(() => tweak);
  const prov = await t.device('storage', { cell: cellAt(40.7128, -74.006) });
  await t.ok(prov.owner, [P.bondProviderMsg(prov.owner.address, prov.id, BOND)]);
  const r = await t.ok(prov.owner, [P.createDataSetMsg(prov.owner.address, prov.id, pieces.map((p) => ({ root: p.root, leafCount: p.leafCount })))]);
  const id = BigInt(r.events.find((e) => e.type === 'data_set_created')!.attributes.find((a) => a.key === 'data_set_id')!.value);
  return { t, prov, id };
}

const dataSet = (t: ProofsHarness, id: bigint) => getDataSet(t.chain.keepers.proofs, t.ctx(), id)!;

/** Waits until the current period's challenge seed exists; returns the envelope context pieces. */
async function challenge(t: ProofsHarness, id: bigint) {
  const d = dataSet(t, id);
  // The seed is the app hash after block c; the chain records it in block c + 1's begin block,
  // from when it can be queried and answered.
  await t.advanceTo(d.challengeHeight + 1n);
  const seed = t.chain.keepers.proofs.challengeSeedAt(t.ctx(), d.challengeHeight)!;
  assert.ok(seed, 'seed exists once the block after the challenge height is committed');
  return { d, seed };
}

function proof(t: ProofsHarness, dev: TestDevice, id: bigint, d: { period: bigint }, seed: Uint8Array, answers = P.pdpAnswers(pieces, seed, id, t.params.challengesPerProof)) {
  dev.seq += 1n;
  return P.pdpProof(dev.key, { chainId: 'depin-local-1', deviceId: dev.id, window: d.period, seed, seq: dev.seq }, id, answers);
}

test('honest PDP period: answered challenges are valid and paid per challenge; the next challenge height is fixed ahead', async () => {
  const { t, prov, id } = await setup();
  const d0 = dataSet(t, id);
  assert.equal(d0.totalLeaves, 137n);
  assert.equal(d0.challengeHeight, d0.createdHeight + t.params.challengeFinalityBlocks);
  // Too early: the challenge seed does not exist yet.
  const early = await t.submit([proof(t, prov, id, d0, new Uint8Array(32))]);
  assert.equal(`${early.codespace}/${early.code}`, 'proofs/14', early.log);
  const { d, seed } = await challenge(t, id);
  const r = await t.submit([proof(t, prov, id, d, seed)]);
  assert.equal(r.code, 0, r.log);
  const [ev] = ProofsHarness.verdictEvents(r);
  assert.equal(ev!.valid, 'true', ev!.reason_name);
  assert.equal(BigInt(ev!.units!), BigInt(t.params.challengesPerProof) * (UNIT / 5n));
  const d1 = dataSet(t, id);
  assert.deepEqual([d1.period, d1.provenPeriods, d1.challengeHeight], [1n, 1n, d.challengeHeight + t.params.provingPeriodBlocks]);
  assert.ok(d1.challengeHeight > t.height(), 'the next challenge height lies in the future');
  // The DataSet query answers with the same challenge indexes the SDK computed.
  await t.advanceTo(d1.challengeHeight + 1n);
  const q = t.chain.query('/depin.proofs.v1.Query/DataSet', (await import('./types.ts')).Q.DataSet[0], { id }, (await import('./types.ts')).Q.DataSet[1]) as { challenges: unknown[] };
  const seed1 = t.chain.keepers.proofs.challengeSeedAt(t.ctx(), d1.challengeHeight)!;
  assert.deepEqual(q.challenges.map((x) => BigInt(String(x))), Array.from({ length: t.params.challengesPerProof }, (_, i) => P.pdpChallengeIndex(seed1, id, i, 137n)));
  await t.close();
});

test('wrong leaf, wrong Merkle path and a non-provider are recorded invalid; a wrong answer is the period\'s fault', async () => {
  const { t, prov, id } = await setup({ faultGracePeriods: 5 });
  let { d, seed } = await challenge(t, id);
  const answers = P.pdpAnswers(pieces, seed, id, t.params.challengesPerProof);
  const wrongLeaf = answers.map((a, i) => (i === 1 ? { ...a, leaf: randomBytes(32) } : a));
  const r1 = await t.submit([proof(t, prov, id, d, seed, wrongLeaf)]);
  const ev1 = ProofsHarness.verdictEvents(r1)[0]!;
  assert.equal(Number(ev1.reason), R.PDP_ROOT_MISMATCH, ev1.reason_name);
  assert.equal(ev1.units, '0');
  assert.deepEqual([dataSet(t, id).period, dataSet(t, id).faults], [1n, 1n]);
  // Period 1: a path one level short, and a path with a wrong sibling.
  ({ d, seed } = await challenge(t, id));
  const a2 = P.pdpAnswers(pieces, seed, id, t.params.challengesPerProof);
  const short = a2.map((a, i) => (i === 0 ? { ...a, path: a.path.slice(1) } : a));
  assert.equal(Number(ProofsHarness.verdictEvents(await t.submit([proof(t, prov, id, d, seed, short)]))[0]!.reason), R.PDP_PATH_LENGTH);
  ({ d, seed } = await challenge(t, id));
  const a3 = P.pdpAnswers(pieces, seed, id, t.params.challengesPerProof);
  const badSibling = a3.map((a, i) => (i === 2 ? { ...a, path: a.path.map((s, j) => (j === 3 ? randomBytes(32) : s)) } : a));
  assert.equal(Number(ProofsHarness.verdictEvents(await t.submit([proof(t, prov, id, d, seed, badSibling)]))[0]!.reason), R.PDP_ROOT_MISMATCH);
  // Another storage device answering for this set (even correctly) does not prove it.
  ({ d, seed } = await challenge(t, id));
  const intruder = await t.device('storage', { cell: cellAt(40.7, -74) });
  const r4 = await t.submit([proof(t, intruder, id, d, seed)]);
  assert.equal(Number(ProofsHarness.verdictEvents(r4)[0]!.reason), R.PDP_NOT_PROVIDER);
  assert.equal(dataSet(t, id).period, d.period, 'the set\'s period is untouched by a non-provider');
  await t.close();
});

test('missed periods: faults in end block with the hook, slashing only after the grace periods, termination', async () => {
  const { t, prov, id } = await setup({ faultGracePeriods: 1, maxConsecutiveFaults: 3, faultSlashBps: 1_000 });
  const bond = () => t.chain.keepers.proofs.getBond(t.ctx(), prov.id)!.bonded;
  const supply0 = t.chain.supply();
  let d = dataSet(t, id);
  await t.advanceTo(d.deadlineHeight);
  let miss = t.hooks.verdicts.at(-1)!;
  assert.deepEqual([miss.kind, miss.reason, miss.valid, miss.window, miss.height], ['storage/pdp', R.PDP_MISSED_PERIOD, false, 0n, d.deadlineHeight]);
  assert.equal(bond(), BOND.amount, 'first miss is within grace: no slash');
  d = dataSet(t, id);
  await t.advanceTo(d.deadlineHeight);
  assert.equal(bond(), (BOND.amount * 9n) / 10n, 'second consecutive miss: 10% slashed');
  assert.equal(t.chain.supply(), supply0 - BOND.amount / 10n, 'slashed stake is burned');
  d = dataSet(t, id);
  await t.advanceTo(d.deadlineHeight);
  miss = t.hooks.verdicts.at(-1)!;
  assert.equal(miss.reason, R.PDP_MISSED_PERIOD);
  assert.equal(dataSet(t, id).status, DS_TERMINATED);
  assert.equal(dataSet(t, id).consecutiveFaults, 3n);
  const faults = t.hooks.verdicts.filter((v) => v.reason === R.PDP_MISSED_PERIOD).length;
  await t.advanceTo(t.height() + t.params.provingPeriodBlocks * 2n);
  assert.equal(t.hooks.verdicts.filter((v) => v.reason === R.PDP_MISSED_PERIOD).length, faults, 'a terminated set is no longer challenged');
  await t.close();
});

test('a proof within grace resets the consecutive fault count; data sets need a bonded provider', async () => {
  const { t, prov, id } = await setup({ faultGracePeriods: 1 });
  let d = dataSet(t, id);
  await t.advanceTo(d.deadlineHeight);
  assert.equal(dataSet(t, id).consecutiveFaults, 1n);
  const { d: d1, seed } = await challenge(t, id);
  assert.equal((await t.submit([proof(t, prov, id, d1, seed)])).code, 0);
  d = dataSet(t, id);
  assert.deepEqual([d.consecutiveFaults, d.faults, d.status], [0n, 1n, DS_ACTIVE]);
  const unbonded = await t.device('storage', { cell: cellAt(1, 1) });
  const r = await t.tx(unbonded.owner, [P.createDataSetMsg(unbonded.owner.address, unbonded.id, [{ root: pieces[0]!.root, leafCount: 100n }])]);
  assert.equal(`${r.codespace}/${r.code}`, 'proofs/34', r.log);
  await t.close();
});

test('challenge heights: one mark per height for every data set scheduled there, removed once its app hash is recorded; per data set keys of older databases still work', async () => {
  const { t, prov, id } = await setup();
  const marks = (ctx = t.ctx()) => [...t.chain.keepers.proofs.store(ctx).iterator(Uint8Array.of(K.challengeAt), prefixEnd(Uint8Array.of(K.challengeAt)))].map(([k]) => Buffer.from(k).toString('hex'));
  // Two more sets in one block: the same challenge height as each other, one mark for both.
  const more = await t.ok(prov.owner, [1, 2].map(() => P.createDataSetMsg(prov.owner.address, prov.id, pieces.map((p) => ({ root: p.root, leafCount: p.leafCount })))));
  const ids = [id, ...more.events.filter((e) => e.type === 'data_set_created').map((e) => BigInt(e.attributes.find((a) => a.key === 'data_set_id')!.value))];
  const [a, b, c] = ids.map((x) => dataSet(t, x));
  assert.equal(b!.challengeHeight, c!.challengeHeight);
  assert.notEqual(a!.challengeHeight, b!.challengeHeight);
  assert.deepEqual(marks(), [a!.challengeHeight, b!.challengeHeight].map((h) => Buffer.from(keys.challengeAt(h)).toString('hex')));
  // The block after a challenge height records its app hash (the seed) and removes its mark.
  const { seed: seedA } = await challenge(t, id);
  assert.ok(t.chain.keepers.proofs.appHashAt(t.ctx(), a!.challengeHeight), 'app hash of the challenge height recorded');
  assert.deepEqual(marks(), [Buffer.from(keys.challengeAt(b!.challengeHeight)).toString('hex')]);
  await t.advanceTo(b!.challengeHeight + 1n);
  assert.deepEqual(marks(), []);
  // All three proven in one block: they move to two next heights, one mark each.
  const seedB = t.chain.keepers.proofs.challengeSeedAt(t.ctx(), b!.challengeHeight)!;
  const r = await t.submit([proof(t, prov, id, a!, seedA), ...[b!, c!].map((d) => proof(t, prov, d.id, d, seedB))]);
  assert.equal(r.code, 0, r.log);
  assert.deepEqual(ProofsHarness.verdictEvents(r).map((e) => e.valid), ['true', 'true', 'true']);
  const next = [...new Set(ids.map((x) => dataSet(t, x).challengeHeight))].sort((x, y) => (x < y ? -1 : 1));
  assert.deepEqual(marks(), next.map((h) => Buffer.from(keys.challengeAt(h)).toString('hex')));

  // A database written before marks holds `0x20 ‖ u64(height) ‖ u64(data set)` keys: such a key
  // alone makes the next block record the height's app hash, and is swept with it.
  const h = t.height() + 5n;
  assert.ok(!next.includes(h) && (h + t.params.seedDelayBlocks) % t.params.windowBlocks !== 0n, 'h is neither marked nor a window seed source');
  const lastAppHash = new Uint8Array(32).fill(7);
  const ctx = t.branchCtx(h + 1n, lastAppHash);
  const legacy = storeKey(K.challengeAt, h, 42n);
  t.chain.keepers.proofs.store(ctx).set(legacy, Uint8Array.of(1));
  t.chain.keepers.proofs.recordAppHash(ctx);
  assert.deepEqual(t.chain.keepers.proofs.appHashAt(ctx, h), lastAppHash);
  assert.equal(t.chain.keepers.proofs.store(ctx).get(legacy), undefined, 'the old key is swept');
  // Without it, that height's app hash is not kept.
  const ctx2 = t.branchCtx(h + 1n, lastAppHash);
  t.chain.keepers.proofs.recordAppHash(ctx2);
  assert.equal(t.chain.keepers.proofs.appHashAt(ctx2, h), undefined);
  await t.close();
});

test('deadline queue: one list per height, filled by the end block; an entry whose data set moved on is skipped; the per data set keys of older databases still count', async () => {
  const { t, prov, id } = await setup();
  const table = (k: number, ctx = t.ctx()) => [...t.chain.keepers.proofs.store(ctx).iterator(Uint8Array.of(k), prefixEnd(Uint8Array.of(k)))].map(([key, v]) => [Buffer.from(key).toString('hex'), Buffer.from(v).toString('hex')]);
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const list = (...ids: bigint[]) => hex(concat(...ids.map((x) => u64be(x))));
  const more = await t.ok(prov.owner, [1, 2].map(() => P.createDataSetMsg(prov.owner.address, prov.id, pieces.map((p) => ({ root: p.root, leafCount: p.leafCount })))));
  const [a, b] = more.events.filter((e) => e.type === 'data_set_created').map((e) => BigInt(e.attributes.find((x) => x.key === 'data_set_id')!.value));
  const D = dataSet(t, a!).deadlineHeight;
  assert.equal(dataSet(t, b!).deadlineHeight, D);
  assert.deepEqual(table(K.dataSetDeadline), [[hex(keys.dataSetDeadline(dataSet(t, id).deadlineHeight)), list(id)], [hex(keys.dataSetDeadline(D)), list(a!, b!)]]);
  assert.deepEqual(table(K.newDeadline), [], 'no block-local key committed');
  // a is proven: its entry under D goes stale, its next deadline is queued.
  const { d: da, seed } = await (async () => {
    const d = dataSet(t, a!);
    await t.advanceTo(d.challengeHeight + 1n);
    return { d, seed: t.chain.keepers.proofs.challengeSeedAt(t.ctx(), d.challengeHeight)! };
  })();
  assert.equal((await t.submit([proof(t, prov, a!, da, seed)])).code, 0);
  const Da = dataSet(t, a!).deadlineHeight;
  assert.ok(table(K.dataSetDeadline).some(([k, v]) => k === hex(keys.dataSetDeadline(Da)) && v.includes(list(a!))));
  // At D: b misses its period (a fault and its next deadline queued by the same end block), a is skipped.
  await t.advanceTo(D);
  assert.deepEqual([dataSet(t, a!).faults, dataSet(t, b!).faults], [0n, 1n]);
  const Db = dataSet(t, b!).deadlineHeight;
  assert.ok(Db > D);
  assert.ok(table(K.dataSetDeadline).every(([k]) => k !== hex(keys.dataSetDeadline(D))), 'the list of D is gone');
  assert.ok(table(K.dataSetDeadline).some(([k, v]) => k === hex(keys.dataSetDeadline(Db)) && v.includes(list(b!))), 'b queued again');
  assert.deepEqual(table(K.newDeadline), [], 'no block-local key committed');
  // A database written before: a key per data set. On a branch at Db, b's entry in that form.
  const ctx = t.branchCtx(Db);
  const s = t.chain.keepers.proofs.store(ctx);
  s.delete(keys.dataSetDeadline(Db));
  s.set(storeKey(K.dataSetDeadline, Db, b!), Uint8Array.of(1));
  processStorageDeadlines(t.chain.keepers.proofs, ctx, t.params);
  assert.equal(getDataSet(t.chain.keepers.proofs, ctx, b!)!.faults, 2n);
  assert.deepEqual(table(K.dataSetDeadline, ctx).filter(([k]) => k.startsWith(hex(keys.dataSetDeadline(Db)))), [], 'the old key is deleted');
  await t.close();
});

test('one PDP proof per period: the set\'s period refuses the provider\'s second one without a slot key; a non-provider keeps its slot', async () => {
  const { t, prov, id } = await setup({ faultGracePeriods: 5 });
  const slotOf = (dev: TestDevice, window: bigint) => t.chain.keepers.proofs.store(t.ctx()).get(keys.slot(window, dev.id, KIND.PDP, id));
  let { d, seed } = await challenge(t, id);
  const r1 = await t.submit([proof(t, prov, id, d, seed)]);
  assert.equal(ProofsHarness.verdictEvents(r1)[0]!.valid, 'true');
  assert.equal(slotOf(prov, d.period), undefined, 'no slot key for the provider');
  // The same period again (a fresh sequence; the set has moved on): refused, nothing recorded.
  const before = dataSet(t, id);
  const again = await t.submit([proof(t, prov, id, d, seed)]);
  assert.equal(`${again.codespace}/${again.code}`, 'proofs/15', again.log);
  assert.deepEqual(dataSet(t, id), before);
  // A wrong answer also ends the period for the provider.
  ({ d, seed } = await challenge(t, id));
  const wrong = P.pdpAnswers(pieces, seed, id, t.params.challengesPerProof).map((a, i) => (i === 0 ? { ...a, leaf: randomBytes(32) } : a));
  assert.equal(Number(ProofsHarness.verdictEvents(await t.submit([proof(t, prov, id, d, seed, wrong)]))[0]!.reason), R.PDP_ROOT_MISMATCH);
  const afterWrong = await t.submit([proof(t, prov, id, d, seed)]);
  assert.equal(`${afterWrong.codespace}/${afterWrong.code}`, 'proofs/15', afterWrong.log);
  // A non-provider's proof leaves the set as it is, so its slot key refuses its second one.
  ({ d, seed } = await challenge(t, id));
  const intruder = await t.device('storage', { cell: cellAt(40.7, -74) });
  assert.equal(Number(ProofsHarness.verdictEvents(await t.submit([proof(t, intruder, id, d, seed)]))[0]!.reason), R.PDP_NOT_PROVIDER);
  assert.ok(slotOf(intruder, d.period), 'the non-provider\'s slot is used');
  const dup = await t.submit([proof(t, intruder, id, d, seed)]);
  assert.equal(`${dup.codespace}/${dup.code}`, 'proofs/17', dup.log);
  await t.close();
});

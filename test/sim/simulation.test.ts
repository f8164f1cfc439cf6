// The network simulator at small, seeded sizes: every cheat kind attempted and caught by the chain's
// own verdicts, no honest device penalised, invariants and re-verification clean, export -> import
// gives the same app hash, and the same seed gives the same final app hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../sim/simulation.ts';
import { checkAll } from '../../sim/invariants.ts';
import { reverify } from '../../sim/reverify.ts';
import { reportJson, renderSvg, formatSummary, type SimReport } from '../../sim/report.ts';
import { reportOk } from '../../sim/cli.ts';
import { getDataSet } from '../../modules/proofs/storage.ts';
import { getJob } from '../../modules/proofs/compute.ts';

async function run(cfg: Parameters<typeof Simulation.create>[0]): Promise<{ report: SimReport; sim: Simulation }> {
  const sim = await Simulation.create(cfg);
  const report = await sim.run();
  return { report, sim };
}

test('a seeded network of 240 devices: every cheat kind is caught by the chain, no honest device penalised, invariants hold', async () => {
  // Every compute job spot-checked (the builder's knob at its maximum), so lazy job providers meet
  // disputes whatever the draws: with half, whether a lazy job was drawn depended on the seeds, i.e.
  // on the app hashes, which every change of the state layout reshuffles.
  const { report: r, sim } = await run({ seed: 11, devices: 240, blocks: 60, cheatersPpm: 250_000, proofsParams: { spotCheckBps: 10_000 } });
  try {
    assert.equal(r.invariants.violationCount, 0, r.invariants.violations.join('\n'));
    assert.deepEqual(r.invariants.reverifyFailures, []);
    assert.ok(r.invariants.reverified > 500, `re-verified ${r.invariants.reverified}`);
    assert.equal(r.invariants.checks, r.throughput.blocks);
    assert.equal(r.honest.penalised, 0, JSON.stringify(r.honest.penalties.slice(0, 5)));
    assert.deepEqual(r.unexpected, []);
    assert.ok(r.exportImport?.ok, reportJson({ exportImport: r.exportImport } as SimReport));
    assert.ok(reportOk(r));
    for (const f of r.frauds) {
      assert.ok(f.attempted > 0, `${f.kind} never attempted`);
      assert.ok(f.caught > 0, `${f.kind}: none of ${f.attempted} caught`);
      // Escapes only where the model says the protocol cannot catch deterministically.
      assert.equal(f.escaped, f.expectedEscapes, `${f.kind}: unexpected escapes`);
    }
    const by = Object.fromEntries(r.frauds.map((f) => [f.kind, f]));
    assert.ok(by.forged_proof!.variants.forged_signature!.how.some((h) => h.includes('proofs/11')));
    assert.ok(by.fake_device!.variants.cloned_key!.how.some((h) => h.includes('devices/7')));
    assert.ok(by.equivocating_validator!.variants.double_precommit!.how.some((h) => h.includes('tombstoned')));
    assert.ok(by.lazy_compute!.variants.job!.caught > 0 && r.spotChecks.disputes > 0 && r.spotChecks.resolved === r.spotChecks.disputes, JSON.stringify(r.spotChecks));
    assert.ok(by.replayed_proof!.variants.copied_batch!.how.some((h) => h.includes('sensor_duplicate_event')));
    assert.ok(by.storage_dropper!.variants.garbage!.how.some((h) => h.includes('pdp_root_mismatch')));
    assert.ok(r.challenges.equivocation!.upheld > 0 && r.challenges.location_conflict!.upheld > 0);
    for (const s of ['coverage', 'storage', 'compute', 'sensor']) assert.ok(BigInt(r.rewardPerHonestDevice[s]!.perDeviceUdpin) > 0n, `${s} honest devices earned nothing`);
    assert.ok(r.epochs.length >= 2);
    assert.ok(BigInt(r.selfDealing.demandRewardUdpin) <= BigInt(r.selfDealing.burnedUdpin));
    assert.match(renderSvg(r), /^<svg[\s\S]*<\/svg>$/);
    assert.doesNotThrow(() => JSON.parse(reportJson(r)));
    assert.match(formatSummary(r), /honest devices wrongly penalised: 0/);

    // The checkers are not vacuous: a balance written without its supply, and a record whose
    // units were inflated, are both reported.
    const ctx = sim.chain.readCtx();
    const k = sim.chain.keepers;
    k.bank.initBalance(ctx, sim.pop.watchers[0]!.address, [{ denom: 'udpin', amount: k.bank.balance(ctx, sim.pop.watchers[0]!.address, 'udpin') + 1n }]);
    assert.ok(checkAll(ctx, k).some((v) => /supply/.test(v)), 'an unbacked balance must break the supply invariant');
    const sub = [...sim.subsByProof.values()].find((s) => s.proofId !== undefined && sim.verdicts.get(s.proofId)?.valid && s.kind === 6)!;
    const rec = k.proofs.getRecord(ctx, sub.proofId!)!;
    const deps = {
      chainId: sim.chain.chainId, params: sim.params.proofs, appHash: (h: bigint) => sim.chain.appHashes.get(h),
      device: (id: bigint) => k.devices.getDevice(ctx, id), record: (id: bigint) => k.proofs.getRecord(ctx, id),
      dataSet: (id: bigint) => getDataSet(k.proofs, ctx, id), job: (id: bigint) => getJob(k.proofs, ctx, id),
    };
    assert.equal(reverify(rec, sub.env, deps), undefined);
    assert.match(reverify({ ...rec, units: rec.units + 1n }, sub.env, deps) ?? '', /units/);
    assert.match(reverify(rec, { ...sub.env, signature: Uint8Array.from(sub.env.signature, (b, i) => (i === 5 ? b ^ 1 : b)) }, deps) ?? '', /signature/);
  } finally {
    await sim.close();
  }
});

test('determinism: the same seed gives the same final app hash, another seed another', async () => {
  const cfg = { devices: 80, blocks: 30, cheatersPpm: 200_000 };
  const a = await run({ ...cfg, seed: 5 });
  await a.sim.close();
  const b = await run({ ...cfg, seed: 5 });
  await b.sim.close();
  const c = await run({ ...cfg, seed: 6 });
  await c.sim.close();
  assert.equal(a.report.finalHeight, b.report.finalHeight);
  assert.equal(a.report.finalAppHash, b.report.finalAppHash);
  assert.deepEqual(a.report.frauds.map((f) => [f.attempted, f.caught]), b.report.frauds.map((f) => [f.attempted, f.caught]));
  assert.notEqual(a.report.finalAppHash, c.report.finalAppHash);
  for (const x of [a, b, c]) assert.ok(reportOk(x.report), JSON.stringify({ v: x.report.invariants.violations, u: x.report.unexpected, p: x.report.honest.penalties }));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulationRoutes } from './simulation-routes.ts';
import { RestError, type HandlerContext } from './handler-route.ts';

const ctx = (params: Record<string, string> = {}): HandlerContext => ({ params, query: new URLSearchParams(), page: {} });

test('simulation reports: listed newest first with their summary, served by name; bad names and missing files refused', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sim-routes-'));
  const dir = join(home, 'simulations');
  const [list, one] = simulationRoutes(dir);
  assert.deepEqual((await list!.handle!(ctx())).body, { reports: [] }, 'no directory yet: an empty list');

  mkdirSync(dir);
  const report = (seed: number) => ({ seed, network: { devices: 40 + seed }, throughput: { blocks: 10 }, finalHeight: '12', finalAppHash: 'AB', honest: { penalised: 0 }, invariants: { violationCount: 0 } });
  writeFileSync(join(dir, 'old.json'), JSON.stringify(report(1)));
  writeFileSync(join(dir, 'new.json'), JSON.stringify(report(2)));
  writeFileSync(join(dir, 'notes.txt'), 'not a report');
  utimesSync(join(dir, 'old.json'), new Date('2026-01-01'), new Date('2026-01-01'));
  const body = (await list!.handle!(ctx())).body as { reports: { name: string; seed: number; devices: number; honest_penalised: number }[] };
  assert.deepEqual(body.reports.map((r) => r.name), ['new.json', 'old.json']);
  assert.equal(body.reports[0]!.seed, 2);
  assert.equal(body.reports[0]!.devices, 42);
  assert.equal(body.reports[0]!.honest_penalised, 0);

  assert.deepEqual((await one!.handle!(ctx({ name: 'old.json' }))).body, report(1));
  for (const bad of ['../secret.json', '.hidden.json', 'notes.txt', 'a/b.json']) {
    await assert.rejects(one!.handle!(ctx({ name: bad })), (e: unknown) => e instanceof RestError && e.status === 400, bad);
  }
  await assert.rejects(one!.handle!(ctx({ name: 'missing.json' })), (e: unknown) => e instanceof RestError && e.status === 404);
  writeFileSync(join(dir, 'broken.json'), '{');
  await assert.rejects(one!.handle!(ctx({ name: 'broken.json' })), (e: unknown) => e instanceof RestError && e.status === 500);
});

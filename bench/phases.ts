// In-process app profile: CheckTx (signatures pre-verified, as the worker pool does), recheck,
// finalizeBlock, commit, for several blocks of N sends.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { openDepinApp } from '../modules/depin-app.ts';
import { benchGenesis, benchSend } from './pipeline.bench.ts';
const N = 4000, B = Number(process.argv[2] ?? 5);
const db = new Level<Uint8Array, Uint8Array>(mkdtempSync(join(tmpdir(), 'p-')), { keyEncoding: 'view', valueEncoding: 'view' });
const { app } = await openDepinApp(db.sublevel<Uint8Array, Uint8Array>('s', { keyEncoding: 'view', valueEncoding: 'view' }), { minGasPrice: '0.0025udpin' });
app.initChain(benchGenesis(N));
app.finalizeBlock({ height: 1n, time: { seconds: 1n, nanos: 0 }, txs: [] });
await app.commit();
const blocks = Array.from({ length: B }, (_, b) => Array.from({ length: N }, (_, i) => benchSend(i, BigInt(b), BigInt(i))));
const t = { pre: 0n, check: 0n, fin: 0n, commit: 0n };
// Thread CPU time, not wall time: stays meaningful when other processes share the cores.
const now = () => { const u = process.threadCpuUsage(); return BigInt(u.user + u.system) * 1000n; };
for (let b = 0; b < B; b++) {
  const txs = blocks[b]!;
  let t0 = now();
  for (const tx of txs) { const d = app.decode(tx); const j = app.signatureJobs(d)!; app.markSignaturesVerified(d, j.accountNumbers); }
  t.pre += now() - t0; t0 = now();
  for (const tx of txs) if (app.checkTx(tx).code !== 0) throw new Error('check failed');
  t.check += now() - t0; t0 = now();
  const res = app.finalizeBlock({ height: BigInt(b + 2), time: { seconds: BigInt(b + 2), nanos: 0 }, txs });
  if (res.txResults.some((r) => r.code)) throw new Error('deliver failed');
  t.fin += now() - t0; t0 = now();
  await app.commit();
  t.commit += now() - t0;
}
const per = (x: bigint) => (Number(x) / 1000 / (N * B)).toFixed(1);
console.log(`per tx: decode+sigJobs ${per(t.pre)} µs, checkTx ${per(t.check)} µs, finalizeBlock ${per(t.fin)} µs, commit ${per(t.commit)} µs`);

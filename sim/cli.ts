// `depind simulate` / `npm run simulate`: runs a seeded simulation, shows a progress bar on a TTY,
// prints the summary and writes the JSON report and the chart (SVG and a self-contained HTML page).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Simulation, type SimProgress } from './simulation.ts';
import { formatSummary, renderHtml, renderSvg, reportJson, type SimReport } from './report.ts';
import { SECTOR_NAMES, type SectorName, type SimConfig } from './config.ts';

import { SIMULATE_OPTIONS } from './options.ts';
export { SIMULATE_USAGE, SIMULATE_OPTIONS } from './options.ts';

const int = (v: unknown, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got ${String(v)}`);
  return n;
};

export function configFromOptions(values: Record<string, unknown>): Partial<SimConfig> {
  const sectors = values.sectors === undefined ? undefined : String(values.sectors).split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of sectors ?? []) if (!SECTOR_NAMES.includes(s as SectorName)) throw new Error(`unknown sector ${s} (${SECTOR_NAMES.join(', ')})`);
  return {
    seed: int(values.seed, 'seed'), devices: int(values.devices, 'devices'), blocks: int(values.blocks, 'blocks'), epochBlocks: int(values['epoch-blocks'], 'epoch-blocks'),
    windowBlocks: int(values['window-blocks'], 'window-blocks'), cheatersPpm: int(values['cheaters-ppm'], 'cheaters-ppm'), sectors: sectors as SectorName[] | undefined,
    validators: int(values.validators, 'validators'), equivocators: int(values.equivocators, 'equivocators'), buyers: int(values.buyers, 'buyers'),
    oracles: int(values.oracles, 'oracles'), verifiers: int(values.verifiers, 'verifiers'), batchSize: int(values['batch-size'], 'batch-size'),
    invariantsEvery: int(values['invariants-every'], 'invariants-every'),
  };
}

/** A one-line progress bar on a TTY (redrawn in place), nothing otherwise. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): (p: SimProgress) => void {
  if (!stream.isTTY) {
    // Not a terminal (a log file): one line per tenth of the run.
    let shown = -1;
    return (p) => {
      const tenth = Math.floor((p.total ? p.done / p.total : 1) * 10);
      if (tenth === shown && p.phase !== 'final') return;
      shown = tenth;
      stream.write(`${tenth * 10}% ${p.phase} height ${p.height} txs ${p.txs} verdicts ${p.verdicts} ${(p.elapsedMs / 1000).toFixed(0)}s\n`);
    };
  }
  return (p) => {
    const width = 30;
    const frac = p.total ? p.done / p.total : 1;
    const filled = Math.round(frac * width);
    const eta = p.done ? ((p.elapsedMs / p.done) * (p.total - p.done)) / 1000 : 0;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(frac * 100)).padStart(3)}% ${p.phase.padEnd(5)} height ${p.height} txs ${p.txs} verdicts ${p.verdicts} ${(p.elapsedMs / 1000).toFixed(0)}s eta ${eta.toFixed(0)}s`;
    stream.write(`\r${line.slice(0, (stream.columns || 120) - 1)}`);
    if (p.phase === 'final') stream.write('\n');
  };
}

export async function runSimulate(values: Record<string, unknown>): Promise<SimReport> {
  const cfg = configFromOptions(values);
  const t0 = performance.now();
  const sim = await Simulation.create(cfg);
  let report: SimReport;
  try {
    report = await sim.run(values.quiet ? undefined : progressBar());
  } finally {
    await sim.close();
  }
  const wall = performance.now() - t0;
  const out = resolve(String(values.out ?? (values.home ? join(String(values.home), 'simulations', reportName(report)) : 'simulation-report.json')));
  const chart = resolve(String(values.chart ?? out.replace(/\.json$/, '') + '.svg'));
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', loadavg: loadavg().map((x) => Math.round(x * 100) / 100), node: process.version, wallMs: Math.round(wall) };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, reportJson({ ...report, machine } as SimReport));
  mkdirSync(dirname(chart), { recursive: true });
  writeFileSync(chart, renderSvg(report));
  writeFileSync(chart.replace(/\.svg$/, '') + '.html', renderHtml(report));
  console.log(formatSummary(report));
  console.log(`whole run ${(wall / 1000).toFixed(1)} s wall on ${machine.cpus} x ${machine.cpu} (load ${machine.loadavg.join(' ')}), ${process.version}`);
  console.log(`report ${out}\nchart  ${chart} (and .html)`);
  return report;
}

/** The report's file name under a node home's simulations/ (the dashboard lists them). */
export function reportName(r: SimReport): string {
  return `seed-${r.seed}-${r.network.devices}-devices-${r.throughput.blocks}-blocks.json`;
}

/** The run passed: no invariant violation, no failed re-verification, export -> import identical,
 * no honest actor penalised and no disagreement between the model and the chain. */
export function reportOk(r: SimReport): boolean {
  return r.invariants.violationCount === 0 && r.invariants.reverifyFailures.length === 0 && !!r.exportImport?.ok && r.honest.penalised === 0 && r.unexpected.length === 0;
}

// `npm run simulate` runs this file directly.
if (import.meta.main) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ args: process.argv.slice(2), options: SIMULATE_OPTIONS, strict: true });
  const r = await runSimulate(values as Record<string, unknown>);
  process.exitCode = reportOk(r) ? 0 : 1;
}

// Simulation reports (`depind simulate --home H` writes them to H/simulations/) served to the
// dashboard's Simulation page. Node-local files, not chain state: the answers carry no height.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RestError, type HandlerRoute } from './handler-route.ts';

const PREFIX = '/depin/simulation/v1';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.json$/;

/** What the list shows of a report (read once per file version). */
interface ReportSummary {
  name: string;
  modified: string;
  bytes: number;
  seed: number | null;
  devices: number | null;
  blocks: number | null;
  final_height: string | null;
  final_app_hash: string | null;
  honest_penalised: number | null;
  invariant_violations: number | null;
}

export function simulationRoutes(dir: string): HandlerRoute[] {
  const summaries = new Map<string, { mtimeMs: number; size: number; summary: ReportSummary }>();
  const summarize = (name: string): ReportSummary | undefined => {
    const path = join(dir, name);
    let st;
    try {
      st = statSync(path);
    } catch {
      return undefined;
    }
    const hit = summaries.get(name);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.summary;
    let r: Record<string, any> = {};
    try {
      r = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      // listed with what the file system knows; the report route says why it cannot be read
    }
    const n = (v: unknown) => (typeof v === 'number' ? v : null);
    const s = (v: unknown) => (typeof v === 'string' ? v : null);
    const summary: ReportSummary = {
      name, modified: new Date(st.mtimeMs).toISOString(), bytes: st.size,
      seed: n(r.seed), devices: n(r.network?.devices), blocks: n(r.throughput?.blocks),
      final_height: s(r.finalHeight), final_app_hash: s(r.finalAppHash),
      honest_penalised: n(r.honest?.penalised), invariant_violations: n(r.invariants?.violationCount),
    };
    summaries.set(name, { mtimeMs: st.mtimeMs, size: st.size, summary });
    return summary;
  };

  return [
    {
      path: `${PREFIX}/reports`,
      summary: 'Simulation reports this node\'s home holds (depind simulate --home), newest first',
      tag: 'depin.simulation',
      response: { type: 'object', properties: { reports: { type: 'array', items: { type: 'object' } } } },
      async handle() {
        let names: string[] = [];
        try {
          names = readdirSync(dir).filter((f) => NAME.test(f));
        } catch {
          names = []; // no simulation run yet
        }
        const reports = names.map(summarize).filter((x): x is ReportSummary => !!x);
        reports.sort((a, b) => (a.modified === b.modified ? a.name.localeCompare(b.name) : a.modified < b.modified ? 1 : -1));
        return { body: { reports } };
      },
    },
    {
      path: `${PREFIX}/reports/{name}`,
      summary: 'One simulation report (the JSON depind simulate wrote)',
      tag: 'depin.simulation',
      response: { type: 'object' },
      async handle(ctx) {
        const name = ctx.params.name!;
        if (!NAME.test(name)) throw new RestError(400, `invalid report name ${JSON.stringify(name)}`);
        let text: string;
        try {
          text = readFileSync(join(dir, name), 'utf8');
        } catch {
          throw new RestError(404, `no simulation report ${name}`);
        }
        try {
          return { body: JSON.parse(text) };
        } catch (err) {
          throw new RestError(500, `simulation report ${name} is not JSON: ${(err as Error).message}`);
        }
      },
    },
  ];
}

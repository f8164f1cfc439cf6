// The run's report, read from the chain's final state and the tracker: fraud attempted vs caught by
// kind (with the chain's own reasons), honest devices wrongly penalised, reward per honest device by
// sector, the subsidy-to-revenue ratio per epoch, throughput, invariants and the export/import check.
// Rendered as JSON, as a terminal summary and as a self-contained SVG/HTML chart.
import { FRAUDS, type FraudKind } from './actors.ts';
import { SECTOR_NAMES, type SimConfig } from './config.ts';
import type { Simulation } from './simulation.ts';
import type { ChallengeStats } from './behaviours.ts';
import { reasonName } from '../modules/proofs/reasons.ts';

export interface FraudLine {
  kind: FraudKind;
  title: string;
  caughtBy: string;
  limits?: string;
  attempted: number;
  caught: number;
  escaped: number;
  pending: number;
  /** Escapes the model predicted (the protocol cannot catch them deterministically). */
  expectedEscapes: number;
  variants: Record<string, { attempted: number; caught: number; escaped: number; pending: number; how: string[] }>;
}

export interface EpochLine {
  epoch: string;
  minted: string;
  paid: string;
  unallocated: string;
  demandPaid: string;
  creditsBurnedUdpin: string;
  subsidyToRevenuePpm: string | null;
}

export interface SimReport {
  seed: number;
  config: Omit<SimConfig, 'proofsParams' | 'rewardsParams' | 'dir'>;
  chainId: string;
  finalHeight: string;
  finalAppHash: string;
  network: { devices: number; bySector: Record<string, { honest: number; cheating: number }>; owners: number; buyers: number; selfDealers: number; oracles: number; verifiers: number; validators: number; equivocators: number; manufacturers: number; fakeDeviceAttempts: number };
  throughput: {
    blocks: number; setupBlocks: number; txs: number; failedTxs: number; envelopes: number; verdicts: number; validVerdicts: number;
    wallMs: number; execMs: number; buildMs: number; checkMs: number;
    /** Operation phase: txs and verdicts per second of state-machine time (FinalizeBlock + Commit). */
    opTxsPerExecSecond: number; opVerdictsPerExecSecond: number;
    /** Whole run: txs per wall-clock second (generation, signing and checks included). */
    txsPerWallSecond: number;
  };
  frauds: FraudLine[];
  challenges: Record<string, ChallengeStats>;
  spotChecks: { drawn: number; skipped: number; disputes: number; resolved: number };
  honest: { devices: number; penalised: number; penalties: { height: string; actor: string; what: string }[]; invalidByReason: Record<string, number>; validByKind: Record<string, number> };
  rewardPerHonestDevice: Record<string, { devices: number; earnedUdpin: string; perDeviceUdpin: string }>;
  selfDealing: { spends: number; burnedUdpin: string; demandRewardUdpin: string };
  epochs: EpochLine[];
  supply: { start: string; end: string; mintedByRewards: string };
  invariants: { checks: number; violationCount: number; violations: string[]; reverified: number; reverifyFailures: string[] };
  unexpected: string[];
  exportImport?: { ok: boolean; height: bigint; appHash: string; importedAppHash: string; afterNextBlock: { appHash: string; importedAppHash: string }; genesisBytes: number; ms: number };
}

export function buildReport(sim: Simulation): SimReport {
  const ctx = sim.chain.readCtx();
  const k = sim.chain.keepers;
  const pop = sim.pop;
  const st = sim.stats;
  const t = sim.tracker;

  const bySector: Record<string, { honest: number; cheating: number }> = {};
  for (const s of sim.cfg.sectors) bySector[s] = { honest: 0, cheating: 0 };
  for (const d of pop.devices) bySector[d.sector]![d.honest ? 'honest' : 'cheating']++;

  const frauds: FraudLine[] = (Object.keys(FRAUDS) as FraudKind[]).map((kind) => {
    const line: FraudLine = { kind, ...FRAUDS[kind], attempted: 0, caught: 0, escaped: 0, pending: 0, expectedEscapes: 0, variants: {} };
    for (const a of t.attempts.filter((x) => x.kind === kind)) {
      line.attempted++;
      const st = a.outcome?.status ?? 'pending';
      line[st]++;
      if (st === 'escaped' && a.expect !== 'caught') line.expectedEscapes++;
      const v = (line.variants[a.variant] ??= { attempted: 0, caught: 0, escaped: 0, pending: 0, how: [] });
      v.attempted++;
      v[st]++;
      const how = a.outcome?.how.replace(/\d{3,}/g, 'N') ?? '';
      if (how && v.how.length < 3 && !v.how.includes(how)) v.how.push(how);
    }
    return line;
  });

  const invalidByReason: Record<string, number> = {};
  for (const [r, n] of [...t.honestInvalid].sort((a, b) => a[0] - b[0])) invalidByReason[`${r} ${reasonName(r)}`] = n;

  const reward: Record<string, { devices: number; earnedUdpin: string; perDeviceUdpin: string }> = {};
  for (const s of sim.cfg.sectors) {
    const devs = pop.devices.filter((d) => d.sector === s && d.honest && d.id > 0n);
    let earned = 0n;
    for (const d of devs) earned += k.rewards.ledger(ctx, d.id, d.owner.account.address).earned;
    reward[s] = { devices: devs.length, earnedUdpin: earned.toString(), perDeviceUdpin: devs.length ? (earned / BigInt(devs.length)).toString() : '0' };
  }

  const rs = k.rewards.state(ctx);
  const epochs: EpochLine[] = [];
  for (let e = 1n; e < rs.currentEpoch; e++) {
    const s = k.rewards.summary(ctx, e);
    if (!s) continue;
    const demandPaid = s.sectors.reduce((n, sp) => n + sp.demandPaid, 0n);
    epochs.push({
      epoch: e.toString(), minted: s.minted.toString(), paid: s.paid.toString(), unallocated: s.unallocated.toString(), demandPaid: demandPaid.toString(),
      creditsBurnedUdpin: s.creditsBurnedUdpin.toString(), subsidyToRevenuePpm: s.revenueZero ? null : s.subsidyToRevenuePpm.toString(),
    });
  }

  const supplyEnd = k.bank.supplyOf(ctx, 'udpin');
  const wallMs = (st.runEndMs || performance.now()) - (st.runStartMs || 0);
  const totalWall = st.execMs + st.buildMs + st.checkMs;
  const { proofsParams: _p, rewardsParams: _r, dir: _d, ...config } = sim.cfg;
  void _p;
  void _r;
  void _d;
  void wallMs;
  return {
    seed: sim.cfg.seed,
    config,
    chainId: sim.chain.chainId,
    finalHeight: sim.chain.height.toString(),
    finalAppHash: sim.chain.appHashHex(),
    network: {
      devices: pop.devices.length, bySector, owners: pop.owners.length, buyers: pop.buyers.length, selfDealers: pop.buyers.filter((b) => b.selfDealer).length,
      oracles: pop.oracles.length, verifiers: pop.verifiers.length, validators: pop.validators.length, equivocators: pop.validators.filter((v) => v.equivocates).length,
      manufacturers: pop.manufacturers.length, fakeDeviceAttempts: pop.fakeDevices,
    },
    throughput: {
      blocks: st.blocks, setupBlocks: st.setupBlocks, txs: st.txs, failedTxs: st.failedTxs, envelopes: st.envelopes, verdicts: st.verdicts, validVerdicts: st.validVerdicts,
      wallMs: Math.round(totalWall), execMs: Math.round(st.execMs), buildMs: Math.round(st.buildMs), checkMs: Math.round(st.checkMs),
      opTxsPerExecSecond: st.opExecMs ? Math.round((st.opTxs * 1000) / st.opExecMs) : 0,
      opVerdictsPerExecSecond: st.opExecMs ? Math.round((st.opVerdicts * 1000) / st.opExecMs) : 0,
      txsPerWallSecond: totalWall ? Math.round((st.txs * 1000) / totalWall) : 0,
    },
    frauds,
    challenges: Object.fromEntries(Object.entries(sim.behaviours.challenges).map(([kk, v]) => [({ 1: 'equivocation', 2: 'location_conflict', 3: 'arbitrated' } as Record<string, string>)[kk]!, v])),
    spotChecks: { ...sim.behaviours.spotCheckStats },
    honest: {
      devices: pop.devices.filter((d) => d.honest).length,
      penalised: t.penalties.length,
      penalties: t.penalties.slice(0, 50).map((p) => ({ height: p.height.toString(), actor: p.actor, what: p.what })),
      invalidByReason,
      validByKind: Object.fromEntries(t.honestValid),
    },
    rewardPerHonestDevice: reward,
    selfDealing: { spends: sim.behaviours.selfDealing.spends, burnedUdpin: sim.behaviours.selfDealing.burned.toString(), demandRewardUdpin: sim.behaviours.selfDealing.demandReward.toString() },
    epochs,
    supply: { start: st.supplyStart.toString(), end: supplyEnd.toString(), mintedByRewards: rs.totalMinted.toString() },
    invariants: { checks: st.invariantChecks, violationCount: sim.violations.length, violations: sim.violations.slice(0, 50), reverified: st.reverified, reverifyFailures: sim.reverifyFailures.slice(0, 50) },
    unexpected: t.unexpected.slice(0, 100),
  };
}

/** JSON with bigints as strings. */
export function reportJson(r: SimReport): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

const dpin = (u: string | bigint) => {
  const n = BigInt(u);
  const neg = n < 0n;
  const a = neg ? -n : n;
  return `${neg ? '-' : ''}${(a / 1_000_000n).toLocaleString('en-US')}.${(a % 1_000_000n).toString().padStart(6, '0').slice(0, 2)}`;
};

export function formatSummary(r: SimReport): string {
  const L: string[] = [];
  const tp = r.throughput;
  L.push(`depin simulation  seed ${r.seed}  chain ${r.chainId}  height ${r.finalHeight}`);
  L.push(`network   ${r.network.devices} devices (${Object.entries(r.network.bySector).map(([s, n]) => `${s} ${n.honest}+${n.cheating}`).join(', ')}; honest+cheating), ${r.network.owners} owners, ${r.network.buyers} buyers (${r.network.selfDealers} self-dealing), ${r.network.oracles} oracles, ${r.network.verifiers} verifiers, ${r.network.validators} validators (${r.network.equivocators} equivocating)`);
  L.push(`blocks    ${tp.blocks} (${tp.setupBlocks} setup), ${tp.txs} txs (${tp.failedTxs} refused), ${tp.envelopes} envelopes accepted, ${tp.verdicts} verdicts (${tp.validVerdicts} valid)`);
  L.push(`time      ${(tp.wallMs / 1000).toFixed(1)} s (state machine ${(tp.execMs / 1000).toFixed(1)} s, generation ${(tp.buildMs / 1000).toFixed(1)} s, checks ${(tp.checkMs / 1000).toFixed(1)} s); ${tp.txsPerWallSecond} tx/s overall, ${tp.opTxsPerExecSecond} tx/s and ${tp.opVerdictsPerExecSecond} verdicts/s of state-machine time in operation`);
  L.push('');
  L.push('fraud                         attempted   caught  escaped  pending  (expected escapes)');
  for (const f of r.frauds) L.push(`${f.title.padEnd(30)}${String(f.attempted).padStart(9)}${String(f.caught).padStart(9)}${String(f.escaped).padStart(9)}${String(f.pending).padStart(9)}  (${f.expectedEscapes})`);
  L.push(`challenges: ${Object.entries(r.challenges).map(([k, v]) => `${k} filed ${v.filed} upheld ${v.upheld} refused ${v.refused}`).join('; ')}`);
  L.push(`spot checks: ${r.spotChecks.drawn} drawn, ${r.spotChecks.skipped} skipped, ${r.spotChecks.disputes} disputes (${r.spotChecks.resolved} resolved by the committee)`);
  L.push(`self-dealing: ${r.selfDealing.spends} spends, ${dpin(r.selfDealing.burnedUdpin)} DPIN burned, ${dpin(r.selfDealing.demandRewardUdpin)} DPIN demand reward back`);
  L.push('');
  L.push(`honest devices wrongly penalised: ${r.honest.penalised}${r.honest.penalised ? '  <-- MUST BE ZERO' : ''}`);
  for (const p of r.honest.penalties.slice(0, 5)) L.push(`  height ${p.height} ${p.actor}: ${p.what}`);
  L.push(`honest invalid verdicts (earn nothing, no penalty): ${Object.entries(r.honest.invalidByReason).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  L.push(`reward per honest device: ${Object.entries(r.rewardPerHonestDevice).map(([s, v]) => `${s} ${dpin(v.perDeviceUdpin)} DPIN (${v.devices})`).join(', ')}`);
  const ratios = r.epochs.map((e) => (e.subsidyToRevenuePpm === null ? '-' : (Number(e.subsidyToRevenuePpm) / 1e6).toFixed(2)));
  L.push(`subsidy-to-revenue by epoch: ${ratios.join(' ') || 'no closed epoch'}`);
  L.push(`supply    ${dpin(r.supply.start)} -> ${dpin(r.supply.end)} DPIN (rewards minted ${dpin(r.supply.mintedByRewards)})`);
  L.push(`invariants: ${r.invariants.checks} checks, ${r.invariants.violationCount} violations; ${r.invariants.reverified} accepted proofs re-verified, ${r.invariants.reverifyFailures.length} failures`);
  for (const v of r.invariants.violations.slice(0, 5)) L.push(`  ${v}`);
  for (const v of r.invariants.reverifyFailures.slice(0, 5)) L.push(`  ${v}`);
  if (r.exportImport) L.push(`export -> import at height ${r.exportImport.height}: ${r.exportImport.ok ? 'same app hash' : 'DIFFERENT app hash'} ${r.exportImport.appHash.slice(0, 16)}… (genesis ${(r.exportImport.genesisBytes / 1e6).toFixed(1)} MB, ${Math.round(r.exportImport.ms)} ms)`);
  L.push(`model vs chain disagreements: ${r.unexpected.length}`);
  for (const u of r.unexpected.slice(0, 5)) L.push(`  ${u}`);
  L.push(`final app hash ${r.finalAppHash}`);
  return L.join('\n');
}

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** Two charts as one SVG: fraud attempted vs caught by kind, and subsidy-to-revenue by epoch. */
export function renderSvg(r: SimReport): string {
  const W = 900;
  const rowH = 26;
  const frauds = r.frauds.filter((f) => f.attempted > 0);
  const h1 = 40 + frauds.length * rowH;
  const h2 = 220;
  const H = h1 + h2 + 40;
  const max = Math.max(1, ...frauds.map((f) => f.attempted));
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  o.push(`<text x="10" y="20" font-size="14" font-weight="bold">Fraud attempted vs caught by the chain (seed ${r.seed}, ${r.network.devices} devices)</text>`);
  frauds.forEach((f, i) => {
    const y = 32 + i * rowH;
    const bw = (n: number) => (n / max) * 560;
    o.push(`<text x="10" y="${y + 15}">${esc(f.title)}</text>`);
    o.push(`<rect x="240" y="${y + 3}" width="${bw(f.attempted).toFixed(1)}" height="16" fill="#ddd"/>`);
    o.push(`<rect x="240" y="${y + 3}" width="${bw(f.caught).toFixed(1)}" height="16" fill="#2a7"/>`);
    o.push(`<rect x="${(240 + bw(f.caught)).toFixed(1)}" y="${y + 3}" width="${bw(f.escaped).toFixed(1)}" height="16" fill="#d54"/>`);
    o.push(`<text x="${(246 + bw(f.attempted)).toFixed(1)}" y="${y + 15}">${f.caught}/${f.attempted}${f.escaped ? ` (${f.escaped} escaped)` : ''}</text>`);
  });
  const y0 = h1 + 20;
  o.push(`<text x="10" y="${y0}" font-size="14" font-weight="bold">Subsidy-to-revenue ratio by epoch (emission not paid for by demand / credits burned)</text>`);
  const pts = r.epochs.filter((e) => e.subsidyToRevenuePpm !== null).map((e) => ({ x: Number(e.epoch), y: Number(e.subsidyToRevenuePpm) / 1e6 }));
  if (pts.length) {
    const xmax = Math.max(...r.epochs.map((e) => Number(e.epoch)), 2);
    const ymax = Math.max(...pts.map((p) => p.y), 1);
    const px = (x: number) => 60 + ((x - 1) / Math.max(1, xmax - 1)) * (W - 100);
    const py = (y: number) => y0 + 180 - (y / ymax) * 160;
    o.push(`<line x1="60" y1="${py(0)}" x2="${W - 40}" y2="${py(0)}" stroke="#999"/><line x1="60" y1="${py(0)}" x2="60" y2="${py(ymax)}" stroke="#999"/>`);
    o.push(`<text x="8" y="${py(ymax) + 4}">${ymax.toFixed(1)}</text><text x="40" y="${py(0) + 4}">0</text>`);
    o.push(`<polyline fill="none" stroke="#36c" stroke-width="2" points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) o.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="#36c"><title>epoch ${p.x}: ${p.y.toFixed(2)}</title></circle>`);
    o.push(`<text x="${W / 2}" y="${y0 + 200}">epoch (1..${xmax})</text>`);
  } else o.push(`<text x="10" y="${y0 + 30}">no epoch with revenue closed during the run</text>`);
  o.push('</svg>');
  return o.join('\n');
}

export function renderHtml(r: SimReport): string {
  return `<!doctype html><meta charset="utf-8"><title>depin simulation seed ${r.seed}</title>
<body style="font-family:sans-serif;max-width:960px;margin:20px auto">
${renderSvg(r)}
<pre>${esc(formatSummary(r))}</pre>
</body>`;
}

export { SECTOR_NAMES };

// A seeded, deterministic run of the real depin state machine with a generated DePIN network:
// manufacturers, owners and devices of four sectors around real cities (H3 cells), gateways,
// buyers, oracles, verifiers, watchers and validators, some of them cheating. Each block's
// transactions come from the actors' behaviours (sim/behaviours.ts) and are executed by the real
// App (sim/chain.ts) with real signatures; every outcome is read back from the chain. Invariants
// are checked after every block, every accepted proof is re-verified, and the final state is
// exported, imported into a fresh App and compared by app hash.
import { sha256 } from '../chain/crypto/hash.ts';
import type { TxResult } from '../chain/app.ts';
import type { Event } from '../chain/events.ts';
import type { Misbehavior } from '../chain/context.ts';
import type { Any } from '../chain/tx/types.ts';
import { toBech32, VALCONS_PREFIX } from '../chain/crypto/address.ts';
import { windowSeed, challengeSeed, seedSourceHeight } from '../modules/proofs/envelope.ts';
import { KIND, STATUS, reasonName } from '../modules/proofs/reasons.ts';
import { getDataSet } from '../modules/proofs/storage.ts';
import { getJob } from '../modules/proofs/compute.ts';
import type { EnvelopeMsg } from '../modules/proofs/types.ts';
import type { Params as ProofsParams } from '../modules/proofs/params.ts';
import type { Params as RewardsParams } from '../modules/rewards/types.ts';
import { depinRegistry } from '../sdk/registry.ts';
import type { EncodeObject } from '../sdk/messages.ts';
import type { EnvelopeContext } from '../sdk/proofs.ts';
import { SimChain, SimAccount, attrs, type BlockOutcome } from './chain.ts';
import { resolveConfig, type SimConfig } from './config.ts';
import { simGenesis, simParams } from './genesis.ts';
import { generate, type Population } from './population.ts';
import { Rng } from './random.ts';
import { Tracker } from './tracker.ts';
import { checkAll, supplyDelta } from './invariants.ts';
import { reverify } from './reverify.ts';
import type { Attempt, SimDevice, SimValidator } from './actors.ts';
import { Behaviours } from './behaviours.ts';
import { buildReport, type SimReport } from './report.ts';

const registry = depinRegistry();
export const anyOf = (o: EncodeObject): Any => registry.encodeAsAny(o as never) as Any;

/** An envelope the simulator submitted (kept to match proof records and to re-verify them). */
export interface Sub {
  env: EnvelopeMsg;
  device: SimDevice;
  kind: number;
  window: bigint;
  attempt?: Attempt;
  proofId?: bigint;
  height?: bigint;
  /** Coverage: the beacon's 32 bytes; stealth spoofers: the envelope they leaked off chain. */
  beaconPayload?: Uint8Array;
  leak?: EnvelopeMsg;
}

/** What a transaction was for, so its result can be attributed. */
export interface Tag {
  what: string;
  honest: boolean;
  actor: string;
  attempt?: Attempt;
  /** Tx error codes (codespace/code) that count as the expected catch of `attempt`. */
  expectCodes?: string[];
  subs?: Sub[];
  onOk?: (r: TxResult, height: bigint) => void;
  onFail?: (r: TxResult, height: bigint) => void;
}

export interface SimProgress {
  phase: 'setup' | 'run' | 'final';
  height: bigint;
  done: number;
  total: number;
  txs: number;
  verdicts: number;
  elapsedMs: number;
}

export interface Verdict {
  valid: boolean;
  reason: number;
  kind: string;
  deviceId: bigint;
  window: bigint;
  height: bigint;
}

export interface Stats {
  blocks: number;
  setupBlocks: number;
  txs: number;
  failedTxs: number;
  envelopes: number;
  verdicts: number;
  validVerdicts: number;
  execMs: number;
  buildMs: number;
  checkMs: number;
  invariantChecks: number;
  reverified: number;
  runStartMs: number;
  runEndMs: number;
  opTxs: number;
  opVerdicts: number;
  opExecMs: number;
  supplyStart: bigint;
}

export class Simulation {
  readonly cfg: SimConfig;
  readonly params: { proofs: ProofsParams; rewards: RewardsParams };
  readonly pop: Population;
  readonly chain: SimChain;
  readonly tracker = new Tracker();
  readonly rng: Rng;
  readonly behaviours: Behaviours;
  readonly deviceById = new Map<bigint, SimDevice>();
  readonly subsByProof = new Map<bigint, Sub>();
  readonly verdicts = new Map<bigint, Verdict>();
  /** Storage faults recorded in end block, by `${device}/${period}`. */
  readonly pdpFaults = new Map<string, Verdict & { proofId: bigint }>();
  readonly violations: string[] = [];
  readonly reverifyFailures: string[] = [];
  readonly stats: Stats;
  readonly slashedByDevice = new Map<bigint, bigint>();
  readonly validatorSlashes = new Map<string, number>();
  readonly banned = new Set<bigint>();
  readonly reversed = new Set<bigint>();
  readonly misbehaviorQueue = new Map<bigint, Misbehavior[]>();
  /** Supply before the block being built (checked against the block's mint and burn events). */
  private supply = 0n;
  private readonly sensorEvents = new Set<string>();
  /** Transactions of the block being built. */
  private txs: { bytes: Uint8Array; tag: Tag }[] = [];
  private readonly gatewayQueues: Sub[][];
  private readonly reverifyQueue: bigint[] = [];
  /** Heights at which the operation phase starts (first proof window) and ends. */
  readonly opStart: bigint;
  readonly endHeight: bigint;
  readonly setupEnd: bigint;
  private progressFn: ((p: SimProgress) => void) | undefined;

  private constructor(cfg: SimConfig, params: { proofs: ProofsParams; rewards: RewardsParams }, pop: Population, chain: SimChain) {
    this.cfg = cfg;
    this.params = params;
    this.pop = pop;
    this.chain = chain;
    this.rng = new Rng(cfg.seed ^ 0x5eed5eed);
    this.gatewayQueues = pop.gateways.map(() => []);
    this.behaviours = new Behaviours(this);
    const W = params.proofs.windowBlocks;
    this.setupEnd = this.behaviours.setupEnd();
    // Proofs start at the first window boundary after setup.
    this.opStart = (this.setupEnd / W + 1n) * W;
    this.endHeight = this.opStart + BigInt(cfg.blocks) - 1n;
    this.stats = {
      blocks: 0, setupBlocks: 0, txs: 0, failedTxs: 0, envelopes: 0, verdicts: 0, validVerdicts: 0, execMs: 0, buildMs: 0, checkMs: 0, invariantChecks: 0, reverified: 0,
      runStartMs: 0, runEndMs: 0, opTxs: 0, opVerdicts: 0, opExecMs: 0, supplyStart: 0n,
    };
  }

  /** Generates the network and opens the chain at genesis (nothing executed yet). */
  static async create(config: Partial<SimConfig>): Promise<Simulation> {
    const cfg = resolveConfig(config);
    // The authority's address is needed for the params; it is derived like every other account.
    const probe = generate({ ...cfg, devices: Math.min(cfg.devices, 8), cheatersPpm: 0 }, simParams(cfg, '').proofs);
    const params = simParams(cfg, probe.authority.address);
    const pop = generate(cfg, params.proofs);
    const genesis = simGenesis({ cfg, authority: pop.authority.address, validators: pop.validators, balances: pop.balances, params });
    const chain = await SimChain.open(genesis, { dir: cfg.dir, blockSeconds: BigInt(cfg.blockSeconds) });
    // InitChain's state is committed by the first block (as CometBFT does it): an empty one.
    await chain.block([]);
    const sim = new Simulation(cfg, params, pop, chain);
    chain.load(sim.allAccounts());
    sim.supply = sim.readSupply();
    sim.stats.supplyStart = sim.supply;
    return sim;
  }

  allAccounts(): SimAccount[] {
    const p = this.pop;
    return [
      p.authority, ...p.attackers, ...p.gateways, ...p.watchers, ...p.oracles, ...p.verifiers, ...[...p.manufacturers, p.rogue].map((m) => m.operator),
      ...p.owners.map((o) => o.account), ...p.buyers.filter((b) => !b.owner).map((b) => b.account), ...p.validators.map((v) => v.operator),
    ];
  }

  private readSupply(): bigint {
    const ctx = this.chain.readCtx();
    return this.chain.keepers.bank.supplyOf(ctx, 'udpin');
  }

  // ------------------------------------------------------------------ seeds and envelopes

  get height(): bigint {
    return this.chain.height;
  }

  /** The seed of window `w` from the app hash the simulator saw committed (undefined: not yet). */
  seed(w: bigint): Uint8Array | undefined {
    const p = this.params.proofs;
    const src = seedSourceHeight(w, p.windowBlocks, p.seedDelayBlocks);
    if (src < 1n) return undefined;
    const ah = this.chain.appHashes.get(src);
    return ah && windowSeed(this.chain.chainId, w, ah);
  }

  challengeSeed(c: bigint): Uint8Array | undefined {
    const ah = this.chain.appHashes.get(c);
    return ah && challengeSeed(this.chain.chainId, c, ah);
  }

  /** Envelope context of a device's next envelope. */
  ec(d: SimDevice, window: bigint, seed: Uint8Array): EnvelopeContext {
    d.seq += 1n;
    return { chainId: this.chain.chainId, deviceId: d.id, window, seed, seq: d.seq };
  }

  // ------------------------------------------------------------------ building a block

  /** Adds a signed tx to the block being built. */
  tx(signer: SimAccount, msgs: EncodeObject[], gas: bigint, tag: Tag): void {
    this.txs.push({ bytes: this.chain.sign(signer, msgs.map(anyOf), gas), tag });
  }

  /** An envelope of an honestly working device: batched by its gateway. */
  submitHonest(sub: Sub): void {
    this.gatewayQueues[sub.device.gateway]!.push(sub);
  }

  /** An envelope sent in its own tx by the device's owner (cheaters: one envelope per tx, so a
   * refusal is attributable). */
  submitOwn(sub: Sub, expectCodes?: string[]): void {
    const d = sub.device;
    this.tx(d.owner.account, [{ typeUrl: '/depin.proofs.v1.MsgSubmitProofs', value: { submitter: d.owner.account.address, envelopes: [sub.env] } }], 700_000n, {
      what: `proof ${sub.kind} of device ${d.id}`, honest: false, actor: `device ${d.id}`, attempt: sub.attempt, expectCodes, subs: [sub],
    });
  }

  private flushGateways(): void {
    const n = this.cfg.batchSize;
    this.gatewayQueues.forEach((q, g) => {
      for (let i = 0; i < q.length; i += n) {
        const subs = q.slice(i, i + n);
        const gw = this.pop.gateways[g]!;
        this.tx(gw, [{ typeUrl: '/depin.proofs.v1.MsgSubmitProofs', value: { submitter: gw.address, envelopes: subs.map((s) => s.env) } }], 400_000n + 150_000n * BigInt(subs.length), {
          what: `gateway ${g} batch of ${subs.length} envelopes`, honest: true, actor: `gateway ${g}`, subs,
        });
      }
      q.length = 0;
    });
  }

  // ------------------------------------------------------------------ the run

  get totalBlocks(): number {
    return Number(this.endHeight - this.chain.height);
  }

  async run(onProgress?: (p: SimProgress) => void): Promise<SimReport> {
    this.progressFn = onProgress;
    const start = performance.now();
    const total = Number(this.endHeight - this.chain.height);
    let done = 0;
    while (this.chain.height < this.endHeight) {
      await this.step();
      done++;
      if (this.progressFn && (done % 2 === 0 || this.chain.height === this.endHeight)) {
        this.progressFn({ phase: this.chain.height < this.opStart ? 'setup' : 'run', height: this.chain.height, done, total, txs: this.stats.txs, verdicts: this.stats.verdicts, elapsedMs: performance.now() - start });
      }
    }
    this.progressFn?.({ phase: 'final', height: this.chain.height, done, total, txs: this.stats.txs, verdicts: this.stats.verdicts, elapsedMs: performance.now() - start });
    return this.finish();
  }

  /** Builds, executes and checks one block. */
  async step(): Promise<BlockOutcome> {
    const height = this.chain.height + 1n;
    if (height === this.opStart) this.stats.runStartMs = performance.now();
    const t0 = performance.now();
    this.txs = [];
    this.behaviours.build(height);
    this.flushGateways();
    const built = this.txs;
    this.stats.buildMs += performance.now() - t0;
    const misbehavior = this.misbehaviorQueue.get(height);
    this.misbehaviorQueue.delete(height);
    const out = await this.chain.block(built.map((t) => t.bytes), { misbehavior });
    this.stats.execMs += out.execMs;
    this.stats.blocks++;
    if (height < this.opStart) this.stats.setupBlocks++;
    else {
      this.stats.opExecMs += out.execMs;
      this.stats.opTxs += built.length;
    }
    const t1 = performance.now();
    const verdictsBefore = this.stats.verdicts;
    this.absorb(out, built.map((t) => t.tag));
    if (height >= this.opStart) this.stats.opVerdicts += this.stats.verdicts - verdictsBefore;
    this.check(out);
    this.stats.checkMs += performance.now() - t1;
    if (height === this.endHeight) this.stats.runEndMs = performance.now();
    return out;
  }

  // ------------------------------------------------------------------ reading a block's outcome

  private absorb(out: BlockOutcome, tags: Tag[]): void {
    const h = out.height;
    this.stats.txs += tags.length;
    const allEvents: Event[][] = [];
    out.result.txResults.forEach((r, i) => {
      const tag = tags[i]!;
      allEvents.push(r.events);
      if (r.code !== 0) {
        this.stats.failedTxs++;
        const code = `${r.codespace || 'sdk'}/${r.code}`;
        if (tag.attempt) {
          this.tracker.resolve(tag.attempt, 'caught', `refused: tx error ${code} (${short(r.log)})`);
          if (tag.expectCodes && !tag.expectCodes.includes(code)) this.tracker.unexpected.push(`${tag.attempt.kind}/${tag.attempt.variant} by ${tag.actor} refused with ${code} where ${tag.expectCodes.join(' or ')} was expected: ${r.log}`);
        }
        for (const s of tag.subs ?? []) if (s.attempt && s.attempt !== tag.attempt) this.tracker.resolve(s.attempt, 'caught', `refused: tx error ${code} (${short(r.log)})`);
        if (tag.honest) this.tracker.penalise(h, tag.actor, `${tag.what} refused: ${code} ${r.log}`);
        tag.onFail?.(r, h);
        return;
      }
      if (tag.subs?.length) {
        const ids = r.events.filter((e) => e.type === 'proof_verdict' || e.type === 'proof_pending').map((e) => attrs(e));
        if (ids.length !== tag.subs.length) this.violations.push(`height ${h}: tx with ${tag.subs.length} envelopes produced ${ids.length} proof records`);
        tag.subs.forEach((s, k) => {
          const a = ids[k];
          if (!a) return;
          const id = BigInt(a.proof_id!);
          if (BigInt(a.device_id!) !== s.device.id) this.violations.push(`height ${h}: proof ${id} is for device ${a.device_id}, the envelope for ${s.device.id}`);
          s.proofId = id;
          s.height = h;
          this.subsByProof.set(id, s);
        });
        this.stats.envelopes += tag.subs.length;
      }
      if (tag.attempt && tag.expectCodes && !tag.subs) {
        // A refusal was expected and the chain accepted it.
        this.tracker.resolve(tag.attempt, 'escaped', 'accepted by the chain');
      }
      tag.onOk?.(r, h);
    });
    for (const evs of [...out.result.txResults.filter((r) => r.code === 0).map((r) => r.events), out.result.events]) {
      for (const e of evs) this.onEvent(e, h);
    }
    this.behaviours.afterBlock(out, tags);
    // supply moves exactly by this block's mint and burn events
    const supply = this.readSupply();
    const delta = supplyDelta(allEvents, out.result.events);
    if (supply - this.supply !== delta) this.violations.push(`height ${h}: supply moved by ${supply - this.supply}, mint - burn events say ${delta}`);
    this.supply = supply;
  }

  private onEvent(e: Event, h: bigint): void {
    switch (e.type) {
      case 'proof_verdict': {
        const a = attrs(e);
        const v: Verdict = { valid: a.valid === 'true', reason: Number(a.reason), kind: a.kind!, deviceId: BigInt(a.device_id!), window: BigInt(a.window ?? '0'), height: h };
        const id = BigInt(a.proof_id!);
        this.verdicts.set(id, v);
        this.stats.verdicts++;
        if (v.valid) {
          this.stats.validVerdicts++;
          this.reverifyQueue.push(id);
        }
        const d = this.deviceById.get(v.deviceId);
        if (d?.honest) this.tracker.honestVerdict(d, v.kind, v.valid, v.reason);
        if (v.kind === 'storage/pdp' && !this.subsByProof.has(id)) this.pdpFaults.set(`${v.deviceId}/${v.window}`, { ...v, proofId: id });
        this.behaviours.onVerdict(id, v, this.subsByProof.get(id), h);
        break;
      }
      case 'proof_reversed': {
        const a = attrs(e);
        this.reversed.add(BigInt(a.proof_id!));
        const d = this.deviceById.get(BigInt(a.device_id!));
        if (d?.honest) this.tracker.penalise(h, `device ${d.id}`, `proof ${a.proof_id} reversed by challenge ${a.challenge_id}`);
        break;
      }
      case 'ban': {
        const a = attrs(e);
        if (a.target_type !== 'device') {
          this.tracker.penalise(h, `manufacturer ${a.target_id}`, `manufacturer banned (reason ${a.reason_code})`);
          break;
        }
        const id = BigInt(a.target_id!);
        this.banned.add(id);
        const d = this.deviceById.get(id);
        if (d) d.banned = true;
        if (d?.honest) this.tracker.penalise(h, `device ${id}`, `banned with reason ${a.reason_code}`);
        break;
      }
      case 'provider_slashed': {
        const a = attrs(e);
        const id = BigInt(a.device_id!);
        const amount = BigInt(/^(\d+)/.exec(a.amount ?? '0')![1]!);
        this.slashedByDevice.set(id, (this.slashedByDevice.get(id) ?? 0n) + amount);
        const d = this.deviceById.get(id);
        if (d?.honest) this.tracker.penalise(h, `device ${id}`, `provider bond slashed ${a.amount} (${a.reason})`);
        break;
      }
      case 'slash': {
        const a = attrs(e);
        const addr = a.address ?? a.jailed;
        if (!addr) break;
        this.validatorSlashes.set(addr, (this.validatorSlashes.get(addr) ?? 0) + 1);
        const v = this.pop.validators.find((x) => consAddress(x) === addr);
        if (v && !v.equivocates) this.tracker.penalise(h, `validator ${v.index}`, `slashed or jailed (${a.reason ?? 'jail'})`);
        break;
      }
      case 'oracle_slashed': {
        this.tracker.penalise(h, `oracle ${attrs(e).oracle}`, `oracle bond slashed (${attrs(e).reason})`);
        break;
      }
    }
    this.behaviours.onEvent(e, h);
  }

  // ------------------------------------------------------------------ checks

  private check(out: BlockOutcome): void {
    const h = out.height;
    const ctx = this.chain.readCtx();
    const k = this.chain.keepers;
    if (this.reverifyQueue.length) {
      const deps = {
        chainId: this.chain.chainId, params: this.params.proofs,
        appHash: (x: bigint) => this.chain.appHashes.get(x),
        device: (id: bigint) => k.devices.getDevice(ctx, id),
        record: (id: bigint) => k.proofs.getRecord(ctx, id),
        dataSet: (id: bigint) => getDataSet(k.proofs, ctx, id),
        job: (id: bigint) => getJob(k.proofs, ctx, id),
      };
      for (const id of this.reverifyQueue) {
        const r = k.proofs.getRecord(ctx, id);
        if (!r) {
          this.reverifyFailures.push(`proof ${id}: record missing right after its verdict`);
          continue;
        }
        const why = reverify(r, this.subsByProof.get(id)?.env, deps);
        this.stats.reverified++;
        if (why) this.reverifyFailures.push(`proof ${id} (device ${r.deviceId}, kind ${r.kind}, window ${r.window}): ${why}`);
        if (r.kind === KIND.SENSOR_BATCH) {
          const ev = r.inputs.find((x) => x.key === 'event_id')?.value ?? '';
          if (this.sensorEvents.has(ev)) this.reverifyFailures.push(`proof ${id}: sensor event id ${ev} accepted twice`);
          this.sensorEvents.add(ev);
        }
      }
      this.reverifyQueue.length = 0;
    }
    if (Number(h) % this.cfg.invariantsEvery === 0 || h === this.endHeight) {
      this.stats.invariantChecks++;
      for (const v of checkAll(ctx, k)) this.violations.push(`height ${h}: ${v}`);
    }
  }

  // ------------------------------------------------------------------ the end

  /** Resolves every attempt from chain state, checks export -> import, builds the report. */
  async finish(): Promise<SimReport> {
    const ctx = this.chain.readCtx();
    const k = this.chain.keepers;
    for (const a of this.tracker.attempts) if (!a.outcome) this.behaviours.resolveAtEnd(a, ctx);
    for (const s of this.subsByProof.values()) {
      if (!s.attempt) continue;
      const r = k.proofs.getRecord(ctx, s.proofId!);
      if (!r) {
        this.tracker.resolve(s.attempt, 'pending', `record ${s.proofId} pruned`, true);
        continue;
      }
      if (r.status === STATUS.REVERSED) this.tracker.resolve(s.attempt, 'caught', `accepted, then reversed by fraud challenge ${r.challengeId}`, true);
      else if (r.status === STATUS.PENDING) this.tracker.resolve(s.attempt, 'pending', 'verdict pending at the end of the run', true);
      else if (r.valid) this.tracker.resolve(s.attempt, 'escaped', `accepted (proof ${r.id}, ${r.units} units)`, true);
      else this.tracker.resolve(s.attempt, 'caught', `recorded invalid: ${r.reason} ${reasonName(r.reason)}`, true);
    }
    this.behaviours.endChecks(ctx);
    this.tracker.checkExpectations();
    // The report reads the final state first; export -> import then runs one more block on both.
    const report = buildReport(this);
    report.exportImport = await this.exportImport();
    if (!report.exportImport.ok) this.violations.push(`export -> import: app hash ${report.exportImport.appHash} vs imported ${report.exportImport.importedAppHash}`);
    report.invariants.violations = this.violations.slice(0, 50);
    report.invariants.violationCount = this.violations.length;
    return report;
  }

  /** Exports genesis at the final height, imports it into a fresh App (its own LevelDB) and
   * compares app hashes: right after InitChain, and after one more identical block on both. */
  async exportImport(): Promise<{ ok: boolean; height: bigint; appHash: string; importedAppHash: string; afterNextBlock: { appHash: string; importedAppHash: string }; genesisBytes: number; ms: number }> {
    const t0 = performance.now();
    const exported = JSON.parse(JSON.stringify(this.chain.app.exportGenesis()));
    const h = this.chain.height;
    const g = { ...structuredClone(this.chain.genesis), initial_height: String(h + 1n), genesis_time: formatTime(this.chain.time), app_state: exported };
    const genesisBytes = JSON.stringify(g).length;
    const copy = await SimChain.open(g, { blockSeconds: this.chain.blockSeconds });
    try {
      const appHash = this.chain.appHashHex();
      const importedAppHash = Buffer.from(copy.initAppHash).toString('hex');
      const a = await this.chain.block([]);
      const lastAppHash = this.chain.appHashes.get(h)!;
      const b = copy.app.finalizeBlock({ height: h + 1n, time: a.time, txs: [], proposer: this.chain.valsets.get(h + 1n)?.proposer.address, lastAppHash, lastCommit: this.chain.valsets.get(h)!.validators.map((v) => ({ validatorAddress: v.address, power: v.votingPower, signed: true })) });
      await copy.app.commit();
      const next = { appHash: this.chain.appHashHex(), importedAppHash: Buffer.from(b.appHash).toString('hex') };
      return { ok: appHash === importedAppHash && next.appHash === next.importedAppHash, height: h, appHash, importedAppHash, afterNextBlock: next, genesisBytes, ms: performance.now() - t0 };
    } finally {
      await copy.close();
    }
  }

  async close(): Promise<void> {
    await this.chain.close();
  }

  consAddress(v: SimValidator): string {
    return consAddress(v);
  }

  sha(b: Uint8Array): Uint8Array {
    return sha256(b);
  }
}

export function consAddress(v: SimValidator): string {
  return toBech32(VALCONS_PREFIX, v.key.address);
}

function short(s: string): string {
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

function formatTime(t: { seconds: bigint; nanos: number }): string {
  return new Date(Number(t.seconds) * 1000).toISOString().replace('.000Z', '.000000000Z');
}

// In-process harness for proofs tests: a TestChain with a recording ProofHooks, registered and
// located devices of every sector, block advance to a given height or window, seeds, and typed
// reads of verdicts.
import * as h3 from 'h3-js';
import { TestChain, devKeys, type Signer } from './inproc.ts';
import type { TxResult } from '../../chain/app.ts';
import type { Any } from '../../chain/tx/types.ts';
import { devManufacturerKeys } from '../../node/dev-genesis.ts';
import { isolatedDevGenesis } from './inproc.ts';
import { depinRegistry } from '../../sdk/registry.ts';
import { generateDeviceKey, type DeviceKey } from '../../sdk/device-key.ts';
import { attestDevice, serialHash } from '../../sdk/envelope.ts';
import * as M from '../../sdk/messages.ts';
import * as P from '../../sdk/proofs.ts';
import type { ProofCredit, ProofHooks, ProofOutcome } from '../../modules/proofs/hooks.ts';
import { paramsFrom, type Params } from '../../modules/proofs/params.ts';
import { messageToJson, messageFromJson } from '../../chain/codec/proto-json.ts';
import { ParamsCodec, type ProofRecord } from '../../modules/proofs/types.ts';
import type { GenesisDoc } from '../../chain/genesis.ts';

export const registry = depinRegistry();
export const any = (o: M.EncodeObject): Any => registry.encodeAsAny(o as never) as Any;
export const cellAt = (lat: number, lng: number): bigint => BigInt('0x' + h3.latLngToCell(lat, lng, 12));
/** The res-12 cell `north` / `east` metres from a point (test geometry only: floats are fine here). */
export const cellNear = (lat: number, lng: number, north: number, east: number): bigint =>
  cellAt(lat + north / 111_320, lng + east / (111_320 * Math.cos((lat * Math.PI) / 180)));

/** Records every hook call in order (what the rewards module would see). */
export class RecordingHooks implements ProofHooks {
  readonly verdicts: ProofOutcome[] = [];
  readonly reversals: { outcome: ProofOutcome; challenger: string; penaltyUnits: bigint }[] = [];
  /** Credits every valid proof with units a recognisable amount (proofs must hand it back on reversal). */
  afterProofVerdict(_ctx: unknown, o: ProofOutcome): ProofCredit | undefined {
    this.verdicts.push(o);
    return o.valid && o.units > 0n ? RecordingHooks.creditFor(o) : undefined;
  }
  static creditFor(o: { proofId: bigint; units: bigint }): ProofCredit {
    return { owner: `credited-${o.proofId}`, weightedUnits: 3n * o.units + 1n };
  }
  afterProofReversed(_ctx: unknown, o: ProofOutcome, challenger: string, penaltyUnits: bigint): void {
    this.reversals.push({ outcome: o, challenger, penaltyUnits });
  }
}

export interface TestDevice {
  id: bigint;
  key: DeviceKey;
  owner: Signer;
  seq: bigint;
  cell: bigint;
}

const SECTOR_MODEL: Record<string, string> = { coverage: 'dev-hotspot', storage: 'dev-storage', compute: 'dev-gpu', sensor: 'dev-sensor' };

export class ProofsHarness {
  readonly chain: TestChain;
  readonly hooks: RecordingHooks;
  readonly gateway = devKeys[3]!;
  readonly authority = devKeys[9]!;

  private constructor(chain: TestChain, hooks: RecordingHooks) {
    this.chain = chain;
    this.hooks = hooks;
  }

  /** `tweak` adjusts the proofs params of the dev genesis (dev values otherwise). Verdicts go to
   * RecordingHooks, or with `rewards` to the real rewards module (`hooks` then records nothing). */
  static async open(tweak: (p: Params) => Partial<Params> = () => ({}), opts: { rewards?: boolean } = {}): Promise<ProofsHarness> {
    const g: GenesisDoc = isolatedDevGenesis();
    const section = g.app_state.proofs as { params: Record<string, unknown> };
    const base = paramsFrom(messageFromJson(ParamsCodec.type, section.params as never) ?? {});
    const params = { ...base, ...tweak(base) };
    section.params = messageToJson(ParamsCodec.type, params as never) as Record<string, unknown>;
    const hooks = new RecordingHooks();
    return new ProofsHarness(await TestChain.open(g, opts.rewards ? {} : { proofHooks: hooks }), hooks);
  }

  get params(): Params {
    return this.chain.keepers.proofs.params(this.ctx());
  }

  /** A query-mode context over committed state (for keeper reads in assertions). */
  ctx() {
    return queryCtx(this.chain);
  }

  /** A block context at `height` over a throwaway branch of committed state, to call end/begin
   * block steps directly on a state a test arranged (nothing reaches the chain). */
  branchCtx(height: bigint, lastAppHash?: Uint8Array): Context {
    return new Context(new CacheKV(this.chain.app.store), { chainId: 'depin-local-1', height, time: { seconds: 0n, nanos: 0 }, ...(lastAppHash ? { lastAppHash } : {}) }, new GasMeter(Infinity), new EventManager(false), 'finalize');
  }

  async close(): Promise<void> {
    await this.chain.close();
  }

  async tx(signer: Signer, msgs: M.EncodeObject[], gas = 2_000_000n): Promise<TxResult> {
    return this.chain.deliver(this.chain.tx(signer, msgs.map(any), { gas, fee: 50_000n }));
  }

  async ok(signer: Signer, msgs: M.EncodeObject[], gas?: bigint): Promise<TxResult> {
    const r = await this.tx(signer, msgs, gas);
    if (r.code !== 0) throw new Error(`tx failed (${r.codespace} ${r.code}): ${r.log}`);
    return r;
  }

  async device(sector: 'coverage' | 'storage' | 'compute' | 'sensor', opts: { owner?: Signer; cell?: bigint; hardwareClass?: string; keyType?: 'secp256k1' | 'p256'; key?: DeviceKey } = {}): Promise<TestDevice> {
    const owner = opts.owner ?? devKeys[0]!;
    const key = opts.key ?? generateDeviceKey(opts.keyType ?? 'secp256k1');
    const mk = devManufacturerKeys();
    const mfr: DeviceKey = key.keyType === 2 ? { keyType: 2, ...mk.p256 } : { keyType: 1, ...mk.secp256k1 };
    const model = SECTOR_MODEL[sector]!;
    const sh = serialHash('devmfr', `proofs-${Buffer.from(key.publicKey).toString('hex')}`);
    const attestation = attestDevice(mfr, { manufacturerId: 'devmfr', device: key, model, serialHash: sh });
    const r = await this.ok(owner, [M.registerDeviceMsg({
      chainId: 'depin-local-1', owner: owner.address, nonce: this.nextNonce(owner), device: key, manufacturerId: 'devmfr', model, sector,
      hardwareClass: opts.hardwareClass ?? 'standard', serialHash: sh, attestation, maxFee: { denom: 'udpin', amount: 1_000_000n },
    })]);
    const id = BigInt(r.events.find((e) => e.type === 'device_registered')!.attributes.find((a) => a.key === 'device_id')!.value);
    const d: TestDevice = { id, key, owner, seq: 0n, cell: 0n };
    if (opts.cell !== undefined) await this.locate(d, opts.cell);
    return d;
  }

  private readonly nonces = new Map<string, bigint>();
  private nextNonce(owner: Signer): bigint {
    const n = (this.nonces.get(owner.address) ?? 0n) + 1n;
    this.nonces.set(owner.address, n);
    return n;
  }

  async locate(d: TestDevice, cell: bigint): Promise<void> {
    await this.ok(d.owner, [M.assertLocationMsg(d.owner.address, d.id, cell, { denom: 'udpin', amount: 100_000n })]);
    d.cell = cell;
  }

  height(): bigint {
    return this.chain.height;
  }

  window(): bigint {
    return this.chain.height / this.params.windowBlocks;
  }

  /** The window the next block falls in (where a tx delivered now executes). */
  nextBlockWindow(): bigint {
    return (this.chain.height + 1n) / this.params.windowBlocks;
  }

  /** Empty blocks until the last committed height is `h`. */
  async advanceTo(h: bigint): Promise<void> {
    while (this.chain.height < h) await this.chain.block([]);
  }

  /** Advances to a height inside `window` where its seed exists (the window's start, minus one:
   * the next tx lands at the window's first height). */
  async enterWindow(window: bigint): Promise<void> {
    await this.advanceTo(window * this.params.windowBlocks - 1n);
  }

  /** Moves into the next window whose first block is still ahead (seed known by then). */
  async nextWindow(): Promise<bigint> {
    const w = this.window() + 1n;
    await this.enterWindow(w);
    return w;
  }

  seed(window: bigint): Uint8Array {
    const ctx = this.ctx();
    const { seed } = this.chain.keepers.proofs.windowSeed(ctx, this.params, window);
    if (!seed) throw new Error(`no seed for window ${window} at height ${this.chain.height}`);
    return seed;
  }

  /** Envelope context for `d` in `window` with its next sequence number. */
  ec(d: TestDevice, window: bigint, seed?: Uint8Array): P.EnvelopeContext {
    d.seq += 1n;
    return { chainId: 'depin-local-1', deviceId: d.id, window, seed: seed ?? this.seed(window), seq: d.seq };
  }

  async submit(envelopes: P.EnvelopeMsg[], signer: Signer = this.gateway): Promise<TxResult> {
    return this.tx(signer, [P.submitProofsMsg(signer.address, envelopes)], 400_000n + 150_000n * BigInt(envelopes.length));
  }

  record(id: bigint): ProofRecord {
    const r = this.chain.keepers.proofs.getRecord(this.ctx(), id);
    if (!r) throw new Error(`no proof ${id}`);
    return r;
  }

  /** Proof ids from a tx's proof_verdict / proof_pending events. */
  static proofIds(r: TxResult): bigint[] {
    return r.events.filter((e) => e.type === 'proof_verdict' || e.type === 'proof_pending').map((e) => BigInt(e.attributes.find((a) => a.key === 'proof_id')!.value));
  }

  static verdictEvents(r: { events: { type: string; attributes: { key: string; value: string }[] }[] }): Record<string, string>[] {
    return r.events.filter((e) => e.type === 'proof_verdict').map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));
  }
}

import { Context } from '../../chain/context.ts';
import { GasMeter } from '../../chain/gas.ts';
import { EventManager } from '../../chain/events.ts';
import { CacheKV } from '../../chain/store/cache-kv.ts';

function queryCtx(chain: TestChain): Context {
  return new Context(new CacheKV(chain.app.store), { chainId: 'depin-local-1', height: chain.height + 1n, time: { seconds: chain.time, nanos: 0 } }, new GasMeter(Infinity), new EventManager(false), 'query');
}

// ------------------------------------------------------------------ state diff helpers

const PROOFS = Buffer.from('proofs/').toString('hex');
const proofsTable = (hexKey: string): number | undefined => (hexKey.startsWith(PROOFS) ? parseInt(hexKey.slice(PROOFS.length, PROOFS.length + 2), 16) : undefined);

/** Proofs tables every block may touch: app hash history, window bookkeeping, pruning of
 * expired window slots. */
const HOUSEKEEPING = new Set([0x06, 0x1c, 0x1d]);

export interface Change {
  key: string;
  table?: number;
  deleted: boolean;
}

export function changes(before: Map<string, string>, after: Map<string, string>): Change[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  const out: Change[] = [];
  for (const k of [...keys].sort()) {
    if (before.get(k) === after.get(k)) continue;
    const table = proofsTable(k);
    if (table !== undefined && HOUSEKEEPING.has(table)) continue;
    if (table === 0x05 && !after.has(k)) continue; // expired slots pruned
    out.push({ key: k, table, deleted: !after.has(k) });
  }
  return out;
}

/** Keys a tx with a failed message may change: the signer's balance and account, the fee
 * collector's balance. */
export function anteKeys(signer: string): Set<string> {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const bal = (a: string) => hex(new Uint8Array([...Buffer.from('bank/'), ...balancePrefix(fromBech32(a)), ...Buffer.from('udpin')]));
  return new Set([bal(signer), bal(moduleAddress('fee_collector')), hex(new Uint8Array([...Buffer.from('auth/'), 0x01, ...fromBech32(signer)]))]);
}

import { balancePrefix } from '../../modules/bank/keeper.ts';
import { moduleAddress } from '../../modules/auth/keeper.ts';
import { fromBech32 } from '../../chain/crypto/address.ts';

/** Proofs tables a recorded verdict writes: counter, record, device index, device state, slot. */
export const VERDICT_TABLES = new Set([0x01, 0x02, 0x03, 0x04, 0x05]);

// The proofs keeper: state of the module and the shared envelope pipeline. Sector rules live in
// coverage/, storage.ts, compute.ts and sensor.ts (kind handlers), fraud challenges in fraud.ts.
//
// Every envelope goes through the same checks (README "Envelope checks"); a failure there is a
// transaction error and changes nothing. Past them, the proof is RECORDED with a verdict (valid or
// a reason code, the inputs checked, the units earned), its sequence and window slot are used,
// and ProofHooks.afterProofVerdict is called once its verdict is final.
import type { Context } from '../../chain/context.ts';
import { event } from '../../chain/events.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { prefixEnd, type KVStore } from '../../chain/store/kv.ts';
import type { Coin } from '../../chain/coins.ts';
import type { BankKeeperI } from '../bank/keeper.ts';
import type { DevicesKeeperI, Activity } from '../devices/keeper.ts';
import type { Device } from '../devices/types.ts';
import { u64be } from '../../chain/codec/bytes.ts';
import type { ProofHooks, ProofOutcome } from './hooks.ts';
import { KIND, KIND_NAMES, KIND_SECTOR, STATUS, reasonName } from './reasons.ts';
import {
  ErrInvalidEnvelope, ErrWrongChainId, ErrUnsupportedVersion, ErrUnknownKind, ErrUnknownDevice, ErrWrongSector, ErrDeviceInactive,
  ErrDeviceBanned, ErrPayloadHash, ErrInvalidSignature, ErrStaleSequence, ErrSeedNotAvailable, ErrSeedExpired, ErrSeedMismatch,
  ErrDuplicateProof, ErrTooManyEnvelopes, ErrInvalidField, ErrNotAuthority, ErrNotBonded,
} from './errors.ts';
import { DENOM, coinAmount, paramsFrom, type Params } from './params.ts';
import { K, keys, COUNTERS, STORE_PREFIX } from './store-keys.ts';
import { readU64 } from '../../chain/codec/bytes.ts';
import { PROTOCOL_VERSION, PROOF_DOMAIN, windowSeed, challengeSeed, windowOf, windowStart, seedSourceHeight, equalBytes, hex } from './envelope.ts';
import {
  EnvelopeHeaderCodec, ProofRecordCodec, DeviceProofStateCodec, ProviderBondCodec, VerifierCodec, ParamsCodec, encode, encodeRecord, encodeDeviceState, headerFrom, recordFrom,
  deviceStateFrom, bondFrom, bondTo, verifierFrom, verifierTo,
  type EnvelopeHeader, type EnvelopeMsg, type ProofRecord, type DeviceProofState, type ProviderBond, type Verifier, type Input,
} from './types.ts';

export const MODULE_NAME = 'proofs';

/** What proofs needs from the devices module: the read-only keeper plus the ban path (the same
 * method the devices authority uses; fraud challenges ban through it). */
export interface DevicesDep extends DevicesKeeperI {
  ban(ctx: Context, type: number, target: string, reason: number, evidence: Uint8Array, duration: bigint): bigint;
  /** activity() for a device record already read (saves decoding it again per envelope). */
  activityOf(ctx: Context, d: Device): Activity;
  /** verifyDeviceSignature() for a device record already read. */
  verifyDeviceSignatureOf(ctx: Context, d: Device, domain: string, body: Uint8Array, sig: Uint8Array): boolean;
}

export type Bank = Pick<BankKeeperI, 'balance' | 'sendCoinsFromAccountToModule' | 'sendCoinsFromModuleToAccount' | 'burnCoins'>;

export interface ModuleAccounts {
  getOrCreateModuleAccount(ctx: Context, name: string, permissions?: string[]): unknown;
}

/** A kind handler's judgement of an accepted envelope. */
export interface Judgement {
  /** Coverage: the verdict waits for the beacon's witness window (reason 0 until then). */
  pending?: boolean;
  reason: number;
  units: bigint;
  inputs: Input[];
}

export interface Accepted<P> {
  header: EnvelopeHeader;
  payload: P;
  device: Device;
  record: ProofRecord;
  state: DeviceProofState;
  params: Params;
}

export interface KindHandler<P = any> {
  kind: number;
  /** Decodes and shape-checks the payload (ErrInvalidPayload). */
  decode(bytes: Uint8Array): P;
  /** The seed the envelope must answer (throws ErrSeedNotAvailable / ErrSeedExpired / ErrUnknownSubject). */
  seed(k: ProofsKeeper, ctx: Context, p: Params, h: EnvelopeHeader, payload: P): Uint8Array;
  /** Second half of the one-proof-per-(device, kind, window, subject) slot. */
  subject(h: EnvelopeHeader, payload: P): bigint;
  /** True when the subject's own state already refuses a second proof of this device for this
   * window once this one is recorded (after seed()): no slot key is written for it. */
  windowBound?(h: EnvelopeHeader, payload: P): boolean;
  verify(k: ProofsKeeper, ctx: Context, e: Accepted<P>): Judgement;
}

export interface VerdictSummary {
  proofId: bigint;
  status: number;
  valid: boolean;
  reason: number;
  units: bigint;
}

const ONE = Uint8Array.of(1);
const enc = new TextEncoder();
/** Entries end block may delete per table per block (slots, records, event ids): pruning cost is
 * spread over blocks instead of landing on one window boundary. */
export const PRUNE_PER_BLOCK = 20_000;

export const input = (key: string, value: string | number | bigint | boolean): Input => ({ key, value: String(value) });

/** Kinds whose slot is just (device, kind, window): tracked in DeviceProofState.windows. */
const SUBJECTLESS = new Set<number>([KIND.BEACON, KIND.AVAILABILITY, KIND.SENSOR_BATCH]);
const MASK_BITS = 64n;
const MASK_ALL = (1n << MASK_BITS) - 1n;

/** Marks `window` used for `kind`; false if it already was. Windows more than 64 before the
 * latest are refused too (they are long past any seed lifetime, which is at most 16 windows). */
export function claimWindow(state: DeviceProofState, kind: number, window: bigint): boolean {
  let w = state.windows.find((x) => x.kind === kind);
  if (!w) {
    w = { kind, lastWindow: window, mask: 0n };
    state.windows.push(w);
    state.windows.sort((a, b) => a.kind - b.kind);
    return true;
  }
  if (window > w.lastWindow) {
    const shift = window - w.lastWindow;
    w.mask = shift >= MASK_BITS ? 0n : ((w.mask << shift) | (1n << (shift - 1n))) & MASK_ALL;
    w.lastWindow = window;
    return true;
  }
  if (window === w.lastWindow) return false;
  const back = w.lastWindow - window - 1n;
  if (back >= MASK_BITS) return false;
  if ((w.mask >> back) & 1n) return false;
  w.mask |= 1n << back;
  return true;
}

export class ProofsKeeper {
  /** The last seeds computed (a block's envelopes answer one or two windows): seed(w) is a pure
   * function of the chain id, w and the source app hash, each compared on use (the same store read,
   * so the same gas). */
  private readonly seeds: { chainId: string; window: bigint; appHash: Uint8Array; seed: Uint8Array }[] = [];
  readonly devices: DevicesDep;
  readonly bank: Bank;
  readonly accounts: ModuleAccounts;
  hooks: ProofHooks;
  readonly handlers = new Map<number, KindHandler>();
  /** Params decoded once per block (they only change through MsgUpdateParams, which clears it). */
  private paramsCache: { height: bigint; raw: Uint8Array | undefined; params: Params } | undefined;

  constructor(devices: DevicesDep, bank: Bank, accounts: ModuleAccounts, hooks: ProofHooks) {
    this.devices = devices;
    this.bank = bank;
    this.accounts = accounts;
    this.hooks = hooks;
  }

  register(h: KindHandler): void {
    this.handlers.set(h.kind, h);
  }

  store(ctx: Context): KVStore {
    return ctx.kv(STORE_PREFIX);
  }

  // ------------------------------------------------------------------ params and counters

  params(ctx: Context): Params {
    const raw = this.store(ctx).get(Uint8Array.of(K.params));
    const c = this.paramsCache;
    if (c && raw && c.raw && equalBytes(c.raw, raw)) return c.params;
    const params = raw ? paramsFrom(ParamsCodec.decode(raw)) : paramsFrom({});
    this.paramsCache = { height: ctx.block.height, raw: raw ? Uint8Array.from(raw) : undefined, params };
    return params;
  }

  setParams(ctx: Context, p: Params): void {
    this.store(ctx).set(Uint8Array.of(K.params), encode(ParamsCodec, p));
  }

  requireAuthority(ctx: Context, signer: string): void {
    const a = this.params(ctx).authority;
    if (!a || a !== signer) throw ErrNotAuthority.wrap(`expected ${a || '(no authority configured)'}, got ${signer}`);
  }

  /** Returns the counter's current value and advances it (ids start at 1). */
  nextId(ctx: Context, key: Uint8Array): bigint {
    const s = this.store(ctx);
    const raw = s.get(key);
    const id = raw ? readU64(raw) : 1n;
    s.set(key, u64be(id + 1n));
    return id;
  }

  peekId(ctx: Context, key: Uint8Array): bigint {
    const raw = this.store(ctx).get(key);
    return raw ? readU64(raw) : 1n;
  }

  // ------------------------------------------------------------------ seeds

  /** Begin block: remember the app hash after the previous block (the header's app hash), and
   * forget those no seed can need any more. */
  recordAppHash(ctx: Context): void {
    const h = ctx.block.height;
    if (h < 2n) return; // the first block's previous state is genesis; seeds start later
    const s = this.store(ctx);
    const p = this.params(ctx);
    // Only the heights a seed comes from: window seed sources (w·W − L) and scheduled PDP
    // challenge heights. Nothing is written in other blocks.
    const prev = h - 1n;
    const windowSource = (prev + p.seedDelayBlocks) % p.windowBlocks === 0n;
    // The challenge-height mark of `prev` (and, in databases written before marks, its per data
    // set keys) has served once its app hash is recorded: remove it with the check.
    const cp = keys.challengeAt(prev);
    const marks: Uint8Array[] = [];
    for (const [k] of s.iterator(cp, prefixEnd(cp))) marks.push(Uint8Array.from(k));
    for (const k of marks) s.delete(k);
    if (!windowSource && marks.length === 0) return;
    // Without a header app hash (in-process tools that do not pass one) the seed is still a
    // deterministic function of the chain, just a predictable one.
    const appHash = ctx.block.lastAppHash && ctx.block.lastAppHash.length > 0 ? ctx.block.lastAppHash : sha256(enc.encode(`depin/proofs/v1/no-app-hash/${h - 1n}`));
    s.set(keys.appHash(h - 1n), Uint8Array.from(appHash));
    const keep = this.appHashHistory(p);
    if (h - 1n > keep) {
      const cutoff = h - 1n - keep;
      const start = Uint8Array.of(K.appHash);
      const dead: Uint8Array[] = [];
      for (const [k] of s.iterator(start, keys.appHash(cutoff))) dead.push(Uint8Array.from(k));
      for (const k of dead) s.delete(k);
    }
  }

  /** Heights of app hash history kept: every live window's seed source and every open PDP
   * challenge height (README "Randomness"). */
  appHashHistory(p: Params): bigint {
    const windows = (p.seedLifetimeWindows + 2n) * p.windowBlocks + p.seedDelayBlocks + 1n;
    const pdp = p.challengeWindowBlocks + 2n;
    return windows > pdp ? windows : pdp;
  }

  appHashAt(ctx: Context, height: bigint): Uint8Array | undefined {
    return this.store(ctx).get(keys.appHash(height));
  }

  /** seed(w), if its source app hash is known (no liveness check). The array is shared: read it,
   * do not change it. */
  windowSeed(ctx: Context, p: Params, window: bigint): { seed?: Uint8Array; source: bigint } {
    const source = seedSourceHeight(window, p.windowBlocks, p.seedDelayBlocks);
    if (source < 1n) return { source };
    const ah = this.appHashAt(ctx, source);
    if (!ah) return { seed: undefined, source };
    const chainId = ctx.block.chainId;
    for (const m of this.seeds) if (m.window === window && m.chainId === chainId && equalBytes(m.appHash, ah)) return { seed: m.seed, source };
    const seed = windowSeed(chainId, window, ah);
    if (this.seeds.length >= 4) this.seeds.shift();
    this.seeds.push({ chainId, window, appHash: Uint8Array.from(ah), seed });
    return { seed, source };
  }

  /** The seed an envelope of `window` must answer, if the window is live now. */
  liveWindowSeed(ctx: Context, p: Params, window: bigint): Uint8Array {
    const h = ctx.block.height;
    const current = windowOf(h, p.windowBlocks);
    if (window > current) throw ErrSeedNotAvailable.wrap(`window ${window} starts at height ${windowStart(window, p.windowBlocks)}; now height ${h} (window ${current})`);
    if (window + p.seedLifetimeWindows < current) throw ErrSeedExpired.wrap(`window ${window} closed at height ${windowStart(window + p.seedLifetimeWindows + 1n, p.windowBlocks) - 1n}; now height ${h}`);
    const { seed, source } = this.windowSeed(ctx, p, window);
    if (!seed) throw ErrSeedNotAvailable.wrap(`the seed of window ${window} comes from the app hash of height ${source}, not known at height ${h}`);
    return seed;
  }

  /** PDP challenge seed of height c: exists from block c + 1 on. */
  challengeSeedAt(ctx: Context, c: bigint): Uint8Array | undefined {
    if (c >= ctx.block.height) return undefined;
    const ah = this.appHashAt(ctx, c);
    return ah ? challengeSeed(ctx.block.chainId, c, ah) : undefined;
  }

  // ------------------------------------------------------------------ device state and records

  deviceState(ctx: Context, device: bigint): DeviceProofState {
    const raw = this.store(ctx).get(keys.deviceState(device));
    return raw ? deviceStateFrom(DeviceProofStateCodec.decode(raw)) : { lastSeq: 0n, lastBeaconHeight: 0n, lastWitnessHeight: 0n, windows: [], lastProofId: 0n };
  }

  setDeviceState(ctx: Context, device: bigint, s: DeviceProofState): void {
    this.store(ctx).set(keys.deviceState(device), encodeDeviceState(s));
  }

  getRecord(ctx: Context, id: bigint): ProofRecord | undefined {
    const raw = this.store(ctx).get(keys.record(id));
    return raw ? recordFrom(ProofRecordCodec.decode(raw)) : undefined;
  }

  saveRecord(ctx: Context, r: ProofRecord): void {
    this.store(ctx).set(keys.record(r.id), encodeRecord(r));
  }

  /**
   * A new record (id assigned), not yet saved, linked into its device's chain: it names the
   * device's previous proof and becomes the device state's newest. The chain replaces an index key
   * per proof (0x03), a tree path per proof, with two fields in records written anyway. A caller
   * holding the device's state (submitEnvelope, which writes it afterwards) passes it; otherwise
   * the state is read and written here.
   */
  newRecord(ctx: Context, fields: Omit<ProofRecord, 'id' | 'height' | 'submittedHeight' | 'challengeId' | 'status' | 'valid' | 'reason' | 'units' | 'inputs' | 'creditOwner' | 'creditWeightedUnits' | 'prevByDevice'>, p: Params = this.params(ctx), state?: DeviceProofState): ProofRecord {
    const id = this.nextId(ctx, COUNTERS.proof);
    const s = this.store(ctx);
    const st = state ?? this.deviceState(ctx, fields.deviceId);
    const prevByDevice = st.lastProofId;
    st.lastProofId = id;
    if (!state) this.setDeviceState(ctx, fields.deviceId, st);
    // First proof of this height window: remember its id (records are pruned by window).
    const w = windowOf(ctx.block.height, p.windowBlocks);
    if (!s.has(keys.windowFirstId(w))) s.set(keys.windowFirstId(w), u64be(id));
    return { ...fields, id, height: ctx.block.height, submittedHeight: ctx.block.height, challengeId: 0n, status: STATUS.PENDING, valid: false, reason: 0, units: 0n, inputs: [], creditOwner: '', creditWeightedUnits: 0n, prevByDevice };
  }

  /**
   * The device's proof records, newest first (from `from`, a proof id of the device, if given):
   * its chain, then, below the chain's oldest, the index entries of proofs recorded before the
   * chain existed. Ends at a pruned record (pruning goes oldest first) or at a `from` that is not
   * one of the device's records.
   */
  *proofsOfDevice(ctx: Context, device: bigint, from?: bigint): Generator<ProofRecord> {
    let id = from ?? this.deviceState(ctx, device).lastProofId;
    let oldest: bigint | undefined;
    while (id !== 0n) {
      const r = this.getRecord(ctx, id);
      if (!r || r.deviceId !== device) return;
      yield r;
      oldest = id;
      id = r.prevByDevice;
    }
    const prefix = keys.byDevicePrefix(device);
    const s = this.store(ctx);
    for (const [k] of s.iterator(prefix, oldest === undefined ? prefixEnd(prefix) : keys.byDevice(device, oldest), true)) {
      const r = this.getRecord(ctx, readU64(k, 9));
      if (r) yield r;
    }
  }

  outcome(r: ProofRecord): ProofOutcome {
    const o: ProofOutcome = { proofId: r.id, deviceId: r.deviceId, sector: r.sector, kind: KIND_NAMES[r.kind] ?? `kind/${r.kind}`, window: r.window, height: r.height, valid: r.valid, reason: r.reason, units: r.units };
    if (r.creditOwner !== '') o.credit = { owner: r.creditOwner, weightedUnits: r.creditWeightedUnits };
    return o;
  }

  /** Records a final verdict: emits `proof_verdict`, calls the rewards hook, saves the record with
   * what the hook credited. */
  finalize(ctx: Context, r: ProofRecord, reason: number, units: bigint, inputs?: Input[]): void {
    r.status = STATUS.FINAL;
    r.reason = reason;
    r.valid = reason === 0;
    r.units = r.valid ? units : 0n;
    r.height = ctx.block.height;
    if (inputs) r.inputs = inputs;
    if (ctx.events.enabled) {
      // Indexed: what tx_search and the indexer filter on (proof, device, kind, validity, reason);
      // the rest rides along unindexed (every indexed attribute is an index entry per proof).
      const idx = (key: string, value: string) => ({ key, value, index: true });
      const plain = (key: string, value: string) => ({ key, value, index: false });
      ctx.events.emit({
        type: 'proof_verdict',
        attributes: [
          idx('proof_id', r.id.toString()), idx('device_id', r.deviceId.toString()), idx('kind', KIND_NAMES[r.kind] ?? String(r.kind)), idx('valid', String(r.valid)),
          idx('reason', String(r.reason)), plain('reason_name', reasonName(r.reason)), plain('window', r.window.toString()), plain('units', r.units.toString()),
        ],
      });
    }
    const credit = this.hooks.afterProofVerdict(ctx, this.outcome(r));
    r.creditOwner = credit?.owner ?? '';
    r.creditWeightedUnits = credit?.weightedUnits ?? 0n;
    this.saveRecord(ctx, r);
  }

  // ------------------------------------------------------------------ the envelope pipeline

  submitProofs(ctx: Context, submitter: string, envelopes: readonly EnvelopeMsg[]): VerdictSummary[] {
    const p = this.params(ctx);
    if (envelopes.length === 0) throw ErrInvalidField.wrap('no envelopes');
    if (envelopes.length > p.maxEnvelopesPerMsg) throw ErrTooManyEnvelopes.wrap(`${envelopes.length} > ${p.maxEnvelopesPerMsg}`);
    const out: VerdictSummary[] = [];
    for (let i = 0; i < envelopes.length; i++) {
      try {
        out.push(this.submitEnvelope(ctx, p, submitter, envelopes[i]!));
      } catch (err) {
        if (err instanceof Error && 'codespace' in err && envelopes.length > 1) throw (err as import('../../chain/errors.ts').SdkError).wrap(`envelope ${i}`);
        throw err;
      }
    }
    return out;
  }

  /** Decodes an envelope header (ErrInvalidEnvelope). */
  decodeHeader(bytes: Uint8Array): EnvelopeHeader {
    try {
      return headerFrom(EnvelopeHeaderCodec.decode(bytes));
    } catch (err) {
      throw ErrInvalidEnvelope.wrap(`header: ${(err as Error).message}`);
    }
  }

  /** The stateless and device checks every envelope passes, up to and including the signature;
   * returns the decoded header, device, handler and payload. Used by submission and by fraud
   * evidence (an equivocating envelope must pass them too, except the slot and sequence). */
  authenticate(ctx: Context, env: EnvelopeMsg, opts: { requireActive: boolean; header?: EnvelopeHeader }): { header: EnvelopeHeader; device: Device; handler: KindHandler; payload: unknown } {
    if (!env.header?.length || !env.payload || !env.signature) throw ErrInvalidEnvelope.wrap('header, payload and signature are required');
    const header = opts.header ?? this.decodeHeader(env.header); // opts.header: decoded from env.header by the caller
    if (header.chainId !== ctx.block.chainId) throw ErrWrongChainId.wrap(`envelope is for ${JSON.stringify(header.chainId)}, this chain is ${ctx.block.chainId}`);
    if (header.version !== PROTOCOL_VERSION) throw ErrUnsupportedVersion.wrap(`version ${header.version}; this chain speaks ${PROTOCOL_VERSION}`);
    const handler = this.handlers.get(header.kind);
    if (!handler) throw ErrUnknownKind.wrap(`kind ${header.kind}`);
    if (header.sector !== KIND_SECTOR[header.kind]) throw ErrWrongSector.wrap(`kind ${KIND_NAMES[header.kind]} belongs to sector ${KIND_SECTOR[header.kind]}, header says ${header.sector}`);
    const device = this.devices.getDevice(ctx, header.deviceId);
    if (!device) throw ErrUnknownDevice.wrap(`device ${header.deviceId}`);
    if (device.sector !== header.sector) throw ErrWrongSector.wrap(`device ${device.id} is in sector ${device.sector}, not ${header.sector}`);
    if (opts.requireActive) {
      const a = this.devices.activityOf(ctx, device);
      if (!a.active) {
        if (a.reason === 'banned' || a.reason === 'manufacturer_banned') throw ErrDeviceBanned.wrap(`device ${device.id}: ${a.reason}`);
        throw ErrDeviceInactive.wrap(`device ${device.id}: ${a.reason}`);
      }
    }
    if (env.signature.length !== 64) throw ErrInvalidSignature.wrap('signatures are 64 bytes r ‖ s');
    if (header.payloadHash.length !== 32 || !equalBytes(sha256(env.payload), header.payloadHash)) throw ErrPayloadHash;
    if (!this.devices.verifyDeviceSignatureOf(ctx, device, PROOF_DOMAIN, env.header, env.signature)) {
      throw ErrInvalidSignature.wrap(`device ${device.id}'s key did not sign this envelope for chain ${ctx.block.chainId}`);
    }
    return { header, device, handler, payload: handler.decode(env.payload) };
  }

  private submitEnvelope(ctx: Context, p: Params, submitter: string, env: EnvelopeMsg): VerdictSummary {
    // Cheap refusals first: a replay is refused before its signature is even looked at.
    const peek = this.decodeHeader(env.header ?? new Uint8Array());
    const state = this.deviceState(ctx, peek.deviceId);
    if (peek.seq <= state.lastSeq) throw ErrStaleSequence.wrap(`device ${peek.deviceId}: seq ${peek.seq}, last ${state.lastSeq}`);
    const { header, device, handler, payload } = this.authenticate(ctx, env, { requireActive: true, header: peek });
    const seed = handler.seed(this, ctx, p, header, payload);
    if (header.seed.length !== 32 || !equalBytes(seed, header.seed)) throw ErrSeedMismatch.wrap(`window ${header.window}: expected seed ${hex(seed)}`);
    const subject = handler.subject(header, payload);
    const s = this.store(ctx);
    // One proof per (device, kind, window, subject): kinds without a subject keep the windows they
    // used in the device's state (written anyway for the sequence); the others use a slot key,
    // unless the subject's own state already refuses a second proof (handler.windowBound).
    const subjectless = SUBJECTLESS.has(header.kind);
    const slot = subjectless || handler.windowBound?.(header, payload) ? undefined : keys.slot(header.window, device.id, header.kind, subject);
    if (slot) {
      const used = s.get(slot);
      if (used) throw ErrDuplicateProof.wrap(`device ${device.id}, ${KIND_NAMES[header.kind]}, window ${header.window}, subject ${subject}: proof ${readU64(used)}`);
    } else if (subjectless && !claimWindow(state, header.kind, header.window)) {
      throw ErrDuplicateProof.wrap(`device ${device.id}, ${KIND_NAMES[header.kind]}, window ${header.window}`);
    }

    state.lastSeq = header.seq;
    const record = this.newRecord(ctx, {
      deviceId: device.id, sector: header.sector, kind: header.kind, window: header.window, envelopeHash: sha256(env.header), seq: header.seq, submitter, subject,
      seed: header.seed, payloadHash: header.payloadHash,
    }, p, state);
    if (slot) s.set(slot, u64be(record.id));
    const j = handler.verify(this, ctx, { header, payload, device, record, state, params: p });
    this.setDeviceState(ctx, device.id, state);
    if (j.pending) {
      record.inputs = j.inputs;
      this.saveRecord(ctx, record);
      if (ctx.events.enabled) {
        ctx.events.emit({
          type: 'proof_pending',
          attributes: [{ key: 'proof_id', value: record.id.toString(), index: true }, { key: 'device_id', value: device.id.toString(), index: true }, { key: 'kind', value: KIND_NAMES[header.kind]!, index: false }],
        });
      }
    } else this.finalize(ctx, record, j.reason, j.units, j.inputs);
    return { proofId: record.id, status: record.status, valid: record.valid, reason: record.reason, units: record.units };
  }

  // ------------------------------------------------------------------ module funds and bonds

  /** Moves udpin from an account into the module (escrow, bond). */
  collect(ctx: Context, from: string, amount: bigint): void {
    if (amount > 0n) this.bank.sendCoinsFromAccountToModule(ctx, from, MODULE_NAME, [{ denom: DENOM, amount }]);
  }

  pay(ctx: Context, to: string, amount: bigint): void {
    if (amount > 0n) this.bank.sendCoinsFromModuleToAccount(ctx, MODULE_NAME, to, [{ denom: DENOM, amount }]);
  }

  burn(ctx: Context, amount: bigint): void {
    if (amount > 0n) this.bank.burnCoins(ctx, MODULE_NAME, [{ denom: DENOM, amount } as Coin]);
  }

  fraudFund(ctx: Context): bigint {
    const raw = this.store(ctx).get(Uint8Array.of(K.fraudFund));
    return raw ? BigInt(new TextDecoder().decode(raw)) : 0n;
  }

  setFraudFund(ctx: Context, amount: bigint): void {
    this.store(ctx).set(Uint8Array.of(K.fraudFund), enc.encode(amount.toString()));
  }

  getBond(ctx: Context, device: bigint): ProviderBond | undefined {
    const raw = this.store(ctx).get(keys.providerBond(device));
    return raw ? bondFrom(ProviderBondCodec.decode(raw)) : undefined;
  }

  setBond(ctx: Context, b: ProviderBond, sector: number, minBond: bigint): void {
    const s = this.store(ctx);
    if (b.bonded === 0n && b.unbonding === 0n) s.delete(keys.providerBond(b.deviceId));
    else s.set(keys.providerBond(b.deviceId), encode(ProviderBondCodec, bondTo(b)));
    // The index lists providers that can be selected (bonded at least the minimum, not unbonding).
    if (b.bonded >= minBond && b.bonded > 0n) s.set(keys.providerIndex(sector, b.deviceId), ONE);
    else s.delete(keys.providerIndex(sector, b.deviceId));
  }

  /** The device's bond if it is bonded at least the minimum (what storage and compute require). */
  requireBonded(ctx: Context, p: Params, device: bigint): ProviderBond {
    const b = this.getBond(ctx, device);
    const min = coinAmount(p.minProviderBond);
    if (!b || b.bonded < min || b.bonded === 0n) throw ErrNotBonded.wrap(`device ${device} has ${b?.bonded ?? 0n}${DENOM} bonded; providers need ${min}${DENOM}`);
    return b;
  }

  /** Slashes `bps` of a provider's bond (bonded first, then unbonding); returns the amount taken
   * (still in the module account: the caller pays shares out and burns the rest). */
  slashProvider(ctx: Context, device: bigint, bps: number, reason: string): bigint {
    const b = this.getBond(ctx, device);
    if (!b || bps <= 0) return 0n;
    const total = b.bonded + b.unbonding;
    const take = (total * BigInt(bps)) / 10_000n;
    if (take === 0n) return 0n;
    const fromBonded = take < b.bonded ? take : b.bonded;
    b.bonded -= fromBonded;
    b.unbonding -= take - fromBonded;
    const sector = this.devices.sector(ctx, device) ?? 0;
    this.setBond(ctx, b, sector, coinAmount(this.params(ctx).minProviderBond));
    if (ctx.events.enabled) ctx.events.emit(event('provider_slashed', { device_id: device.toString(), amount: `${take}${DENOM}`, reason }));
    return take;
  }

  getVerifier(ctx: Context, address: string): Verifier | undefined {
    const raw = this.store(ctx).get(keys.verifier(address));
    return raw ? verifierFrom(VerifierCodec.decode(raw)) : undefined;
  }

  setVerifier(ctx: Context, v: Verifier): void {
    if (v.bonded === 0n && v.unbonding === 0n) this.store(ctx).delete(keys.verifier(v.address));
    else this.store(ctx).set(keys.verifier(v.address), encode(VerifierCodec, verifierTo(v)));
  }

  /** Verifiers bonded at least the minimum, in address-byte order. */
  eligibleVerifiers(ctx: Context, p: Params): Verifier[] {
    const min = coinAmount(p.minVerifierBond);
    const out: Verifier[] = [];
    const start = Uint8Array.of(K.verifier);
    for (const [, v] of this.store(ctx).iterator(start, prefixEnd(start))) {
      const x = verifierFrom(VerifierCodec.decode(v));
      if (x.bonded >= min && x.bonded > 0n) out.push(x);
    }
    return out;
  }

  // ------------------------------------------------------------------ pruning

  /** Deletes up to `max` keys in [start, end); returns how many. */
  pruneRange(ctx: Context, start: Uint8Array, end: Uint8Array, max: number, onDelete?: (k: Uint8Array, v: Uint8Array) => void): number {
    const s = this.store(ctx);
    const dead: [Uint8Array, Uint8Array][] = [];
    for (const [k, v] of s.iterator(start, end)) {
      dead.push([Uint8Array.from(k), Uint8Array.from(v)]);
      if (dead.length >= max) break;
    }
    for (const [k, v] of dead) {
      onDelete?.(k, v);
      s.delete(k);
    }
    return dead.length;
  }

  /** End block housekeeping: window slots and records past their lifetime. */
  prune(ctx: Context, p: Params): void {
    const h = ctx.block.height;
    const current = windowOf(h, p.windowBlocks);
    const s = this.store(ctx);
    // Window slots: a window older than the seed lifetime can no longer be submitted for.
    if (current > p.seedLifetimeWindows + 1n) {
      const cutoff = current - p.seedLifetimeWindows - 1n;
      this.pruneRange(ctx, Uint8Array.of(K.slot), keys.slotWindowPrefix(cutoff), PRUNE_PER_BLOCK);
    }
    // Records: ids are assigned in height order; windowFirstId maps a window to its first id
    // (written with the window's first proof). Records below the first id of the oldest retained
    // window go, a bounded number per block.
    if (p.recordRetentionWindows > 0n && current > p.recordRetentionWindows) {
      const oldWindow = current - p.recordRetentionWindows;
      let below: bigint | undefined;
      for (const [, v] of s.iterator(keys.windowFirstId(oldWindow), prefixEnd(Uint8Array.of(K.windowFirstId)))) {
        below = readU64(v);
        break;
      }
      below ??= this.peekId(ctx, COUNTERS.proof);
      const cursorRaw = s.get(Uint8Array.of(K.pruneCursor));
      let cursor = cursorRaw ? readU64(cursorRaw) : 1n;
      if (cursor < below) {
        let n = 0;
        while (cursor < below && n < PRUNE_PER_BLOCK) {
          const r = this.getRecord(ctx, cursor);
          if (r) {
            s.delete(keys.record(cursor));
            s.delete(keys.byDevice(r.deviceId, cursor));
            const payload = r.kind === 1 ? r.inputs.find((x) => x.key === 'payload')?.value : undefined;
            if (payload) s.delete(keys.beaconByPayload(Buffer.from(payload, 'hex')));
          }
          cursor++;
          n++;
        }
        s.set(Uint8Array.of(K.pruneCursor), u64be(cursor));
        if (cursor >= below) this.pruneRange(ctx, Uint8Array.of(K.windowFirstId), keys.windowFirstId(oldWindow), 1_000);
      }
    }
  }
}

// Rewards state and rules: the proofs hooks (verdicts and reversals per device and epoch), data
// credits (mint by burning udpin at the oracle price, spend for a device's or a sector's service),
// price oracles (bond, post, judge, slash, unbond), cumulative per-(device, owner) ledgers and
// claims. Epoch close and the chunked distribution live in distribution.ts.
import type { Context } from '../../chain/context.ts';
import { toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';
import { event } from '../../chain/events.ts';
import { prefixEnd, type KVStore } from '../../chain/store/kv.ts';
import type { BankKeeperI } from '../bank/keeper.ts';
import type { DevicesKeeperI } from '../devices/keeper.ts';
import type { Device } from '../devices/types.ts';
import { cellToParent } from '../devices/h3.ts';
import type { ProofCredit, ProofHooks, ProofOutcome } from '../proofs/hooks.ts';
import { STORE_PREFIX, K, keys } from './keys.ts';
import { readU64, u64be } from '../../chain/codec/bytes.ts';
import { anchorRecordOf } from './anchor-record.ts';
import { BPS } from './params.ts';
import { aggregatePrice, deviates, weightedMedian } from './oracle.ts';
import { max, min, portion, seniorityPpm, trustPpm, weighted } from './math.ts';
import {
  R, empty, EPOCH_OPEN, ORACLE_ACTIVE, ORACLE_UNBONDING,
  type CellAggregate, type CreditAccount, type DeviceEpoch, type DeviceState, type EpochSummary, type Ledger, type ModuleState,
  type Oracle, type Params, type PendingJudgment, type PriceAggregate, type PricePost, type RecordCodec, type SectorPool,
} from './types.ts';
import {
  ErrBelowMinimum, ErrBondTooSmall, ErrDeviceInactive, ErrDeviceNotFound, ErrDuplicateEvent, ErrInsufficientCredits, ErrInvalidPrice,
  ErrNoPrice, ErrNoQuorum, ErrOracleNotActive, ErrOracleNotFound, ErrPostTooFrequent, ErrPriceGuard, ErrPriceStale, ErrStalePost,
  ErrTooManyOracles, ErrZeroCredits, ErrInvalidField,
} from './errors.ts';
import { bytesEqual } from '../../chain/codec/bytes.ts';

export const MODULE_NAME = 'rewards';
/** Escrow of oracle bonds (slashed bonds are burned from here). */
export const ORACLE_BONDS = 'oracle_bonds';
/** Receives the treasury share; spent by governance (not built yet). */
export const TREASURY = 'treasury';
export const DENOM = 'udpin';
/** Data credits: 1,000,000 udc = 1 USD. Module state, not a bank denom: MsgSend cannot move them. */
export const CREDIT_DENOM = 'udc';
export const MAX_PRICE = 1_000_000_000_000_000n; // micro-USD per DPIN ($10^9 per DPIN)
export const ONE = Uint8Array.of(1);
export const SECTORS = [1, 2, 3, 4] as const;

type Bank = Pick<BankKeeperI, 'balance' | 'sendCoinsFromAccountToModule' | 'sendCoinsFromModuleToAccount' | 'sendCoinsFromModuleToModule' | 'mintCoins' | 'burnCoins'>;

export interface ModuleAccounts {
  getOrCreateModuleAccount(ctx: Context, name: string, permissions?: string[]): unknown;
}

/** Who verified proofs in an epoch and how much (wired from the proofs module after merge). */
export interface VerifierRewardsSource {
  verifierWeights(ctx: Context, epoch: bigint): { address: string; weight: bigint }[];
}

const sectorPool = (sector: number): SectorPool => ({ ...empty(R.SectorPool), sector });

export function newSummary(epoch: bigint, startHeight: bigint): EpochSummary {
  return { ...empty(R.EpochSummary), epoch, startHeight, status: EPOCH_OPEN, sectors: SECTORS.map(sectorPool) };
}

/** An all-default DeviceEpoch to spread new records from (its only array, reasons, is replaced). */
let emptyEpoch: DeviceEpoch | undefined;

/** The oldest epoch whose per-device history is kept when `keep` epochs are: current - keep, but
 * never past an epoch still being paid. Pruning deletes below it; a reversal reaches back to it
 * with keep = reversal_window_epochs. */
export function historyBound(st: ModuleState, keep: number): bigint {
  let b = st.currentEpoch > BigInt(keep) ? st.currentEpoch - BigInt(keep) : 0n;
  if (st.nextDistribution !== 0n && st.nextDistribution < b) b = st.nextDistribution;
  return b;
}

export class RewardsKeeper implements ProofHooks {
  readonly bank: Bank;
  readonly devices: DevicesKeeperI;
  readonly accounts: ModuleAccounts;
  /** Module account receiving the validators' share (the fee collector, as x/mint does). */
  readonly validatorsAccount: string;
  verifierSource: VerifierRewardsSource | undefined;
  private paramsCache: { raw: Uint8Array; params: Params } | undefined;
  private epochCache: { raw: Uint8Array; epoch: bigint } | undefined;

  constructor(bank: Bank, devices: DevicesKeeperI, accounts: ModuleAccounts, validatorsAccount = 'fee_collector') {
    this.bank = bank;
    this.devices = devices;
    this.accounts = accounts;
    this.validatorsAccount = validatorsAccount;
  }

  /** Block time in seconds (CheckTx, Simulate and queries see the last committed block's time). */
  now(ctx: Context): bigint {
    return ctx.block.time.seconds;
  }

  // ------------------------------------------------------------------ store helpers

  store(ctx: Context): KVStore {
    return ctx.kv(STORE_PREFIX);
  }

  get<T>(ctx: Context, key: Uint8Array, c: RecordCodec<T>): T | undefined {
    const raw = this.store(ctx).get(key);
    return raw ? c.decode(raw) : undefined;
  }

  put<T>(ctx: Context, key: Uint8Array, c: RecordCodec<T>, v: T): void {
    this.store(ctx).set(key, c.encode(v));
  }

  /** Keys and values under a prefix, collected (the store may not be written while iterating). */
  scan(ctx: Context, prefix: Uint8Array, limit = Infinity, end?: Uint8Array): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    if (limit <= 0) return out;
    for (const [k, v] of this.store(ctx).iterator(prefix, end ?? prefixEnd(prefix))) {
      out.push([Uint8Array.from(k), v]);
      if (out.length >= limit) break;
    }
    return out;
  }

  params(ctx: Context): Params {
    const raw = this.store(ctx).get(Uint8Array.of(K.params));
    if (!raw) throw new Error('rewards: params not initialised (genesis)');
    if (this.paramsCache?.raw !== raw) this.paramsCache = { raw, params: R.Params.decode(raw) };
    return this.paramsCache.params;
  }

  setParams(ctx: Context, p: Params): void {
    this.put(ctx, Uint8Array.of(K.params), R.Params, p);
  }

  state(ctx: Context): ModuleState {
    return this.get(ctx, Uint8Array.of(K.state), R.ModuleState) ?? empty(R.ModuleState);
  }

  /** The open epoch, for the per-verdict path: the module state is decoded once per stored value
   * (the store hands back the same array until the state is written again; decoding it, segments
   * and a dozen amounts, cost ~7 µs per verdict). Same store read, so the same gas. */
  currentEpoch(ctx: Context): bigint {
    const raw = this.store(ctx).get(Uint8Array.of(K.state));
    if (!raw) return 0n;
    if (this.epochCache?.raw !== raw) this.epochCache = { raw, epoch: R.ModuleState.decode(raw).currentEpoch };
    return this.epochCache.epoch;
  }

  setState(ctx: Context, s: ModuleState): void {
    this.put(ctx, Uint8Array.of(K.state), R.ModuleState, s);
  }

  summary(ctx: Context, epoch: bigint): EpochSummary | undefined {
    return this.get(ctx, keys.epoch(epoch), R.EpochSummary);
  }

  setSummary(ctx: Context, s: EpochSummary): void {
    this.put(ctx, keys.epoch(s.epoch), R.EpochSummary, s);
  }

  /** The open epoch's summary (always present after genesis). */
  openSummary(ctx: Context, st: ModuleState): EpochSummary {
    return this.summary(ctx, st.currentEpoch) ?? newSummary(st.currentEpoch, st.epochStartHeight);
  }

  deviceState(ctx: Context, id: bigint): DeviceState {
    return this.get(ctx, keys.deviceState(id), R.DeviceState) ?? { ...empty(R.DeviceState), deviceId: id };
  }

  setDeviceState(ctx: Context, s: DeviceState): void {
    this.put(ctx, keys.deviceState(s.deviceId), R.DeviceState, s);
  }

  ledger(ctx: Context, id: bigint, owner: string): Ledger {
    return this.get(ctx, keys.ledger(id, owner), R.Ledger) ?? { ...empty(R.Ledger), deviceId: id, owner };
  }

  /** Writes a ledger; the owner's claimable index changes only when the claimable balance
   * crosses zero (`before`: the claimable balance before this change). */
  setLedger(ctx: Context, l: Ledger, before: bigint): void {
    this.put(ctx, keys.ledger(l.deviceId, l.owner), R.Ledger, l);
    // The anchorable claim record follows the ledger (a claim leaves it as it is: not rewritten).
    const rec = anchorRecordOf(l);
    if (rec) {
      const old = this.store(ctx).get(rec.key);
      if (!old || !bytesEqual(old, rec.value)) this.store(ctx).set(rec.key, rec.value);
    }
    const now = claimableOf(l);
    if (now > 0n && before <= 0n) this.store(ctx).set(keys.pending(l.owner, l.deviceId), ONE);
    else if (now <= 0n && before > 0n) this.store(ctx).delete(keys.pending(l.owner, l.deviceId));
  }

  credits(ctx: Context, address: string): CreditAccount {
    return this.get(ctx, keys.credits(address), R.CreditAccount) ?? { address, balance: 0n, basis: 0n };
  }

  /** Epoch of a block height (epochs count from 1; segments record epoch-length changes). */
  epochOfHeight(st: ModuleState, h: bigint): bigint {
    for (let i = st.segments.length - 1; i >= 0; i--) {
      const s = st.segments[i]!;
      if (h >= s.startHeight) return s.firstEpoch + (h - s.startHeight) / s.blocks;
    }
    return 0n;
  }

  // ------------------------------------------------------------------ per-device epoch records

  private recordKey(epoch: bigint, d: Device): Uint8Array {
    return keys.deviceEpoch(epoch, d.id, d.owner);
  }

  /** The device's record for the open epoch under its current owner, created with a snapshot of
   * the location and the multipliers on first use (`state`: the device state read to create it). */
  recordFor(ctx: Context, p: Params, epoch: bigint, d: Device): { rec: DeviceEpoch; created: boolean; state?: DeviceState } {
    const existing = this.get(ctx, this.recordKey(epoch, d), R.DeviceEpoch);
    if (existing) return { rec: existing, created: false };
    const h = ctx.block.height;
    const locationSector = p.locationSectors.includes(d.sector);
    const cell = d.locationCell;
    const ds = this.deviceState(ctx, d.id);
    const rec: DeviceEpoch = {
      ...(emptyEpoch ??= empty(R.DeviceEpoch)),
      reasons: [],
      epoch, deviceId: d.id, owner: d.owner, sector: d.sector, cell,
      densityCell: locationSector && cell !== 0n ? cellToParent(cell, p.densityResolution) : 0n,
      trustPpm: trustPpm(p, locationSector, cell, d.locationHeight, h),
      seniorityPpm: seniorityPpm(p, this.seniorityStart(d, ds), h),
      firstHeight: h,
    };
    return { rec, created: true, state: ds };
  }

  seniorityStart(d: Device, ds: DeviceState | undefined): bigint {
    return max(d.seniorityHeight !== 0n ? d.seniorityHeight : d.registeredHeight, ds?.activeSince ?? 0n);
  }

  saveRecord(ctx: Context, r: DeviceEpoch): void {
    this.put(ctx, keys.deviceEpoch(r.epoch, r.deviceId, r.owner), R.DeviceEpoch, r);
  }

  cellAggregate(ctx: Context, epoch: bigint, sector: number, cell: bigint): CellAggregate {
    return this.get(ctx, keys.cell(epoch, sector, cell), R.CellAggregate) ?? { ...empty(R.CellAggregate), epoch, sector, cell };
  }

  private ignored(ctx: Context, o: ProofOutcome, reason: string): undefined {
    ctx.events.emit(event('rewards_verdict_ignored', { proof_id: o.proofId.toString(), device_id: o.deviceId.toString(), reason }));
    return undefined;
  }

  // ------------------------------------------------------------------ ProofHooks

  afterProofVerdict(ctx: Context, o: ProofOutcome): ProofCredit | undefined {
    const p = this.params(ctx);
    const epoch = this.currentEpoch(ctx);
    const d = this.devices.getDevice(ctx, o.deviceId);
    // Never throw from a hook: proofs may call it from its end block, where a throw halts the chain.
    if (!d) return this.ignored(ctx, o, 'device_not_found');
    if (d.sector !== o.sector) return this.ignored(ctx, o, 'sector_mismatch');
    if (o.units < 0n || o.units >= 1n << 64n) return this.ignored(ctx, o, 'units_out_of_range');
    const { rec, state } = this.recordFor(ctx, p, epoch, d);
    if (!o.valid) {
      rec.proofsInvalid += 1n;
      const rc = rec.reasons.find((x) => x.reason === o.reason);
      if (rc) rc.count += 1n;
      else {
        rec.reasons.push({ reason: o.reason, count: 1n });
        rec.reasons.sort((a, b) => a.reason - b.reason);
      }
      this.saveRecord(ctx, rec);
      return undefined;
    }
    rec.proofsValid += 1n;
    // First valid proof of the epoch: the device is alive; a silence longer than the grace window
    // restarts its seniority (honest short downtime costs only the missed rewards).
    const ds = state ?? this.deviceState(ctx, d.id);
    if (ds.lastActiveEpoch !== epoch) {
      if (ds.lastActiveEpoch !== 0n && epoch - ds.lastActiveEpoch - 1n > BigInt(p.downtimeGraceEpochs)) {
        ds.activeSince = ctx.block.height;
        if (rec.units === 0n) rec.seniorityPpm = seniorityPpm(p, this.seniorityStart(d, ds), ctx.block.height);
        ctx.events.emit(event('rewards_seniority_reset', { device_id: d.id.toString(), silent_epochs: (epoch - ds.lastActiveEpoch - 1n).toString() }));
      }
      ds.lastActiveEpoch = epoch;
      this.setDeviceState(ctx, ds);
    }
    if (o.units === 0n) {
      this.saveRecord(ctx, rec);
      return undefined;
    }
    const w = weighted(o.units, rec.trustPpm, rec.seniorityPpm);
    rec.units += o.units;
    rec.weightedUnits += w;
    if (w > 0n) {
      const agg = this.cellAggregate(ctx, epoch, rec.sector, rec.densityCell);
      if (!rec.counted) {
        rec.counted = true;
        agg.devices += 1n;
      }
      agg.weightedUnits += w;
      this.put(ctx, keys.cell(epoch, rec.sector, rec.densityCell), R.CellAggregate, agg);
    }
    this.saveRecord(ctx, rec);
    // Proofs keeps this in the proof's record and hands it back with a reversal.
    return { owner: d.owner, weightedUnits: w };
  }

  afterProofReversed(ctx: Context, o: ProofOutcome, challenger: string, penaltyUnits: bigint): void {
    const p = this.params(ctx);
    const st = this.state(ctx);
    const epoch = this.epochOfHeight(st, o.height);
    // What the verdict credited, while its epoch is within reversal_window_epochs (or being paid).
    const credit = o.credit && epoch >= historyBound(st, p.reversalWindowEpochs) ? o.credit : undefined;
    const ds = this.deviceState(ctx, o.deviceId);
    ds.reversals += 1n;
    if (p.fraudWithholdEpochs > 0) ds.withholdUntilEpoch = max(ds.withholdUntilEpoch, st.currentEpoch + BigInt(p.fraudWithholdEpochs) - 1n);
    const attrs: Record<string, string> = {
      proof_id: o.proofId.toString(), device_id: o.deviceId.toString(), epoch: epoch.toString(), challenger,
      penalty_units: (penaltyUnits > 0n ? penaltyUnits : 0n).toString(), withhold_until_epoch: ds.withholdUntilEpoch.toString(),
    };
    if (!credit) {
      // Nothing credited (invalid, no units, ignored) or older than reversal_window_epochs: only
      // the withholding applies.
      this.setDeviceState(ctx, ds);
      ctx.events.emit(event('rewards_proof_reversed', { ...attrs, mode: 'not_found' }));
      return;
    }
    const rec = this.get(ctx, keys.deviceEpoch(epoch, o.deviceId, credit.owner), R.DeviceEpoch);
    if (!rec) {
      this.setDeviceState(ctx, ds);
      ctx.events.emit(event('rewards_proof_reversed', { ...attrs, mode: 'not_found' }));
      return;
    }
    const pen = penaltyUnits > 0n && penaltyUnits < 1n << 64n ? penaltyUnits : 0n;
    const revW = credit.weightedUnits + weighted(pen, rec.trustPpm, rec.seniorityPpm);
    const revU = o.units + pen;
    rec.proofsReversed += 1n;
    let mode: string;
    let clawed = 0n;
    let debt = 0n;
    if (epoch === st.currentEpoch) {
      // Not distributed yet: the units leave the epoch (and its cell) before anyone is paid.
      mode = 'removed';
      const cut = min(revW, rec.weightedUnits);
      rec.weightedUnits -= cut;
      rec.units -= min(revU, rec.units);
      const agg = this.cellAggregate(ctx, epoch, rec.sector, rec.densityCell);
      agg.weightedUnits -= min(cut, agg.weightedUnits);
      if (rec.counted && rec.weightedUnits === 0n) {
        rec.counted = false;
        agg.devices -= agg.devices > 0n ? 1n : 0n;
      }
      this.put(ctx, keys.cell(epoch, rec.sector, rec.densityCell), R.CellAggregate, agg);
    } else if (!rec.paid) {
      // Closed, payout pending: the payout withholds the reversed share.
      mode = 'withheld';
      rec.reversedUnits += revU;
      rec.reversedWeighted += revW;
    } else {
      // Already credited: claw back that share from earned-not-claimed; the rest becomes debt.
      mode = 'clawed_back';
      const base = rec.proofReward + rec.sectorDemandReward;
      const before = portion(base, rec.reversedWeighted, rec.weightedUnits);
      rec.reversedUnits += revU;
      rec.reversedWeighted += revW;
      const owed = portion(base, rec.reversedWeighted, rec.weightedUnits) - before;
      const r = this.clawback(ctx, st, ds, rec.deviceId, rec.owner, owed);
      clawed = r.taken;
      debt = r.debt;
      this.setState(ctx, st);
    }
    this.saveRecord(ctx, rec);
    this.setDeviceState(ctx, ds);
    ctx.events.emit(event('rewards_proof_reversed', { ...attrs, owner: rec.owner, units: revU.toString(), mode, clawed_back: clawed.toString(), debt: debt.toString() }));
  }

  /** Takes `amount` back from a ledger's claimable balance (burned); what is missing becomes the
   * device's debt, recovered from its future rewards. Mutates st and ds; the caller saves them. */
  clawback(ctx: Context, st: ModuleState, ds: DeviceState, deviceId: bigint, owner: string, amount: bigint): { taken: bigint; debt: bigint } {
    if (amount <= 0n) return { taken: 0n, debt: 0n };
    const l = this.ledger(ctx, deviceId, owner);
    const before = claimableOf(l);
    const taken = min(amount, before);
    if (taken > 0n) {
      l.clawedBack += taken;
      this.setLedger(ctx, l, before);
      this.bank.burnCoins(ctx, MODULE_NAME, [{ denom: DENOM, amount: taken }]);
      st.totalClawedBack += taken;
      const s = this.openSummary(ctx, st);
      s.clawedBack += taken;
      this.setSummary(ctx, s);
    }
    const debt = amount - taken;
    ds.debt += debt;
    st.totalDebt += debt;
    return { taken, debt };
  }

  // ------------------------------------------------------------------ oracles and price

  oracle(ctx: Context, address: string): Oracle | undefined {
    return this.get(ctx, keys.oracle(address), R.Oracle);
  }

  oracles(ctx: Context): Map<string, Oracle> {
    const m = new Map<string, Oracle>();
    for (const [, v] of this.scan(ctx, Uint8Array.of(K.oracle))) {
      const o = R.Oracle.decode(v);
      m.set(o.address, o);
    }
    return m;
  }

  posts(ctx: Context): PricePost[] {
    return this.scan(ctx, Uint8Array.of(K.post)).map(([, v]) => R.PricePost.decode(v));
  }

  /** The price the chain would use in this block. */
  price(ctx: Context): PriceAggregate {
    return aggregatePrice(this.posts(ctx), this.oracles(ctx), this.now(ctx), this.params(ctx));
  }

  /** The price, or the error a mint must fail with. */
  requirePrice(ctx: Context): PriceAggregate {
    const a = this.price(ctx);
    if (a.ok) return a;
    const detail = `fresh ${a.fresh}, used ${a.used}, bond ${a.freshBond}/${a.activeBond}${a.outliers.length ? `, outliers ${a.outliers.join(' ')}` : ''}${a.stale.length ? `, stale ${a.stale.join(' ')}` : ''}`;
    if (a.error === 'no_posts') throw ErrNoPrice.wrap('no active oracle has posted a price');
    if (a.error === 'stale') throw ErrPriceStale.wrap(`every post is older than ${this.params(ctx).priceMaxAgeSeconds}s (${detail})`);
    throw ErrNoQuorum.wrap(`${a.error}: ${detail}`);
  }

  registerOracle(ctx: Context, address: string, bond: bigint): Oracle {
    const p = this.params(ctx);
    let o = this.oracle(ctx, address);
    if (o && o.status !== ORACLE_ACTIVE) throw ErrOracleNotActive.wrap(`oracle ${address} is unbonding until height ${o.unbondHeight}`);
    if (bond <= 0n) throw ErrInvalidField.wrap('bond must be positive');
    if (!o) {
      if (bond < p.oracleMinBond) throw ErrBondTooSmall.wrap(`bond ${bond}${DENOM} is below the minimum ${p.oracleMinBond}${DENOM}`);
      if (this.oracles(ctx).size >= p.maxOracles) throw ErrTooManyOracles.wrap(`${p.maxOracles} oracles registered`);
      o = { ...empty(R.Oracle), address, status: ORACLE_ACTIVE, registeredHeight: ctx.block.height };
    }
    this.accounts.getOrCreateModuleAccount(ctx, ORACLE_BONDS, ['burner']);
    this.bank.sendCoinsFromAccountToModule(ctx, address, ORACLE_BONDS, [{ denom: DENOM, amount: bond }]);
    o.bond += bond;
    this.put(ctx, keys.oracle(address), R.Oracle, o);
    const st = this.state(ctx);
    st.oracleBonds += bond;
    this.setState(ctx, st);
    ctx.events.emit(event('oracle_registered', { oracle: address, added: bond.toString(), bond: o.bond.toString() }));
    return o;
  }

  unbondOracle(ctx: Context, address: string): bigint {
    const o = this.oracle(ctx, address);
    if (!o) throw ErrOracleNotFound.wrap(address);
    if (o.status !== ORACLE_ACTIVE) throw ErrOracleNotActive.wrap(`oracle ${address} is already unbonding`);
    this.startUnbonding(ctx, o, 'requested');
    return o.unbondHeight;
  }

  private startUnbonding(ctx: Context, o: Oracle, reason: string): void {
    o.status = ORACLE_UNBONDING;
    o.unbondHeight = ctx.block.height + this.params(ctx).oracleUnbondingBlocks;
    this.put(ctx, keys.oracle(o.address), R.Oracle, o);
    this.store(ctx).set(keys.unbonding(o.unbondHeight, o.address), ONE);
    this.store(ctx).delete(keys.post(o.address));
    ctx.events.emit(event('oracle_unbonding', { oracle: o.address, release_height: o.unbondHeight.toString(), reason }));
  }

  postPrice(ctx: Context, address: string, price: bigint, observedAt: bigint): void {
    const p = this.params(ctx);
    const o = this.oracle(ctx, address);
    if (!o) throw ErrOracleNotFound.wrap(address);
    if (o.status !== ORACLE_ACTIVE) throw ErrOracleNotActive.wrap(`oracle ${address} is unbonding`);
    if (price <= 0n || price > MAX_PRICE) throw ErrInvalidPrice.wrap(`price must be within 1..${MAX_PRICE} micro-USD per DPIN, got ${price}`);
    const now = this.now(ctx);
    if (now - observedAt > p.priceMaxAgeSeconds) throw ErrStalePost.wrap(`observed at ${observedAt}, block time ${now}: older than ${p.priceMaxAgeSeconds}s`);
    if (observedAt - now > p.priceMaxFutureSeconds) throw ErrStalePost.wrap(`observed at ${observedAt}, block time ${now}: more than ${p.priceMaxFutureSeconds}s in the future`);
    const h = ctx.block.height;
    if (o.lastPostHeight !== 0n && h < o.lastPostHeight + p.oraclePostIntervalBlocks) {
      throw ErrPostTooFrequent.wrap(`last post at height ${o.lastPostHeight}; next allowed at ${o.lastPostHeight + p.oraclePostIntervalBlocks}`);
    }
    const prev = this.get(ctx, keys.post(address), R.PricePost);
    if (prev && observedAt <= prev.observedAt) throw ErrStalePost.wrap(`observed at ${observedAt} is not newer than the previous post (${prev.observedAt})`);
    this.put(ctx, keys.post(address), R.PricePost, { oracle: address, price, observedAt, height: h });
    o.posts += 1n;
    o.lastPostHeight = h;
    this.put(ctx, keys.oracle(address), R.Oracle, o);
    const j: PendingJudgment = { judgeHeight: h + p.oracleJudgeDelayBlocks, oracle: address, price, postHeight: h };
    this.put(ctx, keys.judgment(j.judgeHeight, address), R.PendingJudgment, j);
    ctx.events.emit(event('price_posted', { oracle: address, price: price.toString(), observed_at: observedAt.toString() }));
  }

  /**
   * Slashes `bps` of an oracle's bond (burned). For other modules (e.g. evidence of misreporting)
   * and for the automatic deviation rule. An oracle left below the minimum bond starts unbonding.
   */
  slashOracle(ctx: Context, address: string, bps: number, reason: string): bigint {
    const o = this.oracle(ctx, address);
    if (!o || bps <= 0) return 0n;
    const amount = (o.bond * BigInt(Math.min(bps, 10_000))) / BPS;
    if (amount > 0n) this.bank.burnCoins(ctx, ORACLE_BONDS, [{ denom: DENOM, amount }]);
    o.bond -= amount;
    o.slashed += amount;
    this.put(ctx, keys.oracle(address), R.Oracle, o);
    const st = this.state(ctx);
    st.oracleBonds -= amount;
    st.totalSlashed += amount;
    this.setState(ctx, st);
    ctx.events.emit(event('oracle_slashed', { oracle: address, amount: amount.toString(), bond: o.bond.toString(), reason }));
    if (o.status === ORACLE_ACTIVE && o.bond < this.params(ctx).oracleMinBond) this.startUnbonding(ctx, o, 'bond_below_minimum');
    return amount;
  }

  /**
   * End block: judges the posts made oracle_judge_delay_blocks ago against the fresh posts other
   * oracles made since (so an honest oracle that reports a real move first is confirmed by the
   * others, not punished by older prices). Beyond the outlier bound the post earns nothing; beyond
   * the slash bound the bond is slashed. A post nobody else confirmed or contradicted counts.
   */
  judgePosts(ctx: Context, epoch: bigint): void {
    const h = ctx.block.height;
    const due = this.scan(ctx, Uint8Array.of(K.judgment), Infinity, keys.judgmentsUpTo(h));
    if (due.length === 0) return;
    const p = this.params(ctx);
    const oracles = this.oracles(ctx);
    const posts = this.posts(ctx);
    const now = ctx.block.time.seconds;
    for (const [k, v] of due) {
      this.store(ctx).delete(k);
      const j = R.PendingJudgment.decode(v);
      const o = oracles.get(j.oracle);
      if (!o) continue;
      const others = posts
        .filter((x) => x.oracle !== j.oracle && x.height >= j.postHeight && now - x.observedAt <= p.priceMaxAgeSeconds)
        .map((x) => ({ oracle: x.oracle, price: x.price, weight: oracles.get(x.oracle)?.status === ORACLE_ACTIVE ? oracles.get(x.oracle)!.bond : 0n }))
        .filter((x) => x.weight > 0n);
      let counts = true;
      if (others.length > 0 && others.length >= p.priceMinOracles - 1) {
        const ref = weightedMedian(others);
        if (deviates(j.price, ref, p.priceOutlierBps)) {
          counts = false;
          o.outliers += 1n;
          this.put(ctx, keys.oracle(o.address), R.Oracle, o);
          ctx.events.emit(event('price_outlier', { oracle: o.address, price: j.price.toString(), reference: ref.toString(), post_height: j.postHeight.toString() }));
          if (deviates(j.price, ref, p.oracleSlashDeviationBps)) {
            this.slashOracle(ctx, o.address, p.oracleSlashBps, `deviation: posted ${j.price}, others ${ref}`);
            const after = this.oracle(ctx, o.address);
            if (after) oracles.set(o.address, after);
          }
        }
      }
      if (counts) {
        const key = keys.oraclePosts(epoch, j.oracle);
        const raw = this.store(ctx).get(key);
        this.store(ctx).set(key, u64be((raw ? readU64(raw) : 0n) + 1n));
      }
    }
  }

  /** End block: bonds whose unbonding period ended go back to their oracle. */
  releaseUnbonded(ctx: Context): void {
    const due = this.scan(ctx, Uint8Array.of(K.unbonding), Infinity, keys.unbondingUpTo(ctx.block.height));
    for (const [k] of due) {
      this.store(ctx).delete(k);
      const address = toBech32(ACCOUNT_PREFIX, k.subarray(9));
      const o = this.oracle(ctx, address);
      if (!o || o.status !== ORACLE_UNBONDING) continue;
      if (o.bond > 0n) this.bank.sendCoinsFromModuleToAccount(ctx, ORACLE_BONDS, address, [{ denom: DENOM, amount: o.bond }]);
      const st = this.state(ctx);
      st.oracleBonds -= o.bond;
      this.setState(ctx, st);
      this.store(ctx).delete(keys.oracle(address));
      this.store(ctx).delete(keys.post(address));
      ctx.events.emit(event('oracle_released', { oracle: address, amount: o.bond.toString() }));
    }
  }

  // ------------------------------------------------------------------ data credits

  mintCredits(ctx: Context, buyer: string, amount: bigint, maxPrice: bigint, minPrice: bigint): { credits: bigint; price: bigint } {
    if (amount <= 0n) throw ErrInvalidField.wrap('amount must be positive');
    const a = this.requirePrice(ctx);
    const price = a.low;
    if (maxPrice > 0n && price > maxPrice) throw ErrPriceGuard.wrap(`price ${price} is above max_price ${maxPrice}`);
    if (minPrice > 0n && price < minPrice) throw ErrPriceGuard.wrap(`price ${price} is below min_price ${minPrice}`);
    const credits = (amount * price) / 1_000_000n;
    if (credits === 0n) throw ErrZeroCredits.wrap(`${amount}${DENOM} at ${price} micro-USD/DPIN buys less than 1${CREDIT_DENOM}`);
    this.bank.sendCoinsFromAccountToModule(ctx, buyer, MODULE_NAME, [{ denom: DENOM, amount }]);
    this.bank.burnCoins(ctx, MODULE_NAME, [{ denom: DENOM, amount }]);
    const acct = this.credits(ctx, buyer);
    acct.balance += credits;
    acct.basis += amount;
    this.put(ctx, keys.credits(buyer), R.CreditAccount, acct);
    const st = this.state(ctx);
    st.creditsSupply += credits;
    st.creditsMinted += credits;
    st.creditsBurnedUdpin += amount;
    this.setState(ctx, st);
    const s = this.openSummary(ctx, st);
    s.creditsBurnedUdpin += amount;
    s.creditsMinted += credits;
    this.setSummary(ctx, s);
    ctx.events.emit(event('credits_minted', { buyer, burned: `${amount}${DENOM}`, credits: `${credits}${CREDIT_DENOM}`, price: price.toString(), median: a.median.toString() }));
    return { credits, price };
  }

  spendCredits(ctx: Context, buyer: string, target: { deviceId: bigint } | { sector: number }, amount: bigint, eventId: Uint8Array): { epoch: bigint; basis: bigint } {
    const p = this.params(ctx);
    if (amount < p.minSpendCredits) throw ErrBelowMinimum.wrap(`${amount}${CREDIT_DENOM} is below the minimum ${p.minSpendCredits}${CREDIT_DENOM} per message`);
    const ek = keys.event(buyer, eventId);
    const seen = this.store(ctx).get(ek);
    if (seen) throw ErrDuplicateEvent.wrap(`event ${Buffer.from(eventId).toString('hex')} was spent in epoch ${readU64(seen)}`);
    const acct = this.credits(ctx, buyer);
    if (acct.balance < amount) throw ErrInsufficientCredits.wrap(`balance ${acct.balance}${CREDIT_DENOM} is smaller than ${amount}${CREDIT_DENOM}`);
    const st = this.state(ctx);
    const epoch = st.currentEpoch;
    const s = this.openSummary(ctx, st);
    // Average cost: these credits stand for this share of the udpin the buyer burned.
    const cost = amount === acct.balance ? acct.basis : (acct.basis * amount) / acct.balance;
    const attrs: Record<string, string> = { buyer, amount: `${amount}${CREDIT_DENOM}`, event_id: Buffer.from(eventId).toString('hex'), basis: `${cost}${DENOM}`, epoch: epoch.toString() };
    if ('deviceId' in target) {
      const d = this.devices.getDevice(ctx, target.deviceId);
      if (!d) throw ErrDeviceNotFound.wrap(`device ${target.deviceId}`);
      const act = this.devices.activity(ctx, target.deviceId);
      if (!act.active) throw ErrDeviceInactive.wrap(`device ${target.deviceId}: ${act.reason}`);
      const { rec } = this.recordFor(ctx, p, epoch, d);
      const first = rec.demandCredits === 0n;
      rec.demandCredits += amount;
      rec.demandBasis += cost;
      this.saveRecord(ctx, rec);
      if (first) this.store(ctx).set(keys.demand(epoch, d.id, d.owner), ONE);
      attrs.device_id = d.id.toString();
      attrs.owner = d.owner;
    } else {
      const sp = s.sectors.find((x) => x.sector === target.sector);
      if (!sp) throw ErrInvalidField.wrap(`unknown sector ${target.sector}`);
      sp.sectorDemandCredits += amount;
      sp.sectorDemandBasis += cost;
      attrs.sector = String(target.sector);
    }
    acct.balance -= amount;
    acct.basis -= cost;
    if (acct.balance === 0n && acct.basis === 0n) this.store(ctx).delete(keys.credits(buyer));
    else this.put(ctx, keys.credits(buyer), R.CreditAccount, acct);
    st.creditsSupply -= amount;
    st.creditsSpent += amount;
    this.setState(ctx, st);
    s.creditsSpent += amount;
    this.setSummary(ctx, s);
    this.store(ctx).set(ek, u64be(epoch));
    this.store(ctx).set(keys.eventExpiry(epoch, buyer, eventId), ONE);
    ctx.events.emit(event('credits_spent', attrs));
    return { epoch, basis: cost };
  }

  // ------------------------------------------------------------------ claims

  /** Pays the owner what its devices earned and it has not claimed; `more` when the "all" form
   * left devices for another message. */
  claim(ctx: Context, owner: string, deviceIds: readonly bigint[], limit = 1000): { amount: bigint; claims: { deviceId: bigint; amount: bigint }[]; more: boolean } {
    let ids = [...deviceIds];
    let more = false;
    if (ids.length === 0) {
      const rows = this.scan(ctx, keys.pendingPrefix(owner), limit + 1);
      more = rows.length > limit;
      ids = rows.slice(0, limit).map(([k]) => readU64(k, k.length - 8));
    }
    let total = 0n;
    const claims: { deviceId: bigint; amount: bigint }[] = [];
    for (const id of ids) {
      const l = this.get(ctx, keys.ledger(id, owner), R.Ledger);
      const c = l ? claimableOf(l) : 0n;
      if (l && c > 0n) {
        l.claimed += c;
        this.setLedger(ctx, l, c);
        total += c;
      }
      claims.push({ deviceId: id, amount: c });
    }
    if (total > 0n) {
      this.bank.sendCoinsFromModuleToAccount(ctx, MODULE_NAME, owner, [{ denom: DENOM, amount: total }]);
      const st = this.state(ctx);
      st.totalClaimed += total;
      this.setState(ctx, st);
    }
    ctx.events.emit(event('rewards_claimed', { owner, amount: `${total}${DENOM}`, devices: claims.filter((c) => c.amount > 0n).map((c) => c.deviceId.toString()).join(',') }));
    return { amount: total, claims, more };
  }

}

export const claimableOf = (l: Ledger): bigint => l.earned - l.claimed - l.clawedBack;



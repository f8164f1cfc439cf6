// Epoch close and distribution. At the last block of an epoch: compute E_t, mint it once, pay the
// fixed shares (validators, treasury, oracles, verifiers) and size the sector pools. The per-device
// part is then processed in bounded chunks (params.distribution_batch work items per end block,
// deterministic key-order cursor) through three phases:
//   DEMAND  per-device demand targets (the demand index is consumed as it goes)
//   CELLS   density scale and weight of every (sector, density cell)
//   PAY     each device record: demand share, proof share, withholding, ledger credit
// and finishes by burning the unallocated remainder, so that paid + unallocated = minted exactly.
import type { Context } from '../../chain/context.ts';
import { event } from '../../chain/events.ts';
import { toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';
import { K, keys } from './keys.ts';
import { concat, readU64, storeKey } from '../../chain/codec/bytes.ts';
import {
  breaker, cellWeight, creditValue, decayStep, demandShare, demandTarget, densityPpm, deviceProofReward, min, periodOf, portion,
  proRata, ratioPpm, reemission, smoothedBurn, splitEmission,
} from './math.ts';
import { RewardsKeeper, MODULE_NAME, TREASURY, DENOM, newSummary, claimableOf, historyBound } from './keeper.ts';
import {
  R, EPOCH_DISTRIBUTING, EPOCH_DONE, PHASE_CELLS, PHASE_DEMAND, PHASE_DONE, PHASE_PAY,
  type DeviceEpoch, type DeviceState, type EpochSummary, type ModuleState, type Params, type SectorPool, type CellAggregate,
} from './types.ts';

const WITHHOLD_ALL = new Set(['banned', 'manufacturer_revoked', 'manufacturer_banned']);

/** End block of the rewards module. */
export function rewardsEndBlock(k: RewardsKeeper, ctx: Context): void {
  const p = k.params(ctx);
  let st = k.state(ctx);
  k.judgePosts(ctx, st.currentEpoch);
  k.releaseUnbonded(ctx);
  st = k.state(ctx);
  const seg = st.segments[st.segments.length - 1]!;
  if (ctx.block.height >= st.epochStartHeight + seg.blocks - 1n) {
    closeEpoch(k, ctx, p, st);
    st = k.state(ctx);
  }
  let budget = p.distributionBatch;
  while (budget > 0 && st.nextDistribution !== 0n) {
    const used = distributeStep(k, ctx, p, st, budget);
    budget -= used;
    st = k.state(ctx);
    if (used === 0) break;
  }
  if (budget > 0) prune(k, ctx, p, st, budget);
}

// ------------------------------------------------------------------ close

export function closeEpoch(k: RewardsKeeper, ctx: Context, p: Params, st: ModuleState): void {
  const e = st.currentEpoch;
  const h = ctx.block.height;
  const s = k.openSummary(ctx, st);
  s.endHeight = h;

  // schedule(t), kept as a cache: one decay step per period boundary
  const period = periodOf(p, e - st.scheduleAnchorEpoch);
  while (st.schedulePeriod < period) {
    st.scheduleValue = decayStep(st.scheduleValue, p);
    st.schedulePeriod += 1n;
  }
  const scheduled = st.scheduleValue;
  // re-emission of burned tokens: moving average of the last N epochs' credit burns, capped
  const burns: bigint[] = [s.creditsBurnedUdpin];
  for (let i = 1n; i < BigInt(p.burnSmoothingEpochs) && e - i >= 1n; i++) burns.push(k.summary(ctx, e - i)?.creditsBurnedUdpin ?? 0n);
  const smoothed = smoothedBurn(burns, p.burnSmoothingEpochs);
  const re = reemission(smoothed, p.reemissionCap);
  // circuit breaker
  const br = breaker(st.breakerValue, st.breakerEpoch, e, p.breakerWindowEpochs, p.breakerThreshold, scheduled + re);
  st.breakerValue = br.value;
  st.breakerEpoch = e;
  const E = br.allowed;
  Object.assign(s, { scheduled, smoothedBurn: smoothed, reemission: re, reemissionCap: p.reemissionCap, breakerClipped: scheduled + re - E, minted: E });
  if (E > 0n) k.bank.mintCoins(ctx, MODULE_NAME, [{ denom: DENOM, amount: E }]);
  st.totalMinted += E;

  // fixed shares
  const split = splitEmission(E, p);
  const send = (module: string, amount: bigint) => {
    if (amount <= 0n) return 0n;
    k.bank.sendCoinsFromModuleToModule(ctx, MODULE_NAME, module, [{ denom: DENOM, amount }]);
    return amount;
  };
  s.validators = send(k.validatorsAccount, split.validators);
  s.treasury = send(TREASURY, split.treasury);
  const ow = oracleWeights(k, ctx, e);
  s.oracles = payWeighted(k, ctx, split.oracles, ow);
  s.oraclePosts = ow.reduce((a, w) => a + w.weight, 0n);
  for (const [key] of k.scan(ctx, keys.oraclePostsPrefix(e))) k.store(ctx).delete(key);
  s.verifiers = k.verifierSource ? payWeighted(k, ctx, split.verifiers, k.verifierSource.verifierWeights(ctx, e)) : 0n;
  s.shareDust = split.dust;
  for (const sp of s.sectors) sp.pool = split.sectors.get(sp.sector) ?? 0n;
  s.paid = s.validators + s.treasury + s.oracles + s.verifiers;
  s.distributedSoFar = s.paid;

  // the price that values this epoch's credits (conservative high); the last good one if none now
  const a = k.price(ctx);
  if (a.ok) st.lastPrice = a.high;
  s.settlePrice = a.ok ? a.high : st.lastPrice;

  s.status = EPOCH_DISTRIBUTING;
  s.phase = PHASE_DEMAND;
  s.cursor = new Uint8Array();
  k.setSummary(ctx, s);
  if (st.nextDistribution === 0n) st.nextDistribution = e;

  // open the next epoch (a changed epoch length starts a new segment)
  st.currentEpoch = e + 1n;
  st.epochStartHeight = h + 1n;
  const last = st.segments[st.segments.length - 1]!;
  if (last.blocks !== p.epochBlocks) st.segments.push({ firstEpoch: e + 1n, startHeight: h + 1n, blocks: p.epochBlocks });
  k.setSummary(ctx, newSummary(e + 1n, h + 1n));
  k.setState(ctx, st);
  ctx.events.emit(event('rewards_epoch_closed', {
    epoch: e.toString(), scheduled: scheduled.toString(), reemission: re.toString(), breaker_clipped: s.breakerClipped.toString(), minted: E.toString(),
    credits_burned: s.creditsBurnedUdpin.toString(),
  }));
}

function oracleWeights(k: RewardsKeeper, ctx: Context, e: bigint): { address: string; weight: bigint }[] {
  const prefix = keys.oraclePostsPrefix(e);
  return k.scan(ctx, prefix).map(([key, v]) => ({ address: toAddress(key.subarray(prefix.length)), weight: readU64(v) }));
}

const toAddress = (bytes: Uint8Array): string => toBech32(ACCOUNT_PREFIX, bytes);

/** Pays `total` pro-rata to weights (floor); returns what was paid (the rest stays unallocated). */
function payWeighted(k: RewardsKeeper, ctx: Context, total: bigint, ws: { address: string; weight: bigint }[]): bigint {
  const valid = ws.filter((w) => w.weight > 0n).sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const parts = proRata(total, valid.map((w) => w.weight));
  let paid = 0n;
  valid.forEach((w, i) => {
    const amt = parts[i]!;
    if (amt <= 0n) return;
    k.bank.sendCoinsFromModuleToAccount(ctx, MODULE_NAME, w.address, [{ denom: DENOM, amount: amt }]);
    paid += amt;
  });
  return paid;
}

// ------------------------------------------------------------------ chunked distribution

const sectorOf = (s: EpochSummary, sector: number): SectorPool => {
  const sp = s.sectors.find((x) => x.sector === sector);
  if (!sp) throw new Error(`rewards: epoch ${s.epoch} has no sector ${sector}`);
  return sp;
};

/** Runs the oldest pending distribution for at most `budget` work items; returns items used. */
export function distributeStep(k: RewardsKeeper, ctx: Context, p: Params, st: ModuleState, budget: number): number {
  const e = st.nextDistribution;
  const s = k.summary(ctx, e)!;
  let used = 0;
  if (s.phase === PHASE_DEMAND) {
    const prefix = keys.demandPrefix(e);
    const rows = k.scan(ctx, prefix, budget);
    for (const [key] of rows) {
      const rec = k.get(ctx, concat(Uint8Array.of(K.deviceEpoch), key.subarray(1)), R.DeviceEpoch);
      k.store(ctx).delete(key);
      used++;
      if (!rec) continue;
      rec.demandValue = creditValue(rec.demandCredits, s.settlePrice, rec.demandBasis);
      rec.demandTarget = demandTarget(rec.demandValue, rec.demandBasis, p.demandFloorBps, p.demandCapBps);
      k.saveRecord(ctx, rec);
      const sp = sectorOf(s, rec.sector);
      sp.demandTarget += rec.demandTarget;
      sp.demandCredits += rec.demandCredits;
      sp.demandBasis += rec.demandBasis;
    }
    if (rows.length < budget) {
      // all device demand seen: add the sector-wide demand and size the buckets
      for (const sp of s.sectors) {
        const v = creditValue(sp.sectorDemandCredits, s.settlePrice, sp.sectorDemandBasis);
        sp.sectorDemandTarget = demandTarget(v, sp.sectorDemandBasis, p.demandFloorBps, p.demandCapBps);
        sp.demandTarget += sp.sectorDemandTarget;
        sp.demandAllotted = min(sp.demandTarget, sp.pool);
        sp.proofBucket = sp.pool - sp.demandAllotted;
      }
      s.phase = PHASE_CELLS;
      s.cursor = new Uint8Array();
    }
  } else if (s.phase === PHASE_CELLS) {
    const prefix = keys.cellPrefix(e);
    const rows = k.scan(ctx, s.cursor.length ? next(s.cursor) : prefix, budget, prefixEndOf(prefix));
    for (const [key, v] of rows) {
      const c = R.CellAggregate.decode(v);
      c.densityPpm = densityPpm(c.cell, c.devices, p.densityTarget);
      c.weight = cellWeight(c.weightedUnits, c.densityPpm);
      k.put(ctx, key, R.CellAggregate, c);
      const sp = sectorOf(s, c.sector);
      sp.weightTotal += c.weight;
      sp.cells += 1n;
      s.cursor = key;
      used++;
    }
    if (rows.length < budget) {
      s.phase = PHASE_PAY;
      s.cursor = new Uint8Array();
    }
  } else if (s.phase === PHASE_PAY) {
    const prefix = keys.deviceEpochPrefix(e);
    const rows = k.scan(ctx, s.cursor.length ? next(s.cursor) : prefix, budget, prefixEndOf(prefix));
    const cells = new Map<string, CellAggregate>();
    for (const [key, v] of rows) {
      payRecord(k, ctx, s, st, R.DeviceEpoch.decode(v), cells);
      s.cursor = key;
      used++;
    }
    if (rows.length < budget) s.phase = PHASE_DONE;
  }
  if (s.phase === PHASE_DONE) finish(k, ctx, s, st);
  k.setSummary(ctx, s);
  k.setState(ctx, st);
  return Math.max(used, 1);
}

function next(key: Uint8Array): Uint8Array {
  return concat(key, Uint8Array.of(0));
}

function prefixEndOf(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  throw new Error('unbounded prefix');
}

function payRecord(k: RewardsKeeper, ctx: Context, s: EpochSummary, st: ModuleState, rec: DeviceEpoch, cells: Map<string, CellAggregate>): void {
  const sp = sectorOf(s, rec.sector);
  const e = s.epoch;
  rec.demandReward = rec.demandTarget > 0n ? demandShare(rec.demandTarget, sp.demandTarget, sp.pool) : 0n;
  rec.proofReward = 0n;
  rec.sectorDemandReward = 0n;
  if (rec.weightedUnits > 0n) {
    const ck = `${rec.sector}:${rec.densityCell}`;
    let c = cells.get(ck);
    if (!c) {
      c = k.cellAggregate(ctx, e, rec.sector, rec.densityCell);
      cells.set(ck, c);
    }
    rec.densityPpm = c.densityPpm;
    rec.cellDevices = c.devices;
    rec.proofReward = deviceProofReward(sp.proofBucket, c.weight, sp.weightTotal, rec.weightedUnits, c.weightedUnits);
    const sectorDemand = demandShare(sp.sectorDemandTarget, sp.demandTarget, sp.pool);
    rec.sectorDemandReward = deviceProofReward(sectorDemand, c.weight, sp.weightTotal, rec.weightedUnits, c.weightedUnits);
  }
  const gross = rec.demandReward + rec.sectorDemandReward + rec.proofReward;
  let withheld = 0n;
  const reasons: string[] = [];
  let ds: DeviceState | undefined;
  if (gross > 0n) {
    const act = k.devices.activity(ctx, rec.deviceId);
    ds = k.get(ctx, keys.deviceState(rec.deviceId), R.DeviceState);
    if (WITHHOLD_ALL.has(act.reason)) {
      withheld = gross;
      reasons.push(act.reason);
    } else if (ds && ds.withholdUntilEpoch !== 0n && e <= ds.withholdUntilEpoch) {
      withheld = gross;
      reasons.push('fraud_withhold');
    } else if (rec.reversedWeighted > 0n) {
      withheld = portion(rec.proofReward + rec.sectorDemandReward, rec.reversedWeighted, rec.weightedUnits);
      if (withheld > 0n) reasons.push('reversed');
    }
    if (ds && ds.debt > 0n && gross > withheld) {
      const c = min(ds.debt, gross - withheld);
      ds.debt -= c;
      st.totalDebt -= c;
      withheld += c;
      rec.debtCollected = c;
      reasons.push('debt');
      k.setDeviceState(ctx, ds);
    }
  }
  rec.withheld = withheld;
  rec.withheldReason = reasons.join(',');
  rec.earned = gross - withheld;
  rec.paid = true;
  if (rec.earned > 0n) {
    const l = k.ledger(ctx, rec.deviceId, rec.owner);
    const before = claimableOf(l);
    l.earned += rec.earned;
    l.lastCreditedEpoch = e;
    k.setLedger(ctx, l, before);
    st.totalEarned += rec.earned;
  }
  k.saveRecord(ctx, rec);
  if (ctx.events.enabled) {
    // One per device record (device, owner) of the epoch, paid or not: the index's earnings view.
    // Indexed: device, epoch, owner; the breakdown rides along (ABCI DeviceEpoch has all of it).
    const idx = (key: string, value: string) => ({ key, value, index: true });
    const plain = (key: string, value: string) => ({ key, value, index: false });
    ctx.events.emit({
      type: 'rewards_device_paid',
      attributes: [
        idx('device_id', rec.deviceId.toString()), idx('epoch', e.toString()), idx('owner', rec.owner), plain('amount', rec.earned.toString()),
        plain('demand', (rec.demandReward + rec.sectorDemandReward).toString()), plain('proof', rec.proofReward.toString()), plain('withheld', withheld.toString()),
        plain('units', rec.units.toString()), plain('weighted_units', rec.weightedUnits.toString()),
      ],
    });
  }
  sp.demandPaid += rec.demandReward + rec.sectorDemandReward;
  sp.proofPaid += rec.proofReward;
  sp.withheld += withheld;
  if (gross > 0n) sp.devices += 1n;
  s.withheld += withheld;
  s.paid += rec.earned;
  s.distributedSoFar += rec.earned;
  s.proofsValid += rec.proofsValid;
  s.proofsInvalid += rec.proofsInvalid;
}

function finish(k: RewardsKeeper, ctx: Context, s: EpochSummary, st: ModuleState): void {
  const unallocated = s.minted - s.paid;
  if (unallocated < 0n) throw new Error(`rewards: epoch ${s.epoch} paid ${s.paid} more than it minted ${s.minted}`);
  if (unallocated > 0n) k.bank.burnCoins(ctx, MODULE_NAME, [{ denom: DENOM, amount: unallocated }]);
  s.unallocated = unallocated;
  s.distributedSoFar = s.minted;
  let demandPaid = 0n;
  for (const sp of s.sectors) {
    sp.unallocated = sp.pool - (sp.demandPaid + sp.proofPaid - sp.withheld);
    demandPaid += sp.demandPaid;
  }
  // subsidy = what the epoch mints beyond what paying demand backs; revenue = udpin burned for credits
  const subsidy = s.minted > demandPaid ? s.minted - demandPaid : 0n;
  s.subsidyToRevenuePpm = ratioPpm(subsidy, s.creditsBurnedUdpin);
  s.revenueZero = s.creditsBurnedUdpin === 0n;
  s.status = EPOCH_DONE;
  s.finishedHeight = ctx.block.height;
  s.cursor = new Uint8Array();
  st.totalPaid += s.paid;
  st.totalUnallocated += unallocated;
  st.nextDistribution = s.epoch + 1n < st.currentEpoch ? s.epoch + 1n : 0n;
  ctx.events.emit(event('rewards_epoch_distributed', {
    epoch: s.epoch.toString(), minted: s.minted.toString(), paid: s.paid.toString(), unallocated: unallocated.toString(), withheld: s.withheld.toString(),
    demand_paid: demandPaid.toString(), subsidy_to_revenue_ppm: s.subsidyToRevenuePpm.toString(), revenue_zero: String(s.revenueZero),
  }));
}

// ------------------------------------------------------------------ pruning

/** Deletes per-device history older than history_epochs (never of an epoch still being paid) and
 * spent event ids older than event_retention_epochs, within the block's remaining budget. */
export function prune(k: RewardsKeeper, ctx: Context, p: Params, st: ModuleState, budget: number): void {
  const store = k.store(ctx);
  const bound = historyBound(st, p.historyEpochs);
  for (const table of [K.deviceEpoch, K.cell]) {
    if (bound > 0n) {
      if (budget <= 0) return;
      const rows = k.scan(ctx, Uint8Array.of(table), budget, storeKey(table, bound));
      for (const [key] of rows) {
        store.delete(key);
        budget--;
      }
    }
  }
  const eventsBound = st.currentEpoch > BigInt(p.eventRetentionEpochs) ? st.currentEpoch - BigInt(p.eventRetentionEpochs) : 0n;
  if (eventsBound > 0n && budget > 0) {
    const rows = k.scan(ctx, Uint8Array.of(K.eventExpiry), budget, storeKey(K.eventExpiry, eventsBound));
    for (const [key] of rows) {
      store.delete(key);
      // 0x0e | u64 epoch | lp buyer | event id  ->  0x0d | lp buyer | event id
      store.delete(concat(Uint8Array.of(K.event), key.subarray(9)));
      budget--;
    }
  }
}

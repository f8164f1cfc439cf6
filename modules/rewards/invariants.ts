// Invariants of the token economy, checked against any state (committed or a block branch):
//  bank       total supply of every denom = sum of all balances (module accounts included);
//             no balance negative
//  rewards    rewards module balance = sum over ledgers of (earned - claimed - clawed back)
//             + for every epoch still distributing: minted - paid so far
//  ledgers    claimed + clawed back <= earned, every amount >= 0; sums = the module totals;
//             one anchor record per credited ledger, equal to (last credited epoch,
//             earned − clawed back, owner), and no other
//  oracles    oracle_bonds module balance = sum of bonds = state.oracle_bonds
//  credits    sum of credit balances = credits supply = minted - spent; no balance negative
//  emission   per epoch: minted = scheduled + reemission - breaker_clipped
//             <= scheduled + reemission_cap; reemission <= cap; sum minted = total minted
//  payout     per finished epoch: paid + unallocated = minted; paid = fixed shares + sum over
//             sectors (demand + proof - withheld); each sector pays at most its pool;
//             when its device records are still kept: they earned exactly what the sectors paid
// The property tests run it after every block; the simulator reuses it.
import type { Context } from '../../chain/context.ts';
import { Context as Ctx } from '../../chain/context.ts';
import { GasMeter } from '../../chain/gas.ts';
import { EventManager } from '../../chain/events.ts';
import { CacheKV } from '../../chain/store/cache-kv.ts';
import type { KVReader } from '../../chain/store/kv.ts';
import { moduleAddress } from '../auth/keeper.ts';
import { SUPPLY_PREFIX, BALANCES_PREFIX } from '../bank/keeper.ts';
import { MODULE_NAME, ORACLE_BONDS, DENOM, claimableOf, type RewardsKeeper } from './keeper.ts';
import { K } from './keys.ts';
import { anchorRecordOf } from './anchor-record.ts';
import { scheduledEmission } from './math.ts';
import { R, EPOCH_DISTRIBUTING, EPOCH_DONE, type EpochSummary } from './types.ts';
import { u64be as u64 } from '../../chain/codec/bytes.ts';

const dec = new TextDecoder();
const enc = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export interface InvariantOptions {
  /** Also require each epoch's scheduled emission to equal schedule(t) of the current params
   * (true when the schedule params never changed). */
  scheduleUnchanged?: boolean;
}

/** A read context over a store (e.g. the committed Merkle store): writes stay in a throwaway branch. */
export function readContext(store: KVReader, height = 0n, timeSeconds = 0n): Context {
  return new Ctx(new CacheKV(store), { chainId: '', height, time: { seconds: timeSeconds, nanos: 0 } }, new GasMeter(Infinity), new EventManager(false), 'query');
}

/** Every violated invariant, as readable sentences (empty: all hold). */
export function checkInvariants(ctx: Context, rewards: RewardsKeeper, opts: InvariantOptions = {}): string[] {
  const out: string[] = [];
  const fail = (m: string) => out.push(m);
  try {
    bankInvariants(ctx, fail);
    rewardsInvariants(ctx, rewards, fail, opts);
  } catch (err) {
    fail(`state unreadable: ${(err as Error).message}`);
  }
  return out;
}

function bankInvariants(ctx: Context, fail: (m: string) => void): void {
  const bank = enc.encode('bank/');
  const supply = new Map<string, bigint>();
  for (const [k, v] of ctx.store.iterator(Uint8Array.of(...bank, SUPPLY_PREFIX), Uint8Array.of(...bank, SUPPLY_PREFIX + 1))) {
    supply.set(dec.decode(k.subarray(bank.length + 1)), BigInt(dec.decode(v)));
  }
  const sums = new Map<string, bigint>();
  for (const [k, v] of ctx.store.iterator(Uint8Array.of(...bank, BALANCES_PREFIX), Uint8Array.of(...bank, BALANCES_PREFIX + 1))) {
    const rel = k.subarray(bank.length + 1);
    const denom = dec.decode(rel.subarray(1 + rel[0]!));
    const amount = BigInt(dec.decode(v));
    if (amount < 0n) fail(`bank: negative balance ${amount}${denom}`);
    sums.set(denom, (sums.get(denom) ?? 0n) + amount);
  }
  for (const denom of new Set([...supply.keys(), ...sums.keys()])) {
    if ((supply.get(denom) ?? 0n) !== (sums.get(denom) ?? 0n)) fail(`bank: supply ${supply.get(denom) ?? 0n}${denom} != sum of balances ${sums.get(denom) ?? 0n}${denom}`);
  }
}

function rewardsInvariants(ctx: Context, k: RewardsKeeper, fail: (m: string) => void, opts: InvariantOptions): void {
  const st = k.state(ctx);
  const p = k.params(ctx);
  const neg = (what: string, v: bigint) => v < 0n && fail(`rewards: negative ${what}: ${v}`);

  // ledgers
  let earned = 0n;
  let claimed = 0n;
  let clawed = 0n;
  let owed = 0n;
  const records = new Map<string, string>();
  for (const [, v] of k.scan(ctx, Uint8Array.of(K.ledger))) {
    const l = R.Ledger.decode(v);
    const rec = anchorRecordOf(l);
    if (rec) records.set(hex(rec.key), hex(rec.value));
    neg('earned', l.earned);
    neg('claimed', l.claimed);
    neg('clawed back', l.clawedBack);
    if (l.claimed + l.clawedBack > l.earned) fail(`rewards: device ${l.deviceId} / ${l.owner} claimed ${l.claimed} + clawed back ${l.clawedBack} > earned ${l.earned}`);
    earned += l.earned;
    claimed += l.claimed;
    clawed += l.clawedBack;
    owed += claimableOf(l);
  }
  if (earned !== st.totalEarned) fail(`rewards: sum of ledgers earned ${earned} != total_earned ${st.totalEarned}`);
  if (claimed !== st.totalClaimed) fail(`rewards: sum of ledgers claimed ${claimed} != total_claimed ${st.totalClaimed}`);
  if (clawed !== st.totalClawedBack) fail(`rewards: sum of ledgers clawed back ${clawed} != total_clawed_back ${st.totalClawedBack}`);
  // anchor records: exactly one per credited ledger, equal to what the ledger says
  let stored = 0;
  for (const [key, v] of k.scan(ctx, Uint8Array.of(K.anchorRecord))) {
    stored++;
    const want = records.get(hex(key));
    if (want === undefined) fail(`rewards: anchor record ${hex(key)} has no credited ledger`);
    else if (want !== hex(v)) fail(`rewards: anchor record ${hex(key)} is ${hex(v)}, its ledger says ${want}`);
  }
  if (stored !== records.size) fail(`rewards: ${records.size} credited ledgers but ${stored} anchor records`);

  // epochs
  let inFlight = 0n;
  let minted = 0n;
  let unallocated = 0n;
  let paid = 0n;
  for (const [, v] of k.scan(ctx, Uint8Array.of(K.epoch))) {
    const s = R.EpochSummary.decode(v);
    minted += s.minted;
    if (s.status === EPOCH_DISTRIBUTING) {
      inFlight += s.minted - s.paid;
      if (s.paid > s.minted) fail(`rewards: epoch ${s.epoch} paid ${s.paid} > minted ${s.minted} while distributing`);
    }
    const kept = s.epoch + BigInt(p.historyEpochs) >= st.currentEpoch; // records not (being) pruned
    if (s.status === EPOCH_DISTRIBUTING || s.status === EPOCH_DONE) epochInvariants(ctx, k, s, fail, opts.scheduleUnchanged ? scheduledEmission(p, 1n, s.epoch) : undefined, kept);
    if (s.status === EPOCH_DONE) {
      unallocated += s.unallocated;
      paid += s.paid;
    }
  }
  if (minted !== st.totalMinted) fail(`rewards: sum of epochs minted ${minted} != total_minted ${st.totalMinted}`);
  if (unallocated !== st.totalUnallocated) fail(`rewards: sum of epochs unallocated ${unallocated} != total_unallocated ${st.totalUnallocated}`);
  if (paid !== st.totalPaid) fail(`rewards: sum of finished epochs paid ${paid} != total_paid ${st.totalPaid}`);

  const held = k.bank.balance(ctx, moduleAddress(MODULE_NAME), DENOM);
  if (held !== owed + inFlight) fail(`rewards: module account holds ${held}, ledgers owe ${owed} + in flight ${inFlight} = ${owed + inFlight}`);

  // oracles
  let bonds = 0n;
  for (const [, v] of k.scan(ctx, Uint8Array.of(K.oracle))) {
    const o = R.Oracle.decode(v);
    neg(`bond of ${o.address}`, o.bond);
    bonds += o.bond;
  }
  const escrow = k.bank.balance(ctx, moduleAddress(ORACLE_BONDS), DENOM);
  if (bonds !== escrow || bonds !== st.oracleBonds) fail(`rewards: oracle bonds ${bonds}, state ${st.oracleBonds}, ${ORACLE_BONDS} account ${escrow}`);

  // credits
  let credits = 0n;
  let basis = 0n;
  for (const [, v] of k.scan(ctx, Uint8Array.of(K.credits))) {
    const c = R.CreditAccount.decode(v);
    neg(`credits of ${c.address}`, c.balance);
    neg(`credit basis of ${c.address}`, c.basis);
    credits += c.balance;
    basis += c.basis;
  }
  if (credits !== st.creditsSupply) fail(`rewards: sum of credit balances ${credits} != credits supply ${st.creditsSupply}`);
  if (st.creditsSupply !== st.creditsMinted - st.creditsSpent) fail(`rewards: credits supply ${st.creditsSupply} != minted ${st.creditsMinted} - spent ${st.creditsSpent}`);
  if (basis > st.creditsBurnedUdpin) fail(`rewards: credit basis ${basis} exceeds the udpin ever burned for credits ${st.creditsBurnedUdpin}`);
  neg('debt', st.totalDebt);
}

function epochInvariants(ctx: Context, k: RewardsKeeper, s: EpochSummary, fail: (m: string) => void, schedule: bigint | undefined, recordsKept: boolean): void {
  const e = `rewards: epoch ${s.epoch}`;
  if (s.reemission > s.reemissionCap) fail(`${e}: reemission ${s.reemission} > cap ${s.reemissionCap}`);
  if (s.minted !== s.scheduled + s.reemission - s.breakerClipped) fail(`${e}: minted ${s.minted} != scheduled ${s.scheduled} + reemission ${s.reemission} - clipped ${s.breakerClipped}`);
  if (s.minted > s.scheduled + s.reemissionCap) fail(`${e}: minted ${s.minted} > scheduled ${s.scheduled} + cap ${s.reemissionCap}`);
  if (s.breakerClipped < 0n) fail(`${e}: negative breaker clip`);
  if (schedule !== undefined && s.scheduled !== schedule) fail(`${e}: scheduled ${s.scheduled} != schedule(t) ${schedule}`);
  if (s.status !== EPOCH_DONE) return;
  if (s.paid + s.unallocated !== s.minted) fail(`${e}: paid ${s.paid} + unallocated ${s.unallocated} != minted ${s.minted}`);
  let sectorsNet = 0n;
  let pools = 0n;
  for (const sp of s.sectors) {
    const net = sp.demandPaid + sp.proofPaid - sp.withheld;
    if (net < 0n || net > sp.pool) fail(`${e} sector ${sp.sector}: net paid ${net} outside 0..pool ${sp.pool}`);
    if (sp.proofPaid > sp.proofBucket) fail(`${e} sector ${sp.sector}: proof paid ${sp.proofPaid} > bucket ${sp.proofBucket}`);
    if (sp.demandPaid > sp.demandAllotted) fail(`${e} sector ${sp.sector}: demand paid ${sp.demandPaid} > allotted ${sp.demandAllotted}`);
    if (sp.unallocated !== sp.pool - net) fail(`${e} sector ${sp.sector}: unallocated ${sp.unallocated} != pool - paid ${sp.pool - net}`);
    sectorsNet += net;
    pools += sp.pool;
  }
  const fixed = s.validators + s.treasury + s.oracles + s.verifiers;
  if (s.paid !== fixed + sectorsNet) fail(`${e}: paid ${s.paid} != fixed shares ${fixed} + sectors ${sectorsNet}`);
  if (fixed + pools + s.shareDust > s.minted) fail(`${e}: shares ${fixed} + pools ${pools} + dust ${s.shareDust} exceed minted ${s.minted}`);
  // device records, while kept: what they earned is what the sectors paid
  const recs = k.scan(ctx, Uint8Array.of(K.deviceEpoch, ...u64(s.epoch)), Infinity, Uint8Array.of(K.deviceEpoch, ...u64(s.epoch + 1n)));
  if (recordsKept) {
    let sum = 0n;
    for (const [, v] of recs) {
      const r = R.DeviceEpoch.decode(v);
      if (!r.paid) fail(`${e}: device ${r.deviceId} not paid in a finished epoch`);
      if (r.earned !== r.demandReward + r.sectorDemandReward + r.proofReward - r.withheld) fail(`${e}: device ${r.deviceId} earned ${r.earned} != rewards - withheld`);
      sum += r.earned;
    }
    if (sum !== sectorsNet) fail(`${e}: device records earned ${sum} != sectors paid ${sectorsNet}`);
  }
}

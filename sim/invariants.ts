// Invariants the simulator checks against committed state after every block (or every N blocks):
//  economy    the rewards module's checker (modules/rewards/invariants.ts, reused as is): bank
//             supply = sum of balances (module accounts included), no negative balance, rewards
//             module balance = owed + in flight, credits, oracle bonds, and per epoch
//             minted = scheduled + reemission - clipped <= scheduled + reemission cap with
//             scheduled = schedule(t) (emission within schedule)
//  supply     the supply moves exactly by the block's mint (coinbase) and burn events
//  staking    bonded pool = tokens of bonded validators; not-bonded pool = other validators'
//             tokens + unbonding entries; no negative tokens, shares or entries
//  proofs     the proofs module account = provider bonds + verifier bonds + open job escrows and
//             check fees + pending challenge bonds + the fraud fund; none negative
//  devices    the devices module account holds the manufacturers' escrowed bonds
import type { Context } from '../chain/context.ts';
import type { Event } from '../chain/events.ts';
import { prefixEnd } from '../chain/store/kv.ts';
import { moduleAddress } from '../modules/auth/keeper.ts';
import type { DepinKeepers } from '../modules/depin-app.ts';
import { checkInvariants as rewardsInvariants } from '../modules/rewards/invariants.ts';
import { exportStakingGenesis } from '../modules/staking/genesis.ts';
import { BONDED_POOL, NOT_BONDED_POOL } from '../modules/staking/keeper.ts';
import { MODULE_NAME as PROOFS } from '../modules/proofs/keeper.ts';
import { K as PK } from '../modules/proofs/store-keys.ts';
import {
  ProviderBondCodec, VerifierCodec, JobCodec, ChallengeCodec, bondFrom, verifierFrom, jobFrom, challengeFrom, JOB_OPEN, CH,
} from '../modules/proofs/types.ts';
import { MODULE_NAME as DEVICES, K as DK } from '../modules/devices/keeper.ts';
import { ManufacturerCodec, manufacturerFrom } from '../modules/devices/types.ts';
import { parseDec } from '../chain/dec.ts';

const DENOM = 'udpin';

function amountIn(v: string): bigint {
  // "123udpin" or "1udpin,2uother" (formatCoins)
  let n = 0n;
  for (const part of v.split(',')) {
    const m = /^(\d+)udpin$/.exec(part.trim());
    if (m) n += BigInt(m[1]!);
  }
  return n;
}

/** Minted minus burned udpin in a block's events (tx events of successful txs, fee-only events of
 * failed ones, begin/end block events). */
export function supplyDelta(txEvents: readonly (readonly Event[])[], blockEvents: readonly Event[]): bigint {
  let d = 0n;
  const scan = (es: readonly Event[]) => {
    for (const e of es) {
      if (e.type !== 'coinbase' && e.type !== 'burn') continue;
      const a = e.attributes.find((x) => x.key === 'amount')?.value ?? '';
      d += e.type === 'coinbase' ? amountIn(a) : -amountIn(a);
    }
  };
  for (const es of txEvents) scan(es);
  scan(blockEvents);
  return d;
}

export function checkAll(ctx: Context, k: DepinKeepers): string[] {
  const out = rewardsInvariants(ctx, k.rewards, { scheduleUnchanged: true });
  try {
    stakingInvariants(ctx, k, out);
    proofsInvariants(ctx, k, out);
    devicesInvariants(ctx, k, out);
  } catch (err) {
    out.push(`state unreadable: ${(err as Error).message}`);
  }
  return out;
}

function stakingInvariants(ctx: Context, k: DepinKeepers, out: string[]): void {
  const g = exportStakingGenesis(k.staking, ctx);
  let bonded = 0n;
  let notBonded = 0n;
  for (const v of g.validators) {
    const tokens = BigInt(v.tokens);
    if (tokens < 0n || parseDec(v.delegator_shares) < 0n) out.push(`staking: validator ${v.operator_address} has negative tokens or shares`);
    if (v.status === 'BOND_STATUS_BONDED') bonded += tokens;
    else notBonded += tokens;
  }
  for (const u of g.unbonding_delegations) {
    for (const e of u.entries) {
      const b = BigInt(e.balance);
      if (b < 0n || b > BigInt(e.initial_balance)) out.push(`staking: unbonding entry of ${u.delegator_address} outside 0..initial balance`);
      notBonded += b;
    }
  }
  const bp = k.bank.balance(ctx, moduleAddress(BONDED_POOL), DENOM);
  const np = k.bank.balance(ctx, moduleAddress(NOT_BONDED_POOL), DENOM);
  if (bp !== bonded) out.push(`staking: bonded pool holds ${bp}, bonded validators' tokens are ${bonded}`);
  if (np !== notBonded) out.push(`staking: not-bonded pool holds ${np}, other validators and unbonding entries ${notBonded}`);
}

function scanTable(ctx: Context, k: DepinKeepers, table: number): Uint8Array[] {
  const s = k.proofs.store(ctx);
  const start = Uint8Array.of(table);
  const out: Uint8Array[] = [];
  for (const [, v] of s.iterator(start, prefixEnd(start))) out.push(Uint8Array.from(v));
  return out;
}

function proofsInvariants(ctx: Context, k: DepinKeepers, out: string[]): void {
  let held = 0n;
  for (const raw of scanTable(ctx, k, PK.providerBond)) {
    const b = bondFrom(ProviderBondCodec.decode(raw));
    if (b.bonded < 0n || b.unbonding < 0n) out.push(`proofs: device ${b.deviceId} has a negative bond`);
    held += b.bonded + b.unbonding;
  }
  for (const raw of scanTable(ctx, k, PK.verifier)) {
    const v = verifierFrom(VerifierCodec.decode(raw));
    if (v.bonded < 0n || v.unbonding < 0n) out.push(`proofs: verifier ${v.address} has a negative bond`);
    held += v.bonded + v.unbonding;
  }
  for (const raw of scanTable(ctx, k, PK.job)) {
    const j = jobFrom(JobCodec.decode(raw));
    if (j.remaining < 0n || j.checkFee < 0n) out.push(`proofs: job ${j.id} has a negative escrow`);
    if (j.paid + j.remaining + j.checkFee > j.deposit) out.push(`proofs: job ${j.id} paid ${j.paid} + remaining ${j.remaining} + check fee ${j.checkFee} exceed its deposit ${j.deposit}`);
    if (j.status === JOB_OPEN) held += j.remaining + j.checkFee;
    else if (j.remaining !== 0n || j.checkFee !== 0n) out.push(`proofs: closed job ${j.id} still holds escrow`);
  }
  for (const raw of scanTable(ctx, k, PK.challenge)) {
    const c = challengeFrom(ChallengeCodec.decode(raw));
    if (c.status === CH.PENDING) held += c.bond;
  }
  const fund = k.proofs.fraudFund(ctx);
  if (fund < 0n) out.push('proofs: negative fraud fund');
  held += fund;
  const bal = k.bank.balance(ctx, moduleAddress(PROOFS), DENOM);
  if (bal !== held) out.push(`proofs: module account holds ${bal}, bonds + escrows + challenge bonds + fraud fund = ${held}`);
}

function devicesInvariants(ctx: Context, k: DepinKeepers, out: string[]): void {
  const s = k.devices.store(ctx);
  const start = Uint8Array.of(DK.manufacturer);
  let bonded = 0n;
  for (const [, v] of s.iterator(start, prefixEnd(start))) {
    const m = manufacturerFrom(ManufacturerCodec.decode(v));
    bonded += BigInt(m.bonded?.amount ?? '0');
  }
  const bal = k.bank.balance(ctx, moduleAddress(DEVICES), DENOM);
  if (bal !== bonded) out.push(`devices: module account holds ${bal}, manufacturers' bonds are ${bonded}`);
}

// Stake held by the proofs module: provider bonds (storage and compute devices; required to open
// data sets and jobs, slashed for faults, lost disputes and fraud) and verifier bonds (dispute
// committees). Unbonding moves the whole bond to a queue for unbonding_blocks, during which it is
// still slashable, then pays it out in end block.
import type { Context } from '../../chain/context.ts';
import { event } from '../../chain/events.ts';
import { fromBech32, toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';
import { u64be } from '../../chain/codec/bytes.ts';
import { DENOM, coinAmount } from './params.ts';
import { K, keys } from './store-keys.ts';
import { readU64 } from '../../chain/codec/bytes.ts';
import { ErrInvalidField, ErrNotOwner, ErrWrongSector, ErrNotBonded, ErrUnbonding } from './errors.ts';
import type { ProofsKeeper } from './keeper.ts';

const PROVIDER_SECTORS = new Set([2, 3]);
const UNBOND_PROVIDER = 1;
const UNBOND_VERIFIER = 2;

export function bondProvider(k: ProofsKeeper, ctx: Context, owner: string, deviceId: bigint, amount: bigint): void {
  const d = k.devices.getDevice(ctx, deviceId);
  if (!d) throw ErrInvalidField.wrap(`device ${deviceId} not found`);
  if (d.owner !== owner) throw ErrNotOwner.wrap(`device ${deviceId} is owned by ${d.owner}`);
  if (!PROVIDER_SECTORS.has(d.sector)) throw ErrWrongSector.wrap('only storage and compute devices bond as providers');
  if (amount <= 0n) throw ErrInvalidField.wrap('amount must be positive');
  const b = k.getBond(ctx, deviceId) ?? { deviceId, owner, bonded: 0n, unbonding: 0n, unbondingHeight: 0n };
  if (b.unbonding > 0n) throw ErrUnbonding.wrap(`device ${deviceId}'s bond is unbonding until height ${b.unbondingHeight}`);
  k.collect(ctx, owner, amount);
  b.bonded += amount;
  b.owner = owner;
  k.setBond(ctx, b, d.sector, coinAmount(k.params(ctx).minProviderBond));
  if (ctx.events.enabled) ctx.events.emit(event('provider_bonded', { device_id: deviceId.toString(), owner, amount: `${amount}${DENOM}`, bonded: `${b.bonded}${DENOM}` }));
}

export function unbondProvider(k: ProofsKeeper, ctx: Context, owner: string, deviceId: bigint): bigint {
  const b = k.getBond(ctx, deviceId);
  if (!b || b.bonded === 0n) throw ErrNotBonded.wrap(`device ${deviceId}`);
  if (b.owner !== owner) throw ErrNotOwner.wrap(`device ${deviceId}'s bond belongs to ${b.owner}`);
  const p = k.params(ctx);
  b.unbonding += b.bonded;
  b.bonded = 0n;
  b.unbondingHeight = ctx.block.height + p.unbondingBlocks;
  k.setBond(ctx, b, k.devices.sector(ctx, deviceId) ?? 0, coinAmount(p.minProviderBond));
  k.store(ctx).set(keys.unbonding(b.unbondingHeight, UNBOND_PROVIDER, u64be(deviceId)), Uint8Array.of(1));
  if (ctx.events.enabled) ctx.events.emit(event('provider_unbonding', { device_id: deviceId.toString(), owner, amount: `${b.unbonding}${DENOM}`, unbonding_height: b.unbondingHeight.toString() }));
  return b.unbondingHeight;
}

export function bondVerifier(k: ProofsKeeper, ctx: Context, verifier: string, amount: bigint): void {
  if (amount <= 0n) throw ErrInvalidField.wrap('amount must be positive');
  const v = k.getVerifier(ctx, verifier) ?? { address: verifier, bonded: 0n, unbonding: 0n, unbondingHeight: 0n };
  if (v.unbonding > 0n) throw ErrUnbonding.wrap(`verifier ${verifier} is unbonding until height ${v.unbondingHeight}`);
  k.collect(ctx, verifier, amount);
  v.bonded += amount;
  k.setVerifier(ctx, v);
  if (ctx.events.enabled) ctx.events.emit(event('verifier_bonded', { verifier, amount: `${amount}${DENOM}`, bonded: `${v.bonded}${DENOM}` }));
}

export function unbondVerifier(k: ProofsKeeper, ctx: Context, verifier: string): bigint {
  const v = k.getVerifier(ctx, verifier);
  if (!v || v.bonded === 0n) throw ErrNotBonded.wrap(`verifier ${verifier}`);
  const p = k.params(ctx);
  v.unbonding += v.bonded;
  v.bonded = 0n;
  v.unbondingHeight = ctx.block.height + p.unbondingBlocks;
  k.setVerifier(ctx, v);
  k.store(ctx).set(keys.unbonding(v.unbondingHeight, UNBOND_VERIFIER, fromBech32(verifier)), Uint8Array.of(1));
  if (ctx.events.enabled) ctx.events.emit(event('verifier_unbonding', { verifier, amount: `${v.unbonding}${DENOM}`, unbonding_height: v.unbondingHeight.toString() }));
  return v.unbondingHeight;
}

/** End block: pays out bonds whose unbonding period ended (what slashing left of them). */
export function payUnbonded(k: ProofsKeeper, ctx: Context): void {
  const s = k.store(ctx);
  const due: Uint8Array[] = [];
  for (const [key] of s.iterator(Uint8Array.of(K.unbonding), keys.unbonding(ctx.block.height + 1n, 0, new Uint8Array()))) due.push(Uint8Array.from(key));
  for (const key of due) {
    s.delete(key);
    const kind = key[9]!;
    const id = key.subarray(10);
    if (kind === UNBOND_PROVIDER) {
      const device = readU64(id);
      const b = k.getBond(ctx, device);
      if (!b || b.unbonding === 0n) continue;
      const amount = b.unbonding;
      k.pay(ctx, b.owner, amount);
      b.unbonding = 0n;
      k.setBond(ctx, b, k.devices.sector(ctx, device) ?? 0, coinAmount(k.params(ctx).minProviderBond));
      if (ctx.events.enabled) ctx.events.emit(event('provider_unbonded', { device_id: device.toString(), owner: b.owner, amount: `${amount}${DENOM}` }));
    } else if (kind === UNBOND_VERIFIER) {
      const address = toBech32(ACCOUNT_PREFIX, id);
      const v = k.getVerifier(ctx, address);
      if (!v || v.unbonding === 0n) continue;
      const amount = v.unbonding;
      k.pay(ctx, address, amount);
      v.unbonding = 0n;
      k.setVerifier(ctx, v);
      if (ctx.events.enabled) ctx.events.emit(event('verifier_unbonded', { verifier: address, amount: `${amount}${DENOM}` }));
    }
  }
}

// Balances, total supply and denom metadata. Every movement of coins goes through subUnlocked /
// addCoins so supply is only changed by mint and burn, and every movement emits the SDK's
// coin_spent / coin_received (and transfer) events.
import type { Context } from '../../chain/context.ts';
import { fromBech32, addressKey } from '../../chain/crypto/address.ts';
import { ErrInsufficientFunds, ErrInvalidCoins, ErrUnauthorized } from '../../chain/errors.ts';
import { event } from '../../chain/events.ts';
import { formatCoins, type Coin } from '../../chain/coins.ts';
import type { KVStore } from '../../chain/store/kv.ts';
import type { AccountKeeperI } from '../auth/keeper.ts';
import { moduleAddress } from '../auth/keeper.ts';
import { Metadata, BankParams, type MetadataMsg } from './types.ts';
import { ErrSendDisabled } from './errors.ts';
import { concat } from '../../chain/codec/bytes.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const STORE = enc.encode('bank/');
export const SUPPLY_PREFIX = 0x00;
export const METADATA_PREFIX = 0x01;
export const BALANCES_PREFIX = 0x02;

/** 0x02 | len(addr) | addr | denom : the SDK's layout, so one account's balances are contiguous. */
export function balancePrefix(addrBytes: Uint8Array): Uint8Array {
  const k = new Uint8Array(2 + addrBytes.length);
  k[0] = BALANCES_PREFIX;
  k[1] = addrBytes.length;
  k.set(addrBytes, 2);
  return k;
}

/** The whole-store key of one balance (module prefix included): what a Merkle proof of it names. */
export function balanceStoreKey(addrBytes: Uint8Array, denom: string): Uint8Array {
  return concat(STORE, balancePrefix(addrBytes), enc.encode(denom));
}

function withSuffix(prefix: Uint8Array, suffix: string): Uint8Array {
  const k = Buffer.allocUnsafe(prefix.length + Buffer.byteLength(suffix));
  k.set(prefix, 0);
  k.write(suffix, prefix.length, 'utf8');
  return k;
}

// Hot keys as latin1 strings (see KVReader.getS), built from cached address bytes; denoms are
// UTF-8, so their latin1 form is their bytes (cached: a chain has few denoms).
const denomKeys = new Map<string, string>();
function denomKey(denom: string): string {
  let k = denomKeys.get(denom);
  if (k === undefined) {
    k = Buffer.from(denom, 'utf8').toString('latin1');
    if (denomKeys.size < 10_000) denomKeys.set(denom, k);
  }
  return k;
}
const BALANCES_S = 'bank/\x02';
function balanceKey(address: string, denom: string): string {
  const a = addressKey(address);
  return BALANCES_S + String.fromCharCode(a.length) + a + denomKey(denom);
}
const SUPPLY_S = 'bank/\x00';
const PARAMS_S = 'bank/\x03';

/** Amounts are stored as ASCII decimal. */
const amountBytes = (n: bigint): Uint8Array => Buffer.from(n.toString(), 'latin1');
const amountOfBytes = (b: Uint8Array): bigint => BigInt(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'));

export interface BankParamsT {
  defaultSendEnabled: boolean;
}

/** What other modules may use: move coins, mint and burn from module accounts. */
export interface BankKeeperI {
  balance(ctx: Context, address: string, denom: string): bigint;
  sendCoins(ctx: Context, from: string, to: string, coins: readonly Coin[]): void;
  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void;
  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void;
  /** Between module accounts (e.g. staking's bonded and not-bonded pools); blocked lists do not apply. */
  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void;
  touchForFee(ctx: Context, payer: string, module: string, denom: string): void;
  mintCoins(ctx: Context, module: string, coins: readonly Coin[]): void;
  burnCoins(ctx: Context, module: string, coins: readonly Coin[]): void;
}

export class BankKeeper implements BankKeeperI {
  readonly accounts: AccountKeeperI & { getOrCreateModuleAccount(ctx: Context, name: string, perms?: string[]): unknown; hasAccount(ctx: Context, address: string): boolean };
  /** Module accounts that may not receive plain sends (fee_collector, ...), by address. */
  readonly blocked = new Set<string>();
  private paramsCache: { raw: Uint8Array; params: BankParamsT } | undefined;

  constructor(accounts: BankKeeper['accounts'], blockedModules: string[] = []) {
    this.accounts = accounts;
    for (const m of blockedModules) this.blocked.add(moduleAddress(m));
  }

  private store(ctx: Context): KVStore {
    return ctx.kv(STORE);
  }

  balance(ctx: Context, address: string, denom: string): bigint {
    const raw = ctx.store.getS(balanceKey(address, denom));
    return raw ? amountOfBytes(raw) : 0n;
  }

  allBalances(ctx: Context, address: string): Coin[] {
    const prefix = balancePrefix(fromBech32(address));
    const out: Coin[] = [];
    for (const [k, v] of this.store(ctx).iterator(prefix, withSuffix(prefix, '\u00ff'))) {
      out.push({ denom: dec.decode(k.subarray(prefix.length)), amount: BigInt(dec.decode(v)) });
    }
    return out;
  }

  private setBalance(ctx: Context, address: string, denom: string, amount: bigint): void {
    const key = balanceKey(address, denom);
    if (amount === 0n) ctx.store.deleteS(key);
    else ctx.store.setS(key, amountBytes(amount));
  }

  supplyOf(ctx: Context, denom: string): bigint {
    const raw = ctx.store.getS(SUPPLY_S + denomKey(denom));
    return raw ? amountOfBytes(raw) : 0n;
  }

  setSupply(ctx: Context, denom: string, amount: bigint): void {
    const key = SUPPLY_S + denomKey(denom);
    if (amount === 0n) ctx.store.deleteS(key);
    else ctx.store.setS(key, amountBytes(amount));
  }

  *totalSupply(ctx: Context): Generator<Coin> {
    for (const [k, v] of this.store(ctx).iterator(Uint8Array.of(SUPPLY_PREFIX), Uint8Array.of(SUPPLY_PREFIX + 1))) {
      yield { denom: dec.decode(k.subarray(1)), amount: BigInt(dec.decode(v)) };
    }
  }

  private subCoins(ctx: Context, address: string, coins: readonly Coin[]): void {
    for (const c of coins) {
      const have = this.balance(ctx, address, c.denom);
      if (have < c.amount) {
        throw ErrInsufficientFunds.wrap(`spendable balance ${have}${c.denom} is smaller than ${c.amount}${c.denom}`);
      }
      this.setBalance(ctx, address, c.denom, have - c.amount);
    }
    if (ctx.events.enabled) ctx.events.emit(event('coin_spent', { spender: address, amount: formatCoins(coins) }));
  }

  private addCoins(ctx: Context, address: string, coins: readonly Coin[]): void {
    for (const c of coins) this.setBalance(ctx, address, c.denom, this.balance(ctx, address, c.denom) + c.amount);
    if (ctx.events.enabled) ctx.events.emit(event('coin_received', { receiver: address, amount: formatCoins(coins) }));
  }

  private transferEvent(ctx: Context, from: string, to: string, coins: readonly Coin[]): void {
    if (ctx.events.enabled) ctx.events.emit(event('transfer', { recipient: to, sender: from, amount: formatCoins(coins) }));
  }

  private checkCoins(coins: readonly Coin[]): void {
    for (const c of coins) if (c.amount <= 0n) throw ErrInvalidCoins.wrap(`${c.amount}${c.denom} is not positive`);
  }

  /** Moves coins; creates the recipient's account if it does not exist (as x/bank does). */
  sendCoins(ctx: Context, from: string, to: string, coins: readonly Coin[]): void {
    this.checkCoins(coins);
    if (!this.params(ctx).defaultSendEnabled) throw ErrSendDisabled.wrap('transfers are disabled by the bank params');
    this.subCoins(ctx, from, coins);
    this.addCoins(ctx, to, coins);
    if (!this.accounts.hasAccount(ctx, to)) this.accounts.newAccount(ctx, to);
    this.transferEvent(ctx, from, to, coins);
  }

  /**
   * Gas estimation for a fee that is not there yet: reads and rewrites the balances a fee payment
   * would touch, so Simulate charges what the real deduction will (state is discarded anyway).
   */
  touchForFee(ctx: Context, payer: string, module: string, denom: string): void {
    for (const addr of [payer, moduleAddress(module)]) {
      const key = balanceKey(addr, denom);
      ctx.store.setS(key, ctx.store.getS(key) ?? enc.encode('0'));
    }
  }

  isBlocked(address: string): boolean {
    return this.blocked.has(address);
  }

  sendCoinsFromAccountToModule(ctx: Context, from: string, module: string, coins: readonly Coin[]): void {
    this.accounts.getOrCreateModuleAccount(ctx, module);
    this.subCoins(ctx, from, coins);
    const to = moduleAddress(module);
    this.addCoins(ctx, to, coins);
    this.transferEvent(ctx, from, to, coins);
  }

  sendCoinsFromModuleToAccount(ctx: Context, module: string, to: string, coins: readonly Coin[]): void {
    if (this.isBlocked(to)) throw ErrUnauthorized.wrap(`${to} is not allowed to receive funds`);
    this.sendCoinsRaw(ctx, moduleAddress(module), to, coins);
  }

  sendCoinsFromModuleToModule(ctx: Context, from: string, to: string, coins: readonly Coin[]): void {
    this.checkCoins(coins);
    this.accounts.getOrCreateModuleAccount(ctx, to);
    this.sendCoinsRaw(ctx, moduleAddress(from), moduleAddress(to), coins);
  }

  private sendCoinsRaw(ctx: Context, from: string, to: string, coins: readonly Coin[]): void {
    this.subCoins(ctx, from, coins);
    this.addCoins(ctx, to, coins);
    if (!this.accounts.hasAccount(ctx, to)) this.accounts.newAccount(ctx, to);
    this.transferEvent(ctx, from, to, coins);
  }

  mintCoins(ctx: Context, module: string, coins: readonly Coin[]): void {
    this.checkCoins(coins);
    this.accounts.getOrCreateModuleAccount(ctx, module, ['minter']);
    const addr = moduleAddress(module);
    this.addCoins(ctx, addr, coins);
    for (const c of coins) this.setSupply(ctx, c.denom, this.supplyOf(ctx, c.denom) + c.amount);
    ctx.events.emit(event('coinbase', { minter: addr, amount: formatCoins(coins) }));
  }

  burnCoins(ctx: Context, module: string, coins: readonly Coin[]): void {
    this.checkCoins(coins);
    const addr = moduleAddress(module);
    this.subCoins(ctx, addr, coins);
    for (const c of coins) this.setSupply(ctx, c.denom, this.supplyOf(ctx, c.denom) - c.amount);
    ctx.events.emit(event('burn', { burner: addr, amount: formatCoins(coins) }));
  }

  /** Genesis only: credit an account without events or supply change (supply is set separately). */
  initBalance(ctx: Context, address: string, coins: readonly Coin[]): void {
    for (const c of coins) this.setBalance(ctx, address, c.denom, this.balance(ctx, address, c.denom) + c.amount);
  }

  denomMetadata(ctx: Context, denom: string): MetadataMsg | undefined {
    const raw = this.store(ctx).get(withSuffix(Uint8Array.of(METADATA_PREFIX), denom));
    return raw ? Metadata.decode(raw) : undefined;
  }

  setDenomMetadata(ctx: Context, m: MetadataMsg): void {
    this.store(ctx).set(withSuffix(Uint8Array.of(METADATA_PREFIX), m.base), Metadata.encode(m));
  }

  params(ctx: Context): BankParamsT {
    const raw = ctx.store.getS(PARAMS_S);
    if (!raw) return { defaultSendEnabled: true };
    // Same bytes object, same params: decoded once per change, not per send.
    if (this.paramsCache?.raw !== raw) this.paramsCache = { raw, params: { defaultSendEnabled: BankParams.decode(raw).defaultSendEnabled } };
    return this.paramsCache.params;
  }

  setParams(ctx: Context, p: BankParamsT): void {
    ctx.store.setS(PARAMS_S, BankParams.encode({ sendEnabled: [], defaultSendEnabled: p.defaultSendEnabled }));
  }
}

// Accounts: address -> BaseAccount/ModuleAccount (stored as a protobuf Any, exactly what the
// Account query returns), a global account-number counter, and the module params.
import type { Context } from '../../chain/context.ts';
import { accountAddress, addressKey, toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { ErrInvalidPubKey } from '../../chain/errors.ts';
import type { KVStore } from '../../chain/store/kv.ts';
import { AuthParams as AuthParamsCodec } from './types.ts';
import { encodeAccount, decodeAccount, type Account } from './account-codec.ts';
import { DEFAULT_AUTH_PARAMS, paramsFromMsg, paramsToMsg, type AuthParams } from './params.ts';

export type { Account } from './account-codec.ts';
export { encodeAccount, decodeAccount } from './account-codec.ts';

// Keys are built as latin1 strings (see KVReader.getS): 'auth/' ‖ table byte ‖ address bytes.
const STORE = new TextEncoder().encode('auth/');
const PARAMS_KEY = 'auth/\x00';
const ACCOUNT_PREFIX_S = 'auth/\x01';
const NEXT_NUMBER_KEY = 'auth/\x02';
const ACCOUNT_PREFIX_BYTE = 0x01;

const moduleAddresses = new Map<string, string>();

/** sha256(name)[:20] in bech32; memoized, since fee payment asks for it on every tx. */
export function moduleAddress(name: string): string {
  let a = moduleAddresses.get(name);
  if (!a) {
    a = toBech32(ACCOUNT_PREFIX, sha256(new TextEncoder().encode(name)).subarray(0, 20));
    moduleAddresses.set(name, a);
  }
  return a;
}

const accountKey = (address: string): string => ACCOUNT_PREFIX_S + addressKey(address);

/** The narrow interface other modules (bank, ante) get. */
export interface AccountKeeperI {
  getAccount(ctx: Context, address: string): Account | undefined;
  setAccount(ctx: Context, acc: Account): void;
  /** Creates a BaseAccount with the next account number (the account must not exist). */
  newAccount(ctx: Context, address: string): Account;
  params(ctx: Context): AuthParams;
}

export class AccountKeeper implements AccountKeeperI {
  /** The last params read and their stored bytes: state values are never mutated in place, so
   * the same bytes object means the same params (one decode per change, not per tx). */
  private paramsCache: { raw: Uint8Array; params: AuthParams } | undefined;

  private store(ctx: Context): KVStore {
    return ctx.kv(STORE);
  }

  getAccount(ctx: Context, address: string): Account | undefined {
    const raw = ctx.store.getS(accountKey(address));
    return raw ? decodeAccount(raw) : undefined;
  }

  getAccountRaw(ctx: Context, address: string): Uint8Array | undefined {
    return ctx.store.getS(accountKey(address));
  }

  hasAccount(ctx: Context, address: string): boolean {
    return ctx.store.hasS(accountKey(address));
  }

  setAccount(ctx: Context, acc: Account): void {
    ctx.store.setS(accountKey(acc.address), encodeAccount(acc));
  }

  nextAccountNumber(ctx: Context): bigint {
    const raw = ctx.store.getS(NEXT_NUMBER_KEY);
    const n = raw ? BigInt(new TextDecoder().decode(raw)) : 0n;
    ctx.store.setS(NEXT_NUMBER_KEY, new TextEncoder().encode((n + 1n).toString()));
    return n;
  }

  /** Makes sure future account numbers start above `n` (genesis import keeps exported numbers). */
  reserveAccountNumber(ctx: Context, n: bigint): void {
    const raw = ctx.store.getS(NEXT_NUMBER_KEY);
    const next = raw ? BigInt(new TextDecoder().decode(raw)) : 0n;
    if (n >= next) ctx.store.setS(NEXT_NUMBER_KEY, new TextEncoder().encode((n + 1n).toString()));
  }

  newAccount(ctx: Context, address: string): Account {
    const acc: Account = { address, pubkey: undefined, accountNumber: this.nextAccountNumber(ctx), sequence: 0n };
    this.setAccount(ctx, acc);
    return acc;
  }

  /** Module accounts are created on first use with a deterministic address sha256(name)[:20];
   * returns the new account, or undefined when it already existed. */
  getOrCreateModuleAccount(ctx: Context, name: string, permissions: string[] = []): Account | undefined {
    const address = moduleAddress(name);
    if (this.hasAccount(ctx, address)) return undefined; // exists: callers only need it to exist
    const acc: Account = { address, pubkey: undefined, accountNumber: this.nextAccountNumber(ctx), sequence: 0n, module: { name, permissions } };
    this.setAccount(ctx, acc);
    return acc;
  }

  /** Records a signer's public key on first use; the key must hash to the account address. */
  setPubkey(acc: Account, pubkey: Uint8Array): void {
    if (accountAddress(pubkey) !== acc.address) {
      throw ErrInvalidPubKey.wrap(`pubkey does not match signer address ${acc.address}`);
    }
    acc.pubkey = pubkey;
  }

  *accounts(ctx: Context): Generator<Uint8Array> {
    const start = Uint8Array.of(ACCOUNT_PREFIX_BYTE);
    const end = Uint8Array.of(ACCOUNT_PREFIX_BYTE + 1);
    for (const [, v] of this.store(ctx).iterator(start, end)) yield v;
  }

  params(ctx: Context): AuthParams {
    const raw = ctx.store.getS(PARAMS_KEY);
    if (!raw) return DEFAULT_AUTH_PARAMS;
    if (this.paramsCache?.raw !== raw) this.paramsCache = { raw, params: paramsFromMsg(AuthParamsCodec.decode(raw)) };
    return this.paramsCache.params;
  }

  setParams(ctx: Context, p: AuthParams): void {
    ctx.store.setS(PARAMS_KEY, AuthParamsCodec.encode(paramsToMsg(p)));
  }
}

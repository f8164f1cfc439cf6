// Accounts: address -> BaseAccount/ModuleAccount (stored as a protobuf Any, exactly what the
// Account query returns), a global account-number counter, and the module params.
import type { Context } from '../../chain/context.ts';
import { u64, u64Field } from '../../chain/codec/proto.ts';
import { accountAddress, fromBech32, toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { ErrInvalidPubKey } from '../../chain/errors.ts';
import { PubKeySecp256k1, SECP256K1_PUBKEY_URL } from '../../chain/tx/types.ts';
import type { KVStore } from '../../chain/store/kv.ts';
import { AnyCodec, BaseAccount, ModuleAccount, AuthParams as AuthParamsCodec, BASE_ACCOUNT_URL, MODULE_ACCOUNT_URL, type BaseAccountMsg } from './types.ts';
import { DEFAULT_AUTH_PARAMS, paramsFromMsg, paramsToMsg, type AuthParams } from './params.ts';

export interface Account {
  address: string;
  pubkey: Uint8Array | undefined;
  accountNumber: bigint;
  sequence: bigint;
  /** Set for module accounts (fee_collector, ...), which hold funds but never sign. */
  module?: { name: string; permissions: string[] };
}

const STORE = new TextEncoder().encode('auth/');
const PARAMS_KEY = Uint8Array.of(0x00);
const ACCOUNT_PREFIX_BYTE = 0x01;
const NEXT_NUMBER_KEY = Uint8Array.of(0x02);

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

function accountKey(addrBytes: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + addrBytes.length);
  k[0] = ACCOUNT_PREFIX_BYTE;
  k.set(addrBytes, 1);
  return k;
}

export function encodeAccount(acc: Account): Uint8Array {
  const base: BaseAccountMsg = {
    address: acc.address,
    pubKey: acc.pubkey ? { typeUrl: SECP256K1_PUBKEY_URL, value: PubKeySecp256k1.encode({ key: acc.pubkey }) } : null,
    accountNumber: u64Field(acc.accountNumber),
    sequence: u64Field(acc.sequence),
  } as BaseAccountMsg;
  if (acc.module) {
    return AnyCodec.encode({ typeUrl: MODULE_ACCOUNT_URL, value: ModuleAccount.encode({ baseAccount: base, name: acc.module.name, permissions: acc.module.permissions }) });
  }
  return AnyCodec.encode({ typeUrl: BASE_ACCOUNT_URL, value: BaseAccount.encode(base) });
}

export function decodeAccount(bytes: Uint8Array): Account {
  const any = AnyCodec.decode(bytes);
  let base: BaseAccountMsg;
  let module: Account['module'];
  if (any.typeUrl === MODULE_ACCOUNT_URL) {
    const m = ModuleAccount.decode(any.value);
    base = m.baseAccount!;
    module = { name: m.name, permissions: m.permissions };
  } else {
    base = BaseAccount.decode(any.value);
  }
  return {
    address: base.address,
    pubkey: base.pubKey ? PubKeySecp256k1.decode(base.pubKey.value).key : undefined,
    accountNumber: u64(base.accountNumber),
    sequence: u64(base.sequence),
    module,
  };
}

/** The narrow interface other modules (bank, ante) get. */
export interface AccountKeeperI {
  getAccount(ctx: Context, address: string): Account | undefined;
  setAccount(ctx: Context, acc: Account): void;
  /** Creates a BaseAccount with the next account number (the account must not exist). */
  newAccount(ctx: Context, address: string): Account;
  params(ctx: Context): AuthParams;
}

export class AccountKeeper implements AccountKeeperI {
  private store(ctx: Context): KVStore {
    return ctx.kv(STORE);
  }

  getAccount(ctx: Context, address: string): Account | undefined {
    const raw = this.store(ctx).get(accountKey(fromBech32(address)));
    return raw ? decodeAccount(raw) : undefined;
  }

  getAccountRaw(ctx: Context, address: string): Uint8Array | undefined {
    return this.store(ctx).get(accountKey(fromBech32(address)));
  }

  hasAccount(ctx: Context, address: string): boolean {
    return this.store(ctx).has(accountKey(fromBech32(address)));
  }

  setAccount(ctx: Context, acc: Account): void {
    this.store(ctx).set(accountKey(fromBech32(acc.address)), encodeAccount(acc));
  }

  nextAccountNumber(ctx: Context): bigint {
    const s = this.store(ctx);
    const raw = s.get(NEXT_NUMBER_KEY);
    const n = raw ? BigInt(new TextDecoder().decode(raw)) : 0n;
    s.set(NEXT_NUMBER_KEY, new TextEncoder().encode((n + 1n).toString()));
    return n;
  }

  /** Makes sure future account numbers start above `n` (genesis import keeps exported numbers). */
  reserveAccountNumber(ctx: Context, n: bigint): void {
    const s = this.store(ctx);
    const raw = s.get(NEXT_NUMBER_KEY);
    const next = raw ? BigInt(new TextDecoder().decode(raw)) : 0n;
    if (n >= next) s.set(NEXT_NUMBER_KEY, new TextEncoder().encode((n + 1n).toString()));
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
    const raw = this.store(ctx).get(PARAMS_KEY);
    return raw ? paramsFromMsg(AuthParamsCodec.decode(raw)) : DEFAULT_AUTH_PARAMS;
  }

  setParams(ctx: Context, p: AuthParams): void {
    this.store(ctx).set(PARAMS_KEY, AuthParamsCodec.encode(paramsToMsg(p)));
  }
}

// Fee grants: a granter lets a grantee's transactions pay their fees from the granter's balance
// (so a device with no funds of its own can send transactions). State layout follows the SDK:
// grants keyed by grantee then granter, plus an expiry queue and a granter index.
import type { Context } from '../../chain/context.ts';
import { fromBech32, toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';
import { ErrInvalidAddress, ErrInvalidRequest, SdkError } from '../../chain/errors.ts';
import { event } from '../../chain/events.ts';
import { encodeCanonical } from '../../chain/codec/proto-json.ts';
import type { Coin } from '../../chain/coins.ts';
import type { Timestamp } from '../../chain/context.ts';
import type { KVStore } from '../../chain/store/kv.ts';
import { accept, allowanceFromAny, allowanceToAny, expiresAt, before, type Allowance } from './allowance.ts';
import { ErrNoAllowance } from './errors.ts';
import { Grant, type GrantMsg } from './types.ts';
import { concat } from '../../chain/codec/bytes.ts';

const STORE = new TextEncoder().encode('feegrant/');
export const GRANT_PREFIX = 0x00;
export const QUEUE_PREFIX = 0x01;
export const GRANTER_INDEX_PREFIX = 0x02;

function lp(addr: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + addr.length);
  out[0] = addr.length;
  out.set(addr, 1);
  return out;
}

/** 0x00 | len | grantee | len | granter (the SDK's FeeAllowanceKey). */
export const grantKey = (granter: string, grantee: string) => concat(Uint8Array.of(GRANT_PREFIX), lp(fromBech32(grantee)), lp(fromBech32(granter)));
export const granteePrefix = (grantee: string) => concat(Uint8Array.of(GRANT_PREFIX), lp(fromBech32(grantee)));
const granterIndexKey = (granter: string, grantee: string) => concat(Uint8Array.of(GRANTER_INDEX_PREFIX), lp(fromBech32(granter)), lp(fromBech32(grantee)));
export const granterPrefix = (granter: string) => concat(Uint8Array.of(GRANTER_INDEX_PREFIX), lp(fromBech32(granter)));

/** Big-endian seconds (8 bytes) and nanos (4 bytes): byte order = time order for t >= 1970. */
function timeKey(t: Timestamp): Uint8Array {
  const b = Buffer.alloc(12);
  b.writeBigUInt64BE(t.seconds < 0n ? 0n : t.seconds, 0);
  b.writeUInt32BE(t.nanos, 8);
  return b;
}

const queueKey = (exp: Timestamp, granter: string, grantee: string) => concat(Uint8Array.of(QUEUE_PREFIX), timeKey(exp), lp(fromBech32(grantee)), lp(fromBech32(granter)));

/** What the ante handler needs (AnteDeps.feegrant). */
export interface FeegrantKeeperI {
  /** Spends `fee` from granter's allowance for grantee, or throws the SDK's error (no
   * allowance, expired, limit exceeded, message not allowed). Emits use_feegrant. */
  useGrantedFees(ctx: Context, granter: string, grantee: string, fee: readonly Coin[], msgTypeUrls: readonly string[]): void;
}

export interface FeegrantAccounts {
  hasAccount(ctx: Context, address: string): boolean;
  newAccount(ctx: Context, address: string): unknown;
}

export class FeegrantKeeper implements FeegrantKeeperI {
  readonly accounts: FeegrantAccounts;

  constructor(accounts: FeegrantAccounts) {
    this.accounts = accounts;
  }

  store(ctx: Context): KVStore {
    return ctx.kv(STORE);
  }

  getAllowance(ctx: Context, granter: string, grantee: string): Allowance | undefined {
    const raw = this.store(ctx).get(grantKey(granter, grantee));
    return raw ? allowanceFromAny(Grant.decode(raw).allowance) : undefined;
  }

  /** Writes the grant record, its expiry queue entry and the granter index entry. */
  private put(ctx: Context, granter: string, grantee: string, a: Allowance): void {
    const s = this.store(ctx);
    s.set(grantKey(granter, grantee), encodeCanonical(Grant.type, { granter, grantee, allowance: allowanceToAny(a) }));
    s.set(granterIndexKey(granter, grantee), Uint8Array.of(1));
    const exp = expiresAt(a);
    if (exp) s.set(queueKey(exp, granter, grantee), Uint8Array.of(1));
  }

  private remove(ctx: Context, granter: string, grantee: string, a: Allowance): void {
    const s = this.store(ctx);
    s.delete(grantKey(granter, grantee));
    s.delete(granterIndexKey(granter, grantee));
    const exp = expiresAt(a);
    if (exp) s.delete(queueKey(exp, granter, grantee));
  }

  /** MsgGrantAllowance: one grant per (granter, grantee); creates the grantee's account so a
   * brand-new key (a device) can sign its first transaction. */
  grantAllowance(ctx: Context, granter: string, grantee: string, a: Allowance): void {
    if (this.store(ctx).has(grantKey(granter, grantee))) throw ErrInvalidRequest.wrap('fee allowance already exists');
    if (!this.accounts.hasAccount(ctx, grantee)) this.accounts.newAccount(ctx, grantee);
    const exp = expiresAt(a);
    if (exp && before(exp, ctx.block.time)) throw ErrInvalidRequest.wrap('expiration is before current block time');
    this.put(ctx, granter, grantee, a);
    ctx.events.emit(event('set_feegrant', { granter, grantee }));
  }

  revokeAllowance(ctx: Context, granter: string, grantee: string): void {
    const a = this.getAllowance(ctx, granter, grantee);
    if (!a) throw ErrNoAllowance.wrap('fee-grant not found');
    this.remove(ctx, granter, grantee, a);
    ctx.events.emit(event('revoke_feegrant', { granter, grantee }));
  }

  useGrantedFees(ctx: Context, granter: string, grantee: string, fee: readonly Coin[], msgTypeUrls: readonly string[]): void {
    try {
      fromBech32(granter);
    } catch (err) {
      throw ErrInvalidAddress.wrap(`invalid fee granter: ${(err as Error).message}`);
    }
    const a = this.getAllowance(ctx, granter, grantee);
    if (!a) throw ErrNoAllowance.wrap(`fee-grant not found: ${granter} does not allow to pay fees for ${grantee}`);
    let result;
    try {
      result = accept(a, fee, ctx.block.time, msgTypeUrls, ctx.gasMeter);
    } catch (err) {
      if (!(err instanceof SdkError)) throw err;
      // As the SDK reports it: "<granter> does not allow to pay fees for <grantee>: <reason>".
      const suffix = `: ${err.description}`;
      const reason = err.message.endsWith(suffix) ? err.message.slice(0, -suffix.length) : '';
      throw err.wrap(`${granter} does not allow to pay fees for ${grantee}${reason ? ': ' + reason : ''}`);
    }
    ctx.events.emit(event('use_feegrant', { granter, grantee }));
    if (result.remove) {
      this.remove(ctx, granter, grantee, a);
      ctx.events.emit(event('revoke_feegrant', { granter, grantee }));
    } else {
      this.put(ctx, granter, grantee, result.updated);
      ctx.events.emit(event('update_feegrant', { granter, grantee }));
    }
  }

  /** MsgPruneAllowances: removes up to `limit` allowances that expired before the block time. */
  pruneExpired(ctx: Context, limit: number): number {
    const s = this.store(ctx);
    const start = Uint8Array.of(QUEUE_PREFIX);
    const end = concat(Uint8Array.of(QUEUE_PREFIX), timeKey(ctx.block.time));
    const due: Uint8Array[] = [];
    for (const [k] of s.iterator(start, end)) {
      due.push(Uint8Array.from(k));
      if (due.length >= limit) break;
    }
    for (const k of due) {
      const rest = k.subarray(13);
      const grantee = rest.subarray(1, 1 + rest[0]!);
      const granterPart = rest.subarray(1 + rest[0]!);
      const granter = granterPart.subarray(1, 1 + granterPart[0]!);
      const g = toBech32(ACCOUNT_PREFIX, granter);
      const e = toBech32(ACCOUNT_PREFIX, grantee);
      const a = this.getAllowance(ctx, g, e);
      if (a) this.remove(ctx, g, e, a);
      else s.delete(k);
    }
    return due.length;
  }

  *grants(ctx: Context): Generator<GrantMsg> {
    for (const [, v] of this.store(ctx).iterator(Uint8Array.of(GRANT_PREFIX), Uint8Array.of(GRANT_PREFIX + 1))) yield Grant.decode(v);
  }

  /** Genesis import: the grant exactly as exported (no period restart, no expiry check). */
  importGrant(ctx: Context, granter: string, grantee: string, a: Allowance): void {
    this.put(ctx, granter, grantee, a);
  }
}

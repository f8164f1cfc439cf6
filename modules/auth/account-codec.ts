// Accounts in state: a google.protobuf.Any holding a BaseAccount (or a ModuleAccount), exactly what
// the Account query returns. Every tx reads and rewrites its signers' accounts twice (CheckTx and
// the block), so plain BaseAccounts go through a small hand-written codec; module accounts, rare
// and never on the per-tx path, use the protobufjs reflection codecs. The hand-written bytes are
// identical to protobufjs' canonical encoding (tested), so both paths read each other's output.
import { u64, u64Field } from '../../chain/codec/proto.ts';
import { PubKeySecp256k1, SECP256K1_PUBKEY_URL } from '../../chain/tx/types.ts';
import { AnyCodec, BaseAccount, ModuleAccount, BASE_ACCOUNT_URL, MODULE_ACCOUNT_URL, type BaseAccountMsg } from './types.ts';

export interface Account {
  address: string;
  pubkey: Uint8Array | undefined;
  accountNumber: bigint;
  sequence: bigint;
  /** Set for module accounts (fee_collector, ...), which hold funds but never sign. */
  module?: { name: string; permissions: string[] };
}

const BASE_URL = Buffer.from(BASE_ACCOUNT_URL, 'latin1');
const PUBKEY_URL = Buffer.from(SECP256K1_PUBKEY_URL, 'latin1');

function varintLen(v: bigint): number {
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

function putVarint(buf: Buffer, pos: number, v: bigint): number {
  if (v < 0n) throw new Error('negative account field');
  if (v <= 0xffffffffn) {
    let n = Number(v);
    while (n >= 0x80) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[pos++] = n;
    return pos;
  }
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
  return pos;
}

/** Length of a length-delimited field with a payload of `n` bytes (tag + length + payload). */
const field = (n: number) => 1 + (n < 0x80 ? 1 : n < 0x4000 ? 2 : 3) + n;

function putLen(buf: Buffer, pos: number, tag: number, n: number): number {
  buf[pos++] = tag;
  return putVarint(buf, pos, BigInt(n));
}

export function encodeAccount(acc: Account): Uint8Array {
  if (acc.module) {
    const base = baseMsg(acc);
    return AnyCodec.encode({ typeUrl: MODULE_ACCOUNT_URL, value: ModuleAccount.encode({ baseAccount: base, name: acc.module.name, permissions: acc.module.permissions }) });
  }
  const addrLen = Buffer.byteLength(acc.address, 'utf8');
  const pkMsg = acc.pubkey ? field(acc.pubkey.length) : 0; // PubKey{key}
  const pkAny = acc.pubkey ? field(PUBKEY_URL.length) + field(pkMsg) : 0;
  const base = field(addrLen) + (acc.pubkey ? field(pkAny) : 0)
    + (acc.accountNumber ? 1 + varintLen(acc.accountNumber) : 0) + (acc.sequence ? 1 + varintLen(acc.sequence) : 0);
  const buf = Buffer.allocUnsafe(field(BASE_URL.length) + field(base));
  let p = putLen(buf, 0, 0x0a, BASE_URL.length);
  p += BASE_URL.copy(buf, p);
  p = putLen(buf, p, 0x12, base);
  p = putLen(buf, p, 0x0a, addrLen);
  p += buf.write(acc.address, p, addrLen, 'utf8');
  if (acc.pubkey) {
    p = putLen(buf, p, 0x12, pkAny);
    p = putLen(buf, p, 0x0a, PUBKEY_URL.length);
    p += PUBKEY_URL.copy(buf, p);
    p = putLen(buf, p, 0x12, pkMsg);
    p = putLen(buf, p, 0x0a, acc.pubkey.length);
    buf.set(acc.pubkey, p);
    p += acc.pubkey.length;
  }
  if (acc.accountNumber) {
    buf[p++] = 0x18;
    p = putVarint(buf, p, acc.accountNumber);
  }
  if (acc.sequence) {
    buf[p++] = 0x20;
    p = putVarint(buf, p, acc.sequence);
  }
  if (p !== buf.length) throw new Error(`account encoding size mismatch: ${p} != ${buf.length}`);
  return buf;
}

function baseMsg(acc: Account): BaseAccountMsg {
  return {
    address: acc.address,
    pubKey: acc.pubkey ? { typeUrl: SECP256K1_PUBKEY_URL, value: PubKeySecp256k1.encode({ key: acc.pubkey }) } : null,
    accountNumber: u64Field(acc.accountNumber),
    sequence: u64Field(acc.sequence),
  } as BaseAccountMsg;
}

// --------------------------------------------------------------------------------------- decode

let P = 0;

function readVarint(b: Uint8Array, end: number): bigint {
  let lo = 0;
  let shift = 0;
  for (; shift < 28; shift += 7) {
    if (P >= end) throw new Error('truncated account');
    const x = b[P++]!;
    lo |= (x & 0x7f) << shift;
    if (x < 0x80) return BigInt(lo >>> 0);
  }
  let v = BigInt(lo >>> 0);
  for (let s = 28n; s < 70n; s += 7n) {
    if (P >= end) throw new Error('truncated account');
    const x = b[P++]!;
    v |= BigInt(x & 0x7f) << s;
    if (x < 0x80) return v;
  }
  throw new Error('account varint too long');
}

function readLen(b: Uint8Array, end: number): number {
  const n = Number(readVarint(b, end));
  if (P + n > end) throw new Error('truncated account');
  return n;
}

function sameBytes(b: Uint8Array, at: number, want: Buffer): boolean {
  for (let i = 0; i < want.length; i++) if (b[at + i] !== want[i]) return false;
  return true;
}

/** A BaseAccount Any, or undefined when the bytes hold anything else (handled by protobufjs). */
export function decodeBase(b: Uint8Array): Account | undefined {
  P = 0;
  const end = b.length;
  if (b[P++] !== 0x0a) return undefined;
  const urlLen = readLen(b, end);
  if (urlLen !== BASE_URL.length || !sameBytes(b, P, BASE_URL)) return undefined;
  P += urlLen;
  if (P >= end || b[P++] !== 0x12) return undefined;
  const baseLen = readLen(b, end); // read before P: `P + readLen()` would add to the old P
  const baseEnd = P + baseLen;
  if (baseEnd !== end) return undefined;
  let address = '';
  let pubkey: Uint8Array | undefined;
  let accountNumber = 0n;
  let sequence = 0n;
  while (P < baseEnd) {
    const tag = b[P++]!;
    if (tag === 0x0a) {
      const n = readLen(b, baseEnd);
      address = Buffer.from(b.buffer, b.byteOffset + P, n).toString('utf8');
      P += n;
    } else if (tag === 0x12) {
      const n = readLen(b, baseEnd);
      const anyEnd = P + n;
      // Any{type_url = /cosmos.crypto.secp256k1.PubKey, value = PubKey{key}}; anything else: slow path.
      if (b[P++] !== 0x0a) return undefined;
      const ul = readLen(b, anyEnd);
      if (ul !== PUBKEY_URL.length || !sameBytes(b, P, PUBKEY_URL)) return undefined;
      P += ul;
      if (b[P++] !== 0x12) return undefined;
      const vLen = readLen(b, anyEnd);
      const vEnd = P + vLen;
      if (b[P++] !== 0x0a) return undefined;
      const kl = readLen(b, vEnd);
      pubkey = b.slice(P, P + kl);
      P += kl;
      if (P !== vEnd || vEnd !== anyEnd) return undefined;
    } else if (tag === 0x18) accountNumber = readVarint(b, baseEnd);
    else if (tag === 0x20) sequence = readVarint(b, baseEnd);
    else return undefined;
  }
  return { address, pubkey, accountNumber, sequence };
}

export function decodeAccount(bytes: Uint8Array): Account {
  const fast = decodeBase(bytes);
  if (fast) return fast;
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

/** The reference encoding through protobufjs (tests compare the hand-written codec with it). */
export function encodeAccountReflection(acc: Account): Uint8Array {
  if (acc.module) return encodeAccount(acc);
  return AnyCodec.encode({ typeUrl: BASE_ACCOUNT_URL, value: BaseAccount.encode(baseMsg(acc)) });
}

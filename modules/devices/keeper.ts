// Device identity state: manufacturers, devices and their indexes, location history, bans and
// registration nonces; the rules of every devices message; and DevicesKeeperI, the narrow view the
// proofs and rewards modules get.
import type { Context } from '../../chain/context.ts';
import { u64 } from '../../chain/codec/proto.ts';
import { accountAddress, fromBech32, toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';
import { ErrInsufficientFunds, SdkError, toSdkError } from '../../chain/errors.ts';
import { event } from '../../chain/events.ts';
import { coinToProto, formatCoins, type Coin, type ProtoCoin } from '../../chain/coins.ts';
import { prefixEnd, type KVStore } from '../../chain/store/kv.ts';
import type { BankKeeperI } from '../bank/keeper.ts';
import {
  ErrUnknownManufacturer, ErrManufacturerNotActive, ErrModelNotAllowed, ErrInvalidAttestation, ErrInvalidDeviceSignature,
  ErrDeviceKeyExists, ErrSerialExists, ErrQuotaExceeded, ErrInsufficientFee, ErrStaleNonce, ErrDeviceNotFound, ErrNotOwner,
  ErrInvalidCell, ErrLocationCooldown, ErrLocationUnchanged, ErrDeviceInactive, ErrBanned, ErrNotBanned, ErrNotAuthority,
  ErrManufacturerExists, ErrBondNotPosted, ErrInvalidField, ErrAppealExists, ErrInvalidStatus, ErrNotDeviceAccount, ErrNotOperator,
} from './errors.ts';
import { KEY_TYPE_SECP256K1, VERIFY_GAS, verifySignature, type DeviceKeyType } from './keys.ts';
import { attestationPayload, envelopePayload, registrationPayload, RESERVED_DOMAIN_PREFIX } from './payloads.ts';
import { u64be, concat, storeKey } from '../../chain/codec/bytes.ts';
import { isValidCell, resolutionOf, cellToString, LOCATION_RESOLUTION } from './h3.ts';
import { deviceDid, PROOF_SERVICE_ID, PROOF_SERVICE_TYPE } from './did.ts';
import { BOND_DENOM, optionalCoin, validateRegistration } from './validate.ts';
import {
  ParamsCodec, ManufacturerCodec, DeviceCodec, LocationRecordCodec, BanCodec, encode,
  paramsFrom, manufacturerFrom, deviceFrom, locationFrom, banFrom,
  MFR_ACTIVE, MFR_REVOKED, MFR_STATUS_NAMES, DEVICE_ACTIVE, DEVICE_DEACTIVATED, BAN_DEVICE, BAN_MANUFACTURER, BAN_TARGET_NAMES, SECTOR_NAMES,
  type Params, type Manufacturer, type Device, type LocationRecord, type Ban, type MsgRegisterDevice, type PublicKeyMsg, type ServiceMsg,
} from './types.ts';

export const MODULE_NAME = 'devices';
export const STORE_PREFIX = new TextEncoder().encode('devices/');

// Store layout (README "State").
export const K = {
  params: 0x00,
  manufacturer: 0x01,
  device: 0x02,
  byKey: 0x03,
  bySerial: 0x04,
  byOwner: 0x05,
  byManufacturer: 0x06,
  byCell: 0x07,
  location: 0x08,
  ban: 0x09,
  banExpiry: 0x0a,
  nonce: 0x0b,
  nextId: 0x0c,
} as const;

const enc = new TextEncoder();
const dec = new TextDecoder();
const ONE = Uint8Array.of(1);
const b = storeKey;
const lp1 = (x: Uint8Array) => concat(Uint8Array.of(x.length), x);
/** Records decoded once per stored byte array and shared, frozen, by every reader of it. */
class SharedDecodes<T extends object> {
  private readonly memo = new WeakMap<Uint8Array, Readonly<T>>();
  private readonly decode: (raw: Uint8Array) => T;

  constructor(decode: (raw: Uint8Array) => T) {
    this.decode = decode;
  }

  of(raw: Uint8Array): Readonly<T> {
    let v = this.memo.get(raw);
    if (!v) {
      v = deepFreeze(this.decode(raw));
      this.memo.set(raw, v);
    }
    return v;
  }
}

/** Freezes a decoded record and the plain objects and arrays in it (typed arrays cannot be frozen). */
function deepFreeze<T extends object>(v: T): Readonly<T> {
  for (const x of Object.values(v)) if (x !== null && typeof x === 'object' && !ArrayBuffer.isView(x)) deepFreeze(x as object);
  return Object.freeze(v);
}

const idOf = (k: Uint8Array) => new DataView(k.buffer, k.byteOffset + k.length - 8, 8).getBigUint64(0);

export const keys = {
  manufacturer: (id: string) => b(K.manufacturer, enc.encode(id)),
  device: (id: bigint) => b(K.device, id),
  byKey: (keyType: number, key: Uint8Array) => b(K.byKey, Uint8Array.of(keyType), key),
  bySerial: (mfr: string, serial: Uint8Array) => b(K.bySerial, lp1(enc.encode(mfr)), serial),
  ownerPrefix: (owner: string) => b(K.byOwner, lp1(fromBech32(owner))),
  byOwner: (owner: string, id: bigint) => b(K.byOwner, lp1(fromBech32(owner)), id),
  manufacturerPrefix: (mfr: string) => b(K.byManufacturer, lp1(enc.encode(mfr))),
  byManufacturer: (mfr: string, id: bigint) => b(K.byManufacturer, lp1(enc.encode(mfr)), id),
  byCell: (cell: bigint, id: bigint) => b(K.byCell, cell, id),
  locationPrefix: (id: bigint) => b(K.location, id),
  location: (id: bigint, seq: bigint) => b(K.location, id, seq),
  ban: (type: number, target: string) => b(K.ban, Uint8Array.of(type), enc.encode(target)),
  banExpiry: (height: bigint, type: number, target: string) => b(K.banExpiry, height, Uint8Array.of(type), enc.encode(target)),
  nonce: (owner: string) => b(K.nonce, fromBech32(owner)),
};

export type InactiveReason = '' | 'not_found' | 'deactivated' | 'banned' | 'manufacturer_revoked' | 'manufacturer_banned';

export interface Activity {
  active: boolean;
  reason: InactiveReason;
  /** The ban in force on the device itself, if any. */
  ban?: Ban;
}

/**
 * What other modules (proofs, rewards) may ask about devices. Everything is read-only except
 * through the devices module's own messages; every answer is a function of committed state and
 * ctx.block (never the wall clock).
 */
export interface DevicesKeeperI {
  /** Shared and frozen: read it, never change it. */
  getDevice(ctx: Context, id: bigint): Readonly<Device> | undefined;
  getDeviceByKey(ctx: Context, keyType: number, pubkey: Uint8Array): Readonly<Device> | undefined;
  /** Registered, not deactivated by its owner, not banned (bans past their expiry height count
   * as lifted), and its manufacturer neither revoked nor banned. A suspended manufacturer's
   * devices stay active. */
  isActive(ctx: Context, id: bigint): boolean;
  /** isActive with the reason when not active. */
  activity(ctx: Context, id: bigint): Activity;
  owner(ctx: Context, id: bigint): string | undefined;
  /** 1 coverage, 2 storage, 3 compute, 4 sensor. */
  sector(ctx: Context, id: bigint): number | undefined;
  /** H3 cell (resolution 12) of the last location assertion; 0n = never located. */
  locationCell(ctx: Context, id: bigint): bigint | undefined;
  /** Height seniority counts from: the first location assertion, reset by each relocation;
   * 0n = never located (no seniority). */
  seniorityStart(ctx: Context, id: bigint): bigint | undefined;
  publicKey(ctx: Context, id: bigint): { keyType: DeviceKeyType; key: Uint8Array } | undefined;
  /**
   * Verifies `sig` (64-byte r‖s, low-S, ECDSA over SHA-256) by the device's key over the envelope
   * lp(domain) ‖ lp(ctx.block.chainId) ‖ body. Charges signature gas. False for unknown devices,
   * bad or high-S signatures, and for domains under "depin/devices/" (reserved for registration
   * and attestation, so a proof can never double as one). Does not check isActive.
   */
  verifyDeviceSignature(ctx: Context, deviceId: bigint, domain: string, body: Uint8Array, sig: Uint8Array): boolean;
}

type Bank = Pick<BankKeeperI, 'balance' | 'sendCoinsFromAccountToModule' | 'burnCoins'>;

export interface ModuleAccounts {
  getOrCreateModuleAccount(ctx: Context, name: string, permissions?: string[]): unknown;
}

export interface RegistrationFailure {
  requirement: string;
  error: SdkError;
}

const cmpCoin = (fee: Coin | undefined, offered: Coin | undefined): boolean =>
  !fee || fee.amount === 0n || (!!offered && offered.denom === fee.denom && offered.amount >= fee.amount);

export class DevicesKeeper implements DevicesKeeperI {
  readonly bank: Bank;
  readonly accounts: ModuleAccounts;

  constructor(bank: Bank, accounts: ModuleAccounts) {
    this.bank = bank;
    this.accounts = accounts;
  }

  store(ctx: Context): KVStore {
    return ctx.kv(STORE_PREFIX);
  }

  // ------------------------------------------------------------------ params

  params(ctx: Context): Params {
    const raw = this.store(ctx).get(Uint8Array.of(K.params));
    return raw ? paramsFrom(ParamsCodec.decode(raw)) : paramsFrom({});
  }

  setParams(ctx: Context, p: Params): void {
    this.store(ctx).set(Uint8Array.of(K.params), encode(ParamsCodec, p));
  }

  requireAuthority(ctx: Context, signer: string): void {
    const authority = this.params(ctx).authority;
    if (!authority || signer !== authority) throw ErrNotAuthority.wrap(`expected ${authority || '(no authority configured)'}, got ${signer}`);
  }

  // ------------------------------------------------------------------ records

  // Device and manufacturer records are read several times per proof (the proof's checks, its
  // activity, the rewards hook) and rarely written. Reads return one decoded record per stored
  // byte array (the store hands out the same array until the value changes), frozen because every
  // reader shares it; the update paths below decode a copy of their own.
  private readonly devicesRead = new SharedDecodes((raw) => deviceFrom(DeviceCodec.decode(raw)));
  private readonly manufacturersRead = new SharedDecodes((raw) => manufacturerFrom(ManufacturerCodec.decode(raw)));

  getManufacturer(ctx: Context, id: string): Readonly<Manufacturer> | undefined {
    const raw = this.store(ctx).get(keys.manufacturer(id));
    return raw ? this.manufacturersRead.of(raw) : undefined;
  }

  /** The manufacturer as a record of its own, to change and write back. */
  private manufacturerForUpdate(ctx: Context, id: string): Manufacturer | undefined {
    const raw = this.store(ctx).get(keys.manufacturer(id));
    return raw ? manufacturerFrom(ManufacturerCodec.decode(raw)) : undefined;
  }

  setManufacturer(ctx: Context, m: Manufacturer): void {
    this.store(ctx).set(keys.manufacturer(m.id), encode(ManufacturerCodec, m));
  }

  getDevice(ctx: Context, id: bigint): Readonly<Device> | undefined {
    const raw = this.store(ctx).get(keys.device(id));
    return raw ? this.devicesRead.of(raw) : undefined;
  }

  /** The device as a record of its own, to change and write back. */
  private deviceForUpdate(ctx: Context, id: bigint): Device | undefined {
    const raw = this.store(ctx).get(keys.device(id));
    return raw ? deviceFrom(DeviceCodec.decode(raw)) : undefined;
  }

  private setDevice(ctx: Context, d: Device): void {
    this.store(ctx).set(keys.device(d.id), encode(DeviceCodec, d));
  }

  deviceIdByKey(ctx: Context, keyType: number, pubkey: Uint8Array): bigint | undefined {
    const raw = this.store(ctx).get(keys.byKey(keyType, pubkey));
    return raw ? idOf(raw) : undefined;
  }

  getDeviceByKey(ctx: Context, keyType: number, pubkey: Uint8Array): Readonly<Device> | undefined {
    const id = this.deviceIdByKey(ctx, keyType, pubkey);
    return id === undefined ? undefined : this.getDevice(ctx, id);
  }

  private nextId(ctx: Context): bigint {
    const raw = this.store(ctx).get(Uint8Array.of(K.nextId));
    return raw ? idOf(raw) : 1n;
  }

  lastNonce(ctx: Context, owner: string): bigint {
    const raw = this.store(ctx).get(keys.nonce(owner));
    return raw ? idOf(raw) : 0n;
  }

  /** The ban in force on a target at ctx's height (an expired, not yet swept ban is lifted). */
  activeBan(ctx: Context, type: number, target: string): Ban | undefined {
    const raw = this.store(ctx).get(keys.ban(type, target));
    if (!raw) return undefined;
    const ban = banFrom(BanCodec.decode(raw));
    return ban.expiresHeight !== 0n && ctx.block.height >= ban.expiresHeight ? undefined : ban;
  }

  // ------------------------------------------------------------------ DevicesKeeperI

  activityOf(ctx: Context, d: Device): Activity {
    if (d.status === DEVICE_DEACTIVATED) return { active: false, reason: 'deactivated', ban: this.activeBan(ctx, BAN_DEVICE, d.id.toString()) };
    const ban = this.activeBan(ctx, BAN_DEVICE, d.id.toString());
    if (ban) return { active: false, reason: 'banned', ban };
    const m = this.getManufacturer(ctx, d.manufacturerId);
    if (!m || m.status === MFR_REVOKED) return { active: false, reason: 'manufacturer_revoked' };
    if (this.activeBan(ctx, BAN_MANUFACTURER, d.manufacturerId)) return { active: false, reason: 'manufacturer_banned' };
    return { active: true, reason: '' };
  }

  activity(ctx: Context, id: bigint): Activity {
    const d = this.getDevice(ctx, id);
    return d ? this.activityOf(ctx, d) : { active: false, reason: 'not_found' };
  }

  isActive(ctx: Context, id: bigint): boolean {
    return this.activity(ctx, id).active;
  }

  owner(ctx: Context, id: bigint): string | undefined {
    return this.getDevice(ctx, id)?.owner;
  }

  sector(ctx: Context, id: bigint): number | undefined {
    return this.getDevice(ctx, id)?.sector;
  }

  locationCell(ctx: Context, id: bigint): bigint | undefined {
    return this.getDevice(ctx, id)?.locationCell;
  }

  seniorityStart(ctx: Context, id: bigint): bigint | undefined {
    return this.getDevice(ctx, id)?.seniorityHeight;
  }

  publicKey(ctx: Context, id: bigint): { keyType: DeviceKeyType; key: Uint8Array } | undefined {
    const d = this.getDevice(ctx, id);
    return d ? { keyType: d.pubkey.keyType as DeviceKeyType, key: d.pubkey.key } : undefined;
  }

  verifyDeviceSignature(ctx: Context, deviceId: bigint, domain: string, body: Uint8Array, sig: Uint8Array): boolean {
    const d = this.getDevice(ctx, deviceId);
    return d !== undefined && this.verifyDeviceSignatureOf(ctx, d, domain, body, sig);
  }

  /** verifyDeviceSignature() for a device record already read (saves decoding it again). */
  verifyDeviceSignatureOf(ctx: Context, d: Device, domain: string, body: Uint8Array, sig: Uint8Array): boolean {
    if (!domain || domain.startsWith(RESERVED_DOMAIN_PREFIX)) return false;
    ctx.gasMeter.consume(VERIFY_GAS[d.pubkey.keyType as DeviceKeyType] ?? 1000, 'device signature');
    return verifySignature(d.pubkey.keyType, d.pubkey.key, envelopePayload(domain, ctx.block.chainId, body), sig);
  }

  // ------------------------------------------------------------------ fees

  /** Burns `fee` from `payer` (through the module account), if the fee is non-zero. */
  private burnFee(ctx: Context, payer: string, fee: Coin | undefined): void {
    if (!fee || fee.amount === 0n) return;
    try {
      this.bank.sendCoinsFromAccountToModule(ctx, payer, MODULE_NAME, [fee]);
    } catch (err) {
      const e = toSdkError(err);
      if (e.codespace === 'sdk' && e.code === ErrInsufficientFunds.code) throw ErrInsufficientFunds.wrap(`cannot pay the fee of ${fee.amount}${fee.denom}: ${e.message}`);
      throw e;
    }
    this.bank.burnCoins(ctx, MODULE_NAME, [fee]);
  }

  private coinParam(c: ProtoCoin | null): Coin | undefined {
    return optionalCoin(c, 'fee parameter');
  }

  // ------------------------------------------------------------------ registration

  /**
   * Every requirement of a registration, in the order a transaction checks them. With
   * `firstOnly` it stops at the first failure (the transaction path); the RegistrationCheck query
   * collects all of them. Requirements that depend on a failed one (e.g. the attestation, when
   * the manufacturer is unknown) are skipped rather than reported twice.
   */
  evaluateRegistration(ctx: Context, m: MsgRegisterDevice, firstOnly: boolean): RegistrationFailure[] {
    const failures: RegistrationFailure[] = [];
    const fail = (requirement: string, error: SdkError): boolean => {
      failures.push({ requirement, error });
      return firstOnly;
    };
    try {
      validateRegistration(m);
    } catch (err) {
      fail('valid_message', toSdkError(err));
      return failures;
    }
    const pk = m.pubkey!;
    const nonce = u64(m.nonce);
    const mfr = this.getManufacturer(ctx, m.manufacturerId);
    if (!mfr) {
      if (fail('manufacturer_known', ErrUnknownManufacturer.wrap(`no manufacturer ${JSON.stringify(m.manufacturerId)}`))) return failures;
    } else {
      if (mfr.status !== MFR_ACTIVE) {
        if (fail('manufacturer_active', ErrManufacturerNotActive.wrap(`manufacturer ${mfr.id} is ${MFR_STATUS_NAMES[mfr.status] ?? mfr.status}`))) return failures;
      } else if (this.activeBan(ctx, BAN_MANUFACTURER, mfr.id)) {
        if (fail('manufacturer_active', ErrBanned.wrap(`manufacturer ${mfr.id} is banned`))) return failures;
      }
      const bond = optionalCoin(mfr.bond, 'bond')?.amount ?? 0n;
      const bonded = optionalCoin(mfr.bonded, 'bonded')?.amount ?? 0n;
      if (bonded < bond && fail('manufacturer_bonded', ErrBondNotPosted.wrap(`manufacturer ${mfr.id} has ${bonded}${BOND_DENOM} of its ${bond}${BOND_DENOM} bond`))) return failures;
      if (!mfr.models.includes(m.model) && fail('model_allowed', ErrModelNotAllowed.wrap(`model ${m.model} is not one of ${mfr.id}'s models (${mfr.models.join(', ')})`))) return failures;
      const payload = attestationPayload({ manufacturerId: mfr.id, keyType: pk.keyType, devicePubkey: pk.key, model: m.model, serialHash: m.serialHash });
      let attested = false;
      for (const ak of mfr.attestationKeys) {
        ctx.gasMeter.consume(VERIFY_GAS[ak.keyType as DeviceKeyType] ?? 1000, 'attestation signature');
        if (verifySignature(ak.keyType, ak.key, payload, m.attestation)) {
          attested = true;
          break;
        }
      }
      if (!attested && fail('attestation_valid', ErrInvalidAttestation.wrap(`no attestation key of ${mfr.id} signed (device key, model ${m.model}, serial hash)`))) return failures;
    }
    ctx.gasMeter.consume(VERIFY_GAS[pk.keyType as DeviceKeyType] ?? 1000, 'device signature');
    if (!verifySignature(pk.keyType, pk.key, registrationPayload(ctx.block.chainId, m.owner, nonce), m.deviceSignature)) {
      if (fail('device_signature_valid', ErrInvalidDeviceSignature.wrap(`the device key did not sign (chain ${ctx.block.chainId}, owner ${m.owner}, nonce ${nonce})`))) return failures;
    }
    const last = this.lastNonce(ctx, m.owner);
    if (nonce <= last && fail('nonce_fresh', ErrStaleNonce.wrap(`nonce ${nonce} must be greater than ${m.owner}'s last registration nonce ${last}`))) return failures;
    const existing = this.deviceIdByKey(ctx, pk.keyType, pk.key);
    if (existing !== undefined && fail('key_unregistered', ErrDeviceKeyExists.wrap(`the key is device ${existing}`))) return failures;
    const serialOwner = this.store(ctx).get(keys.bySerial(m.manufacturerId, m.serialHash));
    if (serialOwner && fail('serial_unregistered', ErrSerialExists.wrap(`serial hash ${Buffer.from(m.serialHash).toString('hex')} is device ${idOf(serialOwner)}`))) return failures;
    if (mfr && mfr.devicesRegistered >= mfr.deviceQuota) {
      if (fail('quota_available', ErrQuotaExceeded.wrap(`${mfr.id} has registered ${mfr.devicesRegistered} of ${mfr.deviceQuota} devices`))) return failures;
    }
    const fee = this.coinParam(this.params(ctx).registrationFee);
    const offered = optionalCoin(m.maxFee, 'max fee');
    if (!cmpCoin(fee, offered)) {
      if (fail('fee_offered', ErrInsufficientFee.wrap(`registration fee is ${fee!.amount}${fee!.denom}, max fee offered ${offered ? formatCoins([offered]) : 'none'}`))) return failures;
    } else if (fee && fee.amount > 0n) {
      const have = this.bank.balance(ctx, m.owner, fee.denom);
      if (have < fee.amount) fail('fee_funds', ErrInsufficientFunds.wrap(`cannot pay the registration fee of ${fee.amount}${fee.denom}: balance ${have}${fee.denom}`));
    }
    return failures;
  }

  register(ctx: Context, m: MsgRegisterDevice): Device {
    const failures = this.evaluateRegistration(ctx, m, true);
    if (failures.length) throw failures[0]!.error;
    const s = this.store(ctx);
    const id = this.nextId(ctx);
    s.set(Uint8Array.of(K.nextId), u64be(id + 1n));
    const pk = m.pubkey!;
    const d: Device = {
      id,
      owner: m.owner,
      pubkey: { keyType: pk.keyType, key: Uint8Array.from(pk.key) },
      manufacturerId: m.manufacturerId,
      model: m.model,
      sector: m.sector,
      hardwareClass: m.hardwareClass,
      serialHash: Uint8Array.from(m.serialHash),
      status: DEVICE_ACTIVE,
      registeredHeight: ctx.block.height,
      locationCell: 0n,
      locationHeight: 0n,
      seniorityHeight: 0n,
      locationCount: 0n,
      metadata: m.metadata,
      services: [],
      registrationNonce: u64(m.nonce),
    };
    this.setDevice(ctx, d);
    this.index(ctx, d);
    s.set(keys.nonce(m.owner), u64be(d.registrationNonce));
    const mfr = this.manufacturerForUpdate(ctx, m.manufacturerId)!;
    mfr.devicesRegistered += 1n;
    this.setManufacturer(ctx, mfr);
    const fee = this.coinParam(this.params(ctx).registrationFee);
    this.burnFee(ctx, m.owner, fee);
    ctx.events.emit(event('device_registered', {
      device_id: id.toString(), owner: m.owner, did: deviceDid(d), manufacturer_id: m.manufacturerId, model: m.model,
      sector: SECTOR_NAMES[m.sector]!, key_type: pk.keyType === KEY_TYPE_SECP256K1 ? 'secp256k1' : 'p256', fee: fee ? formatCoins([fee]) : '',
    }));
    return d;
  }

  /** Key, serial, owner, manufacturer and cell indexes of a device record. */
  private index(ctx: Context, d: Device): void {
    const s = this.store(ctx);
    s.set(keys.byKey(d.pubkey.keyType, d.pubkey.key), u64be(d.id));
    s.set(keys.bySerial(d.manufacturerId, d.serialHash), u64be(d.id));
    s.set(keys.byOwner(d.owner, d.id), ONE);
    s.set(keys.byManufacturer(d.manufacturerId, d.id), ONE);
    if (d.locationCell !== 0n) s.set(keys.byCell(d.locationCell, d.id), ONE);
  }

  // ------------------------------------------------------------------ device lifecycle

  /** The device, if `signer` owns it. */
  ownedDevice(ctx: Context, id: bigint, signer: string): Device {
    const d = this.deviceForUpdate(ctx, id);
    if (!d) throw ErrDeviceNotFound.wrap(`device ${id}`);
    if (d.owner !== signer) throw ErrNotOwner.wrap(`device ${id} is owned by ${d.owner}`);
    return d;
  }

  private requireUsable(ctx: Context, d: Device): void {
    const a = this.activityOf(ctx, d);
    if (a.active) return;
    if (a.reason === 'banned' || a.reason === 'manufacturer_banned') throw ErrBanned.wrap(`device ${d.id}: ${a.reason}`);
    throw ErrDeviceInactive.wrap(`device ${d.id}: ${a.reason}`);
  }

  assertLocation(ctx: Context, owner: string, id: bigint, cell: bigint, maxFee: ProtoCoin | null | undefined): boolean {
    const d = this.ownedDevice(ctx, id, owner);
    this.requireUsable(ctx, d);
    if (!isValidCell(cell)) throw ErrInvalidCell.wrap(`${cell} (0x${cell.toString(16)}) is not a valid H3 cell`);
    if (resolutionOf(cell) !== LOCATION_RESOLUTION) throw ErrInvalidCell.wrap(`locations are H3 cells of resolution ${LOCATION_RESOLUTION}, got resolution ${resolutionOf(cell)}`);
    if (cell === d.locationCell) throw ErrLocationUnchanged.wrap(`device ${id} is already at ${cellToString(cell)}`);
    const p = this.params(ctx);
    if (d.locationCount > 0n && ctx.block.height < d.locationHeight + p.locationCooldownBlocks) {
      throw ErrLocationCooldown.wrap(`last assertion at height ${d.locationHeight}; next allowed at ${d.locationHeight + p.locationCooldownBlocks}`);
    }
    const fee = this.coinParam(p.locationFee);
    const offered = optionalCoin(maxFee, 'max fee');
    if (!cmpCoin(fee, offered)) throw ErrInsufficientFee.wrap(`location fee is ${fee!.amount}${fee!.denom}, max fee offered ${offered ? formatCoins([offered]) : 'none'}`);
    this.burnFee(ctx, owner, fee);

    const s = this.store(ctx);
    const previous = d.locationCell;
    const relocation = previous !== 0n;
    if (relocation) s.delete(keys.byCell(previous, id));
    s.set(keys.byCell(cell, id), ONE);
    const seq = d.locationCount;
    const record: LocationRecord = { deviceId: id, seq, cell, height: ctx.block.height, time: { seconds: ctx.block.time.seconds, nanos: ctx.block.time.nanos } };
    s.set(keys.location(id, seq), encode(LocationRecordCodec, { ...record, time: record.time }));
    const limit = BigInt(p.locationHistoryLimit);
    if (limit > 0n && seq >= limit) s.delete(keys.location(id, seq - limit));
    d.locationCell = cell;
    d.locationHeight = ctx.block.height;
    d.seniorityHeight = ctx.block.height; // first location starts seniority; a relocation restarts it
    d.locationCount = seq + 1n;
    this.setDevice(ctx, d);
    ctx.events.emit(event('device_location_asserted', {
      device_id: id.toString(), owner, cell: cellToString(cell), previous_cell: relocation ? cellToString(previous) : '',
      seniority_reset: String(relocation), fee: fee ? formatCoins([fee]) : '',
    }));
    return relocation;
  }

  transfer(ctx: Context, owner: string, id: bigint, newOwner: string): void {
    const d = this.ownedDevice(ctx, id, owner);
    if (newOwner === owner) throw ErrInvalidField.wrap('new owner is the current owner');
    if (this.activeBan(ctx, BAN_DEVICE, id.toString())) throw ErrBanned.wrap(`device ${id} is banned and cannot change hands`);
    const s = this.store(ctx);
    s.delete(keys.byOwner(owner, id));
    s.set(keys.byOwner(newOwner, id), ONE);
    d.owner = newOwner;
    this.setDevice(ctx, d);
    ctx.events.emit(event('device_transferred', { device_id: id.toString(), from: owner, to: newOwner }));
  }

  update(ctx: Context, owner: string, id: bigint, metadata: string, services: ServiceMsg[]): void {
    const d = this.ownedDevice(ctx, id, owner);
    d.metadata = metadata;
    d.services = services.map((x) => ({ id: x.id, type: x.type, endpoint: x.endpoint }));
    this.setDevice(ctx, d);
    ctx.events.emit(event('device_updated', { device_id: id.toString(), owner }));
  }

  /** The device's own account sets the "proofs" service of its DID document. */
  announceEndpoint(ctx: Context, signer: string, id: bigint, endpoint: string): void {
    const d = this.deviceForUpdate(ctx, id);
    if (!d) throw ErrDeviceNotFound.wrap(`device ${id}`);
    if (d.pubkey.keyType !== KEY_TYPE_SECP256K1) throw ErrNotDeviceAccount.wrap(`device ${id} has a P-256 key, which cannot sign Cosmos transactions; its owner sets its services`);
    const own = accountAddress(d.pubkey.key);
    if (signer !== own) throw ErrNotDeviceAccount.wrap(`device ${id}'s account is ${own}, not ${signer}`);
    this.requireUsable(ctx, d);
    const others = d.services.filter((x) => x.id !== PROOF_SERVICE_ID);
    if (others.length >= 8) throw ErrInvalidField.wrap('the device already has the maximum number of services');
    d.services = [...others, { id: PROOF_SERVICE_ID, type: PROOF_SERVICE_TYPE, endpoint }].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    this.setDevice(ctx, d);
    ctx.events.emit(event('device_endpoint_announced', { device_id: id.toString(), endpoint }));
  }

  setDeviceStatus(ctx: Context, owner: string, id: bigint, status: number): void {
    const d = this.ownedDevice(ctx, id, owner);
    const from = status === DEVICE_ACTIVE ? DEVICE_DEACTIVATED : DEVICE_ACTIVE;
    if (d.status !== from) throw ErrInvalidStatus.wrap(`device ${id} is already ${d.status === DEVICE_ACTIVE ? 'active' : 'deactivated'}`);
    d.status = status;
    this.setDevice(ctx, d);
    ctx.events.emit(event(status === DEVICE_ACTIVE ? 'device_reactivated' : 'device_deactivated', { device_id: id.toString(), owner }));
  }

  // ------------------------------------------------------------------ manufacturers

  addManufacturer(ctx: Context, m: Manufacturer): void {
    if (this.getManufacturer(ctx, m.id)) throw ErrManufacturerExists.wrap(m.id);
    this.setManufacturer(ctx, m);
    ctx.events.emit(event('manufacturer_added', { manufacturer_id: m.id, operator: m.operator, device_quota: m.deviceQuota.toString(), bond: m.bond ? `${m.bond.amount}${m.bond.denom}` : '' }));
  }

  updateManufacturer(ctx: Context, u: Pick<Manufacturer, 'id' | 'name' | 'operator' | 'attestationKeys' | 'models' | 'deviceQuota' | 'bond'>): void {
    const m = this.getManufacturer(ctx, u.id);
    if (!m) throw ErrUnknownManufacturer.wrap(u.id);
    if (m.status === MFR_REVOKED) throw ErrInvalidStatus.wrap(`manufacturer ${u.id} is revoked`);
    this.setManufacturer(ctx, { ...m, ...u });
    ctx.events.emit(event('manufacturer_updated', { manufacturer_id: u.id }));
  }

  setManufacturerStatus(ctx: Context, id: string, status: number, reason: number, slash: boolean): void {
    const m = this.manufacturerForUpdate(ctx, id);
    if (!m) throw ErrUnknownManufacturer.wrap(id);
    if (!MFR_STATUS_NAMES[status]) throw ErrInvalidStatus.wrap(`unknown status ${status}`);
    if (m.status === MFR_REVOKED) throw ErrInvalidStatus.wrap(`manufacturer ${id} is revoked; revocation is final`);
    let slashed = '';
    if (slash) {
      const bonded = optionalCoin(m.bonded, 'bonded');
      if (bonded && bonded.amount > 0n) {
        this.bank.burnCoins(ctx, MODULE_NAME, [bonded]);
        slashed = formatCoins([bonded]);
      }
      m.bonded = { denom: BOND_DENOM, amount: '0' };
    }
    m.status = status;
    m.statusReason = reason;
    m.statusHeight = ctx.block.height;
    this.setManufacturer(ctx, m);
    ctx.events.emit(event('manufacturer_status', { manufacturer_id: id, status: MFR_STATUS_NAMES[status]!, reason_code: String(reason), slashed }));
  }

  bondManufacturer(ctx: Context, operator: string, id: string, amount: Coin): void {
    const m = this.manufacturerForUpdate(ctx, id);
    if (!m) throw ErrUnknownManufacturer.wrap(id);
    if (m.operator !== operator) throw ErrNotOperator.wrap(`manufacturer ${id}'s operator is ${m.operator}`);
    if (m.status === MFR_REVOKED) throw ErrManufacturerNotActive.wrap(`manufacturer ${id} is revoked`);
    if (amount.denom !== BOND_DENOM || amount.amount <= 0n) throw ErrInvalidField.wrap(`bond must be a positive amount of ${BOND_DENOM}`);
    this.bank.sendCoinsFromAccountToModule(ctx, operator, MODULE_NAME, [amount]);
    const bonded = (optionalCoin(m.bonded, 'bonded')?.amount ?? 0n) + amount.amount;
    m.bonded = coinToProto({ denom: BOND_DENOM, amount: bonded });
    this.setManufacturer(ctx, m);
    ctx.events.emit(event('manufacturer_bonded', { manufacturer_id: id, operator, amount: formatCoins([amount]), bonded: `${bonded}${BOND_DENOM}` }));
  }

  // ------------------------------------------------------------------ bans

  ban(ctx: Context, type: number, target: string, reason: number, evidence: Uint8Array, duration: bigint): bigint {
    if (type === BAN_DEVICE) {
      if (!/^[1-9][0-9]{0,19}$/.test(target) || BigInt(target) >= 1n << 64n || !this.getDevice(ctx, BigInt(target))) throw ErrDeviceNotFound.wrap(`device ${target}`);
    } else if (type === BAN_MANUFACTURER) {
      if (!this.getManufacturer(ctx, target)) throw ErrUnknownManufacturer.wrap(target);
    } else throw ErrInvalidField.wrap(`ban target type must be device (1) or manufacturer (2), got ${type}`);
    const s = this.store(ctx);
    const old = s.get(keys.ban(type, target));
    if (old) {
      const prev = banFrom(BanCodec.decode(old));
      if (prev.expiresHeight !== 0n) s.delete(keys.banExpiry(prev.expiresHeight, type, target));
    }
    const expires = duration === 0n ? 0n : ctx.block.height + duration;
    const ban: Ban = { targetType: type, targetId: target, reasonCode: reason, evidenceHash: Uint8Array.from(evidence), height: ctx.block.height, expiresHeight: expires, appeal: null };
    s.set(keys.ban(type, target), encode(BanCodec, ban));
    if (expires !== 0n) s.set(keys.banExpiry(expires, type, target), ONE);
    ctx.events.emit(event('ban', {
      target_type: BAN_TARGET_NAMES[type]!, target_id: target, reason_code: String(reason), evidence_hash: Buffer.from(evidence).toString('hex'), expires_height: expires.toString(),
    }));
    return expires;
  }

  private liftBan(ctx: Context, ban: Ban, reason: 'unban' | 'expired'): void {
    const s = this.store(ctx);
    s.delete(keys.ban(ban.targetType, ban.targetId));
    if (ban.expiresHeight !== 0n) s.delete(keys.banExpiry(ban.expiresHeight, ban.targetType, ban.targetId));
    ctx.events.emit(event('ban_lifted', { target_type: BAN_TARGET_NAMES[ban.targetType]!, target_id: ban.targetId, reason }));
  }

  unban(ctx: Context, type: number, target: string): void {
    const ban = this.activeBan(ctx, type, target);
    if (!ban) throw ErrNotBanned.wrap(`${BAN_TARGET_NAMES[type] ?? type} ${target}`);
    this.liftBan(ctx, ban, 'unban');
  }

  appeal(ctx: Context, appellant: string, type: number, target: string, statement: string, evidence: Uint8Array): void {
    const ban = this.activeBan(ctx, type, target);
    if (!ban) throw ErrNotBanned.wrap(`${BAN_TARGET_NAMES[type] ?? type} ${target}`);
    if (type === BAN_DEVICE) {
      const owner = this.getDevice(ctx, BigInt(target))?.owner;
      if (owner !== appellant) throw ErrNotOwner.wrap(`device ${target} is owned by ${owner}`);
    } else {
      const operator = this.getManufacturer(ctx, target)?.operator;
      if (operator !== appellant) throw ErrNotOperator.wrap(`manufacturer ${target}'s operator is ${operator}`);
    }
    if (ban.appeal) throw ErrAppealExists.wrap(`appeal filed at height ${ban.appeal.height}`);
    ban.appeal = { appellant, statement, evidenceHash: Uint8Array.from(evidence), height: ctx.block.height };
    this.store(ctx).set(keys.ban(type, target), encode(BanCodec, ban));
    ctx.events.emit(event('ban_appeal', { target_type: BAN_TARGET_NAMES[type]!, target_id: target, appellant, evidence_hash: Buffer.from(evidence).toString('hex') }));
  }

  /** End block: bans whose expiry height has come lift themselves. */
  sweepExpiredBans(ctx: Context): void {
    const s = this.store(ctx);
    const start = Uint8Array.of(K.banExpiry);
    const end = b(K.banExpiry, ctx.block.height + 1n);
    const due: Uint8Array[] = [];
    for (const [k] of s.iterator(start, end)) due.push(Uint8Array.from(k));
    for (const k of due) {
      const type = k[9]!;
      const target = dec.decode(k.subarray(10));
      const raw = s.get(keys.ban(type, target));
      if (raw) this.liftBan(ctx, banFrom(BanCodec.decode(raw)), 'expired');
      else s.delete(k);
    }
  }

  // ------------------------------------------------------------------ genesis

  importDevice(ctx: Context, d: Device): void {
    this.setDevice(ctx, d);
    this.index(ctx, d);
    if (d.id >= this.nextId(ctx)) this.store(ctx).set(Uint8Array.of(K.nextId), u64be(d.id + 1n));
  }

  importLocation(ctx: Context, r: LocationRecord): void {
    this.store(ctx).set(keys.location(r.deviceId, r.seq), encode(LocationRecordCodec, r));
  }

  importBan(ctx: Context, ban: Ban): void {
    this.store(ctx).set(keys.ban(ban.targetType, ban.targetId), encode(BanCodec, ban));
    if (ban.expiresHeight !== 0n) this.store(ctx).set(keys.banExpiry(ban.expiresHeight, ban.targetType, ban.targetId), ONE);
  }

  setNonce(ctx: Context, owner: string, nonce: bigint): void {
    this.store(ctx).set(keys.nonce(owner), u64be(nonce));
  }

  setNextId(ctx: Context, id: bigint): void {
    this.store(ctx).set(Uint8Array.of(K.nextId), u64be(id));
  }

  nextDeviceId(ctx: Context): bigint {
    return this.nextId(ctx);
  }

  *iterate<T>(ctx: Context, prefix: number, map: (k: Uint8Array, v: Uint8Array) => T): Generator<T> {
    const p = Uint8Array.of(prefix);
    for (const [k, v] of this.store(ctx).iterator(p, prefixEnd(p))) yield map(k, v);
  }

  *nonces(ctx: Context): Generator<{ owner: string; nonce: bigint }> {
    yield* this.iterate(ctx, K.nonce, (k, v) => ({ owner: toBech32(ACCOUNT_PREFIX, k.subarray(1)), nonce: idOf(v) }));
  }

  static publicKeyEquals(a: PublicKeyMsg, b2: PublicKeyMsg): boolean {
    return a.keyType === b2.keyType && Buffer.compare(a.key, b2.key) === 0;
  }
}

export { idOf, locationFrom };

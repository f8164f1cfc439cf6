// The devices module: device identity (manufacturer attestation + proof of key possession),
// locations, lifecycle, bans and appeals, DIDs; its messages, queries, genesis and end block.
import type { AppModule, MsgDef, QueryDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { u64 } from '../../chain/codec/proto.ts';
import { messageFromJson, messageToJson } from '../../chain/codec/proto-json.ts';
import { paginate, type PageRequest } from '../../chain/pagination.ts';
import { coinToProto } from '../../chain/coins.ts';
import { ErrInvalidRequest } from '../../chain/errors.ts';
import { moduleAddress } from '../auth/keeper.ts';
import { prefixEnd } from '../../chain/store/kv.ts';
import { DevicesKeeper, K, keys, STORE_PREFIX, MODULE_NAME, idOf } from './keeper.ts';
import { ErrDeviceNotFound, ErrInvalidField, ErrUnknownManufacturer, ErrNotBanned, ErrInvalidCell } from './errors.ts';
import { parseDidKey, KEY_TYPE_SECP256K1, KEY_TYPE_P256 } from './keys.ts';
import { deviceDid, didDocument, didDocumentMsg } from './did.ts';
import { isValidCell, resolutionOf, descendantRange, LOCATION_RESOLUTION } from './h3.ts';
import { u64be, concat } from '../../chain/codec/bytes.ts';
import {
  checkAddress, checkManufacturerId, checkToken, checkPublicKey, checkMetadata, checkServices, checkHash32, checkEndpoint,
  optionalCoin, validateRegistration, BOND_DENOM, LIMITS,
} from './validate.ts';
import * as T from './types.ts';

const full = (k: Uint8Array) => concat(STORE_PREFIX, k);

// ------------------------------------------------------------------ stateless checks

function checkManufacturerFields(m: Omit<T.MsgManufacturerFields, 'authority'>): void {
  checkManufacturerId(m.id);
  if (!m.name || [...m.name].length > LIMITS.nameChars) throw ErrInvalidField.wrap(`name must be 1-${LIMITS.nameChars} characters`);
  checkAddress(m.operator, 'operator');
  if (m.attestationKeys.length === 0 || m.attestationKeys.length > LIMITS.attestationKeys) throw ErrInvalidField.wrap(`1-${LIMITS.attestationKeys} attestation keys`);
  const seen = new Set<string>();
  for (const k of m.attestationKeys) {
    checkPublicKey(k, 'attestation key');
    const id = `${k.keyType}:${Buffer.from(k.key).toString('hex')}`;
    if (seen.has(id)) throw ErrInvalidField.wrap('duplicate attestation key');
    seen.add(id);
  }
  if (m.models.length === 0 || m.models.length > LIMITS.models) throw ErrInvalidField.wrap(`1-${LIMITS.models} models`);
  for (const model of m.models) checkToken(model, 'model');
  if (new Set(m.models).size !== m.models.length) throw ErrInvalidField.wrap('duplicate model');
  const bond = optionalCoin(m.bond, 'bond');
  if (bond && bond.denom !== BOND_DENOM) throw ErrInvalidField.wrap(`bond must be in ${BOND_DENOM}`);
}

function checkAuthorityAndFields(m: T.MsgManufacturerFields): void {
  checkAddress(m.authority, 'authority');
  checkManufacturerFields(m);
}

function manufacturerFields(m: T.MsgManufacturerFields) {
  return {
    id: m.id,
    name: m.name,
    operator: m.operator,
    attestationKeys: m.attestationKeys.map((k) => ({ keyType: k.keyType, key: Uint8Array.from(k.key) })),
    models: [...m.models],
    deviceQuota: u64(m.deviceQuota),
    bond: coinToProto({ denom: BOND_DENOM, amount: optionalCoin(m.bond, 'bond')?.amount ?? 0n }),
  };
}

function checkParams(p: T.Params): void {
  if (p.authority) checkAddress(p.authority, 'authority');
  optionalCoin(p.registrationFee, 'registration fee');
  optionalCoin(p.locationFee, 'location fee');
}

const deviceId = (v: unknown, field = 'device id'): bigint => {
  const id = u64(v as never);
  if (id === 0n) throw ErrInvalidField.wrap(`${field} is required`);
  return id;
};

// ------------------------------------------------------------------ genesis

export interface DevicesGenesis {
  params: Record<string, unknown>;
  manufacturers: unknown[];
  devices: unknown[];
  locations: unknown[];
  bans: unknown[];
  nonces: unknown[];
  next_device_id: string;
}

export const DEFAULT_PARAMS: T.Params = {
  authority: '',
  registrationFee: { denom: 'udpin', amount: '1000000' },
  locationFee: { denom: 'udpin', amount: '100000' },
  locationCooldownBlocks: 10n,
  locationHistoryLimit: 16,
};

export function defaultDevicesGenesis(params: T.Params = DEFAULT_PARAMS, manufacturers: T.Manufacturer[] = []): DevicesGenesis {
  return {
    params: messageToJson(T.ParamsCodec.type, params as never) as Record<string, unknown>,
    manufacturers: manufacturers.map((m) => messageToJson(T.ManufacturerCodec.type, m as never)),
    devices: [],
    locations: [],
    bans: [],
    nonces: [],
    next_device_id: '1',
  };
}

// ------------------------------------------------------------------ module

export function devicesModule(keeper: DevicesKeeper): AppModule {
  const def = <M>(name: T.MsgName, signer: (m: M) => string, validateBasic: (m: M) => void, handle: (ctx: Context, m: M) => object): MsgDef<M> => {
    const codec = T.Msgs[name] as unknown as MsgDef<M>['codec'];
    const resp = T.response(name);
    return {
      typeUrl: codec.typeUrl,
      codec,
      responseTypeUrl: resp.typeUrl,
      signers: (m) => [signer(m)],
      validateBasic,
      handle: (ctx, m) => T.encode(resp, handle(ctx, m)),
    };
  };
  const ownerMsg = (m: { owner: string; deviceId: unknown }) => {
    checkAddress(m.owner, 'owner');
    deviceId(m.deviceId);
  };

  const msgs: MsgDef[] = [
    def<T.MsgRegisterDevice>('RegisterDevice', (m) => m.owner, validateRegistration, (ctx, m) => {
      const d = keeper.register(ctx, m);
      return { deviceId: d.id, did: deviceDid(d) };
    }),
    def<T.MsgAssertLocation>('AssertLocation', (m) => m.owner, (m) => {
      ownerMsg(m);
      const cell = u64(m.cell);
      if (!isValidCell(cell) || resolutionOf(cell) !== LOCATION_RESOLUTION) throw ErrInvalidCell.wrap(`${cell} is not a valid H3 cell of resolution ${LOCATION_RESOLUTION}`);
      optionalCoin(m.maxFee, 'max fee');
    }, (ctx, m) => ({ seniorityReset: keeper.assertLocation(ctx, m.owner, u64(m.deviceId), u64(m.cell), m.maxFee) })),
    def<T.MsgTransferDevice>('TransferDevice', (m) => m.owner, (m) => {
      ownerMsg(m);
      checkAddress(m.newOwner, 'new owner');
    }, (ctx, m) => (keeper.transfer(ctx, m.owner, u64(m.deviceId), m.newOwner), {})),
    def<T.MsgUpdateDevice>('UpdateDevice', (m) => m.owner, (m) => {
      ownerMsg(m);
      checkMetadata(m.metadata);
      checkServices(m.services);
    }, (ctx, m) => (keeper.update(ctx, m.owner, u64(m.deviceId), m.metadata, m.services), {})),
    def<T.MsgAnnounceEndpoint>('AnnounceEndpoint', (m) => m.deviceAccount, (m) => {
      checkAddress(m.deviceAccount, 'device account');
      deviceId(m.deviceId);
      checkEndpoint(m.endpoint);
    }, (ctx, m) => (keeper.announceEndpoint(ctx, m.deviceAccount, u64(m.deviceId), m.endpoint), {})),
    def<T.MsgDeviceOwner>('DeactivateDevice', (m) => m.owner, ownerMsg, (ctx, m) => (keeper.setDeviceStatus(ctx, m.owner, u64(m.deviceId), T.DEVICE_DEACTIVATED), {})),
    def<T.MsgDeviceOwner>('ReactivateDevice', (m) => m.owner, ownerMsg, (ctx, m) => (keeper.setDeviceStatus(ctx, m.owner, u64(m.deviceId), T.DEVICE_ACTIVE), {})),
    def<T.MsgAppealBan>('AppealBan', (m) => m.appellant, (m) => {
      checkAddress(m.appellant, 'appellant');
      if (!T.BAN_TARGET_NAMES[m.targetType]) throw ErrInvalidField.wrap('target type must be device (1) or manufacturer (2)');
      if (!m.targetId) throw ErrInvalidField.wrap('target id is required');
      if (!m.statement || Buffer.byteLength(m.statement) > LIMITS.statementBytes) throw ErrInvalidField.wrap(`statement must be 1-${LIMITS.statementBytes} bytes`);
      checkHash32(m.evidenceHash, 'evidence hash', true);
    }, (ctx, m) => (keeper.appeal(ctx, m.appellant, m.targetType, m.targetId, m.statement, m.evidenceHash), {})),
    def<T.MsgBondManufacturer>('BondManufacturer', (m) => m.operator, (m) => {
      checkAddress(m.operator, 'operator');
      checkManufacturerId(m.manufacturerId);
      const amount = optionalCoin(m.amount, 'amount');
      if (!amount || amount.amount <= 0n || amount.denom !== BOND_DENOM) throw ErrInvalidField.wrap(`amount must be a positive amount of ${BOND_DENOM}`);
    }, (ctx, m) => (keeper.bondManufacturer(ctx, m.operator, m.manufacturerId, optionalCoin(m.amount, 'amount')!), {})),
    def<T.MsgManufacturerFields>('AddManufacturer', (m) => m.authority, checkAuthorityAndFields, (ctx, m) => {
      keeper.requireAuthority(ctx, m.authority);
      keeper.addManufacturer(ctx, {
        ...manufacturerFields(m), devicesRegistered: 0n, bonded: { denom: BOND_DENOM, amount: '0' }, status: T.MFR_ACTIVE, statusReason: 0, statusHeight: ctx.block.height,
      });
      return {};
    }),
    def<T.MsgManufacturerFields>('UpdateManufacturer', (m) => m.authority, checkAuthorityAndFields, (ctx, m) => {
      keeper.requireAuthority(ctx, m.authority);
      keeper.updateManufacturer(ctx, manufacturerFields(m));
      return {};
    }),
    def<T.MsgSetManufacturerStatus>('SetManufacturerStatus', (m) => m.authority, (m) => {
      checkAddress(m.authority, 'authority');
      checkManufacturerId(m.manufacturerId);
      if (!T.MFR_STATUS_NAMES[m.status]) throw ErrInvalidField.wrap('status must be active (1), suspended (2) or revoked (3)');
    }, (ctx, m) => {
      keeper.requireAuthority(ctx, m.authority);
      keeper.setManufacturerStatus(ctx, m.manufacturerId, m.status, m.reasonCode, m.slashBond);
      return {};
    }),
    def<T.MsgBan>('Ban', (m) => m.authority, (m) => {
      checkAddress(m.authority, 'authority');
      if (!T.BAN_TARGET_NAMES[m.targetType]) throw ErrInvalidField.wrap('target type must be device (1) or manufacturer (2)');
      if (!m.targetId) throw ErrInvalidField.wrap('target id is required');
      if (!m.reasonCode) throw ErrInvalidField.wrap('reason code is required');
      checkHash32(m.evidenceHash, 'evidence hash');
    }, (ctx, m) => {
      keeper.requireAuthority(ctx, m.authority);
      return { expiresHeight: keeper.ban(ctx, m.targetType, m.targetId, m.reasonCode, m.evidenceHash, u64(m.durationBlocks)) };
    }),
    def<T.MsgUnban>('Unban', (m) => m.authority, (m) => {
      checkAddress(m.authority, 'authority');
      if (!T.BAN_TARGET_NAMES[m.targetType]) throw ErrInvalidField.wrap('target type must be device (1) or manufacturer (2)');
    }, (ctx, m) => {
      keeper.requireAuthority(ctx, m.authority);
      keeper.unban(ctx, m.targetType, m.targetId);
      return {};
    }),
    def<T.MsgUpdateParams>('UpdateParams', (m) => m.authority, (m) => {
      checkAddress(m.authority, 'authority');
      if (!m.params) throw ErrInvalidField.wrap('params are required');
      checkParams(T.paramsFrom(m.params));
    }, (ctx, m) => {
      keeper.requireAuthority(ctx, m.authority);
      keeper.setParams(ctx, T.paramsFrom(m.params!));
      ctx.events.emit({ type: 'devices_params_updated', attributes: [{ key: 'authority', value: m.authority, index: true }] });
      return {};
    }),
  ];

  // ---------------------------------------------------------------- queries

  const view = (ctx: Context, d: T.Device) => {
    const a = keeper.activityOf(ctx, d);
    return { device: d, did: deviceDid(d), active: a.active, inactiveReason: a.reason, ban: a.ban ?? null };
  };
  const viewById = (ctx: Context, id: bigint) => {
    const d = keeper.getDevice(ctx, id);
    return d ? view(ctx, d) : null;
  };
  const deviceOrThrow = (ctx: Context, id: bigint) => {
    const v = viewById(ctx, id);
    if (!v) throw ErrDeviceNotFound.wrap(`rpc error: code = NotFound desc = device ${id} not found`);
    return v;
  };
  const devicesPage = (ctx: Context, prefix: Uint8Array, page: PageRequest | null | undefined) => {
    const { items, page: pr } = paginate(ctx.store, full(prefix), page, (k) => idOf(k));
    return { devices: items.map((id) => viewById(ctx, id)).filter((v) => v !== null), pagination: pr };
  };
  const q = <Name extends T.QueryName>(name: Name, handle: (ctx: Context, req: any) => object): QueryDef => {
    const [req, res] = T.Q[name];
    return { path: T.queryPath(name), request: req as QueryDef['request'], handle: (ctx, r) => T.encode(res, handle(ctx, r)) };
  };

  const queries: QueryDef[] = [
    q('Params', (ctx) => ({ params: keeper.params(ctx) })),
    q('Device', (ctx, r) => ({ device: deviceOrThrow(ctx, deviceId(r.id, 'id')) })),
    q('DeviceByKey', (ctx, r: { pubkey: Uint8Array; keyType: number }) => {
      const types = r.keyType ? [r.keyType] : [KEY_TYPE_SECP256K1, KEY_TYPE_P256];
      for (const t of types) {
        const id = keeper.deviceIdByKey(ctx, t, r.pubkey);
        if (id !== undefined) return { device: deviceOrThrow(ctx, id) };
      }
      throw ErrDeviceNotFound.wrap(`rpc error: code = NotFound desc = no device with key ${Buffer.from(r.pubkey).toString('hex')}`);
    }),
    q('DeviceByDid', (ctx, r: { did: string }) => {
      let parsed;
      try {
        parsed = parseDidKey(r.did);
      } catch (err) {
        throw ErrInvalidRequest.wrap((err as Error).message);
      }
      const id = keeper.deviceIdByKey(ctx, parsed.keyType, parsed.key);
      if (id === undefined) throw ErrDeviceNotFound.wrap(`rpc error: code = NotFound desc = no device with DID ${r.did}`);
      const v = deviceOrThrow(ctx, id);
      const doc = didDocument(v.device, ctx.block.chainId);
      return { device: v, didDocument: didDocumentMsg(doc), didDocumentJson: JSON.stringify(doc) };
    }),
    q('DevicesByOwner', (ctx, r: { owner: string; pagination?: PageRequest }) => {
      checkAddress(r.owner, 'owner');
      return devicesPage(ctx, keys.ownerPrefix(r.owner), r.pagination);
    }),
    q('DevicesByManufacturer', (ctx, r: { manufacturerId: string; pagination?: PageRequest }) => {
      checkManufacturerId(r.manufacturerId);
      return devicesPage(ctx, keys.manufacturerPrefix(r.manufacturerId), r.pagination);
    }),
    q('DevicesByCell', (ctx, r: { cell: unknown; pagination?: PageRequest }) => {
      const cell = u64(r.cell as never);
      if (!isValidCell(cell) || resolutionOf(cell) > LOCATION_RESOLUTION) throw ErrInvalidCell.wrap(`${cell} is not a valid H3 cell of resolution 0..${LOCATION_RESOLUTION}`);
      const [lo, hi] = descendantRange(cell, LOCATION_RESOLUTION);
      return cellPage(ctx, lo, hi, r.pagination);
    }),
    q('LocationHistory', (ctx, r: { deviceId: unknown; pagination?: PageRequest }) => {
      const id = deviceId(r.deviceId);
      const { items, page } = paginate(ctx.store, full(keys.locationPrefix(id)), r.pagination, (_k, v) => T.locationFrom(T.LocationRecordCodec.decode(v)));
      return { records: items, pagination: page };
    }),
    q('Manufacturer', (ctx, r: { id: string }) => {
      const m = keeper.getManufacturer(ctx, r.id);
      if (!m) throw ErrUnknownManufacturer.wrap(`rpc error: code = NotFound desc = manufacturer ${r.id} not found`);
      return { manufacturer: m, ban: keeper.activeBan(ctx, T.BAN_MANUFACTURER, r.id) ?? null };
    }),
    q('Manufacturers', (ctx, r: { pagination?: PageRequest }) => {
      const { items, page } = paginate(ctx.store, full(Uint8Array.of(K.manufacturer)), r.pagination, (_k, v) => T.manufacturerFrom(T.ManufacturerCodec.decode(v)));
      return { manufacturers: items, pagination: page };
    }),
    q('Ban', (ctx, r: { targetType: number; targetId: string }) => {
      const ban = keeper.activeBan(ctx, r.targetType, r.targetId);
      if (!ban) throw ErrNotBanned.wrap(`rpc error: code = NotFound desc = ${T.BAN_TARGET_NAMES[r.targetType] ?? r.targetType} ${r.targetId} is not banned`);
      return { ban };
    }),
    q('Bans', (ctx, r: { pagination?: PageRequest }) => {
      const { items, page } = paginate(ctx.store, full(Uint8Array.of(K.ban)), r.pagination, (_k, v) => T.banFrom(T.BanCodec.decode(v)));
      return { bans: items.filter((x) => x.expiresHeight === 0n || ctx.block.height < x.expiresHeight), pagination: page };
    }),
    q('RegistrationNonce', (ctx, r: { owner: string }) => {
      checkAddress(r.owner, 'owner');
      return { lastNonce: keeper.lastNonce(ctx, r.owner) };
    }),
    q('RegistrationCheck', (ctx, r: { registration?: T.MsgRegisterDevice | null }) => {
      if (!r.registration) throw ErrInvalidRequest.wrap('registration is required');
      const failures = keeper.evaluateRegistration(ctx, r.registration, false);
      const fee = keeper.params(ctx).registrationFee;
      let lastNonce = 0n;
      try {
        lastNonce = keeper.lastNonce(ctx, r.registration.owner);
      } catch {
        /* invalid owner: reported as a failure */
      }
      return {
        ok: failures.length === 0,
        failures: failures.map((f) => ({ requirement: f.requirement, codespace: f.error.codespace, code: f.error.code, message: f.error.message })),
        requiredFee: fee,
        lastNonce,
      };
    }),
  ];

  /** Devices whose cell lies in [lo, hi] (all resolution-12 descendants of a coarser cell). */
  function cellPage(ctx: Context, lo: bigint, hi: bigint, req: PageRequest | null | undefined) {
    const base = full(Uint8Array.of(K.byCell));
    const limit = Number(u64(req?.limit) || 100n);
    const offset = Number(u64(req?.offset));
    const start = req?.key && req.key.length ? concat(base, req.key) : concat(base, u64be(lo));
    const end = prefixEnd(concat(base, u64be(hi)));
    const ids: bigint[] = [];
    let nextKey = new Uint8Array();
    let seen = 0;
    let total = 0;
    for (const [k] of ctx.store.iterator(start, end)) {
      total++;
      if (seen++ < offset) continue;
      if (ids.length >= Math.min(limit, 1000)) {
        if (!nextKey.length) nextKey = Uint8Array.from(k.subarray(base.length));
        if (!req?.countTotal) break;
        continue;
      }
      ids.push(idOf(k));
    }
    return {
      devices: ids.map((id) => viewById(ctx, id)).filter((v) => v !== null),
      pagination: { nextKey, total: req?.countTotal ? String(total) : '0' },
    };
  }

  return {
    name: MODULE_NAME,
    msgs,
    queries,
    endBlock: (ctx) => keeper.sweepExpiredBans(ctx),
    defaultGenesis: () => defaultDevicesGenesis(),
    initGenesis(ctx, raw) {
      const g = (raw ?? defaultDevicesGenesis()) as DevicesGenesis;
      const fromJson = <R>(codec: { type: import('protobufjs').Type }, j: unknown, conv: (m: any) => R): R => conv(messageFromJson(codec.type, j as never) ?? {});
      const params = fromJson(T.ParamsCodec, g.params ?? {}, T.paramsFrom);
      checkParams(params);
      keeper.setParams(ctx, params);
      keeper.accounts.getOrCreateModuleAccount(ctx, MODULE_NAME, ['burner']);
      let bondedTotal = 0n;
      for (const j of g.manufacturers ?? []) {
        const m = fromJson(T.ManufacturerCodec, j, T.manufacturerFrom);
        checkManufacturerFields(m);
        if (keeper.getManufacturer(ctx, m.id)) throw new Error(`genesis: duplicate manufacturer ${m.id}`);
        bondedTotal += optionalCoin(m.bonded, 'bonded')?.amount ?? 0n;
        keeper.setManufacturer(ctx, m);
      }
      const escrow = keeper.bank.balance(ctx, moduleAddress(MODULE_NAME), BOND_DENOM);
      if (escrow < bondedTotal) throw new Error(`genesis: manufacturers have ${bondedTotal}${BOND_DENOM} bonded but the devices module account holds ${escrow}${BOND_DENOM}`);
      for (const j of g.devices ?? []) {
        const d = fromJson(T.DeviceCodec, j, T.deviceFrom);
        checkPublicKey(d.pubkey);
        if (!keeper.getManufacturer(ctx, d.manufacturerId)) throw new Error(`genesis: device ${d.id} has unknown manufacturer ${d.manufacturerId}`);
        if (keeper.getDevice(ctx, d.id) || keeper.deviceIdByKey(ctx, d.pubkey.keyType, d.pubkey.key) !== undefined) throw new Error(`genesis: duplicate device ${d.id}`);
        keeper.importDevice(ctx, d);
      }
      for (const j of g.locations ?? []) keeper.importLocation(ctx, fromJson(T.LocationRecordCodec, j, T.locationFrom));
      for (const j of g.bans ?? []) keeper.importBan(ctx, fromJson(T.BanCodec, j, T.banFrom));
      for (const j of g.nonces ?? []) {
        const n = j as { owner: string; nonce: string };
        checkAddress(n.owner, 'nonce owner');
        keeper.setNonce(ctx, n.owner, BigInt(n.nonce));
      }
      const next = BigInt(g.next_device_id ?? '1');
      if (next > keeper.nextDeviceId(ctx)) keeper.setNextId(ctx, next);
      else if (next < keeper.nextDeviceId(ctx) && g.next_device_id !== undefined) throw new Error(`genesis: next_device_id ${next} is not above the highest device id`);
    },
    exportGenesis(ctx): DevicesGenesis {
      const json = (codec: { type: import('protobufjs').Type }, v: object) => messageToJson(codec.type, v as never);
      return {
        params: json(T.ParamsCodec, keeper.params(ctx)) as Record<string, unknown>,
        manufacturers: [...keeper.iterate(ctx, K.manufacturer, (_k, v) => json(T.ManufacturerCodec, T.manufacturerFrom(T.ManufacturerCodec.decode(v))))],
        devices: [...keeper.iterate(ctx, K.device, (_k, v) => json(T.DeviceCodec, T.deviceFrom(T.DeviceCodec.decode(v))))],
        locations: [...keeper.iterate(ctx, K.location, (_k, v) => json(T.LocationRecordCodec, T.locationFrom(T.LocationRecordCodec.decode(v))))],
        bans: [...keeper.iterate(ctx, K.ban, (_k, v) => json(T.BanCodec, T.banFrom(T.BanCodec.decode(v))))],
        nonces: [...keeper.nonces(ctx)].map((n) => ({ owner: n.owner, nonce: n.nonce.toString() })),
        next_device_id: keeper.nextDeviceId(ctx).toString(),
      };
    },
  };
}

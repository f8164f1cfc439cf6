// Protobuf codecs and typed records of depin.devices.v1. State records are decoded into the
// bigint-typed interfaces below and written with the canonical encoder.
import { codec, u64, type U64 } from '../../chain/codec/proto.ts';
import { encodeCanonical } from '../../chain/codec/proto-json.ts';
import type { ProtoCoin } from '../../chain/coins.ts';
import type { PageRequest, PageResponse } from '../../chain/pagination.ts';

export const SECTORS = { coverage: 1, storage: 2, compute: 3, sensor: 4 } as const;
export type SectorName = keyof typeof SECTORS;
export const SECTOR_NAMES: Record<number, SectorName> = { 1: 'coverage', 2: 'storage', 3: 'compute', 4: 'sensor' };

export const MFR_ACTIVE = 1;
export const MFR_SUSPENDED = 2;
export const MFR_REVOKED = 3;
export const MFR_STATUS_NAMES: Record<number, string> = { 1: 'active', 2: 'suspended', 3: 'revoked' };

export const DEVICE_ACTIVE = 1;
export const DEVICE_DEACTIVATED = 2;

export const BAN_DEVICE = 1;
export const BAN_MANUFACTURER = 2;
export const BAN_TARGET_NAMES: Record<number, string> = { 1: 'device', 2: 'manufacturer' };

export interface PublicKeyMsg {
  keyType: number;
  key: Uint8Array;
}

export interface ServiceMsg {
  id: string;
  type: string;
  endpoint: string;
}

export interface Params {
  authority: string;
  registrationFee: ProtoCoin | null;
  locationFee: ProtoCoin | null;
  locationCooldownBlocks: bigint;
  locationHistoryLimit: number;
}

export interface Manufacturer {
  id: string;
  name: string;
  operator: string;
  attestationKeys: PublicKeyMsg[];
  models: string[];
  deviceQuota: bigint;
  devicesRegistered: bigint;
  bond: ProtoCoin | null;
  bonded: ProtoCoin | null;
  status: number;
  statusReason: number;
  statusHeight: bigint;
}

export interface Device {
  id: bigint;
  owner: string;
  pubkey: PublicKeyMsg;
  manufacturerId: string;
  model: string;
  sector: number;
  hardwareClass: string;
  serialHash: Uint8Array;
  status: number;
  registeredHeight: bigint;
  locationCell: bigint;
  locationHeight: bigint;
  seniorityHeight: bigint;
  locationCount: bigint;
  metadata: string;
  services: ServiceMsg[];
  registrationNonce: bigint;
}

export interface LocationRecord {
  deviceId: bigint;
  seq: bigint;
  cell: bigint;
  height: bigint;
  time: { seconds: bigint; nanos: number } | null;
}

export interface Appeal {
  appellant: string;
  statement: string;
  evidenceHash: Uint8Array;
  height: bigint;
}

export interface Ban {
  targetType: number;
  targetId: string;
  reasonCode: number;
  evidenceHash: Uint8Array;
  height: bigint;
  expiresHeight: bigint;
  appeal: Appeal | null;
}

type Raw = Record<string, any>;

const c = <T = Raw>(name: string) => codec<T>(`depin.devices.v1.${name}`);

export const ParamsCodec = c('Params');
export const ManufacturerCodec = c('Manufacturer');
export const DeviceCodec = c('Device');
export const LocationRecordCodec = c('LocationRecord');
export const BanCodec = c('Ban');
export const DeviceViewCodec = c('DeviceView');
export const DidDocumentCodec = c('DidDocument');
export const GenesisStateCodec = c('GenesisState');

const coin = (x: Raw | null | undefined): ProtoCoin | null => (x ? { denom: x.denom ?? '', amount: x.amount || '0' } : null);
const pk = (x: Raw | null | undefined): PublicKeyMsg => ({ keyType: x?.keyType ?? 0, key: x?.key ?? new Uint8Array() });

export function paramsFrom(m: Raw): Params {
  return {
    authority: m.authority ?? '',
    registrationFee: coin(m.registrationFee),
    locationFee: coin(m.locationFee),
    locationCooldownBlocks: u64(m.locationCooldownBlocks),
    locationHistoryLimit: m.locationHistoryLimit ?? 0,
  };
}

export function manufacturerFrom(m: Raw): Manufacturer {
  return {
    id: m.id ?? '',
    name: m.name ?? '',
    operator: m.operator ?? '',
    attestationKeys: (m.attestationKeys ?? []).map(pk),
    models: [...(m.models ?? [])],
    deviceQuota: u64(m.deviceQuota),
    devicesRegistered: u64(m.devicesRegistered),
    bond: coin(m.bond),
    bonded: coin(m.bonded),
    status: m.status ?? 0,
    statusReason: m.statusReason ?? 0,
    statusHeight: u64(m.statusHeight),
  };
}

export function deviceFrom(m: Raw): Device {
  return {
    id: u64(m.id),
    owner: m.owner ?? '',
    pubkey: pk(m.pubkey),
    manufacturerId: m.manufacturerId ?? '',
    model: m.model ?? '',
    sector: m.sector ?? 0,
    hardwareClass: m.hardwareClass ?? '',
    serialHash: m.serialHash ?? new Uint8Array(),
    status: m.status ?? 0,
    registeredHeight: u64(m.registeredHeight),
    locationCell: u64(m.locationCell),
    locationHeight: u64(m.locationHeight),
    seniorityHeight: u64(m.seniorityHeight),
    locationCount: u64(m.locationCount),
    metadata: m.metadata ?? '',
    services: (m.services ?? []).map((s: Raw) => ({ id: s.id ?? '', type: s.type ?? '', endpoint: s.endpoint ?? '' })),
    registrationNonce: u64(m.registrationNonce),
  };
}

export function locationFrom(m: Raw): LocationRecord {
  return { deviceId: u64(m.deviceId), seq: u64(m.seq), cell: u64(m.cell), height: u64(m.height), time: m.time ? { seconds: u64(m.time.seconds), nanos: m.time.nanos ?? 0 } : null };
}

export function banFrom(m: Raw): Ban {
  return {
    targetType: m.targetType ?? 0,
    targetId: m.targetId ?? '',
    reasonCode: m.reasonCode ?? 0,
    evidenceHash: m.evidenceHash ?? new Uint8Array(),
    height: u64(m.height),
    expiresHeight: u64(m.expiresHeight),
    appeal: m.appeal ? { appellant: m.appeal.appellant ?? '', statement: m.appeal.statement ?? '', evidenceHash: m.appeal.evidenceHash ?? new Uint8Array(), height: u64(m.appeal.height) } : null,
  };
}

/** Canonical bytes of a record (proto3 defaults omitted). */
export const encode = (codecOf: { type: import('protobufjs').Type }, value: object): Uint8Array => encodeCanonical(codecOf.type, value as Record<string, unknown>);

// ------------------------------------------------------------------ messages

export interface MsgRegisterDevice {
  owner: string;
  pubkey?: PublicKeyMsg | null;
  manufacturerId: string;
  model: string;
  sector: number;
  hardwareClass: string;
  serialHash: Uint8Array;
  attestation: Uint8Array;
  nonce: U64;
  deviceSignature: Uint8Array;
  maxFee?: ProtoCoin | null;
  metadata: string;
}

export interface MsgAssertLocation {
  owner: string;
  deviceId: U64;
  cell: U64;
  maxFee?: ProtoCoin | null;
}

export interface MsgTransferDevice { owner: string; deviceId: U64; newOwner: string }
export interface MsgUpdateDevice { owner: string; deviceId: U64; metadata: string; services: ServiceMsg[] }
export interface MsgAnnounceEndpoint { deviceAccount: string; deviceId: U64; endpoint: string }
export interface MsgDeviceOwner { owner: string; deviceId: U64 }
export interface MsgAppealBan { appellant: string; targetType: number; targetId: string; statement: string; evidenceHash: Uint8Array }
export interface MsgBondManufacturer { operator: string; manufacturerId: string; amount?: ProtoCoin | null }
export interface MsgManufacturerFields {
  authority: string;
  id: string;
  name: string;
  operator: string;
  attestationKeys: PublicKeyMsg[];
  models: string[];
  deviceQuota: U64;
  bond?: ProtoCoin | null;
}
export interface MsgSetManufacturerStatus { authority: string; manufacturerId: string; status: number; reasonCode: number; slashBond: boolean }
export interface MsgBan { authority: string; targetType: number; targetId: string; reasonCode: number; evidenceHash: Uint8Array; durationBlocks: U64 }
export interface MsgUnban { authority: string; targetType: number; targetId: string }
export interface MsgUpdateParams { authority: string; params?: Raw | null }

export const Msgs = {
  RegisterDevice: c<MsgRegisterDevice>('MsgRegisterDevice'),
  AssertLocation: c<MsgAssertLocation>('MsgAssertLocation'),
  TransferDevice: c<MsgTransferDevice>('MsgTransferDevice'),
  UpdateDevice: c<MsgUpdateDevice>('MsgUpdateDevice'),
  AnnounceEndpoint: c<MsgAnnounceEndpoint>('MsgAnnounceEndpoint'),
  DeactivateDevice: c<MsgDeviceOwner>('MsgDeactivateDevice'),
  ReactivateDevice: c<MsgDeviceOwner>('MsgReactivateDevice'),
  AppealBan: c<MsgAppealBan>('MsgAppealBan'),
  BondManufacturer: c<MsgBondManufacturer>('MsgBondManufacturer'),
  AddManufacturer: c<MsgManufacturerFields>('MsgAddManufacturer'),
  UpdateManufacturer: c<MsgManufacturerFields>('MsgUpdateManufacturer'),
  SetManufacturerStatus: c<MsgSetManufacturerStatus>('MsgSetManufacturerStatus'),
  Ban: c<MsgBan>('MsgBan'),
  Unban: c<MsgUnban>('MsgUnban'),
  UpdateParams: c<MsgUpdateParams>('MsgUpdateParams'),
} as const;

export type MsgName = keyof typeof Msgs;
export const response = (name: MsgName) => c(`Msg${name}Response`);

// ------------------------------------------------------------------ queries

type Paged<T> = T & { pagination?: PageRequest | null };

export const Q = {
  Params: [c('QueryParamsRequest'), c('QueryParamsResponse')],
  Device: [c<{ id: U64 }>('QueryDeviceRequest'), c('QueryDeviceResponse')],
  DeviceByKey: [c<{ pubkey: Uint8Array; keyType: number }>('QueryDeviceByKeyRequest'), c('QueryDeviceResponse')],
  DeviceByDid: [c<{ did: string }>('QueryDeviceByDidRequest'), c('QueryDeviceByDidResponse')],
  DevicesByOwner: [c<Paged<{ owner: string }>>('QueryDevicesByOwnerRequest'), c('QueryDevicesResponse')],
  DevicesByManufacturer: [c<Paged<{ manufacturerId: string }>>('QueryDevicesByManufacturerRequest'), c('QueryDevicesResponse')],
  DevicesByCell: [c<Paged<{ cell: U64 }>>('QueryDevicesByCellRequest'), c('QueryDevicesResponse')],
  LocationHistory: [c<Paged<{ deviceId: U64 }>>('QueryLocationHistoryRequest'), c('QueryLocationHistoryResponse')],
  Manufacturer: [c<{ id: string }>('QueryManufacturerRequest'), c('QueryManufacturerResponse')],
  Manufacturers: [c<Paged<object>>('QueryManufacturersRequest'), c('QueryManufacturersResponse')],
  Ban: [c<{ targetType: number; targetId: string }>('QueryBanRequest'), c('QueryBanResponse')],
  Bans: [c<Paged<object>>('QueryBansRequest'), c('QueryBansResponse')],
  RegistrationNonce: [c<{ owner: string }>('QueryRegistrationNonceRequest'), c('QueryRegistrationNonceResponse')],
  RegistrationCheck: [c<{ registration?: MsgRegisterDevice | null }>('QueryRegistrationCheckRequest'), c('QueryRegistrationCheckResponse')],
} as const;

export type QueryName = keyof typeof Q;
export const queryPath = (name: QueryName) => `/depin.devices.v1.Query/${name}`;
export type { PageResponse };

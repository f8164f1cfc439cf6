// Builders of depin messages as CosmJS EncodeObjects ({typeUrl, value}) for a SigningStargateClient
// created with depinRegistry(). Values use the protobuf field names in camelCase.
import { encodeCanonical } from '../chain/codec/proto-json.ts';
import { type } from '../chain/codec/proto.ts';
import { SECTORS, type SectorName } from '../modules/devices/types.ts';
import { signRegistration } from './envelope.ts';
import type { DeviceKey } from './device-key.ts';

export interface EncodeObject {
  typeUrl: string;
  value: Record<string, unknown>;
}

export interface CoinLike {
  denom: string;
  amount: string | bigint;
}

const coin = (c: CoinLike | undefined) => (c ? { denom: c.denom, amount: c.amount.toString() } : undefined);
const devices = (name: string, value: Record<string, unknown>): EncodeObject => ({ typeUrl: `/depin.devices.v1.${name}`, value });

export const TYPE_URLS = {
  registerDevice: '/depin.devices.v1.MsgRegisterDevice',
  assertLocation: '/depin.devices.v1.MsgAssertLocation',
  transferDevice: '/depin.devices.v1.MsgTransferDevice',
  updateDevice: '/depin.devices.v1.MsgUpdateDevice',
  announceEndpoint: '/depin.devices.v1.MsgAnnounceEndpoint',
  grantAllowance: '/cosmos.feegrant.v1beta1.MsgGrantAllowance',
  revokeAllowance: '/cosmos.feegrant.v1beta1.MsgRevokeAllowance',
} as const;

export const sectorNumber = (s: SectorName | number): number => (typeof s === 'number' ? s : SECTORS[s]);

export interface RegistrationParams {
  chainId: string;
  owner: string;
  /** Must exceed the owner's last registration nonce (query RegistrationNonce). */
  nonce: bigint;
  /** The device key: its private key signs the proof of possession, unless `deviceSignature`
   * (made on the device, e.g. in its secure element) is given. */
  device: Pick<DeviceKey, 'keyType' | 'publicKey'> & { privateKey?: Uint8Array };
  deviceSignature?: Uint8Array;
  manufacturerId: string;
  model: string;
  sector: SectorName | number;
  hardwareClass: string;
  serialHash: Uint8Array;
  /** The manufacturer's attestation (sdk attestDevice). */
  attestation: Uint8Array;
  /** Most the owner agrees to pay; the chain burns the current registration fee. */
  maxFee?: CoinLike;
  metadata?: string;
}

function requirePrivate(d: RegistrationParams['device']): Pick<DeviceKey, 'keyType' | 'privateKey'> {
  if (!d.privateKey) throw new Error('registerDeviceMsg needs the device private key or a deviceSignature');
  return { keyType: d.keyType, privateKey: d.privateKey };
}

/** MsgRegisterDevice with the device's proof of key possession signed. */
export function registerDeviceMsg(p: RegistrationParams): EncodeObject {
  return devices('MsgRegisterDevice', {
    owner: p.owner,
    pubkey: { keyType: p.device.keyType, key: p.device.publicKey },
    manufacturerId: p.manufacturerId,
    model: p.model,
    sector: sectorNumber(p.sector),
    hardwareClass: p.hardwareClass,
    serialHash: p.serialHash,
    attestation: p.attestation,
    nonce: p.nonce,
    deviceSignature: p.deviceSignature ?? signRegistration(requirePrivate(p.device), p.chainId, p.owner, p.nonce),
    maxFee: coin(p.maxFee),
    metadata: p.metadata ?? '',
  });
}

export const assertLocationMsg = (owner: string, deviceId: bigint, cell: bigint, maxFee?: CoinLike) => devices('MsgAssertLocation', { owner, deviceId, cell, maxFee: coin(maxFee) });
export const transferDeviceMsg = (owner: string, deviceId: bigint, newOwner: string) => devices('MsgTransferDevice', { owner, deviceId, newOwner });
export const updateDeviceMsg = (owner: string, deviceId: bigint, metadata: string, services: { id: string; type: string; endpoint: string }[] = []) =>
  devices('MsgUpdateDevice', { owner, deviceId, metadata, services });
export const announceEndpointMsg = (deviceAccount: string, deviceId: bigint, endpoint: string) => devices('MsgAnnounceEndpoint', { deviceAccount, deviceId, endpoint });
export const deactivateDeviceMsg = (owner: string, deviceId: bigint) => devices('MsgDeactivateDevice', { owner, deviceId });
export const reactivateDeviceMsg = (owner: string, deviceId: bigint) => devices('MsgReactivateDevice', { owner, deviceId });
export const appealBanMsg = (appellant: string, targetType: 1 | 2, targetId: string, statement: string, evidenceHash: Uint8Array = new Uint8Array()) =>
  devices('MsgAppealBan', { appellant, targetType, targetId, statement, evidenceHash });
export const bondManufacturerMsg = (operator: string, manufacturerId: string, amount: CoinLike) => devices('MsgBondManufacturer', { operator, manufacturerId, amount: coin(amount) });

export interface ManufacturerParams {
  authority: string;
  id: string;
  name: string;
  operator: string;
  attestationKeys: { keyType: number; key: Uint8Array }[];
  models: string[];
  deviceQuota: bigint;
  bond?: CoinLike;
}

export const addManufacturerMsg = (p: ManufacturerParams) => devices('MsgAddManufacturer', { ...p, bond: coin(p.bond) });
export const updateManufacturerMsg = (p: ManufacturerParams) => devices('MsgUpdateManufacturer', { ...p, bond: coin(p.bond) });
export const setManufacturerStatusMsg = (authority: string, manufacturerId: string, status: 1 | 2 | 3, reasonCode = 0, slashBond = false) =>
  devices('MsgSetManufacturerStatus', { authority, manufacturerId, status, reasonCode, slashBond });
export const banMsg = (authority: string, targetType: 1 | 2, targetId: string, reasonCode: number, evidenceHash: Uint8Array, durationBlocks = 0n) =>
  devices('MsgBan', { authority, targetType, targetId, reasonCode, evidenceHash, durationBlocks });
export const unbanMsg = (authority: string, targetType: 1 | 2, targetId: string) => devices('MsgUnban', { authority, targetType, targetId });

// ------------------------------------------------------------------ fee grants

export interface AllowanceParams {
  /** Empty or absent: no limit. */
  spendLimit?: CoinLike[];
  /** Expiry as a Date (block time, not wall clock, decides). */
  expiration?: Date;
  /** Only these message type URLs may use the allowance (AllowedMsgAllowance). */
  allowedMessages?: string[];
  /** PeriodicAllowance: at most periodSpendLimit per period of periodSeconds. */
  periodSeconds?: bigint;
  periodSpendLimit?: CoinLike[];
}

function timestamp(d: Date) {
  const ms = BigInt(d.getTime());
  return { seconds: (ms / 1000n).toString(), nanos: Number(ms % 1000n) * 1_000_000 };
}

/** The allowance as a protobuf Any: Basic, Periodic (if periodSeconds), wrapped in
 * AllowedMsgAllowance (if allowedMessages). */
export function allowanceAny(p: AllowanceParams): { typeUrl: string; value: Uint8Array } {
  const basic = { spendLimit: (p.spendLimit ?? []).map(coin), expiration: p.expiration ? timestamp(p.expiration) : undefined };
  let any: { typeUrl: string; value: Uint8Array } = { typeUrl: '/cosmos.feegrant.v1beta1.BasicAllowance', value: encodeCanonical(type('cosmos.feegrant.v1beta1.BasicAllowance'), basic) };
  if (p.periodSeconds !== undefined) {
    const limit = (p.periodSpendLimit ?? []).map(coin);
    any = {
      typeUrl: '/cosmos.feegrant.v1beta1.PeriodicAllowance',
      value: encodeCanonical(type('cosmos.feegrant.v1beta1.PeriodicAllowance'), { basic, period: { seconds: p.periodSeconds.toString(), nanos: 0 }, periodSpendLimit: limit, periodCanSpend: limit }),
    };
  }
  if (p.allowedMessages?.length) {
    any = { typeUrl: '/cosmos.feegrant.v1beta1.AllowedMsgAllowance', value: encodeCanonical(type('cosmos.feegrant.v1beta1.AllowedMsgAllowance'), { allowance: any, allowedMessages: p.allowedMessages }) };
  }
  return any;
}

export const grantAllowanceMsg = (granter: string, grantee: string, p: AllowanceParams): EncodeObject => ({ typeUrl: TYPE_URLS.grantAllowance, value: { granter, grantee, allowance: allowanceAny(p) } });
export const revokeAllowanceMsg = (granter: string, grantee: string): EncodeObject => ({ typeUrl: TYPE_URLS.revokeAllowance, value: { granter, grantee } });

// Genesis fixtures for rewards tests and benchmarks: the dev genesis with chosen rewards params
// and N devices imported through the devices module's genesis (real records, valid keys and H3
// cells), so tests start with a fleet without paying N registrations.
import * as h3 from 'h3-js';
import { devGenesis } from '../../node/dev-genesis.ts';
import type { GenesisDoc } from '../../chain/genesis.ts';
import { messageToJson } from '../../chain/codec/proto-json.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { publicKeyCreate } from '../../chain/crypto/secp256k1.ts';
import * as DT from '../../modules/devices/types.ts';
import { R, type Params } from '../../modules/rewards/types.ts';
import { devParams } from '../../modules/rewards/params.ts';
import { devKeys } from './inproc.ts';
import { codec } from '../../chain/codec/proto.ts';

const MsgTransferDevice = codec<any>('depin.devices.v1.MsgTransferDevice');

/** A MsgTransferDevice from the device's owner to a new owner. */
export const transferDevice = (from: { address: string }, id: bigint, to: string) => ({ typeUrl: MsgTransferDevice.typeUrl, value: MsgTransferDevice.encode({ owner: from.address, deviceId: id.toString(), newOwner: to }) });

/** Flat emission into sector 1 only, no side shares, no seniority ramp: every udpin is easy to follow. */
export const FLAT_REWARDS: Partial<Params> = {
  epochBlocks: 5n, initialEpochEmission: 1_000_000n, decayBps: 0, decayIntervalEpochs: 0n, tailEpochEmission: 0n, reemissionCap: 0n,
  breakerThreshold: 10n ** 15n, validatorsBps: 0, oraclesBps: 0, verifiersBps: 0, treasuryBps: 0,
  sectorShares: [{ sector: 1, bps: 10_000 }, { sector: 2, bps: 0 }, { sector: 3, bps: 0 }, { sector: 4, bps: 0 }],
  locationSectors: [], seniorityBasePpm: 1_000_000n, seniorityMaxPpm: 1_000_000n, downtimeGraceEpochs: 2, fraudWithholdEpochs: 2,
};

export interface DeviceSpec {
  owner: string;
  sector: number;
  /** H3 res-12 cell (0n = never located). */
  cell: bigint;
  locationHeight?: bigint;
  seniorityHeight?: bigint;
  locationCount?: bigint;
  registeredHeight?: bigint;
}

export const AUTHORITY = devKeys[9]!;

/** A valid resolution-12 cell near (lat, lng) offset by (dLat, dLng) degrees. */
export function cellNear(lat: number, lng: number, dLat = 0, dLng = 0): bigint {
  return BigInt('0x' + h3.latLngToCell(lat + dLat, lng + dLng, 12));
}

/** A deterministic small PRNG (tests must not depend on Math.random for their inputs' replay). */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

/** Devices spread over `clusters` spots: devices of one spot share density cells. */
export function fleet(n: number, opts: { seed?: number; clusters?: number; owners?: string[]; sectors?: number[]; located?: number } = {}): DeviceSpec[] {
  const rnd = prng(opts.seed ?? 7);
  const owners = opts.owners ?? devKeys.slice(0, 5).map((k) => k.address);
  const sectors = opts.sectors ?? [1];
  const clusters = opts.clusters ?? Math.max(1, Math.ceil(n / 4));
  const centers = Array.from({ length: clusters }, () => [rnd() * 100 - 50, rnd() * 300 - 150] as const);
  return Array.from({ length: n }, (_, i) => {
    const [lat, lng] = centers[i % clusters]!;
    const located = rnd() < (opts.located ?? 1);
    return {
      owner: owners[i % owners.length]!,
      sector: sectors[i % sectors.length]!,
      cell: located ? cellNear(lat, lng, rnd() * 0.002, rnd() * 0.002) : 0n,
      locationHeight: located ? 1n : 0n,
      seniorityHeight: located ? 1n : 0n,
      locationCount: located ? 1n : 0n,
    };
  });
}

/** The dev genesis with rewards `params` (over the dev defaults) and these devices (ids 1..n). */
export function rewardsGenesis(params: Partial<Params> = {}, devices: DeviceSpec[] = []): GenesisDoc {
  const g = devGenesis();
  const p: Params = { ...devParams(AUTHORITY.address), ...params };
  g.app_state.rewards = { params: R.Params.toJson(p) };
  const dg = g.app_state.devices as { devices: unknown[]; next_device_id: string; manufacturers: any[] };
  dg.devices = devices.map((d, i) => {
    const id = BigInt(i + 1);
    const priv = sha256(new TextEncoder().encode(`rewards-fixture-device-${i}`));
    const device: DT.Device = {
      id, owner: d.owner, pubkey: { keyType: 1, key: publicKeyCreate(priv) }, manufacturerId: 'devmfr', model: 'dev-hotspot', sector: d.sector,
      hardwareClass: 'outdoor', serialHash: sha256(new TextEncoder().encode(`serial-${i}`)), status: DT.DEVICE_ACTIVE, registeredHeight: d.registeredHeight ?? 1n,
      locationCell: d.cell, locationHeight: d.locationHeight ?? 0n, seniorityHeight: d.seniorityHeight ?? 0n, locationCount: d.locationCount ?? 0n,
      metadata: '', services: [], registrationNonce: id,
    };
    return messageToJson(DT.DeviceCodec.type, device as never);
  });
  dg.next_device_id = String(devices.length + 1);
  dg.manufacturers[0].devices_registered = String(devices.length);
  return g;
}

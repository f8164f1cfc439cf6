// Registers (and optionally locates) a device with unmodified CosmJS and the SDK registry, as a
// wallet would: dev-manufacturer attestation, device signature, MsgRegisterDevice, MsgAssertLocation.
import assert from 'node:assert/strict';
import type { SigningStargateClient, DeliverTxResponse } from '@cosmjs/stargate';
import { DevicesClient, generateDeviceKey, attestDevice, serialHash, registerDeviceMsg, assertLocationMsg, latLngToCell, devManufacturerSigners, type DeviceKey } from '../../sdk/index.ts';

const mfr = devManufacturerSigners();

export interface Registered {
  id: bigint;
  device: DeviceKey;
  res: DeliverTxResponse;
  cell?: bigint;
  locRes?: DeliverTxResponse;
}

export async function registerDevice(client: SigningStargateClient, devices: DevicesClient, owner: string, opts: { sector?: 'coverage' | 'storage' | 'compute' | 'sensor'; lat?: number; lng?: number; model?: string } = {}): Promise<Registered> {
  const device = generateDeviceKey('secp256k1');
  const chainId = await client.getChainId();
  const model = opts.model ?? (opts.sector === 'sensor' ? 'dev-sensor' : opts.sector === 'storage' ? 'dev-storage' : opts.sector === 'compute' ? 'dev-gpu' : 'dev-hotspot');
  const sh = serialHash('devmfr', `idx-${Buffer.from(device.publicKey).toString('hex').slice(0, 16)}`);
  const attestation = attestDevice(mfr.secp256k1, { manufacturerId: 'devmfr', device, model, serialHash: sh });
  const nonce = (await devices.lastRegistrationNonce(owner)) + 1n;
  const msg = registerDeviceMsg({ chainId, owner, nonce, device, manufacturerId: 'devmfr', model, sector: opts.sector ?? 'coverage', hardwareClass: 'outdoor', serialHash: sh, attestation, maxFee: { denom: 'udpin', amount: 1_000_000n } });
  const res = await client.signAndBroadcast(owner, [msg], 'auto');
  assert.equal(res.code, 0, res.rawLog ?? '');
  const id = BigInt(res.events.find((e) => e.type === 'device_registered')!.attributes.find((a) => a.key === 'device_id')!.value);
  if (opts.lat === undefined || opts.lng === undefined) return { id, device, res };
  const cell = latLngToCell(opts.lat, opts.lng);
  const locRes = await client.signAndBroadcast(owner, [assertLocationMsg(owner, id, cell, { denom: 'udpin', amount: 100_000n })], 'auto');
  assert.equal(locRes.code, 0, locRes.rawLog ?? '');
  return { id, device, res, cell, locRes };
}

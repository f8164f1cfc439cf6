// The development chain's well-known keys (npm start): never use them anywhere real.
import { devManufacturerKeys, DEV_CHAIN_ID, DEV_MANUFACTURER_ID, DEV_MODELS, DEV_DEVICES_AUTHORITY_INDEX, DEV_MANUFACTURER_OPERATOR_INDEX } from '../node/dev-genesis.ts';
import { DEV_MNEMONIC } from '../node/keys/hd.ts';
import type { DeviceKey } from './device-key.ts';

export { DEV_MNEMONIC, DEV_CHAIN_ID, DEV_MANUFACTURER_ID, DEV_MODELS, DEV_DEVICES_AUTHORITY_INDEX, DEV_MANUFACTURER_OPERATOR_INDEX };

/** The dev manufacturer's attestation keys, usable with attestDevice(). */
export function devManufacturerSigners(): { secp256k1: DeviceKey; p256: DeviceKey } {
  const k = devManufacturerKeys();
  return { secp256k1: { keyType: 1, ...k.secp256k1 }, p256: { keyType: 2, ...k.p256 } };
}

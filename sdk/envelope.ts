// Signed payloads of the device SDK: manufacturer attestations, registration proofs, and the
// generic signed envelope (domain ‖ chain id ‖ canonical bytes) that every device proof uses.
// The byte layouts are the chain's own (modules/devices/payloads.ts), so they cannot drift.
import { attestationPayload, envelopePayload, registrationPayload, serialHash, lp, DOMAIN_ATTEST, DOMAIN_REGISTER } from '../modules/devices/payloads.ts';
import { u64be, concat } from '../chain/codec/bytes.ts';
import { signMessage, verifyMessage, type DeviceKey } from './device-key.ts';

export { attestationPayload, envelopePayload, registrationPayload, serialHash, lp, u64be, concat, DOMAIN_ATTEST, DOMAIN_REGISTER };

export interface AttestationRequest {
  manufacturerId: string;
  /** The device's public key and type. */
  device: Pick<DeviceKey, 'keyType' | 'publicKey'>;
  model: string;
  serialHash: Uint8Array;
}

/** The factory step: the manufacturer's attestation key signs (manufacturer, device key, model,
 * serial hash). */
export function attestDevice(manufacturerKey: Pick<DeviceKey, 'keyType' | 'privateKey'>, r: AttestationRequest): Uint8Array {
  return signMessage(manufacturerKey, attestationPayload({ manufacturerId: r.manufacturerId, keyType: r.device.keyType, devicePubkey: r.device.publicKey, model: r.model, serialHash: r.serialHash }));
}

/** The device's proof of key possession for one registration: binds chain id, owner and nonce. */
export function signRegistration(device: Pick<DeviceKey, 'keyType' | 'privateKey'>, chainId: string, owner: string, nonce: bigint): Uint8Array {
  return signMessage(device, registrationPayload(chainId, owner, nonce));
}

export interface SignedEnvelope {
  domain: string;
  chainId: string;
  body: Uint8Array;
  /** The exact signed bytes: lp(domain) ‖ lp(chain id) ‖ body. */
  payload: Uint8Array;
  signature: Uint8Array;
}

/** Signs canonical `body` under a protocol domain (e.g. "depin/proofs/v1/coverage") for one chain.
 * The chain checks it with DevicesKeeperI.verifyDeviceSignature(ctx, id, domain, body, sig). */
export function signEnvelope(device: Pick<DeviceKey, 'keyType' | 'privateKey'>, domain: string, chainId: string, body: Uint8Array): SignedEnvelope {
  if (domain.startsWith('depin/devices/')) throw new Error('domains under depin/devices/ are reserved for registration and attestation');
  const payload = envelopePayload(domain, chainId, body);
  return { domain, chainId, body, payload, signature: signMessage(device, payload) };
}

export function verifyEnvelope(device: Pick<DeviceKey, 'keyType' | 'publicKey'>, e: Pick<SignedEnvelope, 'domain' | 'chainId' | 'body' | 'signature'>): boolean {
  return verifyMessage(device, envelopePayload(e.domain, e.chainId, e.body), e.signature);
}

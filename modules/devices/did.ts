// A device's DID document: did:key of its device key; the DID controller is the owner's account
// as a did:pkh (CAIP-10 "cosmos:<chain id>:<address>"), so a change of owner changes the
// controller; the device key is its verification method; the owner's service entries follow.
import { didKey, multikey, type DeviceKeyType } from './keys.ts';
import type { Device } from './types.ts';

export const DID_CONTEXT = ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'];
export const PROOF_SERVICE_ID = 'proofs';
export const PROOF_SERVICE_TYPE = 'DepinProofEndpoint';

export function deviceDid(d: Pick<Device, 'pubkey'>): string {
  return didKey(d.pubkey.keyType as DeviceKeyType, d.pubkey.key);
}

export function ownerDid(chainId: string, owner: string): string {
  return `did:pkh:cosmos:${chainId}:${owner}`;
}

export interface W3cDidDocument {
  '@context': string[];
  id: string;
  controller: string;
  verificationMethod: { id: string; type: string; controller: string; publicKeyMultibase: string }[];
  authentication: string[];
  assertionMethod: string[];
  service: { id: string; type: string; serviceEndpoint: string }[];
}

export function didDocument(d: Device, chainId: string): W3cDidDocument {
  const id = deviceDid(d);
  const mk = multikey(d.pubkey.keyType as DeviceKeyType, d.pubkey.key);
  const vm = `${id}#${mk}`;
  return {
    '@context': DID_CONTEXT,
    id,
    controller: ownerDid(chainId, d.owner),
    verificationMethod: [{ id: vm, type: 'Multikey', controller: id, publicKeyMultibase: mk }],
    authentication: [vm],
    assertionMethod: [vm],
    service: d.services.map((s) => ({ id: `${id}#${s.id}`, type: s.type, serviceEndpoint: s.endpoint })),
  };
}

/** The same document in the protobuf shape of depin.devices.v1.DidDocument. */
export function didDocumentMsg(doc: W3cDidDocument) {
  return {
    context: doc['@context'],
    id: doc.id,
    controller: doc.controller,
    verificationMethod: doc.verificationMethod,
    authentication: doc.authentication,
    assertionMethod: doc.assertionMethod,
    service: doc.service,
  };
}

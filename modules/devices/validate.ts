// Stateless checks of devices messages (run at CheckTx through validateBasic, and again when a
// registration is evaluated by the RegistrationCheck query).
import { fromBech32 } from '../../chain/crypto/address.ts';
import { coinFromProto, type Coin, type ProtoCoin } from '../../chain/coins.ts';
import { ErrInvalidAddress, SdkError } from '../../chain/errors.ts';
import { ErrInvalidField, ErrInvalidKey, ErrInvalidAttestation, ErrInvalidDeviceSignature } from './errors.ts';
import { keyProblem } from './keys.ts';
import type { MsgRegisterDevice, PublicKeyMsg, ServiceMsg } from './types.ts';
import { SECTOR_NAMES } from './types.ts';

/** The denom of manufacturer bonds (the staking token). */
export const BOND_DENOM = 'udpin';

export const LIMITS = {
  metadataBytes: 1024,
  services: 8,
  endpointChars: 256,
  statementBytes: 1024,
  attestationKeys: 8,
  models: 64,
  nameChars: 128,
} as const;

const MANUFACTURER_ID_RE = /^[a-z0-9][a-z0-9-]{1,31}$/;
const TOKEN_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SERVICE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const URI_RE = /^[a-z][a-z0-9+.-]*:[^\s"<>\\^`{|}]+$/;

const bad = (msg: string) => ErrInvalidField.wrap(msg);

export function checkAddress(addr: string, field: string): void {
  try {
    fromBech32(addr);
  } catch (err) {
    throw ErrInvalidAddress.wrap(`invalid ${field}: ${(err as Error).message}`);
  }
}

export function checkManufacturerId(id: string): void {
  if (!MANUFACTURER_ID_RE.test(id)) throw bad(`manufacturer id ${JSON.stringify(id)} must match ${MANUFACTURER_ID_RE}`);
}

export function checkToken(v: string, field: string): void {
  if (!TOKEN_RE.test(v)) throw bad(`${field} ${JSON.stringify(v)} must be 1-64 characters of [A-Za-z0-9._-]`);
}

export function checkPublicKey(pk: PublicKeyMsg | null | undefined, what = 'device key'): void {
  if (!pk) throw ErrInvalidKey.wrap(`${what} is missing`);
  const problem = keyProblem(pk.keyType, pk.key);
  if (problem) throw ErrInvalidKey.wrap(`${what}: ${problem}`);
}

export function checkMetadata(metadata: string): void {
  if (Buffer.byteLength(metadata) > LIMITS.metadataBytes) throw bad(`metadata is longer than ${LIMITS.metadataBytes} bytes`);
}

export function checkEndpoint(endpoint: string): void {
  if (endpoint.length === 0 || endpoint.length > LIMITS.endpointChars || !URI_RE.test(endpoint)) {
    throw bad(`endpoint ${JSON.stringify(endpoint)} must be a URI (scheme:...) of at most ${LIMITS.endpointChars} characters`);
  }
}

export function checkServices(services: readonly ServiceMsg[]): void {
  if (services.length > LIMITS.services) throw bad(`at most ${LIMITS.services} services`);
  const ids = new Set<string>();
  for (const s of services) {
    if (!SERVICE_ID_RE.test(s.id)) throw bad(`service id ${JSON.stringify(s.id)} must be 1-32 characters of [A-Za-z0-9._-]`);
    if (ids.has(s.id)) throw bad(`duplicate service id ${s.id}`);
    ids.add(s.id);
    checkToken(s.type, 'service type');
    checkEndpoint(s.endpoint);
  }
}

export function checkHash32(h: Uint8Array, field: string, optional = false): void {
  if (optional && h.length === 0) return;
  if (h.length !== 32) throw bad(`${field} must be 32 bytes, got ${h.length}`);
}

/** A coin field that may be absent; returns it parsed (amount may be zero). */
export function optionalCoin(c: ProtoCoin | null | undefined, field: string): Coin | undefined {
  if (!c || (!c.denom && (!c.amount || c.amount === '0'))) return undefined;
  try {
    return coinFromProto({ denom: c.denom, amount: c.amount || '0' });
  } catch (err) {
    throw bad(`${field}: ${(err as SdkError).message}`);
  }
}

export function checkSector(sector: number): void {
  if (!SECTOR_NAMES[sector]) throw bad(`sector must be one of coverage (1), storage (2), compute (3), sensor (4); got ${sector}`);
}

/** Everything about a registration that can be judged without state. */
export function validateRegistration(m: MsgRegisterDevice): void {
  checkAddress(m.owner, 'owner');
  checkPublicKey(m.pubkey);
  checkManufacturerId(m.manufacturerId);
  checkToken(m.model, 'model');
  checkSector(m.sector);
  checkToken(m.hardwareClass, 'hardware class');
  checkHash32(m.serialHash, 'serial hash');
  if (m.attestation.length !== 64) throw ErrInvalidAttestation.wrap(`attestation must be a 64-byte r‖s signature, got ${m.attestation.length} bytes`);
  if (m.deviceSignature.length !== 64) throw ErrInvalidDeviceSignature.wrap(`device signature must be a 64-byte r‖s signature, got ${m.deviceSignature.length} bytes`);
  optionalCoin(m.maxFee, 'max fee');
  checkMetadata(m.metadata);
}

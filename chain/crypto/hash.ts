// Hash functions used by the state machine. SHA-256 comes from node:crypto's one-shot
// `hash()` (OpenSSL with SHA-NI, the fastest path measured on this machine); RIPEMD-160 is only
// needed for address derivation and comes from @noble/hashes.
import { hash } from 'node:crypto';
import { ripemd160 as nobleRipemd160 } from '@noble/hashes/legacy.js';

export function sha256(data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer');
}

export function ripemd160(data: Uint8Array): Uint8Array {
  return nobleRipemd160(data);
}

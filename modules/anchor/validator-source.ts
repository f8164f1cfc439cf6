// Where the anchor module learns the validator set: AnchorValidatorSource, implemented by the
// staking module's bonded validators (modules/depin-app.ts).
import type { Context } from '../../chain/context.ts';
import { addressBytesFromPubkey } from '../../chain/crypto/address.ts';
import { ethAddress, canonicalValidatorSet } from '../../chain/anchor/checkpoint.ts';
import type { AnchorMember } from './types.ts';

/** A validator with voting power, as consensus knows it. */
export interface SourceValidator {
  consensusPubkey: Uint8Array; // 33-byte compressed secp256k1
  power: bigint;
}

/** What the anchor module needs from staking: the current validator set (order irrelevant). */
export interface AnchorValidatorSource {
  validators(ctx: Context): readonly SourceValidator[];
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * The set in the contract's format: zero-power validators left out, sorted by Ethereum address,
 * each with its consensus address. Throws on what the contract would refuse (no validators,
 * a power above uint64, a key that is not a secp256k1 point, two validators with one key) and on
 * a total power above uint64 (stored as one).
 */
export function anchorSet(validators: readonly SourceValidator[]): AnchorMember[] {
  const members: AnchorMember[] = [];
  for (const v of validators) {
    if (v.power === 0n) continue;
    if (v.power < 0n || v.power > U64_MAX) throw new Error(`validator power ${v.power} does not fit a uint64`);
    if (v.consensusPubkey.length !== 33) throw new Error('consensus public key must be 33 bytes (compressed secp256k1)');
    members.push({
      consensusPubkey: Uint8Array.from(v.consensusPubkey),
      consensusAddress: addressBytesFromPubkey(v.consensusPubkey),
      ethAddress: ethAddress(v.consensusPubkey),
      power: v.power,
    });
  }
  const canonical = canonicalValidatorSet(members.map((m) => ({ ethAddress: m.ethAddress, power: m.power })));
  const byAddr = new Map(members.map((m) => [Buffer.from(m.ethAddress).toString('hex'), m]));
  const sorted = canonical.map((c) => byAddr.get(Buffer.from(c.ethAddress).toString('hex'))!);
  if (sorted.reduce((n, m) => n + m.power, 0n) > U64_MAX) throw new Error('total validator power does not fit a uint64');
  return sorted;
}

// Checkpoints of the chain's state root as the Ethereum contract contracts/DepinAnchor.sol sees
// them: the validator-set hash, the EIP-712 digest validators sign, their 65-byte signatures and
// the Ethereum address of a consensus key. Pure functions (no networking), deterministic, so the
// checkpoint module can compute and check them in consensus and the relayer can submit them.
// Every encoding here is cross-checked against the contract and against viem in the tests.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { isLowS, publicKeyConvert, recoverPublicKey, signDigestRecoverable } from '../crypto/secp256k1.ts';
import { concat } from '../codec/bytes.ts';

/** A validator as the contract sees it (its set is sorted by `ethAddress`, strictly ascending). */
export interface AnchorValidator {
  ethAddress: Uint8Array; // 20 bytes
  power: bigint; // 1 .. 2^64-1 (the contract's uint64)
}

/** What validators sign, besides the Cosmos chain id (DepinAnchor.Checkpoint). */
export interface Checkpoint {
  number: bigint; // 1, 2, 3, ... (uint64)
  height: bigint; // the block height whose app hash is stateRoot (uint64, strictly increasing)
  stateRoot: Uint8Array; // 32 bytes: the app hash
  validatorSetHash: Uint8Array; // 32 bytes: the set that signs this checkpoint (the contract's current one)
  nextValidatorSetHash: Uint8Array; // 32 bytes: the set that signs the next one (equal = no change)
}

/** Where a signature is valid: one contract on one Ethereum chain, for one Cosmos chain. */
export interface AnchorDomain {
  ethChainId: bigint; // EIP-155 chain id of the Ethereum network
  contract: Uint8Array; // 20 bytes: the DepinAnchor address
  cosmosChainId: string;
}

export interface CheckpointSignature {
  signer: Uint8Array; // 20-byte Ethereum address
  signature: Uint8Array; // 65 bytes r ‖ s ‖ v
}

const U64_MAX = (1n << 64n) - 1n;
const enc = new TextEncoder();

export const keccak256 = (data: Uint8Array): Uint8Array => keccak_256(data);

export const CHECKPOINT_TYPE =
  'Checkpoint(string cosmosChainId,uint64 number,uint64 height,bytes32 stateRoot,bytes32 validatorSetHash,bytes32 nextValidatorSetHash)';
export const CHECKPOINT_TYPEHASH = keccak256(enc.encode(CHECKPOINT_TYPE));
const DOMAIN_TYPEHASH = keccak256(enc.encode('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'));
/** EIP-712 domain name and version of DepinAnchor. */
export const DOMAIN_NAME = 'DepinAnchor';
export const DOMAIN_VERSION = '1';

/** A 32-byte ABI word: an unsigned integer big-endian, or bytes (<= 32) left-padded like an address. */
function word(x: bigint | Uint8Array): Uint8Array {
  const w = new Uint8Array(32);
  if (typeof x === 'bigint') {
    if (x < 0n || x >= 1n << 256n) throw new Error(`value ${x} does not fit a uint256`);
    for (let i = 31, v = x; v > 0n; i--, v >>= 8n) w[i] = Number(v & 0xffn);
  } else {
    if (x.length > 32) throw new Error('more than 32 bytes for one word');
    w.set(x, 32 - x.length);
  }
  return w;
}

function need(b: Uint8Array, len: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== len) throw new Error(`${what} must be ${len} bytes`);
}

function needU64(x: bigint, what: string, min = 0n): void {
  if (typeof x !== 'bigint' || x < min || x > U64_MAX) throw new Error(`${what} must be a uint64 >= ${min}`);
}

/** Unsigned big-endian comparison of equal-length byte strings (addresses). */
export function compareAddresses(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Ethereum address of a secp256k1 key: last 20 bytes of keccak256(uncompressed key without 0x04). */
export function ethAddress(pubkey: Uint8Array): Uint8Array {
  let full: Uint8Array;
  try {
    full = publicKeyConvert(pubkey, false); // validates the point, compressed or not
  } catch {
    throw new Error('not a secp256k1 public key');
  }
  return keccak256(full.subarray(1)).slice(12);
}

/** The canonical set: sorted by address; throws on duplicate addresses, zero addresses, zero or out-of-range powers, or no validators. */
export function canonicalValidatorSet(validators: readonly AnchorValidator[]): AnchorValidator[] {
  const sorted = [...validators].sort((a, b) => compareAddresses(a.ethAddress, b.ethAddress));
  checkCanonical(sorted);
  return sorted;
}

function checkCanonical(validators: readonly AnchorValidator[]): void {
  if (validators.length === 0) throw new Error('validator set is empty');
  let prev: Uint8Array = new Uint8Array(20);
  validators.forEach((v, i) => {
    need(v.ethAddress, 20, `validator ${i} address`);
    needU64(v.power, `validator ${i} power`, 1n);
    if (compareAddresses(v.ethAddress, prev) <= 0) throw new Error(`validator ${i}: addresses must be non-zero and strictly ascending`);
    prev = v.ethAddress;
  });
}

/**
 * keccak256(abi.encode(Validator[])) as DepinAnchor.validatorSetHashAndPower computes it:
 * word(0x20) ‖ word(n) ‖ n × (word(address) ‖ word(power)). The set must already be canonical
 * (use canonicalValidatorSet); a non-canonical set throws, since the contract would reject it.
 */
export function validatorSetHash(validators: readonly AnchorValidator[]): Uint8Array {
  checkCanonical(validators);
  return keccak256(concat(word(32n), word(BigInt(validators.length)), ...validators.flatMap((v) => [word(v.ethAddress), word(v.power)])));
}

export function totalPower(validators: readonly AnchorValidator[]): bigint {
  return validators.reduce((n, v) => n + v.power, 0n);
}

/** The contract's rule: strictly more than two thirds. */
export function hasQuorum(signedPower: bigint, total: bigint): boolean {
  return signedPower * 3n > total * 2n;
}

export function domainSeparator(d: AnchorDomain): Uint8Array {
  need(d.contract, 20, 'contract address');
  return keccak256(
    concat(DOMAIN_TYPEHASH, keccak256(enc.encode(DOMAIN_NAME)), keccak256(enc.encode(DOMAIN_VERSION)), word(d.ethChainId), word(d.contract)),
  );
}

export function checkpointStructHash(cosmosChainId: string, cp: Checkpoint): Uint8Array {
  if (cosmosChainId.length === 0) throw new Error('empty Cosmos chain id');
  needU64(cp.number, 'checkpoint number', 1n);
  needU64(cp.height, 'checkpoint height', 1n);
  need(cp.stateRoot, 32, 'state root');
  need(cp.validatorSetHash, 32, 'validator set hash');
  need(cp.nextValidatorSetHash, 32, 'next validator set hash');
  return keccak256(
    concat(
      CHECKPOINT_TYPEHASH,
      keccak256(enc.encode(cosmosChainId)),
      word(cp.number),
      word(cp.height),
      cp.stateRoot,
      cp.validatorSetHash,
      cp.nextValidatorSetHash,
    ),
  );
}

/** The EIP-712 digest DepinAnchor.checkpointDigest computes: keccak256(0x1901 ‖ domain ‖ structHash). */
export function checkpointDigest(domain: AnchorDomain, cp: Checkpoint): Uint8Array {
  return keccak256(concat(Uint8Array.of(0x19, 0x01), domainSeparator(domain), checkpointStructHash(domain.cosmosChainId, cp)));
}

/** 65-byte r ‖ s ‖ v (v = 27 + recovery id, s low) with the validator's consensus private key. */
export function signCheckpoint(privateKey: Uint8Array, digest: Uint8Array): Uint8Array {
  need(digest, 32, 'digest');
  return signDigestRecoverable(digest, privateKey);
}

/**
 * The Ethereum address that signed `digest`, under exactly the contract's rules (65 bytes,
 * v in {27, 28}, low S, recoverable), or undefined. The checkpoint module uses this to accept a
 * validator's signature only if the contract will.
 */
export function recoverCheckpointSigner(digest: Uint8Array, signature: Uint8Array): Uint8Array | undefined {
  if (digest.length !== 32 || signature.length !== 65) return undefined;
  const v = signature[64]!;
  if (v !== 27 && v !== 28) return undefined;
  const rs = signature.subarray(0, 64);
  if (!isLowS(rs)) return undefined;
  const pub = recoverPublicKey(rs, v - 27, digest);
  return pub && ethAddress(pub);
}

/**
 * The `signatures` argument of submitCheckpoint: the signatures sorted by signer address and
 * concatenated (65 bytes each). Throws on a duplicated signer or a malformed entry. Callers pass
 * only signatures they checked with recoverCheckpointSigner.
 */
export function packSignatures(signatures: readonly CheckpointSignature[]): Uint8Array {
  const sorted = [...signatures].sort((a, b) => compareAddresses(a.signer, b.signer));
  sorted.forEach((s, i) => {
    need(s.signer, 20, `signer ${i}`);
    need(s.signature, 65, `signature ${i}`);
    if (i > 0 && compareAddresses(sorted[i - 1]!.signer, s.signer) === 0) throw new Error('duplicate signer');
  });
  return concat(...sorted.map((s) => s.signature));
}

/** Power of `validators` covered by `signatures` (each must be a member; duplicates count once). */
export function signedPower(validators: readonly AnchorValidator[], signatures: readonly CheckpointSignature[]): bigint {
  const signers = new Set(signatures.map((s) => Buffer.from(s.signer).toString('hex')));
  return validators.reduce((n, v) => (signers.has(Buffer.from(v.ethAddress).toString('hex')) ? n + v.power : n), 0n);
}

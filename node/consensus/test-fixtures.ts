// Deterministic keys, validator sets, block ids and signed messages for the consensus tests.
import { sha256 } from '../../chain/crypto/hash.ts';
import { ValidatorKey } from '../validator-key.ts';
import { ValidatorSet } from './validator-set.ts';
import { proposalSignBytes, voteSignBytes } from './sign-bytes.ts';
import {
  NIL_BLOCK_ID, SIGNED_MSG_TYPE_PRECOMMIT, SIGNED_MSG_TYPE_PREVOTE,
  type BlockID, type Proposal, type Timestamp, type Vote, type VoteType,
} from './types.ts';

export const CHAIN_ID = 'depin-test-1';

/** Validator keys derived from a label, so every run (and every simulated restart) has the same keys. */
export function makeKeys(n: number, label = 'validator'): ValidatorKey[] {
  return Array.from({ length: n }, (_, i) => new ValidatorKey(sha256(new TextEncoder().encode(`${label}/${i}`))));
}

export function makeValSet(keys: readonly ValidatorKey[], powers?: readonly bigint[]): ValidatorSet {
  return ValidatorSet.fromGenesis(keys.map((k, i) => ({ address: k.address, pubKey: k.publicKey, votingPower: powers?.[i] ?? 1n })));
}

export function blockId(label: string): BlockID {
  const enc = new TextEncoder();
  return { hash: sha256(enc.encode(`block/${label}`)), partSetHeader: { total: 1, hash: sha256(enc.encode(`parts/${label}`)) } };
}

export function ts(seconds: number, nanos = 0): Timestamp {
  return { seconds: BigInt(seconds), nanos };
}

/** The key of the validator at `index` of `set`. */
export function keyAt(keys: readonly ValidatorKey[], set: ValidatorSet, index: number): ValidatorKey {
  const v = set.get(index)!;
  return keys.find((k) => Buffer.compare(k.address, v.address) === 0)!;
}

export function signedVote(key: ValidatorKey, set: ValidatorSet, type: VoteType, height: bigint, round: number, id: BlockID = NIL_BLOCK_ID,
  time: Timestamp = ts(1000), chainId = CHAIN_ID): Vote {
  const unsigned = { type, height, round, blockId: id, timestamp: time, validatorAddress: key.address, validatorIndex: set.indexOf(key.address) };
  return { ...unsigned, signature: key.sign(voteSignBytes(chainId, unsigned)) };
}

export function prevote(key: ValidatorKey, set: ValidatorSet, height: bigint, round: number, id: BlockID = NIL_BLOCK_ID): Vote {
  return signedVote(key, set, SIGNED_MSG_TYPE_PREVOTE, height, round, id);
}

export function precommit(key: ValidatorKey, set: ValidatorSet, height: bigint, round: number, id: BlockID = NIL_BLOCK_ID): Vote {
  return signedVote(key, set, SIGNED_MSG_TYPE_PRECOMMIT, height, round, id);
}

export function signedProposal(key: ValidatorKey, height: bigint, round: number, id: BlockID, polRound = -1, time: Timestamp = ts(1000), chainId = CHAIN_ID): Proposal {
  const unsigned = { height, round, polRound, blockId: id, timestamp: time };
  return { ...unsigned, signature: key.sign(proposalSignBytes(chainId, unsigned)) };
}

/** secp256k1 group order, to build the high-S twin of a signature. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export function highS(sig: Uint8Array): Uint8Array {
  const s = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'));
  const out = Uint8Array.from(sig);
  out.set(Buffer.from((SECP256K1_N - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}

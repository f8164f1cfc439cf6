// The anchorable claim record: for every (device, owner) ledger that was ever credited, a
// canonical 44-byte value under its own key, so that an Ethereum contract can prove it against an
// anchored checkpoint (contracts/RewardClaimVerifier.sol) without decoding protobuf:
//
//   key   "rewards/" ‖ 0x13 ‖ u64be device_id ‖ owner (20 address bytes)
//   value u64be epoch ‖ u128be cumulative ‖ bytes20 beneficiary
//
// epoch       = the last epoch whose payout credited the ledger (Ledger.last_credited_epoch)
// cumulative  = earned − clawed_back: everything this owner was ever credited for the device, net
//               of reversals (claims on this chain do not lower it: it is cumulative)
// beneficiary = the owner's 20 address bytes (the same bytes as in the key)
//
// The record is a pure function of the ledger, written by RewardsKeeper.setLedger whenever it
// changes (payout, clawback, genesis import). Ledgers are per (device, owner), so the record id the
// contract sees (its `deviceId` bytes) is `u64be device_id ‖ owner`: a transferred device's earlier
// rewards stay with the earlier owner, under a different id.
import { fromBech32 } from '../../chain/crypto/address.ts';
import { K, STORE_PREFIX } from './keys.ts';
import { concat, u64be, readU64 } from '../../chain/codec/bytes.ts';
import type { Ledger } from './types.ts';

export const ANCHOR_RECORD_LENGTH = 44;
/** The full store key prefix: RewardClaimVerifier's `keyPrefix`. */
export const ANCHOR_RECORD_KEY_PREFIX = concat(STORE_PREFIX, Uint8Array.of(K.anchorRecord));
const U128 = 1n << 128n;

export interface AnchorRecord {
  epoch: bigint;
  cumulative: bigint;
  /** 20 bytes: the owner's address bytes. */
  beneficiary: Uint8Array;
}

/** The record id under the prefix (RewardClaimVerifier's `deviceId` argument): u64be device ‖ owner. */
export function anchorRecordId(deviceId: bigint, owner: string): Uint8Array {
  const a = fromBech32(owner);
  if (a.length !== 20) throw new Error(`anchor records need 20-byte owner addresses, ${owner} has ${a.length}`);
  return concat(u64be(deviceId), a);
}

/** The full store key (what /store/key proofs and DepinAnchor.verifyState take). */
export function anchorRecordKey(deviceId: bigint, owner: string): Uint8Array {
  return concat(ANCHOR_RECORD_KEY_PREFIX, anchorRecordId(deviceId, owner));
}

export function encodeAnchorRecord(r: AnchorRecord): Uint8Array {
  if (r.epoch < 0n || r.epoch >= 1n << 64n) throw new Error(`anchor record epoch ${r.epoch} out of range`);
  if (r.cumulative < 0n || r.cumulative >= U128) throw new Error(`anchor record amount ${r.cumulative} out of range`);
  if (r.beneficiary.length !== 20) throw new Error('anchor record beneficiary must be 20 bytes');
  const out = new Uint8Array(ANCHOR_RECORD_LENGTH);
  out.set(u64be(r.epoch), 0);
  out.set(u64be(r.cumulative >> 64n), 8);
  out.set(u64be(r.cumulative & ((1n << 64n) - 1n)), 16);
  out.set(r.beneficiary, 24);
  return out;
}

/** Strict: exactly 44 bytes (as the contract's decodeRecord). */
export function decodeAnchorRecord(b: Uint8Array): AnchorRecord {
  if (b.length !== ANCHOR_RECORD_LENGTH) throw new Error(`an anchor record is ${ANCHOR_RECORD_LENGTH} bytes, got ${b.length}`);
  return { epoch: readU64(b, 0), cumulative: (readU64(b, 8) << 64n) | readU64(b, 16), beneficiary: b.slice(24, 44) };
}

/** The record a ledger stands for: undefined until it was first credited, or for an owner address
 * that is not 20 bytes (no Ethereum-sized beneficiary; such ledgers are claimable on chain only). */
export function anchorRecordOf(l: Ledger): { key: Uint8Array; value: Uint8Array } | undefined {
  if (l.earned === 0n) return undefined;
  const owner = fromBech32(l.owner);
  if (owner.length !== 20) return undefined;
  return {
    key: concat(Uint8Array.of(K.anchorRecord), u64be(l.deviceId), owner),
    value: encodeAnchorRecord({ epoch: l.lastCreditedEpoch, cumulative: l.earned - l.clawedBack, beneficiary: owner }),
  };
}

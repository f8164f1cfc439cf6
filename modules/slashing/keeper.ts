// Liveness and equivocation: a signing record per consensus address, a missed-block bitmap over a
// sliding window, downtime jailing with a slash, double-sign slashing with permanent jail
// (tombstone), and unjailing. Everything is driven by block data consensus hands the app
// (ctx.block.lastCommit, ctx.block.misbehavior) and by block time, never the wall clock.
import type { Context, Misbehavior, Timestamp } from '../../chain/context.ts';
import { event } from '../../chain/events.ts';
import { toBech32, addressBytesFromPubkey, VALCONS_PREFIX } from '../../chain/crypto/address.ts';
import { mulRoundHalfEven } from '../../chain/dec.ts';
import { addDuration, diffNanos, durationNanos } from '../../chain/time.ts';
import { i64 } from '../../chain/codec/proto.ts';
import { prefixEnd, type KVStore } from '../../chain/store/kv.ts';
import type { StakingKeeperI, StakingHooks } from '../staking/keeper.ts';
import { BOND_STATUS } from '../staking/types.ts';
import { POWER_REDUCTION } from '../staking/validator.ts';
import { ValidatorSigningInfo, Params as ParamsCodec, type ValidatorSigningInfoMsg } from './types.ts';
import {
  DEFAULT_SLASHING_PARAMS, DEFAULT_EVIDENCE_PARAMS, paramsFromMsg, paramsToMsg, validateParams, type SlashingParams, type EvidenceParams,
} from './params.ts';
import { ErrValidatorTombstoned } from './errors.ts';
import { concat, u64be } from '../../chain/codec/bytes.ts';

export const STORE = new TextEncoder().encode('slashing/');
export const PARAMS = 0x00;
export const SIGNING_INFO = 0x01; // | consAddr -> ValidatorSigningInfo
export const MISSED = 0x02; // | consAddr | index u64be -> 0x01 (the block at that window slot was missed)
export const EVIDENCE_MAX_BLOCKS = 0x03; // decimal
export const EVIDENCE_MAX_NANOS = 0x04; // decimal nanoseconds

/** Height offset between a block and the validator set that signed it (CometBFT applies
 * end-block updates at H+2); used to date infractions as the SDK does. */
export const VALIDATOR_UPDATE_DELAY = 1n;
/** Jailed forever: 9999-12-31T23:59:59Z. */
export const DOUBLE_SIGN_JAIL_END: Timestamp = { seconds: 253_402_300_799n, nanos: 0 };

export interface SigningInfo {
  address: Uint8Array; // consensus address, 20 bytes
  startHeight: bigint;
  indexOffset: bigint;
  jailedUntil: Timestamp;
  tombstoned: boolean;
  missedBlocksCounter: bigint;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const ONE = Uint8Array.of(1);

export const consAddrString = (b: Uint8Array): string => toBech32(VALCONS_PREFIX, b);

function key(table: number, ...parts: Uint8Array[]): Uint8Array {
  return concat(Uint8Array.of(table), ...parts);
}

export function signingInfoToMsg(s: SigningInfo): ValidatorSigningInfoMsg {
  return {
    address: consAddrString(s.address),
    startHeight: s.startHeight.toString(),
    indexOffset: s.indexOffset.toString(),
    jailedUntil: { seconds: s.jailedUntil.seconds.toString(), nanos: s.jailedUntil.nanos },
    tombstoned: s.tombstoned,
    missedBlocksCounter: s.missedBlocksCounter.toString(),
  };
}

export function signingInfoFromMsg(address: Uint8Array, m: ValidatorSigningInfoMsg): SigningInfo {
  return {
    address,
    startHeight: i64(m.startHeight),
    indexOffset: i64(m.indexOffset),
    jailedUntil: { seconds: i64(m.jailedUntil?.seconds), nanos: m.jailedUntil?.nanos ?? 0 },
    tombstoned: m.tombstoned,
    missedBlocksCounter: i64(m.missedBlocksCounter),
  };
}

export class SlashingKeeper {
  readonly staking: StakingKeeperI;

  constructor(staking: StakingKeeperI) {
    this.staking = staking;
  }

  kv(ctx: Context): KVStore {
    return ctx.kv(STORE);
  }

  // ------------------------------------------------------------------ params

  params(ctx: Context): SlashingParams {
    const raw = this.kv(ctx).get(Uint8Array.of(PARAMS));
    return raw ? paramsFromMsg(ParamsCodec.decode(raw)) : DEFAULT_SLASHING_PARAMS;
  }

  setParams(ctx: Context, p: SlashingParams): void {
    validateParams(p);
    this.kv(ctx).set(Uint8Array.of(PARAMS), ParamsCodec.encode(paramsToMsg(p)));
  }

  evidenceParams(ctx: Context): EvidenceParams {
    const kv = this.kv(ctx);
    const blocks = kv.get(Uint8Array.of(EVIDENCE_MAX_BLOCKS));
    const nanos = kv.get(Uint8Array.of(EVIDENCE_MAX_NANOS));
    if (!blocks || !nanos) return DEFAULT_EVIDENCE_PARAMS;
    const n = BigInt(dec.decode(nanos));
    return { maxAgeNumBlocks: BigInt(dec.decode(blocks)), maxAgeDuration: { seconds: n / 1_000_000_000n, nanos: Number(n % 1_000_000_000n) } };
  }

  setEvidenceParams(ctx: Context, p: EvidenceParams): void {
    const kv = this.kv(ctx);
    kv.set(Uint8Array.of(EVIDENCE_MAX_BLOCKS), enc.encode(p.maxAgeNumBlocks.toString()));
    kv.set(Uint8Array.of(EVIDENCE_MAX_NANOS), enc.encode(durationNanos(p.maxAgeDuration).toString()));
  }

  // ------------------------------------------------------------------ signing info and bitmap

  signingInfo(ctx: Context, consAddr: Uint8Array): SigningInfo | undefined {
    const raw = this.kv(ctx).get(key(SIGNING_INFO, consAddr));
    return raw ? signingInfoFromMsg(Uint8Array.from(consAddr), ValidatorSigningInfo.decode(raw)) : undefined;
  }

  setSigningInfo(ctx: Context, s: SigningInfo): void {
    this.kv(ctx).set(key(SIGNING_INFO, s.address), ValidatorSigningInfo.encode(signingInfoToMsg(s)));
  }

  missed(ctx: Context, consAddr: Uint8Array, index: bigint): boolean {
    return this.kv(ctx).has(key(MISSED, consAddr, u64be(index)));
  }

  setMissed(ctx: Context, consAddr: Uint8Array, index: bigint, missed: boolean): void {
    const k = key(MISSED, consAddr, u64be(index));
    if (missed) this.kv(ctx).set(k, ONE);
    else this.kv(ctx).delete(k);
  }

  /** Indexes of the missed slots of one validator's window, ascending. */
  missedIndexes(ctx: Context, consAddr: Uint8Array): bigint[] {
    const start = key(MISSED, consAddr);
    const out: bigint[] = [];
    for (const [k] of this.kv(ctx).iterator(start, prefixEnd(start))) out.push(new DataView(k.buffer, k.byteOffset + start.length, 8).getBigUint64(0));
    return out;
  }

  private clearMissed(ctx: Context, consAddr: Uint8Array): void {
    for (const i of this.missedIndexes(ctx, consAddr)) this.setMissed(ctx, consAddr, i, false);
  }

  // ------------------------------------------------------------------ hooks from staking

  hooks(): StakingHooks {
    return {
      // A key tombstoned for double signing never validates again, even under a new operator.
      afterValidatorCreated: (ctx, v) => {
        const info = this.signingInfo(ctx, addressBytesFromPubkey(v.consPubKey));
        if (info?.tombstoned) throw ErrValidatorTombstoned.wrap(`consensus key ${consAddrString(info.address)} was tombstoned for double signing; use a new key`);
      },
      // Every bonding starts a fresh observation window (the SDK's AfterValidatorBonded).
      afterValidatorBonded: (ctx, consAddr) => {
        const info = this.signingInfo(ctx, consAddr);
        if (info) {
          info.startHeight = ctx.block.height;
          this.setSigningInfo(ctx, info);
        } else {
          this.setSigningInfo(ctx, { address: Uint8Array.from(consAddr), startHeight: ctx.block.height, indexOffset: 0n, jailedUntil: { seconds: 0n, nanos: 0 }, tombstoned: false, missedBlocksCounter: 0n });
        }
      },
    };
  }

  // ------------------------------------------------------------------ liveness

  /** One vote of the last commit (the SDK's HandleValidatorSignature). */
  handleValidatorSignature(ctx: Context, consAddr: Uint8Array, power: bigint, signed: boolean, params: SlashingParams = this.params(ctx)): void {
    const height = ctx.block.height;
    const v = this.staking.validatorByConsAddr(ctx, consAddr);
    if (!v || v.jailed) return; // a jailed validator's absence is expected
    const info = this.signingInfo(ctx, consAddr);
    if (!info) return; // never bonded here: nothing to track
    const window = params.signedBlocksWindow;
    const index = info.indexOffset % window;
    info.indexOffset += 1n;
    const previous = this.missed(ctx, consAddr, index);
    const missed = !signed;
    if (!previous && missed) {
      this.setMissed(ctx, consAddr, index, true);
      info.missedBlocksCounter += 1n;
    } else if (previous && !missed) {
      this.setMissed(ctx, consAddr, index, false);
      info.missedBlocksCounter -= 1n;
    }
    const address = consAddrString(consAddr);
    if (missed) ctx.events.emit(event('liveness', { address, missed_blocks: info.missedBlocksCounter.toString(), height: height.toString() }));
    const minHeight = info.startHeight + window;
    const maxMissed = window - mulRoundHalfEven(window, params.minSignedPerWindow);
    if (height > minHeight && info.missedBlocksCounter > maxMissed) {
      // Downtime: slash the stake that signed blocks back then, jail, and start the window over.
      const distributionHeight = height - VALIDATOR_UPDATE_DELAY - 1n;
      const burned = this.staking.slash(ctx, consAddr, distributionHeight, power, params.slashFractionDowntime);
      this.staking.jail(ctx, consAddr);
      ctx.events.emit(event('slash', { address, power: power.toString(), reason: 'missing_signature', jailed: address, burned_coins: burned.toString() }));
      info.jailedUntil = addDuration(ctx.block.time, params.downtimeJailDuration);
      info.missedBlocksCounter = 0n;
      info.indexOffset = 0n;
      this.clearMissed(ctx, consAddr);
    }
    this.setSigningInfo(ctx, info);
  }

  // ------------------------------------------------------------------ equivocation

  /** Double signing (duplicate_vote; light_client_attack is treated the same, as the SDK does):
   * slash slash_fraction_double_sign of the stake at the offence, jail forever, tombstone.
   * Returns false when the evidence was ignored (too old, unknown or already punished). */
  handleEquivocation(ctx: Context, m: Misbehavior): boolean {
    if (m.type !== 'duplicate_vote' && m.type !== 'light_client_attack') return false;
    if (m.height > ctx.block.height || m.height < 1n) return false;
    const ev = this.evidenceParams(ctx);
    const ageBlocks = ctx.block.height - m.height;
    const ageNanos = diffNanos(ctx.block.time, m.time);
    if (ageNanos > durationNanos(ev.maxAgeDuration) && ageBlocks > ev.maxAgeNumBlocks) return false;
    const consAddr = m.validatorAddress;
    const v = this.staking.validatorByConsAddr(ctx, consAddr);
    if (!v || v.status === BOND_STATUS.UNBONDED) return false; // unknown or already unbonded
    const info = this.signingInfo(ctx, consAddr);
    if (!info || info.tombstoned) return false;
    const params = this.params(ctx);
    const power = m.power ?? v.tokens / POWER_REDUCTION;
    const address = consAddrString(consAddr);
    const burned = this.staking.slash(ctx, consAddr, m.height - VALIDATOR_UPDATE_DELAY, power, params.slashFractionDoubleSign);
    ctx.events.emit(event('slash', { address, power: power.toString(), reason: 'double_sign', burned_coins: burned.toString() }));
    if (!v.jailed) {
      this.staking.jail(ctx, consAddr);
      ctx.events.emit(event('slash', { jailed: address }));
    }
    info.jailedUntil = DOUBLE_SIGN_JAIL_END;
    info.tombstoned = true;
    this.setSigningInfo(ctx, info);
    return true;
  }

  beginBlock(ctx: Context): void {
    const votes = ctx.block.lastCommit ?? [];
    const params = votes.length ? this.params(ctx) : DEFAULT_SLASHING_PARAMS;
    // One vote per validator: a repeated address (a consensus bug) must not advance its window twice.
    const seen = new Set<string>();
    for (const vote of votes) {
      const id = Buffer.from(vote.validatorAddress).toString('hex');
      if (seen.has(id)) continue;
      seen.add(id);
      this.handleValidatorSignature(ctx, vote.validatorAddress, vote.power, vote.signed, params);
    }
    for (const m of ctx.block.misbehavior ?? []) this.handleEquivocation(ctx, m);
  }
}

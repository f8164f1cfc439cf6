// The anchor keeper: checkpoint schedule, confirmations, acknowledgements and submitter rotation.
// Every decision here is a pure function of state and block data (no clock, no I/O): the node's
// anchor service only observes this state and sends messages.
import type { Context } from '../../chain/context.ts';
import type { KVStore } from '../../chain/store/kv.ts';
import { prefixEnd } from '../../chain/store/kv.ts';
import { event } from '../../chain/events.ts';
import { verifyDigest } from '../../chain/crypto/secp256k1.ts';
import {
  checkpointDigest, recoverCheckpointSigner, validatorSetHash, hasQuorum, compareAddresses,
  type AnchorDomain, type Checkpoint,
} from '../../chain/anchor/checkpoint.ts';
import { ackDigest } from './ack-digest.ts';
import { anchorSet, type AnchorValidatorSource, type SourceValidator } from './validator-source.ts';
import {
  ErrUnknownCheckpoint, ErrAlreadyAcknowledged, ErrNotValidator, ErrDuplicateConfirmation, ErrInvalidSignature, ErrNotSigned, ErrDuplicateAck,
} from './errors.ts';
import {
  STATUS, STATUS_NAME, encodeParams, decodeParams, encodeRecord, decodeRecord, encodeSet, decodeSet, encodeConfirmation, decodeConfirmation,
  encodeAckVote, decodeAckVote, encodeState, decodeState,
  type AnchorParams, type AnchorMember, type CheckpointRecord, type EthTxRef, type AckVote, type AnchorState,
} from './types.ts';
import { concat, u64be } from '../../chain/codec/bytes.ts';

const STORE = new TextEncoder().encode('anchor/');
const PARAMS = Uint8Array.of(0x00);
const RECORD = 0x01;
const CONFIRMATION = 0x02;
const ACK_VOTE = 0x03;
const VALIDATOR_SET = 0x04;
const STATE = Uint8Array.of(0x05);
const GENESIS_SET = Uint8Array.of(0x06);

/** Gas for recovering/verifying one secp256k1 signature (Ethereum's ecrecover costs 3,000). */
export const SIGNATURE_GAS = 3000;

const key = (table: number, ...parts: Uint8Array[]) => concat(Uint8Array.of(table), ...parts);
export const recordKey = (n: bigint) => key(RECORD, u64be(n));
const confirmationKey = (n: bigint, val: Uint8Array) => key(CONFIRMATION, u64be(n), val);
const ackVoteKey = (n: bigint, val: Uint8Array) => key(ACK_VOTE, u64be(n), val);
const setKey = (hash: Uint8Array) => key(VALIDATOR_SET, hash);

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const HEX = (b: Uint8Array) => hex(b).toUpperCase();
const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && compareAddresses(a, b) === 0;

export const anchoringEnabled = (p: AnchorParams) => p.checkpointInterval > 0n && p.ethChainId > 0n && p.contract.length === 20;

/** What other modules (and the node) may read. */
export interface AnchorKeeperI {
  params(ctx: Context): AnchorParams;
  checkpoint(ctx: Context, n: bigint): CheckpointRecord | undefined;
  latest(ctx: Context, acknowledgedOnly?: boolean): CheckpointRecord | undefined;
}

export class AnchorKeeper implements AnchorKeeperI {
  private readonly source: AnchorValidatorSource;

  constructor(source: AnchorValidatorSource) {
    this.source = source;
  }

  private store(ctx: Context): KVStore {
    return ctx.kv(STORE);
  }

  // ------------------------------------------------------------ reads

  params(ctx: Context): AnchorParams {
    const raw = this.store(ctx).get(PARAMS);
    return raw ? decodeParams(raw) : { checkpointInterval: 0n, ethChainId: 0n, contract: new Uint8Array(), ackTimeout: 0n };
  }

  setParams(ctx: Context, p: AnchorParams): void {
    this.store(ctx).set(PARAMS, encodeParams(p));
  }

  state(ctx: Context): AnchorState {
    return decodeState(this.store(ctx).get(STATE));
  }

  setState(ctx: Context, s: AnchorState): void {
    this.store(ctx).set(STATE, encodeState(s));
  }

  checkpoint(ctx: Context, n: bigint): CheckpointRecord | undefined {
    if (n < 1n || n >= 1n << 64n) return undefined;
    const raw = this.store(ctx).get(recordKey(n));
    return raw ? decodeRecord(raw) : undefined;
  }

  setCheckpoint(ctx: Context, r: CheckpointRecord): void {
    this.store(ctx).set(recordKey(r.number), encodeRecord(r));
  }

  latest(ctx: Context, acknowledgedOnly = false): CheckpointRecord | undefined {
    const s = this.state(ctx);
    return this.checkpoint(ctx, acknowledgedOnly ? s.lastAcknowledged : s.lastNumber);
  }

  validatorSet(ctx: Context, hash: Uint8Array): AnchorMember[] | undefined {
    const raw = this.store(ctx).get(setKey(hash));
    return raw ? decodeSet(raw) : undefined;
  }

  /** A canonical set's hash as the contract computes it. */
  static setHash(set: readonly AnchorMember[]): Uint8Array {
    return validatorSetHash(set.map((m) => ({ ethAddress: m.ethAddress, power: m.power })));
  }

  /** Stores a canonical set under its contract hash (once) and returns the hash. */
  putValidatorSet(ctx: Context, set: readonly AnchorMember[]): Uint8Array {
    const hash = AnchorKeeper.setHash(set);
    const k = setKey(hash);
    if (!this.store(ctx).has(k)) this.store(ctx).set(k, encodeSet(set));
    return hash;
  }

  /** The set genesis gave as `anchor.validators` (the contract's initial set). */
  genesisValidators(ctx: Context): SourceValidator[] {
    const raw = this.store(ctx).get(GENESIS_SET);
    return raw ? decodeSet(raw).map((m) => ({ consensusPubkey: m.consensusPubkey, power: m.power })) : [];
  }

  setGenesisValidators(ctx: Context, validators: readonly SourceValidator[]): void {
    this.store(ctx).set(GENESIS_SET, encodeSet(anchorSet(validators)));
  }

  /** The chain's current validator set in the contract's format. */
  currentSet(ctx: Context): AnchorMember[] {
    return anchorSet(this.source.validators(ctx));
  }

  confirmation(ctx: Context, n: bigint, validator: Uint8Array): Uint8Array | undefined {
    const raw = this.store(ctx).get(confirmationKey(n, validator));
    return raw ? decodeConfirmation(raw) : undefined;
  }

  setConfirmation(ctx: Context, n: bigint, validator: Uint8Array, signature: Uint8Array): void {
    this.store(ctx).set(confirmationKey(n, validator), encodeConfirmation(signature));
  }

  ackVote(ctx: Context, n: bigint, validator: Uint8Array): AckVote | undefined {
    const raw = this.store(ctx).get(ackVoteKey(n, validator));
    return raw ? decodeAckVote(raw) : undefined;
  }

  setAckVote(ctx: Context, n: bigint, validator: Uint8Array, v: AckVote): void {
    this.store(ctx).set(ackVoteKey(n, validator), encodeAckVote(v));
  }

  /** Every stored ack vote of checkpoint n (latest height only: a range read). */
  ackVotes(ctx: Context, n: bigint): { validator: Uint8Array; vote: AckVote }[] {
    const prefix = key(ACK_VOTE, u64be(n));
    const out: { validator: Uint8Array; vote: AckVote }[] = [];
    for (const [k, v] of this.store(ctx).iterator(prefix, prefixEnd(prefix))) out.push({ validator: Uint8Array.from(k.subarray(prefix.length)), vote: decodeAckVote(v) });
    return out;
  }

  private clearAckVotes(ctx: Context, n: bigint): void {
    const prefix = key(ACK_VOTE, u64be(n));
    const keys = [...this.store(ctx).iterator(prefix, prefixEnd(prefix))].map(([k]) => Uint8Array.from(k));
    for (const k of keys) this.store(ctx).delete(k);
  }

  /** Every stored validator set (genesis export). */
  allValidatorSets(ctx: Context): { hash: Uint8Array; set: AnchorMember[] }[] {
    const prefix = Uint8Array.of(VALIDATOR_SET);
    return [...this.store(ctx).iterator(prefix, prefixEnd(prefix))].map(([k, v]) => ({ hash: Uint8Array.from(k.subarray(1)), set: decodeSet(v) }));
  }

  allConfirmations(ctx: Context, n: bigint): { validator: Uint8Array; signature: Uint8Array }[] {
    const prefix = key(CONFIRMATION, u64be(n));
    return [...this.store(ctx).iterator(prefix, prefixEnd(prefix))].map(([k, v]) => ({ validator: Uint8Array.from(k.subarray(prefix.length)), signature: decodeConfirmation(v) }));
  }

  // ------------------------------------------------------------ derived values

  domain(ctx: Context, p: AnchorParams = this.params(ctx)): AnchorDomain {
    return { ethChainId: p.ethChainId, contract: p.contract, cosmosChainId: ctx.block.chainId };
  }

  /** The EIP-712 digest validators sign for this checkpoint (what DepinAnchor.checkpointDigest computes). */
  digest(ctx: Context, r: CheckpointRecord, p: AnchorParams = this.params(ctx)): Uint8Array {
    return checkpointDigest(this.domain(ctx, p), checkpointOf(r));
  }

  ackDigest(ctx: Context, r: CheckpointRecord, eth: EthTxRef, p: AnchorParams = this.params(ctx)): Uint8Array {
    return ackDigest({ cosmosChainId: ctx.block.chainId, ethChainId: p.ethChainId, contract: p.contract, number: r.number, stateRoot: r.stateRoot, round: r.rotations }, eth);
  }

  /** The validator whose turn it is to send checkpoint `r` to Ethereum: index (number + rotations) mod n of its signing set. */
  submitter(ctx: Context, r: CheckpointRecord): AnchorMember | undefined {
    const set = this.validatorSet(ctx, r.validatorSetHash);
    if (!set || set.length === 0) return undefined;
    return set[Number((r.number + r.rotations) % BigInt(set.length))];
  }

  // ------------------------------------------------------------ begin block: schedule and rotation

  beginBlock(ctx: Context): void {
    const p = this.params(ctx);
    if (!anchoringEnabled(p)) return;
    const s = this.state(ctx);
    const latest = s.lastNumber > 0n ? this.checkpoint(ctx, s.lastNumber) : undefined;
    if (latest && (latest.status === STATUS.SIGNED || latest.status === STATUS.SUBMITTED)) {
      this.maybeRotate(ctx, latest, p);
      return;
    }
    if (latest && latest.status !== STATUS.ACKNOWLEDGED) return; // still collecting signatures
    this.maybeCreate(ctx, p, s, latest);
  }

  private maybeRotate(ctx: Context, r: CheckpointRecord, p: AnchorParams): void {
    if (ctx.block.height <= r.submitterDeadline) return;
    const previous = this.submitter(ctx, r);
    r.rotations += 1n;
    r.submitterDeadline = ctx.block.height + p.ackTimeout;
    r.status = STATUS.SIGNED; // votes of the past round no longer count
    this.clearAckVotes(ctx, r.number);
    this.setCheckpoint(ctx, r);
    const next = this.submitter(ctx, r);
    ctx.events.emit(event('checkpoint_submitter_rotated', {
      number: r.number.toString(), rotations: r.rotations.toString(),
      previous_submitter: previous ? HEX(previous.consensusAddress) : '', submitter: next ? HEX(next.consensusAddress) : '',
      deadline: r.submitterDeadline.toString(),
    }));
  }

  /**
   * At height h, a checkpoint of height h-1 (whose app hash the header of h carries) is created
   * when h-1 is a multiple of the interval above the last checkpointed height and the previous
   * checkpoint is acknowledged: one checkpoint in flight at a time, as Heimdall's buffer. A due
   * height that finds the previous one unacknowledged is skipped; the next multiple takes over.
   */
  private maybeCreate(ctx: Context, p: AnchorParams, s: AnchorState, latest: CheckpointRecord | undefined): void {
    const h = ctx.block.height - 1n;
    if (h < 1n || h % p.checkpointInterval !== 0n) return;
    if (latest && h <= latest.height) return;
    const root = ctx.block.lastAppHash;
    if (!root || root.length !== 32) return; // no header data (replays of blocks without it, tests)
    const signing = s.anchoredSetHash.length ? this.validatorSet(ctx, s.anchoredSetHash) : undefined;
    if (!signing) {
      ctx.events.emit(event('anchor_error', { reason: 'no anchored validator set: the module has no genesis validators' }));
      return;
    }
    let nextHash: Uint8Array;
    try {
      nextHash = this.putValidatorSet(ctx, this.currentSet(ctx));
    } catch (err) {
      ctx.events.emit(event('anchor_error', { reason: `current validator set cannot be anchored: ${(err as Error).message}` }));
      return;
    }
    const r: CheckpointRecord = {
      number: s.lastNumber + 1n,
      height: h,
      stateRoot: Uint8Array.from(root),
      validatorSetHash: s.anchoredSetHash,
      nextValidatorSetHash: nextHash,
      status: STATUS.PENDING,
      createdHeight: ctx.block.height,
      signedHeight: 0n,
      signedPower: 0n,
      totalPower: signing.reduce((n, m) => n + m.power, 0n),
      rotations: 0n,
      submitterDeadline: 0n,
      eth: undefined,
      acknowledgedHeight: 0n,
    };
    this.setCheckpoint(ctx, r);
    this.setState(ctx, { ...s, lastNumber: r.number });
    ctx.events.emit(event('checkpoint_created', {
      number: r.number.toString(), height: r.height.toString(), state_root: hex(r.stateRoot),
      validator_set_hash: hex(r.validatorSetHash), next_validator_set_hash: hex(r.nextValidatorSetHash),
    }));
  }

  // ------------------------------------------------------------ messages

  /**
   * A validator's signature over checkpoint n's digest. Refused (nothing changes) for an unknown
   * or acknowledged checkpoint, a validator outside its signing set, a second confirmation, or a
   * signature the contract would not accept from that validator's Ethereum address.
   * Returns true when this confirmation reached the quorum.
   */
  confirm(ctx: Context, n: bigint, validator: Uint8Array, signature: Uint8Array): boolean {
    const r = this.checkpoint(ctx, n);
    if (!r) throw ErrUnknownCheckpoint.wrap(`checkpoint ${n}`);
    if (r.status === STATUS.ACKNOWLEDGED) throw ErrAlreadyAcknowledged.wrap(`checkpoint ${n}`);
    const set = this.validatorSet(ctx, r.validatorSetHash) ?? [];
    const member = set.find((m) => eq(m.consensusAddress, validator));
    if (!member) throw ErrNotValidator.wrap(`${HEX(validator)} is not in the signing set of checkpoint ${n}`);
    if (this.confirmation(ctx, n, validator)) throw ErrDuplicateConfirmation.wrap(`${HEX(validator)} for checkpoint ${n}`);
    ctx.gasMeter.consume(SIGNATURE_GAS, 'anchor: recover checkpoint signer');
    const p = this.params(ctx);
    const signer = recoverCheckpointSigner(this.digest(ctx, r, p), signature);
    if (!signer || !eq(signer, member.ethAddress)) {
      throw ErrInvalidSignature.wrap(`signature does not recover to ${HEX(validator)}'s Ethereum address 0x${hex(member.ethAddress)}${signer ? ` (got 0x${hex(signer)})` : ''}`);
    }
    this.setConfirmation(ctx, n, validator, signature);
    r.signedPower += member.power;
    let reached = false;
    if (r.status === STATUS.PENDING && hasQuorum(r.signedPower, r.totalPower)) {
      r.status = STATUS.SIGNED;
      r.signedHeight = ctx.block.height;
      r.submitterDeadline = ctx.block.height + p.ackTimeout;
      reached = true;
    }
    this.setCheckpoint(ctx, r);
    ctx.events.emit(event('checkpoint_confirmed', {
      number: n.toString(), validator: HEX(validator), eth_address: `0x${hex(member.ethAddress)}`, power: member.power.toString(),
      signed_power: r.signedPower.toString(), total_power: r.totalPower.toString(),
    }));
    if (reached) {
      const sub = this.submitter(ctx, r);
      ctx.events.emit(event('checkpoint_signed', {
        number: n.toString(), signed_power: r.signedPower.toString(), total_power: r.totalPower.toString(),
        submitter: sub ? HEX(sub.consensusAddress) : '', deadline: r.submitterDeadline.toString(),
      }));
    }
    return reached;
  }

  /**
   * A validator's report that checkpoint n is stored on Ethereum by `eth`. Votes are counted
   * with the validators' current power; when validators with more than 2/3 of it agree on the
   * same (tx hash, block, log index), the checkpoint is acknowledged, its next validator set
   * becomes the anchored one and the next checkpoint may be created. Returns true on acknowledgement.
   */
  ack(ctx: Context, n: bigint, validator: Uint8Array, eth: EthTxRef, signature: Uint8Array): boolean {
    const r = this.checkpoint(ctx, n);
    if (!r) throw ErrUnknownCheckpoint.wrap(`checkpoint ${n}`);
    if (r.status === STATUS.ACKNOWLEDGED) throw ErrAlreadyAcknowledged.wrap(`checkpoint ${n}`);
    if (r.status === STATUS.PENDING) throw ErrNotSigned.wrap(`checkpoint ${n} has ${r.signedPower} of ${r.totalPower} power`);
    const current = this.currentSet(ctx);
    const member = current.find((m) => eq(m.consensusAddress, validator));
    if (!member) throw ErrNotValidator.wrap(`${HEX(validator)} is not a current validator`);
    if (this.ackVote(ctx, n, validator)) throw ErrDuplicateAck.wrap(`${HEX(validator)} for checkpoint ${n}, round ${r.rotations}`);
    ctx.gasMeter.consume(SIGNATURE_GAS, 'anchor: verify ack signature');
    const p = this.params(ctx);
    if (!verifyDigest(signature, this.ackDigest(ctx, r, eth, p), member.consensusPubkey)) {
      throw ErrInvalidSignature.wrap(`ack signature of ${HEX(validator)} does not verify for checkpoint ${n}, round ${r.rotations}`);
    }
    this.setAckVote(ctx, n, validator, { eth, round: r.rotations, signature });
    const votes = this.ackVotes(ctx, n);
    const same = (e: EthTxRef) => eq(e.txHash, eth.txHash) && e.blockNumber === eth.blockNumber && e.logIndex === eth.logIndex;
    const agreeing = current.filter((m) => votes.some((v) => eq(v.validator, m.consensusAddress) && same(v.vote.eth))).reduce((x, m) => x + m.power, 0n);
    const total = current.reduce((x, m) => x + m.power, 0n);
    ctx.events.emit(event('checkpoint_ack_vote', {
      number: n.toString(), validator: HEX(validator), eth_tx_hash: `0x${hex(eth.txHash)}`, eth_block_number: eth.blockNumber.toString(),
      log_index: eth.logIndex.toString(), agreeing_power: agreeing.toString(), total_power: total.toString(),
    }));
    if (!hasQuorum(agreeing, total)) {
      if (r.status === STATUS.SIGNED) {
        r.status = STATUS.SUBMITTED;
        this.setCheckpoint(ctx, r);
      }
      return false;
    }
    r.status = STATUS.ACKNOWLEDGED;
    r.eth = { txHash: Uint8Array.from(eth.txHash), blockNumber: eth.blockNumber, logIndex: eth.logIndex };
    r.acknowledgedHeight = ctx.block.height;
    r.submitterDeadline = 0n;
    this.setCheckpoint(ctx, r);
    this.clearAckVotes(ctx, n);
    const s = this.state(ctx);
    this.setState(ctx, { ...s, lastAcknowledged: n, anchoredSetHash: r.nextValidatorSetHash });
    ctx.events.emit(event('checkpoint_acknowledged', {
      number: n.toString(), height: r.height.toString(), state_root: hex(r.stateRoot), eth_tx_hash: `0x${hex(eth.txHash)}`,
      eth_block_number: eth.blockNumber.toString(), log_index: eth.logIndex.toString(), status: STATUS_NAME[r.status]!,
    }));
    return true;
  }
}

/** The signed part of a record, as chain/anchor/checkpoint.ts and the contract see it. */
export function checkpointOf(r: CheckpointRecord): Checkpoint {
  return { number: r.number, height: r.height, stateRoot: r.stateRoot, validatorSetHash: r.validatorSetHash, nextValidatorSetHash: r.nextValidatorSetHash };
}

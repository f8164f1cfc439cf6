// Fraud challenges (README "Fraud challenges"). Anyone posts a bond against an accepted (final,
// valid, not reversed) proof within challenge_period_blocks, with evidence:
//   EQUIVOCATION       a second envelope signed by the same device for the same (kind, window,
//                      subject) slot with a different header: the device signed two proofs where
//                      one is allowed (the chain refuses the second at submission, but a device
//                      that equivocates is lying about at least one of them);
//   LOCATION_CONFLICT  an envelope signed by the device for the same window reporting a cell more
//                      than location_ring_limit rings from its asserted location (it was elsewhere);
//   ARBITRATED         anything the chain cannot check (e.g. a leaf shown absent off chain, a
//                      cluster on one antenna): the authority upholds or rejects it before
//                      arbitration_blocks, otherwise it expires and the bond is returned.
// Upheld: the proof is reversed (ProofHooks.afterProofReversed with fraud_penalty_units), the
// device is banned through the devices keeper for fraud_ban_blocks, a staked provider is slashed
// fraud_slash_bps (challenger_share_bps of it to the challenger, the rest burned), and the
// challenger gets its bond back plus challenge_reward from the fraud fund. Rejected: the bond goes
// to the fraud fund (which pays future rewards). Deterministic evidence is judged in the tx.
import type { Context } from '../../chain/context.ts';
import { event } from '../../chain/events.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { toSdkError } from '../../chain/errors.ts';
import { u64 } from '../../chain/codec/proto.ts';
import { DENOM, coinAmount, type Params } from './params.ts';
import { KIND, KIND_NAMES, STATUS } from './reasons.ts';
import { K, keys, COUNTERS } from './store-keys.ts';
import { readU64 } from '../../chain/codec/bytes.ts';
import { equalBytes } from './envelope.ts';
import { gridDistance, isLocationCell } from './grid.ts';
import { EnvelopeCodec, ChallengeCodec, encode, challengeFrom, challengeTo, EVIDENCE, CH, type Challenge, type ProofRecord, type EnvelopeMsg } from './types.ts';
import { ErrProofNotFound, ErrNotChallengeable, ErrBondTooSmall, ErrInvalidField, ErrChallengeNotFound, ErrChallengeClosed } from './errors.ts';
import type { ProofsKeeper } from './keeper.ts';

/** Ban reason codes the proofs module uses with the devices keeper (devices MsgBan reason_code). */
export const BAN_REASON = { [EVIDENCE.EQUIVOCATION]: 4001, [EVIDENCE.LOCATION_CONFLICT]: 4002, [EVIDENCE.ARBITRATED]: 4003 } as Record<number, number>;
const BAN_DEVICE = 1;

export function getChallenge(k: ProofsKeeper, ctx: Context, id: bigint): Challenge | undefined {
  const raw = k.store(ctx).get(keys.challenge(id));
  return raw ? challengeFrom(ChallengeCodec.decode(raw)) : undefined;
}

function saveChallenge(k: ProofsKeeper, ctx: Context, c: Challenge): void {
  k.store(ctx).set(keys.challenge(c.id), encode(ChallengeCodec, challengeTo(c)));
}

export function challengeProof(k: ProofsKeeper, ctx: Context, challenger: string, proofId: bigint, kind: number, evidence: Uint8Array, bond: bigint): Challenge {
  const p = k.params(ctx);
  const r = k.getRecord(ctx, proofId);
  if (!r) throw ErrProofNotFound.wrap(`proof ${proofId}`);
  if (r.status !== STATUS.FINAL || !r.valid) throw ErrNotChallengeable.wrap(`proof ${proofId} is ${r.status === STATUS.REVERSED ? 'already reversed' : r.status === STATUS.PENDING ? 'still pending' : 'invalid (nothing to reverse)'}`);
  if (ctx.block.height > r.height + p.challengePeriodBlocks) throw ErrNotChallengeable.wrap(`proof ${proofId}'s challenge period ended at height ${r.height + p.challengePeriodBlocks}`);
  if (kind !== EVIDENCE.EQUIVOCATION && kind !== EVIDENCE.LOCATION_CONFLICT && kind !== EVIDENCE.ARBITRATED) throw ErrInvalidField.wrap(`unknown evidence kind ${kind}`);
  if (evidence.length === 0 || evidence.length > 64 * 1024) throw ErrInvalidField.wrap('evidence must be 1 byte to 64 KiB');
  const min = coinAmount(p.minChallengeBond);
  if (bond < min) throw ErrBondTooSmall.wrap(`bond ${bond}${DENOM} < ${min}${DENOM}`);
  k.collect(ctx, challenger, bond);
  const id = k.nextId(ctx, COUNTERS.challenge);
  const c: Challenge = {
    id, challenger, proofId, evidenceKind: kind, evidenceHash: sha256(evidence), bond, status: CH.PENDING, detail: '', height: ctx.block.height,
    deadline: kind === EVIDENCE.ARBITRATED ? ctx.block.height + p.arbitrationBlocks : 0n, resolvedHeight: 0n, reward: 0n,
  };
  if (ctx.events.enabled) ctx.events.emit(event('challenge_opened', { challenge_id: id.toString(), proof_id: proofId.toString(), device_id: r.deviceId.toString(), challenger, evidence_kind: String(kind), bond: `${bond}${DENOM}` }));
  if (kind === EVIDENCE.ARBITRATED) {
    saveChallenge(k, ctx, c);
    k.store(ctx).set(keys.challengeDeadline(c.deadline, id), Uint8Array.of(1));
    return c;
  }
  const why = judgeEvidence(k, ctx, p, r, kind, evidence);
  if (why.proven) uphold(k, ctx, p, c, r, why.detail);
  else reject(k, ctx, c, why.detail);
  return c;
}

/** Deterministic evidence: does it prove the device cheated? (never throws) */
function judgeEvidence(k: ProofsKeeper, ctx: Context, p: Params, r: ProofRecord, kind: number, evidence: Uint8Array): { proven: boolean; detail: string } {
  let env: EnvelopeMsg;
  try {
    env = EnvelopeCodec.decode(evidence);
  } catch {
    return { proven: false, detail: 'evidence is not an Envelope' };
  }
  let auth;
  try {
    auth = k.authenticate(ctx, env, { requireActive: false });
  } catch (err) {
    return { proven: false, detail: `evidence envelope refused: ${toSdkError(err).message}` };
  }
  const { header, handler, payload } = auth;
  if (header.deviceId !== r.deviceId) return { proven: false, detail: `evidence is signed by device ${header.deviceId}, the proof by ${r.deviceId}` };
  if (header.window !== r.window) return { proven: false, detail: `evidence is for window ${header.window}, the proof for ${r.window}` };
  if (kind === EVIDENCE.EQUIVOCATION) {
    if (header.kind !== r.kind) return { proven: false, detail: `evidence is a ${KIND_NAMES[header.kind]}, the proof a ${KIND_NAMES[r.kind]}` };
    if (handler.subject(header, payload) !== r.subject) return { proven: false, detail: 'evidence is for another subject' };
    if (equalBytes(sha256(env.header), r.envelopeHash)) return { proven: false, detail: 'evidence is the proof itself' };
    // Same seed, different content: a retry of the same payload (new seq) or an envelope made for a
    // wrong seed is not a lie about the window.
    if (!equalBytes(header.seed, r.seed)) return { proven: false, detail: 'evidence answers another seed' };
    if (equalBytes(header.payloadHash, r.payloadHash)) return { proven: false, detail: 'evidence has the same payload (a retry, not a second claim)' };
    return { proven: true, detail: `device ${r.deviceId} signed two ${KIND_NAMES[r.kind]} proofs for window ${r.window}` };
  }
  // LOCATION_CONFLICT: a reported cell far from the asserted location, in the same window.
  const cell = reportedCell(header.kind, payload);
  if (cell === 0n) return { proven: false, detail: 'the evidence envelope reports no cell' };
  const device = k.devices.getDevice(ctx, r.deviceId)!;
  if (device.locationHeight > r.submittedHeight) return { proven: false, detail: 'the device relocated after the proof' };
  if (!isLocationCell(cell)) return { proven: false, detail: 'the reported cell is not a resolution-12 cell' };
  const d = gridDistance(cell, device.locationCell);
  if (d !== undefined && d <= p.locationRingLimit) return { proven: false, detail: `the reported cell is ${d} rings from the asserted location (limit ${p.locationRingLimit})` };
  return { proven: true, detail: `device ${r.deviceId} reported cell ${cell.toString(16)}, ${d ?? 'too many'} rings from its asserted ${device.locationCell.toString(16)}, in window ${r.window}` };
}

function reportedCell(kind: number, payload: unknown): bigint {
  const x = payload as { cell?: unknown };
  if (kind === KIND.BEACON || kind === KIND.WITNESS || kind === KIND.SENSOR_BATCH) return u64(x.cell as never);
  return 0n;
}

function uphold(k: ProofsKeeper, ctx: Context, p: Params, c: Challenge, r: ProofRecord, detail: string): void {
  // Reverse the proof's units.
  r.status = STATUS.REVERSED;
  r.challengeId = c.id;
  k.saveRecord(ctx, r);
  if (ctx.events.enabled) ctx.events.emit(event('proof_reversed', { proof_id: r.id.toString(), device_id: r.deviceId.toString(), challenge_id: c.id.toString(), challenger: c.challenger, units: r.units.toString() }));
  k.hooks.afterProofReversed(ctx, k.outcome(r), c.challenger, p.fraudPenaltyUnits);
  // Penalise the device: a ban with the evidence hash (appealable through the devices module).
  k.devices.ban(ctx, BAN_DEVICE, r.deviceId.toString(), BAN_REASON[c.evidenceKind] ?? 4000, c.evidenceHash, p.fraudBanBlocks);
  // A staked provider also loses stake; the challenger gets a share.
  const slashed = k.slashProvider(ctx, r.deviceId, p.fraudSlashBps, `fraud challenge ${c.id}`);
  const share = (slashed * BigInt(p.challengerShareBps)) / 10_000n;
  k.burn(ctx, slashed - share);
  const fund = k.fraudFund(ctx);
  const want = coinAmount(p.challengeReward);
  const fromFund = want < fund ? want : fund;
  k.setFraudFund(ctx, fund - fromFund);
  c.reward = share + fromFund;
  k.pay(ctx, c.challenger, c.bond + c.reward);
  c.status = CH.UPHELD;
  c.detail = detail;
  c.resolvedHeight = ctx.block.height;
  saveChallenge(k, ctx, c);
  if (ctx.events.enabled) ctx.events.emit(event('challenge_resolved', { challenge_id: c.id.toString(), proof_id: r.id.toString(), status: 'upheld', reward: `${c.reward}${DENOM}`, detail }));
}

function reject(k: ProofsKeeper, ctx: Context, c: Challenge, detail: string): void {
  k.setFraudFund(ctx, k.fraudFund(ctx) + c.bond);
  c.status = CH.REJECTED;
  c.detail = detail;
  c.resolvedHeight = ctx.block.height;
  saveChallenge(k, ctx, c);
  if (ctx.events.enabled) ctx.events.emit(event('challenge_resolved', { challenge_id: c.id.toString(), proof_id: c.proofId.toString(), status: 'rejected', forfeited: `${c.bond}${DENOM}`, detail }));
}

/** The authority decides an arbitrated challenge before its deadline. */
export function resolveChallenge(k: ProofsKeeper, ctx: Context, id: bigint, upheld: boolean, detail: string): void {
  const p = k.params(ctx);
  const c = getChallenge(k, ctx, id);
  if (!c) throw ErrChallengeNotFound.wrap(`challenge ${id}`);
  if (c.status !== CH.PENDING || ctx.block.height > c.deadline) throw ErrChallengeClosed.wrap(`challenge ${id}`);
  k.store(ctx).delete(keys.challengeDeadline(c.deadline, id));
  const r = k.getRecord(ctx, c.proofId);
  if (upheld && r && r.status === STATUS.FINAL && r.valid) uphold(k, ctx, p, c, r, detail || 'upheld by the authority');
  else if (upheld) reject(k, ctx, c, 'the proof can no longer be reversed (already reversed or pruned)');
  else reject(k, ctx, c, detail || 'rejected by the authority');
}

/** End block: arbitrated challenges nobody decided expire and return their bond. */
export function expireChallenges(k: ProofsKeeper, ctx: Context): void {
  const s = k.store(ctx);
  const due: [Uint8Array, bigint][] = [];
  for (const [key] of s.iterator(Uint8Array.of(K.challengeDeadline), keys.challengeDeadline(ctx.block.height, 0n))) due.push([Uint8Array.from(key), readU64(key, 9)]);
  for (const [key, id] of due) {
    s.delete(key);
    const c = getChallenge(k, ctx, id);
    if (!c || c.status !== CH.PENDING) continue;
    k.pay(ctx, c.challenger, c.bond);
    c.status = CH.EXPIRED;
    c.detail = 'not decided before the arbitration deadline; bond returned';
    c.resolvedHeight = ctx.block.height;
    saveChallenge(k, ctx, c);
    if (ctx.events.enabled) ctx.events.emit(event('challenge_resolved', { challenge_id: id.toString(), proof_id: c.proofId.toString(), status: 'expired' }));
  }
}

// Compute proofs (depin-anchors.md §2.3):
// (a) availability: each window, c = H(seed ‖ device ‖ window); the provider returns a nonce with
//     H(c ‖ nonce) below the target of its hardware class (leading zero bits). One hash to check.
// (b) jobs: a tenant escrows udpin for a bonded provider; each window the provider submits a usage
//     receipt (device-signed envelope) carrying the tenant key's signature over (job, window, units,
//     output hash); the chain pays units x price from the escrow. Explicit close reasons.
// (c) seeded redundancy: a job's spot check is decided by the seed of a window two windows after its
//     creation (not yet existing at creation): with probability spot_check_bps a second bonded
//     provider is assigned; both commit SHA-256(output ‖ salt), then reveal. Equal outputs pay
//     both; different ones open a dispute decided by a committee of bonded verifiers (quorum);
//     the losing side's bond is slashed and the winner and the agreeing verifiers are paid from it.
import type { Context } from '../../chain/context.ts';
import { event } from '../../chain/events.ts';
import { u64 } from '../../chain/codec/proto.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { verifyDigest, isLowS, isValidPublicKey } from '../../chain/crypto/secp256k1.ts';
import { prefixEnd } from '../../chain/store/kv.ts';
import { concat, u64be } from '../../chain/codec/bytes.ts';
import { DENOM, coinAmount, type Params } from './params.ts';
import { R, KIND, KIND_SECTOR } from './reasons.ts';
import { decodePayload, requireBytes } from './decode.ts';
import { puzzleChallenge, leadingZeroBits, receiptBytes, spotCheckDraw, rankKey, compareBytes, equalBytes, hex, windowOf } from './envelope.ts';
import { K, keys, COUNTERS } from './store-keys.ts';
import { readU64 } from '../../chain/codec/bytes.ts';
import { input, type KindHandler, type ProofsKeeper, type Judgement } from './keeper.ts';
import {
  ErrInvalidPayload, ErrInvalidField, ErrNotOwner, ErrJobNotFound, ErrJobState, ErrNotTenant, ErrNotCheckParticipant, ErrCommitmentMismatch,
  ErrDisputeNotFound, ErrNotCommittee, ErrAlreadyVoted, ErrDisputeClosed, ErrWrongSector, ErrUnknownSubject,
} from './errors.ts';
import {
  AvailabilityPayloadCodec, ReceiptPayloadCodec, JobCodec, DisputeCodec, encode, jobFrom, jobTo, disputeFrom,
  JOB_OPEN, JOB_CLOSED, PHASE, DISPUTE_OPEN, DISPUTE_RESOLVED, DISPUTE_EXPIRED,
  type AvailabilityPayload, type ReceiptPayload, type Job, type Dispute, type CheckSide,
} from './types.ts';

export const COMPUTE_SECTOR = 3;
const SIG_GAS = 1000;

// ------------------------------------------------------------------ availability

export function difficultyBits(p: Params, hardwareClass: string): number {
  return p.classes.find((c) => c.hardwareClass === hardwareClass)?.difficultyBits ?? p.defaultDifficultyBits;
}

export const availabilityHandler: KindHandler<AvailabilityPayload> = {
  kind: KIND.AVAILABILITY,
  decode: (bytes) => decodePayload(AvailabilityPayloadCodec, bytes, 'availability'),
  seed: (k, ctx, p, h) => k.liveWindowSeed(ctx, p, h.window),
  subject: () => 0n,
  verify(_k, _ctx, e): Judgement {
    const bits = difficultyBits(e.params, e.device.hardwareClass);
    const nonce = e.payload.nonce ?? new Uint8Array();
    const inputs = [input('hardware_class', e.device.hardwareClass), input('difficulty_bits', bits), input('nonce', hex(nonce))];
    if (nonce.length === 0 || nonce.length > 32) return { reason: R.PUZZLE_NONCE_SIZE, units: 0n, inputs };
    const c = puzzleChallenge(e.header.seed, e.device.id, e.header.window);
    const zeros = leadingZeroBits(sha256(concat(c, nonce)));
    inputs.push(input('challenge', hex(c)), input('leading_zero_bits', zeros));
    return zeros >= bits ? { reason: R.VALID, units: e.params.availabilityUnits, inputs } : { reason: R.PUZZLE_WRONG, units: 0n, inputs };
  },
};

// ------------------------------------------------------------------ jobs and receipts

export function getJob(k: ProofsKeeper, ctx: Context, id: bigint): Job | undefined {
  const raw = k.store(ctx).get(keys.job(id));
  return raw ? jobFrom(JobCodec.decode(raw)) : undefined;
}

function saveJob(k: ProofsKeeper, ctx: Context, j: Job): void {
  k.store(ctx).set(keys.job(j.id), encode(JobCodec, jobTo(j)));
}

export function createJob(k: ProofsKeeper, ctx: Context, m: { tenant: string; providerDeviceId: bigint; tenantKey: Uint8Array; deposit: bigint; pricePerUnit: bigint; specHash: Uint8Array }): Job {
  const p = k.params(ctx);
  const device = k.devices.getDevice(ctx, m.providerDeviceId);
  if (!device) throw ErrUnknownSubject.wrap(`device ${m.providerDeviceId}`);
  if (device.sector !== COMPUTE_SECTOR) throw ErrWrongSector.wrap(`device ${device.id} is not a compute device`);
  if (!k.devices.isActive(ctx, device.id)) throw ErrInvalidField.wrap(`device ${device.id} is not active`);
  k.requireBonded(ctx, p, device.id);
  if (m.tenantKey.length !== 33 || !isValidPublicKey(m.tenantKey)) throw ErrInvalidField.wrap('tenant_key must be a compressed secp256k1 key');
  if (m.deposit <= 0n) throw ErrInvalidField.wrap('deposit must be positive');
  if (m.pricePerUnit <= 0n) throw ErrInvalidField.wrap('price_per_unit must be positive');
  if (m.specHash.length !== 32) throw ErrInvalidField.wrap('spec_hash must be 32 bytes');
  k.collect(ctx, m.tenant, m.deposit);
  const id = k.nextId(ctx, COUNTERS.job);
  // The spot-check seed is that of a window whose seed does not exist yet (L < W).
  const checkWindow = windowOf(ctx.block.height, p.windowBlocks) + 2n;
  const empty: CheckSide = { deviceId: 0n, commitment: new Uint8Array(), outputHash: new Uint8Array(), revealed: false };
  const j: Job = {
    id, tenant: m.tenant, tenantKey: m.tenantKey, providerDeviceId: device.id, deposit: m.deposit, remaining: m.deposit, pricePerUnit: m.pricePerUnit, specHash: m.specHash,
    createdHeight: ctx.block.height, checkWindow, status: JOB_OPEN, closeReason: '', paid: 0n, receipts: 0n, checkPhase: PHASE.NONE,
    primary: empty, secondary: empty, commitDeadline: 0n, revealDeadline: 0n, disputeId: 0n, checkFee: 0n,
  };
  saveJob(k, ctx, j);
  k.store(ctx).set(keys.jobCheck(checkWindow, id), Uint8Array.of(1));
  if (ctx.events.enabled) {
    ctx.events.emit(event('job_created', { job_id: id.toString(), tenant: m.tenant, device_id: device.id.toString(), deposit: `${m.deposit}${DENOM}`, price_per_unit: `${m.pricePerUnit}${DENOM}`, check_window: checkWindow.toString() }));
  }
  return j;
}

/** Closes a job and refunds what is left in its escrow to the tenant (explicit reason). */
function closeJob(k: ProofsKeeper, ctx: Context, j: Job, reason: string): bigint {
  const refund = j.remaining + j.checkFee;
  k.pay(ctx, j.tenant, refund);
  j.remaining = 0n;
  j.checkFee = 0n;
  j.status = JOB_CLOSED;
  j.closeReason = reason;
  k.store(ctx).delete(keys.jobCheck(j.checkWindow, j.id));
  saveJob(k, ctx, j);
  if (ctx.events.enabled) ctx.events.emit(event('job_closed', { job_id: j.id.toString(), reason, refunded: `${refund}${DENOM}`, paid: `${j.paid}${DENOM}` }));
  return refund;
}

export function tenantCloseJob(k: ProofsKeeper, ctx: Context, tenant: string, id: bigint): bigint {
  const j = getJob(k, ctx, id);
  if (!j) throw ErrJobNotFound.wrap(`job ${id}`);
  if (j.tenant !== tenant) throw ErrNotTenant.wrap(`job ${id}'s tenant is ${j.tenant}`);
  if (j.status !== JOB_OPEN) throw ErrJobState.wrap(`job ${id} is closed (${j.closeReason})`);
  if (j.checkPhase === PHASE.COMMIT || j.checkPhase === PHASE.REVEAL || j.checkPhase === PHASE.DISPUTE) throw ErrJobState.wrap(`job ${id} is under a spot check until it resolves`);
  return closeJob(k, ctx, j, 'closed by tenant');
}

export const receiptHandler: KindHandler<ReceiptPayload> = {
  kind: KIND.RECEIPT,
  decode(bytes) {
    const p = decodePayload(ReceiptPayloadCodec, bytes, 'receipt');
    requireBytes(p.outputHash, 32, 'output_hash');
    requireBytes(p.tenantSignature, 64, 'tenant_signature');
    if (u64(p.jobId) === 0n) throw ErrInvalidPayload.wrap('job_id is required');
    return p;
  },
  seed: (k, ctx, p, h) => k.liveWindowSeed(ctx, p, h.window),
  subject: (_h, r) => u64(r.jobId),
  verify(k, ctx, e): Judgement {
    const r = e.payload;
    const jobId = u64(r.jobId);
    const units = u64(r.units);
    const inputs = [input('job_id', jobId), input('units', units), input('output_hash', hex(r.outputHash))];
    const fail = (reason: number): Judgement => ({ reason, units: 0n, inputs });
    const j = getJob(k, ctx, jobId);
    if (!j) return fail(R.JOB_UNKNOWN);
    if (j.providerDeviceId !== e.device.id) return fail(R.JOB_NOT_PROVIDER);
    if (j.status !== JOB_OPEN) return fail(R.JOB_CLOSED);
    if (units === 0n) return fail(R.RECEIPT_UNITS_ZERO);
    ctx.gasMeter.consume(SIG_GAS, 'tenant signature');
    const digest = sha256(receiptBytes(ctx.block.chainId, jobId, e.header.window, units, r.outputHash));
    if (!isLowS(r.tenantSignature) || !verifyDigest(r.tenantSignature, digest, j.tenantKey)) return fail(R.TENANT_SIGNATURE_INVALID);
    const cost = units * j.pricePerUnit;
    inputs.push(input('price_per_unit', j.pricePerUnit), input('cost', cost), input('escrow_remaining', j.remaining));
    if (cost > j.remaining) {
      closeJob(k, ctx, j, 'escrow exhausted');
      return fail(R.ESCROW_EXHAUSTED);
    }
    j.remaining -= cost;
    j.paid += cost;
    j.receipts += 1n;
    k.pay(ctx, e.device.owner, cost);
    saveJob(k, ctx, j);
    if (ctx.events.enabled) ctx.events.emit(event('job_paid', { job_id: jobId.toString(), device_id: e.device.id.toString(), window: e.header.window.toString(), amount: `${cost}${DENOM}`, remaining: `${j.remaining}${DENOM}` }));
    return { reason: R.VALID, units: e.params.receiptUnits, inputs };
  },
};

// ------------------------------------------------------------------ spot checks

/** Begin block at a window start: jobs whose spot-check window begins now learn their fate. */
export function drawSpotChecks(k: ProofsKeeper, ctx: Context, p: Params): void {
  const h = ctx.block.height;
  if (h % p.windowBlocks !== 0n) return;
  const w = h / p.windowBlocks;
  const s = k.store(ctx);
  const prefix = keys.jobCheck(w, 0n).subarray(0, 9);
  const ids: bigint[] = [];
  const dead: Uint8Array[] = [];
  for (const [key] of s.iterator(prefix, prefixEnd(prefix))) {
    ids.push(readU64(key, 9));
    dead.push(Uint8Array.from(key));
  }
  for (const key of dead) s.delete(key);
  if (ids.length === 0) return;
  const { seed } = k.windowSeed(ctx, p, w);
  for (const id of ids) {
    const j = getJob(k, ctx, id);
    if (!j || j.status !== JOB_OPEN) continue;
    const skip = (why: string) => {
      j.checkPhase = PHASE.SKIPPED;
      saveJob(k, ctx, j);
      if (ctx.events.enabled) ctx.events.emit(event('spot_check_skipped', { job_id: id.toString(), reason: why }));
    };
    if (!seed) {
      skip('no seed');
      continue;
    }
    const draw = spotCheckDraw(seed, id);
    if (draw >= p.spotCheckBps) {
      skip(`draw ${draw} >= ${p.spotCheckBps}`);
      continue;
    }
    const second = pickSecondProvider(k, ctx, p, seed, j);
    if (second === undefined) {
      skip('no second provider');
      continue;
    }
    const fee = coinAmount(p.checkFee);
    if (fee > j.remaining) {
      skip('escrow cannot pay the check fee');
      continue;
    }
    j.remaining -= fee;
    j.checkFee = fee;
    j.checkPhase = PHASE.COMMIT;
    j.primary = { deviceId: j.providerDeviceId, commitment: new Uint8Array(), outputHash: new Uint8Array(), revealed: false };
    j.secondary = { deviceId: second, commitment: new Uint8Array(), outputHash: new Uint8Array(), revealed: false };
    j.commitDeadline = h + p.commitBlocks;
    j.revealDeadline = j.commitDeadline + p.revealBlocks;
    s.set(keys.jobDeadline(j.commitDeadline, id), Uint8Array.of(1));
    s.set(keys.jobDeadline(j.revealDeadline, id), Uint8Array.of(1));
    saveJob(k, ctx, j);
    if (ctx.events.enabled) {
      ctx.events.emit(event('spot_check_selected', { job_id: id.toString(), primary: j.providerDeviceId.toString(), secondary: second.toString(), draw: String(draw), commit_deadline: j.commitDeadline.toString(), reveal_deadline: j.revealDeadline.toString() }));
    }
  }
}

/** Lowest H(seed ‖ job ‖ device) among active bonded compute providers other than the primary. */
function pickSecondProvider(k: ProofsKeeper, ctx: Context, p: Params, seed: Uint8Array, j: Job): bigint | undefined {
  const prefix = keys.providerIndexPrefix(COMPUTE_SECTOR);
  let best: { id: bigint; rank: Uint8Array } | undefined;
  const min = coinAmount(p.minProviderBond);
  for (const [key] of k.store(ctx).iterator(prefix, prefixEnd(prefix))) {
    const id = readU64(key, 2);
    if (id === j.providerDeviceId || !k.devices.isActive(ctx, id)) continue;
    const b = k.getBond(ctx, id);
    if (!b || b.bonded < min) continue;
    const rank = rankKey(seed, 'second-provider', concat(u64be(j.id), u64be(id)));
    if (!best || compareBytes(rank, best.rank) < 0) best = { id, rank };
  }
  return best?.id;
}

function sideOf(j: Job, deviceId: bigint): CheckSide {
  if (j.primary.deviceId === deviceId) return j.primary;
  if (j.secondary.deviceId === deviceId) return j.secondary;
  throw ErrNotCheckParticipant.wrap(`device ${deviceId} is neither provider of job ${j.id}'s spot check`);
}

function requireOperator(k: ProofsKeeper, ctx: Context, operator: string, deviceId: bigint): void {
  const owner = k.devices.owner(ctx, deviceId);
  if (owner !== operator) throw ErrNotOwner.wrap(`device ${deviceId} is owned by ${owner}`);
}

export function commitResult(k: ProofsKeeper, ctx: Context, operator: string, jobId: bigint, deviceId: bigint, commitment: Uint8Array): void {
  const j = getJob(k, ctx, jobId);
  if (!j) throw ErrJobNotFound.wrap(`job ${jobId}`);
  if (j.checkPhase !== PHASE.COMMIT || ctx.block.height > j.commitDeadline) throw ErrJobState.wrap(`job ${jobId} is not accepting commitments`);
  if (commitment.length !== 32) throw ErrInvalidField.wrap('commitment must be 32 bytes');
  const side = sideOf(j, deviceId);
  requireOperator(k, ctx, operator, deviceId);
  if (side.commitment.length) throw ErrJobState.wrap(`device ${deviceId} already committed`);
  side.commitment = commitment;
  if (j.primary.commitment.length && j.secondary.commitment.length) j.checkPhase = PHASE.REVEAL;
  saveJob(k, ctx, j);
  if (ctx.events.enabled) ctx.events.emit(event('result_committed', { job_id: jobId.toString(), device_id: deviceId.toString() }));
}

export function revealResult(k: ProofsKeeper, ctx: Context, operator: string, jobId: bigint, deviceId: bigint, outputHash: Uint8Array, salt: Uint8Array): number {
  const p = k.params(ctx);
  const j = getJob(k, ctx, jobId);
  if (!j) throw ErrJobNotFound.wrap(`job ${jobId}`);
  if (j.checkPhase !== PHASE.REVEAL || ctx.block.height > j.revealDeadline) throw ErrJobState.wrap(`job ${jobId} is not accepting reveals`);
  if (outputHash.length !== 32 || salt.length > 64) throw ErrInvalidField.wrap('output_hash is 32 bytes, salt at most 64');
  const side = sideOf(j, deviceId);
  requireOperator(k, ctx, operator, deviceId);
  if (!side.commitment.length) throw ErrJobState.wrap(`device ${deviceId} did not commit`);
  if (side.revealed) throw ErrJobState.wrap(`device ${deviceId} already revealed`);
  if (!equalBytes(sha256(concat(outputHash, salt)), side.commitment)) throw ErrCommitmentMismatch;
  side.outputHash = outputHash;
  side.revealed = true;
  saveJob(k, ctx, j);
  if (ctx.events.enabled) ctx.events.emit(event('result_revealed', { job_id: jobId.toString(), device_id: deviceId.toString(), output_hash: hex(outputHash) }));
  if (j.primary.revealed && j.secondary.revealed) resolveCheck(k, ctx, p, j);
  return getJob(k, ctx, jobId)!.checkPhase;
}

/** A compute/check verdict for one side of a spot check. */
function checkVerdict(k: ProofsKeeper, ctx: Context, p: Params, j: Job, side: CheckSide, reason: number, extra: { key: string; value: string }[] = []): void {
  const r = k.newRecord(ctx, { deviceId: side.deviceId, sector: KIND_SECTOR[KIND.COMPUTE_CHECK]!, kind: KIND.COMPUTE_CHECK, window: j.checkWindow, envelopeHash: new Uint8Array(), seed: new Uint8Array(), payloadHash: new Uint8Array(), seq: 0n, submitter: '', subject: j.id });
  const inputs = [input('job_id', j.id), input('role', side.deviceId === j.primary.deviceId ? 'primary' : 'secondary'), input('revealed', side.revealed), input('output_hash', hex(side.outputHash)), ...extra];
  k.finalize(ctx, r, reason, p.checkUnits, inputs);
}

function finishCheck(k: ProofsKeeper, ctx: Context, j: Job): void {
  const s = k.store(ctx);
  s.delete(keys.jobDeadline(j.commitDeadline, j.id));
  s.delete(keys.jobDeadline(j.revealDeadline, j.id));
  j.checkPhase = PHASE.DONE;
}

/** Both revealed, or the deadline passed. */
function resolveCheck(k: ProofsKeeper, ctx: Context, p: Params, j: Job): void {
  const P = j.primary;
  const S = j.secondary;
  if (P.revealed && S.revealed && equalBytes(P.outputHash, S.outputHash)) {
    finishCheck(k, ctx, j);
    payCheckFee(k, ctx, j, S.deviceId);
    saveJob(k, ctx, j);
    checkVerdict(k, ctx, p, j, P, R.VALID);
    checkVerdict(k, ctx, p, j, S, R.VALID);
    return;
  }
  if (P.revealed && S.revealed) {
    openDispute(k, ctx, p, j);
    return;
  }
  // Someone did not commit and reveal in time.
  finishCheck(k, ctx, j);
  if (S.revealed) payCheckFee(k, ctx, j, S.deviceId);
  else refundCheckFee(j);
  saveJob(k, ctx, j);
  checkVerdict(k, ctx, p, j, P, P.revealed ? R.VALID : R.CHECK_NO_REVEAL);
  checkVerdict(k, ctx, p, j, S, S.revealed ? R.VALID : R.CHECK_NO_REVEAL);
  if (!P.revealed) closeJob(k, ctx, j, 'failed spot check: no reveal');
}

function payCheckFee(k: ProofsKeeper, ctx: Context, j: Job, device: bigint): void {
  const owner = k.devices.owner(ctx, device);
  if (owner) k.pay(ctx, owner, j.checkFee);
  else j.remaining += j.checkFee;
  j.paid += owner ? j.checkFee : 0n;
  j.checkFee = 0n;
}

function refundCheckFee(j: Job): void {
  j.remaining += j.checkFee;
  j.checkFee = 0n;
}

/** End block: commit deadlines move to the reveal phase; reveal deadlines resolve. */
export function processJobDeadlines(k: ProofsKeeper, ctx: Context, p: Params): void {
  const s = k.store(ctx);
  const h = ctx.block.height;
  const due: [Uint8Array, bigint][] = [];
  for (const [key] of s.iterator(Uint8Array.of(K.jobDeadline), keys.jobDeadline(h + 1n, 0n))) due.push([Uint8Array.from(key), readU64(key, 9)]);
  for (const [key, id] of due) {
    s.delete(key);
    const j = getJob(k, ctx, id);
    if (!j) continue;
    if (j.checkPhase === PHASE.COMMIT && h >= j.commitDeadline) {
      // Whoever committed may still reveal; whoever did not has lost.
      j.checkPhase = PHASE.REVEAL;
      saveJob(k, ctx, j);
    }
    if (j.checkPhase === PHASE.REVEAL && h >= j.revealDeadline) resolveCheck(k, ctx, p, j);
  }
}

// ------------------------------------------------------------------ disputes

export function getDispute(k: ProofsKeeper, ctx: Context, id: bigint): Dispute | undefined {
  const raw = k.store(ctx).get(keys.dispute(id));
  return raw ? disputeFrom(DisputeCodec.decode(raw)) : undefined;
}

function saveDispute(k: ProofsKeeper, ctx: Context, d: Dispute): void {
  k.store(ctx).set(keys.dispute(d.id), encode(DisputeCodec, d));
}

function openDispute(k: ProofsKeeper, ctx: Context, p: Params, j: Job): void {
  const s = k.store(ctx);
  s.delete(keys.jobDeadline(j.commitDeadline, j.id));
  s.delete(keys.jobDeadline(j.revealDeadline, j.id));
  const id = k.nextId(ctx, COUNTERS.dispute);
  // Committee: the bonded verifiers ranked by H(seed ‖ dispute ‖ address), seed of the current window.
  const seed = k.windowSeed(ctx, p, windowOf(ctx.block.height, p.windowBlocks)).seed ?? sha256(concat(u64be(ctx.block.height), u64be(id)));
  const ranked = k.eligibleVerifiers(ctx, p)
    .map((v) => ({ v, rank: rankKey(seed, 'committee', concat(u64be(id), new TextEncoder().encode(v.address))) }))
    .sort((a, b) => compareBytes(a.rank, b.rank));
  const committee = ranked.slice(0, p.disputeCommitteeSize).map((x) => x.v.address);
  const d: Dispute = { id, jobId: j.id, committee, votes: [], deadline: ctx.block.height + p.disputeBlocks, status: DISPUTE_OPEN, agreedHash: new Uint8Array(), resolvedHeight: 0n };
  j.checkPhase = PHASE.DISPUTE;
  j.disputeId = id;
  saveJob(k, ctx, j);
  saveDispute(k, ctx, d);
  s.set(keys.disputeDeadline(d.deadline, id), Uint8Array.of(1));
  if (ctx.events.enabled) ctx.events.emit(event('dispute_opened', { dispute_id: id.toString(), job_id: j.id.toString(), committee: committee.join(','), deadline: d.deadline.toString() }));
  if (committee.length < p.disputeQuorum) expireDispute(k, ctx, p, d, j, 'not enough bonded verifiers');
}

export function voteDispute(k: ProofsKeeper, ctx: Context, verifier: string, disputeId: bigint, outputHash: Uint8Array): number {
  const p = k.params(ctx);
  const d = getDispute(k, ctx, disputeId);
  if (!d) throw ErrDisputeNotFound.wrap(`dispute ${disputeId}`);
  if (d.status !== DISPUTE_OPEN || ctx.block.height > d.deadline) throw ErrDisputeClosed.wrap(`dispute ${disputeId}`);
  if (!d.committee.includes(verifier)) throw ErrNotCommittee.wrap(`${verifier} is not on dispute ${disputeId}'s committee`);
  if (d.votes.some((v) => v.verifier === verifier)) throw ErrAlreadyVoted.wrap(verifier);
  if (outputHash.length !== 32) throw ErrInvalidField.wrap('output_hash must be 32 bytes');
  d.votes.push({ verifier, outputHash });
  saveDispute(k, ctx, d);
  if (ctx.events.enabled) ctx.events.emit(event('dispute_vote', { dispute_id: disputeId.toString(), verifier, output_hash: hex(outputHash) }));
  const tally = d.votes.filter((v) => equalBytes(v.outputHash, outputHash)).length;
  if (tally >= p.disputeQuorum) resolveDispute(k, ctx, p, d, outputHash);
  return getDispute(k, ctx, disputeId)!.status;
}

function resolveDispute(k: ProofsKeeper, ctx: Context, p: Params, d: Dispute, agreed: Uint8Array): void {
  const j = getJob(k, ctx, d.jobId)!;
  const sides = [j.primary, j.secondary];
  const winners = sides.filter((x) => equalBytes(x.outputHash, agreed));
  const losers = sides.filter((x) => !equalBytes(x.outputHash, agreed));
  let pot = 0n;
  for (const l of losers) pot += k.slashProvider(ctx, l.deviceId, p.disputeSlashBps, `lost dispute ${d.id}`);
  // Verifiers who voted against the quorum lose a share of their bond into the same pot.
  const majority = d.votes.filter((v) => equalBytes(v.outputHash, agreed)).map((v) => v.verifier);
  for (const v of d.votes) {
    if (equalBytes(v.outputHash, agreed)) continue;
    const rec = k.getVerifier(ctx, v.verifier);
    if (!rec) continue;
    const take = ((rec.bonded + rec.unbonding) * BigInt(p.verifierSlashBps)) / 10_000n;
    const fromBonded = take < rec.bonded ? take : rec.bonded;
    rec.bonded -= fromBonded;
    rec.unbonding -= take - fromBonded;
    k.setVerifier(ctx, rec);
    pot += take;
  }
  let paid = 0n;
  const winnerPool = (pot * BigInt(p.winnerShareBps)) / 10_000n;
  if (winners.length) {
    const each = winnerPool / BigInt(winners.length);
    for (const w of winners) {
      const owner = k.devices.owner(ctx, w.deviceId);
      if (owner && each > 0n) {
        k.pay(ctx, owner, each);
        paid += each;
      }
    }
  }
  const verifierPool = (pot * BigInt(p.verifierShareBps)) / 10_000n;
  if (majority.length) {
    const each = verifierPool / BigInt(majority.length);
    for (const v of majority) {
      if (each > 0n) k.pay(ctx, v, each);
      paid += each;
    }
  }
  k.burn(ctx, pot - paid);
  d.status = DISPUTE_RESOLVED;
  d.agreedHash = agreed;
  d.resolvedHeight = ctx.block.height;
  saveDispute(k, ctx, d);
  k.store(ctx).delete(keys.disputeDeadline(d.deadline, d.id));
  finishCheck(k, ctx, j);
  const secondaryWon = winners.includes(j.secondary);
  if (secondaryWon) payCheckFee(k, ctx, j, j.secondary.deviceId);
  else refundCheckFee(j);
  saveJob(k, ctx, j);
  if (ctx.events.enabled) ctx.events.emit(event('dispute_resolved', { dispute_id: d.id.toString(), job_id: j.id.toString(), agreed_hash: hex(agreed), slashed: `${pot}${DENOM}`, paid: `${paid}${DENOM}` }));
  for (const x of sides) checkVerdict(k, ctx, p, j, x, winners.includes(x) ? R.VALID : R.CHECK_DISPUTE_LOST, [input('dispute_id', d.id), input('agreed_hash', hex(agreed))]);
  if (!winners.includes(j.primary)) closeJob(k, ctx, j, `failed spot check: lost dispute ${d.id}`);
}

function expireDispute(k: ProofsKeeper, ctx: Context, p: Params, d: Dispute, j: Job, why: string): void {
  d.status = DISPUTE_EXPIRED;
  d.resolvedHeight = ctx.block.height;
  saveDispute(k, ctx, d);
  k.store(ctx).delete(keys.disputeDeadline(d.deadline, d.id));
  finishCheck(k, ctx, j);
  refundCheckFee(j);
  saveJob(k, ctx, j);
  if (ctx.events.enabled) ctx.events.emit(event('dispute_expired', { dispute_id: d.id.toString(), job_id: j.id.toString(), reason: why }));
  for (const x of [j.primary, j.secondary]) checkVerdict(k, ctx, p, j, x, R.CHECK_DISPUTE_UNRESOLVED, [input('dispute_id', d.id), input('why', why)]);
}

export function processDisputeDeadlines(k: ProofsKeeper, ctx: Context, p: Params): void {
  const s = k.store(ctx);
  const due: [Uint8Array, bigint][] = [];
  for (const [key] of s.iterator(Uint8Array.of(K.disputeDeadline), keys.disputeDeadline(ctx.block.height + 1n, 0n))) due.push([Uint8Array.from(key), readU64(key, 9)]);
  for (const [key, id] of due) {
    s.delete(key);
    const d = getDispute(k, ctx, id);
    if (!d || d.status !== DISPUTE_OPEN) continue;
    expireDispute(k, ctx, p, d, getJob(k, ctx, d.jobId)!, 'no quorum before the deadline');
  }
}

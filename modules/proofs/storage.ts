// Storage proofs, modelled on Filecoin PDP (depin-anchors.md §2.2). A bonded storage provider
// registers a data set of pieces (SHA-256 Merkle roots over 32-byte leaves, zero-padded to a power
// of two, with their leaf counts). Each proving period has a challenge height fixed one period
// ahead (the first one challenge_finality_blocks ahead), i.e. before the app hash its seed comes
// from exists. From the block after it, the provider answers challenges_per_proof challenges:
// leaf i = H(seed ‖ set ‖ i) mod total leaves over the pieces' cumulative leaf index, each with its
// Merkle path. A missing or wrong answer by the deadline is a fault; consecutive faults beyond the
// grace periods are slashed (a share of the provider bond), and too many terminate the set.
import type { Context } from '../../chain/context.ts';
import { event } from '../../chain/events.ts';
import { u64 } from '../../chain/codec/proto.ts';
import { DENOM, type Params } from './params.ts';
import { R, KIND, KIND_SECTOR } from './reasons.ts';
import { decodePayload } from './decode.ts';
import { pdpChallengeIndexes } from './envelope.ts';
import { treeDepth, verifyPath } from './merkle.ts';
import { K, keys, COUNTERS } from './store-keys.ts';
import { popPackedIds } from './block-local.ts';
import { input, type KindHandler, type ProofsKeeper, type Judgement } from './keeper.ts';
import { ErrSeedExpired, ErrSeedNotAvailable, ErrUnknownSubject, ErrInvalidPayload, ErrInvalidField, ErrNotOwner, ErrDataSetNotFound, ErrWrongSector } from './errors.ts';
import {
  PdpPayloadCodec, DataSetCodec, encodeDataSet, dataSetFrom, DS_ACTIVE, DS_DELETED, DS_TERMINATED, type PdpPayload, type DataSet, type Input, type Piece,
} from './types.ts';

export const STORAGE_SECTOR = 2;

export function getDataSet(k: ProofsKeeper, ctx: Context, id: bigint): DataSet | undefined {
  const raw = k.store(ctx).get(keys.dataSet(id));
  return raw ? dataSetFrom(DataSetCodec.decode(raw)) : undefined;
}

function saveDataSet(k: ProofsKeeper, ctx: Context, d: DataSet): void {
  k.store(ctx).set(keys.dataSet(d.id), encodeDataSet(d));
}

/** The piece and offset of a global leaf index (cumulative leaf counts in piece order). */
export function locateLeaf(pieces: readonly Piece[], index: bigint): { piece: number; offset: bigint } {
  let base = 0n;
  for (let i = 0; i < pieces.length; i++) {
    const n = pieces[i]!.leafCount;
    if (index < base + n) return { piece: i, offset: index - base };
    base += n;
  }
  throw new Error(`leaf ${index} beyond ${base} leaves`);
}

/** The global leaf indexes to prove for a data set's current period, given its seed. */
export function challengeIndexes(d: DataSet, seed: Uint8Array, count: number): bigint[] {
  return pdpChallengeIndexes(seed, d.id, count, d.totalLeaves);
}

export function createDataSet(k: ProofsKeeper, ctx: Context, owner: string, deviceId: bigint, pieces: Piece[]): DataSet {
  const p = k.params(ctx);
  const device = k.devices.getDevice(ctx, deviceId);
  if (!device) throw ErrUnknownSubject.wrap(`device ${deviceId}`);
  if (device.owner !== owner) throw ErrNotOwner.wrap(`device ${deviceId} is owned by ${device.owner}`);
  if (device.sector !== STORAGE_SECTOR) throw ErrWrongSector.wrap(`device ${deviceId} is not a storage device`);
  if (!k.devices.isActive(ctx, deviceId)) throw ErrInvalidField.wrap(`device ${deviceId} is not active`);
  k.requireBonded(ctx, p, deviceId);
  if (pieces.length === 0 || pieces.length > p.maxPieces) throw ErrInvalidField.wrap(`a data set has 1-${p.maxPieces} pieces`);
  let total = 0n;
  for (const piece of pieces) {
    if (piece.root.length !== 32) throw ErrInvalidField.wrap('piece roots are 32 bytes');
    if (piece.leafCount < 1n || piece.leafCount > 1n << 40n) throw ErrInvalidField.wrap('piece leaf counts are 1..2^40');
    total += piece.leafCount;
  }
  const h = ctx.block.height;
  const id = k.nextId(ctx, COUNTERS.dataSet);
  const challengeHeight = h + p.challengeFinalityBlocks;
  const d: DataSet = {
    id, deviceId, owner, pieces, totalLeaves: total, period: 0n, challengeHeight, deadlineHeight: challengeHeight + p.challengeWindowBlocks,
    provenPeriods: 0n, faults: 0n, consecutiveFaults: 0n, lastProvenHeight: 0n, status: DS_ACTIVE, createdHeight: h,
  };
  saveDataSet(k, ctx, d);
  queueDeadline(k, ctx, d);
  markChallengeHeight(k, ctx, challengeHeight);
  if (ctx.events.enabled) {
    ctx.events.emit(event('data_set_created', { data_set_id: id.toString(), device_id: deviceId.toString(), owner, pieces: String(pieces.length), total_leaves: total.toString(), challenge_height: challengeHeight.toString() }));
  }
  return d;
}

export function deleteDataSet(k: ProofsKeeper, ctx: Context, owner: string, id: bigint): void {
  const d = getDataSet(k, ctx, id);
  if (!d) throw ErrDataSetNotFound.wrap(`data set ${id}`);
  if (d.owner !== owner) throw ErrNotOwner.wrap(`data set ${id} belongs to ${d.owner}`);
  if (d.status !== DS_ACTIVE) throw ErrInvalidField.wrap(`data set ${id} is not active`);
  d.status = DS_DELETED; // its deadline entry goes stale
  saveDataSet(k, ctx, d);
  if (ctx.events.enabled) ctx.events.emit(event('data_set_deleted', { data_set_id: id.toString(), owner }));
}

/** Next period: its challenge height is fixed now, one proving period after the last one. */
function advance(k: ProofsKeeper, ctx: Context, p: Params, d: DataSet): void {
  d.period += 1n;
  d.challengeHeight += p.provingPeriodBlocks;
  // After a long halt, skip periods that are already past (never schedule a seed that exists).
  while (d.challengeHeight < ctx.block.height) d.challengeHeight += p.provingPeriodBlocks;
  d.deadlineHeight = d.challengeHeight + p.challengeWindowBlocks;
  queueDeadline(k, ctx, d); // the old entry goes stale
  markChallengeHeight(k, ctx, d.challengeHeight);
}

/**
 * Queues the data set's deadline: a block-local key the end block appends to the height's list
 * (block-local.ts). Entries are never taken out: one whose data set has moved on (proven, deleted,
 * terminated) is skipped when its height comes, which costs a read then instead of a tree path
 * per proof now.
 */
function queueDeadline(k: ProofsKeeper, ctx: Context, d: DataSet): void {
  k.store(ctx).set(keys.newDeadline(d.deadlineHeight, d.id), new Uint8Array());
}

/**
 * Marks `height` as a PDP challenge height, so that the block after it records its app hash
 * (ProofsKeeper.recordAppHash, which also removes the mark). One key per height, whatever the
 * number of data sets challenged there: the data sets proven in a block mostly share their next
 * challenge height, so their marks cost the tree one write, where a key per data set cost two
 * (its old one deleted, its new one set). A data set leaving the height (deleted, terminated)
 * leaves the mark: at worst an app hash is kept that no seed needs, until the history is pruned.
 */
function markChallengeHeight(k: ProofsKeeper, ctx: Context, height: bigint): void {
  k.store(ctx).set(keys.challengeAt(height), Uint8Array.of(1));
}

/** A fault for the current period (missed or wrong proof); returns the inputs to record. */
function fault(k: ProofsKeeper, ctx: Context, p: Params, d: DataSet): Input[] {
  d.faults += 1n;
  d.consecutiveFaults += 1n;
  const inputs = [input('data_set_id', d.id), input('period', d.period), input('challenge_height', d.challengeHeight), input('deadline_height', d.deadlineHeight), input('consecutive_faults', d.consecutiveFaults), input('grace_periods', p.faultGracePeriods)];
  // Grace (complaint 9): the first fault_grace_periods consecutive faults only go unpaid.
  if (d.consecutiveFaults > BigInt(p.faultGracePeriods)) {
    const slashed = k.slashProvider(ctx, d.deviceId, p.faultSlashBps, `data set ${d.id} period ${d.period}`);
    k.burn(ctx, slashed);
    inputs.push(input('slashed', `${slashed}${DENOM}`));
  }
  if (ctx.events.enabled) ctx.events.emit(event('storage_fault', { data_set_id: d.id.toString(), device_id: d.deviceId.toString(), period: d.period.toString(), consecutive_faults: d.consecutiveFaults.toString() }));
  return inputs;
}

function terminateIfFaulty(k: ProofsKeeper, ctx: Context, p: Params, d: DataSet): boolean {
  if (d.consecutiveFaults < BigInt(p.maxConsecutiveFaults)) return false;
  d.status = DS_TERMINATED; // its deadline entry goes stale
  if (ctx.events.enabled) ctx.events.emit(event('data_set_terminated', { data_set_id: d.id.toString(), device_id: d.deviceId.toString(), consecutive_faults: d.consecutiveFaults.toString() }));
  return true;
}

/** A PDP payload as the handler carries it: seed() keeps the data set it read, and verify() (same
 * envelope, same branch, nothing written to the set in between) uses it instead of decoding it
 * again. */
type PdpWork = PdpPayload & { dataSet?: DataSet };

export const pdpHandler: KindHandler<PdpWork> = {
  kind: KIND.PDP,
  decode(bytes) {
    const p: PdpWork = decodePayload(PdpPayloadCodec, bytes, 'pdp');
    if (u64(p.dataSetId) === 0n) throw ErrInvalidPayload.wrap('data_set_id is required');
    if (p.answers.length > 64) throw ErrInvalidPayload.wrap('at most 64 answers');
    for (const a of p.answers) if (a.path.length > 64) throw ErrInvalidPayload.wrap('paths are at most 64 levels');
    return p;
  },
  seed(k, ctx, _p, h, payload) {
    const d = getDataSet(k, ctx, u64(payload.dataSetId));
    if (!d) throw ErrUnknownSubject.wrap(`data set ${u64(payload.dataSetId)}`);
    if (d.status !== DS_ACTIVE) throw ErrUnknownSubject.wrap(`data set ${d.id} is not active`);
    if (h.window < d.period) throw ErrSeedExpired.wrap(`data set ${d.id} is in period ${d.period}; period ${h.window} is closed`);
    if (h.window > d.period) throw ErrSeedNotAvailable.wrap(`data set ${d.id} is in period ${d.period}`);
    const seed = k.challengeSeedAt(ctx, d.challengeHeight);
    if (!seed) throw ErrSeedNotAvailable.wrap(`the challenge seed of data set ${d.id} period ${d.period} exists from height ${d.challengeHeight + 1n}; now ${ctx.block.height}`);
    payload.dataSet = d;
    return seed;
  },
  subject: (_h, payload) => u64(payload.dataSetId),
  // The provider's proof, right or wrong, moves the set to its next period (or terminates it), so
  // a second one for this period fails seed() (ErrSeedExpired): a slot key would repeat that. A
  // non-provider's proof changes nothing in the set and keeps its slot key.
  windowBound: (h, payload) => payload.dataSet !== undefined && payload.dataSet.deviceId === h.deviceId,
  verify(k, ctx, e): Judgement {
    const p = e.params;
    const d = e.payload.dataSet ?? getDataSet(k, ctx, u64(e.payload.dataSetId))!;
    const inputs: Input[] = [input('data_set_id', d.id), input('period', d.period), input('challenge_height', d.challengeHeight), input('total_leaves', d.totalLeaves)];
    if (d.deviceId !== e.device.id) return { reason: R.PDP_NOT_PROVIDER, units: 0n, inputs: [...inputs, input('provider', d.deviceId)] };
    const judged = judgeAnswers(d, e.header.seed, e.payload, p.challengesPerProof, inputs);
    if (judged === R.VALID) {
      d.provenPeriods += 1n;
      d.consecutiveFaults = 0n;
      d.lastProvenHeight = ctx.block.height;
      advance(k, ctx, p, d);
      saveDataSet(k, ctx, d);
      return { reason: R.VALID, units: BigInt(p.challengesPerProof) * p.unitsPerChallenge, inputs };
    }
    // A wrong answer is this period's fault at once (no second verdict at the deadline).
    inputs.push(...fault(k, ctx, p, d));
    if (!terminateIfFaulty(k, ctx, p, d)) advance(k, ctx, p, d);
    saveDataSet(k, ctx, d);
    return { reason: judged, units: 0n, inputs };
  },
};

function judgeAnswers(d: DataSet, seed: Uint8Array, payload: PdpPayload, k: number, inputs: Input[]): number {
  inputs.push(input('answers', payload.answers.length), input('challenges', k));
  if (payload.answers.length !== k) return R.PDP_ANSWER_COUNT;
  const idx = challengeIndexes(d, seed, k);
  for (let i = 0; i < k; i++) {
    const { piece, offset } = locateLeaf(d.pieces, idx[i]!);
    const pc = d.pieces[piece]!;
    const a = payload.answers[i]!;
    const r = verifyPath(pc.root, pc.leafCount, offset, a.leaf, a.path);
    if (r !== 'ok') {
      inputs.push(input('failed_challenge', i), input('leaf_index', idx[i]!), input('piece', piece), input('offset', offset), input('path_length', a.path.length), input('expected_path_length', treeDepth(pc.leafCount)));
      return r === 'path_length' ? R.PDP_PATH_LENGTH : R.PDP_ROOT_MISMATCH;
    }
  }
  return R.VALID;
}

/** End block: every data set whose challenge window closed at this height without a proof. */
export function processStorageDeadlines(k: ProofsKeeper, ctx: Context, p: Params): void {
  const h = ctx.block.height;
  for (const id of popPackedIds(k.store(ctx), K.dataSetDeadline, keys.dataSetDeadline, h)) {
    const d = getDataSet(k, ctx, id);
    if (!d || d.status !== DS_ACTIVE || d.deadlineHeight !== h) continue; // gone, or a stale entry
    const inputs = fault(k, ctx, p, d);
    const r = k.newRecord(ctx, { deviceId: d.deviceId, sector: KIND_SECTOR[KIND.PDP]!, kind: KIND.PDP, window: d.period, envelopeHash: new Uint8Array(), seed: new Uint8Array(), payloadHash: new Uint8Array(), seq: 0n, submitter: '', subject: d.id });
    k.finalize(ctx, r, R.PDP_MISSED_PERIOD, 0n, inputs);
    if (!terminateIfFaulty(k, ctx, p, d)) advance(k, ctx, p, d);
    saveDataSet(k, ctx, d);
  }
}



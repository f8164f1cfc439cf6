// "Every accepted proof is re-verifiable": for each proof the chain recorded as valid, re-run its
// verification from the stored record (and the envelope the simulator submitted, matched by the
// record's envelope and payload hashes) with the proofs module's pure functions, and the seed
// recomputed from the simulator's own record of app hashes — not from the keeper's state. A
// mismatch is an invariant violation.
import { sha256 } from '../chain/crypto/hash.ts';
import { u64 } from '../chain/codec/proto.ts';
import { verifyDigest, isLowS } from '../chain/crypto/secp256k1.ts';
import { verifySignature } from '../modules/devices/keys.ts';
import type { Device } from '../modules/devices/types.ts';
import { concat } from '../chain/codec/bytes.ts';
import {
  signedBytes, windowSeed, challengeSeed, seedSourceHeight, beaconPayload, puzzleChallenge, leadingZeroBits, receiptBytes, equalBytes, hex,
} from '../modules/proofs/envelope.ts';
import { gridDistance, gridDistanceAt, isLocationCell, SEPARATION_RESOLUTION } from '../modules/proofs/grid.ts';
import { fsplLowerBoundDb10 } from '../modules/proofs/coverage/fspl.ts';
import { beaconerUnits, witnessUnits } from '../modules/proofs/coverage/hip15.ts';
import { verifyPath } from '../modules/proofs/merkle.ts';
import { challengeIndexes, locateLeaf } from '../modules/proofs/storage.ts';
import { difficultyBits } from '../modules/proofs/compute.ts';
import { maxReadings } from '../modules/proofs/sensor.ts';
import { KIND, STATUS } from '../modules/proofs/reasons.ts';
import type { Params } from '../modules/proofs/params.ts';
import {
  EnvelopeHeaderCodec, BeaconPayloadCodec, WitnessPayloadCodec, PdpPayloadCodec, AvailabilityPayloadCodec, ReceiptPayloadCodec, SensorBatchPayloadCodec,
  headerFrom, type EnvelopeMsg, type ProofRecord, type DataSet, type Job,
} from '../modules/proofs/types.ts';

export interface ReverifyDeps {
  chainId: string;
  params: Params;
  /** App hash after `height`, as the simulator recorded it from Commit. */
  appHash(height: bigint): Uint8Array | undefined;
  device(id: bigint): Device | undefined;
  record(id: bigint): ProofRecord | undefined;
  dataSet(id: bigint): DataSet | undefined;
  job(id: bigint): Job | undefined;
}

const input = (r: ProofRecord, key: string): string | undefined => r.inputs.find((x) => x.key === key)?.value;
const cellOf = (hexCell: string | undefined): bigint => (hexCell ? BigInt('0x' + hexCell) : 0n);

/** undefined when the proof verifies again with the same verdict and units; else why not. */
export function reverify(r: ProofRecord, env: EnvelopeMsg | undefined, d: ReverifyDeps): string | undefined {
  try {
    return check(r, env, d);
  } catch (err) {
    return `re-verification threw: ${(err as Error).message}`;
  }
}

function check(r: ProofRecord, env: EnvelopeMsg | undefined, d: ReverifyDeps): string | undefined {
  const p = d.params;
  if (!r.valid || r.status === STATUS.PENDING) return 'not an accepted proof';
  if (r.kind === KIND.COMPUTE_CHECK) return checkSpotCheck(r, d);
  if (!env) return 'no envelope for the record (the simulator did not submit it)';
  if (!equalBytes(sha256(env.header), r.envelopeHash)) return 'envelope hash differs from the record';
  const h = headerFrom(EnvelopeHeaderCodec.decode(env.header));
  if (h.chainId !== d.chainId || h.deviceId !== r.deviceId || h.kind !== r.kind || h.window !== r.window || h.seq !== r.seq) return 'header differs from the record';
  if (!equalBytes(sha256(env.payload), h.payloadHash) || !equalBytes(h.payloadHash, r.payloadHash)) return 'payload hash differs';
  if (!equalBytes(h.seed, r.seed)) return 'seed differs from the record';
  const dev = d.device(r.deviceId);
  if (!dev) return `device ${r.deviceId} unknown`;
  if (!verifySignature(dev.pubkey.keyType, dev.pubkey.key, signedBytes(d.chainId, env.header), env.signature)) return 'device signature does not verify';

  // The seed, recomputed from the app hashes the simulator saw committed.
  let seed: Uint8Array | undefined;
  if (r.kind === KIND.PDP) {
    const c = BigInt(input(r, 'challenge_height') ?? '0');
    const ah = d.appHash(c);
    seed = ah && challengeSeed(d.chainId, c, ah);
  } else {
    const ah = d.appHash(seedSourceHeight(r.window, p.windowBlocks, p.seedDelayBlocks));
    seed = ah && windowSeed(d.chainId, r.window, ah);
  }
  if (!seed || !equalBytes(seed, h.seed)) return 'seed is not the one the committed app hashes give';

  switch (r.kind) {
    case KIND.BEACON: {
      const b = BeaconPayloadCodec.decode(env.payload);
      if (!equalBytes(beaconPayload(seed, r.deviceId, b.localEntropy, b.region, b.frequencyKhz, b.dataRate), b.payload)) return 'beacon payload does not regenerate';
      const region = p.regions.find((x) => x.id === b.region);
      if (!region || b.frequencyKhz < region.minFrequencyKhz || b.frequencyKhz > region.maxFrequencyKhz || b.txPowerDbm10 + b.antennaGainDbi10 > region.maxEirpDbm10) return 'beacon radio outside its region';
      const loc = cellOf(input(r, 'location'));
      if (loc === 0n) return 'beacon without a location';
      if (u64(b.cell) !== 0n && (gridDistance(u64(b.cell), loc) ?? Infinity) > p.locationRingLimit) return 'beacon cell beyond the ring limit';
      const n = Number(input(r, 'witnesses_selected') ?? 'NaN');
      if (!(n >= 0 && n <= p.maxWitnesses)) return 'selected witnesses out of range';
      if (r.units !== beaconerUnits(n)) return `units ${r.units} != beaconer units for ${n} witnesses`;
      return undefined;
    }
    case KIND.WITNESS: {
      const w = WitnessPayloadCodec.decode(env.payload);
      const beacon = d.record(BigInt(input(r, 'beacon_proof_id') ?? '0'));
      if (!beacon || beacon.kind !== KIND.BEACON) return 'witnessed beacon record missing';
      if (input(beacon, 'payload') !== hex(w.beaconPayload)) return 'witnessed payload is not the beacon\'s';
      if (beacon.deviceId === r.deviceId) return 'witnessed its own beacon';
      const loc = cellOf(input(r, 'location'));
      const bloc = cellOf(input(r, 'beacon_location'));
      if (bloc !== cellOf(input(beacon, 'location'))) return 'beacon location differs between the records';
      if (u64(w.cell) !== 0n && (gridDistance(u64(w.cell), loc) ?? Infinity) > p.locationRingLimit) return 'witness cell beyond the ring limit';
      if (w.region !== Number(input(beacon, 'region'))) return 'region differs from the beacon';
      const bf = Number(input(beacon, 'frequency_khz'));
      if (Math.abs(w.frequencyKhz - bf) > p.frequencyToleranceKhz) return 'frequency outside tolerance';
      const dist = gridDistanceAt(bloc, loc, SEPARATION_RESOLUTION);
      if (dist === undefined || dist < p.minWitnessGridDistance || dist > p.maxWitnessGridDistance) return `grid distance ${dist} outside the bounds`;
      if (String(dist) !== input(r, 'grid_distance_res11')) return 'recorded grid distance differs';
      const fspl = fsplLowerBoundDb10(dist, bf);
      const eirp = Number(input(beacon, 'eirp_dbm10'));
      if (fspl === undefined || w.rssiDbm10 > eirp + w.antennaGainDbi10 - fspl) return 'RSSI above the free-space bound';
      const rank = Number(input(r, 'rank'));
      if (!(rank >= 1 && rank <= p.maxWitnesses)) return `rank ${rank} not among the selected`;
      const n = Number(input(beacon, 'witnesses_selected') ?? 'NaN');
      if (r.units !== witnessUnits(n)) return `units ${r.units} != witness units for ${n} witnesses`;
      return undefined;
    }
    case KIND.PDP: {
      const pp = PdpPayloadCodec.decode(env.payload);
      const ds = d.dataSet(u64(pp.dataSetId));
      if (!ds) return 'data set missing';
      if (ds.deviceId !== r.deviceId) return 'proved by another device than the provider';
      if (pp.answers.length !== p.challengesPerProof) return 'answer count';
      const idx = challengeIndexes(ds, seed, p.challengesPerProof);
      for (let i = 0; i < idx.length; i++) {
        const { piece, offset } = locateLeaf(ds.pieces, idx[i]!);
        const pc = ds.pieces[piece]!;
        const a = pp.answers[i]!;
        if (verifyPath(pc.root, pc.leafCount, offset, a.leaf, a.path) !== 'ok') return `challenge ${i} (leaf ${idx[i]}) does not verify`;
      }
      if (r.units !== BigInt(p.challengesPerProof) * p.unitsPerChallenge) return 'units differ';
      return undefined;
    }
    case KIND.AVAILABILITY: {
      const a = AvailabilityPayloadCodec.decode(env.payload);
      const bits = difficultyBits(p, dev.hardwareClass);
      if (!a.nonce?.length || a.nonce.length > 32) return 'nonce size';
      if (leadingZeroBits(sha256(concat(puzzleChallenge(seed, r.deviceId, r.window), a.nonce))) < bits) return `puzzle not solved at ${bits} bits`;
      if (r.units !== p.availabilityUnits) return 'units differ';
      return undefined;
    }
    case KIND.RECEIPT: {
      const rc = ReceiptPayloadCodec.decode(env.payload);
      const job = d.job(u64(rc.jobId));
      if (!job) return 'job missing';
      if (job.providerDeviceId !== r.deviceId) return 'not the job\'s provider';
      if (u64(rc.units) === 0n) return 'zero units';
      const digest = sha256(receiptBytes(d.chainId, job.id, r.window, u64(rc.units), rc.outputHash));
      if (!isLowS(rc.tenantSignature) || !verifyDigest(rc.tenantSignature, digest, job.tenantKey)) return 'tenant signature does not verify';
      if (r.units !== p.receiptUnits) return 'units differ';
      return undefined;
    }
    case KIND.SENSOR_BATCH: {
      const s = SensorBatchPayloadCodec.decode(env.payload);
      const count = u64(s.readingCount);
      if (count < 1n || count > maxReadings(p, dev.hardwareClass)) return 'reading count out of range';
      if (s.readingsRoot?.length !== 32 || s.eventId?.length !== 32) return 'root or event id size';
      const loc = cellOf(input(r, 'location'));
      const cell = u64(s.cell);
      if (!isLocationCell(cell) || (gridDistance(cell, loc) ?? Infinity) > p.locationRingLimit) return 'cell beyond the ring limit';
      if (r.units !== p.sensorBatchUnits) return 'units differ';
      return undefined;
    }
  }
  return `kind ${r.kind} has no re-verification`;
}

/** A spot-check verdict: valid iff this side revealed and its output is the agreed one (equal to
 * the other side's, or the dispute committee's), from the job and its records. */
function checkSpotCheck(r: ProofRecord, d: ReverifyDeps): string | undefined {
  const job = d.job(BigInt(input(r, 'job_id') ?? '0'));
  if (!job) return 'job missing';
  const role = input(r, 'role');
  const side = role === 'primary' ? job.primary : job.secondary;
  const other = role === 'primary' ? job.secondary : job.primary;
  if (side.deviceId !== r.deviceId) return 'device is not that side of the check';
  if (!side.revealed || hex(side.outputHash) !== input(r, 'output_hash')) return 'side did not reveal that output';
  const agreed = input(r, 'agreed_hash');
  if (agreed !== undefined) {
    if (agreed !== hex(side.outputHash)) return 'output is not the one the committee agreed';
  } else if (other.revealed && !equalBytes(other.outputHash, side.outputHash)) return 'outputs differ without a dispute';
  if (r.units !== d.params.checkUnits) return 'units differ';
  return undefined;
}

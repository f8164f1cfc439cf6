// Device SDK for the proofs module: builds and signs every proof kind with the chain's own
// encoders (modules/proofs/envelope.ts), so the bytes cannot drift from what the chain verifies;
// CosmJS messages for every proofs Msg; and a query client. Pure builders take the seed, window
// and sequence explicitly (a device gets them from ProofsClient.seed / deviceState, or from its
// gateway).
import { connectComet, type CometClient } from '@cosmjs/tendermint-rpc';
import { QueryClient } from '@cosmjs/stargate';
import protobuf from 'protobufjs';
import { root } from '../chain/codec/proto.ts';
import { sha256 } from '../chain/crypto/hash.ts';
import { signDigest } from '../chain/crypto/secp256k1.ts';
import { concat, u64be } from '../chain/codec/bytes.ts';
import {
  PROTOCOL_VERSION, encodeHeader, signedBytes, beaconPayload, puzzleChallenge, leadingZeroBits, receiptBytes, pdpChallengeIndex,
} from '../modules/proofs/envelope.ts';
import { buildTree, merklePath, merkleRoot, chunkLeaves } from '../modules/proofs/merkle.ts';
import { KIND, KIND_SECTOR } from '../modules/proofs/reasons.ts';
import {
  BeaconPayloadCodec, WitnessPayloadCodec, PdpPayloadCodec, AvailabilityPayloadCodec, ReceiptPayloadCodec, SensorBatchPayloadCodec, EnvelopeCodec, encode,
  Q, queryPath, type EnvelopeMsg, type QueryName,
} from '../modules/proofs/types.ts';
import { signMessage, type DeviceKey } from './device-key.ts';
import type { EncodeObject, CoinLike } from './messages.ts';
import type { PageOptions } from './client.ts';

export { KIND, beaconPayload, puzzleChallenge, leadingZeroBits, receiptBytes, pdpChallengeIndex, buildTree, merklePath, merkleRoot, chunkLeaves };
export type { EnvelopeMsg };

/** What every envelope names: the chain, the device, the window (storage: the data set's proving
 * period), the seed it answers and the device's next sequence number. */
export interface EnvelopeContext {
  chainId: string;
  deviceId: bigint;
  window: bigint;
  seed: Uint8Array;
  seq: bigint;
}

type Signer = Pick<DeviceKey, 'keyType' | 'privateKey'>;

/** Signs an envelope of `kind` over the canonical header (payload committed by its SHA-256). */
export function signEnvelopeOf(device: Signer, kind: number, c: EnvelopeContext, payload: Uint8Array): EnvelopeMsg {
  const header = encodeHeader({
    version: PROTOCOL_VERSION, chainId: c.chainId, sector: KIND_SECTOR[kind]!, kind, deviceId: c.deviceId, window: c.window, seed: c.seed, payloadHash: sha256(payload), seq: c.seq,
  });
  return { header, payload, signature: signMessage(device, signedBytes(c.chainId, header)) };
}

/** The Envelope protobuf bytes (fraud-challenge evidence is one envelope). */
export const envelopeBytes = (e: EnvelopeMsg): Uint8Array => encode(EnvelopeCodec, e);

// ------------------------------------------------------------------ coverage

export interface BeaconRadio {
  region: number;
  frequencyKhz: number;
  dataRate: number;
  txPowerDbm10: number;
  antennaGainDbi10: number;
  /** 1-32 bytes of local entropy (random if omitted). */
  localEntropy?: Uint8Array;
  /** Optional res-12 H3 cell the device reports. */
  cell?: bigint;
}

/** A beacon: the 32 bytes to transmit (regenerable by the chain) and the signed report. */
export function beacon(device: Signer, c: EnvelopeContext, r: BeaconRadio): { envelope: EnvelopeMsg; payload: Uint8Array } {
  const localEntropy = r.localEntropy ?? crypto.getRandomValues(new Uint8Array(4));
  const payload = beaconPayload(c.seed, c.deviceId, localEntropy, r.region, r.frequencyKhz, r.dataRate);
  const body = encode(BeaconPayloadCodec, { localEntropy, region: r.region, frequencyKhz: r.frequencyKhz, dataRate: r.dataRate, txPowerDbm10: r.txPowerDbm10, antennaGainDbi10: r.antennaGainDbi10, payload, cell: r.cell ?? 0n });
  return { envelope: signEnvelopeOf(device, KIND.BEACON, c, body), payload };
}

export interface WitnessReport {
  beaconPayload: Uint8Array;
  rssiDbm10: number;
  snrDb10: number;
  frequencyKhz: number;
  region: number;
  antennaGainDbi10: number;
  cell?: bigint;
}

export function witness(device: Signer, c: EnvelopeContext, w: WitnessReport): EnvelopeMsg {
  return signEnvelopeOf(device, KIND.WITNESS, c, encode(WitnessPayloadCodec, { ...w, cell: w.cell ?? 0n }));
}

// ------------------------------------------------------------------ storage (PDP)

/** A piece the provider stores: its leaves, Merkle tree and root (what MsgCreateDataSet commits). */
export class Piece {
  readonly leaves: Uint8Array[];
  readonly levels: Uint8Array[][];
  readonly root: Uint8Array;

  constructor(leaves: Uint8Array[]) {
    this.leaves = leaves;
    this.levels = buildTree(leaves);
    this.root = this.levels[this.levels.length - 1]![0]!;
  }

  static fromBytes(data: Uint8Array): Piece {
    return new Piece(chunkLeaves(data));
  }

  get leafCount(): bigint {
    return BigInt(this.leaves.length);
  }

  path(index: number): Uint8Array[] {
    return merklePath(this.levels, index);
  }
}

/** Answers for a data set's challenges: the leaf and path of each challenged global leaf index. */
export function pdpAnswers(pieces: readonly Piece[], seed: Uint8Array, dataSetId: bigint, challenges: number): { leaf: Uint8Array; path: Uint8Array[] }[] {
  const total = pieces.reduce((n, p) => n + p.leafCount, 0n);
  return Array.from({ length: challenges }, (_, i) => {
    let idx = pdpChallengeIndex(seed, dataSetId, i, total);
    for (const p of pieces) {
      if (idx < p.leafCount) return { leaf: p.leaves[Number(idx)]!, path: p.path(Number(idx)) };
      idx -= p.leafCount;
    }
    throw new Error('challenge beyond the data set');
  });
}

/** c.window = the data set's proving period, c.seed = its challenge seed (ProofsClient.dataSet). */
export function pdpProof(device: Signer, c: EnvelopeContext, dataSetId: bigint, answers: { leaf: Uint8Array; path: Uint8Array[] }[]): EnvelopeMsg {
  return signEnvelopeOf(device, KIND.PDP, c, encode(PdpPayloadCodec, { dataSetId, answers }));
}

// ------------------------------------------------------------------ compute

/** Finds a nonce with H(H(seed ‖ device ‖ window) ‖ nonce) having `difficultyBits` leading zero bits. */
export function solvePuzzle(seed: Uint8Array, deviceId: bigint, window: bigint, difficultyBits: number, maxTries = 1 << 26): Uint8Array {
  const c = puzzleChallenge(seed, deviceId, window);
  const nonce = new Uint8Array(8);
  const v = new DataView(nonce.buffer);
  for (let i = 0; i < maxTries; i++) {
    v.setUint32(4, i);
    if (leadingZeroBits(sha256(concat(c, nonce))) >= difficultyBits) return nonce;
  }
  throw new Error(`no nonce found in ${maxTries} tries`);
}

export function availability(device: Signer, c: EnvelopeContext, nonce: Uint8Array): EnvelopeMsg {
  return signEnvelopeOf(device, KIND.AVAILABILITY, c, encode(AvailabilityPayloadCodec, { nonce }));
}

/** The tenant's signature of a usage receipt (secp256k1 key given at MsgCreateJob). */
export function signReceipt(tenantPrivateKey: Uint8Array, chainId: string, jobId: bigint, window: bigint, units: bigint, outputHash: Uint8Array): Uint8Array {
  return signDigest(sha256(receiptBytes(chainId, jobId, window, units, outputHash)), tenantPrivateKey);
}

export function receipt(device: Signer, c: EnvelopeContext, r: { jobId: bigint; units: bigint; outputHash: Uint8Array; tenantSignature: Uint8Array }): EnvelopeMsg {
  return signEnvelopeOf(device, KIND.RECEIPT, c, encode(ReceiptPayloadCodec, r));
}

/** Commitment of a spot-check result: SHA-256(output_hash ‖ salt). */
export const resultCommitment = (outputHash: Uint8Array, salt: Uint8Array): Uint8Array => sha256(concat(outputHash, salt));

// ------------------------------------------------------------------ sensor

/** Readings → the batch root the chain records: Merkle root over SHA-256 of each reading. */
export function readingsRoot(readings: readonly Uint8Array[]): Uint8Array {
  return merkleRoot(readings.map((r) => sha256(r)));
}

export function sensorBatch(device: Signer, c: EnvelopeContext, b: { readings?: readonly Uint8Array[]; readingCount?: bigint; readingsRoot?: Uint8Array; cell: bigint; eventId?: Uint8Array }): EnvelopeMsg {
  const root = b.readingsRoot ?? readingsRoot(b.readings ?? []);
  const count = b.readingCount ?? BigInt(b.readings?.length ?? 0);
  const eventId = b.eventId ?? sha256(concat(new TextEncoder().encode('depin/sensor-event'), root, u64be(c.deviceId), u64be(c.window)));
  return signEnvelopeOf(device, KIND.SENSOR_BATCH, c, encode(SensorBatchPayloadCodec, { readingCount: count, readingsRoot: root, cell: b.cell, eventId }));
}

// ------------------------------------------------------------------ messages (CosmJS EncodeObjects)

const proofs = (name: string, value: Record<string, unknown>): EncodeObject => ({ typeUrl: `/depin.proofs.v1.${name}`, value });
const coin = (c: CoinLike) => ({ denom: c.denom, amount: c.amount.toString() });

export const PROOFS_TYPE_URLS = { submitProofs: '/depin.proofs.v1.MsgSubmitProofs' } as const;

export const submitProofsMsg = (submitter: string, envelopes: EnvelopeMsg[]) => proofs('MsgSubmitProofs', { submitter, envelopes });
export const bondProviderMsg = (owner: string, deviceId: bigint, amount: CoinLike) => proofs('MsgBondProvider', { owner, deviceId, amount: coin(amount) });
export const unbondProviderMsg = (owner: string, deviceId: bigint) => proofs('MsgUnbondProvider', { owner, deviceId });
export const bondVerifierMsg = (verifier: string, amount: CoinLike) => proofs('MsgBondVerifier', { verifier, amount: coin(amount) });
export const unbondVerifierMsg = (verifier: string) => proofs('MsgUnbondVerifier', { verifier });
export const createDataSetMsg = (owner: string, deviceId: bigint, pieces: { root: Uint8Array; leafCount: bigint }[]) =>
  proofs('MsgCreateDataSet', { owner, deviceId, pieces: pieces.map((p) => ({ root: p.root, leafCount: p.leafCount })) });
export const deleteDataSetMsg = (owner: string, dataSetId: bigint) => proofs('MsgDeleteDataSet', { owner, dataSetId });
export const createJobMsg = (tenant: string, providerDeviceId: bigint, tenantKey: Uint8Array, deposit: CoinLike, pricePerUnit: bigint, specHash: Uint8Array) =>
  proofs('MsgCreateJob', { tenant, providerDeviceId, tenantKey, deposit: coin(deposit), pricePerUnit: pricePerUnit.toString(), specHash });
export const closeJobMsg = (tenant: string, jobId: bigint) => proofs('MsgCloseJob', { tenant, jobId });
export const commitResultMsg = (operator: string, jobId: bigint, deviceId: bigint, commitment: Uint8Array) => proofs('MsgCommitResult', { operator, jobId, deviceId, commitment });
export const revealResultMsg = (operator: string, jobId: bigint, deviceId: bigint, outputHash: Uint8Array, salt: Uint8Array) => proofs('MsgRevealResult', { operator, jobId, deviceId, outputHash, salt });
export const voteDisputeMsg = (verifier: string, disputeId: bigint, outputHash: Uint8Array) => proofs('MsgVoteDispute', { verifier, disputeId, outputHash });
export const EVIDENCE_KIND = { equivocation: 1, locationConflict: 2, arbitrated: 3 } as const;
export const challengeProofMsg = (challenger: string, proofId: bigint, evidenceKind: number, evidence: Uint8Array, bond: CoinLike) => proofs('MsgChallengeProof', { challenger, proofId, evidenceKind, evidence, bond: coin(bond) });
export const resolveChallengeMsg = (authority: string, challengeId: bigint, upheld: boolean, detail = '') => proofs('MsgResolveChallenge', { authority, challengeId, upheld, detail });

// ------------------------------------------------------------------ queries

const TO_OBJECT: protobuf.IConversionOptions = { longs: BigInt as never, enums: Number, defaults: true };

export class ProofsClient {
  readonly comet: CometClient;
  readonly abci: QueryClient;

  private constructor(comet: CometClient) {
    this.comet = comet;
    this.abci = new QueryClient(comet);
  }

  static async connect(rpcUrl: string): Promise<ProofsClient> {
    return new ProofsClient(await connectComet(rpcUrl));
  }

  disconnect(): void {
    this.comet.disconnect();
  }

  private async q(name: QueryName, request: object): Promise<any> {
    const [req, res] = Q[name];
    const rt = root.lookupType(req.type.fullName.slice(1));
    const { value } = await this.abci.queryAbci(queryPath(name), rt.encode(rt.fromObject(request as Record<string, unknown>)).finish());
    const t = root.lookupType(res.type.fullName.slice(1));
    return t.toObject(t.decode(value), TO_OBJECT);
  }

  params() {
    return this.q('Params', {}).then((r) => r.params);
  }
  /** The seed of a window (available, source height, window bounds, current window). */
  seed(window: bigint) {
    return this.q('Seed', { window });
  }
  challengeSeed(height: bigint) {
    return this.q('Seed', { height });
  }
  proof(id: bigint) {
    return this.q('Proof', { id });
  }
  /** Newest first. */
  proofsByDevice(deviceId: bigint, pagination?: PageOptions) {
    return this.q('ProofsByDevice', { deviceId, pagination });
  }
  deviceWindow(deviceId: bigint, window: bigint) {
    return this.q('DeviceWindow', { deviceId, window });
  }
  deviceState(deviceId: bigint) {
    return this.q('DeviceState', { deviceId });
  }
  dataSet(id: bigint) {
    return this.q('DataSet', { id });
  }
  job(id: bigint) {
    return this.q('Job', { id }).then((r) => r.job);
  }
  dispute(id: bigint) {
    return this.q('Dispute', { id }).then((r) => r.dispute);
  }
  challenge(id: bigint) {
    return this.q('Challenge', { id }).then((r) => r.challenge);
  }
}

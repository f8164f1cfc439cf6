// The proofs module: messages, queries, begin/end block, genesis and the signature jobs that let
// the node verify device signatures ahead of block execution.
import type { AppModule, MsgDef, QueryDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { u64 } from '../../chain/codec/proto.ts';
import { messageFromJson, messageToJson } from '../../chain/codec/proto-json.ts';
import { fromBech32 } from '../../chain/crypto/address.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { ErrInvalidAddress, ErrInvalidRequest } from '../../chain/errors.ts';
import { paginate, paginateSequence, type PageRequest } from '../../chain/pagination.ts';
import { concat, u64be } from '../../chain/codec/bytes.ts';
import { KEY_TYPE_SECP256K1 } from '../devices/keys.ts';
import type { SignatureTriple } from '../../chain/crypto/sig-cache.ts';
import { ProofsKeeper, MODULE_NAME } from './keeper.ts';
import { K, STORE_PREFIX } from './store-keys.ts';
import { readU64 } from '../../chain/codec/bytes.ts';
import { DEFAULT_PARAMS, DENOM, coinAmount, paramsFrom, validateParams, type Params } from './params.ts';
import { STATUS, KIND, KIND_NAMES, reasonName } from './reasons.ts';
import { signedBytes, windowOf, windowStart } from './envelope.ts';
import { ErrInvalidField, ErrProofNotFound, ErrDataSetNotFound, ErrJobNotFound, ErrDisputeNotFound, ErrChallengeNotFound } from './errors.ts';
import { beaconHandler, witnessHandler, finalizeBeacons } from './coverage/coverage.ts';
import { foldBlockLocal } from './block-local.ts';
import { pdpHandler, createDataSet, deleteDataSet, getDataSet, processStorageDeadlines, challengeIndexes } from './storage.ts';
import {
  availabilityHandler, receiptHandler, createJob, tenantCloseJob, commitResult, revealResult, voteDispute, drawSpotChecks, processJobDeadlines,
  processDisputeDeadlines, getJob, getDispute,
} from './compute.ts';
import { sensorHandler, pruneEventIds } from './sensor.ts';
import { challengeProof, resolveChallenge, expireChallenges, getChallenge } from './fraud.ts';
import { bondProvider, unbondProvider, bondVerifier, unbondVerifier, payUnbonded } from './bonds.ts';
import * as T from './types.ts';

const full = (k: Uint8Array) => concat(STORE_PREFIX, k);

const checkAddress = (a: string, field: string) => {
  try {
    fromBech32(a);
  } catch (err) {
    throw ErrInvalidAddress.wrap(`invalid ${field}: ${(err as Error).message}`);
  }
};
const requireId = (v: unknown, field: string): bigint => {
  const id = u64(v as never);
  if (id === 0n) throw ErrInvalidField.wrap(`${field} is required`);
  return id;
};
const udpin = (c: { denom: string; amount: string } | null | undefined, field: string): bigint => {
  if (!c) throw ErrInvalidField.wrap(`${field} is required`);
  if (c.denom !== DENOM) throw ErrInvalidField.wrap(`${field} must be in ${DENOM}`);
  const a = coinAmount(c);
  if (a <= 0n) throw ErrInvalidField.wrap(`${field} must be positive`);
  return a;
};
const decimal = (s: string, field: string): bigint => {
  if (!/^[0-9]{1,30}$/.test(s ?? '')) throw ErrInvalidField.wrap(`${field} must be a decimal integer`);
  return BigInt(s);
};

export interface ProofsGenesis {
  params: Record<string, unknown>;
  entries: { key: string; value: string }[];
}

/**
 * ProofsByDevice: the device's proof chain (ProofsKeeper.proofsOfDevice) paged newest first, or
 * oldest first with pagination.reverse (the whole chain is walked then, bounded by the record
 * retention). `next_key` is the next proof's u64 id, as with the index this replaces.
 */
function pageProofsOfDevice(k: ProofsKeeper, ctx: Context, device: bigint, req: PageRequest | undefined) {
  const keyOf = (r: T.ProofRecord) => u64be(r.id);
  const idOf = (key: Uint8Array) => {
    if (key.length !== 8) throw ErrInvalidRequest.wrap(`pagination key: a proof id (8 bytes), got ${key.length} bytes`);
    return readU64(key);
  };
  if (!req?.reverse) return paginateSequence(req, (from) => k.proofsOfDevice(ctx, device, from && idOf(from)), keyOf);
  const all = [...k.proofsOfDevice(ctx, device)].reverse();
  return paginateSequence(req, (from) => {
    if (!from) return all;
    const id = idOf(from);
    return all.filter((r) => r.id >= id);
  }, keyOf);
}

export function defaultProofsGenesis(params: Params = DEFAULT_PARAMS): ProofsGenesis {
  return { params: messageToJson(T.ParamsCodec.type, params as never) as Record<string, unknown>, entries: [] };
}

/** Registers the kind handlers of every sector on a keeper. */
export function registerHandlers(k: ProofsKeeper): void {
  for (const h of [beaconHandler, witnessHandler, pdpHandler, availabilityHandler, receiptHandler, sensorHandler]) k.register(h);
}

export function proofsModule(keeper: ProofsKeeper): AppModule {
  registerHandlers(keeper);
  const def = <M>(name: T.MsgName, signer: (m: M) => string, validateBasic: (m: M) => void, handle: (ctx: Context, m: M) => object, extra: Partial<MsgDef<M>> = {}): MsgDef<M> => {
    const codec = T.Msgs[name] as unknown as MsgDef<M>['codec'];
    const resp = T.response(name);
    return {
      typeUrl: codec.typeUrl,
      codec,
      responseTypeUrl: resp.typeUrl,
      signers: (m) => [signer(m)],
      validateBasic,
      handle: (ctx, m) => T.encode(resp, handle(ctx, m)),
      ...extra,
    };
  };

  const msgs: MsgDef[] = [
    def<T.MsgSubmitProofs>('SubmitProofs', (m) => m.submitter, (m) => {
      checkAddress(m.submitter, 'submitter');
      if (!m.envelopes?.length) throw ErrInvalidField.wrap('no envelopes');
      if (m.envelopes.length > 1_000) throw ErrInvalidField.wrap('at most 1000 envelopes');
    }, (ctx, m) => ({ verdicts: keeper.submitProofs(ctx, m.submitter, m.envelopes) }), {
      // Device signatures, for the node's signature workers (secp256k1 keys only).
      signatureJobs(ctx, m): SignatureTriple[] {
        const out: SignatureTriple[] = [];
        for (const env of m.envelopes) {
          if (!env.header?.length || env.signature?.length !== 64) continue;
          const h = keeper.decodeHeader(env.header);
          const pk = keeper.devices.publicKey(ctx, h.deviceId);
          if (!pk || pk.keyType !== KEY_TYPE_SECP256K1) continue;
          out.push({ sig: env.signature, digest: sha256(signedBytes(ctx.block.chainId, env.header)), pubkey: pk.key });
        }
        return out;
      },
    }),
    def<T.MsgBondProvider>('BondProvider', (m) => m.owner, (m) => {
      checkAddress(m.owner, 'owner');
      requireId(m.deviceId, 'device_id');
      udpin(m.amount, 'amount');
    }, (ctx, m) => (bondProvider(keeper, ctx, m.owner, u64(m.deviceId), udpin(m.amount, 'amount')), {})),
    def<T.MsgUnbondProvider>('UnbondProvider', (m) => m.owner, (m) => {
      checkAddress(m.owner, 'owner');
      requireId(m.deviceId, 'device_id');
    }, (ctx, m) => ({ unbondingHeight: unbondProvider(keeper, ctx, m.owner, u64(m.deviceId)) })),
    def<T.MsgBondVerifier>('BondVerifier', (m) => m.verifier, (m) => {
      checkAddress(m.verifier, 'verifier');
      udpin(m.amount, 'amount');
    }, (ctx, m) => (bondVerifier(keeper, ctx, m.verifier, udpin(m.amount, 'amount')), {})),
    def<T.MsgUnbondVerifier>('UnbondVerifier', (m) => m.verifier, (m) => checkAddress(m.verifier, 'verifier'), (ctx, m) => ({ unbondingHeight: unbondVerifier(keeper, ctx, m.verifier) })),
    def<T.MsgCreateDataSet>('CreateDataSet', (m) => m.owner, (m) => {
      checkAddress(m.owner, 'owner');
      requireId(m.deviceId, 'device_id');
      if (!m.pieces?.length) throw ErrInvalidField.wrap('a data set needs pieces');
      for (const p of m.pieces) if (p.root?.length !== 32 || u64(p.leafCount) === 0n) throw ErrInvalidField.wrap('pieces need a 32-byte root and a leaf count');
    }, (ctx, m) => {
      const d = createDataSet(keeper, ctx, m.owner, u64(m.deviceId), m.pieces.map((p) => ({ root: Uint8Array.from(p.root), leafCount: u64(p.leafCount) })));
      return { dataSetId: d.id, challengeHeight: d.challengeHeight };
    }),
    def<T.MsgDeleteDataSet>('DeleteDataSet', (m) => m.owner, (m) => {
      checkAddress(m.owner, 'owner');
      requireId(m.dataSetId, 'data_set_id');
    }, (ctx, m) => (deleteDataSet(keeper, ctx, m.owner, u64(m.dataSetId)), {})),
    def<T.MsgCreateJob>('CreateJob', (m) => m.tenant, (m) => {
      checkAddress(m.tenant, 'tenant');
      requireId(m.providerDeviceId, 'provider_device_id');
      udpin(m.deposit, 'deposit');
      decimal(m.pricePerUnit, 'price_per_unit');
      if (m.tenantKey?.length !== 33) throw ErrInvalidField.wrap('tenant_key must be a 33-byte compressed secp256k1 key');
      if (m.specHash?.length !== 32) throw ErrInvalidField.wrap('spec_hash must be 32 bytes');
    }, (ctx, m) => {
      const j = createJob(keeper, ctx, { tenant: m.tenant, providerDeviceId: u64(m.providerDeviceId), tenantKey: Uint8Array.from(m.tenantKey), deposit: udpin(m.deposit, 'deposit'), pricePerUnit: decimal(m.pricePerUnit, 'price_per_unit'), specHash: Uint8Array.from(m.specHash) });
      return { jobId: j.id, checkWindow: j.checkWindow };
    }),
    def<T.MsgCloseJob>('CloseJob', (m) => m.tenant, (m) => {
      checkAddress(m.tenant, 'tenant');
      requireId(m.jobId, 'job_id');
    }, (ctx, m) => ({ refunded: tenantCloseJob(keeper, ctx, m.tenant, u64(m.jobId)).toString() })),
    def<T.MsgCommitResult>('CommitResult', (m) => m.operator, (m) => {
      checkAddress(m.operator, 'operator');
      requireId(m.jobId, 'job_id');
      requireId(m.deviceId, 'device_id');
      if (m.commitment?.length !== 32) throw ErrInvalidField.wrap('commitment must be 32 bytes');
    }, (ctx, m) => (commitResult(keeper, ctx, m.operator, u64(m.jobId), u64(m.deviceId), Uint8Array.from(m.commitment)), {})),
    def<T.MsgRevealResult>('RevealResult', (m) => m.operator, (m) => {
      checkAddress(m.operator, 'operator');
      requireId(m.jobId, 'job_id');
      requireId(m.deviceId, 'device_id');
      if (m.outputHash?.length !== 32) throw ErrInvalidField.wrap('output_hash must be 32 bytes');
    }, (ctx, m) => ({ phase: revealResult(keeper, ctx, m.operator, u64(m.jobId), u64(m.deviceId), Uint8Array.from(m.outputHash), Uint8Array.from(m.salt ?? [])) })),
    def<T.MsgVoteDispute>('VoteDispute', (m) => m.verifier, (m) => {
      checkAddress(m.verifier, 'verifier');
      requireId(m.disputeId, 'dispute_id');
      if (m.outputHash?.length !== 32) throw ErrInvalidField.wrap('output_hash must be 32 bytes');
    }, (ctx, m) => ({ status: voteDispute(keeper, ctx, m.verifier, u64(m.disputeId), Uint8Array.from(m.outputHash)) })),
    def<T.MsgChallengeProof>('ChallengeProof', (m) => m.challenger, (m) => {
      checkAddress(m.challenger, 'challenger');
      requireId(m.proofId, 'proof_id');
      udpin(m.bond, 'bond');
      if (!m.evidence?.length) throw ErrInvalidField.wrap('evidence is required');
    }, (ctx, m) => {
      const c = challengeProof(keeper, ctx, m.challenger, u64(m.proofId), m.evidenceKind, Uint8Array.from(m.evidence), udpin(m.bond, 'bond'));
      return { challengeId: c.id, status: c.status };
    }),
    def<T.MsgResolveChallenge>('ResolveChallenge', (m) => m.authority, (m) => {
      checkAddress(m.authority, 'authority');
      requireId(m.challengeId, 'challenge_id');
    }, (ctx, m) => {
      keeper.requireAuthority(ctx, m.authority);
      resolveChallenge(keeper, ctx, u64(m.challengeId), m.upheld, m.detail ?? '');
      return {};
    }),
    def<T.MsgUpdateParams>('UpdateParams', (m) => m.authority, (m) => {
      checkAddress(m.authority, 'authority');
      if (!m.params) throw ErrInvalidField.wrap('params are required');
      validateParams(paramsFrom(m.params));
    }, (ctx, m) => {
      keeper.requireAuthority(ctx, m.authority);
      keeper.setParams(ctx, paramsFrom(m.params!));
      if (ctx.events.enabled) ctx.events.emit({ type: 'proofs_params_updated', attributes: [{ key: 'authority', value: m.authority, index: true }] });
      return {};
    }),
  ];

  // ---------------------------------------------------------------- queries

  const q = (name: T.QueryName, handle: (ctx: Context, req: any) => object): QueryDef => {
    const [req, res] = T.Q[name];
    return { path: T.queryPath(name), request: req as QueryDef['request'], handle: (ctx, r) => T.encode(res, handle(ctx, r)) };
  };
  const notFound = (e: { wrap(s: string): Error }, what: string) => e.wrap(`rpc error: code = NotFound desc = ${what} not found`);

  const queries: QueryDef[] = [
    q('Params', (ctx) => ({ params: keeper.params(ctx) })),
    q('Seed', (ctx, r: { window: unknown; height: unknown }) => {
      const p = keeper.params(ctx);
      const h = ctx.block.height;
      const current = windowOf(h, p.windowBlocks);
      const height = u64(r.height as never);
      if (height > 0n) {
        const seed = keeper.challengeSeedAt(ctx, height);
        return { seed: seed ?? new Uint8Array(), available: !!seed, sourceHeight: height, availableHeight: height + 1n, currentWindow: current };
      }
      const window = u64(r.window as never);
      const { seed, source } = keeper.windowSeed(ctx, p, window);
      return {
        seed: seed ?? new Uint8Array(), available: !!seed, sourceHeight: source > 0n ? source : 0n, availableHeight: source > 0n ? source + 1n : 0n,
        windowStart: windowStart(window, p.windowBlocks), windowEnd: windowStart(window + p.seedLifetimeWindows + 1n, p.windowBlocks) - 1n, currentWindow: current,
      };
    }),
    q('Proof', (ctx, r: { id: unknown }) => {
      const rec = keeper.getRecord(ctx, requireId(r.id, 'id'));
      if (!rec) throw notFound(ErrProofNotFound, `proof ${u64(r.id as never)}`);
      return { proof: rec, reasonName: reasonName(rec.reason), kindName: KIND_NAMES[rec.kind] ?? '' };
    }),
    q('ProofsByDevice', (ctx, r: { deviceId: unknown; pagination?: PageRequest }) => {
      const { items, page } = pageProofsOfDevice(keeper, ctx, requireId(r.deviceId, 'device_id'), r.pagination);
      return { proofs: items, pagination: page };
    }),
    q('DeviceWindow', (ctx, r: { deviceId: unknown; window: unknown }) => {
      const p = keeper.params(ctx);
      const device = requireId(r.deviceId, 'device_id');
      const window = u64(r.window as never);
      const out = { deviceId: device, window, proofs: 0n, valid: 0n, invalid: 0n, pending: 0n, reversed: 0n, units: 0n, reasons: [] as { reason: number; name: string; count: bigint }[], proofIds: [] as bigint[] };
      const counts = new Map<number, bigint>();
      let scanned = 0;
      for (const rec of keeper.proofsOfDevice(ctx, device)) {
        if (++scanned > 100_000) break;
        const byHeight = rec.kind === KIND.PDP || rec.kind === KIND.COMPUTE_CHECK;
        const w = byHeight ? windowOf(rec.submittedHeight, p.windowBlocks) : rec.window;
        if (windowOf(rec.submittedHeight, p.windowBlocks) + p.seedLifetimeWindows + 2n < window) break; // older than anything of the window
        if (w !== window) continue;
        out.proofs++;
        out.proofIds.push(rec.id);
        if (rec.status === STATUS.PENDING) out.pending++;
        else if (rec.status === STATUS.REVERSED) out.reversed++;
        else if (rec.valid) {
          out.valid++;
          out.units += rec.units;
        } else out.invalid++;
        counts.set(rec.reason, (counts.get(rec.reason) ?? 0n) + 1n);
      }
      out.reasons = [...counts].sort((a, b) => a[0] - b[0]).map(([reason, count]) => ({ reason, name: reasonName(reason), count }));
      out.proofIds.reverse();
      return out;
    }),
    q('DeviceState', (ctx, r: { deviceId: unknown }) => {
      const id = requireId(r.deviceId, 'device_id');
      const b = keeper.getBond(ctx, id);
      return { state: keeper.deviceState(ctx, id), bond: b ? T.bondTo(b) : null };
    }),
    q('DataSet', (ctx, r: { id: unknown }) => {
      const d = getDataSet(keeper, ctx, requireId(r.id, 'id'));
      if (!d) throw notFound(ErrDataSetNotFound, `data set ${u64(r.id as never)}`);
      const seed = keeper.challengeSeedAt(ctx, d.challengeHeight);
      return { dataSet: d, challengeSeed: seed ?? new Uint8Array(), challenges: seed ? challengeIndexes(d, seed, keeper.params(ctx).challengesPerProof) : [] };
    }),
    q('DataSets', (ctx, r: { pagination?: PageRequest }) => {
      const { items, page } = paginate(ctx.store, full(Uint8Array.of(K.dataSet)), r.pagination, (_k, v) => T.dataSetFrom(T.DataSetCodec.decode(v)));
      return { dataSets: items, pagination: page };
    }),
    q('Job', (ctx, r: { id: unknown }) => {
      const j = getJob(keeper, ctx, requireId(r.id, 'id'));
      if (!j) throw notFound(ErrJobNotFound, `job ${u64(r.id as never)}`);
      return { job: T.jobTo(j) };
    }),
    q('Jobs', (ctx, r: { pagination?: PageRequest }) => {
      const { items, page } = paginate(ctx.store, full(Uint8Array.of(K.job)), r.pagination, (_k, v) => T.jobTo(T.jobFrom(T.JobCodec.decode(v))));
      return { jobs: items, pagination: page };
    }),
    q('Dispute', (ctx, r: { id: unknown }) => {
      const d = getDispute(keeper, ctx, requireId(r.id, 'id'));
      if (!d) throw notFound(ErrDisputeNotFound, `dispute ${u64(r.id as never)}`);
      return { dispute: d };
    }),
    q('Challenge', (ctx, r: { id: unknown }) => {
      const c = getChallenge(keeper, ctx, requireId(r.id, 'id'));
      if (!c) throw notFound(ErrChallengeNotFound, `challenge ${u64(r.id as never)}`);
      return { challenge: T.challengeTo(c) };
    }),
    q('Challenges', (ctx, r: { pagination?: PageRequest }) => {
      const { items, page } = paginate(ctx.store, full(Uint8Array.of(K.challenge)), r.pagination, (_k, v) => T.challengeTo(T.challengeFrom(T.ChallengeCodec.decode(v))));
      return { challenges: items, pagination: page };
    }),
    q('Verifiers', (ctx, r: { pagination?: PageRequest }) => {
      const { items, page } = paginate(ctx.store, full(Uint8Array.of(K.verifier)), r.pagination, (_k, v) => T.verifierTo(T.verifierFrom(T.VerifierCodec.decode(v))));
      return { verifiers: items, pagination: page };
    }),
  ];

  return {
    name: MODULE_NAME,
    msgs,
    queries,
    beginBlock(ctx) {
      keeper.recordAppHash(ctx);
      drawSpotChecks(keeper, ctx, keeper.params(ctx));
    },
    endBlock(ctx) {
      const p = keeper.params(ctx);
      foldBlockLocal(keeper, ctx); // first: a witness or deadline of this block may be due now
      finalizeBeacons(keeper, ctx, p);
      processStorageDeadlines(keeper, ctx, p);
      processJobDeadlines(keeper, ctx, p);
      processDisputeDeadlines(keeper, ctx, p);
      expireChallenges(keeper, ctx);
      payUnbonded(keeper, ctx);
      pruneEventIds(keeper, ctx, p);
      keeper.prune(ctx, p);
      foldBlockLocal(keeper, ctx); // and what the steps above queued (a faulted data set's next deadline)
    },
    defaultGenesis: () => defaultProofsGenesis(),
    initGenesis(ctx, raw) {
      const g = (raw ?? defaultProofsGenesis()) as ProofsGenesis;
      const params = paramsFrom(messageFromJson(T.ParamsCodec.type, (g.params ?? {}) as never) ?? {});
      validateParams(params);
      keeper.setParams(ctx, params);
      keeper.accounts.getOrCreateModuleAccount(ctx, MODULE_NAME, ['burner']);
      const s = keeper.store(ctx);
      for (const e of g.entries ?? []) {
        const key = Buffer.from(e.key, 'base64');
        if (key.length === 0 || key[0] === K.params) throw new Error('genesis: proofs entries must not contain params');
        s.set(key, Buffer.from(e.value, 'base64'));
      }
    },
    exportGenesis(ctx): ProofsGenesis {
      const s = keeper.store(ctx);
      const entries: { key: string; value: string }[] = [];
      for (const [k, v] of s.iterator(Uint8Array.of(K.params + 1), undefined)) entries.push({ key: Buffer.from(k).toString('base64'), value: Buffer.from(v).toString('base64') });
      return { params: messageToJson(T.ParamsCodec.type, keeper.params(ctx) as never) as Record<string, unknown>, entries };
    },
  };
}



// Codecs and typed records of depin.rewards.v1. In memory every amount (udpin, udc) and every
// 64-bit field is a bigint; on the wire amounts are decimal strings (no 64-bit ceiling) and the
// rest uint64. One reflection-driven converter does both directions for every record type, so a
// new field cannot be forgotten in one direction only.
import protobuf from 'protobufjs';
import { codec, u64, type Codec } from '../../chain/codec/proto.ts';
import { encodeCanonical, messageFromJson, messageToJson } from '../../chain/codec/proto-json.ts';
import { ProtoWriter } from '../../chain/codec/proto-writer.ts';

const LONG = new Set(['uint64', 'int64', 'sint64', 'fixed64', 'sfixed64']);
/** String fields that are not amounts (everything else of type string is a decimal amount). */
export const TEXT_FIELDS = new Set(['authority', 'owner', 'address', 'oracle', 'buyer', 'withheldReason', 'error', 'outliers', 'stale']);

type Obj = Record<string, any>;

type Kind = 'msg' | 'long' | 'slong' | 'amount' | 'text' | 'bytes' | 'bool' | 'num';
interface FieldPlan { name: string; id: number; kind: Kind; repeated: boolean; isEnum: boolean; sub?: Plan }
interface Plan {
  fields: FieldPlan[];
  /** The fields in number order (the order protobufjs writes them in). */
  byId: FieldPlan[];
  /** Every field (nested ones too) is one the direct encoder writes exactly as protobufjs does. */
  direct: boolean;
}

const plans = new Map<protobuf.Type, Plan>();

/** How each field of a type converts, resolved once per type (records are converted in hot loops). */
function plan(type: protobuf.Type): Plan {
  let p = plans.get(type);
  if (p) return p;
  p = { fields: [], byId: [], direct: true };
  plans.set(type, p);
  for (const f of type.fieldsArray) {
    f.resolve();
    const rt = f.resolvedType;
    let kind: Kind;
    if (rt instanceof protobuf.Type) kind = 'msg';
    else if (rt instanceof protobuf.Enum) kind = 'num';
    else if (LONG.has(f.type)) kind = f.type === 'int64' || f.type === 'sint64' || f.type === 'sfixed64' ? 'slong' : 'long';
    else if (f.type === 'string') kind = TEXT_FIELDS.has(f.name) ? 'text' : 'amount';
    else if (f.type === 'bytes') kind = 'bytes';
    else if (f.type === 'bool') kind = 'bool';
    else kind = 'num';
    const fp: FieldPlan = { name: f.name, id: f.id, kind, repeated: f.repeated, isEnum: rt instanceof protobuf.Enum, sub: rt instanceof protobuf.Type ? plan(rt) : undefined };
    p.fields.push(fp);
    if (!writesDirectly(f, fp)) p.direct = false;
  }
  p.byId = [...p.fields].sort((a, b) => a.id - b.id);
  // A sub-plan still being built (a recursive type) reports direct until it is done: resolve once more.
  if (p.fields.some((f) => f.sub && !f.sub.direct)) p.direct = false;
  return p;
}

/** Field shapes writePlan() covers; a record with any other field keeps the protobufjs path. */
function writesDirectly(f: protobuf.Field, fp: FieldPlan): boolean {
  if (f.map) return false;
  switch (fp.kind) {
    case 'msg': return true;
    case 'num': return fp.isEnum || f.type === 'uint32';
    case 'long': return f.type === 'uint64';
    case 'slong': return !fp.repeated && f.type === 'int64';
    case 'amount': case 'text': return true;
    case 'bytes': case 'bool': return !fp.repeated;
  }
}

function typedValue(f: FieldPlan, x: unknown): unknown {
  switch (f.kind) {
    case 'msg': return typedOf(f.sub!, x as Obj);
    case 'long': return u64(x as never);
    case 'slong': return signed(x);
    case 'amount': return amount(x as string);
    case 'text': return x ?? '';
    case 'bytes': return x ?? new Uint8Array();
    case 'bool': return !!x;
    default: return x ?? 0;
  }
}

function typedOf(p: Plan, m: Obj | null | undefined): Obj {
  const out: Obj = {};
  for (const f of p.fields) {
    const v = m?.[f.name];
    if (f.repeated) out[f.name] = ((v as unknown[]) ?? []).map((x) => typedValue(f, x));
    else if (f.kind === 'msg' && (v === undefined || v === null)) out[f.name] = null;
    else out[f.name] = typedValue(f, v);
  }
  return out;
}

/** Decoded protobufjs message -> typed record: 64-bit fields and amount strings become bigint. */
export function toTyped(type: protobuf.Type, m: Obj | null | undefined): Obj {
  return typedOf(plan(type), m);
}

function wireValue(f: FieldPlan, x: any): unknown {
  switch (f.kind) {
    case 'msg': return wireOf(f.sub!, x);
    case 'amount': return typeof x === 'bigint' ? x.toString() : x;
    default: return x;
  }
}

const isDefault = (f: FieldPlan, x: any): boolean => {
  if (x === undefined || x === null) return true;
  switch (f.kind) {
    case 'msg': return false; // a present sub-message is encoded even if empty
    case 'long': case 'slong': return x === 0n || x === 0 || x === '0';
    case 'amount': return x === ''; // amounts are always written ("0" included): readable JSON
    case 'text': return x === '';
    case 'bytes': return x.length === 0;
    case 'bool': return x === false;
    default: return x === 0;
  }
};

/** Typed record -> the plain object protobufjs encodes, proto3 defaults left out: the same bytes
 * as chain/codec/proto-json's encodeCanonical, without its per-call reflection. */
function wireOf(p: Plan, v: Obj): Obj {
  const out: Obj = {};
  for (const f of p.fields) {
    const x = v[f.name];
    if (f.repeated) {
      if (x && x.length) out[f.name] = (x as unknown[]).map((y) => wireValue(f, y));
    } else if (!isDefault(f, x)) out[f.name] = wireValue(f, x);
  }
  return out;
}

const big = (x: unknown): bigint => (typeof x === 'bigint' ? x : BigInt(x as never));
// Values protobufjs would write but writePlan would leave out or write differently ('00', 1 for a
// bool, a string for bytes): refused, so that record takes the protobufjs path.
const refuse = (x: unknown): never => {
  throw new TypeError(`not written directly: ${String(x)}`);
};
const nonZero = (v: bigint): bigint => (v === 0n ? refuse(v) : v);

/**
 * A typed record straight into a ProtoWriter: the bytes protobufjs gives for wireOf(v) (fields by
 * number, proto3 defaults left out, amounts always written, numeric repeated fields packed), without
 * the intermediate wire object and protobufjs' Long arithmetic. Throws on a value it will not write
 * (out of range, wrong type); the caller then uses the protobufjs path, which decides as before.
 */
function writePlan(w: ProtoWriter, p: Plan, v: Obj): void {
  for (const f of p.byId) {
    const x = v[f.name];
    if (f.repeated) {
      if (!x || x.length === 0) continue;
      if (f.kind === 'msg') {
        for (const y of x) {
          const at = w.begin(f.id);
          writePlan(w, f.sub!, y);
          w.end(at);
        }
      } else if (f.kind === 'num') w.packedUint32(f.id, x);
      else if (f.kind === 'long') w.packedUint64(f.id, (x as unknown[]).map(big));
      else for (const y of x) w.stringElement(f.id, f.kind === 'amount' && typeof y === 'bigint' ? y.toString() : y);
      continue;
    }
    if (isDefault(f, x)) continue;
    switch (f.kind) {
      case 'msg': {
        const at = w.begin(f.id);
        writePlan(w, f.sub!, x);
        w.end(at);
        break;
      }
      case 'long': w.uint64(f.id, nonZero(big(x))); break;
      case 'slong': w.int64(f.id, nonZero(big(x))); break;
      case 'amount': w.stringElement(f.id, typeof x === 'bigint' ? x.toString() : x); break;
      case 'text': w.stringElement(f.id, x); break;
      case 'bytes': w.bytes(f.id, x instanceof Uint8Array ? x : refuse(x)); break;
      case 'bool': w.bool(f.id, x === true ? true : refuse(x)); break;
      case 'num': if (f.isEnum) w.enum(f.id, x); else w.uint32(f.id, x); break;
    }
  }
}

function signed(x: unknown): bigint {
  if (x === undefined || x === null) return 0n;
  if (typeof x === 'object' && !(x as { unsigned?: boolean }).unsigned) {
    const l = x as { low: number; high: number };
    return (BigInt(l.high | 0) << 32n) | BigInt(l.low >>> 0);
  }
  return u64(x as never);
}

/** A decimal amount from the wire ('' = 0); anything else is refused. */
export function amount(s: string | null | undefined): bigint {
  if (s === undefined || s === null || s === '') return 0n;
  if (!/^[0-9]{1,78}$/.test(s)) throw new Error(`invalid amount ${JSON.stringify(s)}`);
  return BigInt(s);
}

export interface RecordCodec<T> {
  readonly type: protobuf.Type;
  readonly typeUrl: string;
  /** Canonical bytes (proto3 defaults omitted): equal records, equal bytes. */
  encode(v: T): Uint8Array;
  /** The same bytes through protobufjs (the reference encode() is tested against). */
  encodeReflective(v: T): Uint8Array;
  decode(b: Uint8Array): T;
  toJson(v: T): unknown;
  fromJson(j: unknown): T;
}

// One writer for every record (encoding is synchronous and never nested across records).
const out = new ProtoWriter();

export function record<T>(name: string): RecordCodec<T> {
  const c: Codec<Obj> = codec<Obj>(`depin.rewards.v1.${name}`);
  const t = c.type;
  const p = plan(t);
  const encodeReflective = (v: T) => t.encode(wireOf(p, v as Obj)).finish();
  const encode = !p.direct ? encodeReflective : (v: T) => {
    try {
      writePlan(out.start(), p, v as Obj);
    } catch {
      return encodeReflective(v);
    }
    return out.finish();
  };
  return {
    type: t,
    typeUrl: c.typeUrl,
    encode,
    encodeReflective,
    decode: (b) => typedOf(p, t.decode(b) as unknown as Obj) as T,
    toJson: (v) => messageToJson(t, t.decode(encode(v)) as unknown as Obj),
    fromJson: (j) => typedOf(p, t.decode(encodeCanonical(t, messageFromJson(t, j as never) ?? {})) as unknown as Obj) as T,
  };
}

// ------------------------------------------------------------------ records

export interface SectorShare { sector: number; bps: number }

export interface Params {
  authority: string;
  epochBlocks: bigint;
  initialEpochEmission: bigint;
  decayIntervalEpochs: bigint;
  decayBps: number;
  tailEpochEmission: bigint;
  reemissionCap: bigint;
  burnSmoothingEpochs: number;
  breakerWindowEpochs: number;
  breakerThreshold: bigint;
  validatorsBps: number;
  oraclesBps: number;
  verifiersBps: number;
  treasuryBps: number;
  sectorShares: SectorShare[];
  demandFloorBps: number;
  demandCapBps: number;
  locationSectors: number[];
  densityResolution: number;
  densityTarget: bigint;
  unlocatedTrustPpm: bigint;
  relocationTrustPpm: bigint;
  trustCooldownBlocks: bigint;
  seniorityBasePpm: bigint;
  seniorityMaxPpm: bigint;
  seniorityRampBlocks: bigint;
  downtimeGraceEpochs: number;
  fraudWithholdEpochs: number;
  minSpendCredits: bigint;
  eventRetentionEpochs: number;
  oracleMinBond: bigint;
  maxOracles: number;
  priceMinOracles: number;
  priceQuorumBps: number;
  priceMaxAgeSeconds: bigint;
  priceMaxFutureSeconds: bigint;
  priceOutlierBps: number;
  priceSpreadWeightBps: number;
  oracleSlashDeviationBps: number;
  oracleSlashBps: number;
  oraclePostIntervalBlocks: bigint;
  oracleUnbondingBlocks: bigint;
  distributionBatch: number;
  historyEpochs: number;
  oracleJudgeDelayBlocks: bigint;
  reversalWindowEpochs: number;
}

export const EPOCH_OPEN = 1;
export const EPOCH_DISTRIBUTING = 2;
export const EPOCH_DONE = 3;

export const PHASE_DEMAND = 1;
export const PHASE_CELLS = 2;
export const PHASE_PAY = 3;
export const PHASE_DONE = 4;

export interface SectorPool {
  sector: number;
  pool: bigint;
  demandCredits: bigint;
  demandBasis: bigint;
  sectorDemandCredits: bigint;
  sectorDemandBasis: bigint;
  demandTarget: bigint;
  demandAllotted: bigint;
  demandPaid: bigint;
  proofBucket: bigint;
  proofPaid: bigint;
  weightTotal: bigint;
  sectorDemandTarget: bigint;
  devices: bigint;
  cells: bigint;
  withheld: bigint;
  unallocated: bigint;
}

export interface EpochSummary {
  epoch: bigint;
  startHeight: bigint;
  endHeight: bigint;
  status: number;
  scheduled: bigint;
  smoothedBurn: bigint;
  reemission: bigint;
  reemissionCap: bigint;
  breakerClipped: bigint;
  minted: bigint;
  creditsBurnedUdpin: bigint;
  creditsMinted: bigint;
  creditsSpent: bigint;
  settlePrice: bigint;
  validators: bigint;
  oracles: bigint;
  verifiers: bigint;
  treasury: bigint;
  sectors: SectorPool[];
  paid: bigint;
  unallocated: bigint;
  withheld: bigint;
  shareDust: bigint;
  clawedBack: bigint;
  subsidyToRevenuePpm: bigint;
  revenueZero: boolean;
  proofsValid: bigint;
  proofsInvalid: bigint;
  phase: number;
  cursor: Uint8Array;
  finishedHeight: bigint;
  distributedSoFar: bigint;
  oraclePosts: bigint;
}

export interface ReasonCount { reason: number; count: bigint }

export interface DeviceEpoch {
  epoch: bigint;
  deviceId: bigint;
  owner: string;
  sector: number;
  cell: bigint;
  densityCell: bigint;
  proofsValid: bigint;
  proofsInvalid: bigint;
  reasons: ReasonCount[];
  units: bigint;
  weightedUnits: bigint;
  trustPpm: bigint;
  seniorityPpm: bigint;
  densityPpm: bigint;
  cellDevices: bigint;
  counted: boolean;
  reversedUnits: bigint;
  reversedWeighted: bigint;
  demandCredits: bigint;
  demandBasis: bigint;
  demandValue: bigint;
  demandTarget: bigint;
  demandReward: bigint;
  sectorDemandReward: bigint;
  proofReward: bigint;
  withheld: bigint;
  withheldReason: string;
  earned: bigint;
  paid: boolean;
  firstHeight: bigint;
  proofsReversed: bigint;
  debtCollected: bigint;
}

export interface CellAggregate {
  epoch: bigint;
  sector: number;
  cell: bigint;
  devices: bigint;
  weightedUnits: bigint;
  densityPpm: bigint;
  weight: bigint;
}

export interface Ledger {
  deviceId: bigint;
  owner: string;
  earned: bigint;
  claimed: bigint;
  clawedBack: bigint;
  /** The last epoch whose payout credited this ledger: the epoch of its anchor record. */
  lastCreditedEpoch: bigint;
}

export interface DeviceState {
  deviceId: bigint;
  lastActiveEpoch: bigint;
  activeSince: bigint;
  withholdUntilEpoch: bigint;
  debt: bigint;
  reversals: bigint;
}

export const ORACLE_ACTIVE = 1;
export const ORACLE_UNBONDING = 2;

export interface Oracle {
  address: string;
  bond: bigint;
  status: number;
  unbondHeight: bigint;
  registeredHeight: bigint;
  posts: bigint;
  outliers: bigint;
  slashed: bigint;
  lastPostHeight: bigint;
}

export interface PricePost {
  oracle: string;
  price: bigint;
  observedAt: bigint;
  height: bigint;
}

export interface PriceAggregate {
  ok: boolean;
  error: string;
  median: bigint;
  low: bigint;
  high: bigint;
  spread: bigint;
  fresh: number;
  used: number;
  outliers: string[];
  stale: string[];
  freshBond: bigint;
  activeBond: bigint;
}

export interface CreditAccount {
  address: string;
  balance: bigint;
  basis: bigint;
}

export interface EpochSegment { firstEpoch: bigint; startHeight: bigint; blocks: bigint }

export interface ModuleState {
  currentEpoch: bigint;
  epochStartHeight: bigint;
  segments: EpochSegment[];
  scheduleAnchorEpoch: bigint;
  schedulePeriod: bigint;
  scheduleValue: bigint;
  breakerValue: bigint;
  breakerEpoch: bigint;
  totalMinted: bigint;
  totalPaid: bigint;
  totalUnallocated: bigint;
  totalEarned: bigint;
  totalClaimed: bigint;
  totalClawedBack: bigint;
  creditsSupply: bigint;
  creditsMinted: bigint;
  creditsSpent: bigint;
  creditsBurnedUdpin: bigint;
  nextDistribution: bigint;
  totalDebt: bigint;
  oracleBonds: bigint;
  totalSlashed: bigint;
  lastPrice: bigint;
}

export interface PendingJudgment { judgeHeight: bigint; oracle: string; price: bigint; postHeight: bigint }
export interface SpentEvent { buyer: string; eventId: Uint8Array; epoch: bigint }
export interface OracleEpochPosts { epoch: bigint; oracle: string; posts: bigint }

export const R = {
  Params: record<Params>('Params'),
  SectorPool: record<SectorPool>('SectorPool'),
  EpochSummary: record<EpochSummary>('EpochSummary'),
  DeviceEpoch: record<DeviceEpoch>('DeviceEpoch'),
  CellAggregate: record<CellAggregate>('CellAggregate'),
  Ledger: record<Ledger>('Ledger'),
  DeviceState: record<DeviceState>('DeviceState'),
  Oracle: record<Oracle>('Oracle'),
  PricePost: record<PricePost>('PricePost'),
  PriceAggregate: record<PriceAggregate>('PriceAggregate'),
  CreditAccount: record<CreditAccount>('CreditAccount'),
  ModuleState: record<ModuleState>('ModuleState'),
  PendingJudgment: record<PendingJudgment>('PendingJudgment'),
  SpentEvent: record<SpentEvent>('SpentEvent'),
  OracleEpochPosts: record<OracleEpochPosts>('OracleEpochPosts'),
  GenesisState: record<Obj>('GenesisState'),
};

/** An all-zero record of a type (every field at its default, typed). */
export function empty<T>(c: RecordCodec<T>): T {
  return toTyped(c.type, {}) as T;
}

// ------------------------------------------------------------------ messages and queries

export interface MsgClaim { owner: string; deviceIds: bigint[] }
export interface MsgMintCredits { buyer: string; amount: bigint; maxPrice: bigint; minPrice: bigint }
export interface MsgSpendCredits { buyer: string; deviceId: bigint; sector: number; amount: bigint; eventId: Uint8Array }
export interface MsgRegisterOracle { oracle: string; bond: bigint }
export interface MsgUnbondOracle { oracle: string }
export interface MsgPostPrice { oracle: string; price: bigint; observedAt: bigint }
export interface MsgUpdateParams { authority: string; params: Params | null }

export const Msgs = {
  Claim: record<MsgClaim>('MsgClaim'),
  MintCredits: record<MsgMintCredits>('MsgMintCredits'),
  SpendCredits: record<MsgSpendCredits>('MsgSpendCredits'),
  RegisterOracle: record<MsgRegisterOracle>('MsgRegisterOracle'),
  UnbondOracle: record<MsgUnbondOracle>('MsgUnbondOracle'),
  PostPrice: record<MsgPostPrice>('MsgPostPrice'),
  UpdateParams: record<MsgUpdateParams>('MsgUpdateParams'),
} as const;
export type MsgName = keyof typeof Msgs;
export const msgResponse = (name: MsgName) => record<Obj>(`Msg${name}Response`);

export const Q = {
  Params: [record<Obj>('QueryParamsRequest'), record<Obj>('QueryParamsResponse')],
  Epoch: [record<Obj>('QueryEpochRequest'), record<Obj>('QueryEpochResponse')],
  Epochs: [record<Obj>('QueryEpochsRequest'), record<Obj>('QueryEpochsResponse')],
  DeviceEpoch: [record<Obj>('QueryDeviceEpochRequest'), record<Obj>('QueryDeviceEpochResponse')],
  DeviceEpochs: [record<Obj>('QueryDeviceEpochsRequest'), record<Obj>('QueryDeviceEpochsResponse')],
  DeviceRewards: [record<Obj>('QueryDeviceRewardsRequest'), record<Obj>('QueryDeviceRewardsResponse')],
  Claimable: [record<Obj>('QueryClaimableRequest'), record<Obj>('QueryClaimableResponse')],
  Prices: [record<Obj>('QueryPricesRequest'), record<Obj>('QueryPricesResponse')],
  Oracles: [record<Obj>('QueryOraclesRequest'), record<Obj>('QueryOraclesResponse')],
  Credits: [record<Obj>('QueryCreditsRequest'), record<Obj>('QueryCreditsResponse')],
  Totals: [record<Obj>('QueryTotalsRequest'), record<Obj>('QueryTotalsResponse')],
  Schedule: [record<Obj>('QueryScheduleRequest'), record<Obj>('QueryScheduleResponse')],
} as const;
export type QueryName = keyof typeof Q;
export const queryPath = (name: QueryName) => `/depin.rewards.v1.Query/${name}`;

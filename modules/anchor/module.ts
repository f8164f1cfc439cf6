// The anchor module: checkpoints of the chain's state root for the Ethereum contract DepinAnchor,
// MsgConfirmCheckpoint / MsgAckCheckpoint, queries and genesis. See README.md.
import type { AppModule, MsgDef, QueryDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { fromBech32 } from '../../chain/crypto/address.ts';
import { u64 } from '../../chain/codec/proto.ts';
import { ErrInvalidAddress, ErrInvalidRequest, ErrNotFound } from '../../chain/errors.ts';
import { paginate } from '../../chain/pagination.ts';
import { isLowS } from '../../chain/crypto/secp256k1.ts';
import { AnchorKeeper, anchoringEnabled, hex } from './keeper.ts';
import { anchorSet } from './validator-source.ts';
import { ErrInvalidGenesis } from './errors.ts';
import {
  STATUS, Q, queryPath, MsgConfirmCheckpoint, MsgConfirmCheckpointResponse, MsgAckCheckpoint, MsgAckCheckpointResponse,
  recordToMsg, paramsToMsg, setToMsg, ethRefToMsg, decodeRecord,
  type QueryName, type CheckpointRecord, type CheckpointInfoMsg, type MsgConfirmCheckpointMsg, type MsgAckCheckpointMsg, type AnchorParams,
  type AnchorMember, type CheckpointStatus,
} from './types.ts';

const U64_MAX = (1n << 64n) - 1n;

function checkSender(addr: string): void {
  try {
    fromBech32(addr);
  } catch (err) {
    throw ErrInvalidAddress.wrap(`invalid sender: ${(err as Error).message}`);
  }
}

function checkNumber(n: unknown): bigint {
  const v = u64(n as never);
  if (v < 1n) throw ErrInvalidRequest.wrap('checkpoint number must be >= 1');
  return v;
}

function checkLen(b: Uint8Array | undefined | null, len: number, what: string): Uint8Array {
  if (!b || b.length !== len) throw ErrInvalidRequest.wrap(`${what} must be ${len} bytes, got ${b?.length ?? 0}`);
  return b;
}

// ------------------------------------------------------------------ genesis (JSON)

interface ValidatorJson { pub_key: string; power: string }
interface EthRefJson { tx_hash: string; block_number: string; log_index: string }
interface CheckpointJson {
  number: string; height: string; state_root: string; validator_set_hash: string; next_validator_set_hash: string; status: string;
  created_height: string; signed_height: string; signed_power: string; total_power: string; rotations: string; submitter_deadline: string;
  eth?: EthRefJson; acknowledged_height: string;
  confirmations: { validator_address: string; signature: string }[];
  ack_votes: { validator_address: string; round: string; signature: string; eth: EthRefJson }[];
}
export interface AnchorGenesis {
  params: { checkpoint_interval: string; eth_chain_id: string; contract: string; ack_timeout: string };
  /** The contract's initial set (what `depind anchor deploy` deploys with): consensus keys and powers, as genesis.json `validators`. */
  validators: ValidatorJson[];
  /** Export only (absent in a new chain's genesis): the module's full state. */
  last_number?: string;
  last_acknowledged?: string;
  anchored_set_hash?: string;
  validator_sets?: { hash: string; validators: ValidatorJson[] }[];
  checkpoints?: CheckpointJson[];
}

const STATUS_JSON: Record<string, CheckpointStatus> = { pending: STATUS.PENDING, signed: STATUS.SIGNED, submitted: STATUS.SUBMITTED, acknowledged: STATUS.ACKNOWLEDGED };
const statusName = (s: CheckpointStatus) => Object.entries(STATUS_JSON).find(([, v]) => v === s)![0];

const h0x = (b: Uint8Array) => (b.length ? `0x${hex(b)}` : '');
function fromHex(s: string | undefined, len: number | undefined, what: string): Uint8Array {
  const t = (s ?? '').replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(t)) throw ErrInvalidGenesis.wrap(`${what}: not hex`);
  const b = Uint8Array.from(Buffer.from(t, 'hex'));
  if (len !== undefined && b.length !== len) throw ErrInvalidGenesis.wrap(`${what}: must be ${len} bytes`);
  return b;
}
function num(s: string | undefined, what: string): bigint {
  if (s === undefined || s === '') return 0n;
  if (!/^\d+$/.test(String(s))) throw ErrInvalidGenesis.wrap(`${what}: not an unsigned integer`);
  const v = BigInt(s);
  if (v > U64_MAX) throw ErrInvalidGenesis.wrap(`${what}: exceeds uint64`);
  return v;
}
const validatorJson = (m: { consensusPubkey: Uint8Array; power: bigint }): ValidatorJson => ({ pub_key: Buffer.from(m.consensusPubkey).toString('base64'), power: m.power.toString() });
const ethJson = (e: { txHash: Uint8Array; blockNumber: bigint; logIndex: bigint }): EthRefJson => ({ tx_hash: h0x(e.txHash), block_number: e.blockNumber.toString(), log_index: e.logIndex.toString() });
const ethFromJson = (e: EthRefJson, what: string) => ({ txHash: fromHex(e.tx_hash, 32, `${what} tx_hash`), blockNumber: num(e.block_number, `${what} block_number`), logIndex: num(e.log_index, `${what} log_index`) });

export function paramsToJson(p: AnchorParams): AnchorGenesis['params'] {
  return { checkpoint_interval: p.checkpointInterval.toString(), eth_chain_id: p.ethChainId.toString(), contract: p.contract.length ? `0x${hex(p.contract)}` : '', ack_timeout: p.ackTimeout.toString() };
}

export function paramsFromJson(j: Partial<AnchorGenesis['params']> | undefined): AnchorParams {
  const p: AnchorParams = {
    checkpointInterval: num(j?.checkpoint_interval, 'params.checkpoint_interval'),
    ethChainId: num(j?.eth_chain_id, 'params.eth_chain_id'),
    contract: j?.contract ? fromHex(j.contract, 20, 'params.contract') : new Uint8Array(),
    ackTimeout: num(j?.ack_timeout, 'params.ack_timeout'),
  };
  if (p.checkpointInterval > 0n) {
    if (!anchoringEnabled(p)) throw ErrInvalidGenesis.wrap('params: checkpoint_interval > 0 needs eth_chain_id and a 20-byte contract');
    if (p.ackTimeout < 1n) throw ErrInvalidGenesis.wrap('params: ack_timeout must be at least 1 block');
  }
  return p;
}

const validatorsFromJson = (list: ValidatorJson[] | undefined, what: string) =>
  (list ?? []).map((v, i) => ({ consensusPubkey: Uint8Array.from(Buffer.from(v.pub_key ?? '', 'base64')), power: num(v.power, `${what}[${i}].power`) }));

function canonical(list: ReturnType<typeof validatorsFromJson>, what: string): AnchorMember[] {
  try {
    return anchorSet(list);
  } catch (err) {
    throw ErrInvalidGenesis.wrap(`${what}: ${(err as Error).message}`);
  }
}

// ------------------------------------------------------------------ the module

export function anchorModule(keeper: AnchorKeeper): AppModule {
  const confirm: MsgDef<MsgConfirmCheckpointMsg> = {
    typeUrl: MsgConfirmCheckpoint.typeUrl,
    codec: MsgConfirmCheckpoint,
    responseTypeUrl: MsgConfirmCheckpointResponse.typeUrl,
    signers: (m) => [m.sender],
    validateBasic(m) {
      checkSender(m.sender);
      checkNumber(m.number);
      checkLen(m.validatorAddress, 20, 'validator_address');
      checkLen(m.signature, 65, 'signature');
    },
    handle(ctx, m) {
      const signed = keeper.confirm(ctx, checkNumber(m.number), checkLen(m.validatorAddress, 20, 'validator_address'), checkLen(m.signature, 65, 'signature'));
      return MsgConfirmCheckpointResponse.encode({ signed: signed || undefined });
    },
  };

  const ack: MsgDef<MsgAckCheckpointMsg> = {
    typeUrl: MsgAckCheckpoint.typeUrl,
    codec: MsgAckCheckpoint,
    responseTypeUrl: MsgAckCheckpointResponse.typeUrl,
    signers: (m) => [m.sender],
    validateBasic(m) {
      checkSender(m.sender);
      checkNumber(m.number);
      checkLen(m.validatorAddress, 20, 'validator_address');
      checkLen(m.ethTxHash, 32, 'eth_tx_hash');
      const sig = checkLen(m.signature, 64, 'signature');
      if (!isLowS(sig)) throw ErrInvalidRequest.wrap('signature must be low-S');
    },
    handle(ctx, m) {
      const eth = { txHash: checkLen(m.ethTxHash, 32, 'eth_tx_hash'), blockNumber: u64(m.ethBlockNumber), logIndex: u64(m.logIndex) };
      const done = keeper.ack(ctx, checkNumber(m.number), checkLen(m.validatorAddress, 20, 'validator_address'), eth, checkLen(m.signature, 64, 'signature'));
      return MsgAckCheckpointResponse.encode({ acknowledged: done || undefined });
    },
  };

  /** The query view of a checkpoint. Its ack votes are looked up for the current validator set,
   * which staking reads with a range scan: at a past height on a large state that scan can exceed
   * the store's tree-walk bound, and the view then lists no ack votes (the record itself is a
   * point read and always answers). */
  const info = (ctx: Context, r: CheckpointRecord): CheckpointInfoMsg => {
    const set = keeper.validatorSet(ctx, r.validatorSetHash) ?? [];
    const inFlight = r.status === STATUS.SIGNED || r.status === STATUS.SUBMITTED;
    const ackVotes: CheckpointInfoMsg['ackVotes'] = [];
    if (inFlight) {
      let voters: AnchorMember[] = [];
      try {
        voters = keeper.currentSet(ctx);
      } catch {
        voters = [];
      }
      for (const v of voters) {
        const vote = keeper.ackVote(ctx, r.number, v.consensusAddress);
        if (vote) ackVotes.push({ validatorAddress: v.consensusAddress, eth: ethRefToMsg(vote.eth), round: vote.round.toString() });
      }
    }
    return {
      checkpoint: recordToMsg(r),
      validators: set.map((m) => ({ consensusAddress: m.consensusAddress, ethAddress: m.ethAddress, power: m.power.toString(), signature: keeper.confirmation(ctx, r.number, m.consensusAddress) ?? new Uint8Array() })),
      submitter: inFlight ? keeper.submitter(ctx, r)?.consensusAddress : undefined,
      ackVotes,
      digest: keeper.digest(ctx, r),
    };
  };

  const q = <N extends QueryName>(name: N, handle: (ctx: Context, req: any) => Uint8Array): QueryDef => ({ path: queryPath(name), request: Q[name][0], handle });
  const queries: QueryDef[] = [
    q('Params', (ctx) => Q.Params[1].encode({ params: paramsToMsg(keeper.params(ctx)) })),
    q('Checkpoint', (ctx, req: { number: unknown }) => {
      const n = checkNumber(req.number);
      const r = keeper.checkpoint(ctx, n);
      if (!r) throw ErrNotFound.wrap(`checkpoint ${n}`);
      return Q.Checkpoint[1].encode({ checkpoint: info(ctx, r) });
    }),
    q('Checkpoints', (ctx, req: { pagination?: { reverse?: boolean | null } | null }) => {
      // Newest first unless the client asks for reverse (oldest first).
      const pagination = { ...(req.pagination ?? {}), reverse: !req.pagination?.reverse };
      const prefix = Uint8Array.of(...new TextEncoder().encode('anchor/'), 0x01);
      const { items, page } = paginate(ctx.store, prefix, pagination, (_k, v) => info(ctx, decodeRecord(v)));
      return Q.Checkpoints[1].encode({ checkpoints: items, pagination: page });
    }),
    q('LatestCheckpoint', (ctx, req: { acknowledged?: boolean }) => {
      const r = keeper.latest(ctx, !!req.acknowledged);
      if (!r) throw ErrNotFound.wrap(req.acknowledged ? 'no acknowledged checkpoint yet' : 'no checkpoint yet');
      return Q.LatestCheckpoint[1].encode({ checkpoint: info(ctx, r) });
    }),
    q('AnchoredValidatorSet', (ctx) => {
      const hash = keeper.state(ctx).anchoredSetHash;
      const set = hash.length ? keeper.validatorSet(ctx, hash) : undefined;
      if (!set) throw ErrNotFound.wrap('no anchored validator set');
      return Q.AnchoredValidatorSet[1].encode({ hash, validatorSet: setToMsg(set) });
    }),
  ];

  return {
    name: 'anchor',
    msgs: [confirm, ack],
    queries,
    defaultGenesis: (): AnchorGenesis => ({ params: paramsToJson({ checkpointInterval: 0n, ethChainId: 0n, contract: new Uint8Array(), ackTimeout: 0n }), validators: [] }),
    initGenesis(ctx, raw) {
      const g = (raw ?? {}) as AnchorGenesis;
      const params = paramsFromJson(g.params);
      keeper.setParams(ctx, params);
      const genesisSet = canonical(validatorsFromJson(g.validators, 'validators'), 'validators');
      // Kept for export (and checked below against the bonded set on a new chain).
      if (genesisSet.length) keeper.setGenesisValidators(ctx, genesisSet);
      if (g.checkpoints === undefined && g.validator_sets === undefined) {
        // A new chain: the contract is deployed with the current set, so that set signs checkpoint 1.
        let current: AnchorMember[] = [];
        try {
          current = keeper.currentSet(ctx);
        } catch (err) {
          if (anchoringEnabled(params)) throw ErrInvalidGenesis.wrap(`validator set cannot be anchored: ${(err as Error).message}`);
        }
        const hash = current.length ? keeper.putValidatorSet(ctx, current) : new Uint8Array();
        if (anchoringEnabled(params) && !hash.length) throw ErrInvalidGenesis.wrap('anchoring is enabled but there are no validators (anchor.validators)');
        // `depind anchor deploy` initialises the contract with anchor.validators, while checkpoint 1
        // is signed by the bonded set: if they differ the contract refuses every checkpoint.
        if (anchoringEnabled(params) && genesisSet.length && Buffer.compare(AnchorKeeper.setHash(genesisSet), hash) !== 0) {
          throw ErrInvalidGenesis.wrap('anchor.validators differ from the bonded validator set (staking): the contract deployed with them would refuse checkpoint 1');
        }
        keeper.setState(ctx, { lastNumber: 0n, lastAcknowledged: 0n, anchoredSetHash: hash });
        return;
      }
      importState(ctx, keeper, g);
    },
    exportGenesis(ctx): AnchorGenesis {
      const s = keeper.state(ctx);
      const checkpoints: CheckpointJson[] = [];
      for (let n = 1n; n <= s.lastNumber; n++) {
        const r = keeper.checkpoint(ctx, n)!;
        checkpoints.push({
          number: r.number.toString(), height: r.height.toString(), state_root: h0x(r.stateRoot), validator_set_hash: h0x(r.validatorSetHash),
          next_validator_set_hash: h0x(r.nextValidatorSetHash), status: statusName(r.status), created_height: r.createdHeight.toString(),
          signed_height: r.signedHeight.toString(), signed_power: r.signedPower.toString(), total_power: r.totalPower.toString(),
          rotations: r.rotations.toString(), submitter_deadline: r.submitterDeadline.toString(), ...(r.eth ? { eth: ethJson(r.eth) } : {}),
          acknowledged_height: r.acknowledgedHeight.toString(),
          confirmations: keeper.allConfirmations(ctx, n).map((c) => ({ validator_address: hex(c.validator).toUpperCase(), signature: h0x(c.signature) })),
          ack_votes: keeper.ackVotes(ctx, n).map((v) => ({ validator_address: hex(v.validator).toUpperCase(), round: v.vote.round.toString(), signature: h0x(v.vote.signature), eth: ethJson(v.vote.eth) })),
        });
      }
      return {
        params: paramsToJson(keeper.params(ctx)),
        validators: keeper.genesisValidators(ctx).map(validatorJson),
        last_number: s.lastNumber.toString(),
        last_acknowledged: s.lastAcknowledged.toString(),
        anchored_set_hash: h0x(s.anchoredSetHash),
        validator_sets: keeper.allValidatorSets(ctx).map(({ hash, set }) => ({ hash: h0x(hash), validators: set.map(validatorJson) })),
        checkpoints,
      };
    },
    beginBlock: (ctx) => keeper.beginBlock(ctx),
  };
}

/** Restores an exported state exactly (same keys, same bytes), checking it is self-consistent. */
function importState(ctx: Context, keeper: AnchorKeeper, g: AnchorGenesis): void {
  for (const [i, vs] of (g.validator_sets ?? []).entries()) {
    const set = canonical(validatorsFromJson(vs.validators, `validator_sets[${i}]`), `validator_sets[${i}]`);
    const hash = keeper.putValidatorSet(ctx, set);
    if (h0x(hash) !== vs.hash.toLowerCase()) throw ErrInvalidGenesis.wrap(`validator_sets[${i}]: hash ${vs.hash} does not match its validators (${h0x(hash)})`);
  }
  const known = (hash: Uint8Array, what: string) => {
    if (!keeper.validatorSet(ctx, hash)) throw ErrInvalidGenesis.wrap(`${what}: unknown validator set ${h0x(hash)}`);
    return hash;
  };
  const lastNumber = num(g.last_number, 'last_number');
  const lastAcknowledged = num(g.last_acknowledged, 'last_acknowledged');
  const anchored = known(fromHex(g.anchored_set_hash, 32, 'anchored_set_hash'), 'anchored_set_hash');
  const list = g.checkpoints ?? [];
  if (BigInt(list.length) !== lastNumber) throw ErrInvalidGenesis.wrap(`last_number ${lastNumber} but ${list.length} checkpoints`);
  if (lastAcknowledged > lastNumber) throw ErrInvalidGenesis.wrap('last_acknowledged > last_number');
  list.forEach((c, i) => {
    const what = `checkpoints[${i}]`;
    const status = STATUS_JSON[c.status];
    if (!status) throw ErrInvalidGenesis.wrap(`${what}: unknown status ${c.status}`);
    const r: CheckpointRecord = {
      number: num(c.number, `${what}.number`), height: num(c.height, `${what}.height`), stateRoot: fromHex(c.state_root, 32, `${what}.state_root`),
      validatorSetHash: known(fromHex(c.validator_set_hash, 32, `${what}.validator_set_hash`), what),
      nextValidatorSetHash: known(fromHex(c.next_validator_set_hash, 32, `${what}.next_validator_set_hash`), what),
      status, createdHeight: num(c.created_height, `${what}.created_height`), signedHeight: num(c.signed_height, `${what}.signed_height`),
      signedPower: num(c.signed_power, `${what}.signed_power`), totalPower: num(c.total_power, `${what}.total_power`),
      rotations: num(c.rotations, `${what}.rotations`), submitterDeadline: num(c.submitter_deadline, `${what}.submitter_deadline`),
      eth: c.eth ? ethFromJson(c.eth, `${what}.eth`) : undefined, acknowledgedHeight: num(c.acknowledged_height, `${what}.acknowledged_height`),
    };
    if (r.number !== BigInt(i + 1)) throw ErrInvalidGenesis.wrap(`${what}: numbers must be 1, 2, 3, ...`);
    if ((r.status === STATUS.ACKNOWLEDGED) !== (r.number <= lastAcknowledged)) throw ErrInvalidGenesis.wrap(`${what}: status ${c.status} disagrees with last_acknowledged ${lastAcknowledged}`);
    keeper.setCheckpoint(ctx, r);
    for (const conf of c.confirmations ?? []) keeper.setConfirmation(ctx, r.number, fromHex(conf.validator_address, 20, `${what} confirmation`), fromHex(conf.signature, 65, `${what} confirmation`));
    for (const v of c.ack_votes ?? []) {
      keeper.setAckVote(ctx, r.number, fromHex(v.validator_address, 20, `${what} ack vote`), { eth: ethFromJson(v.eth, `${what} ack vote`), round: num(v.round, `${what} ack vote round`), signature: fromHex(v.signature, 64, `${what} ack vote`) });
    }
  });
  keeper.setState(ctx, { lastNumber, lastAcknowledged, anchoredSetHash: anchored });
}

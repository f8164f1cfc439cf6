// The rewards module: messages (claim, data credits, oracles, params), queries (params, epoch
// summaries, per-device breakdowns, claimable, prices, credits, totals, schedule), genesis
// import/export of the whole state, and the end block (oracle judgments, epoch close, chunked
// distribution, pruning). Must run after the proofs module in end block order.
import type { AppModule, MsgDef, QueryDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { fromBech32, toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';
import { ErrInvalidAddress, ErrNotFound } from '../../chain/errors.ts';
import { event } from '../../chain/events.ts';
import { paginate, type PageRequest } from '../../chain/pagination.ts';
import { moduleAddress } from '../auth/keeper.ts';
import { RewardsKeeper, MODULE_NAME, ORACLE_BONDS, TREASURY, DENOM, ONE, claimableOf, newSummary } from './keeper.ts';
import { rewardsEndBlock } from './distribution.ts';
import { STORE_PREFIX, K, keys } from './keys.ts';
import { concat, readU64, u64be } from '../../chain/codec/bytes.ts';
import { DEFAULT_PARAMS, validateParams } from './params.ts';
import { advance, decayStep, periodOf, scheduleAtPeriod } from './math.ts';
import { ErrInvalidField, ErrNotAuthority } from './errors.ts';
import {
  R, Msgs, msgResponse, Q, queryPath, empty, EPOCH_DISTRIBUTING, ORACLE_UNBONDING,
  type MsgName, type QueryName, type Params, type Ledger, type DeviceEpoch, type EpochSummary,
} from './types.ts';

type Obj = Record<string, any>;

function checkAddress(a: string, field: string): void {
  try {
    fromBech32(a);
  } catch (err) {
    throw ErrInvalidAddress.wrap(`invalid ${field}: ${(err as Error).message}`);
  }
}

const full = (k: Uint8Array) => concat(STORE_PREFIX, k);

export interface RewardsGenesis {
  params: unknown;
  state?: unknown;
  [k: string]: unknown;
}

export function defaultRewardsGenesis(params: Params = DEFAULT_PARAMS): RewardsGenesis {
  return { params: R.Params.toJson(params) };
}

const ledgerView = (l: Ledger) => ({ deviceId: l.deviceId, owner: l.owner, earned: l.earned, claimed: l.claimed, clawedBack: l.clawedBack, claimable: claimableOf(l), lastCreditedEpoch: l.lastCreditedEpoch });

export function rewardsModule(keeper: RewardsKeeper): AppModule {
  const def = <M>(name: MsgName, signer: (m: M) => string, validateBasic: (m: M) => void, handle: (ctx: Context, m: M) => object): MsgDef<M> => {
    const codec = Msgs[name] as unknown as MsgDef<M>['codec'];
    const resp = msgResponse(name);
    return { typeUrl: codec.typeUrl, codec, responseTypeUrl: resp.typeUrl, signers: (m) => [signer(m)], validateBasic, handle: (ctx, m) => resp.encode(handle(ctx, m)) };
  };

  const msgs: MsgDef[] = [
    def<Obj>('Claim', (m) => m.owner, (m) => {
      checkAddress(m.owner, 'owner');
      const ids = m.deviceIds as bigint[];
      if (ids.length > 1000) throw ErrInvalidField.wrap('at most 1000 device ids per claim');
      if (ids.some((x) => x === 0n)) throw ErrInvalidField.wrap('device id 0');
      if (new Set(ids.map(String)).size !== ids.length) throw ErrInvalidField.wrap('duplicate device id');
    }, (ctx, m) => keeper.claim(ctx, m.owner, m.deviceIds)),
    def<Obj>('MintCredits', (m) => m.buyer, (m) => {
      checkAddress(m.buyer, 'buyer');
      if (m.amount <= 0n) throw ErrInvalidField.wrap('amount must be positive');
    }, (ctx, m) => keeper.mintCredits(ctx, m.buyer, m.amount, m.maxPrice, m.minPrice)),
    def<Obj>('SpendCredits', (m) => m.buyer, (m) => {
      checkAddress(m.buyer, 'buyer');
      if ((m.deviceId === 0n) === (m.sector === 0)) throw ErrInvalidField.wrap('exactly one of device_id and sector');
      if (m.sector !== 0 && (m.sector < 1 || m.sector > 4)) throw ErrInvalidField.wrap(`unknown sector ${m.sector}`);
      if (m.amount <= 0n) throw ErrInvalidField.wrap('amount must be positive');
      if (m.eventId.length < 1 || m.eventId.length > 64) throw ErrInvalidField.wrap('event_id must be 1-64 bytes');
    }, (ctx, m) => keeper.spendCredits(ctx, m.buyer, m.deviceId !== 0n ? { deviceId: m.deviceId } : { sector: m.sector }, m.amount, m.eventId)),
    def<Obj>('RegisterOracle', (m) => m.oracle, (m) => {
      checkAddress(m.oracle, 'oracle');
      if (m.bond <= 0n) throw ErrInvalidField.wrap('bond must be positive');
    }, (ctx, m) => ({ bond: keeper.registerOracle(ctx, m.oracle, m.bond).bond })),
    def<Obj>('UnbondOracle', (m) => m.oracle, (m) => checkAddress(m.oracle, 'oracle'), (ctx, m) => ({ releaseHeight: keeper.unbondOracle(ctx, m.oracle) })),
    def<Obj>('PostPrice', (m) => m.oracle, (m) => {
      checkAddress(m.oracle, 'oracle');
      if (m.price <= 0n) throw ErrInvalidField.wrap('price must be positive');
      if (m.observedAt <= 0n) throw ErrInvalidField.wrap('observed_at is required');
    }, (ctx, m) => (keeper.postPrice(ctx, m.oracle, m.price, m.observedAt), {})),
    def<Obj>('UpdateParams', (m) => m.authority, (m) => {
      checkAddress(m.authority, 'authority');
      if (!m.params) throw ErrInvalidField.wrap('params are required');
      validateParams(m.params);
    }, (ctx, m) => {
      const old = keeper.params(ctx);
      if (!old.authority || old.authority !== m.authority) throw ErrNotAuthority.wrap(`expected ${old.authority || '(no authority configured)'}, got ${m.authority}`);
      const p = m.params as Params;
      keeper.setParams(ctx, p);
      // A new schedule starts from the current epoch (so the published schedule stays a function of params).
      if (p.initialEpochEmission !== old.initialEpochEmission || p.decayBps !== old.decayBps || p.decayIntervalEpochs !== old.decayIntervalEpochs || p.tailEpochEmission !== old.tailEpochEmission) {
        const st = keeper.state(ctx);
        st.scheduleAnchorEpoch = st.currentEpoch;
        st.schedulePeriod = 0n;
        st.scheduleValue = p.initialEpochEmission;
        keeper.setState(ctx, st);
      }
      ctx.events.emit(event('rewards_params_updated', { authority: m.authority }));
      return {};
    }),
  ];

  // ---------------------------------------------------------------- queries

  const q = (name: QueryName, handle: (ctx: Context, req: Obj) => object): QueryDef => {
    const [req, res] = Q[name];
    return { path: queryPath(name), request: req as QueryDef['request'], handle: (ctx, r) => res.encode(handle(ctx, r as Obj)) };
  };
  const recordsOf = (ctx: Context, epoch: bigint, id: bigint): DeviceEpoch[] =>
    keeper.scan(ctx, keys.deviceEpochDevice(epoch, id)).map(([, v]) => R.DeviceEpoch.decode(v));
  const ledgersOf = (ctx: Context, id: bigint) => keeper.scan(ctx, keys.ledgerPrefix(id)).map(([, v]) => ledgerView(R.Ledger.decode(v)));
  const deviceId = (v: bigint) => {
    if (!v) throw ErrInvalidField.wrap('device_id is required');
    return v;
  };

  const queries: QueryDef[] = [
    q('Params', (ctx) => ({ params: keeper.params(ctx) })),
    q('Epoch', (ctx, r) => {
      const st = keeper.state(ctx);
      const e = r.epoch || st.currentEpoch;
      const s = keeper.summary(ctx, e);
      if (!s) throw ErrNotFound.wrap(`epoch ${e} (current ${st.currentEpoch})`);
      return { summary: s, currentEpoch: st.currentEpoch };
    }),
    q('Epochs', (ctx, r) => {
      const { items, page } = paginate(ctx.store, full(Uint8Array.of(K.epoch)), r.pagination as PageRequest, (_k, v) => R.EpochSummary.decode(v));
      return { epochs: items, pagination: page };
    }),
    q('DeviceEpoch', (ctx, r) => {
      const id = deviceId(r.deviceId);
      const e = r.epoch || keeper.state(ctx).currentEpoch;
      return { records: recordsOf(ctx, e, id), claimable: ledgersOf(ctx, id), state: keeper.deviceState(ctx, id) };
    }),
    q('DeviceEpochs', (ctx, r) => {
      // the kept epochs (history_epochs back from the current one), each a prefix scan
      const id = deviceId(r.deviceId);
      const st = keeper.state(ctx);
      const keep = BigInt(keeper.params(ctx).historyEpochs);
      const epochs: bigint[] = [];
      for (let e = st.currentEpoch > keep ? st.currentEpoch - keep : 1n; e <= st.currentEpoch; e++) epochs.push(e);
      if (r.pagination?.reverse) epochs.reverse();
      const all = epochs.flatMap((e) => recordsOf(ctx, e, id));
      const offset = Number(r.pagination?.offset ?? 0n);
      const limit = Number(r.pagination?.limit || 100n);
      return { records: all.slice(offset, offset + Math.min(limit, 1000)), pagination: { nextKey: new Uint8Array(), total: r.pagination?.countTotal ? BigInt(all.length) : 0n } };
    }),
    q('DeviceRewards', (ctx, r) => {
      const id = deviceId(r.deviceId);
      return { owners: ledgersOf(ctx, id), state: keeper.deviceState(ctx, id) };
    }),
    q('Claimable', (ctx, r) => {
      checkAddress(r.owner, 'owner');
      const ledgerOf = (k: Uint8Array) => ledgerView(keeper.ledger(ctx, readU64(k, k.length - 8), r.owner));
      const { items, page } = paginate(ctx.store, full(keys.pendingPrefix(r.owner)), r.pagination as PageRequest, (k) => ledgerOf(k));
      let total = 0n;
      for (const [k] of keeper.scan(ctx, keys.pendingPrefix(r.owner), 100_000)) total += ledgerOf(k).claimable;
      return { total, devices: items, pagination: page };
    }),
    q('Prices', (ctx) => ({ aggregate: keeper.price(ctx), posts: keeper.posts(ctx), blockTime: keeper.now(ctx) })),
    q('Oracles', (ctx, r) => {
      const { items, page } = paginate(ctx.store, full(Uint8Array.of(K.oracle)), r.pagination as PageRequest, (_k, v) => R.Oracle.decode(v));
      return { oracles: items, pagination: page };
    }),
    q('Credits', (ctx, r) => {
      checkAddress(r.address, 'address');
      return { account: keeper.credits(ctx, r.address) };
    }),
    q('Totals', (ctx) => {
      const st = keeper.state(ctx);
      return { state: st, moduleBalance: keeper.bank.balance(ctx, moduleAddress(MODULE_NAME), DENOM), outstanding: st.totalEarned - st.totalClaimed - st.totalClawedBack };
    }),
    q('Schedule', (ctx, r) => {
      const p = keeper.params(ctx);
      const st = keeper.state(ctx);
      const from = r.fromEpoch || st.currentEpoch;
      const count = Math.min(r.count || 100, 1000);
      if (from < st.scheduleAnchorEpoch) throw ErrInvalidField.wrap(`the current schedule starts at epoch ${st.scheduleAnchorEpoch}`);
      let period = periodOf(p, from - st.scheduleAnchorEpoch);
      let v = period >= st.schedulePeriod ? advance(p, st.scheduleValue, period - st.schedulePeriod) : scheduleAtPeriod(p, period);
      const out: bigint[] = [];
      for (let e = from; e < from + BigInt(count); e++) {
        const pe = periodOf(p, e - st.scheduleAnchorEpoch);
        while (period < pe) {
          v = decayStep(v, p);
          period++;
        }
        out.push(v);
      }
      return { scheduled: out, fromEpoch: from };
    }),
  ];

  // ---------------------------------------------------------------- genesis

  function initGenesis(ctx: Context, raw: unknown): void {
    const g = R.GenesisState.fromJson(raw ?? defaultRewardsGenesis()) as Obj;
    const p = (g.params ?? R.Params.fromJson(defaultRewardsGenesis().params)) as Params;
    validateParams(p);
    keeper.setParams(ctx, p);
    keeper.accounts.getOrCreateModuleAccount(ctx, MODULE_NAME, ['minter', 'burner']);
    keeper.accounts.getOrCreateModuleAccount(ctx, ORACLE_BONDS, ['burner']);
    keeper.accounts.getOrCreateModuleAccount(ctx, TREASURY);
    if (!g.state) {
      const h = ctx.block.height;
      const st = { ...empty(R.ModuleState), currentEpoch: 1n, epochStartHeight: h, segments: [{ firstEpoch: 1n, startHeight: h, blocks: p.epochBlocks }], scheduleAnchorEpoch: 1n, scheduleValue: p.initialEpochEmission };
      keeper.setState(ctx, st);
      keeper.setSummary(ctx, newSummary(1n, h));
      return;
    }
    const s = keeper.store(ctx);
    keeper.setState(ctx, g.state);
    let inFlight = 0n;
    for (const x of g.epochs as EpochSummary[]) {
      keeper.setSummary(ctx, x);
      if (x.status === EPOCH_DISTRIBUTING) inFlight += x.minted - x.distributedSoFar;
    }
    for (const x of g.deviceEpochs as DeviceEpoch[]) keeper.saveRecord(ctx, x);
    for (const x of g.cells) keeper.put(ctx, keys.cell(x.epoch, x.sector, x.cell), R.CellAggregate, x);
    let outstanding = 0n;
    for (const x of g.ledgers as Ledger[]) {
      keeper.setLedger(ctx, x, 0n);
      outstanding += claimableOf(x);
    }
    for (const x of g.deviceStates) keeper.setDeviceState(ctx, x);
    let bonds = 0n;
    for (const x of g.oracles) {
      keeper.put(ctx, keys.oracle(x.address), R.Oracle, x);
      if (x.status === ORACLE_UNBONDING) s.set(keys.unbonding(x.unbondHeight, x.address), ONE);
      bonds += x.bond;
    }
    for (const x of g.posts) keeper.put(ctx, keys.post(x.oracle), R.PricePost, x);
    for (const x of g.credits) keeper.put(ctx, keys.credits(x.address), R.CreditAccount, x);
    for (const x of g.events) {
      s.set(keys.event(x.buyer, x.eventId), u64be(x.epoch));
      s.set(keys.eventExpiry(x.epoch, x.buyer, x.eventId), ONE);
    }
    for (const x of g.oracleEpochPosts) s.set(keys.oraclePosts(x.epoch, x.oracle), u64be(x.posts));
    for (const x of g.judgments) keeper.put(ctx, keys.judgment(x.judgeHeight, x.oracle), R.PendingJudgment, x);
    for (const x of g.demandIndex) s.set(keys.demand(x.epoch, x.deviceId, x.owner), ONE);
    const held = keeper.bank.balance(ctx, moduleAddress(MODULE_NAME), DENOM);
    if (held !== outstanding + inFlight) throw new Error(`genesis: the rewards module account holds ${held}${DENOM}, ledgers owe ${outstanding} and distributions in flight ${inFlight}`);
    const escrow = keeper.bank.balance(ctx, moduleAddress(ORACLE_BONDS), DENOM);
    if (escrow !== bonds) throw new Error(`genesis: oracle bonds total ${bonds}${DENOM} but the ${ORACLE_BONDS} module account holds ${escrow}${DENOM}`);
  }

  function exportGenesis(ctx: Context): unknown {
    const all = <T>(table: number, c: { decode(b: Uint8Array): T }) => keeper.scan(ctx, Uint8Array.of(table)).map(([, v]) => c.decode(v));
    const kv = (table: number) => keeper.scan(ctx, Uint8Array.of(table));
    const addrAt = (k: Uint8Array, at: number, len?: number) => toAcc(k.subarray(at, len === undefined ? undefined : at + len));
    const g = {
      params: keeper.params(ctx),
      state: keeper.state(ctx),
      epochs: all(K.epoch, R.EpochSummary),
      deviceEpochs: all(K.deviceEpoch, R.DeviceEpoch),
      cells: all(K.cell, R.CellAggregate),
      ledgers: all(K.ledger, R.Ledger),
      deviceStates: all(K.deviceState, R.DeviceState),
      oracles: all(K.oracle, R.Oracle),
      posts: all(K.post, R.PricePost),
      credits: all(K.credits, R.CreditAccount),
      // 0x0d | len | buyer | event id -> u64 epoch
      events: kv(K.event).map(([k, v]) => ({ buyer: addrAt(k, 2, k[1]!), eventId: k.subarray(2 + k[1]!), epoch: readU64(v) })),
      // 0x10 | u64 epoch | oracle -> u64 posts
      oracleEpochPosts: kv(K.oraclePosts).map(([k, v]) => ({ epoch: readU64(k, 1), oracle: addrAt(k, 9), posts: readU64(v) })),
      judgments: all(K.judgment, R.PendingJudgment),
      // 0x0f | u64 epoch | u64 device | owner
      demandIndex: kv(K.demand).map(([k]) => ({ epoch: readU64(k, 1), deviceId: readU64(k, 9), owner: addrAt(k, 17) })),
    };
    return R.GenesisState.toJson(g);
  }

  return {
    name: MODULE_NAME,
    msgs,
    queries,
    defaultGenesis: () => defaultRewardsGenesis(),
    initGenesis,
    exportGenesis,
    endBlock: (ctx) => rewardsEndBlock(keeper, ctx),
  };
}

const toAcc = (b: Uint8Array) => toBech32(ACCOUNT_PREFIX, b);

// Property test: random sequences of staking actions (create validator, delegate, undelegate,
// time passing, double signing, validators going offline, unjail), one block each, with the
// supply, pool and validator-set invariants checked against committed state after every block;
// and every final state exported to genesis and imported into a fresh app gives the same app hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromBech32, VALOPER_PREFIX } from '../../chain/crypto/address.ts';
import { parseDec } from '../../chain/dec.ts';
import type { Event } from '../../chain/events.ts';
import type { Misbehavior, Timestamp, VoteInfo } from '../../chain/context.ts';
import { moduleAddress } from '../../modules/auth/keeper.ts';
import { BONDED_POOL, NOT_BONDED_POOL } from '../../modules/staking/keeper.ts';
import { consensusPower } from '../../modules/staking/validator.ts';
import type { StakingGenesis } from '../../modules/staking/genesis.ts';
import type { BankGenesis } from '../../modules/bank/module.ts';
import {
  TestChain, addr, valoper, consKey, createValidatorMsg, delegateMsg, undelegateMsg, unjailMsg, applyUpdates, b64, DPIN,
} from '../helpers/chain.ts';

type Action =
  | { k: 'create'; i: number; amount: bigint }
  | { k: 'delegate'; from: number; to: number; amount: bigint }
  | { k: 'undelegate'; pick: number; percent: bigint }
  | { k: 'time'; dt: bigint }
  | { k: 'doubleSign'; val: number; back: number }
  | { k: 'offline'; val: number }
  | { k: 'unjail'; pick: number };

const amount = fc.bigInt({ min: 1n, max: 30n * DPIN });
// (undelegation amounts are derived from existing delegations when the block is built)
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ k: fc.constant('create' as const), i: fc.integer({ min: 1, max: 5 }), amount: fc.bigInt({ min: DPIN / 2n, max: 30n * DPIN }) }),
  fc.record({ k: fc.constant('delegate' as const), from: fc.integer({ min: 1, max: 9 }), to: fc.integer({ min: 0, max: 5 }), amount }),
  // An existing delegation (chosen when the block is built), 1..120% of its value.
  fc.record({ k: fc.constant('undelegate' as const), pick: fc.nat(), percent: fc.bigInt({ min: 1n, max: 120n }) }),
  fc.record({ k: fc.constant('time' as const), dt: fc.bigInt({ min: 1n, max: 400n }) }),
  fc.record({ k: fc.constant('doubleSign' as const), val: fc.integer({ min: 0, max: 5 }), back: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ k: fc.constant('offline' as const), val: fc.integer({ min: 0, max: 5 }) }),
  // A jailed validator when there is one (chosen when the block is built).
  fc.record({ k: fc.constant('unjail' as const), pick: fc.nat() }),
);

const MAX_VALIDATORS = 3;

/** What the random runs exercised, so the property cannot pass vacuously. */
const seen = { created: 0, delegated: 0, undelegated: 0, refused: 0, doubleSign: 0, downtime: 0, unjailed: 0, matured: 0, removals: 0 };

function tally(r: { txResults: { code: number }[]; events: readonly Event[]; validatorUpdates: { power: bigint }[] }, a: Action): void {
  const ok = r.txResults.length > 0 && r.txResults[0]!.code === 0;
  if (r.txResults.length && !ok) seen.refused++;
  if (ok && a.k === 'create') seen.created++;
  if (ok && a.k === 'delegate') seen.delegated++;
  if (ok && a.k === 'undelegate') seen.undelegated++;
  if (ok && a.k === 'unjail') seen.unjailed++;
  for (const e of r.events) {
    if (e.type === 'slash' && e.attributes.some((x) => x.value === 'double_sign')) seen.doubleSign++;
    if (e.type === 'slash' && e.attributes.some((x) => x.value === 'missing_signature')) seen.downtime++;
    if (e.type === 'complete_unbonding') seen.matured++;
  }
  seen.removals += r.validatorUpdates.filter((u) => u.power === 0n).length;
}

interface ValidatorJson { operator_address: string; jailed: boolean; status: string; tokens: string; delegator_shares: string; consensus_pubkey: { key: string } }

function burnedIn(events: readonly Event[]): bigint {
  let n = 0n;
  for (const e of events) {
    if (e.type !== 'burn') continue;
    const a = e.attributes.find((x) => x.key === 'amount')!.value;
    n += BigInt(/^(\d+)udpin$/.exec(a)![1]!);
  }
  return n;
}

/** Every invariant, from committed state (exported genesis) and the keeper's view of the set. */
function checkInvariants(c: TestChain, expectedSet: Map<string, bigint>, expectedSupply: bigint): { bank: BankGenesis; staking: StakingGenesis } {
  const g = c.app.exportGenesis() as { bank: BankGenesis; staking: StakingGenesis };
  const balances = new Map<string, bigint>();
  for (const b of g.bank.balances) {
    for (const coin of b.coins) {
      const v = BigInt(coin.amount);
      assert.ok(v > 0n, 'stored balances are positive');
      if (coin.denom === 'udpin') balances.set(b.address, v);
    }
  }
  const supply = BigInt(g.bank.supply!.find((s) => s.denom === 'udpin')!.amount);
  let sum = 0n;
  for (const v of balances.values()) sum += v;
  assert.equal(supply, sum, 'total supply = sum of all balances (module accounts included)');
  assert.equal(supply, expectedSupply, 'supply changed only by the burns reported in events');

  const validators = g.staking.validators as unknown as ValidatorJson[];
  let bonded = 0n;
  let notBonded = 0n;
  const shares = new Map<string, bigint>();
  for (const d of g.staking.delegations) {
    const s = parseDec(d.shares);
    assert.ok(s > 0n, 'delegations have positive shares');
    shares.set(d.validator_address, (shares.get(d.validator_address) ?? 0n) + s);
  }
  for (const v of validators) {
    const tokens = BigInt(v.tokens);
    assert.ok(tokens >= 0n && parseDec(v.delegator_shares) >= 0n, 'no negative tokens or shares');
    assert.equal(shares.get(v.operator_address) ?? 0n, parseDec(v.delegator_shares), `delegation shares add up for ${v.operator_address}`);
    if (v.status === 'BOND_STATUS_BONDED') bonded += tokens;
    else notBonded += tokens;
  }
  for (const u of g.staking.unbonding_delegations) {
    for (const e of u.entries) {
      const b = BigInt(e.balance);
      assert.ok(b >= 0n && b <= BigInt(e.initial_balance), 'unbonding entries: 0 <= balance <= initial balance');
      notBonded += b;
    }
  }
  assert.equal(balances.get(moduleAddress(BONDED_POOL)) ?? 0n, bonded, 'bonded pool = tokens of bonded validators');
  assert.equal(balances.get(moduleAddress(NOT_BONDED_POOL)) ?? 0n, notBonded, 'not-bonded pool = other validators + unbonding entries');

  // The power index holds exactly the unjailed validators with power > 0, each at its power: a
  // stale entry names a validator end block cannot load (it halted the chain once).
  const ctx = c.readCtx();
  const indexed = [...c.keepers.staking.powerIndex(ctx)].map(([val, power]) => {
    const v = c.keepers.staking.validatorByBytes(ctx, val);
    assert.ok(v, `power index entry for a validator that does not exist (${Buffer.from(val).toString('hex')})`);
    assert.ok(!v.jailed && consensusPower(v.tokens) === power, `power index entry ${power} for ${v.operator} (jailed ${v.jailed}, tokens ${v.tokens})`);
    return v.operator;
  });
  assert.deepEqual(indexed.sort(), validators.filter((v) => !v.jailed && BigInt(v.tokens) / DPIN > 0n).map((v) => v.operator_address).sort(), 'power index = unjailed validators with power');

  // The set consensus was told about (updates applied) is the keeper's set, and it is exactly
  // the top MAX_VALIDATORS unjailed validators by power (ties: lower operator address first).
  const keeperSet = c.bondedSet();
  assert.deepEqual(keeperSet, expectedSet, 'validator updates, applied, give the current set');
  const ranked = validators
    .filter((v) => !v.jailed && BigInt(v.tokens) / DPIN > 0n)
    .sort((a, b) => {
      const pa = BigInt(a.tokens) / DPIN;
      const pb = BigInt(b.tokens) / DPIN;
      if (pa !== pb) return pa > pb ? -1 : 1;
      return Buffer.compare(fromBech32(a.operator_address, VALOPER_PREFIX), fromBech32(b.operator_address, VALOPER_PREFIX));
    })
    .slice(0, MAX_VALIDATORS);
  assert.deepEqual(new Map(ranked.map((v) => [v.consensus_pubkey.key, BigInt(v.tokens) / DPIN])), keeperSet, 'the set is the top N by power');
  for (const v of validators) assert.equal(v.status === 'BOND_STATUS_BONDED', keeperSet.has(v.consensus_pubkey.key), 'bonded <=> in the set');
  return g;
}

async function run(actions: Action[]): Promise<void> {
  const c = await TestChain.open((g) => {
    (g.app_state.staking as StakingGenesis).params.max_validators = MAX_VALIDATORS;
    (g.app_state.staking as StakingGenesis).params.unbonding_time = '120s';
    const s = g.app_state.slashing as { params: Record<string, string> };
    s.params.signed_blocks_window = '4';
    s.params.min_signed_per_window = '0.5';
    s.params.downtime_jail_duration = '5s';
  });
  try {
    const devCons = Buffer.from(c.genesis.validators[0]!.address, 'hex');
    const consOf = (i: number) => (i === 0 ? devCons : consKey(i).address);
    let set = applyUpdates(new Map(), c.initialValidators);
    const offline = new Set<number>();
    const tombstoned = new Set<string>(); // pubkeys that may have been tombstoned
    const times: Timestamp[] = [c.time];
    await c.block();
    times.push(c.time);
    let supply = c.supply();
    let state = checkInvariants(c, set, supply);
    const index = (address: string) => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].find((i) => addr(i) === address || valoper(i) === address)!;
    for (const a of actions) {
      // Last-commit votes of the current set; the offline ones are absent.
      const members = c.keepers.staking.bondedValidators(c.readCtx());
      const lastCommit: VoteInfo[] = members.map((m) => {
        const i = [0, 1, 2, 3, 4, 5].find((j) => Buffer.compare(consOf(j), m.consAddress) === 0)!;
        return { validatorAddress: m.consAddress, power: m.power, signed: !offline.has(i) };
      });
      const misbehavior: Misbehavior[] = [];
      const txs: Uint8Array[] = [];
      let dt = 1n;
      switch (a.k) {
        case 'create':
          txs.push(c.tx(a.i, [createValidatorMsg(a.i, a.amount)]));
          break;
        case 'delegate':
          txs.push(c.tx(a.from, [delegateMsg(a.from, a.to, a.amount)]));
          break;
        case 'undelegate': {
          const ds = state.staking.delegations;
          if (!ds.length) break;
          const d = ds[a.pick % ds.length]!;
          const v = state.staking.validators.find((x) => x.operator_address === d.validator_address)!;
          const worth = v.delegator_shares === '0.000000000000000000' ? 0n : (parseDec(d.shares) * BigInt(v.tokens)) / parseDec(v.delegator_shares);
          const amt = (worth * a.percent) / 100n;
          const from = index(d.delegator_address);
          txs.push(c.tx(from, [undelegateMsg(from, index(d.validator_address), amt > 0n ? amt : 1n)]));
          break;
        }
        case 'time':
          dt = a.dt;
          break;
        case 'doubleSign': {
          tombstoned.add(a.val === 0 ? c.genesis.validators[0]!.pub_key.value : b64(consKey(a.val).pub));
          const h = c.height - BigInt(a.back) >= 1n ? c.height - BigInt(a.back) : 1n;
          const m = members.find((x) => Buffer.compare(x.consAddress, consOf(a.val)) === 0);
          misbehavior.push({ type: 'duplicate_vote', validatorAddress: consOf(a.val), height: h, time: times[Number(h)]!, totalVotingPower: 100n, power: m?.power });
          break;
        }
        case 'offline':
          if (offline.has(a.val)) offline.delete(a.val);
          else offline.add(a.val);
          break;
        case 'unjail': {
          // Jailed for downtime (tombstoned ones would be refused every time).
          const jailed = state.staking.validators.filter((v) => v.jailed && !tombstoned.has(v.consensus_pubkey.key));
          const val = jailed.length ? index(jailed[a.pick % jailed.length]!.operator_address) : a.pick % 6;
          txs.push(c.tx(val, [unjailMsg(val)]));
          break;
        }
      }
      const r = await c.block(txs, { dt, lastCommit, misbehavior });
      times.push(c.time);
      tally(r, a);
      supply -= burnedIn(r.events) + r.txResults.reduce((s, t) => s + burnedIn(t.events), 0n);
      set = applyUpdates(set, r.validatorUpdates);
      state = checkInvariants(c, set, supply);
    }
    // Export -> import: the same state, so the same app hash, and the same validator set.
    const exported = c.app.exportGenesis();
    const copy = await TestChain.open(undefined, { ...structuredClone(c.genesis), initial_height: String(c.height + 1n), app_state: exported });
    try {
      assert.deepEqual(applyUpdates(new Map(), copy.initialValidators), set, 'imported genesis hands consensus the same set');
      assert.equal(b64(copy.initAppHash), b64(c.app.info().lastBlockAppHash), 'export -> import reproduces the app hash');
    } finally {
      await copy.close();
    }
  } finally {
    await c.close();
  }
}

test('random staking sequences keep supply, pools, shares and the validator set consistent after every block; export -> import gives the same app hash', async () => {
  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 30 }), run), { numRuns: 40, seed: 20261124 });
  console.log('exercised:', JSON.stringify(seen));
  for (const [k, n] of Object.entries(seen)) assert.ok(n > 0, `the random runs never exercised ${k}`);
});

// The staking module in-process on a real LevelDB, driven block by block: genesis validator set,
// create-validator, delegate/undelegate and their validator updates, unbonding maturity by block
// time, the max_validators cut-off, refusals of bad input, and genesis export -> import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { fromBech32, toBech32, VALCONS_PREFIX } from '../../chain/crypto/address.ts';
import { codec } from '../../chain/codec/proto.ts';
import { DEV_BALANCE_UDPIN } from '../../node/dev-genesis.ts';
import * as S from '../../modules/staking/types.ts';
import type { GenesisDoc } from '../../chain/genesis.ts';
import type { BankGenesis } from '../../modules/bank/module.ts';
import type { StakingGenesis } from '../../modules/staking/genesis.ts';
import { moduleAddress } from '../../modules/auth/keeper.ts';
import { NOT_BONDED_POOL } from '../../modules/staking/keeper.ts';
import { pubKeyAny } from '../../modules/staking/validator.ts';
import {
  TestChain, addr, valoper, consKey, createValidatorMsg, delegateMsg, undelegateMsg, msg, coin, applyUpdates, b64, DPIN, FEE,
} from '../helpers/chain.ts';

const TxMsgData = codec<{ msgResponses: { value: Uint8Array }[] }>('cosmos.base.abci.v1beta1.TxMsgData');
const BONDED = 3;
const UNBONDING = 2;

test('genesis: the dev validator is bonded at power 10, exactly as genesis.validators says; pools hold the stake', async () => {
  const c = await TestChain.open();
  try {
    assert.equal(c.initialValidators.length, 1);
    assert.equal(b64(c.initialValidators[0]!.pubKey), c.genesis.validators[0]!.pub_key.value);
    assert.equal(c.initialValidators[0]!.power, BigInt(c.genesis.validators[0]!.power));
    const r = await c.block();
    assert.deepEqual(r.validatorUpdates, [], 'nothing changed: no updates');
    const v = c.validator(0);
    assert.equal(v.status, BONDED);
    assert.equal(v.tokens, (10n * DPIN).toString());
    assert.equal(v.operatorAddress, valoper(0));
    assert.deepEqual(c.pool(), { bonded: 10n * DPIN, notBonded: 0n });
    assert.equal(c.supply(), 10n * DEV_BALANCE_UDPIN + 10n * DPIN);
    assert.equal(c.balance(addr(0)), DEV_BALANCE_UDPIN, 'dev balances are unchanged: the stake is on top');
    const cons = toBech32(VALCONS_PREFIX, Buffer.from(c.genesis.validators[0]!.address, 'hex'));
    assert.equal(c.signingInfo(cons).startHeight.toString(), '1');
  } finally {
    await c.close();
  }
});

test('create-validator: the new validator is bonded by end block and reported once in validatorUpdates', async () => {
  const c = await TestChain.open();
  try {
    await c.block();
    const before = c.balance(addr(1));
    const { block, tx } = await c.exec(1, [createValidatorMsg(1, 25n * DPIN)]);
    assert.deepEqual(block.validatorUpdates.map((u) => [b64(u.pubKey), u.power]), [[b64(consKey(1).pub), 25n]]);
    assert.ok(tx.events.some((e) => e.type === 'create_validator' && e.attributes.some((a) => a.key === 'validator' && a.value === valoper(1))));
    const v = c.validator(1);
    assert.equal(v.status, BONDED);
    assert.equal(v.tokens, (25n * DPIN).toString());
    assert.equal(v.delegatorShares, (25n * DPIN * 10n ** 18n).toString(), 'shares on the wire are LegacyDec atomics');
    assert.equal(c.balance(addr(1)), before - 25n * DPIN - FEE);
    assert.deepEqual(c.pool(), { bonded: 35n * DPIN, notBonded: 0n });
    assert.deepEqual((await c.block()).validatorUpdates, [], 'no change, no update');
    assert.deepEqual(c.bondedSet(), applyUpdates(new Map([[b64(c.initialValidators[0]!.pubKey), 10n]]), block.validatorUpdates));
  } finally {
    await c.close();
  }
});

test('delegate and undelegate move power; undelegating more than delegated, delegating more than the balance or to nobody change nothing', async () => {
  const c = await TestChain.open();
  try {
    await c.block();
    await c.exec(1, [createValidatorMsg(1, 25n * DPIN)]);
    let r = await c.exec(2, [delegateMsg(2, 1, 10n * DPIN)]);
    assert.deepEqual(r.block.validatorUpdates.map((u) => [b64(u.pubKey), u.power]), [[b64(consKey(1).pub), 35n]]);
    r = await c.exec(2, [undelegateMsg(2, 1, 4n * DPIN)]);
    assert.deepEqual(r.block.validatorUpdates.map((u) => [b64(u.pubKey), u.power]), [[b64(consKey(1).pub), 31n]]);
    const resp = S.MsgUndelegateResponse.decode(TxMsgData.decode(r.tx.data).msgResponses[0]!.value);
    assert.equal(resp.amount.amount, (4n * DPIN).toString());
    assert.equal(BigInt(String(resp.completionTime.seconds)), c.time.seconds + 300n, 'dev unbonding_time is 300 s');
    assert.deepEqual(c.pool(), { bonded: 41n * DPIN, notBonded: 4n * DPIN });
    const del = c.query('/cosmos.staking.v1beta1.Query/Delegation', S.QueryDelegationRequest, { delegatorAddr: addr(2), validatorAddr: valoper(1) }, S.QueryDelegationResponse);
    assert.equal(del.delegationResponse.balance.amount, (6n * DPIN).toString());

    const snapshot = () => ({ v: c.validator(1), pool: c.pool(), del: c.query('/cosmos.staking.v1beta1.Query/Delegation', S.QueryDelegationRequest, { delegatorAddr: addr(2), validatorAddr: valoper(1) }, S.QueryDelegationResponse) });
    const s0 = snapshot();
    const b2 = c.balance(addr(2));
    // 7 DPIN from a 6 DPIN delegation: sdk code 18, nothing moves.
    r = await c.exec(2, [undelegateMsg(2, 1, 7n * DPIN)], 18);
    assert.match(r.tx.log, /invalid shares amount/);
    assert.deepEqual(r.block.validatorUpdates, []);
    // More than the whole balance: sdk code 5.
    r = await c.exec(2, [delegateMsg(2, 1, 2n * DEV_BALANCE_UDPIN)], 5);
    // Undelegating without a delegation: staking code 19; to an unknown validator: staking code 3.
    const r3 = await c.exec(3, [undelegateMsg(3, 1, 1n)], 19);
    assert.equal(r3.tx.codespace, 'staking');
    const r4 = await c.exec(3, [delegateMsg(3, 7, 1n)], 3);
    assert.equal(r4.tx.codespace, 'staking');
    assert.deepEqual(snapshot(), s0);
    assert.equal(c.balance(addr(2)), b2 - 2n * FEE, 'only the fees of the two failed txs');
    const ubd = c.query('/cosmos.staking.v1beta1.Query/UnbondingDelegation', S.QueryUnbondingDelegationRequest, { delegatorAddr: addr(2), validatorAddr: valoper(1) }, S.QueryUnbondingDelegationResponse);
    assert.equal(ubd.unbond.entries.length, 1, 'the refused undelegation left no entry');
  } finally {
    await c.close();
  }
});

test('an unbonding delegation matures exactly at unbonding_time of block time, not before', async () => {
  const c = await TestChain.open((g) => {
    (g.app_state.staking as { params: { unbonding_time: string } }).params.unbonding_time = '100s';
  });
  try {
    await c.block();
    await c.exec(2, [delegateMsg(2, 0, 8n * DPIN)]);
    const { block } = await c.exec(2, [undelegateMsg(2, 0, 3n * DPIN)]);
    assert.deepEqual(block.validatorUpdates.map((u) => u.power), [15n]);
    const t0 = c.time.seconds;
    const bal = c.balance(addr(2));
    let r = await c.block([], { dt: 99n }); // t0 + 99: one second early
    assert.equal(c.balance(addr(2)), bal);
    assert.equal(c.pool().notBonded, 3n * DPIN);
    assert.ok(!r.events.some((e) => e.type === 'complete_unbonding'));
    r = await c.block([], { dt: 1n }); // t0 + 100: exactly due
    assert.equal(c.time.seconds, t0 + 100n);
    assert.equal(c.balance(addr(2)), bal + 3n * DPIN);
    assert.equal(c.pool().notBonded, 0n);
    const done = r.events.find((e) => e.type === 'complete_unbonding')!;
    assert.deepEqual(Object.fromEntries(done.attributes.map((a) => [a.key, a.value])), { amount: `${3n * DPIN}udpin`, validator: valoper(0), delegator: addr(2) });
    const q = c.queryCode('/cosmos.staking.v1beta1.Query/UnbondingDelegation', S.QueryUnbondingDelegationRequest, { delegatorAddr: addr(2), validatorAddr: valoper(0) });
    assert.equal(q.code, 26, 'the matured entry is gone');
  } finally {
    await c.close();
  }
});

test('a validator created and fully undelegated in one tx is removed with its power-index entry; the chain keeps going', async () => {
  // The last shares leaving an UNBONDED validator remove it. The removal used to compute the
  // power-index key from the already-emptied record, leave the old entry behind, and end block
  // then failed to load that validator: one cheap tx halted the chain.
  const c = await TestChain.open();
  try {
    await c.block();
    const { tx, block } = await c.exec(1, [createValidatorMsg(1, 25n * DPIN), undelegateMsg(1, 1, 25n * DPIN)]);
    assert.equal(tx.code, 0, tx.log);
    assert.deepEqual(block.validatorUpdates, [], 'it never joined the set');
    assert.deepEqual(c.validators().map((v) => v.operatorAddress), [valoper(0)]);
    const ctx = c.readCtx();
    assert.deepEqual([...c.keepers.staking.powerIndex(ctx)].map(([val, power]) => [c.keepers.staking.validatorByBytes(ctx, val)?.operator, power]), [[valoper(0), 10n]]);
    // The same account can create it again, and blocks go on.
    const again = await c.exec(1, [createValidatorMsg(1, 25n * DPIN)]);
    assert.equal(again.tx.code, 0, again.tx.log);
    await c.block();
    assert.equal(c.validator(1).tokens, (25n * DPIN).toString());
  } finally {
    await c.close();
  }
});

test('max_validators: the top N by power, ties broken by operator address; the one pushed out starts unbonding with power 0', async () => {
  const c = await TestChain.open((g) => {
    (g.app_state.staking as { params: { max_validators: number } }).params.max_validators = 3;
  });
  try {
    await c.block();
    // Four validators of power 10 (the dev validator is account 0): only three fit.
    const r = await c.block([c.tx(1, [createValidatorMsg(1, 10n * DPIN)]), c.tx(2, [createValidatorMsg(2, 10n * DPIN)]), c.tx(3, [createValidatorMsg(3, 10n * DPIN)])]);
    assert.deepEqual(r.txResults.map((t) => t.code), [0, 0, 0]);
    // Expected by the stated rule, computed independently: ascending operator address bytes.
    const byAddr = [0, 1, 2, 3].sort((a, b) => Buffer.compare(fromBech32(addr(a)), fromBech32(addr(b))));
    const inSet = byAddr.slice(0, 3);
    const out = byAddr[3]!;
    const pub = (i: number) => (i === 0 ? b64(c.initialValidators[0]!.pubKey) : b64(consKey(i).pub));
    const expected = inSet.filter((i) => i !== 0).map((i) => [pub(i), 10n] as [string, bigint]);
    if (out === 0) expected.push([pub(0), 0n]);
    // New members in power-index order (power desc, address asc), then removals.
    assert.deepEqual(r.validatorUpdates.map((u) => [b64(u.pubKey), u.power]), expected);
    assert.deepEqual([...c.bondedSet().keys()].sort(), inSet.map(pub).sort());
    assert.equal(c.validator(out).status, out === 0 ? UNBONDING : 1);

    // One more DPIN lifts the outsider in; the highest address among the tied three drops out.
    const lifted = await c.exec(5, [delegateMsg(5, out, DPIN)]);
    const dropped = inSet[2]!;
    assert.deepEqual(lifted.block.validatorUpdates.map((u) => [b64(u.pubKey), u.power]), [[pub(out), 11n], [pub(dropped), 0n]]);
    assert.equal(c.validator(dropped).status, UNBONDING);
    assert.equal(c.validator(out).status, BONDED);
    // Pools follow the statuses.
    assert.deepEqual(c.pool(), { bonded: 31n * DPIN, notBonded: 10n * DPIN });
  } finally {
    await c.close();
  }
});

test('create-validator refusals: used consensus key, ed25519 or off-curve keys, wrong denom, below min self delegation, second validator per operator, redelegation', async () => {
  const c = await TestChain.open();
  try {
    await c.block();
    const devKey = Buffer.from(c.genesis.validators[0]!.pub_key.value, 'base64');
    const supply = c.supply();
    const bal = c.balance(addr(1));
    // The dev validator's consensus key: staking code 5.
    let r = await c.exec(1, [createValidatorMsg(1, 5n * DPIN, { pubkey: pubKeyAny(devKey) })], 5);
    assert.equal(r.tx.codespace, 'staking');
    // ed25519: refused before any state is read (CheckTx), staking code 6, with the reason.
    const ed = { typeUrl: '/cosmos.crypto.ed25519.PubKey', value: new Uint8Array([10, 32, ...new Uint8Array(32).fill(7)]) };
    const edTx = c.tx(2, [createValidatorMsg(2, 5n * DPIN, { pubkey: ed })]);
    const chk = c.app.checkTx(edTx);
    assert.equal(chk.code, 6);
    assert.equal(chk.codespace, 'staking');
    assert.match(chk.log, /secp256k1/);
    // 33 bytes that are not a curve point: sdk code 8.
    const offCurve = pubKeyAny(new Uint8Array([0x02, ...new Uint8Array(32).fill(0xff)]));
    assert.equal(c.app.checkTx(c.tx(3, [createValidatorMsg(3, 5n * DPIN, { pubkey: offCurve })])).code, 8);
    // Bonding a foreign denom: sdk code 18.
    r = await c.exec(1, [createValidatorMsg(1, 5n * DPIN, { denom: 'uatom' })], 18);
    assert.match(r.tx.log, /invalid coin denomination/);
    // Self delegation below the validator's own min_self_delegation: staking 16, at CheckTx.
    assert.equal(c.app.checkTx(c.tx(4, [createValidatorMsg(4, 5n, { minSelf: 6n })])).code, 16);
    assert.deepEqual(c.validators().map((v) => v.operatorAddress), [valoper(0)]);
    assert.equal(c.balance(addr(1)), bal - 2n * FEE);
    assert.equal(c.supply(), supply);
    // A second validator for the same operator: staking code 4.
    await c.exec(1, [createValidatorMsg(1, 5n * DPIN)]);
    r = await c.exec(1, [createValidatorMsg(1, 5n * DPIN, { pubkey: pubKeyAny(consKey(9).pub) })], 4);
    // Redelegation is refused clearly (sdk 37) instead of half-working.
    const redelegate = msg(S.MsgBeginRedelegate, { delegatorAddress: addr(1), validatorSrcAddress: valoper(1), validatorDstAddress: valoper(0), amount: coin(1n) });
    const red = c.app.checkTx(c.tx(1, [redelegate]));
    assert.equal(red.code, 37);
    assert.match(red.log, /redelegation is not supported/);
  } finally {
    await c.close();
  }
});

test('queries: validators by status with pagination, delegations both ways, pool, params', async () => {
  const c = await TestChain.open((g) => {
    (g.app_state.staking as { params: { max_validators: number } }).params.max_validators = 2;
  });
  try {
    await c.block();
    await c.block([c.tx(1, [createValidatorMsg(1, 20n * DPIN)]), c.tx(2, [createValidatorMsg(2, 3n * DPIN)]), c.tx(3, [delegateMsg(3, 1, 2n * DPIN)])]);
    assert.equal(c.validators().length, 3);
    assert.deepEqual(c.validators('BOND_STATUS_BONDED').map((v) => v.operatorAddress).sort(), [valoper(0), valoper(1)].sort());
    assert.deepEqual(c.validators('BOND_STATUS_UNBONDED').map((v) => v.operatorAddress), [valoper(2)]);
    const bad = c.queryCode('/cosmos.staking.v1beta1.Query/Validators', S.QueryValidatorsRequest, { status: 'BOND_STATUS_FROZEN' });
    assert.equal(bad.code, 18);
    // Pagination: one at a time with next_key, totals counted.
    const p1 = c.query('/cosmos.staking.v1beta1.Query/Validators', S.QueryValidatorsRequest, { status: '', pagination: { limit: 1, countTotal: true } }, S.QueryValidatorsResponse);
    assert.equal(p1.validators.length, 1);
    assert.equal(String(p1.pagination!.total), '3');
    const p2 = c.query('/cosmos.staking.v1beta1.Query/Validators', S.QueryValidatorsRequest, { status: '', pagination: { key: p1.pagination!.nextKey, limit: 5 } }, S.QueryValidatorsResponse);
    assert.equal(p2.validators.length, 2);
    assert.ok(!p2.validators.some((v) => v.operatorAddress === p1.validators[0]!.operatorAddress));
    const vd = c.query('/cosmos.staking.v1beta1.Query/ValidatorDelegations', S.QueryValidatorDelegationsRequest, { validatorAddr: valoper(1) }, S.QueryValidatorDelegationsResponse);
    assert.deepEqual(vd.delegationResponses.map((d) => [d.delegation.delegatorAddress, d.balance.amount]).sort(), [[addr(1), (20n * DPIN).toString()], [addr(3), (2n * DPIN).toString()]].sort());
    const dd = c.query('/cosmos.staking.v1beta1.Query/DelegatorDelegations', S.QueryDelegatorDelegationsRequest, { delegatorAddr: addr(3) }, S.QueryDelegatorDelegationsResponse);
    assert.deepEqual(dd.delegationResponses.map((d) => d.delegation.validatorAddress), [valoper(1)]);
    const dv = c.query('/cosmos.staking.v1beta1.Query/DelegatorValidators', S.QueryDelegatorValidatorsRequest, { delegatorAddr: addr(3) }, S.QueryDelegatorValidatorsResponse);
    assert.deepEqual(dv.validators.map((v) => v.operatorAddress), [valoper(1)]);
    assert.deepEqual(c.pool(), { bonded: 32n * DPIN, notBonded: 3n * DPIN });
    const params = c.query('/cosmos.staking.v1beta1.Query/Params', S.QueryParamsRequest, {}, S.QueryParamsResponse).params;
    assert.equal(params.bondDenom, 'udpin');
    assert.equal(params.maxValidators, 2);
    assert.equal(String(params.unbondingTime!.seconds), '300');
    const missing = c.queryCode('/cosmos.staking.v1beta1.Query/Delegation', S.QueryDelegationRequest, { delegatorAddr: addr(4), validatorAddr: valoper(1) });
    assert.equal(missing.code, 19);
    assert.match(missing.log, /NotFound/);
  } finally {
    await c.close();
  }
});

test('genesis refusals: pool balances that differ from the stake, a fresh genesis with a BONDED validator, delegations that do not add up', async () => {
  const bad: [string, (g: GenesisDoc) => void, RegExp][] = [
    ['pool short', (g) => {
      const b = (g.app_state.bank as BankGenesis).balances.find((x) => x.address === moduleAddress(NOT_BONDED_POOL))!;
      b.coins[0]!.amount = '9999999';
    }, /not_bonded_tokens_pool holds 9999999/],
    ['bonded in a fresh genesis', (g) => {
      (g.app_state.staking as StakingGenesis).validators[0]!.status = 'BOND_STATUS_BONDED';
    }, /fresh genesis lists validators as BOND_STATUS_UNBONDED/],
    ['shares', (g) => {
      (g.app_state.staking as StakingGenesis).delegations[0]!.shares = '9000000.0';
    }, /hold 9000000\.000000000000000000 shares/],
    ['ed25519 key', (g) => {
      (g.app_state.staking as StakingGenesis).validators[0]!.consensus_pubkey['@type'] = '/cosmos.crypto.ed25519.PubKey';
    }, /secp256k1/],
  ];
  for (const [name, edit, err] of bad) {
    await assert.rejects(TestChain.open(edit), err, name);
  }
});

test('edit-validator: description with [do-not-modify], commission at most once per 24 h of block time and within max_change_rate, min_self_delegation only upwards', async () => {
  const c = await TestChain.open();
  try {
    await c.block();
    await c.exec(1, [createValidatorMsg(1, 20n * DPIN)]); // rate 0.10, max 0.20, max change 0.01
    const edit = (o: { moniker?: string; details?: string; rate?: bigint; minSelf?: bigint }) =>
      msg(S.MsgEditValidator, {
        description: { moniker: o.moniker ?? '[do-not-modify]', identity: '[do-not-modify]', website: '[do-not-modify]', securityContact: '[do-not-modify]', details: o.details ?? '[do-not-modify]' },
        validatorAddress: valoper(1),
        commissionRate: o.rate === undefined ? '' : o.rate.toString(),
        minSelfDelegation: o.minSelf === undefined ? '' : o.minSelf.toString(),
      });
    const E = 10n ** 16n; // 0.01
    await c.exec(1, [edit({ details: 'runs on solar' })]);
    let v = c.validator(1);
    assert.equal(v.description!.moniker, 'val-1');
    assert.equal(v.description!.details, 'runs on solar');
    // Within 24 h of the commission's last update (creation): staking code 12.
    await c.exec(1, [edit({ rate: 11n * E })], 12, { dt: 86_398n }); // 86,399 s after creation
    // 24 h later: a change of more than max_change_rate is refused (15), within it accepted.
    await c.exec(1, [edit({ rate: 12n * E })], 15, { dt: 1n });
    await c.exec(1, [edit({ rate: 11n * E })]);
    assert.equal(c.validator(1).commission!.commissionRates!.rate, (11n * E).toString());
    await c.exec(1, [edit({ rate: 10n * E })], 12, { dt: 3600n });
    // min_self_delegation: up is fine, down is refused (17), above the tokens refused (16).
    await c.exec(1, [edit({ minSelf: 5n * DPIN })]);
    await c.exec(1, [edit({ minSelf: 4n * DPIN })], 17);
    await c.exec(1, [edit({ minSelf: 21n * DPIN })], 16);
    v = c.validator(1);
    assert.equal(v.minSelfDelegation, (5n * DPIN).toString());
    // Only the operator may edit: another account's signature does not authorize it.
    const foreign = c.app.checkTx(c.tx(2, [edit({ details: 'hijacked' })]));
    assert.notEqual(foreign.code, 0);
  } finally {
    await c.close();
  }
});

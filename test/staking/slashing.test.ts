// The slashing module driven by the block data consensus hands the app: duplicate-vote evidence
// (slash, burn, jail, tombstone, set exit, replay, age limit) and last-commit votes (downtime over
// a sliding window, jail duration, MsgUnjail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toBech32, VALCONS_PREFIX } from '../../chain/crypto/address.ts';
import type { Misbehavior, VoteInfo } from '../../chain/context.ts';
import type { Event } from '../../chain/events.ts';
import * as S from '../../modules/staking/types.ts';
import { pubKeyAny } from '../../modules/staking/validator.ts';
import {
  TestChain, addr, valoper, consKey, createValidatorMsg, delegateMsg, undelegateMsg, unjailMsg, b64, DPIN,
} from '../helpers/chain.ts';

const BONDED = 3;
const UNBONDING = 2;
const attrs = (e: Event) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value]));
const ubdOf = (c: TestChain, del: number, val: number) =>
  c.query('/cosmos.staking.v1beta1.Query/UnbondingDelegation', S.QueryUnbondingDelegationRequest, { delegatorAddr: addr(del), validatorAddr: valoper(val) }, S.QueryUnbondingDelegationResponse).unbond;

test('double signing: slashes 5% of the stake at the offence (unbondings since included), burns it, jails, tombstones; a replay does nothing', async () => {
  const c = await TestChain.open();
  try {
    await c.block(); // 1
    await c.exec(1, [createValidatorMsg(1, 20n * DPIN)]); // 2
    await c.block([c.tx(2, [delegateMsg(2, 1, 10n * DPIN)]), c.tx(3, [delegateMsg(3, 1, 4n * DPIN)])]); // 3
    await c.exec(3, [undelegateMsg(3, 1, 2n * DPIN)]); // 4: unbonding before the offence
    await c.block(); // 5
    await c.block(); // 6: the offence, validator 1 at power 32
    const offence = { height: c.height, time: c.time };
    assert.equal(c.validator(1).tokens, (32n * DPIN).toString());
    await c.exec(2, [undelegateMsg(2, 1, 5n * DPIN)]); // 7: unbonding after the offence: still at stake
    const supply = c.supply();
    const ev: Misbehavior = { type: 'duplicate_vote', validatorAddress: consKey(1).address, height: offence.height, time: offence.time, totalVotingPower: 42n, power: 32n };
    const r = await c.block([], { misbehavior: [ev] }); // 8

    // 5% of 32 DPIN = 1.6 DPIN: 5% of the 5 DPIN entry (0.25) from it, the rest from the validator.
    const burned = (32n * DPIN * 5n) / 100n;
    assert.equal(c.supply(), supply - burned, 'supply falls by exactly the slash');
    const slash = r.events.find((e) => e.type === 'slash' && attrs(e).reason === 'double_sign')!;
    assert.deepEqual(attrs(slash), { address: toBech32(VALCONS_PREFIX, consKey(1).address), power: '32', reason: 'double_sign', burned_coins: burned.toString() });
    assert.ok(r.events.some((e) => e.type === 'burn'));
    assert.equal(ubdOf(c, 2, 1).entries[0]!.balance, (5n * DPIN - 250_000n).toString());
    assert.equal(ubdOf(c, 3, 1).entries[0]!.balance, (2n * DPIN).toString(), 'unbonding that started before the offence is not slashed');
    const v = c.validator(1);
    assert.equal(v.tokens, (27n * DPIN - (burned - 250_000n)).toString());
    assert.equal(v.jailed, true);
    assert.equal(v.status, UNBONDING, 'left the set in the same block');
    assert.deepEqual(r.validatorUpdates.map((u) => [b64(u.pubKey), u.power]), [[b64(consKey(1).pub), 0n]]);
    const info = c.signingInfo(toBech32(VALCONS_PREFIX, consKey(1).address));
    assert.equal(info.tombstoned, true);
    assert.equal(String(info.jailedUntil!.seconds), '253402300799');
    // Pools: the jailed validator's tokens moved to not-bonded, unbonding entries there too.
    assert.deepEqual(c.pool(), { bonded: 10n * DPIN, notBonded: BigInt(v.tokens) + 2n * DPIN + 5n * DPIN - 250_000n });

    // The same evidence again, later: ignored.
    const supply2 = c.supply();
    const again = await c.block([], { misbehavior: [ev] });
    assert.equal(c.supply(), supply2);
    assert.ok(!again.events.some((e) => e.type === 'slash'));
    assert.deepEqual(again.validatorUpdates, []);
    assert.equal(c.validator(1).tokens, v.tokens);

    // A tombstoned validator never unjails, however long it waits: slashing code 4.
    const u = await c.exec(1, [unjailMsg(1)], 4, { dt: 10n ** 9n });
    assert.equal(u.tx.codespace, 'slashing');
    assert.match(u.tx.log, /tombstoned/);
    assert.equal(c.validator(1).jailed, true);

    // Its unbonding period has passed (that last block came 10^9 s later): it is unbonded.
    assert.equal(c.validator(1).status, 1);
    // Everyone leaves: undelegating exactly what each delegation is worth closes it (no dust
    // shares), and the last one removes the unbonded validator.
    for (const d of [1, 2, 3]) {
      const worth = c.query('/cosmos.staking.v1beta1.Query/Delegation', S.QueryDelegationRequest, { delegatorAddr: addr(d), validatorAddr: valoper(1) }, S.QueryDelegationResponse).delegationResponse.balance.amount;
      await c.exec(d, [undelegateMsg(d, 1, BigInt(worth))]);
    }
    assert.equal(c.queryCode('/cosmos.staking.v1beta1.Query/Validator', S.QueryValidatorRequest, { validatorAddr: valoper(1) }).code, 3, 'removed');
    await c.block([], { dt: 301n }); // every unbonding entry matures
    // The tombstoned consensus key stays unusable under any operator: slashing code 9.
    const again2 = await c.exec(4, [createValidatorMsg(4, 5n * DPIN, { pubkey: pubKeyAny(consKey(1).pub) })], 9);
    assert.equal(again2.tx.codespace, 'slashing');
    assert.deepEqual(c.pool(), { bonded: 10n * DPIN, notBonded: 0n }, 'every unbonding paid out; nothing stranded in the pools');
  } finally {
    await c.close();
  }
});

test('evidence is ignored only when older than both max_age_num_blocks and max_age_duration', async () => {
  const c = await TestChain.open((g) => {
    (g.app_state.slashing as { evidence: object }).evidence = { max_age_num_blocks: '3', max_age_duration: '10s' };
  });
  try {
    await c.block(); // 1
    await c.exec(1, [createValidatorMsg(1, 20n * DPIN)]); // 2
    await c.exec(2, [createValidatorMsg(2, 20n * DPIN)]); // 3
    const at = { height: c.height, time: c.time };
    const ev = (val: number): Misbehavior => ({ type: 'duplicate_vote', validatorAddress: consKey(val).address, height: at.height, time: at.time, totalVotingPower: 50n, power: 20n });
    for (let i = 0; i < 4; i++) await c.block(); // 4 blocks later (> 3), 4 s later (< 10 s): still punishable
    let r = await c.block([], { misbehavior: [ev(1)] });
    assert.ok(r.events.some((e) => e.type === 'slash'), 'old in blocks but not in time: punished');
    r = await c.block([], { dt: 20n, misbehavior: [ev(2)] }); // > 3 blocks and > 10 s
    assert.ok(!r.events.some((e) => e.type === 'slash'), 'too old on both counts: ignored');
    assert.equal(c.validator(2).jailed, false);
    assert.equal(c.validator(2).tokens, (20n * DPIN).toString());
  } finally {
    await c.close();
  }
});

test('downtime: more than (1 - min_signed) of the window missed jails with a slash; MsgUnjail works only after downtime_jail_duration', async () => {
  const c = await TestChain.open((g) => {
    const s = g.app_state.slashing as { params: Record<string, string> };
    s.params.signed_blocks_window = '10';
    s.params.min_signed_per_window = '0.5';
    s.params.downtime_jail_duration = '60s';
    s.params.slash_fraction_downtime = '0.01';
  });
  try {
    const dev = Buffer.from(c.genesis.validators[0]!.address, 'hex');
    const cons1 = toBech32(VALCONS_PREFIX, consKey(1).address);
    await c.block(); // 1
    await c.exec(1, [createValidatorMsg(1, 20n * DPIN)]); // 2: bonded, window starts at 2
    assert.equal(c.signingInfo(cons1).startHeight.toString(), '2');
    const votes = (signed1: boolean): VoteInfo[] => [
      { validatorAddress: dev, power: 10n, signed: true },
      { validatorAddress: consKey(1).address, power: 20n, signed: signed1 },
    ];
    // Heights 3..7 missed (5 = the most allowed), 8..14 signed: the window slides, no jail.
    for (let h = 3; h <= 14; h++) {
      const r = await c.block([], { lastCommit: votes(h >= 8) });
      assert.ok(!r.events.some((e) => e.type === 'slash'), `no slash at ${h}`);
      if (h <= 7) assert.ok(r.events.some((e) => e.type === 'liveness'));
    }
    // Votes 11..14 signed, the misses of 3 and 4 slid out of the window: 3 left.
    assert.equal(c.signingInfo(cons1).missedBlocksCounter.toString(), '3');
    // Heights 15..20 missed: at 20 the last ten votes (11..20) hold six misses > 5.
    let jailedAt = 0n;
    let jailBlock;
    for (let h = 15; h <= 20; h++) {
      const r = await c.block([], { lastCommit: votes(false) });
      if (r.events.some((e) => e.type === 'slash')) {
        jailedAt = c.height;
        jailBlock = r;
        break;
      }
    }
    assert.equal(jailedAt, 20n);
    const slash = jailBlock!.events.find((e) => e.type === 'slash')!;
    assert.deepEqual(attrs(slash), { address: cons1, power: '20', reason: 'missing_signature', jailed: cons1, burned_coins: '200000' });
    assert.deepEqual(jailBlock!.validatorUpdates.map((u) => [b64(u.pubKey), u.power]), [[b64(consKey(1).pub), 0n]]);
    const info = c.signingInfo(cons1);
    assert.equal(info.missedBlocksCounter.toString(), '0');
    assert.equal(BigInt(String(info.jailedUntil!.seconds)), c.time.seconds + 60n);
    assert.equal(c.validator(1).tokens, (20n * DPIN - 200_000n).toString());

    // 59 s later: still jailed (slashing code 4). 60 s: unjailed, and back in the set at once.
    // Gas estimation runs at the last block's time (as the SDK's check state), so a wallet's
    // fee "auto" already tells the operator it is too early.
    const early = c.tx(1, [unjailMsg(1)]);
    assert.throws(() => c.app.simulate(early), /jailed until/);
    const e = await c.block([early], { dt: 59n });
    assert.equal(e.txResults[0]!.code, 4);
    assert.match(e.txResults[0]!.log, /jailed until/);
    let u;
    u = await c.exec(1, [unjailMsg(1)], 0, { dt: 1n });
    assert.equal(c.validator(1).jailed, false);
    assert.equal(c.validator(1).status, BONDED);
    assert.deepEqual(u.block.validatorUpdates.map((x) => [b64(x.pubKey), x.power]), [[b64(consKey(1).pub), 19n]]);
    // Unjailing a validator that is not jailed: slashing code 5.
    await c.exec(1, [unjailMsg(1)], 5);
  } finally {
    await c.close();
  }
});

test('an operator whose self-delegation falls below min_self_delegation is jailed; unjail needs the stake back', async () => {
  const c = await TestChain.open();
  try {
    await c.block();
    await c.exec(1, [createValidatorMsg(1, 20n * DPIN, { minSelf: 15n * DPIN })]);
    const r = await c.exec(1, [undelegateMsg(1, 1, 6n * DPIN)]);
    assert.equal(c.validator(1).jailed, true);
    assert.deepEqual(r.block.validatorUpdates.map((u) => [b64(u.pubKey), u.power]), [[b64(consKey(1).pub), 0n]]);
    const u = await c.exec(1, [unjailMsg(1)], 7);
    assert.equal(u.tx.codespace, 'slashing');
    await c.exec(1, [delegateMsg(1, 1, 2n * DPIN)]);
    const ok = await c.exec(1, [unjailMsg(1)]);
    assert.deepEqual(ok.block.validatorUpdates.map((x) => [b64(x.pubKey), x.power]), [[b64(consKey(1).pub), 16n]]);
  } finally {
    await c.close();
  }
});

test('a validator listed twice in one last commit is counted once', async () => {
  const c = await TestChain.open();
  try {
    await c.block();
    await c.exec(1, [createValidatorMsg(1, 20n * DPIN)]);
    const miss: VoteInfo = { validatorAddress: consKey(1).address, power: 20n, signed: false };
    await c.block([], { lastCommit: [miss, miss, miss] });
    const info = c.signingInfo(toBech32(VALCONS_PREFIX, consKey(1).address));
    assert.equal(info.missedBlocksCounter.toString(), '1');
    assert.equal(info.indexOffset.toString(), '1');
  } finally {
    await c.close();
  }
});

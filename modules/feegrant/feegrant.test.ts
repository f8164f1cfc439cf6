// Fee grants in-process: a grantee with no funds pays through its granter; exhausted, expired,
// filtered-out, missing and revoked allowances are refused and change nothing; periodic limits
// reset with block time; queries, wire compatibility with cosmjs-types, genesis round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicAllowance as CjBasic, PeriodicAllowance as CjPeriodic, AllowedMsgAllowance as CjAllowed } from 'cosmjs-types/cosmos/feegrant/v1beta1/feegrant';
import { MsgGrantAllowance as CjMsgGrant } from 'cosmjs-types/cosmos/feegrant/v1beta1/tx';
import { QueryAllowanceResponse as CjAllowanceRes } from 'cosmjs-types/cosmos/feegrant/v1beta1/query';
import { TestChain, devKeys, signerFromPrivateKey, diffDumps } from '../../test/helpers/inproc.ts';
import { randomPrivateKey } from '../../chain/crypto/secp256k1.ts';
import { codec } from '../../chain/codec/proto.ts';
import { SIMULATE_PATH } from '../../chain/app.ts';
import * as T from './types.ts';

const owner = devKeys[3]!;
const other = devKeys[4]!;

function basic(spendLimit: bigint | undefined, expirationSeconds?: bigint) {
  return {
    typeUrl: '/cosmos.feegrant.v1beta1.BasicAllowance',
    value: CjBasic.encode(CjBasic.fromPartial({
      spendLimit: spendLimit === undefined ? [] : [{ denom: 'udpin', amount: spendLimit.toString() }],
      expiration: expirationSeconds === undefined ? undefined : { seconds: expirationSeconds, nanos: 0 },
    })).finish(),
  };
}

const grantMsg = (granter: string, grantee: string, allowance: { typeUrl: string; value: Uint8Array }) => ({
  typeUrl: '/cosmos.feegrant.v1beta1.MsgGrantAllowance',
  value: CjMsgGrant.encode(CjMsgGrant.fromPartial({ granter, grantee, allowance })).finish(),
});
const revokeMsg = (granter: string, grantee: string) => ({ typeUrl: T.MsgRevokeAllowance.typeUrl, value: T.MsgRevokeAllowance.encode({ granter, grantee }) });

/** A message a fundless grantee can send: granting an allowance of its own to someone else. */
const harmlessMsg = (from: string) => grantMsg(from, signerFromPrivateKey(randomPrivateKey()).address, basic(1n));

test('a grantee with no funds pays through its granter; exhausted and missing allowances are refused and change nothing', async () => {
  const c = await TestChain.open();
  const device = signerFromPrivateKey(randomPrivateKey());
  assert.equal(c.account(device.address).exists, false);
  const g = await c.deliver(c.tx(owner, [grantMsg(owner.address, device.address, basic(12_000n))]));
  assert.equal(g.code, 0, g.log);
  assert.ok(g.events.some((e) => e.type === 'set_feegrant'));
  assert.equal(c.account(device.address).exists, true, 'granting creates the grantee account');

  const ownerBefore = c.balance(owner.address);
  const r = await c.deliver(c.tx(device, [harmlessMsg(device.address)], { fee: 5000n, granter: owner.address }));
  assert.equal(r.code, 0, r.log);
  assert.equal(c.balance(device.address), 0n);
  assert.equal(c.balance(owner.address), ownerBefore - 5000n);
  const use = r.events.find((e) => e.type === 'use_feegrant');
  assert.deepEqual(use?.attributes.map((a) => [a.key, a.value]), [['granter', owner.address], ['grantee', device.address]]);
  assert.ok(r.events.some((e) => e.type === 'tx' && e.attributes.some((a) => a.key === 'fee_payer' && a.value === owner.address)));

  // 7,000 left: a 5,000 fee passes, then 2,000 left: another 5,000 is refused (feegrant code 2).
  assert.equal((await c.deliver(c.tx(device, [harmlessMsg(device.address)], { fee: 5000n, granter: owner.address }))).code, 0);
  const before = c.dump();
  const hash = c.appHash();
  const seq = c.account(device.address).sequence;
  const over = c.tx(device, [harmlessMsg(device.address)], { fee: 5000n, granter: owner.address });
  const check = c.app.checkTx(over);
  assert.equal(check.codespace, 'feegrant');
  assert.equal(check.code, 2, check.log);
  assert.match(check.log, new RegExp(`${owner.address} does not allow to pay fees for ${device.address}: basic allowance: fee limit exceeded`));
  const res = await c.deliver(over);
  assert.equal(res.code, 2);
  assert.deepEqual(diffDumps(before, c.dump()), [], 'a refused grantee tx changes nothing');
  assert.equal(c.appHash(), hash);
  assert.equal(c.account(device.address).sequence, seq);

  // Spending the rest exactly removes the grant; the next use finds no allowance (code 5).
  const last = await c.deliver(c.tx(device, [harmlessMsg(device.address)], { fee: 2000n, granter: owner.address }));
  assert.equal(last.code, 0, last.log);
  assert.ok(last.events.some((e) => e.type === 'revoke_feegrant'));
  const none = c.app.checkTx(c.tx(device, [harmlessMsg(device.address)], { fee: 1000n, granter: owner.address }));
  assert.equal(none.codespace, 'feegrant');
  assert.equal(none.code, 5, none.log);
  // Without a granter the fundless device cannot pay at all.
  assert.equal(c.app.checkTx(c.tx(device, [harmlessMsg(device.address)], { fee: 1000n })).code, 5);
  await c.close();
});

test('an expired allowance is refused by block time and changes nothing; revoke ends a grant', async () => {
  const c = await TestChain.open();
  const device = signerFromPrivateKey(randomPrivateKey());
  // Expires 12 s after the grant's block (blocks are 5 s apart).
  const exp = c.time + c.blockSeconds + 12n;
  assert.equal((await c.deliver(c.tx(owner, [grantMsg(owner.address, device.address, basic(undefined, exp))]))).code, 0);
  assert.equal((await c.deliver(c.tx(device, [harmlessMsg(device.address)], { granter: owner.address }))).code, 0, 'usable before expiry');
  await c.block([]);
  await c.block([]);
  assert.ok(c.time + c.blockSeconds > exp);
  const before = c.dump();
  const expiredTx = c.tx(device, [harmlessMsg(device.address)], { granter: owner.address });
  // CheckTx has no header: it judges expiry by the last executed block's time (node-local).
  const checked = c.app.checkTx(expiredTx);
  assert.equal(`${checked.codespace}/${checked.code}`, 'feegrant/3', checked.log);
  const r = await c.deliver(expiredTx);
  assert.equal(r.codespace, 'feegrant');
  assert.equal(r.code, 3, r.log);
  assert.match(r.log, /fee allowance expired/);
  assert.deepEqual(diffDumps(before, c.dump()), []);

  // Granting in the past is refused; revoking a live grant works once.
  const past = await c.deliver(c.tx(other, [grantMsg(other.address, device.address, basic(10n, 1n))]));
  assert.equal(past.code, 18, past.log);
  assert.match(past.log, /expiration is before current block time/);
  assert.equal((await c.deliver(c.tx(other, [grantMsg(other.address, device.address, basic(100_000n))]))).code, 0);
  assert.equal((await c.deliver(c.tx(other, [grantMsg(other.address, device.address, basic(5n))]))).code, 18, 'one grant per pair');
  assert.equal((await c.deliver(c.tx(other, [revokeMsg(other.address, device.address)]))).code, 0);
  const again = await c.deliver(c.tx(other, [revokeMsg(other.address, device.address)]));
  assert.equal(again.code, 5);
  assert.equal(c.app.checkTx(c.tx(device, [harmlessMsg(device.address)], { granter: other.address })).code, 5);
  await c.close();
});

test('AllowedMsgAllowance filters message types; PeriodicAllowance resets with block time', async () => {
  const c = await TestChain.open();
  const device = signerFromPrivateKey(randomPrivateKey());
  const sendOnly = { typeUrl: '/cosmos.feegrant.v1beta1.AllowedMsgAllowance', value: CjAllowed.encode(CjAllowed.fromPartial({ allowance: basic(1_000_000n), allowedMessages: ['/cosmos.bank.v1beta1.MsgSend'] })).finish() };
  assert.equal((await c.deliver(c.tx(owner, [grantMsg(owner.address, device.address, sendOnly)]))).code, 0);
  const r = c.app.checkTx(c.tx(device, [harmlessMsg(device.address)], { granter: owner.address }));
  assert.equal(r.codespace, 'feegrant');
  assert.equal(r.code, 7, r.log);

  const device2 = signerFromPrivateKey(randomPrivateKey());
  const periodic = {
    typeUrl: '/cosmos.feegrant.v1beta1.PeriodicAllowance',
    value: CjPeriodic.encode(CjPeriodic.fromPartial({
      basic: { spendLimit: [{ denom: 'udpin', amount: '30000' }] },
      period: { seconds: 20n, nanos: 0 },
      periodSpendLimit: [{ denom: 'udpin', amount: '6000' }],
      periodCanSpend: [{ denom: 'udpin', amount: '6000' }],
    })).finish(),
  };
  assert.equal((await c.deliver(c.tx(owner, [grantMsg(owner.address, device2.address, periodic)]))).code, 0);
  assert.equal((await c.deliver(c.tx(device2, [harmlessMsg(device2.address)], { granter: owner.address }))).code, 0);
  const second = await c.deliver(c.tx(device2, [harmlessMsg(device2.address)], { granter: owner.address }));
  assert.equal(second.code, 2);
  assert.match(second.log, /period limit/);
  for (let i = 0; i < 4; i++) await c.block([]); // 20 s later: a new period
  const third = await c.deliver(c.tx(device2, [harmlessMsg(device2.address)], { granter: owner.address }));
  assert.equal(third.code, 0, third.log);
  await c.close();
});

test('simulate works for a grantee tx (with and without the granter), and gas covers the real tx', async () => {
  const c = await TestChain.open();
  const device = signerFromPrivateKey(randomPrivateKey());
  assert.equal((await c.deliver(c.tx(owner, [grantMsg(owner.address, device.address, basic(1_000_000n))]))).code, 0);
  const SimReq = codec<{ txBytes: Uint8Array }>('cosmos.tx.v1beta1.SimulateRequest');
  const SimRes = codec<{ gasInfo: { gasUsed: unknown } }>('cosmos.tx.v1beta1.SimulateResponse');
  // With the granter in the simulated fee, the estimate includes the grant's read and write, so a
  // 10% margin is enough; CosmJS's simulate() cannot carry a granter, and its estimate is short
  // by that grant update (~15k gas), which its 1.4x "auto" margin covers for small txs.
  for (const [granter, margin] of [[owner.address, 11n], [undefined, 15n]] as const) {
    const tx = c.tx(device, [harmlessMsg(device.address)], { fee: 0n, gas: 0n, granter });
    const r = c.app.query({ path: SIMULATE_PATH, data: SimReq.encode({ txBytes: tx }) });
    assert.equal(r.code, 0, r.log);
    const gas = BigInt(String(SimRes.decode(r.value).gasInfo.gasUsed));
    const real = await c.deliver(c.tx(device, [harmlessMsg(device.address)], { fee: 5000n, gas: (gas * margin) / 10n, granter: owner.address }));
    assert.equal(real.code, 0, real.log);
    assert.ok(real.gasUsed > gas, `the real tx pays the fee too (${real.gasUsed} > ${gas})`);
  }
  await c.close();
});

test('queries (Allowance, Allowances, AllowancesByGranter) decode with cosmjs-types; genesis round trip keeps the app hash', async () => {
  const c = await TestChain.open();
  const d1 = signerFromPrivateKey(randomPrivateKey());
  const d2 = signerFromPrivateKey(randomPrivateKey());
  await c.block([
    c.tx(owner, [grantMsg(owner.address, d1.address, basic(777n, c.time + 1000n))]),
    c.tx(other, [grantMsg(other.address, d1.address, basic(5n))]),
  ]);
  await c.deliver(c.tx(owner, [grantMsg(owner.address, d2.address, basic(undefined))]));
  const raw = c.queryRaw('/cosmos.feegrant.v1beta1.Query/Allowance', T.QueryAllowanceRequest.encode({ granter: owner.address, grantee: d1.address }));
  assert.equal(raw.code, 0, raw.log);
  const cj = CjAllowanceRes.decode(raw.value);
  assert.equal(cj.allowance?.granter, owner.address);
  assert.equal(cj.allowance?.allowance?.typeUrl, '/cosmos.feegrant.v1beta1.BasicAllowance');
  assert.equal(CjBasic.decode(cj.allowance!.allowance!.value).spendLimit[0]!.amount, '777');
  const byGrantee = c.query('/cosmos.feegrant.v1beta1.Query/Allowances', T.QueryAllowancesRequest, { grantee: d1.address }, T.QueryAllowancesResponse);
  assert.deepEqual(byGrantee.allowances.map((g) => g.granter).sort(), [owner.address, other.address].sort());
  const byGranter = c.query('/cosmos.feegrant.v1beta1.Query/AllowancesByGranter', T.QueryAllowancesByGranterRequest, { granter: owner.address }, T.QueryAllowancesByGranterResponse);
  assert.deepEqual(byGranter.allowances.map((g) => g.grantee).sort(), [d1.address, d2.address].sort());
  const missing = c.queryRaw('/cosmos.feegrant.v1beta1.Query/Allowance', T.QueryAllowanceRequest.encode({ granter: other.address, grantee: d2.address }));
  assert.equal(missing.code, 5);

  const exported = c.app.exportGenesis();
  const fg = exported.feegrant as { allowances: { allowance: Record<string, unknown> }[] };
  assert.equal(fg.allowances.length, 3);
  assert.ok(fg.allowances.some((a) => a.allowance['@type'] === '/cosmos.feegrant.v1beta1.BasicAllowance' && typeof a.allowance.expiration === 'string'));
  const c2 = await TestChain.open({ ...c.genesis, app_state: exported });
  // c2 committed its genesis with one empty block; c's state is the same content.
  assert.deepEqual(diffDumps(c.dump(), c2.dump()), []);
  assert.equal(c2.appHash(), c.appHash());
  await c.close();
  await c2.close();
});

// The anchorable claim record (anchor-record.ts) in a real App: its byte layout, one record per
// (device, owner) ledger after a transfer, unchanged by claims, lowered (same epoch) by a clawback,
// provable from the committed store with the same proof format DepinAnchor verifies, and
// reproduced by a genesis export -> import. The invariant checker (run after every block here)
// also requires record = ledger for every ledger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { devKeys, TestChain } from '../../test/helpers/inproc.ts';
import { ProofDriver } from '../../test/helpers/proof-driver.ts';
import { formatRfc3339 } from '../../chain/genesis.ts';
import { RewardsHarness, msg } from '../../test/helpers/rewards-harness.ts';
import { rewardsGenesis, fleet, transferDevice, FLAT_REWARDS } from '../../test/helpers/rewards-fixtures.ts';
import { fromBech32 } from '../../chain/crypto/address.ts';
import { decodeProof, verifyProof } from '../../chain/store/proof.ts';
import { UNIT } from '../proofs/hooks.ts';
import { STORE_PREFIX } from './keys.ts';
import { ANCHOR_RECORD_KEY_PREFIX, anchorRecordId, anchorRecordKey, decodeAnchorRecord, encodeAnchorRecord } from './anchor-record.ts';
import type { Params } from './types.ts';

const [alice, bob, carol] = [devKeys[0]!, devKeys[1]!, devKeys[2]!];
const transfer = transferDevice;
const FLAT: Partial<Params> = { ...FLAT_REWARDS, fraudWithholdEpochs: 0 };

test('anchor record layout: key "rewards/" 0x13 u64 device owner20; value u64 epoch u128 cumulative bytes20 beneficiary, strict length', () => {
  const owner = fromBech32(alice.address);
  assert.equal(Buffer.from(ANCHOR_RECORD_KEY_PREFIX).toString(), 'rewards/\x13');
  assert.deepEqual(Buffer.from(anchorRecordKey(258n, alice.address)), Buffer.concat([Buffer.from('rewards/'), Buffer.from([0x13, 0, 0, 0, 0, 0, 0, 1, 2]), owner]));
  assert.deepEqual(anchorRecordId(258n, alice.address).length, 28);
  const cumulative = (1n << 64n) + 5n;
  const v = encodeAnchorRecord({ epoch: 7n, cumulative, beneficiary: owner });
  assert.equal(Buffer.from(v).toString('hex'), '0000000000000007' + '00000000000000010000000000000005' + Buffer.from(owner).toString('hex'));
  assert.deepEqual(decodeAnchorRecord(v), { epoch: 7n, cumulative, beneficiary: owner });
  assert.throws(() => decodeAnchorRecord(v.subarray(0, 43)), /44 bytes/);
  assert.throws(() => encodeAnchorRecord({ epoch: 1n, cumulative: 1n << 128n, beneficiary: owner }), /out of range/);
  assert.throws(() => encodeAnchorRecord({ epoch: 1n, cumulative: 1n, beneficiary: owner.subarray(1) }), /20 bytes/);
});

test('anchor records follow the (device, owner) ledgers: transfer, claims (unchanged), clawback (lower, same epoch), provable from the committed root, genesis round trip', async () => {
  const h = await RewardsHarness.open(rewardsGenesis(FLAT, fleet(2, { owners: [alice.address, carol.address] })));
  const stored = (id: bigint, owner: string) => {
    const raw = h.rewards.store(h.ctx()).get(anchorRecordKey(id, owner).subarray(STORE_PREFIX.length));
    return raw ? decodeAnchorRecord(raw) : undefined;
  };
  const rec = (epoch: bigint, cumulative: bigint, owner: string) => ({ epoch, cumulative, beneficiary: fromBech32(owner) });
  try {
    assert.equal(stored(1n, alice.address), undefined, 'no record before the first payout');
    h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    h.driver.verdict({ deviceId: 2n, sector: 1, valid: true, units: UNIT });
    const e1 = await h.finishEpoch();
    assert.deepEqual(stored(1n, alice.address), rec(e1.epoch, 500_000n, alice.address));
    // alice transfers device 1 to bob mid-epoch: two ledgers, two records, each with its owner as beneficiary
    h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    await h.block();
    assert.equal((await h.send(alice, [transfer(alice, 1n, bob.address)])).code, 0);
    const bobProof = h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    h.driver.verdict({ deviceId: 2n, sector: 1, valid: true, units: 2n * UNIT });
    const e2 = await h.finishEpoch();
    assert.deepEqual(stored(1n, alice.address), rec(e2.epoch, 750_000n, alice.address));
    assert.deepEqual(stored(1n, bob.address), rec(e2.epoch, 250_000n, bob.address));
    // an epoch without rewards for alice leaves her record (and its epoch) alone
    h.driver.verdict({ deviceId: 1n, sector: 1, valid: true, units: UNIT });
    const e3 = await h.finishEpoch();
    assert.deepEqual(stored(1n, alice.address), rec(e2.epoch, 750_000n, alice.address));
    assert.deepEqual(stored(1n, bob.address), rec(e3.epoch, 250_000n + 1_000_000n, bob.address));
    // claims on this chain do not change a cumulative record
    assert.equal((await h.send(alice, [msg('Claim', { owner: alice.address, deviceIds: [] })])).code, 0);
    assert.equal((await h.send(bob, [msg('Claim', { owner: bob.address, deviceIds: [1n] })])).code, 0);
    assert.deepEqual(stored(1n, alice.address), rec(e2.epoch, 750_000n, alice.address));
    // device 2's owner (carol) never claimed; reversing her paid e2 proof claws back from her
    // claimable balance: the record's cumulative drops by what was taken, its epoch stays
    const carolBefore = stored(2n, carol.address)!;
    const carolProof = h.driver.recorded.find((o) => o.deviceId === 2n && h.rewards.epochOfHeight(h.state(), o.height) === e2.epoch)!;
    h.driver.reverse(carolProof.proofId, alice.address);
    await h.block();
    const clawed = h.ledger(2n, carol.address).clawedBack;
    assert.ok(clawed > 0n, 'clawed back');
    assert.deepEqual(stored(2n, carol.address), { ...carolBefore, cumulative: carolBefore.cumulative - clawed });
    // bob's proof was already claimed: a reversal becomes debt, nothing to take, record unchanged
    const bobBefore = stored(1n, bob.address)!;
    h.driver.reverse(bobProof, alice.address);
    await h.block();
    assert.deepEqual(stored(1n, bob.address), bobBefore);

    // The committed store proves the record with the proof format DepinAnchor verifies.
    const key = anchorRecordKey(1n, alice.address);
    const q = h.chain.app.query({ path: '/store/key', data: key, prove: true });
    assert.equal(q.code, 0, q.log);
    assert.deepEqual(decodeAnchorRecord(q.value), rec(e2.epoch, 750_000n, alice.address));
    const proof = q.proofOps!.find((o) => o.type === 'depin:smt')!.data;
    const root = h.chain.app.info().lastBlockAppHash;
    assert.equal(verifyProof(root, key, q.value, decodeProof(proof)), true);
    const forged = encodeAnchorRecord({ ...decodeAnchorRecord(q.value), cumulative: 10n ** 12n });
    assert.equal(verifyProof(root, key, forged, decodeProof(proof)), false, 'a raised amount does not verify');

    // Genesis export -> import: the ledgers carry last_credited_epoch; the records come back equal
    // (the lifecycle test's full-store diff after an import covers them too).
    const json = JSON.parse(JSON.stringify(h.chain.app.exportGenesis()));
    assert.ok(json.rewards.ledgers.some((l: any) => l.last_credited_epoch === e2.epoch.toString()));
    const g = { ...h.chain.genesis, initial_height: String(h.height + 1n), genesis_time: formatRfc3339({ seconds: h.chain.time, nanos: 0 }), app_state: json };
    const c2 = await TestChain.open(g, { beforeRewards: new ProofDriver().module });
    try {
      for (const [id, owner] of [[1n, alice.address], [1n, bob.address], [2n, carol.address]] as const) {
        const k = anchorRecordKey(id, owner);
        assert.deepEqual(c2.app.query({ path: '/store/key', data: k }).value, h.chain.app.query({ path: '/store/key', data: k }).value, `record of device ${id} / ${owner} after import`);
      }
    } finally {
      await c2.close();
    }
  } finally {
    await h.close();
  }
});

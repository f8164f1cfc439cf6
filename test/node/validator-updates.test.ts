// The staking hook, in process with a real LevelDB node: validator updates returned by the app at
// block H change the set from H+2 (CometBFT), headers commit to the sets (next_validators_hash at
// H+1), the app sees who signed the last block, the sets survive a restart, invalid updates halt
// the node, and the app's genesis validators replace genesis.validators. The updates are injected
// around the real app's FinalizeBlock, so each case chooses them exactly (test/staking drives the
// staking module itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { DepinNode } from '../../node/node.ts';
import { App } from '../../chain/app.ts';
import { makeHome } from '../helpers/devnet.ts';
import { devValidatorKey } from '../../node/dev-genesis.ts';
import { ValidatorKey } from '../../node/validator-key.ts';
import { buildMethods } from '../../node/rpc/methods.ts';
import type { FinalizeBlockRequest, FinalizeBlockResult } from '../../chain/app.ts';
import type { ValidatorUpdate } from '../../chain/module.ts';

const dev = devValidatorKey();
const other = ValidatorKey.generate();

async function open(home: string): Promise<DepinNode> {
  return DepinNode.open({ home, config: { sigVerifyWorkers: 0 }, log: () => {} });
}

/** Wraps the app's FinalizeBlock: extra updates at chosen heights, and a record of each request. */
function inject(node: DepinNode, updates: Map<bigint, ValidatorUpdate[]>, seen: FinalizeBlockRequest[]): void {
  const real = node.app.finalizeBlock.bind(node.app);
  node.app.finalizeBlock = (req: FinalizeBlockRequest): FinalizeBlockResult => {
    seen.push(req);
    const res = real(req);
    return { ...res, validatorUpdates: [...res.validatorUpdates, ...(updates.get(req.height) ?? [])] };
  };
}

test('updates from block H take effect at H+2; headers, commits and the app follow; sets survive a restart', async () => {
  const home = makeHome();
  try {
    let node = await open(home);
    const seen: FinalizeBlockRequest[] = [];
    // Block 2: the dev validator goes to power 100 and a second validator joins with 10.
    inject(node, new Map([[2n, [{ pubKey: dev.publicKey, power: 100n }, { pubKey: other.publicKey, power: 10n }]]]), seen);
    for (let i = 0; i < 4; i++) await node.produceBlock();
    const set3 = (await node.valsets.get(3n))!;
    const set4 = (await node.valsets.get(4n))!;
    assert.equal(set3.size, 1, 'height 3 still has the old set');
    assert.equal(set3.validators[0]!.votingPower, 10n);
    assert.deepEqual(set4.validators.map((v) => v.votingPower), [100n, 10n], 'height 4 has the updated set');
    assert.equal(Buffer.compare(set4.validators[1]!.address, other.address), 0);
    // The newcomer entered at -1.125 x 110 = -123 (then centred and advanced once: it is not the proposer).
    assert.ok(set4.validators[1]!.proposerPriority < 0n, `newcomer priority ${set4.validators[1]!.proposerPriority}`);
    const b3 = (await node.blocks.loadBlock(3n))!.block;
    const b4 = (await node.blocks.loadBlock(4n))!.block;
    assert.deepEqual(Buffer.from(b3.header.nextValidatorsHash), Buffer.from(set4.hash()), 'block 3 commits to the set of height 4');
    assert.deepEqual(Buffer.from(b4.header.validatorsHash), Buffer.from(set4.hash()));
    const c4 = (await node.blocks.loadCommit(4n))!;
    assert.deepEqual(c4.signatures.map((s) => s.blockIdFlag), [2, 1], 'the newcomer is absent from the commit of 4');
    // The app hears who signed block 4 when block 5 executes: the newcomer did not.
    await node.produceBlock();
    const info5 = seen.find((r) => r.height === 5n)!.lastCommit!;
    assert.deepEqual(info5.map((v) => [Buffer.from(v.validatorAddress).toString('hex'), v.power, v.signed]), [
      [Buffer.from(dev.address).toString('hex'), 100n, true], [Buffer.from(other.address).toString('hex'), 10n, false],
    ]);
    // The validators RPC reports the real set with priorities, CometBFT-paginated.
    const methods = buildMethods(node, '127.0.0.1:0');
    const r = (await methods.validators!({ height: '4', per_page: '1', page: '2' })) as { validators: { address: string; voting_power: string; proposer_priority: string }[]; total: string; count: string };
    assert.equal(r.total, '2');
    assert.equal(r.count, '1');
    assert.equal(r.validators[0]!.address, Buffer.from(other.address).toString('hex').toUpperCase());
    assert.equal(r.validators[0]!.proposer_priority, set4.validators[1]!.proposerPriority.toString());
    await assert.rejects(async () => methods.validators!({ height: '4', per_page: '1', page: '3' }));
    const before = (await node.valsets.get(7n))!.hash();
    await node.stop();

    // After a restart the sets come from disk, priorities included.
    node = await open(home);
    assert.deepEqual((await node.valsets.get(7n))!.hash(), before);
    const seen2: FinalizeBlockRequest[] = [];
    // Block 6 removes the newcomer (power 0): gone from height 8.
    inject(node, new Map([[6n, [{ pubKey: other.publicKey, power: 0n }]]]), seen2);
    for (let i = 0; i < 3; i++) await node.produceBlock();
    assert.equal((await node.valsets.get(7n))!.size, 2);
    assert.equal((await node.valsets.get(8n))!.size, 1);
    // An update the set cannot take (removing an unknown validator) stops the node before it commits the block.
    inject(node, new Map([[9n, [{ pubKey: ValidatorKey.generate().publicKey, power: 0n }]]]), []);
    await assert.rejects(() => node.produceBlock(), /CONSENSUS FAILURE.*invalid validator updates/);
    await node.stop();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a non-empty validator set from the app at genesis replaces genesis.validators', async () => {
  const home = makeHome();
  const real = App.prototype.initChain;
  App.prototype.initChain = function (this: App, g) {
    const out = real.call(this, g);
    return { ...out, validators: [{ pubKey: dev.publicKey, power: 30n }, { pubKey: other.publicKey, power: 5n }] };
  };
  try {
    const node = await open(home);
    const set1 = (await node.valsets.get(1n))!;
    assert.deepEqual(set1.validators.map((v) => v.votingPower), [30n, 5n]);
    await node.produceBlock();
    const b1 = (await node.blocks.loadBlock(1n))!.block;
    assert.deepEqual(Buffer.from(b1.header.validatorsHash), Buffer.from(set1.hash()));
    await node.stop();
  } finally {
    App.prototype.initChain = real;
    rmSync(home, { recursive: true, force: true });
  }
});

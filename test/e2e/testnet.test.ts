// Four validators as separate depind processes over libp2p on loopback, plus a full node:
// they make blocks; one killed, the chain goes on; a second killed, it halts (2 of 4 < 2/3) without
// any disagreement; both restarted, it resumes; the full node joins from genesis by block sync
// (catching_up true, then false) and has the same block id, app hash and results hash at every
// height as every validator; unmodified CosmJS sends through one node and reads on another; a
// validator's double vote becomes evidence, committed once, and the slashing and staking modules
// jail it and take it out of the set, which consensus applies.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { SigningStargateClient, StargateClient, GasPrice, QueryClient, setupStakingExtension, setupSlashingExtension } from '@cosmjs/stargate';
import { connectComet } from '@cosmjs/tendermint-rpc';
import { fromBech32, toBech32, VALOPER_PREFIX, VALCONS_PREFIX } from '../../chain/crypto/address.ts';
import { deriveKey, cosmosHdPath } from '../../node/keys/hd.ts';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { makeCosmoshubPath } from '@cosmjs/amino';
import { DEV_MNEMONIC, rpcCall } from '../helpers/devnet.ts';
import { Testnet, waitHeight, waitUntil, maxHeight, assertSameChain } from '../helpers/testnet.ts';
import { makeHost } from '../helpers/p2p.ts';
import { join } from 'node:path';
import { sha256 } from '../../chain/crypto/hash.ts';
import { ValidatorKey } from '../../node/validator-key.ts';
import { TOPIC } from '../../node/p2p/topics.ts';
import { encodeConsensusMessage } from '../../node/consensus/codec.ts';
import { voteSignBytes } from '../../node/consensus/sign-bytes.ts';
import { EMPTY_BLOCK_ID } from '../../node/store/block-types.ts';

let net: Testnet | undefined;

after(() => net?.cleanup());

test('4 validators: liveness with 3, halt with 2, resume, full node sync, CosmJS across nodes, equivocation evidence → slash, jail, set change', { timeout: 170_000 }, async (t) => {
  net = await Testnet.create({ validators: 4, fullNodes: 1, blockTimeMs: 200, timeoutProposeMs: 1000 });
  const [v0, v1, v2, v3, full] = net.nodes as [typeof net.nodes[0], typeof net.nodes[0], typeof net.nodes[0], typeof net.nodes[0], typeof net.nodes[0]];
  const vals = [v0, v1, v2, v3];
  try {
    await Promise.all(vals.map((n) => n.start()));
    await waitHeight(vals, 3n, 40_000);

    // The RPC reports the real validator set, peers and sync state.
    const vs = await rpcCall(v0.rpc, 'validators', {});
    assert.equal(vs.result.total, '4');
    assert.ok(vs.result.validators.every((v: { voting_power: string }) => v.voting_power === '10'));
    const st = await rpcCall(v1.rpc, 'status');
    assert.equal(st.result.validator_info.voting_power, '10');
    assert.equal(st.result.sync_info.catching_up, false);
    assert.match(st.result.node_info.id, /^[0-9a-f]{40}$/);
    await waitUntil('3 peers in net_info', async () => Number((await rpcCall(v2.rpc, 'net_info')).result.n_peers) >= 3, 10_000);
    const commit = await rpcCall(v0.rpc, 'commit', { height: '2' });
    const signed = commit.result.signed_header.commit.signatures.filter((s: { block_id_flag: number }) => s.block_id_flag === 2);
    assert.ok(signed.length >= 3, `commit of height 2 carries ${signed.length} block signatures`);
    assert.ok(signed.every((s: { signature: string }) => Buffer.from(s.signature, 'base64').length === 64));

    // Unmodified CosmJS: send through validator 0, read the tx and balances on validator 2.
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [0, 1].map((i) => makeCosmoshubPath(i)) });
    const [A] = (await wallet.getAccounts()).map((a) => a.address);
    const fresh = 'depin1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc53d5ev8';
    const sender = await SigningStargateClient.connectWithSigner(v0.rpc, wallet, { gasPrice: GasPrice.fromString('0.025udpin'), broadcastPollIntervalMs: 200 });
    const res = await sender.sendTokens(A!, fresh, [{ denom: 'udpin', amount: '4242' }], 'auto', 'across nodes');
    assert.equal(res.code, 0, res.rawLog ?? '');
    sender.disconnect();
    const reader = await StargateClient.connect(v2.rpc);
    await waitUntil('tx indexed on validator 2', async () => !!(await reader.getTx(res.transactionHash)), 20_000);
    const tx = (await reader.getTx(res.transactionHash))!;
    assert.equal(tx.height, res.height);
    assert.equal(tx.code, 0);
    assert.deepEqual(await reader.getBalance(fresh, 'udpin'), { denom: 'udpin', amount: '4242' });
    reader.disconnect();
    t.diagnostic(`CosmJS tx in block ${res.height} via node0, read on node2`);

    // Kill -9 one validator: 30 of 40 power remains (> 2/3); the chain goes on.
    await v3.kill();
    const h0 = await maxHeight([v0, v1, v2]);
    await waitHeight([v0, v1, v2], h0 + 4n, 40_000);
    t.diagnostic(`one validator down: ${h0} -> ${h0 + 4n}`);

    // Kill a second: 20 of 40 (not > 2/3); no block can be committed.
    await v2.kill();
    await new Promise((r) => setTimeout(r, 2_500)); // a height already precommitted by 3 may still complete
    const stuck = [await v0.height(), await v1.height()];
    const top = stuck[0]! > stuck[1]! ? stuck[0]! : stuck[1]!;
    await new Promise((r) => setTimeout(r, 4_000));
    const later = [await v0.height(), await v1.height()];
    // One of the two may still fetch the last decided block from the other; nobody goes past it.
    assert.ok(later.every((h) => h <= top), `no block without 2/3 of the power: ${stuck} then ${later}`);
    t.diagnostic(`halted at ${later}`);

    // Restart both: the chain resumes.
    await Promise.all([v2.start(), v3.start()]);
    await waitHeight(vals, top + 3n, 60_000);
    t.diagnostic(`resumed: all four at ${top + 3n} or above`);

    // A full node joins from genesis, syncs, and then follows.
    const seen: boolean[] = [];
    await full.start();
    await waitUntil('full node caught up', async () => {
      const s = await full.status();
      seen.push(s.catchingUp);
      return !s.catchingUp && s.height >= top + 3n;
    }, 60_000, 20);
    assert.equal(seen[0], true, 'catching_up is true while the full node syncs');
    const target = (await maxHeight(vals)) + 2n;
    await waitHeight([...vals, full], target, 30_000);
    const heights = await assertSameChain(net.nodes);
    assert.ok(heights >= target);
    t.diagnostic(`same block id, app hash and results hash at all ${heights} heights on 5 nodes`);
    const fs = await rpcCall(full.rpc, 'status');
    assert.equal(fs.result.validator_info.voting_power, '0');

    // Equivocation: two conflicting prevotes signed with validator 3's key (as a second machine
    // running the same key would) reach the validators over libp2p; the engines turn them into
    // duplicate-vote evidence, which is gossiped, put in a block once, and agreed on by every node.
    const key3 = ValidatorKey.load(join(v3.home, 'config', 'priv_validator_key.json'));
    const host = await makeHost({ persistentPeers: [v0.p2pAddr, v1.p2pAddr] });
    host.subscribe(TOPIC.vote, {});
    await host.start();
    try {
      await waitUntil('mesh with the validators', async () => host.topicPeers(TOPIC.vote).length >= 2, 15_000);
      const found = async () => {
        const out: { height: bigint; key: string }[] = [];
        const top = await v0.height();
        for (let h = 1n; h <= top; h++) {
          const b = await rpcCall(v0.rpc, 'block', { height: h.toString() });
          for (const e of b.result.block.evidence.evidence ?? []) {
            const a = e.value.vote_a;
            out.push({ height: h, key: `${a.validator_address}/${a.height}/${a.round}/${a.type}` });
          }
        }
        return out;
      };
      for (let attempt = 0; attempt < 10 && (await found()).length === 0; attempt++) {
        const h = (await v0.height()) + 1n;
        const set = await rpcCall(v0.rpc, 'validators', { height: h.toString() });
        const index = set.result.validators.findIndex((v: { address: string }) => v.address === key3.toFile().address);
        for (const height of [h, h + 1n]) {
          for (const blockId of [{ hash: sha256(new Uint8Array([attempt, 1])), partSetHeader: { total: 1, hash: sha256(new Uint8Array([attempt, 2])) } }, EMPTY_BLOCK_ID]) {
            const unsigned = { type: 1 as const, height, round: 0, blockId, timestamp: { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 }, validatorAddress: key3.address, validatorIndex: index };
            await host.publish(TOPIC.vote, encodeConsensusMessage({ vote: { ...unsigned, signature: key3.sign(voteSignBytes('depin-testnet-1', unsigned)) } }));
          }
        }
        await waitUntil('evidence in a block', async () => (await found()).length > 0, 4_000).catch(() => {});
      }
      await waitHeight([...vals, full], (await v0.height()) + 2n, 30_000);
      const evidence = await found();
      assert.ok(evidence.length >= 1, 'the double vote was committed as evidence');
      assert.ok(evidence.every((e) => e.key.startsWith(key3.toFile().address + '/')), 'only validator 3 is accused');
      assert.equal(new Set(evidence.map((e) => e.key)).size, evidence.length, 'each offence is committed once');
      // The slashing module (fed the evidence as misbehavior) tombstones, slashes and jails
      // validator 3; staking removes it from the set, which consensus applies two heights later.
      await waitUntil('validator 3 leaves the set', async () => (await rpcCall(v0.rpc, 'validators', {})).result.total === '3', 20_000);
      const comet = await connectComet(v1.rpc);
      try {
        const q = QueryClient.withExtensions(comet, setupStakingExtension, setupSlashingExtension);
        const valoper3 = toBech32(VALOPER_PREFIX, fromBech32(deriveKey(DEV_MNEMONIC, cosmosHdPath(3)).address));
        const jailed = (await q.staking.validator(valoper3)).validator;
        assert.equal(jailed.jailed, true);
        assert.ok(BigInt(jailed.tokens) < 10_000_000n, `slashed: ${jailed.tokens} tokens left of 10000000`);
        const info = (await q.slashing.signingInfo(toBech32(VALCONS_PREFIX, key3.address))).valSigningInfo;
        assert.equal(info.tombstoned, true);
      } finally {
        comet.disconnect();
      }
      // The three others go on.
      await waitHeight([v0, v1, v2], (await v0.height()) + 3n, 30_000);
      const again = await assertSameChain(net.nodes);
      t.diagnostic(`evidence committed at heights ${evidence.map((e) => e.height)} for ${evidence.map((e) => e.key)}; validator 3 slashed, jailed, tombstoned and out of the set; all 5 nodes agree on ${again} heights`);
    } finally {
      await host.stop();
    }
  } catch (err) {
    throw new Error(`${(err as Error).stack}\n${net.logs(25)}`);
  } finally {
    await net.stopAll();
  }
});

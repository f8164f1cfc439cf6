// kill -9 one of four validators at random moments, many times, while txs flow: each time it
// restarts (WAL replay, double-sign protected signer), catches up and votes again; the chain never
// forks and the validator never signs two different votes for one height/round/type.
//
// What is checked, concretely: every node appends every vote it signs or accepts (signature
// verified) to a vote log (config consensus.voteLog); every precommit in every stored commit is
// added from the `commit` RPC of a node that was never killed. Across all of them, no (validator,
// height, round, type) may carry two different block ids. No block may carry evidence (an
// equivocation seen by any honest validator would be turned into evidence and committed). Block
// ids, app hashes and results hashes agree on all four nodes at every height.
//
// DEPIND_CRASH_CYCLES (default 5) sets the number of kills; `npm run soak` runs 50.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rpcCall } from '../helpers/devnet.ts';
import { Testnet, waitHeight, waitUntil, maxHeight, assertSameChain, type TestNode } from '../helpers/testnet.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from '../../node/keys/hd.ts';
import { signTx } from '../../chain/tx/builder.ts';
import { MsgSend } from '../../modules/bank/types.ts';

const CYCLES = Number(process.env.DEPIND_CRASH_CYCLES ?? 5);
const keys = Array.from({ length: 4 }, (_, i) => deriveKey(DEV_MNEMONIC, cosmosHdPath(i)));
const sink = 'depin1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc53d5ev8';

function send(from: number, seq: bigint): string {
  const bytes = signTx(
    { messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: keys[from]!.address, toAddress: sink, amount: [{ denom: 'udpin', amount: '1' }] }) }], fee: [{ denom: 'udpin', amount: '1000' }], gasLimit: 150000n },
    { privateKey: keys[from]!.privateKey, chainId: 'depin-testnet-1', accountNumber: BigInt(from), sequence: seq },
  );
  return Buffer.from(bytes).toString('base64');
}

/** Sends txs from 4 accounts to the given (never killed) node until stopped; sequences follow the chain. */
function pump(node: TestNode) {
  let stop = false;
  let accepted = 0;
  const seqs = [0n, 0n, 0n, 0n];
  const done = (async () => {
    while (!stop) {
      await Promise.all(keys.map(async (_, i) => {
        const r = await rpcCall(node.rpc, 'broadcast_tx_sync', { tx: send(i, seqs[i]!) }).catch(() => undefined);
        if (r?.result?.code === 0) {
          accepted++;
          seqs[i]!++;
        } else if (r?.result?.code === 32) {
          const m = /expected (\d+)/.exec(r.result.log);
          if (m) seqs[i] = BigInt(m[1]!);
        }
      }));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return async () => {
    stop = true;
    await done;
    return accepted;
  };
}

let net: Testnet | undefined;
after(() => net?.cleanup());

test(`kill -9 a validator ${CYCLES} times at random moments: it restarts, catches up, never double-signs`, { timeout: 120_000 + CYCLES * 15_000 }, async (t) => {
  net = await Testnet.create({ validators: 4, blockTimeMs: 200, timeoutProposeMs: 1000, voteLog: true });
  const [v0, victim, v2, v3] = net.nodes as [TestNode, TestNode, TestNode, TestNode];
  const others = [v0, v2, v3];
  let resumedFromWal = 0;
  try {
    await Promise.all(net.nodes.map((n) => n.start()));
    await waitHeight(net.nodes, 3n, 40_000);
    const stopPump = pump(v0);
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      // Every other cycle a second validator is down too, so the chain cannot move without the
      // victim: it halts with the victim mid-height, and the victim must resume that height from its
      // WAL and signer state (the others hold its earlier votes) instead of catching up by sync.
      const needed = cycle % 2 === 0;
      if (needed) await v3.kill();
      const runMs = 300 + Math.floor(Math.random() * 1500);
      await new Promise((r) => setTimeout(r, runMs));
      if (needed) {
        // Pull the plug right after the victim signed a vote of a height it has not stored yet.
        await waitUntil('a fresh vote of the victim', async () => {
          const last = victim.votes().at(-1);
          return !!last && BigInt(last.h) > (await victim.height());
        }, 5_000, 5).catch(() => {});
      }
      await victim.kill();
      const downMs = Math.floor(Math.random() * 800);
      await new Promise((r) => setTimeout(r, downMs));
      const before = victim.log.length;
      await victim.start();
      if (needed) {
        await waitHeight([v0, victim, v2], (await maxHeight([v0, v2])) + 2n, 40_000);
        await v3.start();
      }
      const target = (await maxHeight(others)) + 1n;
      await waitHeight([victim, ...(needed ? [v3] : [])], target, 40_000);
      if (/resumed height \d+ from \d+ WAL records/.test(victim.log.slice(before))) resumedFromWal++;
      t.diagnostic(`cycle ${cycle}: ${needed ? 'with a second validator down, ' : ''}killed after ${runMs} ms, down ${downMs} ms, caught up to ${target}`);
    }
    const accepted = await stopPump();
    // All four keep making blocks together after the last restart.
    const end = (await maxHeight(net.nodes)) + 3n;
    await waitHeight(net.nodes, end, 40_000);
    const victimAddr = (await rpcCall(victim.rpc, 'status')).result.validator_info.address as string;
    await net.stopAll();

    // Double-sign check over every observed vote and every stored commit signature.
    const slots = new Map<string, Set<string>>();
    const add = (v: string, h: string, r: number, type: string, block: string) => {
      const k = `${v}/${h}/${r}/${type}`;
      const s = slots.get(k) ?? new Set<string>();
      s.add(block);
      slots.set(k, s);
    };
    for (const n of net.nodes) for (const v of n.votes()) add(v.v.toUpperCase(), v.h, v.r, v.t, v.b.toUpperCase());
    // Commits are read from node 0 (never killed), restarted just for the read.
    await v0.start();
    const top = await v0.height();
    let evidence = 0;
    for (let h = 1n; h <= top; h++) {
      const c = (await rpcCall(v0.rpc, 'commit', { height: h.toString() })).result.signed_header.commit;
      for (const s of c.signatures as { block_id_flag: number; validator_address: string }[]) {
        if (s.block_id_flag === 2) add(s.validator_address, c.height, c.round, 'precommit', c.block_id.hash);
        if (s.block_id_flag === 3) add(s.validator_address, c.height, c.round, 'precommit', 'NIL');
      }
      const b = await rpcCall(v0.rpc, 'block', { height: h.toString() });
      evidence += (b.result.block.evidence.evidence ?? []).length;
    }
    await v0.stop();
    const conflicts = [...slots].filter(([, s]) => s.size > 1);
    assert.deepEqual(conflicts.map(([k, s]) => `${k}: ${[...s].join(' vs ')}`), [], 'a validator signed two different votes for one height/round/type');
    assert.equal(evidence, 0, 'no block carries double-sign evidence');
    const victimSlots = [...slots.keys()].filter((k) => k.startsWith(victimAddr + '/')).length;
    assert.ok(victimSlots > 20, `only ${victimSlots} votes of the restarted validator observed`);
    t.diagnostic(`${slots.size} vote slots checked (${victimSlots} of the killed validator), ${top} heights, ${accepted} txs accepted, ${resumedFromWal} restarts resumed a height from the WAL`);

    for (const n of net.nodes) await n.start();
    const heights = await assertSameChain(net.nodes);
    t.diagnostic(`no fork over ${heights} heights`);
  } catch (err) {
    throw new Error(`${(err as Error).stack}\n${net.logs(25)}`);
  } finally {
    await net.stopAll();
  }
});

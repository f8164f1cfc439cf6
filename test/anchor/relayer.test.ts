// The relayer's submission state machine against a real anvil: a checkpoint lands exactly once
// through dropped transactions, an Ethereum node restart, a relayer restart (journal), a nonce gap,
// a nonce taken by another transaction and a fee bump; and no transaction of the relayer ever
// reverts (no CheckpointOutOfOrder duplicate). anvil's mining is switched off where a test needs
// a transaction to stay pending.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { packSignatures, type Checkpoint } from '../../chain/anchor/checkpoint.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { startAnvil, ANVIL_MNEMONIC, type Anvil } from '../../node/anchor/anvil.ts';
import { ethClients, depinAnchorAbi, type EthClients } from '../../node/anchor/anchor-contract.ts';
import { EthRelayer, type StepResult, type SubmitJob } from '../../node/anchor/relayer.ts';
import { deployAnchor, makeValidatorSet, sign, type AnchorEnv } from '../helpers/anchor.ts';

const relayerAccount = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 1 });
let anvil: Anvil;
let c: EthClients;
let env: AnchorEnv;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'depin-relayer-'));
  anvil = await startAnvil({ stateFile: join(dir, 'anvil-state.json') });
  c = ethClients(anvil.url, anvil.chainId);
  env = await deployAnchor(c, anvil, 'depin-relayer-1', makeValidatorSet([10n, 20n, 30n]));
});
after(async () => {
  await anvil?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const rpc = async (method: string, params: unknown[] = []) => {
  const res = await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
};
const automine = (on: boolean) => rpc('evm_setAutomine', [on]);
const mine = () => rpc('evm_mine');

function relayer(opts: { journal?: string; replaceAfterMs?: number } = {}): EthRelayer {
  return new EthRelayer({ url: anvil.url, ethChainId: anvil.chainId, contract: env.anchor, account: relayerAccount, journalPath: opts.journal ?? join(dir, `journal-${Math.random()}.json`), replaceAfterMs: opts.replaceAfterMs ?? 60_000 });
}

async function nextJob(): Promise<SubmitJob> {
  const cp: Checkpoint = await env.next(sha256(new TextEncoder().encode(`root-${Date.now()}-${Math.random()}`)));
  return { checkpoint: cp, validators: env.vals.set, signatures: packSignatures(sign(env.domain, cp, env.vals.keys.filter((k) => k.power !== 10n))) };
}

/** Steps until landed (at most `max` rounds), returning every result. */
async function untilLanded(r: EthRelayer, job: SubmitJob, max = 10, between?: () => Promise<unknown>): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (let i = 0; i < max; i++) {
    const res = await r.step(job);
    results.push(res);
    if (res === 'landed') return results;
    await between?.();
  }
  throw new Error(`not landed after ${max} rounds: ${results.join(', ')}`);
}

const nonceOf = async () => BigInt(await c.public.getTransactionCount({ address: relayerAccount.address, blockTag: 'latest' }));

/** Every transaction the relayer's account ever mined, with its receipt status and, for submissions, the checkpoint number. */
async function relayerTxs(): Promise<{ hash: Hex; status: string; number?: bigint }[]> {
  const out: { hash: Hex; status: string; number?: bigint }[] = [];
  const head = await c.public.getBlockNumber({ cacheTime: 0 });
  for (let b = 0n; b <= head; b++) {
    const block = await c.public.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== relayerAccount.address.toLowerCase()) continue;
      const receipt = await c.public.getTransactionReceipt({ hash: tx.hash });
      const number = tx.to?.toLowerCase() === env.anchor.toLowerCase() && tx.input.length > 10 ? BigInt('0x' + tx.input.slice(10, 74)) : undefined;
      out.push({ hash: tx.hash, status: receipt.status, number });
    }
  }
  return out;
}

async function submittedEvents(n: bigint): Promise<number> {
  const logs = await c.public.getContractEvents({ address: env.anchor, abi: depinAnchorAbi, eventName: 'CheckpointSubmitted', args: { number: n }, fromBlock: 0n });
  return logs.length;
}

test('normal path: sent, then landed; findLanded reports the transaction; a landed checkpoint is not sent again', async () => {
  const r = relayer();
  const job = await nextJob();
  assert.equal(await r.findLanded(job.checkpoint), undefined);
  const results = await untilLanded(r, job);
  assert.deepEqual(results, ['sent', 'landed']);
  const landed = (await r.findLanded(job.checkpoint))!;
  const receipt = await c.public.getTransactionReceipt({ hash: `0x${Buffer.from(landed.txHash).toString('hex')}` });
  assert.equal(receipt.status, 'success');
  assert.equal(receipt.blockNumber, landed.blockNumber);
  const before = await nonceOf();
  assert.equal(await r.step(job), 'landed', 'already stored: nothing sent');
  assert.equal(await nonceOf(), before);
  assert.equal(r.journal.numbers().length, 0);
});

test('a dropped transaction is re-broadcast as the same bytes and lands once', async () => {
  const r = relayer();
  const job = await nextJob();
  const n0 = await nonceOf();
  await automine(false);
  try {
    assert.equal(await r.step(job), 'sent');
    const hash = r.journal.get(job.checkpoint.number)!.txs[0]!.hash;
    await rpc('anvil_dropTransaction', [hash]);
    assert.equal(await r.step(job), 'rebroadcast');
    assert.equal(r.journal.get(job.checkpoint.number)!.txs.length, 1, 'no new signature');
    await mine();
  } finally {
    await automine(true);
  }
  assert.equal(await r.step(job), 'landed');
  assert.equal(await nonceOf(), n0 + 1n, 'exactly one transaction');
  assert.equal(await submittedEvents(job.checkpoint.number), 1);
});

test('anvil restarted with the submission pending: the relayer resends the journaled bytes; it lands once', async () => {
  const r = relayer();
  const job = await nextJob();
  const n0 = await nonceOf();
  await automine(false);
  assert.equal(await r.step(job), 'sent');
  const signed = r.journal.get(job.checkpoint.number)!.txs[0]!.hash;
  await anvil.stop();
  // Ethereum unreachable: a step fails (the caller backs off) and changes nothing.
  await assert.rejects(r.step(job));
  assert.equal(r.journal.get(job.checkpoint.number)!.txs.length, 1);
  anvil = await anvil.restart(); // automine is on again after a restart
  // anvil 1.7.1 does not keep its transaction pool across a restart: the relayer must resend.
  assert.deepEqual(await untilLanded(r, job), ['rebroadcast', 'landed']);
  assert.equal(await nonceOf(), n0 + 1n, 'exactly one transaction');
  assert.equal(await submittedEvents(job.checkpoint.number), 1);
  const landed = (await r.findLanded(job.checkpoint))!;
  assert.equal(`0x${Buffer.from(landed.txHash).toString('hex')}`, signed, 'the journaled transaction is the one that landed');
});

test('a relayer restarted mid-submission finds its journaled nonce and does not sign a second submission', async () => {
  const journal = join(dir, 'journal-restart.json');
  const job = await nextJob();
  const n0 = await nonceOf();
  await automine(false);
  try {
    assert.equal(await relayer({ journal }).step(job), 'sent');
    const again = relayer({ journal }); // a new process reading the same journal
    assert.equal(await again.step(job), 'waiting');
    assert.equal(again.journal.get(job.checkpoint.number)!.txs.length, 1);
    await mine();
    assert.equal(await again.step(job), 'landed');
  } finally {
    await automine(true);
  }
  assert.equal(await nonceOf(), n0 + 1n);
  assert.equal(await submittedEvents(job.checkpoint.number), 1);
});

test('a nonce gap below the submission is filled with a self-transfer, never a second submission', async () => {
  const r = relayer();
  const job = await nextJob();
  const n0 = await nonceOf();
  await automine(false);
  try {
    // An earlier transaction of the account (nonce n0) is pending, the submission goes above it...
    const filler = await relayerAccount.signTransaction({ chainId: Number(anvil.chainId), type: 'eip1559', to: relayerAccount.address, value: 1n, nonce: Number(n0), gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n });
    await rpc('eth_sendRawTransaction', [filler]);
    assert.equal(await r.step(job), 'sent');
    assert.equal(r.journal.get(job.checkpoint.number)!.nonce, (n0 + 1n).toString());
    // ...and then vanishes: the submission cannot be mined until the hole is filled.
    await rpc('anvil_dropTransaction', [keccak256(filler)]);
    await mine();
    assert.equal(await nonceOf(), n0, 'nothing mined across the gap');
    assert.equal(await r.step(job), 'gap-filled');
    await mine();
  } finally {
    await automine(true);
  }
  const results = await untilLanded(r, job, 5, mine);
  assert.equal(results[results.length - 1], 'landed');
  assert.equal(await nonceOf(), n0 + 2n, 'the filler and the submission');
  assert.equal(await submittedEvents(job.checkpoint.number), 1);
});

test('a nonce taken by another transaction: a new submission with a fresh nonce lands once', async () => {
  const r = relayer();
  const job = await nextJob();
  const n0 = await nonceOf();
  await automine(false);
  try {
    assert.equal(await r.step(job), 'sent');
    // Another process using the same key replaces our pending transaction (higher fees, same nonce).
    const other = await relayerAccount.signTransaction({ chainId: Number(anvil.chainId), type: 'eip1559', to: relayerAccount.address, value: 0n, nonce: Number(n0), gas: 21_000n, maxFeePerGas: 10n ** 12n, maxPriorityFeePerGas: 10n ** 11n });
    await rpc('eth_sendRawTransaction', [other]);
    await mine();
    assert.equal(await r.step(job), 'waiting', 'first sighting: look again');
    assert.equal(await r.step(job), 'nonce-taken');
    assert.equal(await r.step(job), 'sent');
    assert.equal(r.journal.get(job.checkpoint.number)!.nonce, (n0 + 1n).toString());
    await mine();
  } finally {
    await automine(true);
  }
  assert.equal(await r.step(job), 'landed');
  assert.equal(await submittedEvents(job.checkpoint.number), 1);
});

test('a submission pending too long is re-signed with higher fees and the same nonce; only one is mined', async () => {
  const r = relayer({ replaceAfterMs: 0 });
  const job = await nextJob();
  const n0 = await nonceOf();
  await automine(false);
  try {
    assert.equal(await r.step(job), 'sent');
    assert.equal(await r.step(job), 'replaced');
    const sub = r.journal.get(job.checkpoint.number)!;
    assert.equal(sub.txs.length, 2);
    assert.ok(BigInt(sub.txs[1]!.maxFeePerGas) > BigInt(sub.txs[0]!.maxFeePerGas));
    await mine();
  } finally {
    await automine(true);
  }
  assert.equal(await r.step(job), 'landed');
  assert.equal(await nonceOf(), n0 + 1n);
  assert.equal(await submittedEvents(job.checkpoint.number), 1);
});

test('a checkpoint landed by another submitter is not sent; no relayer transaction ever reverted', async () => {
  const job = await nextJob();
  await env.submit(job.checkpoint); // account 0 lands it
  const r = relayer();
  const before = await nonceOf();
  assert.equal(await r.step(job), 'landed');
  assert.equal(await nonceOf(), before);
  const txs = await relayerTxs();
  assert.ok(txs.length >= 7, `relayer transactions: ${txs.length}`);
  assert.deepEqual(txs.filter((t) => t.status !== 'success'), [], 'no reverted transaction');
  const perNumber = new Map<bigint, number>();
  for (const t of txs) if (t.number !== undefined) perNumber.set(t.number, (perNumber.get(t.number) ?? 0) + 1);
  assert.ok([...perNumber.values()].every((k) => k === 1), `one submission per checkpoint: ${[...perNumber]}`);
});

// Gas of the Ethereum anchor on a fresh anvil (pinned hardfork): submitCheckpoint for 4, 7, 10
// and 21 validators (all signing, and the smallest quorum), and verifyState / verifyAbsence /
// RewardClaimVerifier.claim against a real MerkleStore root of 10^4 and 10^5 keys.
// "execution" gas is what the EVM spends past the intrinsic and calldata cost, read from
// debug_traceCall's opcode log (first step's gas left - last step's + its cost); "tx" gas is
// eth_estimateGas for a transaction making the call (21,000 + calldata incl. the EIP-7623 floor +
// execution). Run: npx node bench/anchor.bench.ts [keys,keys] [samples]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { encodeFunctionData, bytesToHex, type Hex } from 'viem';
import { MerkleStore } from '../chain/store/merkle-store.ts';
import { encodeProof } from '../chain/store/proof.ts';
import { sha256 } from '../chain/crypto/hash.ts';
import type { Write } from '../chain/store/kv.ts';
import { packSignatures } from '../chain/anchor/checkpoint.ts';
import { startAnvil, anvilBinary, ANVIL_HARDFORK, type Anvil } from '../node/anchor/anvil.ts';
import { ethClients, depinAnchorAbi, rewardClaimVerifierAbi, deployRewardClaimVerifier, encodeSubmitCheckpoint, type EthClients } from '../node/anchor/anchor-contract.ts';
import { deployAnchor, makeValidatorSet, sign, type AnchorEnv } from '../test/helpers/anchor.ts';
import { machine, fmt, percentile } from './machine.ts';
import { execFileSync } from 'node:child_process';

const h = (b: Uint8Array): Hex => bytesToHex(b);
const enc = (s: string) => new TextEncoder().encode(s);
const median = (xs: bigint[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[xs.length >> 1]!;

/** Execution gas of a call (no intrinsic, no calldata), from the opcode trace. */
async function executionGas(anvil: Anvil, from: Hex, to: Hex, data: Hex): Promise<bigint> {
  const res = await fetch(anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'debug_traceCall', params: [{ from, to, data }, 'latest', { disableStack: true, disableMemory: true, disableStorage: true }] }),
  });
  const body = (await res.json()) as { result?: { failed: boolean; structLogs: { gas: number; gasCost: number }[] }; error?: { message: string } };
  if (!body.result || body.result.failed) throw new Error(`debug_traceCall failed: ${body.error?.message ?? 'reverted'}`);
  const logs = body.result.structLogs;
  const last = logs[logs.length - 1]!;
  return BigInt(logs[0]!.gas - last.gas + last.gasCost);
}

export interface AnchorBenchResult {
  checkpointGas: Record<number, { all: bigint; quorum: bigint; first: bigint; calldataBytes: number }>;
  proofs: Record<number, { memberExec: bigint; memberTx: bigint; absentExec: bigint; absentTx: bigint; memberDepth: number; claimTx: bigint }>;
}

export async function runAnchorBench(sizes = [10_000, 100_000], samples = 40): Promise<AnchorBenchResult> {
  const version = execFileSync(anvilBinary(), ['--version'], { encoding: 'utf8' }).split('\n')[0];
  console.log(`\n# Ethereum anchor gas (${machine()}; ${version}, hardfork ${ANVIL_HARDFORK}, fresh chain)`);
  const anvil = await startAnvil();
  const result: AnchorBenchResult = { checkpointGas: {}, proofs: {} };
  try {
    const c = ethClients(anvil.url, anvil.chainId);
    console.log('\nsubmitCheckpoint, equal powers; "first" = checkpoint 1 (zero slots become non-zero), then the median of checkpoints 2-5');
    console.log('validators | signers | first     | steady    | calldata');
    for (const n of [4, 7, 10, 21]) {
      const quorum = Math.floor((2 * n) / 3) + 1;
      const env = await deployAnchor(c, anvil, 'depin-bench-1', makeValidatorSet(Array(n).fill(100n)));
      const row = { all: 0n, quorum: 0n, first: 0n, calldataBytes: 0 };
      for (const [label, signers] of [
        ['all', n],
        ['quorum', quorum],
      ] as const) {
        const gas: bigint[] = [];
        for (let i = 0; i < 5; i++) {
          const cp = await env.next(sha256(enc(`${n}/${label}/${i}`)));
          const keys = env.vals.keys.slice(0, signers);
          const receipt = await env.submit(cp, keys);
          if (label === 'all' && i === 0) {
            row.first = receipt.gasUsed;
            row.calldataBytes = (encodeSubmitCheckpoint(cp, env.vals.set, packSignatures(sign(env.domain, cp, keys))).length - 2) / 2;
          } else gas.push(receipt.gasUsed);
        }
        row[label] = median(gas);
        console.log(`${String(n).padStart(10)} | ${String(signers).padStart(7)} | ${label === 'all' ? fmt(Number(row.first)).padStart(9) : '        -'} | ${fmt(Number(row[label])).padStart(9)} | ${label === 'all' ? row.calldataBytes + ' B' : ''}`);
      }
      result.checkpointGas[n] = row;
    }
    const env = await deployAnchor(c, anvil, 'depin-bench-1', makeValidatorSet([1n, 1n, 1n, 1n]));
    for (const keys of sizes) result.proofs[keys] = await proofBench(env, c, keys, samples);
    console.log(`(chain height at the end: ${await c.public.getBlockNumber()})`);
  } finally {
    await anvil.stop();
  }
  return result;
}

async function proofBench(env: AnchorEnv, c: EthClients, keys: number, samples: number) {
  const dir = mkdtempSync(join(tmpdir(), 'depin-anchor-bench-'));
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  try {
    const store = await MerkleStore.open(db);
    const prefix = Uint8Array.of(...enc('rewards/'), 0x01);
    const keyOf = (i: number) => Uint8Array.of(...prefix, ...sha256(enc(`device-${i}`)).subarray(0, 20)); // 29-byte keys
    const valueOf = (i: number) => {
      const v = new Uint8Array(44); // the reward record: u64 epoch ‖ u128 cumulative ‖ beneficiary
      new DataView(v.buffer).setBigUint64(0, 7n);
      new DataView(v.buffer).setBigUint64(16, BigInt(i) * 1_000_000n + 1n);
      v.fill(0x42, 24);
      return v;
    };
    const t0 = performance.now();
    const writes: Write[] = Array.from({ length: keys }, (_, i) => [keyOf(i), valueOf(i)]);
    store.stage(writes);
    const root = await store.commit(1);
    const buildMs = performance.now() - t0;
    const cp = await env.next(root);
    await env.submit(cp);

    const from = c.account.address;
    const memberExec: bigint[] = [];
    const memberTx: bigint[] = [];
    const depths: number[] = [];
    const absentExec: Record<'empty' | 'otherLeaf', bigint[]> = { empty: [], otherLeaf: [] };
    const absentTx: bigint[] = [];
    for (let s = 0; s < samples; s++) {
      const i = Math.floor(((s + 0.5) * keys) / samples);
      const p = store.prove(keyOf(i));
      depths.push(p.siblings.length);
      const data = encodeFunctionData({ abi: depinAnchorAbi, functionName: 'verifyState', args: [cp.number, h(keyOf(i)), h(valueOf(i)), h(encodeProof(p))] });
      memberExec.push(await executionGas(env.anvil, from, env.anchor, data));
      memberTx.push(await c.public.estimateGas({ account: c.account, to: env.anchor, data }));
      const absent = keyOf(keys + s);
      const ap = store.prove(absent);
      const adata = encodeFunctionData({ abi: depinAnchorAbi, functionName: 'verifyAbsence', args: [cp.number, h(absent), h(encodeProof(ap))] });
      absentExec[ap.otherLeaf ? 'otherLeaf' : 'empty'].push(await executionGas(env.anvil, from, env.anchor, adata));
      absentTx.push(await c.public.estimateGas({ account: c.account, to: env.anchor, data: adata }));
    }
    // One real claim through the example consumer (first claim: cold storage writes).
    const { address: verifier } = await deployRewardClaimVerifier(c, env.anchor, prefix);
    const id = sha256(enc('device-3')).subarray(0, 20);
    const hash = await c.wallet.writeContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'claim', args: [cp.number, h(id), h(valueOf(3)), h(encodeProof(store.prove(keyOf(3))))] });
    const claimTx = (await c.public.waitForTransactionReceipt({ hash })).gasUsed;

    const sortedDepths = [...depths].sort((a, b) => a - b);
    const q = (xs: bigint[], p: number) => (xs.length ? fmt(Number(percentile([...xs].sort((a, b) => Number(a - b)).map(Number), p))) : '-');
    const absentAll = [...absentExec.empty, ...absentExec.otherLeaf];
    console.log(`\nproofs on a ${fmt(keys)}-key state (built and committed in ${fmt(buildMs)} ms), ${samples} keys each:`);
    console.log(`  depth of present keys: p50 ${percentile(sortedDepths, 50)}, max ${sortedDepths[sortedDepths.length - 1]}; proof ${encodeProof(store.prove(keyOf(0))).length} B for key 0`);
    console.log(`  verifyState   execution p50 ${q(memberExec, 50)}, max ${q(memberExec, 100)}; as a tx p50 ${q(memberTx, 50)}`);
    console.log(`  verifyAbsence execution p50 ${q(absentAll, 50)}, max ${q(absentAll, 100)} (empty slot: ${absentExec.empty.length}, p50 ${q(absentExec.empty, 50)}; other leaf: ${absentExec.otherLeaf.length}, p50 ${q(absentExec.otherLeaf, 50)}); as a tx p50 ${q(absentTx, 50)}`);
    console.log(`  RewardClaimVerifier.claim (first claim of a device, proof + 3 new storage slots): ${fmt(Number(claimTx))} gas`);
    return {
      memberExec: median(memberExec),
      memberTx: median(memberTx),
      absentExec: median(absentAll),
      absentTx: median(absentTx),
      memberDepth: percentile(sortedDepths, 50),
      claimTx,
    };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const sizes = process.argv[2] ? process.argv[2].split(',').map(Number) : undefined;
  await runAnchorBench(sizes, process.argv[3] ? Number(process.argv[3]) : undefined);
}

// What staking and slashing cost per block: empty blocks on a chain with 150 validators
// (max_validators 100) whose last commit carries 100 votes (liveness bookkeeping for each) and
// whose end block recomputes the set, against the 1-validator dev chain. Run: node bench/staking.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { openDepinApp } from '../modules/depin-app.ts';
import { devGenesis, NO_ANCHOR_PARAMS } from '../node/dev-genesis.ts';
import type { AnchorGenesis } from '../modules/anchor/module.ts';
import { moduleAddress } from '../modules/auth/keeper.ts';
import { NOT_BONDED_POOL } from '../modules/staking/keeper.ts';
import { genesisValidator, type StakingGenesis } from '../modules/staking/genesis.ts';
import type { BankGenesis } from '../modules/bank/module.ts';
import type { GenesisDoc } from '../chain/genesis.ts';
import type { VoteInfo } from '../chain/context.ts';
import { publicKeyCreate } from '../chain/crypto/secp256k1.ts';
import { sha256 } from '../chain/crypto/hash.ts';
import { addressBytesFromPubkey, toBech32, ACCOUNT_PREFIX } from '../chain/crypto/address.ts';
import { parseRfc3339 } from '../chain/genesis.ts';
import { machine, percentile } from './machine.ts';

function bigGenesis(n: number): GenesisDoc {
  const g = devGenesis();
  const staking = g.app_state.staking as StakingGenesis;
  const bank = g.app_state.bank as BankGenesis;
  const pool = bank.balances.find((b) => b.address === moduleAddress(NOT_BONDED_POOL))!;
  let extra = 0n;
  for (let i = 0; i < n; i++) {
    const pub = publicKeyCreate(sha256(new TextEncoder().encode(`bench validator ${i}`)));
    const operator = toBech32(ACCOUNT_PREFIX, sha256(pub).subarray(0, 20));
    const tokens = BigInt(1 + (i % 37)) * 1_000_000n + BigInt(i);
    const v = genesisValidator({ operatorAccount: operator, consPubKey: pub, tokens, moniker: `bench-${i}` });
    staking.validators.push(v.validator);
    staking.delegations.push(v.delegation);
    extra += tokens;
  }
  pool.coins[0]!.amount = (BigInt(pool.coins[0]!.amount) + extra).toString();
  // Anchoring off: its genesis set (the dev validator) is not this bonded set, which genesis now
  // refuses, and its checkpoints are not what this benchmark measures.
  (g.app_state.anchor as AnchorGenesis).params = NO_ANCHOR_PARAMS;
  return g;
}

async function measure(label: string, genesis: GenesisDoc, blocks: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'depin-staking-bench-'));
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    const { app } = await openDepinApp(db.sublevel<Uint8Array, Uint8Array>('state', { keyEncoding: 'view', valueEncoding: 'view' }));
    const { validators } = app.initChain(genesis);
    const votes: VoteInfo[] = validators.map((v, i) => ({ validatorAddress: addressBytesFromPubkey(v.pubKey), power: v.power, signed: i % 10 !== 0 }));
    let t = parseRfc3339(genesis.genesis_time).seconds;
    const fin: number[] = [];
    const com: number[] = [];
    for (let h = 1; h <= blocks; h++) {
      const a = process.hrtime.bigint();
      app.finalizeBlock({ height: BigInt(h), time: { seconds: ++t, nanos: 0 }, txs: [], lastCommit: h > 1 ? votes : undefined });
      const b = process.hrtime.bigint();
      await app.commit();
      const c = process.hrtime.bigint();
      if (h > 5) {
        fin.push(Number(b - a) / 1e6);
        com.push(Number(c - b) / 1e6);
      }
    }
    fin.sort((x, y) => x - y);
    com.sort((x, y) => x - y);
    console.log(`${label}: ${validators.length} bonded, ${votes.length} votes/block: finalizeBlock p50 ${percentile(fin, 50).toFixed(2)} ms p99 ${percentile(fin, 99).toFixed(2)} ms; commit p50 ${percentile(com, 50).toFixed(2)} ms`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runStakingBench(): Promise<void> {
  console.log(`\n# staking/slashing per-block cost (empty blocks) on ${machine()}`);
  await measure('dev chain', devGenesis(), 60);
  await measure('150 validators, max 100', bigGenesis(149), 60);
}

if (import.meta.url === `file://${process.argv[1]}`) await runStakingBench();

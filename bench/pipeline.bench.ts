// In-process hot paths: raw secp256k1 verify (the machine's ceiling), tx decode, CheckTx (decode +
// ante with signature verification), and block execution (finalizeBlock + commit) per tx.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { rawNativeVerify, signDigest, publicKeyCreate } from '../chain/crypto/secp256k1.ts';
import { sha256 } from '../chain/crypto/hash.ts';
import { signTx } from '../chain/tx/builder.ts';
import { MsgSend } from '../modules/bank/types.ts';
import { openDepinApp } from '../modules/depin-app.ts';
import { makeGenesis, devValidatorKey } from '../node/dev-genesis.ts';
import { accountAddress } from '../chain/crypto/address.ts';
import { machine, opsPerSec, fmt } from './machine.ts';

export function benchKey(i: number): Uint8Array {
  return sha256(new TextEncoder().encode(`depin-bench-account-${i}`));
}

export function benchGenesis(accounts: number) {
  const balances = Array.from({ length: accounts }, (_, i) => ({ address: accountAddress(publicKeyCreate(benchKey(i))), amount: 10n ** 15n }));
  return makeGenesis({ chainId: 'depin-bench-1', genesisTime: '2026-11-24T00:00:00Z', validator: devValidatorKey(), moniker: 'bench', balances });
}

export function benchSend(i: number, seq: bigint, accountNumber: bigint, chainId = 'depin-bench-1'): Uint8Array {
  const priv = benchKey(i);
  const from = accountAddress(publicKeyCreate(priv));
  return signTx(
    { messages: [{ typeUrl: MsgSend.typeUrl, value: MsgSend.encode({ fromAddress: from, toAddress: 'depin1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc53d5ev8', amount: [{ denom: 'udpin', amount: '1' }] }) }], fee: [{ denom: 'udpin', amount: '500' }], gasLimit: 120000n },
    { privateKey: priv, chainId, accountNumber, sequence: seq },
  );
}

export async function runPipelineBench(): Promise<Record<string, number>> {
  console.log(`\n# in-process pipeline (${machine()})`);
  const keys = Array.from({ length: 256 }, (_, i) => benchKey(i));
  const pubs = keys.map((k) => publicKeyCreate(k));
  const digests = keys.map((_, i) => sha256(new TextEncoder().encode(`m${i}`)));
  const sigs = keys.map((k, i) => signDigest(digests[i]!, k));
  const verify = opsPerSec((i) => {
    const j = i & 255;
    if (!rawNativeVerify(sigs[j]!, digests[j]!, pubs[j]!)) throw new Error('verify failed');
  });
  console.log(`secp256k1 verify (native libsecp256k1, raw)   ${fmt(verify)} ops/s   <- the machine's ceiling per core`);

  const N = 4000;
  const dir = mkdtempSync(join(tmpdir(), 'depin-bench-'));
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  const { app } = await openDepinApp(db.sublevel<Uint8Array, Uint8Array>('state', { keyEncoding: 'view', valueEncoding: 'view' }), { minGasPrice: '0.0025udpin' });
  app.initChain(benchGenesis(N));
  app.finalizeBlock({ height: 1n, time: { seconds: 1n, nanos: 0 }, txs: [] });
  await app.commit();
  // Account numbers follow genesis balance order (0..N-1).
  const txs = Array.from({ length: N }, (_, i) => benchSend(i, 0n, BigInt(i)));
  const decode = opsPerSec((i) => app.decoder.decode(txs[i % N]!));
  console.log(`tx decode (TxRaw+body+auth info+MsgSend)      ${fmt(decode)} ops/s`);

  let ok = 0;
  const t0 = process.hrtime.bigint();
  for (const tx of txs) if (app.checkTx(tx).code === 0) ok++;
  const check = (N * 1e9) / Number(process.hrtime.bigint() - t0);
  if (ok !== N) throw new Error(`checkTx accepted ${ok}/${N}`);
  console.log(`checkTx (decode + ante + signature verify)    ${fmt(check)} tx/s   = ${((100 * check) / verify).toFixed(0)}% of raw verify`);

  const t1 = process.hrtime.bigint();
  const res = app.finalizeBlock({ height: 2n, time: { seconds: 2n, nanos: 0 }, txs });
  const t2 = process.hrtime.bigint();
  await app.commit();
  const t3 = process.hrtime.bigint();
  const failed = res.txResults.filter((r) => r.code !== 0).length;
  if (failed) throw new Error(`${failed} txs failed in the block: ${res.txResults.find((r) => r.code)?.log}`);
  const exec = (N * 1e9) / Number(t2 - t1);
  const commitMs = Number(t3 - t2) / 1e6;
  console.log(`finalizeBlock of ${N} sends (sig cache hit)     ${fmt(exec)} tx/s   (${(Number(t2 - t1) / 1e6).toFixed(0)} ms)`);
  console.log(`commit (Merkle root + LevelDB batch) of that block  ${commitMs.toFixed(0)} ms = ${fmt((N * 1000) / commitMs)} tx/s`);
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return { verify, decode, check, exec, commitMs };
}

if (import.meta.url === `file://${process.argv[1]}`) await runPipelineBench();

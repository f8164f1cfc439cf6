// Staking against a real single-validator depind with unmodified CosmJS: delegateTokens and
// undelegateTokens to the dev validator, then the QueryClient staking and slashing extensions;
// and the depind staking/slashing CLI commands against the same node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SigningStargateClient, GasPrice, QueryClient, setupStakingExtension, setupSlashingExtension } from '@cosmjs/stargate';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { makeCosmoshubPath } from '@cosmjs/amino';
import { connectComet, type CometClient } from '@cosmjs/tendermint-rpc';
import { startDevnet, DEPIND, DEV_MNEMONIC, type Devnet } from '../helpers/devnet.ts';
import { fromBech32, toBech32, VALOPER_PREFIX, VALCONS_PREFIX } from '../../chain/crypto/address.ts';
import { devValidatorKey } from '../../node/dev-genesis.ts';
import { publicKeyCreate } from '../../chain/crypto/secp256k1.ts';
import { sha256 } from '../../chain/crypto/hash.ts';

const DPIN = 1_000_000n;
let net: Devnet;
let wallet: DirectSecp256k1HdWallet;
let accounts: string[];
let comet: CometClient;
let q: ReturnType<typeof queries>;
const queries = (c: CometClient) => QueryClient.withExtensions(c, setupStakingExtension, setupSlashingExtension);

before(async () => {
  net = await startDevnet({ blockTimeMs: 300 });
  wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [0, 1, 2, 3, 4].map((i) => makeCosmoshubPath(i)) });
  accounts = (await wallet.getAccounts()).map((a) => a.address);
  comet = await connectComet(net.rpc);
  q = queries(comet);
});

after(async () => {
  if (process.env.DEBUG_DEPIND) console.log(net.output());
  comet?.disconnect();
  await net.stop();
  net.cleanup();
});

const valoper0 = () => toBech32(VALOPER_PREFIX, fromBech32(accounts[0]!));
const account = (i: number) => accounts[i]!;

test('CosmJS delegateTokens / undelegateTokens to the dev validator; the staking extension shows the delegation and the unbonding', async () => {
  const client = await SigningStargateClient.connectWithSigner(net.rpc, wallet, { gasPrice: GasPrice.fromString('0.025udpin'), broadcastPollIntervalMs: 100 });
  try {
    const B = accounts[1]!;
    const val = valoper0();
    const { validators } = await q.staking.validators('BOND_STATUS_BONDED');
    assert.deepEqual(validators.map((v) => v.operatorAddress), [val]);
    assert.equal(validators[0]!.tokens, (10n * DPIN).toString());
    assert.equal(Buffer.from(validators[0]!.consensusPubkey!.value).subarray(2).toString('base64'), Buffer.from(devValidatorKey().publicKey).toString('base64'));

    const d = await client.delegateTokens(B, val, { denom: 'udpin', amount: (5n * DPIN).toString() }, 'auto');
    assert.equal(d.code, 0, d.rawLog ?? "");
    assert.equal(d.msgResponses[0]?.typeUrl, '/cosmos.staking.v1beta1.MsgDelegateResponse');
    let del = await q.staking.delegation(B, val);
    assert.equal(del.delegationResponse!.balance.amount, (5n * DPIN).toString());
    assert.equal(del.delegationResponse!.delegation.shares, (5n * DPIN * 10n ** 18n).toString());
    assert.equal((await q.staking.validator(val)).validator.tokens, (15n * DPIN).toString());

    const u = await client.undelegateTokens(B, val, { denom: 'udpin', amount: (2n * DPIN).toString() }, 'auto');
    assert.equal(u.code, 0, u.rawLog ?? "");
    const header = (await client.getBlock(u.height)).header;
    const ubd = (await q.staking.unbondingDelegation(B, val)).unbond!;
    assert.equal(ubd.entries.length, 1);
    assert.equal(ubd.entries[0]!.balance, (2n * DPIN).toString());
    assert.equal(ubd.entries[0]!.creationHeight, BigInt(u.height));
    // Completion = the including block's time + the dev unbonding_time (300 s), to the second.
    assert.equal(ubd.entries[0]!.completionTime!.seconds, BigInt(Math.floor(Date.parse(header.time) / 1000)) + 300n);
    assert.equal((await q.staking.delegatorUnbondingDelegations(B)).unbondingResponses.length, 1);
    del = await q.staking.delegation(B, val);
    assert.equal(del.delegationResponse!.balance.amount, (3n * DPIN).toString());

    const pool = (await q.staking.pool()).pool!;
    assert.equal(pool.bondedTokens, (13n * DPIN).toString());
    assert.equal(pool.notBondedTokens, (2n * DPIN).toString());
    const params = (await q.staking.params()).params!;
    assert.equal(params.bondDenom, 'udpin');
    assert.equal(params.unbondingTime!.seconds, 300n);
    const byVal = (await q.staking.validatorDelegations(val)).delegationResponses.map((r) => [r.delegation.delegatorAddress, r.balance.amount]);
    assert.deepEqual(byVal.sort(), [[accounts[0]!, (10n * DPIN).toString()], [B, (3n * DPIN).toString()]].sort());
    assert.deepEqual((await q.staking.delegatorDelegations(B)).delegationResponses.map((r) => r.delegation.validatorAddress), [val]);

    const cons = toBech32(VALCONS_PREFIX, devValidatorKey().address);
    const info = (await q.slashing.signingInfo(cons)).valSigningInfo;
    assert.equal(info.address, cons);
    assert.equal(info.tombstoned, false);
    const sp = (await q.slashing.params()).params!;
    assert.equal(sp.signedBlocksWindow, 100n);

    // Bad input through CosmJS: more than delegated is refused by the chain with a clear code.
    const over = await client.undelegateTokens(B, val, { denom: 'udpin', amount: (4n * DPIN).toString() }, 'auto').catch((e: Error) => e);
    assert.ok(over instanceof Error, 'simulation refuses it');
    assert.match(over.message, /invalid shares amount/);
  } finally {
    client.disconnect();
  }
});

const run = promisify(execFile);
/** Runs a client command against the devnet without blocking the event loop (the node's output
 * is piped to this process). */
const depind = (args: string[]) =>
  run(process.execPath, [DEPIND, ...args, '--node', net.rpc, '--home', net.home]).catch((e: { code: number; stdout: string; stderr: string }) => ({ ...e, failed: true }));

test('depind CLI: tx staking delegate / unbond / create-validator, query staking validators / validator / delegation / params, query slashing signing-info, tx slashing unjail', async () => {
  // keys add does not talk to a node: no --node; the mnemonic comes on stdin.
  const rec = await new Promise<string>((resolve, reject) => {
    const c = execFile(process.execPath, [DEPIND, 'keys', 'add', 'dev3', '--recover', '--index', '3', '--home', net.home], (err, out) => (err ? reject(err) : resolve(out)));
    c.stdin!.end(DEV_MNEMONIC + '\n');
  });
  assert.match(rec, new RegExp(account(3)));
  const val = valoper0();
  // tx bank send through the same signer: the recipient's balance moves by exactly the amount.
  const before = BigInt(JSON.parse((await depind(['query', 'bank', 'balances', account(4), '-o', 'json'])).stdout).balances.find((b: any) => b.denom === 'udpin').amount);
  const sent = await depind(['tx', 'bank', 'send', 'dev3', account(4), '1234udpin']);
  assert.match(sent.stdout, /code: 0/, sent.stdout);
  assert.match(sent.stdout, new RegExp(`transfer: recipient=${account(4)} sender=${account(3)} amount=1234udpin`));
  const after = BigInt(JSON.parse((await depind(['query', 'bank', 'balances', account(4), '-o', 'json'])).stdout).balances.find((b: any) => b.denom === 'udpin').amount);
  assert.equal(after - before, 1234n);
  const d = await depind(['tx', 'staking', 'delegate', 'dev3', val, '1000000udpin', '-o', 'json']);
  assert.equal(JSON.parse(d.stdout).code, 0, d.stdout);
  const u = await depind(['tx', 'staking', 'unbond', 'dev3', val, '400000udpin']);
  assert.match(u.stdout, /code: 0/);
  const del = JSON.parse((await depind(['query', 'staking', 'delegation', account(3), val])).stdout);
  assert.equal(del.balance, '600000udpin');
  assert.equal(del.unbonding[0].balance, '400000');
  const vals = await depind(['query', 'staking', 'validators', '--status', 'bonded']);
  assert.match(vals.stdout, new RegExp(`${val}\\s+BONDED`));
  const one = JSON.parse((await depind(['query', 'staking', 'validator', val])).stdout);
  assert.equal(one.moniker, 'dev-validator');
  const params = JSON.parse((await depind(['query', 'staking', 'params'])).stdout);
  assert.equal(params.unbonding_time, '300s');
  assert.equal(params.bond_denom, 'udpin');
  const info = JSON.parse((await depind(['query', 'slashing', 'signing-info'])).stdout);
  assert.equal(info.address, toBech32(VALCONS_PREFIX, devValidatorKey().address));
  // The validator is not jailed: unjail fails with slashing code 5 and a non-zero exit.
  const j = await depind(['tx', 'slashing', 'unjail', 'dev3']);
  assert.ok('failed' in j, 'unjail of a non-validator fails');
  assert.match(j.stderr + j.stdout, /not associated with any known validator|no validator/);
  // dev3 becomes a validator with a fresh secp256k1 consensus key (bonded, power 2).
  const consPub = Buffer.from(publicKeyCreate(sha256(new TextEncoder().encode('e2e consensus key')))).toString('base64');
  const cv = await depind(['tx', 'staking', 'create-validator', 'dev3', '--amount', '2000000udpin', '--pubkey', consPub, '--moniker', 'cli-validator', '-o', 'json']);
  assert.equal(JSON.parse(cv.stdout).code, 0, cv.stdout + cv.stderr);
  const all = await depind(['query', 'staking', 'validators', '-o', 'json']);
  const mine = JSON.parse(all.stdout).validators.find((v: { moniker: string }) => v.moniker === 'cli-validator');
  assert.equal(mine.status, 'BONDED');
  assert.equal(mine.power, '2');
  assert.equal(mine.consensus_pubkey, consPub);
  const bad = await depind(['tx', 'staking', 'delegate', 'dev3', 'depin1notavaloper', '1udpin']);
  assert.ok('failed' in bad);
  assert.equal((bad as { code: number }).code, 2);
});

test('REST: the SDK staking and slashing URLs answer what the CosmJS query extensions read over RPC', async () => {
  const get = async (path: string) => {
    const r = await fetch(net.rest + path);
    return { status: r.status, body: (await r.json()) as any };
  };
  const val = valoper0();
  const vals = await get('/cosmos/staking/v1beta1/validators?status=BOND_STATUS_BONDED');
  assert.equal(vals.status, 200);
  const rpcVals = (await q.staking.validators('BOND_STATUS_BONDED')).validators;
  assert.deepEqual(vals.body.validators.map((v: any) => [v.operator_address, v.tokens, v.status]), rpcVals.map((v) => [v.operatorAddress, v.tokens, 'BOND_STATUS_BONDED']));
  assert.equal((await get(`/cosmos/staking/v1beta1/validators/${val}`)).body.validator.operator_address, val);
  const dels = (await get(`/cosmos/staking/v1beta1/validators/${val}/delegations`)).body.delegation_responses;
  const rpcDels = (await q.staking.validatorDelegations(val)).delegationResponses;
  assert.deepEqual(dels.map((d: any) => [d.delegation.delegator_address, d.balance.amount]), rpcDels.map((d) => [d.delegation.delegatorAddress, d.balance.amount]));
  const self = (await get(`/cosmos/staking/v1beta1/validators/${val}/delegations/${account(0)}`)).body.delegation_response;
  assert.equal(self.balance.amount, (await q.staking.delegation(account(0), val)).delegationResponse!.balance.amount);
  assert.equal((await get(`/cosmos/staking/v1beta1/delegations/${account(0)}`)).body.delegation_responses.length, 1);
  assert.deepEqual((await get(`/cosmos/staking/v1beta1/delegators/${account(0)}/validators`)).body.validators.map((v: any) => v.operator_address), [val]);
  const pool = (await get('/cosmos/staking/v1beta1/pool')).body.pool;
  const rpcPool = (await q.staking.pool()).pool;
  assert.deepEqual([pool.bonded_tokens, pool.not_bonded_tokens], [rpcPool.bondedTokens, rpcPool.notBondedTokens]);
  assert.equal((await get('/cosmos/staking/v1beta1/params')).body.params.bond_denom, 'udpin');
  assert.equal((await get(`/cosmos/staking/v1beta1/validators/${toBech32(VALOPER_PREFIX, new Uint8Array(20))}`)).status, 404);

  const sp = (await get('/cosmos/slashing/v1beta1/params')).body.params;
  assert.equal(sp.signed_blocks_window, (await q.slashing.params()).params.signedBlocksWindow.toString());
  const infos = (await get('/cosmos/slashing/v1beta1/signing_infos')).body.info;
  assert.deepEqual(infos.map((i: any) => i.address).sort(), (await q.slashing.signingInfos()).info.map((i) => i.address).sort());
  const one = (await get(`/cosmos/slashing/v1beta1/signing_infos/${infos[0].address}`)).body.val_signing_info;
  assert.equal(one.address, infos[0].address);
});

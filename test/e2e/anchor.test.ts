// Anchoring end to end: a real depind (one validator, anchor service on) against a real anvil.
// Checkpoints land on Ethereum and are acknowledged on the chain, each root equal to the app hash
// the chain committed at its height; a state proof exported from the chain verifies in
// DepinAnchor (tampered ones do not) and pays through RewardClaimVerifier; anvil stopped when a
// checkpoint becomes due and restarted later: that checkpoint lands exactly once, and the relayer
// never sent a transaction that reverted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseEventLogs, getAddress, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { startAnvil, ANVIL_MNEMONIC, type Anvil } from '../../node/anchor/anvil.ts';
import { ethClients, deployRewardClaimVerifier, depinAnchorAbi, rewardClaimVerifierAbi, revertName, type EthClients } from '../../node/anchor/anchor-contract.ts';
import { rpcQuery, anchorQuery, exportProof, verifyOnEthereum } from '../../node/anchor/proof-export.ts';
import { checkpointInfoFromMsg, STATUS, type CheckpointInfo } from '../../modules/anchor/types.ts';
import { DEV_ANCHOR_CONTRACT } from '../../node/dev-genesis.ts';
import { devValidatorKey } from '../../node/dev-genesis.ts';
import { fromBech32 } from '../../chain/crypto/address.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from '../../node/keys/hd.ts';
import { startAnchoredDevnet } from '../helpers/anchored-devnet.ts';
import { rpcCall, height, DEPIND, untilValue, type Devnet } from '../helpers/devnet.ts';
import { balanceStoreKey } from '../../modules/bank/keeper.ts';

const INTERVAL = 8n;
const relayerAccount = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 1 }).address;
// A balance whose decimal form is 44 bytes: RewardClaimVerifier reads it as u64 epoch ‖ u128 cumulative ‖ bytes20 beneficiary.
const RECORD_DENOM = 'devicereward';
const RECORD_AMOUNT = '31000000000000000000000000042123456789012345';
const recordOwner = deriveKey(DEV_MNEMONIC, cosmosHdPath(5)).address;

let dir: string;
let anvil: Anvil;
let eth: EthClients;
let net: Devnet;
const q = () => rpcQuery(net.rpc);

const balanceKey = (address: string, denom: string) => balanceStoreKey(fromBech32(address), denom);

const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> => untilValue(what, fn, net, timeoutMs);

async function checkpoint(n: bigint): Promise<CheckpointInfo | undefined> {
  try {
    return checkpointInfoFromMsg((await anchorQuery(q(), 'Checkpoint', { number: n.toString() })).checkpoint);
  } catch {
    return undefined;
  }
}
const acknowledged = (n: bigint) => until(`checkpoint ${n} acknowledged`, async () => {
  const c = await checkpoint(n);
  return c?.checkpoint.status === STATUS.ACKNOWLEDGED ? c : undefined;
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'depin-anchor-e2e-'));
  anvil = await startAnvil({ chainId: 31337n, stateFile: join(dir, 'anvil-state.json') });
  eth = ethClients(anvil.url, anvil.chainId);
  ({ net } = await startAnchoredDevnet({
    eth, ethRpc: anvil.url, blockTimeMs: 200,
    editGenesis: (genesis) => {
      genesis.app_state.anchor.params.checkpoint_interval = INTERVAL.toString();
      genesis.app_state.anchor.params.ack_timeout = '8';
      genesis.app_state.bank.balances.push({ address: recordOwner, coins: [{ denom: RECORD_DENOM, amount: RECORD_AMOUNT }] });
    },
  }));
});

after(async () => {
  await net?.stop();
  net?.cleanup();
  await anvil?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('checkpoints land on Ethereum and are acknowledged on the chain; each root is the app hash committed at its height', async () => {
  await until('the anchor startup lines', async () => (/anchor\s+DepinAnchor/.test(net.output()) ? true : undefined));
  assert.match(net.output(), /Ethereum RPC\s+http:\/\/127\.0\.0\.1:\d+\s+\(chain 31337\)/);
  assert.match(net.output(), /anchor\s+DepinAnchor 0x5FbDB2315678afecb367f032d93F642f64180aa3, a checkpoint every 8 blocks/);
  const dev = devValidatorKey();
  for (const n of [1n, 2n, 3n]) {
    const info = await acknowledged(n);
    const cp = info.checkpoint;
    assert.equal(cp.height, n * INTERVAL);
    assert.ok(cp.eth && cp.eth.txHash.length === 32, 'Ethereum tx recorded');
    assert.deepEqual(info.validators.map((v) => [Buffer.from(v.consensusAddress).toString('hex'), !!v.signature]), [[Buffer.from(dev.address).toString('hex'), true]], 'signed by the validator');
    // The app hash committed at `height` is in the header of height + 1 (and in the commit RPC).
    const next = await rpcCall(net.rpc, 'block', { height: (cp.height + 1n).toString() });
    assert.equal(next.result.block.header.app_hash, Buffer.from(cp.stateRoot).toString('hex').toUpperCase(), `checkpoint ${n} root = app hash of height ${cp.height}`);
    const commit = await rpcCall(net.rpc, 'commit', { height: (cp.height + 1n).toString() });
    assert.equal(commit.result.signed_header.header.app_hash, next.result.block.header.app_hash);
    // What Ethereum stores, and the transaction the chain recorded.
    const stored = await eth.public.readContract({ address: getAddress(DEV_ANCHOR_CONTRACT), abi: depinAnchorAbi, functionName: 'getCheckpoint', args: [n] });
    assert.equal(stored.height, cp.height);
    assert.equal(stored.stateRoot, `0x${Buffer.from(cp.stateRoot).toString('hex')}`);
    const receipt = await eth.public.getTransactionReceipt({ hash: `0x${Buffer.from(cp.eth.txHash).toString('hex')}` as Hex });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.blockNumber, cp.eth.blockNumber);
    assert.equal(receipt.from.toLowerCase(), relayerAccount.toLowerCase());
    const [ev] = parseEventLogs({ abi: depinAnchorAbi, logs: receipt.logs, eventName: 'CheckpointSubmitted' });
    assert.equal(ev!.args.number, n);
    assert.equal(BigInt(ev!.logIndex), cp.eth.logIndex);
  }
  // The CLI shows the same.
  const out = JSON.parse(execFileSync(process.execPath, [DEPIND, 'query', 'anchor', 'checkpoint', '2', '--node', net.rpc], { encoding: 'utf8' }));
  assert.equal(out.status, 'acknowledged');
  assert.equal(out.signers.length, 1);
  assert.equal(out.signers[0].power, '10');
  assert.match(out.eth.tx_hash, /^0x[0-9a-f]{64}$/);
});

test('an exported proof verifies in DepinAnchor on Ethereum; tampered ones do not; a reward-record-shaped value pays through RewardClaimVerifier', async () => {
  await acknowledged(1n);
  const anchor = getAddress(DEV_ANCHOR_CONTRACT);
  const key = balanceKey(deriveKey(DEV_MNEMONIC, cosmosHdPath(0)).address, 'udpin');
  const p = await exportProof(q(), key);
  assert.equal(p.checkpoint.checkpoint.status, STATUS.ACKNOWLEDGED);
  assert.ok(p.value && /^\d+$/.test(Buffer.from(p.value).toString()), 'a decimal balance');
  assert.equal(await verifyOnEthereum(p, anvil.url), true);
  const n = p.checkpoint.checkpoint.number;
  const h = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;
  const verify = (value: Uint8Array, proof: Uint8Array, num = n) => eth.public.readContract({ address: anchor, abi: depinAnchorAbi, functionName: 'verifyState', args: [num, h(key), h(value), h(proof)] });
  const otherValue = Uint8Array.from(p.value!);
  otherValue[0] = otherValue[0] === 0x31 ? 0x32 : 0x31;
  assert.equal(await verify(otherValue, p.proof), false, 'another value');
  const badProof = Uint8Array.from(p.proof);
  badProof[badProof.length - 5]! ^= 0x01; // inside the last sibling
  assert.equal(await verify(p.value!, badProof), false, 'a flipped bit in a sibling');
  // Against another checkpoint's root (if the balance changed since, or simply a different root) it fails too.
  const other = await acknowledged(n + 1n);
  if (Buffer.compare(other.checkpoint.stateRoot, p.checkpoint.checkpoint.stateRoot) !== 0) assert.equal(await verify(p.value!, p.proof, n + 1n), false, 'another checkpoint');
  // An absent key: a non-membership proof.
  const absent = await exportProof(q(), balanceKey(deriveKey(DEV_MNEMONIC, cosmosHdPath(0)).address, 'nosuchdenom'));
  assert.equal(absent.value, undefined);
  assert.equal(await verifyOnEthereum(absent, anvil.url), true);

  // The CLI: same proof, and the contract's verdict.
  const cli = JSON.parse(execFileSync(process.execPath, [DEPIND, 'query', 'anchor', 'proof', '--bank-balance', `${deriveKey(DEV_MNEMONIC, cosmosHdPath(0)).address}:udpin`, '--node', net.rpc, '--eth-rpc', anvil.url], { encoding: 'utf8' }));
  assert.equal(cli.verified_locally, true);
  assert.equal(cli.verified_on_ethereum, true);
  assert.equal(cli.call.function, 'verifyState');

  // Consumer contract path with an arbitrary key prefix: the 44-byte value is a genesis balance of
  // denom "devicereward" (key prefix = the owner's balance prefix, record id = the denom), so this
  // test needs no epoch to pass. The rewards module's real records (prefix "rewards/" 0x13) are
  // claimed in test/e2e/depin-flow.test.ts.
  const rec = await exportProof(q(), balanceKey(recordOwner, RECORD_DENOM));
  assert.equal(Buffer.from(rec.value!).toString(), RECORD_AMOUNT);
  const owner = fromBech32(recordOwner);
  const prefix = Uint8Array.from([...Buffer.from('bank/'), 0x02, owner.length, ...owner]);
  const { address: verifier } = await deployRewardClaimVerifier(eth, anchor, prefix);
  const recNumber = rec.checkpoint.checkpoint.number;
  const claim = (proof: Uint8Array) => eth.wallet.writeContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'claim', args: [recNumber, h(Buffer.from(RECORD_DENOM)), h(rec.value!), h(proof)] });
  const receipt = await eth.public.waitForTransactionReceipt({ hash: await claim(rec.proof) });
  assert.equal(receipt.status, 'success');
  const [claimed] = parseEventLogs({ abi: rewardClaimVerifierAbi, logs: receipt.logs, eventName: 'RewardClaimed' });
  const [epoch, cumulative, beneficiary] = await eth.public.readContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'decodeRecord', args: [h(rec.value!)] });
  assert.equal(claimed!.args.amount, cumulative);
  assert.equal(claimed!.args.epoch, epoch);
  assert.equal(await eth.public.readContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'balanceOf', args: [beneficiary] }), cumulative);
  // Replayed: refused. Tampered proof: refused.
  await assert.rejects(eth.public.simulateContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'claim', args: [recNumber, h(Buffer.from(RECORD_DENOM)), h(rec.value!), h(rec.proof)], account: eth.account }), (e: unknown) => revertName(e) === 'AlreadyProcessed');
  const tampered = Uint8Array.from(rec.proof);
  tampered[tampered.length - 5]! ^= 0x01;
  await assert.rejects(eth.public.simulateContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'claim', args: [recNumber, h(Buffer.from(RECORD_DENOM)), h(rec.value!), h(tampered)], account: eth.account }), (e: unknown) => revertName(e) === 'InvalidProof');
});

test('anvil stopped when a checkpoint becomes due and restarted later: it lands exactly once, later ones continue, the relayer never reverted', async () => {
  // Stop anvil one block before the next checkpoint becomes due (it is created in block due + 1).
  let target = 0n;
  let due = 0n;
  for (let attempt = 0; attempt < 4 && target === 0n; attempt++) {
    const latest = checkpointInfoFromMsg((await anchorQuery(q(), 'LatestCheckpoint', {})).checkpoint).checkpoint;
    await acknowledged(latest.number);
    due = latest.height + INTERVAL;
    await until(`height ${due - 1n}`, async () => ((await height(net.rpc)) >= due - 1n ? true : undefined));
    if ((await height(net.rpc)) <= due) target = latest.number + 1n; // else this machine was too slow: next one
  }
  assert.ok(target > 0n, 'caught a due checkpoint');
  await anvil.stop(); // SIGTERM: anvil saves its chain to the state file
  // Ethereum is down: the chain still creates and signs the checkpoint, and after ack_timeout (8
  // blocks) without an acknowledgement the submitter turn rotates.
  const signed = await until(`checkpoint ${target} signed`, async () => {
    const c = await checkpoint(target);
    return c && c.checkpoint.status === STATUS.SIGNED ? c : undefined;
  });
  await until('a submitter rotation', async () => {
    const c = await checkpoint(target);
    return c && c.checkpoint.rotations >= 1n ? true : undefined;
  });
  assert.equal((await checkpoint(target))!.checkpoint.status, STATUS.SIGNED, 'nothing acknowledged while Ethereum is down');
  assert.equal(signed.checkpoint.height, due);
  assert.match(net.output(), /Ethereum side: .*retrying with backoff/);
  anvil = await anvil.restart();
  eth = ethClients(anvil.url, anvil.chainId);
  const landed = await acknowledged(target);
  await acknowledged(target + 1n);
  const anchor = getAddress(DEV_ANCHOR_CONTRACT);
  assert.ok((await eth.public.readContract({ address: anchor, abi: depinAnchorAbi, functionName: 'lastCheckpointNumber' })) >= target + 1n);
  const events = await eth.public.getContractEvents({ address: anchor, abi: depinAnchorAbi, eventName: 'CheckpointSubmitted', args: { number: target }, fromBlock: 0n });
  assert.equal(events.length, 1, 'landed exactly once');
  assert.equal(events[0]!.transactionHash, `0x${Buffer.from(landed.checkpoint.eth!.txHash).toString('hex')}`);
  // Every transaction the relayer's account ever mined succeeded, one per checkpoint.
  const head = await eth.public.getBlockNumber({ cacheTime: 0 });
  const perNumber = new Map<bigint, number>();
  for (let b = 1n; b <= head; b++) {
    const block = await eth.public.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== relayerAccount.toLowerCase()) continue;
      assert.equal((await eth.public.getTransactionReceipt({ hash: tx.hash })).status, 'success', `relayer tx ${tx.hash} reverted`);
      const number = BigInt('0x' + tx.input.slice(10, 74));
      perNumber.set(number, (perNumber.get(number) ?? 0) + 1);
    }
  }
  assert.ok(perNumber.size >= Number(target) + 1);
  assert.deepEqual([...perNumber.values()].filter((k) => k !== 1), [], 'no checkpoint submitted twice');
});

// Four validators' anchor services (each with its own consensus key, fee account and Ethereum
// account) on one in-process node (blocks committed in process with the four keys) against a real
// anvil: every checkpoint is signed by all four, sent by the designated submitter only, and
// acknowledged by > 2/3 of the votes; with the designated submitter's service down, its turn times
// out, the next validator submits, and the other three acknowledge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnvil, ANVIL_MNEMONIC, type Anvil } from '../../node/anchor/anvil.ts';
import { parseEventLogs } from 'viem';
import { ethClients, deployDepinAnchor, depinAnchorAbi } from '../../node/anchor/anchor-contract.ts';
import { genesisAnchorSet } from '../../node/anchor/dev-ethereum.ts';
import { AnchorService, designatedSubmitter, type AnchorHost } from '../../node/anchor/service.ts';
import { anchorConfig } from '../../node/anchor/config.ts';
import { DepinNode } from '../../node/node.ts';
import { ValidatorKey } from '../../node/validator-key.ts';
import { Keyring } from '../../node/keys/keyring.ts';
import { cosmosHdPath, deriveKey, DEV_MNEMONIC } from '../../node/keys/hd.ts';
import { DEV_ANCHOR_CONTRACT, setGenesisValidators } from '../../node/dev-genesis.ts';
import { STATUS, type CheckpointInfo } from '../../modules/anchor/types.ts';
import { AnchorChainView } from '../../node/anchor/chain-client.ts';
import { makeHome } from '../helpers/devnet.ts';

let anvil: Anvil;
let node: DepinNode;
let view: AnchorChainView;
const dirs: string[] = [];
const services: AnchorService[] = [];
const keys: ValidatorKey[] = [];
const logs: string[] = [];
const broadcasts: number[] = []; // txs each validator's service sent through AnchorHost.broadcastTx
let producing: Promise<void> = Promise.resolve();
let stopProducing = false;

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logs.slice(-40).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const acknowledged = (n: bigint) => until(`checkpoint ${n} acknowledged`, () => {
  const c = view.checkpoint(n);
  return c?.checkpoint.status === STATUS.ACKNOWLEDGED ? c : undefined;
});
const serviceOf = (validator: Uint8Array) => services.find((s) => Buffer.compare((s.host.validatorKey as ValidatorKey).address, validator) === 0)!;

before(async () => {
  anvil = await startAnvil({ chainId: 31337n });
  const home = makeHome({ anchoring: true });
  dirs.push(home);
  keys.push(ValidatorKey.load(join(home, 'config', 'priv_validator_key.json')), ValidatorKey.generate(), ValidatorKey.generate(), ValidatorKey.generate());
  const gPath = join(home, 'config', 'genesis.json');
  const genesis = JSON.parse(readFileSync(gPath, 'utf8'));
  setGenesisValidators(genesis, keys.map((k, i) => ({ pubkey: k.publicKey, power: 10n, operator: deriveKey(DEV_MNEMONIC, cosmosHdPath(i)).address, moniker: `v${i}` })));
  genesis.app_state.anchor.params = { ...genesis.app_state.anchor.params, checkpoint_interval: '4', ack_timeout: '6' };
  writeFileSync(gPath, JSON.stringify(genesis, null, 2));
  const { address } = await deployDepinAnchor(ethClients(anvil.url, anvil.chainId), genesis.chain_id, genesisAnchorSet(genesis));
  assert.equal(address.toLowerCase(), DEV_ANCHOR_CONTRACT);

  node = await DepinNode.open({ home, config: { blockTimeMs: 150 }, log: (m) => logs.push(m) });
  // One process holds all four consensus keys: blocks are produced in process, each committed with
  // all four validators' precommits (consensus among processes is tested in test/e2e/testnet*.ts).
  producing = (async () => {
    while (!stopProducing) {
      await node.produceBlock({ signers: keys });
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  view = new AnchorChainView(node.app);
  while (node.app.info().lastBlockHeight === 0n) await new Promise((r) => setTimeout(r, 20));
  keys.forEach((key, i) => {
    // The node's own validator uses the home's dev fee key (account 9); the others get accounts 6-8.
    let vhome = home;
    if (i > 0) {
      vhome = mkdtempSync(join(tmpdir(), `depin-val${i}-`));
      dirs.push(vhome);
      new Keyring(vhome).add('anchor', { mnemonic: DEV_MNEMONIC, hdPath: cosmosHdPath(5 + i) });
    }
    const host: AnchorHost = { app: node.app, mempool: node.mempool, broadcastTx: (b: Uint8Array) => { broadcasts[i] = (broadcasts[i] ?? 0) + 1; return node.mempool.addAsync(b); }, bus: node.bus, validatorKey: key, chainId: node.chainId, home: vhome, config: node.config, log: (m) => logs.push(`v${i} ${m}`) };
    const cfg = anchorConfig({ ethRpc: anvil.url, ethMnemonic: ANVIL_MNEMONIC, ethAccountIndex: 1 + i, feeKey: 'anchor', pollMs: 150, maxBackoffMs: 600, ethConfirmations: 1 });
    const s = AnchorService.create(host, cfg);
    s.start();
    services.push(s);
  });
});

after(async () => {
  for (const s of services) await s.stop();
  stopProducing = true;
  await producing;
  await node?.stop();
  await anvil?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function receiptOf(info: CheckpointInfo) {
  const c = ethClients(anvil.url, anvil.chainId);
  return c.public.getTransactionReceipt({ hash: `0x${Buffer.from(info.checkpoint.eth!.txHash).toString('hex')}` });
}
const senderOf = async (info: CheckpointInfo) => (await receiptOf(info)).from.toLowerCase();

test('four validators: each checkpoint is signed by the set, sent by its designated submitter, acknowledged by > 2/3', async () => {
  for (const n of [1n, 2n]) {
    const info = await acknowledged(n);
    assert.ok(info.checkpoint.signedPower * 3n > info.checkpoint.totalPower * 2n);
    assert.equal(info.checkpoint.totalPower, 40n);
    assert.equal(info.checkpoint.rotations, 0n);
    const submitter = serviceOf(designatedSubmitter(info)!);
    assert.equal(await senderOf(info), submitter.ethAddress!.toLowerCase(), `checkpoint ${n} sent by its designated submitter`);
    // The relayer packs just enough signatures: 3 of 4 equal powers (30 * 3 > 40 * 2).
    const [ev] = parseEventLogs({ abi: depinAnchorAbi, logs: (await receiptOf(info)).logs, eventName: 'CheckpointSubmitted' });
    assert.equal(ev!.args.signedPower, 30n);
    // Nobody else sent anything for it.
    for (const s of services) if (s !== submitter) assert.equal(s.steps.filter((x) => x.number === n && x.result === 'sent').length, 0);
  }
  // Eventually every validator's confirmation is on chain (the late ones arrive after the quorum).
  const second = view.checkpoint(2n)!;
  assert.ok(second.validators.filter((v) => v.signature).length >= 3);
  // Each service sent its txs through the host's broadcast (mempool + tx gossip), not straight
  // into the local mempool, where another node's proposer would never see them.
  assert.deepEqual(keys.map((_, i) => (broadcasts[i] ?? 0) > 0), keys.map(() => true));
});

test("the designated submitter's service is down: its turn times out, the next validator submits, three acknowledge", async () => {
  const last = (await acknowledged(2n)).checkpoint;
  // Who will be designated for the next checkpoint (rotations 0): set[(n + 0) mod 4].
  const next = last.number + 1n;
  const set = view.checkpoint(last.number)!.validators; // same set (no staking changes in this test)
  const down = serviceOf(set[Number(next % 4n)]!.consensusAddress);
  await down.stop();
  const info = await acknowledged(next);
  assert.ok(info.checkpoint.rotations >= 1n, 'the turn rotated');
  assert.equal(info.validators.filter((v) => v.signature).length, 3, 'three of four confirmed (the stopped one did not)');
  // Sent by the submitter of a later round (the next validator after one rotation, unless this
  // machine was slow enough for more): never by the stopped one.
  const later = Array.from({ length: Number(info.checkpoint.rotations) }, (_, r) => serviceOf(set[Number((next + BigInt(r) + 1n) % 4n)]!.consensusAddress).ethAddress!.toLowerCase());
  assert.ok(later.includes(await senderOf(info)), 'sent by a later round\'s submitter');
  assert.equal(down.steps.filter((x) => x.number === next).length, 0);
  services.splice(services.indexOf(down), 1);
  await acknowledged(next + 1n); // and anchoring goes on with three
});

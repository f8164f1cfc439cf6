// The whole DePIN flow on real processes, as a builder runs it: one depind validator anchoring to
// an anvil started here, driven by unmodified CosmJS + the SDK registry. A sensor device is
// registered and located; an oracle bonds and posts a price; a buyer burns udpin for data credits
// and spends them on the device (demand); a gateway submits the device's signed sensor batches for
// several windows (one invalid, with its reason code); the reward epoch closes and pays. Then:
// the proofs module's verdicts, rewards' breakdown (units, multipliers, demand vs subsidy, earned,
// recomputed here from the published formulas), the REST index views against the modules' own
// queries at the same height, the owner's claim through CosmJS (exactly earned − claimed, then
// nothing), and the reward record proven on Ethereum: DepinAnchor.verifyState and a claim through
// RewardClaimVerifier (deployed here), with a replay and a tampered record refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { getAddress, parseEventLogs, type Hex } from 'viem';
import { SigningStargateClient, GasPrice, type DeliverTxResponse } from '@cosmjs/stargate';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { makeCosmoshubPath } from '@cosmjs/amino';
import { startAnvil, type Anvil } from '../../node/anchor/anvil.ts';
import { ethClients, deployRewardClaimVerifier, depinAnchorAbi, rewardClaimVerifierAbi, revertName, type EthClients } from '../../node/anchor/anchor-contract.ts';
import { rpcQuery, anchorQuery, exportRewardRecord, rewardClaimCall, verifyOnEthereum } from '../../node/anchor/proof-export.ts';
import { checkpointInfoFromMsg, STATUS } from '../../modules/anchor/types.ts';
import { Q as RQ, queryPath as rewardsPath } from '../../modules/rewards/types.ts';
import { ANCHOR_RECORD_KEY_PREFIX, anchorRecordId, encodeAnchorRecord } from '../../modules/rewards/anchor-record.ts';
import { DEV_ANCHOR_CONTRACT } from '../../node/dev-genesis.ts';
import { fromBech32 } from '../../chain/crypto/address.ts';
import { startAnchoredDevnet } from '../helpers/anchored-devnet.ts';
import { DEPIND, DEV_MNEMONIC, untilValue, type Devnet } from '../helpers/devnet.ts';
import { registerDevice } from '../helpers/register-device.ts';
import { SensorGateway, readings, type SensorDevice } from '../helpers/sensor-gateway.ts';
import { depinRegistry, DevicesClient, RewardsClient, ProofsClient, registerOracleMsg, postPriceMsg, mintCreditsMsg, spendCreditsMsg, claimRewardsMsg } from '../../sdk/index.ts';
import { readingsRoot } from '../../sdk/proofs.ts';

const EPOCH_BLOCKS = 60n; // rewards epochs (dev genesis: 30)
const WINDOW_BLOCKS = 6n; // proof windows (dev genesis: 20)
const CHECKPOINT_INTERVAL = 10n;
const BLOCK_MS = 200;
const SENSOR_SHARE_BPS = 900n; // dev genesis sector_shares: sensor 9 %
const CLAIM_FEE = { amount: [{ denom: 'udpin', amount: '5000' }], gas: '400000' };

let anvil: Anvil;
let eth: EthClients;
let net: Devnet;
let client: SigningStargateClient;
let devices: DevicesClient;
let rewards: RewardsClient;
let proofs: ProofsClient;
let owner: string;
let oracle: string;
let buyer: string;
let gateway: string;
const timings: [string, number][] = [];
let mark = Date.now();
const phase = (name: string) => {
  const now = Date.now();
  timings.push([name, now - mark]);
  mark = now;
};
const attr = (r: DeliverTxResponse, type: string, key: string) => r.events.find((e) => e.type === type)?.attributes.find((a) => a.key === key)?.value;
const ok = async (from: string, msgs: { typeUrl: string; value: Record<string, unknown> }[]) => {
  const r = await client.signAndBroadcast(from, msgs, 'auto');
  assert.equal(r.code, 0, r.rawLog ?? '');
  return r;
};
const rest = async (path: string) => {
  const r = await fetch(net.rest + path);
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return (await r.json()) as any;
};
const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> => untilValue(what, fn, net, timeoutMs);
const balance = async (a: string) => BigInt((await client.getBalance(a, 'udpin')).amount);
const gwHeight = async () => BigInt(await client.getHeight());

before(async () => {
  anvil = await startAnvil({ chainId: 31337n });
  eth = ethClients(anvil.url, anvil.chainId);
  ({ net } = await startAnchoredDevnet({
    eth, ethRpc: anvil.url, blockTimeMs: BLOCK_MS,
    editGenesis: (genesis) => {
      genesis.app_state.anchor.params.checkpoint_interval = CHECKPOINT_INTERVAL.toString();
      genesis.app_state.anchor.params.ack_timeout = '20';
      genesis.app_state.rewards.params.epoch_blocks = EPOCH_BLOCKS.toString();
      genesis.app_state.proofs.params.window_blocks = WINDOW_BLOCKS.toString();
    },
  }));
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'depin', hdPaths: [3, 4, 5, 6].map((i) => makeCosmoshubPath(i)) });
  [owner, oracle, buyer, gateway] = (await wallet.getAccounts()).map((a) => a.address) as [string, string, string, string];
  client = await SigningStargateClient.connectWithSigner(net.rpc, wallet, { registry: depinRegistry(), gasPrice: GasPrice.fromString('0.025udpin'), broadcastPollIntervalMs: 100 });
  devices = await DevicesClient.connect(net.rpc);
  rewards = await RewardsClient.connect(net.rpc);
  proofs = await ProofsClient.connect(net.rpc);
  phase('start anvil + depind');
});

after(async () => {
  if (process.env.DEBUG_DEPIND) console.log(net?.output());
  client?.disconnect();
  devices?.disconnect();
  rewards?.disconnect();
  proofs?.disconnect();
  await net?.stop();
  net?.cleanup();
  await anvil?.stop();
  console.log(`# depin-flow timings (ms, ${BLOCK_MS} ms blocks, ${EPOCH_BLOCKS}-block epochs, ${WINDOW_BLOCKS}-block windows): ${timings.map(([n, ms]) => `${n} ${ms}`).join(' · ')}`);
});

test('device → proofs → rewards → index views → claim on chain → the reward record proven and claimed on Ethereum', async () => {
  // ---- a sensor device, registered and located through CosmJS + the SDK
  const reg = await registerDevice(client, devices, owner, { sector: 'sensor', lat: 47.3769, lng: 8.5417 }); // Zürich
  const view = await devices.device(reg.id);
  const located = view.device;
  assert.equal(located.locationCell, reg.cell, 'the asserted location is on chain');
  assert.deepEqual([located.owner, view.active], [owner, true]);
  const dev: SensorDevice = { id: reg.id, key: reg.device, cell: reg.cell! };

  // ---- an oracle bonds 100 DPIN and posts $2.00 per DPIN (one bonded oracle is a quorum on the dev chain)
  const blockTime = BigInt(Math.floor(new Date((await client.getBlock()).header.time).getTime() / 1000));
  await ok(oracle, [registerOracleMsg(oracle, 100_000_000n), postPriceMsg(oracle, 2_000_000n, blockTime)]);
  assert.equal((await rewards.prices()).aggregate.ok, true);
  phase('register + locate + oracle');

  // ---- the epoch E of the demand and the proofs: the open one if it has room for them (nothing
  // else on this chain buys credits or submits proofs), else the next
  const room = 4n + 5n * WINDOW_BLOCKS;
  let { currentEpoch: E, summary: open } = await rewards.epoch();
  if (BigInt(open.startHeight) + EPOCH_BLOCKS - 1n - (await gwHeight()) < room) {
    const next = E + 1n;
    E = await until(`epoch ${next}`, async () => ((await rewards.epoch()).currentEpoch >= next ? next : undefined));
    open = (await rewards.epoch(E)).summary;
  }
  const lastHeight = BigInt(open.startHeight) + EPOCH_BLOCKS - 1n;
  phase(`epoch ${E} (heights ${open.startHeight}..${lastHeight})`);

  // ---- demand: the buyer burns 10 DPIN for credits ($20 at $2.00) and spends them all on the device
  const spent = await ok(buyer, [mintCreditsMsg(buyer, 10_000_000n), spendCreditsMsg(buyer, { deviceId: dev.id }, 20_000_000n, 'flow-invoice-1')]);
  assert.equal(attr(spent, 'credits_spent', 'epoch'), E.toString());

  // ---- proofs: one batch per window; the first one claims 721 readings (720 allowed): invalid, 401
  const gw = new SensorGateway(client, gateway, proofs, await client.getChainId(), WINDOW_BLOCKS);
  const verdicts: Record<string, string>[] = [];
  let w = -1n;
  for (let i = 0; i < 4; i++) {
    w = await gw.nextWindow(w);
    assert.ok((w + 1n) * WINDOW_BLOCKS - 1n <= lastHeight, `window ${w} must end inside epoch ${E} (last height ${lastHeight}): this machine was too slow`);
    const rs = readings(24, `flow-${i}`);
    const batch = i === 0 ? { readingCount: 721n, readingsRoot: readingsRoot(rs) } : { readings: rs };
    verdicts.push((await gw.submit(dev, w, batch)).verdict);
  }
  assert.deepEqual(verdicts.map((v) => [v.valid, v.reason, v.reason_name, v.kind]), [
    ['false', '401', 'sensor_too_many_readings', 'sensor/batch'], ...Array(3).fill(['true', '0', 'valid', 'sensor/batch']),
  ]);
  phase('demand + 4 proof windows');

  // ---- the epoch closes at its last height and is distributed
  const summary = await until(`epoch ${E} distributed`, async () => {
    const s = (await rewards.epoch(E)).summary;
    return s.status === 3 ? s : undefined;
  }, Number(EPOCH_BLOCKS) * BLOCK_MS * 3 + 10_000);
  assert.equal(BigInt(summary.endHeight), lastHeight);
  phase('epoch close + distribution');

  // ---- the proofs module: verdicts with reason codes and their inputs
  const mine = (await proofs.proofsByDevice(dev.id)).proofs as any[];
  assert.deepEqual(mine.map((p) => [p.valid, p.reason, BigInt(p.units)]).reverse(), [[false, 401, 0n], [true, 0, 1_000_000n], [true, 0, 1_000_000n], [true, 0, 1_000_000n]]);
  const bad = await proofs.proof(BigInt(verdicts[0]!.proof_id!));
  assert.equal(bad.reasonName, 'sensor_too_many_readings');
  assert.deepEqual(['reading_count', 'max_readings'].map((k) => bad.proof.inputs.find((x: any) => x.key === k)?.value), ['721', '720']);

  // ---- rewards: the breakdown, recomputed from the published formulas (modules/rewards/README.md)
  const [rec, ...others] = (await rewards.deviceEpoch(dev.id, E)).records as any[];
  assert.equal(others.length, 0);
  assert.deepEqual([rec.owner, BigInt(rec.proofsValid), BigInt(rec.proofsInvalid), rec.reasons.map((r: any) => [r.reason, BigInt(r.count)])], [owner, 3n, 1n, [[401, 1n]]]);
  assert.equal(rec.units, '3000000');
  // multipliers, snapshotted when the record was created (the spend): trust (relocation cool-down
  // of 60 blocks after the location assertion) and seniority (ramp 0.9 → 1.1 over 300 blocks)
  const first = BigInt(rec.firstHeight);
  const trust = first < BigInt(located.locationHeight) + 60n ? 250_000n : 1_000_000n;
  const start = BigInt(located.seniorityHeight) || BigInt(located.registeredHeight);
  const seniority = 900_000n + (200_000n * (first - start < 300n ? first - start : 300n)) / 300n;
  assert.deepEqual([BigInt(rec.trustPpm), BigInt(rec.seniorityPpm), BigInt(rec.densityPpm)], [trust, seniority, 1_000_000n]);
  assert.equal(BigInt(rec.weightedUnits), 3n * (((1_000_000n * trust) / 1_000_000n) * seniority / 1_000_000n));
  // emission and the sensor pool; demand: $20 of credits at the $2.00 settle price = 10 DPIN = what was burned
  const minted = BigInt(summary.minted);
  assert.equal(minted, BigInt(summary.scheduled) + BigInt(summary.reemission) - BigInt(summary.breakerClipped));
  assert.equal(summary.creditsBurnedUdpin, '10000000');
  const pool = (minted * SENSOR_SHARE_BPS) / 10_000n;
  const sensor = summary.sectors.find((s: any) => s.sector === 4);
  assert.equal(BigInt(sensor.pool), pool);
  assert.deepEqual([rec.demandCredits, rec.demandBasis, rec.demandValue, rec.demandTarget, rec.demandReward], ['20000000', '10000000', '10000000', '10000000', '10000000']);
  // the only sensor device: it takes the whole proof bucket (pool − demand), so it earns the pool
  assert.equal(BigInt(rec.proofReward), pool - 10_000_000n);
  assert.equal(rec.withheld, '0');
  const earned = BigInt(rec.earned);
  assert.equal(earned, pool);
  assert.equal(summary.subsidyToRevenuePpm, ((minted - 10_000_000n) * 1_000_000n) / 10_000_000n, 'subsidy-to-revenue: (minted − demand paid) / revenue');
  assert.equal(BigInt(summary.paid) + BigInt(summary.unallocated), minted);
  const ledger = (await rewards.deviceEpoch(dev.id, E)).claimable[0];
  assert.deepEqual([ledger.earned, ledger.claimed, BigInt(ledger.lastCreditedEpoch)], [earned.toString(), '0', E]);
  phase('module queries');

  // ---- the owner claims through CosmJS: exactly earned − claimed; a second claim pays nothing
  assert.equal((await rewards.claimable(owner)).total, earned.toString());
  const b0 = await balance(owner);
  const c1 = await client.signAndBroadcast(owner, [claimRewardsMsg(owner)], CLAIM_FEE);
  assert.equal(c1.code, 0, c1.rawLog ?? '');
  assert.equal(await balance(owner), b0 + earned - 5000n, 'the balance grows by earned − claimed (minus the fee)');
  const c2 = await client.signAndBroadcast(owner, [claimRewardsMsg(owner, [dev.id])], CLAIM_FEE);
  assert.equal(c2.code, 0, c2.rawLog ?? '');
  assert.equal(attr(c2, 'rewards_claimed', 'amount'), '0udpin');
  assert.equal(await balance(owner), b0 + earned - 10_000n, 'the second claim pays nothing');
  phase('claims');

  // ---- the REST index views agree with the modules' own queries (at the index's height)
  await until('the index at the second claim', async () => (BigInt((await rest('/depin/indexer/v1/status')).as_of_height) >= BigInt(c2.height) ? true : undefined));
  const idxProofs = (await rest(`/depin/indexer/v1/devices/${dev.id}/proofs`)).proofs as any[];
  assert.deepEqual(idxProofs.map((p) => [p.proof_id, p.window, p.height, p.valid, p.reason, p.units, p.epoch, p.kind, p.sector]),
    mine.map((p) => [p.id.toString(), p.window.toString(), p.height.toString(), p.valid, p.reason, p.units.toString(), E.toString(), 'sensor/batch', 'sensor']));
  assert.equal(idxProofs.at(-1).reason_name, bad.reasonName);
  const earn = await rest(`/depin/indexer/v1/devices/${dev.id}/earnings`);
  const row = earn.epochs.find((r: any) => r.epoch === E.toString());
  assert.deepEqual([row.valid, row.invalid, row.units, row.paid, row.demand, row.proof, row.withheld, row.weighted_units, row.owners],
    [3, 1, rec.units, rec.earned, (BigInt(rec.demandReward) + BigInt(rec.sectorDemandReward)).toString(), rec.proofReward, rec.withheld, rec.weightedUnits, [owner]]);
  assert.equal(earn.totals.earned, earned.toString());
  const eco = (await rest(`/depin/indexer/v1/epochs?from_epoch=${E}&to_epoch=${E}`)).epochs[0];
  const demandPaid = summary.sectors.reduce((a: bigint, s: any) => a + BigInt(s.demandPaid), 0n);
  assert.deepEqual([eco.minted, eco.scheduled, eco.reemission, eco.credits_burned, eco.paid, eco.unallocated, eco.withheld, eco.demand_paid, eco.subsidy_to_revenue_ppm, eco.closed_height, eco.distributed_height],
    [summary.minted, summary.scheduled, summary.reemission, summary.creditsBurnedUdpin, summary.paid, summary.unallocated, summary.withheld, demandPaid.toString(), summary.subsidyToRevenuePpm.toString(), summary.endHeight.toString(), summary.finishedHeight.toString()]);
  const economics = await rest('/depin/indexer/v1/economics');
  const at = BigInt(economics.as_of_height);
  const totalsRes = await rpcQuery(net.rpc)(rewardsPath('Totals'), RQ.Totals[0].encode({}), at);
  assert.equal(totalsRes.code, 0, totalsRes.log);
  const st = RQ.Totals[1].decode(totalsRes.value).state;
  assert.deepEqual([economics.totals.minted, economics.totals.paid, economics.totals.unallocated, economics.totals.claimed, economics.totals.credits_burned, economics.totals.epochs_closed],
    [st.totalMinted, st.totalPaid, st.totalUnallocated, st.totalClaimed, st.creditsBurnedUdpin, st.currentEpoch - 1n].map(String), `economics totals at height ${at}`);
  const pe = economics.proofs_by_epoch.find((r: any) => r.epoch === E.toString());
  assert.deepEqual([pe.valid, pe.invalid, pe.units], [Number(summary.proofsValid), Number(summary.proofsInvalid), rec.units]);
  phase('REST index views');

  // ---- Ethereum: a checkpoint covering the payout is acknowledged; the record is exported with
  // its proof (CLI and SDK), verified by DepinAnchor.verifyState and claimed through RewardClaimVerifier
  const q = rpcQuery(net.rpc);
  const finished = BigInt(summary.finishedHeight);
  const cp = await until(`an acknowledged checkpoint at height >= ${finished}`, async () => {
    const c = checkpointInfoFromMsg((await anchorQuery(q, 'LatestCheckpoint', { acknowledged: true })).checkpoint).checkpoint;
    return c.status === STATUS.ACKNOWLEDGED && c.height >= finished ? c : undefined;
  });
  phase('checkpoint acknowledged');
  const p = await exportRewardRecord(q, dev.id, owner, { checkpoint: cp.number });
  const ownerBytes = fromBech32(owner);
  assert.deepEqual(p.record, { epoch: E, cumulative: earned, beneficiary: ownerBytes }, 'the record: last credited epoch, cumulative earned, the owner');
  assert.equal(await verifyOnEthereum(p, anvil.url), true, 'DepinAnchor.verifyState');
  const { stdout } = await promisify(execFile)(process.execPath, [DEPIND, 'query', 'rewards', 'anchor-proof', dev.id.toString(), owner, '--checkpoint', cp.number.toString(), '--node', net.rpc, '--eth-rpc', anvil.url], { timeout: 30_000 });
  const cli = JSON.parse(stdout);
  assert.deepEqual([cli.verified_locally, cli.verified_on_ethereum, cli.record.epoch, cli.record.cumulative, cli.record.beneficiary_address, cli.proof], [true, true, E.toString(), earned.toString(), owner, `0x${Buffer.from(p.proof).toString('hex')}`]);
  assert.equal(cli.key_prefix, `0x${Buffer.from(ANCHOR_RECORD_KEY_PREFIX).toString('hex')}`);

  const anchor = getAddress(DEV_ANCHOR_CONTRACT);
  const { address: verifier } = await deployRewardClaimVerifier(eth, anchor, ANCHOR_RECORD_KEY_PREFIX);
  const call = rewardClaimCall(p);
  const receipt = await eth.public.waitForTransactionReceipt({ hash: await eth.wallet.writeContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'claim', args: call.args }) });
  assert.equal(receipt.status, 'success');
  const [claimed] = parseEventLogs({ abi: rewardClaimVerifierAbi, logs: receipt.logs, eventName: 'RewardClaimed' });
  const beneficiary = getAddress(`0x${Buffer.from(ownerBytes).toString('hex')}`);
  assert.deepEqual([claimed!.args.epoch, claimed!.args.amount, claimed!.args.beneficiary, claimed!.args.checkpointNumber], [E, earned, beneficiary, cp.number]);
  assert.equal(await eth.public.readContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'balanceOf', args: [beneficiary] }), earned);
  const simulate = (args: typeof call.args) => eth.public.simulateContract({ address: verifier, abi: rewardClaimVerifierAbi, functionName: 'claim', args, account: eth.account });
  await assert.rejects(simulate(call.args), (e: unknown) => revertName(e) === 'AlreadyProcessed', 'a replay is refused');
  const raised = encodeAnchorRecord({ epoch: E + 1n, cumulative: earned * 2n, beneficiary: ownerBytes });
  await assert.rejects(simulate([call.args[0], call.args[1], `0x${Buffer.from(raised).toString('hex')}` as Hex, call.args[3]]), (e: unknown) => revertName(e) === 'InvalidProof', 'a tampered record is refused');
  const otherId = anchorRecordId(dev.id + 1n, owner);
  await assert.rejects(simulate([call.args[0], `0x${Buffer.from(otherId).toString('hex')}` as Hex, call.args[2], call.args[3]]), (e: unknown) => revertName(e) === 'InvalidProof', 'the record under another id is refused');
  assert.equal(await eth.public.readContract({ address: anchor, abi: depinAnchorAbi, functionName: 'verifyState', args: [cp.number, `0x${Buffer.from(p.key).toString('hex')}`, `0x${Buffer.from(raised).toString('hex')}`, `0x${Buffer.from(p.proof).toString('hex')}`] }), false);
  phase('Ethereum: verify + claim + refusals');
});

// Verified proofs per second per sector on one node, next to the secp256k1 verify limit, and the same
// proof submissions as calls to a minimal Solidity contract on anvil (the "just deploy on an L2"
// alternative).
//
// Every proof carries a device signature (ECDSA, ~45 µs) on top of the tx signature, and its
// sector's checks. Two tx shapes: a device submitting its own proof (1 envelope per tx: 2 ECDSA
// per proof), and a gateway batching 50 device-signed envelopes per tx (1 + 50 ECDSA per tx).
//  1. in-process: a real DepinNode (LevelDB, signature worker thread, indexer thread) admits
//     pre-signed txs through its mempool in groups of 50 per event-loop turn and produces blocks;
//     proofs/s = proofs recorded (all checked valid) / wall time from first admission to the last
//     commit (incl. the end blocks that finalize coverage);
//  2. over RPC: a `depind start` process fed with JSON-RPC batches of 50 broadcast_tx_sync, 8
//     requests in flight, from this process (same 2 cores); proofs/s = proofs / (first send ->
//     mempool drained and committed), with the node's CPU per proof by thread. One window of
//     proofs is a burst of about a second, so its rate is mostly pipeline fill and drain;
//  2b. sustained over RPC: twice the devices, 6 proofs each (sensor, compute: one in each of 6
//     consecutive live windows; coverage: beacon and witness in 3; storage: 6 x as many data
//     sets), all signed before the first send, so the node is fed for ~5 s;
//  3. anvil: ProofRegistry.submitProof for the same (device, window, payload hash) tuples, signed
//     by viem: automine (8 senders, each waiting for its receipt) and --no-mining (8 senders push,
//     then evm_mine), tx/s and gas per proof.
// Run: npx node bench/proofs.bench.ts [--quick]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import * as h3 from 'h3-js';
import { encodeFunctionData, keccak256, encodeAbiParameters, type Hex, type Address } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { DepinNode } from '../node/node.ts';
import { tuneGarbageCollector } from '../node/gc-tuning.ts';
import { depindSync, DEPIND } from '../test/helpers/devnet.ts';
import { makeGenesis, devValidatorKey, devManufacturer } from '../node/dev-genesis.ts';
import { signTx } from '../chain/tx/builder.ts';
import { sha256 } from '../chain/crypto/hash.ts';
import { accountAddress } from '../chain/crypto/address.ts';
import { publicKeyCreate, rawNativeVerify, signDigest } from '../chain/crypto/secp256k1.ts';
import { codec, u64 } from '../chain/codec/proto.ts';
import { messageToJson } from '../chain/codec/proto-json.ts';
import { Context } from '../chain/context.ts';
import { GasMeter } from '../chain/gas.ts';
import { EventManager } from '../chain/events.ts';
import { CacheKV } from '../chain/store/cache-kv.ts';
import type { App } from '../chain/app.ts';
import { defaultDevicesGenesis, DEFAULT_PARAMS as DEVICES_PARAMS } from '../modules/devices/module.ts';
import { DeviceCodec } from '../modules/devices/types.ts';
import { defaultProofsGenesis } from '../modules/proofs/module.ts';
import { devParams, type Params } from '../modules/proofs/params.ts';
import { Msgs, Q, queryPath, type EnvelopeMsg } from '../modules/proofs/types.ts';
import { COUNTERS } from '../modules/proofs/store-keys.ts';
import { STATUS } from '../modules/proofs/reasons.ts';
import { deviceKeyFromPrivate, type DeviceKey } from '../sdk/device-key.ts';
import * as P from '../sdk/proofs.ts';
import { startAnvil, anvilBinary, ANVIL_MNEMONIC, type Anvil } from '../node/anchor/anvil.ts';
import { ethClients } from '../node/anchor/anchor-contract.ts';
import { proofRegistryAbi, proofRegistryBytecode } from '../contracts/artifacts/index.ts';
import { benchKey } from './pipeline.bench.ts';
import { machine, opsPerSec, fmt, threadCpuByKind, threadCpuUs, processCpuUs } from './machine.ts';
import { rpcPoster, broadcastTxs } from './rpc-load.ts';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { u64be } from '../chain/codec/bytes.ts';

const CHAIN = 'depin-bench-1';
const SECTORS = ['sensor', 'compute', 'coverage', 'storage'] as const;
type Sector = (typeof SECTORS)[number];
const SUBMIT_URL = '/depin.proofs.v1.MsgSubmitProofs';
const QueryAccountRequest = codec<{ address: string }>('cosmos.auth.v1beta1.QueryAccountRequest');
const QueryAccountResponse = codec<{ account: { typeUrl: string; value: Uint8Array } }>('cosmos.auth.v1beta1.QueryAccountResponse');
const BaseAccount = codec<{ accountNumber: unknown }>('cosmos.auth.v1beta1.BaseAccount');

export interface ProofsBenchOptions {
  /** Devices per sector (coverage: that many beacons and as many witnesses). */
  devices: number;
  /** Envelopes per gateway tx. */
  batch: number;
  gateways: number;
  anvilProofs: number;
  rpc: boolean;
  anvil: boolean;
  /** The in-process node's bound on Merkle tree nodes in memory (default: the node's, store.cacheNodes). */
  cacheNodes?: number;
  /** Sectors to measure (default: all four). */
  sectors: readonly Sector[];
}

const deviceKey = (sector: string, i: number): DeviceKey => deviceKeyFromPrivate('secp256k1', sha256(new TextEncoder().encode(`proofs-bench-${sector}-${i}`)));
const cell = (lat: number, lng: number) => BigInt('0x' + h3.latLngToCell(lat, lng, 12));

interface BenchDevice {
  id: bigint;
  key: DeviceKey;
  cell: bigint;
  seq: bigint;
}

/** Devices of every sector imported at genesis (registered and located), gateway accounts funded. */
export function benchGenesis(o: ProofsBenchOptions, params: Params) {
  const gateways = Array.from({ length: o.gateways }, (_, i) => accountAddress(publicKeyCreate(benchKey(i))));
  const g = makeGenesis({ chainId: CHAIN, genesisTime: '2026-11-24T00:00:00Z', validator: devValidatorKey(), moniker: 'bench', balances: gateways.map((address) => ({ address, amount: 10n ** 15n })) });
  const devices: Record<Sector, BenchDevice[]> = { sensor: [], compute: [], coverage: [], storage: [] };
  const records: unknown[] = [];
  let id = 1n;
  const add = (sector: Sector, sectorNo: number, i: number, at: bigint, model: string) => {
    const key = deviceKey(sector, i);
    devices[sector].push({ id, key, cell: at, seq: 0n });
    records.push(messageToJson(DeviceCodec.type, {
      id, owner: gateways[0], pubkey: { keyType: 1, key: key.publicKey }, manufacturerId: 'devmfr', model, sector: sectorNo, hardwareClass: 'standard',
      serialHash: sha256(key.publicKey), status: 1, registeredHeight: 1n, locationCell: at, locationHeight: 1n, seniorityHeight: 1n, locationCount: 1n, metadata: '', services: [], registrationNonce: 0n,
    } as never));
    id++;
  };
  for (let i = 0; i < o.devices; i++) {
    // Coverage pairs 1.2 km apart (each witnesses the other), pairs spread over ~40 x 40 km.
    const pair = Math.floor(i / 2);
    const lat = 48 + (pair % 40) * 0.01;
    const lng = 11 + Math.floor(pair / 40) * 0.015;
    add('coverage', 1, i, cell(lat + (i % 2) * 0.0108, lng), 'dev-hotspot');
    add('sensor', 4, i, cell(-33 + i * 0.0003, 151), 'dev-sensor');
    add('compute', 3, i, cell(35 + i * 0.0003, 139), 'dev-gpu');
  }
  for (let i = 0; i < STORAGE_PROVIDERS; i++) add('storage', 2, i, cell(40.7 + i * 0.01, -74), 'dev-storage');
  g.app_state.devices = { ...defaultDevicesGenesis(DEVICES_PARAMS, [devManufacturer()]), devices: records, next_device_id: id.toString() };
  g.app_state.proofs = defaultProofsGenesis(params);
  return { genesis: g, devices, gateways };
}

export function benchParams(windowBlocks: bigint): Params {
  return {
    ...devParams(''),
    windowBlocks,
    seedDelayBlocks: 2n,
    seedLifetimeWindows: 16n,
    reciprocityBlocks: 0n, // no warm-up rounds: every beacon and witness can pay
    witnessWindowBlocks: 2n,
    challengeFinalityBlocks: 2n,
    challengeWindowBlocks: 600n,
    provingPeriodBlocks: 2_000n,
    challengesPerProof: 5, // PDP's value
    maxEnvelopesPerMsg: 100,
    defaultDifficultyBits: 8,
    recordRetentionWindows: 1_000n,
    minProviderBond: { denom: 'udpin', amount: '1000000' },
  };
}

// ------------------------------------------------------------------ envelopes and txs

/** The piece every bench data set stores: 1,024 leaves (paths of 10 siblings, as a 32 KiB piece). */
const PIECE = new P.Piece(Array.from({ length: 1024 }, (_, i) => sha256(new TextEncoder().encode(`leaf-${i}`))));

/**
 * Storage providers. Each provider's proofs carry its own rising sequence, so they must reach the
 * mempool in order: with as many providers as the RPC runs have lanes (tx i goes in lane i mod 8),
 * `sectorRound` puts provider p's envelopes only in txs i = p mod 8, all in lane p.
 */
const STORAGE_PROVIDERS = 8;

/** Devices per step of the sustained coverage run (8 gateway txs of beacons, then of witnesses). */
const COVERAGE_UNIT = 400;

/** A data set the bench proves: its provider and the challenge seed of its current period. */
interface StorageSet {
  id: bigint;
  provider: BenchDevice;
  challengeSeed: Uint8Array;
}

/** Setup txs from `owner`: bond every provider (one tx), then open `n` data sets, 50 per tx; the
 * k-th set (ids count up from the chain's next data set id) belongs to provider k mod P. */
function storageSetupTxs(providers: BenchDevice[], n: number, owner: Gateway): Uint8Array[] {
  const tx = (messages: { typeUrl: string; value: Uint8Array }[], gas: bigint) => signTx({ messages, fee: [{ denom: 'udpin', amount: (gas / 100n).toString() }], gasLimit: gas }, { privateKey: owner.key, chainId: CHAIN, accountNumber: owner.accountNumber, sequence: owner.sequence++ });
  const txs = [tx(providers.map((d) => ({ typeUrl: '/depin.proofs.v1.MsgBondProvider', value: Msgs.BondProvider.encode({ owner: owner.address, deviceId: d.id, amount: { denom: 'udpin', amount: '1000000' } }) })), 300_000n * BigInt(providers.length))];
  for (let i = 0; i < n; i += 50) {
    txs.push(tx(Array.from({ length: Math.min(50, n - i) }, (_, j) => ({ typeUrl: '/depin.proofs.v1.MsgCreateDataSet', value: Msgs.CreateDataSet.encode({ owner: owner.address, deviceId: providers[(i + j) % providers.length]!.id, pieces: [{ root: PIECE.root, leafCount: PIECE.leafCount }] }) })), 20_000_000n));
  }
  return txs;
}

interface Round {
  /** Envelope groups submitted in order (coverage: beacons, then witnesses). */
  phases: EnvelopeMsg[][];
  proofs: number;
}

/** The envelopes of one round; `per` (envelopes per tx) only orders storage's (see STORAGE_PROVIDERS). */
export function sectorRound(sector: Sector, devs: BenchDevice[], window: bigint, seed: Uint8Array, extra: { dataSets?: StorageSet[]; per?: number } = {}): Round {
  const ctx = (d: BenchDevice, w = window, s = seed): P.EnvelopeContext => ({ chainId: CHAIN, deviceId: d.id, window: w, seed: s, seq: ++d.seq });
  if (sector === 'sensor') {
    return { phases: [devs.map((d) => P.sensorBatch(d.key, ctx(d), { readingCount: 60n, readingsRoot: sha256(u64be(d.id)), cell: d.cell, eventId: sha256(new TextEncoder().encode(`ev-${d.id}-${window}`)) }))], proofs: devs.length };
  }
  if (sector === 'compute') {
    return { phases: [devs.map((d) => P.availability(d.key, ctx(d), P.solvePuzzle(seed, d.id, window, 8)))], proofs: devs.length };
  }
  if (sector === 'coverage') {
    const radio = { region: 1, frequencyKhz: 868_100, dataRate: 5, txPowerDbm10: 140, antennaGainDbi10: 20 };
    const beacons = devs.map((d) => P.beacon(d.key, ctx(d), { ...radio, localEntropy: u64be(d.id).subarray(4) }));
    const witnesses = devs.map((d, i) => P.witness(d.key, ctx(d), { beaconPayload: beacons[i ^ 1]!.payload, rssiDbm10: -1_050, snrDb10: 60, frequencyKhz: 868_100, region: 1, antennaGainDbi10: 30 }));
    return { phases: [beacons.map((b) => b.envelope), witnesses], proofs: 2 * devs.length };
  }
  // Storage: tx c of `per` envelopes holds provider (c mod P)'s sets only.
  const sets = extra.dataSets!;
  const per = extra.per!;
  const byProvider = devs.map((d) => sets.filter((x) => x.provider === d));
  if (byProvider.some((l) => l.length !== sets.length / devs.length || l.length % per !== 0)) throw new Error(`storage: ${sets.length} data sets do not split into txs of ${per} evenly over ${devs.length} providers`);
  const envs: EnvelopeMsg[] = [];
  for (let at = 0; at < sets.length / devs.length; at += per) {
    for (const list of byProvider) for (const x of list.slice(at, at + per)) envs.push(P.pdpProof(x.provider.key, ctx(x.provider, 0n, x.challengeSeed), x.id, P.pdpAnswers([PIECE], x.challengeSeed, x.id, 5)));
  }
  return { phases: [envs], proofs: sets.length };
}

export interface Gateway {
  key: Uint8Array;
  address: string;
  accountNumber: bigint;
  sequence: bigint;
}

/** Splits envelopes into txs of `per` envelopes, round-robin over the gateways (sequences rise). */
export function proofTxs(envs: EnvelopeMsg[], per: number, gateways: Gateway[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, g = 0; i < envs.length; i += per, g = (g + 1) % gateways.length) {
    const gw = gateways[g]!;
    const chunk = envs.slice(i, i + per);
    const bytes = chunk.reduce((n, e) => n + e.payload.length, 0);
    const gas = 150_000n + 90_000n * BigInt(chunk.length) + 40n * BigInt(bytes);
    out.push(signTx(
      { messages: [{ typeUrl: SUBMIT_URL, value: Msgs.SubmitProofs.encode({ submitter: gw.address, envelopes: chunk }) }], fee: [{ denom: 'udpin', amount: (gas / 100n).toString() }], gasLimit: gas },
      { privateKey: gw.key, chainId: CHAIN, accountNumber: gw.accountNumber, sequence: gw.sequence++ },
    ));
  }
  return out;
}

function accountNumberOf(query: (path: string, data: Uint8Array) => Uint8Array, address: string): bigint {
  const any = QueryAccountResponse.decode(query('/cosmos.auth.v1beta1.Query/Account', QueryAccountRequest.encode({ address }))).account;
  return u64(BaseAccount.decode(any.value).accountNumber as never);
}

// ------------------------------------------------------------------ in-process pipeline

function queryCtx(app: App): Context {
  return new Context(new CacheKV(app.store), { chainId: CHAIN, height: BigInt(app.store.version) + 1n, time: { seconds: 0n, nanos: 0 } }, new GasMeter(Infinity), new EventManager(false), 'query');
}

/** Wall ms spent admitting (signature worker + CheckTx) and producing blocks, summed over calls. */
const phase = { admit: 0, blocks: 0 };

async function admitAndCommit(node: DepinNode, txs: Uint8Array[]): Promise<void> {
  const t0 = performance.now();
  const admitted: Promise<{ result: { code: number; log: string } }>[] = [];
  for (let i = 0; i < txs.length; i += 50) {
    for (const tx of txs.slice(i, i + 50)) admitted.push(node.mempool.addAsync(tx));
    await new Promise((r) => setImmediate(r));
  }
  const bad = (await Promise.all(admitted)).find((r) => r.result.code !== 0);
  if (bad) throw new Error(`CheckTx failed: ${bad.result.log}`);
  const t1 = performance.now();
  while (node.mempool.size() > 0) await node.produceBlock();
  phase.admit += t1 - t0;
  phase.blocks += performance.now() - t1;
}

interface InProcRow {
  single: number;
  batched: number;
  mainUsSingle: number;
  mainUsBatched: number;
  procUsSingle: number;
  procUsBatched: number;
  gasSingle: number;
  gasBatched: number;
}

/** Proofs/s two dedicated cores would sustain at the measured CPU costs (derived, not measured):
 * the main thread is one core; the whole process (signature worker, indexer, GC, LevelDB) two. */
export const cpuCeiling = (mainUs: number, procUs: number) => Math.min(1e6 / mainUs, 2e6 / procUs);

async function inProcess(o: ProofsBenchOptions): Promise<Record<string, InProcRow>> {
  tuneGarbageCollector(); // as `depind start` runs
  const params = benchParams(50n);
  const { genesis, devices, gateways } = benchGenesis({ ...o, devices: o.devices * 2 }, params); // two device sets: one per tx shape
  const home = mkdtempSync(join(tmpdir(), 'depind-proofs-bench-'));
  depindSync(['init', '--dev', '--home', home, '--overwrite']);
  writeFileSync(join(home, 'config', 'genesis.json'), JSON.stringify(genesis));
  const node = await DepinNode.open({ home, config: { blockTimeMs: 1_000_000, ...(o.cacheNodes ? { store: { cacheNodes: o.cacheNodes } } : {}) }, log: () => {} });
  await node.produceBlock(); // height 1: state to query
  const q = (path: string, data: Uint8Array) => {
    const r = node.app.query({ path, data });
    if (r.code) throw new Error(r.log);
    return r.value;
  };
  const gws: Gateway[] = gateways.map((address, i) => ({ key: benchKey(i), address, accountNumber: accountNumberOf(q, address), sequence: 0n }));
  const proofs = node.keepers.proofs;
  const thread = threadCpuUs;
  const proc = processCpuUs;
  const details: string[] = [];

  // Storage: bond the providers and open one data set per proof (one PDP proof per set and period).
  await admitAndCommit(node, storageSetupTxs(devices.storage, o.devices * 2, gws[0]!));
  // Into window 1 (its seed exists) and past the data sets' challenge heights.
  while (node.blocks.height() < params.windowBlocks + 3n) await node.produceBlock();
  const window = (node.blocks.height() + 1n) / params.windowBlocks;
  const seed = proofs.windowSeed(queryCtx(node.app), params, window).seed!;
  const { getDataSet } = await import('../modules/proofs/storage.ts');
  const sets: StorageSet[] = Array.from({ length: o.devices * 2 }, (_, i) => {
    const ds = getDataSet(proofs, queryCtx(node.app), BigInt(i + 1))!;
    return { id: ds.id, provider: devices.storage.find((d) => d.id === ds.deviceId)!, challengeSeed: proofs.challengeSeedAt(queryCtx(node.app), ds.challengeHeight)! };
  });

  const out: Record<string, InProcRow> = {};
  console.log(`\n## in-process node (LevelDB, 1 signature worker, indexer thread): ${fmt(o.devices)} devices per sector and shape, window ${window}`);
  console.log('sector   | proofs | 1 envelope/tx: proofs/s measured (CPU µs per proof: main thread / whole process; ceiling on 2 dedicated cores; gas per proof) | gateway x' + o.batch + ': same');
  for (const sector of o.sectors) {
    const row: InProcRow = { single: 0, batched: 0, mainUsSingle: 0, mainUsBatched: 0, procUsSingle: 0, procUsBatched: 0, gasSingle: 0, gasBatched: 0 };
    for (const shape of ['single', 'batched'] as const) {
      const half = shape === 'single' ? 0 : 1;
      const devs = sector === 'storage' ? devices.storage : devices[sector].slice(half * o.devices, (half + 1) * o.devices);
      const per = shape === 'single' ? 1 : sector === 'storage' ? Math.min(o.batch, 25) : o.batch;
      const round = sectorRound(sector, devs, window, seed, { dataSets: sets.slice(half * o.devices, (half + 1) * o.devices), per });
      const phaseTxs = round.phases.map((envs) => proofTxs(envs, per, gws));
      const first = proofs.peekId(queryCtx(node.app), COUNTERS.proof);
      let wall = 0;
      let mainCpu = 0;
      let procCpu = 0;
      phase.admit = 0;
      phase.blocks = 0;
      const k0 = threadCpuByKind();
      const stats = node.app.store.stats;
      const s0 = { ...stats };
      const measure = async (fn: () => Promise<void>) => {
        const c0 = thread();
        const p0 = proc();
        const t0 = performance.now();
        await fn();
        wall += performance.now() - t0;
        mainCpu += thread() - c0;
        procCpu += proc() - p0;
      };
      const gas: number[] = [];
      for (const [i, txs] of phaseTxs.entries()) {
        // Gas per proof of this shape: the phase's first tx simulated on committed state (not timed).
        gas.push(Number(node.app.simulate(txs[0]!).gasUsed) / Math.min(per, round.phases[i]!.length));
        await measure(() => admitAndCommit(node, txs));
      }
      // Coverage verdicts are final once the beacons' witness window closes (end blocks count).
      if (sector === 'coverage') await measure(async () => {
        for (let i = 0n; i <= params.witnessWindowBlocks; i++) await node.produceBlock();
      });
      row[shape === 'single' ? 'gasSingle' : 'gasBatched'] = Math.round(gas.reduce((a, b) => a + b, 0) / gas.length);
      const dt = wall / 1000;
      const mainUs = mainCpu / round.proofs;
      const byKind = [...threadCpuByKind()].map(([k, v]) => [k, (v - (k0.get(k) ?? 0)) / round.proofs] as const).filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]);
      // State work per proof (tx ante and fee keys included, amortised over the envelopes of a tx).
      const perProof = (k: 'keyWrites' | 'nodeWrites' | 'hashes') => ((stats[k] - s0[k]) / round.proofs).toFixed(1);
      details.push(`${sector}/${shape}: wall ${wall.toFixed(0)} ms (admission ${phase.admit.toFixed(0)}, blocks ${phase.blocks.toFixed(0)}), process CPU ${(procCpu / 1000).toFixed(0)} ms = ${(procCpu / 10 / wall).toFixed(0)}% of one core; CPU per proof by thread: ${byKind.map(([k, v]) => `${k} ${v.toFixed(0)} µs`).join(', ')}; state per proof: ${perProof('keyWrites')} keys written, ${perProof('nodeWrites')} tree nodes written, ${perProof('hashes')} SHA-256`);
      const ctx = queryCtx(node.app);
      const last = proofs.peekId(ctx, COUNTERS.proof);
      let valid = 0;
      for (let id = first; id < last; id++) {
        const r = proofs.getRecord(ctx, id)!;
        if (r.valid && r.status === STATUS.FINAL) valid++;
      }
      if (Number(last - first) !== round.proofs || valid !== round.proofs) throw new Error(`${sector}/${shape}: ${valid} valid of ${last - first} recorded, expected ${round.proofs}`);
      row[shape] = round.proofs / dt;
      row[shape === 'single' ? 'mainUsSingle' : 'mainUsBatched'] = mainUs;
      row[shape === 'single' ? 'procUsSingle' : 'procUsBatched'] = procCpu / round.proofs;
    }
    out[sector] = row;
    const cell = (tps: number, main: number, procUs: number, gas: number) => `${fmt(tps).padStart(6)} (${main.toFixed(0)} / ${procUs.toFixed(0)} µs; ${fmt(cpuCeiling(main, procUs))}/s; ${fmt(gas)} gas)`;
    console.log(`${sector.padEnd(8)} | ${fmt(sector === 'coverage' ? 2 * o.devices : o.devices).padStart(6)} | ${cell(row.single, row.mainUsSingle, row.procUsSingle, row.gasSingle)} | ${cell(row.batched, row.mainUsBatched, row.procUsBatched, row.gasBatched)}`);
  }
  console.log(details.map((d) => `  ${d}`).join('\n'));
  await node.stop();
  rmSync(home, { recursive: true, force: true });
  return out;
}

// ------------------------------------------------------------------ over RPC

/** A `depind start` process on a bench genesis, with the JSON-RPC calls the RPC runs make. */
interface RpcNode {
  proc: ReturnType<typeof spawn>;
  call(method: string, p?: Record<string, unknown>): Promise<any>;
  abci(path: string, data: Uint8Array): Promise<Uint8Array>;
  height(): Promise<bigint>;
  waitHeight(h: bigint): Promise<void>;
  /** The genesis gateways with their account numbers (sequences from 0). */
  gateways(): Promise<Gateway[]>;
  /** Broadcasts each lane's txs in order (JSON-RPC batches of 50, one request in flight per lane),
   * the lanes concurrently; then waits until the mempool is drained (= committed: the node removes
   * txs when their block commits). Returns the seconds from the first send to the drain; throws
   * if any tx is refused or fails in its block. */
  sendLanes(lanes: Uint8Array[][]): Promise<number>;
  /** sendLanes for steps sent one after the other: every tx of a step is admitted before the next
   * step starts (coverage: a witness after its beacon); one drain at the end. */
  sendSteps(steps: Uint8Array[][][]): Promise<number>;
  close(): Promise<void>;
}

async function startRpcNode(genesis: unknown, gatewayAddresses: string[]): Promise<RpcNode> {
  const home = mkdtempSync(join(tmpdir(), 'depind-proofs-rpc-'));
  depindSync(['init', '--dev', '--home', home, '--overwrite']);
  writeFileSync(join(home, 'config', 'genesis.json'), JSON.stringify(genesis));
  // DEPIND_NODE_ARGS passes Node flags to the node process, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const nodeArgs = (process.env.DEPIND_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, DEPIND, 'start', '--home', home, '--rpc.laddr', '127.0.0.1:0', '--rest.laddr', '', '--block-time', '200'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let outText = '';
  proc.stderr!.on('data', (d) => (outText += d));
  const url = await new Promise<URL>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      outText += d;
      const m = /CometBFT RPC\s+(http:\/\/\S+)/.exec(outText);
      if (m) resolve(new URL(m[1]!));
    });
    proc.once('exit', () => reject(new Error(outText)));
  });
  const poster = rpcPoster(url, 8);
  const post = async (body: string): Promise<any> => JSON.parse(await poster.post(body));
  const call = async (method: string, p: Record<string, unknown> = {}) => {
    const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: p }));
    if (r.error) throw new Error(JSON.stringify(r.error));
    return r.result;
  };
  const abci = async (path: string, data: Uint8Array): Promise<Uint8Array> => {
    const r = await call('abci_query', { path, data: Buffer.from(data).toString('hex') });
    if (r.response.code) throw new Error(r.response.log);
    return Buffer.from(r.response.value ?? '', 'base64');
  };
  const height = async () => BigInt((await call('status')).sync_info.latest_block_height);
  const waitHeight = async (h: bigint) => {
    while ((await height()) < h) await new Promise((r) => setTimeout(r, 100));
  };
  const sendSteps = async (steps: Uint8Array[][][]) => {
    const from = await height();
    const t0 = performance.now();
    let rejected = 0;
    let first = '';
    for (const lanes of steps) {
      await Promise.all(lanes.map(async (mine) => {
        for (let next = 0; next < mine.length; ) {
          const chunk = mine.slice(next, next + 50);
          next += chunk.length;
          for (const r of await broadcastTxs(poster.post, chunk.map((tx) => Buffer.from(tx).toString('base64')))) {
            rejected++;
            first ||= r.answer;
          }
        }
      }));
    }
    if (rejected) throw new Error(`${rejected} txs rejected, first: ${first}`);
    for (;;) {
      const n = Number((await call('num_unconfirmed_txs')).n_txs);
      if (n === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - t0) / 1000;
    // Admission (CheckTx) runs the ante checks only: a proof tx can still fail in its block,
    // e.g. a device sequence overtaken by a later tx. Every tx sent must have committed with code 0.
    const to = await height();
    let failed = 0;
    let log = '';
    for (let h = from + 1n; h <= to; h++) {
      for (const r of (await call('block_results', { height: String(h) })).txs_results ?? []) {
        if (r.code === 0) continue;
        failed++;
        log ||= `height ${h}: code ${r.code} (${r.codespace}): ${r.log}`;
      }
    }
    if (failed) throw new Error(`${failed} txs failed in their blocks, first at ${log}`);
    return seconds;
  };
  return {
    proc, call, abci, height, waitHeight,
    async gateways() {
      const gws: Gateway[] = [];
      for (const [i, address] of gatewayAddresses.entries()) {
        const any = QueryAccountResponse.decode(await abci('/cosmos.auth.v1beta1.Query/Account', QueryAccountRequest.encode({ address }))).account;
        gws.push({ key: benchKey(i), address, accountNumber: u64(BaseAccount.decode(any.value).accountNumber as never), sequence: 0n });
      }
      return gws;
    },
    sendLanes: (lanes) => sendSteps([lanes]),
    sendSteps,
    async close() {
      poster.close();
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Starts measuring a process's CPU by thread; the returned function gives µs per proof. */
function cpuPerProof(pid: number): (proofs: number, seconds: number) => string {
  const k0 = threadCpuByKind(pid);
  return (proofs, seconds) => {
    const byKind = [...threadCpuByKind(pid)].map(([k, v]) => [k, (v - (k0.get(k) ?? 0)) / proofs] as const).filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]);
    const us = byKind.reduce((a, [, v]) => a + v, 0);
    return `node CPU per proof ${us.toFixed(0)} µs = ${((us * proofs) / 1e4 / seconds).toFixed(0)}% of one core (${byKind.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')})`;
  };
}

/**
 * Bonds the providers and opens `n` data sets over RPC (on a fresh chain: ids 1..n), waits for
 * their challenge seeds and returns them. The sets of one setup tx share a creation height, so a
 * challenge height and seed: one query per tx.
 */
async function openDataSets(node: RpcNode, providers: BenchDevice[], n: number, owner: Gateway): Promise<StorageSet[]> {
  await node.sendLanes([storageSetupTxs(providers, n, owner)]); // one account: one lane, in order
  const dataSet = async (id: bigint) => Q.DataSet[1].decode(await node.abci(queryPath('DataSet'), Q.DataSet[0].encode({ id }))) as { dataSet: { challengeHeight: bigint }; challengeSeed: Uint8Array };
  await node.waitHeight(u64((await dataSet(BigInt(n))).dataSet.challengeHeight as never) + 1n);
  const sets: StorageSet[] = [];
  for (let first = 1; first <= n; first += 50) {
    const seed = Uint8Array.from((await dataSet(BigInt(first))).challengeSeed);
    for (let id = first; id < first + 50 && id <= n; id++) sets.push({ id: BigInt(id), provider: providers[(id - 1) % providers.length]!, challengeSeed: seed });
  }
  return sets;
}

/** Throws unless each device's latest `n` proofs are recorded valid and final. */
async function checkRecorded(node: RpcNode, sector: string, devs: BenchDevice[], n: number): Promise<void> {
  for (const d of devs) {
    const problem = await notValidAndFinal(node, d, n);
    if (problem) throw new Error(`${sector}: ${problem}`);
  }
}

/** Why `d`'s latest `n` proofs are not all recorded valid and final, or undefined if they are. */
async function notValidAndFinal(node: RpcNode, d: BenchDevice, n: number): Promise<string | undefined> {
  const page = Q.ProofsByDevice[1].decode(await node.abci(queryPath('ProofsByDevice'), Q.ProofsByDevice[0].encode({ deviceId: d.id, pagination: { limit: BigInt(n) } }))) as { proofs: { valid: boolean; status: number; reason?: number; kind?: number }[] };
  const bad = page.proofs.length < n ? undefined : page.proofs.find((p) => !p.valid || p.status !== STATUS.FINAL);
  if (page.proofs.length < n || bad) return `device ${d.id}: ${page.proofs.length} of ${n} proofs recorded${bad ? `, one not valid and final: valid ${bad.valid}, status ${bad.status}, reason ${bad.reason}, kind ${bad.kind}` : ''} (height ${await node.height()})`;
  return undefined;
}

/**
 * Sustained load over JSON-RPC: 2 x `devices` per sector, 6 proofs each (sensor, compute: one per
 * window in 6 consecutive live windows; coverage: a beacon and a witness in 3 windows; storage:
 * 6 x as many data sets, one PDP proof each), all signed before the first send, so the node is fed
 * for seconds instead of one burst (whose pipeline fill and drain, signature worker first and
 * blocks last, dominate a one-window run). Windows are 10 blocks (2 s) and seeds live 16 windows,
 * so all of them are known when signing starts and still live when the last tx lands (checked
 * before sending: signing a compute proof, puzzle included, takes ~0.4 ms here). Coverage is
 * counted until every verdict is final (a beacon's, `witness_window_blocks` = 5 after its block).
 */
async function sustainedRpc(o: ProofsBenchOptions, proofsPerDevice = 6n): Promise<Record<string, number>> {
  const params = { ...benchParams(10n), witnessWindowBlocks: 5n };
  const { genesis, devices, gateways } = benchGenesis({ ...o, devices: 2 * o.devices }, params);
  const node = await startRpcNode(genesis, gateways);
  const out: Record<string, number> = {};
  const details: string[] = [];
  const per = (sector: Sector) => (sector === 'storage' ? Math.min(o.batch, 25) : o.batch);
  try {
    await node.waitHeight(2n);
    const gws = await node.gateways();
    const sets = o.sectors.includes('storage') ? await openDataSets(node, devices.storage, 2 * o.devices * Number(proofsPerDevice), gws[0]!) : [];
    await node.waitHeight(proofsPerDevice * params.windowBlocks + 2n);
    console.log(`\n## sustained over JSON-RPC: ${fmt(2 * o.devices)} devices per sector x ${proofsPerDevice} proofs (storage: ${fmt(sets.length)} data sets), gateway txs of ${o.batch} (storage ${per('storage')}), 8 lanes of JSON-RPC batches of 50 txs, 200 ms blocks; load generator on the same 2 cores`);
    console.log('sector   | proofs | proofs/s | node CPU');
    for (const sector of o.sectors) {
      const devs = devices[sector];
      const current = ((await node.height()) + 1n) / params.windowBlocks;
      const windows = sector === 'storage' ? 1n : sector === 'coverage' ? proofsPerDevice / 2n : proofsPerDevice;
      // steps[u]: 8 lanes. Lane = the gateway's lane, so each gateway's txs (and each device's
      // envelopes, always in the same chunk of a window, so the same gateway) arrive in sequence
      // order. Coverage goes in units of COVERAGE_UNIT devices: unit u's beacons in step u, its
      // witnesses in step u + 1 (with unit u + 1's beacons), so a witness lands a block or two
      // after its beacon and the witness window can be short. Txs are signed in send order per
      // gateway (a unit's beacons, its witnesses, the next unit's beacons...).
      const steps: Uint8Array[][][] = [];
      const add = (step: number, envs: EnvelopeMsg[]) => {
        const lanes = (steps[step] ??= Array.from({ length: 8 }, () => []));
        proofTxs(envs, per(sector), gws).forEach((tx, c) => lanes[(c % gws.length) % 8]!.push(tx));
      };
      let proofs = 0;
      let unit = 0;
      for (let j = 0n; j < windows; j++) {
        const w = current - windows + 1n + j;
        const seed = Q.Seed[1].decode(await node.abci(queryPath('Seed'), Q.Seed[0].encode({ window: w, height: 0n }))) as { seed: Uint8Array; available: boolean };
        if (!seed.available) throw new Error(`no seed for window ${w}`);
        const round = sectorRound(sector, devs, w, Uint8Array.from(seed.seed), { dataSets: sets, per: per(sector) });
        if (sector !== 'coverage') add(0, round.phases[0]!);
        else for (let k = 0; k < devs.length; k += COVERAGE_UNIT, unit++) {
          add(unit, round.phases[0]!.slice(k, k + COVERAGE_UNIT));
          add(unit + 1, round.phases[1]!.slice(k, k + COVERAGE_UNIT));
        }
        proofs += round.proofs;
      }
      const now = ((await node.height()) + 1n) / params.windowBlocks;
      if (sector !== 'storage' && current - windows + 1n + params.seedLifetimeWindows < now + 4n) throw new Error(`signing took too long: window ${current - windows + 1n} closes within 4 windows of ${now}`);
      const cpu = cpuPerProof(node.proc.pid!);
      const t0 = performance.now();
      const committed = await node.sendSteps(steps);
      const cpuCommitted = cpu(proofs, committed);
      let dt = committed;
      let detail = `${sector}: ${(committed * 1000).toFixed(0)} ms; ${cpuCommitted}`;
      if (sector === 'coverage') {
        // Counted until the last beacon's verdict (witness_window_blocks after its block) is
        // final, so the end blocks that finalize beacons and pay witnesses are inside the time.
        const last = devs[devs.length - 1]!;
        while (await notValidAndFinal(node, last, 2)) {
          if (performance.now() - t0 > 60_000) throw new Error(`coverage: ${await notValidAndFinal(node, last, 2)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        dt = (performance.now() - t0) / 1000;
        detail = `${sector}: committed after ${(committed * 1000).toFixed(0)} ms (${cpuCommitted}); every verdict final after ${(dt * 1000).toFixed(0)} ms; ${cpu(proofs, dt)}`;
      }
      out[sector] = proofs / dt;
      details.push(detail);
      console.log(`${sector.padEnd(8)} | ${fmt(proofs).padStart(6)} | ${fmt(out[sector]!).padStart(8)} |`);
      await checkRecorded(node, sector, sector === 'storage' ? devs : devs.slice(0, 20), sector === 'storage' ? 50 : Number(proofsPerDevice));
    }
    console.log(details.map((d) => `  ${d}`).join('\n'));
  } finally {
    await node.close();
  }
  return out;
}

async function overRpc(o: ProofsBenchOptions): Promise<Record<string, { batched: number; single?: number }>> {
  // Witnesses get 25 blocks (5 s) after their beacon (mainnet-like: the dev genesis gives a
  // minute): with one envelope per tx, thousands of witness txs take seconds to send, and a
  // 2-block window made the first beacons final before their witnesses arrived (reason 118).
  const params = { ...benchParams(20n), witnessWindowBlocks: 25n };
  const { genesis, devices, gateways } = benchGenesis({ ...o, devices: o.devices * 2 }, params);
  const node = await startRpcNode(genesis, gateways);
  const { proc, abci, height, waitHeight } = node;
  const out: Record<string, { batched: number; single?: number }> = {};
  const details: string[] = [];
  try {
    await waitHeight(2n);
    const gws = await node.gateways();
    // 8 lanes in flight; tx i (gateway i mod G, G a multiple of 8) goes to lane i mod 8, so one
    // gateway's txs stay in sequence order (the mempool admits an account's txs in order).
    if (gws.length % 8 !== 0) throw new Error('gateways must be a multiple of 8');
    const lanesOf = (txs: Uint8Array[]) => Array.from({ length: 8 }, (_, lane) => txs.filter((_, i) => i % 8 === lane));
    // Storage setup.
    const nSets = o.devices;
    const sets = await openDataSets(node, devices.storage, nSets, gws[0]!);
    await waitHeight(params.windowBlocks + 2n);
    const h = await height();
    const window = (h + 2n) / params.windowBlocks; // the next block's window (with margin)
    const seedRes = Q.Seed[1].decode(await abci(queryPath('Seed'), Q.Seed[0].encode({ window, height: 0n }))) as { seed: Uint8Array; available: boolean };
    if (!seedRes.available) throw new Error(`no seed for window ${window}`);
    console.log(`\n## over JSON-RPC to a depind process (200 ms blocks; batches of 50 broadcast_tx_sync, 8 requests in flight; load generator on the same 2 cores), window ${window}`);
    console.log('sector   | proofs | 1 envelope/tx proofs/s | gateway x' + o.batch + ' proofs/s');
    for (const sector of o.sectors) {
      const row: { batched: number; single?: number } = { batched: 0 };
      for (const shape of (sector === 'sensor' || sector === 'coverage' ? ['single', 'batched'] : ['batched']) as ('single' | 'batched')[]) {
        const half = shape === 'single' ? 1 : 0;
        const devs = sector === 'storage' ? devices.storage : devices[sector].slice(half * o.devices, (half + 1) * o.devices);
        const per = shape === 'single' ? 1 : sector === 'storage' ? Math.min(o.batch, 25) : o.batch;
        const round = sectorRound(sector, devs, window, Uint8Array.from(seedRes.seed), { dataSets: sets, per });
        const phaseTxs = round.phases.map((envs) => proofTxs(envs, per, gws));
        const cpu = cpuPerProof(proc.pid!);
        let dt = 0;
        for (const txs of phaseTxs) dt += await node.sendLanes(lanesOf(txs)); // coverage: witnesses once the beacons are committed
        row[shape] = round.proofs / dt;
        details.push(`${sector}/${shape}: ${(dt * 1000).toFixed(0)} ms; ${cpu(round.proofs, dt)}`);
        // Spot check that the proofs are recorded and valid (coverage: after finalization).
        if (sector === 'coverage') await waitHeight((await height()) + params.witnessWindowBlocks + 1n);
        await checkRecorded(node, sector, devs.slice(0, 20), 1);
      }
      out[sector] = row;
      console.log(`${sector.padEnd(8)} | ${fmt(sector === 'coverage' ? 2 * o.devices : sector === 'storage' ? nSets : o.devices).padStart(6)} | ${row.single === undefined ? '       -' : fmt(row.single).padStart(8)} | ${fmt(row.batched).padStart(8)}`);
    }
    console.log(details.map((d) => `  ${d}`).join('\n'));
  } finally {
    await node.close();
  }
  return out;
}

// ------------------------------------------------------------------ anvil

async function rawRpc(anvil: Anvil, method: string, params: unknown[] = []): Promise<any> {
  const res = await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

interface EvmResult {
  gasPerProof: number;
  gasSigned: number;
  automineTps: number;
  automineHeight: number;
  batchedIngestTps: number;
  batchedMineTps: number;
  batchedTps: number;
}

async function onAnvil(n: number): Promise<EvmResult> {
  const version = execFileSync(anvilBinary(), ['--version'], { encoding: 'utf8' }).split('\n')[0];
  console.log(`\n## the same proofs as ProofRegistry.submitProof calls on anvil (${version}; viem signs locally, EIP-1559)`);
  const senders = Array.from({ length: 8 }, (_, i) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i + 1 }));
  const tuples = Array.from({ length: n }, (_, i) => ({ device: BigInt(i + 1), window: 1n, payload: keccak256(u64be(BigInt(i))) }));
  const deploy = async (anvil: Anvil) => {
    const c = ethClients(anvil.url, anvil.chainId);
    const hash = await c.wallet.deployContract({ abi: proofRegistryAbi, bytecode: proofRegistryBytecode as Hex });
    for (let i = 0; i < 50 && (await rawRpc(anvil, 'eth_getTransactionReceipt', [hash])) === null; i++) {
      if (i === 10) await rawRpc(anvil, 'evm_mine');
      await new Promise((r) => setTimeout(r, 20));
    }
    const receipt = await c.public.waitForTransactionReceipt({ hash });
    return { c, address: receipt.contractAddress as Address };
  };
  const signAll = async (address: Address, chainId: bigint) => {
    const perSender = senders.map(() => [] as Hex[]);
    for (const [i, t] of tuples.entries()) {
      const s = i % senders.length;
      const data = encodeFunctionData({ abi: proofRegistryAbi, functionName: 'submitProof', args: [t.device, t.window, t.payload] });
      perSender[s]!.push(await senders[s]!.signTransaction({ to: address, data, nonce: perSender[s]!.length, gas: 80_000n, maxFeePerGas: 1_000_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, chainId: Number(chainId), type: 'eip1559' }));
    }
    return perSender;
  };

  // 1. Automine: each sender waits for its receipt before the next tx.
  const a1 = await startAnvil();
  let result: EvmResult;
  try {
    const { c, address } = await deploy(a1);
    // Signed variant: register a device key, sign the digest the contract checks.
    const dev = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 19 });
    await c.public.waitForTransactionReceipt({ hash: await c.wallet.writeContract({ address, abi: proofRegistryAbi, functionName: 'registerDevice', args: [888_888n, dev.address] }) });
    const payload = keccak256(new Uint8Array([2]));
    const digest = keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'address' }, { type: 'uint64' }, { type: 'uint64' }, { type: 'bytes32' }], [a1.chainId, address, 888_888n, 1n, payload]));
    const sig = signDigest(Buffer.from(digest.slice(2), 'hex'), Buffer.from(dev.getHdKey().privateKey!));
    const recid = await recoveryId(digest, sig, dev.address);
    const gasSigned = Number(await c.public.estimateGas({ account: senders[0]!, to: address, data: encodeFunctionData({ abi: proofRegistryAbi, functionName: 'submitSignedProof', args: [888_888n, 1n, payload, 27 + recid, `0x${Buffer.from(sig.subarray(0, 32)).toString('hex')}`, `0x${Buffer.from(sig.subarray(32)).toString('hex')}`] }) }));
    const signed = await signAll(address, a1.chainId);
    const t0 = performance.now();
    let gasUsed = 0n;
    await Promise.all(signed.map(async (list) => {
      for (const raw of list) {
        const hash = await rawRpc(a1, 'eth_sendRawTransaction', [raw]);
        let r: any = null;
        for (let i = 0; r === null; i++) {
          r = await rawRpc(a1, 'eth_getTransactionReceipt', [hash]);
          if (r === null) await new Promise((res) => setTimeout(res, i < 20 ? 1 : 10));
        }
        if (r.status !== '0x1') throw new Error('submitProof reverted');
        gasUsed += BigInt(r.gasUsed);
      }
    }));
    const automineTps = n / ((performance.now() - t0) / 1000);
    const automineHeight = Number(BigInt(await rawRpc(a1, 'eth_blockNumber')));
    result = { gasPerProof: Number(gasUsed / BigInt(n)), gasSigned, automineTps, automineHeight, batchedIngestTps: 0, batchedMineTps: 0, batchedTps: 0 };
  } finally {
    await a1.stop();
  }

  // 2. No automine: push everything (each sender in nonce order), then mine blocks until empty.
  const a2 = await startAnvil({ extraArgs: ['--no-mining'] });
  try {
    const { address } = await deploy(a2);
    const signed = await signAll(address, a2.chainId);
    const t0 = performance.now();
    await Promise.all(signed.map(async (list) => {
      for (const raw of list) await rawRpc(a2, 'eth_sendRawTransaction', [raw]);
    }));
    const t1 = performance.now();
    let mined = 0;
    while (mined < n) {
      await rawRpc(a2, 'evm_mine');
      const block = await rawRpc(a2, 'eth_getBlockByNumber', ['latest', false]);
      mined += block.transactions.length;
      if (block.transactions.length === 0) throw new Error(`anvil mined an empty block with ${n - mined} txs left`);
    }
    const t2 = performance.now();
    result.batchedIngestTps = n / ((t1 - t0) / 1000);
    result.batchedMineTps = n / ((t2 - t1) / 1000);
    result.batchedTps = n / ((t2 - t0) / 1000);
  } finally {
    await a2.stop();
  }
  console.log(`gas per proof: submitProof ${fmt(result.gasPerProof)} (measured over ${fmt(n)} receipts), submitSignedProof (+ ecrecover) ${fmt(result.gasSigned)}`);
  console.log(`automine, 8 senders each waiting for its receipt: ${fmt(result.automineTps)} tx/s (chain height 0-${result.automineHeight})`);
  console.log(`--no-mining, 8 senders push ${fmt(n)} txs then evm_mine: ingest ${fmt(result.batchedIngestTps)} tx/s, mine ${fmt(result.batchedMineTps)} tx/s, combined ${fmt(result.batchedTps)} tx/s`);
  return result;
}

/** Recovery id of a low-S secp256k1 signature (viem's ecrecover convention, v = 27 + id). */
async function recoveryId(digest: Hex, sig: Uint8Array, address: Address): Promise<number> {
  const { recoverAddress } = await import('viem');
  for (const v of [0, 1]) {
    const a = await recoverAddress({ hash: digest, signature: { r: `0x${Buffer.from(sig.subarray(0, 32)).toString('hex')}`, s: `0x${Buffer.from(sig.subarray(32)).toString('hex')}`, yParity: v } });
    if (a.toLowerCase() === address.toLowerCase()) return v;
  }
  throw new Error('no recovery id');
}

// ------------------------------------------------------------------ the whole bench

export async function runProofsBench(opts: Partial<ProofsBenchOptions> = {}): Promise<Record<string, number>> {
  const o: ProofsBenchOptions = { devices: 2_000, batch: 50, gateways: 200, anvilProofs: 2_000, rpc: true, anvil: true, sectors: SECTORS, ...opts };
  const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`\n# proofs: verified proofs per second per sector on one node (${machine()}; load average ${load()} — other processes share these 2 cores, so wall-clock rates move with them; main-thread CPU µs per proof is the steadier figure)`);
  const keys = Array.from({ length: 256 }, (_, i) => benchKey(i));
  const pubs = keys.map((k) => publicKeyCreate(k));
  const digests = keys.map((_, i) => sha256(new TextEncoder().encode(`m${i}`)));
  const sigs = keys.map((k, i) => signDigest(digests[i]!, k));
  const verify = opsPerSec((i) => {
    const j = i & 255;
    if (!rawNativeVerify(sigs[j]!, digests[j]!, pubs[j]!)) throw new Error('verify failed');
  });
  console.log(`secp256k1 verify (native, one core): ${fmt(verify)}/s; a proof needs 1 device + (1 / envelopes per tx) tx signatures, i.e. ceiling ${fmt(verify / 2)} proofs/s per core at 1 envelope/tx, ${fmt(verify / (1 + 1 / o.batch))} at ${o.batch}`);
  const inproc = await inProcess(o);
  const rpc = o.rpc ? await overRpc(o) : undefined;
  const sustained = o.rpc ? await sustainedRpc(o) : undefined;
  const evm = o.anvil ? await onAnvil(o.anvilProofs) : { gasPerProof: 0, gasSigned: 0, automineTps: 0, automineHeight: 0, batchedIngestTps: 0, batchedMineTps: 0, batchedTps: 0 };
  console.log(`\n# summary (proofs/s; anvil: proof tx/s)`);
  console.log(`sector   | in-process 1/tx | in-process x${o.batch} | CPU ceiling 1/tx | CPU ceiling x${o.batch} | RPC 1/tx | RPC x${o.batch} | RPC x${o.batch} sustained | anvil automine | anvil batched`);
  const result: Record<string, number> = { verify, evmGas: evm.gasPerProof, evmGasSigned: evm.gasSigned, evmAutomine: evm.automineTps, evmBatched: evm.batchedTps };
  for (const s of o.sectors) {
    const r = inproc[s]!;
    console.log(`${s.padEnd(8)} | ${fmt(r.single).padStart(15)} | ${fmt(r.batched).padStart(13)} | ${fmt(cpuCeiling(r.mainUsSingle, r.procUsSingle)).padStart(16)} | ${fmt(cpuCeiling(r.mainUsBatched, r.procUsBatched)).padStart(14)} | ${rpc?.[s]?.single === undefined ? '       -' : fmt(rpc[s]!.single!).padStart(8)} | ${rpc ? fmt(rpc[s]!.batched).padStart(6) : '     -'} | ${(sustained?.[s] === undefined ? '-' : fmt(sustained[s]!)).padStart(16)} | ${(o.anvil ? fmt(evm.automineTps) : '-').padStart(14)} | ${(o.anvil ? fmt(evm.batchedTps) : '-').padStart(13)}`);
    result[`${s}.inproc.single`] = inproc[s]!.single;
    result[`${s}.inproc.batched`] = inproc[s]!.batched;
    result[`${s}.ceiling.single`] = cpuCeiling(r.mainUsSingle, r.procUsSingle);
    result[`${s}.ceiling.batched`] = cpuCeiling(r.mainUsBatched, r.procUsBatched);
    if (rpc) {
      result[`${s}.rpc.batched`] = rpc[s]!.batched;
      if (rpc[s]!.single !== undefined) result[`${s}.rpc.single`] = rpc[s]!.single!;
      if (sustained?.[s] !== undefined) result[`${s}.rpc.sustained`] = sustained[s]!;
    }
  }
  if (o.anvil) console.log(`gas per proof on the EVM: ${fmt(evm.gasPerProof)} (no checks), ${fmt(evm.gasSigned)} with the device signature`);
  console.log(`load average at the end ${load()}`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // npx node bench/proofs.bench.ts [--quick] [--no-rpc] [--no-anvil] [--devices N] [--cache-nodes N] [--sectors sensor,compute]
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, 'no-rpc': { type: 'boolean' }, 'no-anvil': { type: 'boolean' }, devices: { type: 'string' }, 'cache-nodes': { type: 'string' }, sectors: { type: 'string' } } });
  const sectors = values.sectors?.split(',') ?? SECTORS;
  for (const s of sectors) if (!(SECTORS as readonly string[]).includes(s)) throw new Error(`--sectors: unknown sector ${s} (one of ${SECTORS.join(', ')})`);
  await runProofsBench({
    ...(values.quick ? { devices: 400, anvilProofs: 400, gateways: 48 } : {}),
    ...(values.devices ? { devices: Number(values.devices) } : {}),
    ...(values['cache-nodes'] ? { cacheNodes: Number(values['cache-nodes']) } : {}),
    sectors: sectors as Sector[],
    rpc: !values['no-rpc'], anvil: !values['no-anvil'],
  });
}

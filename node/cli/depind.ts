#!/usr/bin/env node
// depind: the depin-chain node and its command-line client.
import { parseArgs } from 'node:util';
import { SIMULATE_OPTIONS, SIMULATE_USAGE } from '../../sim/options.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { homePaths, writeJson, DEFAULT_CONFIG, type NodeConfig } from '../config.ts';
import { ValidatorKey } from '../validator-key.ts';
import { devGenesis, devValidatorKey, makeGenesis, DEV_CHAIN_ID } from '../dev-genesis.ts';
import { Keyring } from '../keys/keyring.ts';
import { cosmosHdPath, DEV_MNEMONIC } from '../keys/hd.ts';
import { formatRfc3339 } from '../../chain/genesis.ts';
import { parseCoins } from '../../chain/coins.ts';
import { isValidAddress, fromBech32, toBech32, VALOPER_PREFIX, VALCONS_PREFIX } from '../../chain/crypto/address.ts';
import { formatDec, parseDec } from '../../chain/dec.ts';
import { devicesCommands } from './devices-cli.ts';
import { DEV_ANCHOR_CONFIG } from '../anchor/config.ts';
import { rewardsCommands } from './rewards-cli.ts';
import { proofsCommands } from './proofs-cli.ts';
import { moduleCliFlags, broadcastSdkTx } from './sdk-tx.ts';
import { rpcCall as rpc } from './node-rpc.ts';
import { tuneGarbageCollector } from '../gc-tuning.ts';
import { balanceStoreKey } from '../../modules/bank/keeper.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEV_HOME = join(REPO_ROOT, '.depind');
const DEFAULT_NODE = 'http://127.0.0.1:26657';

function defaultHome(dev: boolean): string {
  return process.env.DEPIND_HOME ?? (dev ? DEV_HOME : join(homedir(), '.depind'));
}

class UsageError extends Error {}

interface Command {
  usage: string;
  summary: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<void>;
}

const common = { home: { type: 'string' as const }, help: { type: 'boolean' as const, short: 'h' } };
const client = { node: { type: 'string' as const, default: DEFAULT_NODE }, output: { type: 'string' as const, short: 'o', default: 'text' } };

function positiveInt(v: unknown, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got ${v}`);
  return n;
}

/** "tcp://host:port", "host:port" or a multiaddr → a listen multiaddr. */
function toListenMultiaddr(s: string): string {
  if (s.startsWith('/')) return s;
  const m = /^(?:tcp:\/\/)?([^:]+):(\d+)$/.exec(s);
  if (!m) throw new UsageError(`cannot parse listen address "${s}" (use tcp://HOST:PORT or a multiaddr)`);
  return `/${/^[0-9.]+$/.test(m[1]!) ? 'ip4' : 'dns4'}/${m[1]}/tcp/${m[2]}`;
}

/** CometBFT's "ID@host:port" (ID: the libp2p peer id) or a multiaddr with /p2p/ID. */
function toPeerMultiaddr(s: string): string {
  if (s.startsWith('/')) return s;
  const m = /^([^@]+)@([^:]+):(\d+)$/.exec(s.trim());
  if (!m) throw new UsageError(`cannot parse peer "${s}" (use PEER_ID@HOST:PORT or a multiaddr with /p2p/PEER_ID)`);
  // CometBFT users paste node_info.id (40 hex chars); libp2p dials by the peer id instead.
  if (/^[0-9a-fA-F]{40}$/.test(m[1]!)) throw new UsageError(`peer "${s}": ${m[1]} is a CometBFT node id; use the libp2p peer id from the peer's status (node_info.other.peer_id)`);
  return `${toListenMultiaddr(`${m[2]}:${m[3]}`)}/p2p/${m[1]}`;
}

function print(v: unknown, output: unknown): void {
  if (output === 'json' || typeof v !== 'string') console.log(typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2));
  else console.log(v);
}

function initHome(home: string, opts: { chainId: string; moniker: string; dev: boolean; overwrite: boolean }): void {
  const p = homePaths(home);
  if (existsSync(p.genesis) && !opts.overwrite) throw new UsageError(`${p.genesis} already exists (use --overwrite to replace it)`);
  const key = opts.dev ? devValidatorKey() : ValidatorKey.generate();
  key.save(p.validatorKey);
  const genesis = opts.dev
    ? devGenesis()
    : makeGenesis({ chainId: opts.chainId, genesisTime: formatRfc3339({ seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 }), validator: key, moniker: opts.moniker, balances: [] });
  if (opts.dev && opts.chainId !== DEV_CHAIN_ID) genesis.chain_id = opts.chainId;
  writeJson(p.genesis, genesis);
  const config: NodeConfig = { ...structuredClone(DEFAULT_CONFIG), moniker: opts.moniker };
  if (opts.dev) {
    // The anchor service's fee key: dev account 9 (README examples use 0-2, so their sequences
    // never collide with the service's), and anvil's dev key for Ethereum submissions.
    const kr = new Keyring(home);
    if (!kr.list().some((k) => k.name === DEV_ANCHOR_CONFIG.feeKey)) kr.add(DEV_ANCHOR_CONFIG.feeKey!, { mnemonic: DEV_MNEMONIC, hdPath: cosmosHdPath(DEV_ANCHOR_FEE_ACCOUNT) });
    config.anchor = { ...DEV_ANCHOR_CONFIG };
  }
  writeJson(p.config, config);
}

/** Dev account whose key the anchor service of a dev home pays chain fees with. */
const DEV_ANCHOR_FEE_ACCOUNT = 9;

// ------------------------------------------------------------------ staking / slashing helpers

// The module commands' fee flags and signer (node/cli/sdk-tx.ts), shared by bank and staking too.
const cliHelpers = { defaultHome, usageError: (m: string) => new UsageError(m), print, defaultNode: DEFAULT_NODE };
const { txFlags, txUsage } = moduleCliFlags(cliHelpers);

/** Staking and slashing events a staking command prints. */
const STAKING_EVENTS = /^(create_validator|delegate|unbond|unjail|slash)$/;

function singleCoin(amount: string, what: string): { denom: string; amount: string } {
  const coins = parseCoins(amount);
  if (coins.length !== 1) throw new UsageError(`${what} must be one coin, e.g. 5000000udpin`);
  return { denom: coins[0]!.denom, amount: coins[0]!.amount.toString() };
}

function valoperArg(a: string | undefined): string {
  if (!a || !isValidAddress(a, VALOPER_PREFIX)) throw new UsageError(`invalid validator operator address ${a ?? '(missing)'} (expected ${VALOPER_PREFIX}1...)`);
  return a;
}

async function queryClient(node: string) {
  const { connectComet } = await import('@cosmjs/tendermint-rpc');
  const { QueryClient, setupStakingExtension, setupSlashingExtension } = await import('@cosmjs/stargate');
  const comet = await connectComet(node);
  return { q: QueryClient.withExtensions(comet, setupStakingExtension, setupSlashingExtension), close: () => comet.disconnect() };
}

const STATUS_NAMES = ['UNSPECIFIED', 'UNBONDED', 'UNBONDING', 'BONDED'];
const atomicsDec = (s: string) => formatDec(BigInt(s || '0'));
const tsString = (t: { seconds: bigint; nanos: number } | undefined) => (t ? formatRfc3339({ seconds: BigInt(t.seconds), nanos: t.nanos }) : '');

function validatorView(v: any) {
  const key = v.consensusPubkey?.value ? Buffer.from(v.consensusPubkey.value).subarray(2).toString('base64') : '';
  return {
    operator_address: v.operatorAddress,
    consensus_pubkey: key,
    jailed: v.jailed,
    status: STATUS_NAMES[v.status] ?? String(v.status),
    tokens: v.tokens,
    power: (BigInt(v.tokens) / 1_000_000n).toString(),
    delegator_shares: atomicsDec(v.delegatorShares),
    moniker: v.description?.moniker ?? '',
    commission_rate: atomicsDec(v.commission?.commissionRates?.rate ?? '0'),
    min_self_delegation: v.minSelfDelegation,
    unbonding_height: String(v.unbondingHeight),
    unbonding_time: tsString(v.unbondingTime),
  };
}

const commands: Record<string, Command> = {
  init: {
    usage: 'depind init [--home DIR] [--chain-id ID] [--moniker NAME] [--dev] [--overwrite]',
    summary: 'Create a node home: validator key, node.json and genesis.json (--dev: the development genesis)',
    options: { ...common, 'chain-id': { type: 'string' }, moniker: { type: 'string', default: 'depin-node' }, dev: { type: 'boolean' }, overwrite: { type: 'boolean' } },
    async run({ values }) {
      const dev = !!values.dev;
      const home = (values.home as string) ?? defaultHome(dev);
      initHome(home, { chainId: (values['chain-id'] as string) ?? (dev ? DEV_CHAIN_ID : 'depin-1'), moniker: values.moniker as string, dev, overwrite: !!values.overwrite });
      console.log(`initialized ${home}\n  genesis:   ${homePaths(home).genesis}\n  validator: ${ValidatorKey.load(homePaths(home).validatorKey).toFile().address}`);
    },
  },
  start: {
    usage: 'depind start [--home DIR] [--dev] [--rpc.laddr HOST:PORT] [--rest.laddr HOST:PORT] [--metrics.laddr HOST:PORT] [--p2p.laddr MULTIADDR] [--p2p.persistent_peers ADDRS] [--block-time MS] [--min-gas-price 0.0025udpin] [--eth-rpc URL [--anchor-contract ADDR] | --anvil]',
    summary: 'Run the node (--dev: project-local home with the development genesis, created on first start; --eth-rpc / --anvil: anchor checkpoints on Ethereum)',
    options: {
      ...common, dev: { type: 'boolean' }, 'rpc.laddr': { type: 'string' }, 'rest.laddr': { type: 'string' }, 'metrics.laddr': { type: 'string' }, 'block-time': { type: 'string' }, 'min-gas-price': { type: 'string' },
      'p2p.laddr': { type: 'string' }, 'p2p.persistent_peers': { type: 'string' },
      'eth-rpc': { type: 'string' }, 'anchor-contract': { type: 'string' }, anvil: { type: 'boolean' },
    },
    async run({ values }) {
      tuneGarbageCollector();
      const dev = !!values.dev;
      const home = (values.home as string) ?? defaultHome(dev);
      if (!existsSync(homePaths(home).genesis)) {
        if (!dev) throw new UsageError(`no genesis at ${homePaths(home).genesis}; run "depind init" first (or start with --dev)`);
        initHome(home, { chainId: DEV_CHAIN_ID, moniker: 'dev-validator', dev: true, overwrite: false });
      }
      const overrides: Partial<NodeConfig> = {};
      if (values['rpc.laddr']) overrides.rpcListen = values['rpc.laddr'] as string;
      if (values['rest.laddr'] !== undefined) overrides.restListen = values['rest.laddr'] as string;
      if (values['metrics.laddr'] !== undefined) overrides.metricsListen = values['metrics.laddr'] as string;
      if (values['block-time']) overrides.blockTimeMs = Number(values['block-time']);
      if (values['min-gas-price']) overrides.minGasPrice = values['min-gas-price'] as string;
      const p2p: Partial<NodeConfig['p2p']> = {};
      if (values['p2p.laddr']) p2p.listen = (values['p2p.laddr'] as string).split(',').map(toListenMultiaddr);
      if (values['p2p.persistent_peers'] !== undefined) p2p.persistentPeers = (values['p2p.persistent_peers'] as string).split(',').filter(Boolean).map(toPeerMultiaddr);
      if (Object.keys(p2p).length) overrides.p2p = p2p as NodeConfig['p2p'];
      // Loaded lazily: key and query commands should not pay for opening the node's modules.
      const { DepinNode } = await import('../node.ts');
      const { RpcServer } = await import('../rpc/server.ts');
      const node = await DepinNode.open({ home, config: overrides });
      const server = new RpcServer(node, node.config.rpcListen);
      const addr = await server.listen(node.config.rpcListen);
      // Metrics, block stats and queue times, then REST with the index views and the dashboard.
      const { startObservability } = await import('../metrics/observability.ts');
      const obs = await startObservability(node, { metricsListen: node.config.metricsListen || undefined }).catch(async (err: Error) => {
        console.error(`warning: metrics not started on ${node.config.metricsListen}: ${err.message} (set --metrics.laddr)`);
        return startObservability(node);
      });
      const { RestServer } = await import('../rest/server.ts');
      const { restRoutes, nodeRestRoutes } = await import('../rest/routes.ts');
      const { dashboardSite } = await import('../dashboard/site.ts');
      let rest = node.config.restListen
        ? new RestServer(node.app, restRoutes, { cors: node.config.corsAllowedOrigins, handlers: nodeRestRoutes(node, obs, addr), site: dashboardSite() })
        : undefined;
      // REST is an extra: a taken port (another local node) disables it with a warning instead of
      // stopping the node.
      const restAddr = await rest?.listen(node.config.restListen).catch((err: Error) => {
        console.error(`warning: REST not started on ${node.config.restListen}: ${err.message} (set --rest.laddr)`);
        rest = undefined;
        return undefined;
      });
      let anchoring: import('../anchor/start.ts').Anchoring | undefined;
      let stopping = false;
      const stop = async (sig: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`${sig}: stopping at height ${node.blocks.height()}`);
        await anchoring?.stop();
        await server.close();
        await rest?.close();
        await obs.close();
        await node.stop();
        process.exit(0);
      };
      // Before anchoring starts its anvil: our handlers stop it gracefully (it saves its chain).
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
      // p2p, block sync, then consensus; a p2p listen error ends the process (awaited below).
      const running = node.start();
      running.catch(() => {}); // reported by the await below
      console.log(`depind ${node.chainId} at height ${node.blocks.height()} (home ${home})`);
      console.log(`  CometBFT RPC  http://${addr}  (websocket ws://${addr}/websocket)`);
      if (restAddr) console.log(`  REST          http://${restAddr}  (GET / lists the routes, /openapi.json)`);
      if (restAddr) console.log(`  dashboard     http://${restAddr}/`);
      if (obs.metricsAddress) console.log(`  metrics       http://${obs.metricsAddress}/metrics`);
      if (values.anvil || values['eth-rpc'] || node.config.anchor?.enabled) {
        const { startAnchoring } = await import('../anchor/start.ts');
        try {
          anchoring = await startAnchoring(node, { ethRpc: values['eth-rpc'] as string | undefined, contract: values['anchor-contract'] as string | undefined, anvil: !!values.anvil });
        } catch (err) {
          await rest?.close();
          await server.close();
          await node.stop();
          throw err;
        }
        if (anchoring) {
          const p = anchoring.service.params;
          console.log(`  Ethereum RPC  ${anchoring.ethRpc}  (chain ${p.ethChainId}${values.anvil ? (anchoring.anvil ? ', anvil started by depind' : ', anvil already running') : ''})`);
          console.log(`  anchor        DepinAnchor ${anchoring.contract}${anchoring.deployed ? ' (deployed now)' : ''}, a checkpoint every ${p.checkpointInterval} blocks; submitter ${anchoring.service.ethAddress ?? '(no Ethereum key: confirm/ack only)'}`);
        }
      }
      if (dev) {
        console.log(`  dev accounts  mnemonic "${DEV_MNEMONIC}", m/44'/118'/0'/0/0..9, 1,000,000 DPIN each`);
      }
      await running;
    },
  },
  testnet: {
    usage: 'depind testnet [--validators N] [--full-nodes K] [--output DIR] [--chain-id ID] [--base-port P] [--block-time MS] [--timeout-propose MS] [--overwrite]',
    summary: 'Write N validator homes (and K full-node homes) sharing one genesis, peered on 127.0.0.1',
    options: {
      help: common.help, validators: { type: 'string', default: '4' }, 'full-nodes': { type: 'string', default: '0' }, output: { type: 'string', default: join(REPO_ROOT, '.testnet') },
      'chain-id': { type: 'string', default: 'depin-testnet-1' }, 'base-port': { type: 'string', default: '26656' }, 'block-time': { type: 'string' },
      'timeout-propose': { type: 'string' }, overwrite: { type: 'boolean' },
    },
    async run({ values }) {
      const { writeTestnet } = await import('./testnet.ts');
      const out = await writeTestnet({
        validators: positiveInt(values.validators, 'validators'),
        fullNodes: Number(values['full-nodes']),
        output: resolve(values.output as string),
        chainId: values['chain-id'] as string,
        basePort: positiveInt(values['base-port'], 'base-port'),
        blockTimeMs: values['block-time'] ? positiveInt(values['block-time'], 'block-time') : undefined,
        timeoutProposeMs: values['timeout-propose'] ? positiveInt(values['timeout-propose'], 'timeout-propose') : undefined,
        overwrite: !!values.overwrite,
      }).catch((err) => {
        throw new UsageError((err as Error).message);
      });
      console.log(`wrote ${out.nodes.length} homes for chain ${values['chain-id']} in ${resolve(values.output as string)}`);
      for (const n of out.nodes) console.log(`  ${n.name.padEnd(6)} ${n.validator ? 'validator' : 'full node'}  home ${n.home}  rpc http://${n.rpc}  p2p ${n.p2p}`);
      console.log(`start each with: depind start --home <home>   (or all four: npm run testnet)`);
    },
  },
  simulate: {
    usage: SIMULATE_USAGE,
    summary: 'Seeded simulation of a DePIN network (honest and cheating devices, buyers, oracles, validators) on the real state machine in-process',
    options: { help: common.help, ...SIMULATE_OPTIONS },
    async run({ values }) {
      const { runSimulate, reportOk } = await import('../../sim/cli.ts');
      const r = await runSimulate(values).catch((err) => {
        throw err instanceof Error && /config|must be|unknown sector/.test(err.message) ? new UsageError(err.message) : err;
      });
      if (!reportOk(r)) process.exitCode = 1;
    },
  },
  'keys add': {
    usage: 'depind keys add NAME [--recover] [--mnemonic "words..."] [--index I] [--home DIR]',
    summary: 'Create a key (or recover one from a mnemonic, read from --mnemonic or stdin) in the test keyring',
    options: { ...common, recover: { type: 'boolean' }, mnemonic: { type: 'string' }, index: { type: 'string', default: '0' } },
    async run({ values, positionals }) {
      const name = positionals[0];
      if (!name) throw new UsageError('missing key name');
      let mnemonic = values.mnemonic as string | undefined;
      if (values.recover && !mnemonic) mnemonic = readFileSync(0, 'utf8').trim();
      const kr = new Keyring((values.home as string) ?? defaultHome(false));
      const info = kr.add(name, { mnemonic, hdPath: cosmosHdPath(Number(values.index)) });
      console.log(`- name: ${info.name}\n  address: ${info.address}\n  pubkey: ${info.pubkey}\n  hd_path: ${info.hdPath}`);
      if (!mnemonic) console.log(`\n**Write this mnemonic down; it is the only way to recover the key:**\n\n${info.mnemonic}`);
    },
  },
  'keys list': {
    usage: 'depind keys list [--home DIR] [-o json]',
    summary: 'List the keys in the test keyring',
    options: { ...common, output: client.output },
    async run({ values }) {
      const keys = new Keyring((values.home as string) ?? defaultHome(false)).list().map(({ mnemonic: _m, ...k }) => k);
      if (values.output === 'json') print(keys, 'json');
      else for (const k of keys) console.log(`- name: ${k.name}\n  address: ${k.address}\n  pubkey: ${k.pubkey}`);
    },
  },
  'keys show': {
    usage: 'depind keys show NAME [--address] [--home DIR]',
    summary: 'Show one key (-a: just the address)',
    options: { ...common, address: { type: 'boolean', short: 'a' }, output: client.output },
    async run({ values, positionals }) {
      if (!positionals[0]) throw new UsageError('missing key name');
      const { mnemonic: _m, ...k } = new Keyring((values.home as string) ?? defaultHome(false)).get(positionals[0]);
      if (values.address) console.log(k.address);
      else print(values.output === 'json' ? k : `- name: ${k.name}\n  address: ${k.address}\n  pubkey: ${k.pubkey}\n  hd_path: ${k.hdPath}`, values.output);
    },
  },
  'tx bank send': {
    usage: `depind tx bank send FROM_KEY TO_ADDRESS AMOUNT [--memo M] ${txUsage}`,
    summary: 'Send tokens, signed with a keyring key through CosmJS, and wait for inclusion',
    options: txFlags,
    async run({ values, positionals }) {
      const [from, to, amount] = positionals;
      if (!from || !to || !amount) throw new UsageError('need FROM_KEY TO_ADDRESS AMOUNT');
      if (!isValidAddress(to)) throw new UsageError(`invalid recipient address ${to}`);
      const coins = parseCoins(amount).map((x) => ({ denom: x.denom, amount: x.amount.toString() }));
      await broadcastSdkTx(cliHelpers, values, from, (address) => [{ typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: address, toAddress: to, amount: coins } }], /^transfer$/);
    },
  },
  'query bank balances': {
    usage: 'depind query bank balances ADDRESS [--node URL] [-o json]',
    summary: 'All balances of an address',
    options: { ...common, ...client },
    async run({ values, positionals }) {
      if (!positionals[0]) throw new UsageError('missing address');
      const { StargateClient } = await import('@cosmjs/stargate');
      const c = await StargateClient.connect(values.node as string);
      const balances = await c.getAllBalances(positionals[0]);
      c.disconnect();
      print(values.output === 'json' ? { balances } : balances.map((b) => `${b.amount} ${b.denom}`).join('\n') || '(no balances)', values.output);
    },
  },
  'query auth account': {
    usage: 'depind query auth account ADDRESS [--node URL]',
    summary: 'Account number, sequence and public key of an address',
    options: { ...common, ...client },
    async run({ values, positionals }) {
      if (!positionals[0]) throw new UsageError('missing address');
      const { StargateClient } = await import('@cosmjs/stargate');
      const c = await StargateClient.connect(values.node as string);
      const acc = await c.getAccount(positionals[0]);
      c.disconnect();
      if (!acc) throw new Error(`account ${positionals[0]} not found`);
      print(acc, 'json');
    },
  },
  'tx staking create-validator': {
    usage: `depind tx staking create-validator FROM_KEY --amount 10000000udpin [--pubkey BASE64 (default: the consensus key in <home>/config)] [--moniker M] [--commission-rate 0.10] [--commission-max-rate 0.20] [--commission-max-change-rate 0.01] [--min-self-delegation 1] ${txUsage}`,
    summary: 'Become a validator: FROM_KEY operates it and self-delegates --amount; the consensus key is secp256k1',
    options: {
      ...txFlags, amount: { type: 'string' }, pubkey: { type: 'string' }, moniker: { type: 'string' }, 'commission-rate': { type: 'string', default: '0.10' },
      'commission-max-rate': { type: 'string', default: '0.20' }, 'commission-max-change-rate': { type: 'string', default: '0.01' }, 'min-self-delegation': { type: 'string', default: '1' },
      identity: { type: 'string', default: '' }, website: { type: 'string', default: '' }, details: { type: 'string', default: '' },
    },
    async run({ values, positionals }) {
      const from = positionals[0];
      if (!from) throw new UsageError('missing FROM_KEY');
      if (!values.amount) throw new UsageError('missing --amount (the self-delegation, e.g. 10000000udpin)');
      const value = singleCoin(values.amount as string, '--amount');
      const home = (values.home as string) ?? defaultHome(false);
      let pubkey: Uint8Array;
      if (values.pubkey) pubkey = Buffer.from(values.pubkey as string, 'base64');
      else if (existsSync(homePaths(home).validatorKey)) pubkey = ValidatorKey.load(homePaths(home).validatorKey).publicKey;
      else throw new UsageError(`no --pubkey and no consensus key at ${homePaths(home).validatorKey}`);
      if (pubkey.length !== 33) throw new UsageError('the consensus pubkey must be a 33-byte compressed secp256k1 key (base64)');
      const rate = (flag: string) => {
        try {
          return parseDec(values[flag] as string).toString();
        } catch (err) {
          throw new UsageError(`--${flag}: ${(err as Error).message}`);
        }
      };
      const commission = { rate: rate('commission-rate'), maxRate: rate('commission-max-rate'), maxChangeRate: rate('commission-max-change-rate') };
      const { encodePubkey } = await import('@cosmjs/proto-signing');
      const operatorOf = (address: string) => toBech32(VALOPER_PREFIX, fromBech32(address));
      await broadcastSdkTx(cliHelpers, values, from, (address) => {
        const operator = operatorOf(address);
        return [{
          typeUrl: '/cosmos.staking.v1beta1.MsgCreateValidator',
          value: {
            description: { moniker: (values.moniker as string) ?? from, identity: values.identity, website: values.website, securityContact: '', details: values.details },
            commission,
            minSelfDelegation: values['min-self-delegation'],
            delegatorAddress: '',
            validatorAddress: operator,
            pubkey: encodePubkey({ type: 'tendermint/PubKeySecp256k1', value: Buffer.from(pubkey).toString('base64') }),
            value,
          },
        }];
      }, STAKING_EVENTS);
    },
  },
  'tx staking delegate': {
    usage: `depind tx staking delegate FROM_KEY VALIDATOR_ADDRESS AMOUNT ${txUsage}`,
    summary: 'Delegate tokens to a validator (depinvaloper1...)',
    options: txFlags,
    async run({ values, positionals }) {
      const [from, val, amount] = positionals;
      if (!from || !val || !amount) throw new UsageError('need FROM_KEY VALIDATOR_ADDRESS AMOUNT');
      const coin = singleCoin(amount, 'AMOUNT');
      valoperArg(val);
      await broadcastSdkTx(cliHelpers, values, from, (address) => [{ typeUrl: '/cosmos.staking.v1beta1.MsgDelegate', value: { delegatorAddress: address, validatorAddress: val, amount: coin } }], STAKING_EVENTS);
    },
  },
  'tx staking unbond': {
    usage: `depind tx staking unbond FROM_KEY VALIDATOR_ADDRESS AMOUNT ${txUsage}`,
    summary: 'Undelegate tokens; they return after the unbonding period (block time)',
    options: txFlags,
    async run({ values, positionals }) {
      const [from, val, amount] = positionals;
      if (!from || !val || !amount) throw new UsageError('need FROM_KEY VALIDATOR_ADDRESS AMOUNT');
      const coin = singleCoin(amount, 'AMOUNT');
      valoperArg(val);
      await broadcastSdkTx(cliHelpers, values, from, (address) => [{ typeUrl: '/cosmos.staking.v1beta1.MsgUndelegate', value: { delegatorAddress: address, validatorAddress: val, amount: coin } }], STAKING_EVENTS);
    },
  },
  'tx slashing unjail': {
    usage: `depind tx slashing unjail FROM_KEY ${txUsage}`,
    summary: "Unjail the validator FROM_KEY operates (after its jail period; never after double signing)",
    options: txFlags,
    async run({ values, positionals }) {
      const from = positionals[0];
      if (!from) throw new UsageError('missing FROM_KEY');
      await broadcastSdkTx(cliHelpers, values, from, (address) => [{ typeUrl: '/cosmos.slashing.v1beta1.MsgUnjail', value: { validatorAddr: toBech32(VALOPER_PREFIX, fromBech32(address)) } }], STAKING_EVENTS);
    },
  },
  'query staking validators': {
    usage: 'depind query staking validators [--status bonded|unbonding|unbonded] [--node URL] [-o json]',
    summary: 'All validators (or those with one status)',
    options: { ...common, ...client, status: { type: 'string' } },
    async run({ values }) {
      const status = values.status ? `BOND_STATUS_${(values.status as string).toUpperCase()}` : '';
      if (status && !['BOND_STATUS_BONDED', 'BOND_STATUS_UNBONDING', 'BOND_STATUS_UNBONDED'].includes(status)) throw new UsageError('--status must be bonded, unbonding or unbonded');
      const { q, close } = await queryClient(values.node as string);
      const all: unknown[] = [];
      let key: Uint8Array | undefined;
      do {
        const res = await q.staking.validators(status as never, key);
        all.push(...res.validators.map(validatorView));
        key = res.pagination?.nextKey?.length ? res.pagination.nextKey : undefined;
      } while (key);
      close();
      print(values.output === 'json' ? { validators: all } : (all as ReturnType<typeof validatorView>[]).map((v) => `${v.operator_address}  ${v.status.padEnd(9)}  power ${v.power.padStart(6)}  tokens ${v.tokens}${v.jailed ? '  JAILED' : ''}  ${v.moniker}`).join('\n') || '(no validators)', values.output);
    },
  },
  'query staking validator': {
    usage: 'depind query staking validator VALIDATOR_ADDRESS [--node URL]',
    summary: 'One validator',
    options: { ...common, ...client },
    async run({ values, positionals }) {
      const val = valoperArg(positionals[0]);
      const { q, close } = await queryClient(values.node as string);
      try {
        print(validatorView((await q.staking.validator(val)).validator), 'json');
      } finally {
        close();
      }
    },
  },
  'query staking delegation': {
    usage: 'depind query staking delegation DELEGATOR_ADDRESS VALIDATOR_ADDRESS [--node URL]',
    summary: 'A delegation (shares and current value) and any unbonding entries of it',
    options: { ...common, ...client },
    async run({ values, positionals }) {
      const [del, valArg] = positionals;
      if (!del || !isValidAddress(del)) throw new UsageError(`invalid delegator address ${del ?? '(missing)'}`);
      const val = valoperArg(valArg);
      const { q, close } = await queryClient(values.node as string);
      try {
        const d = await q.staking.delegation(del, val).catch((err: Error) => {
          if (/NotFound|not found/.test(err.message)) return undefined;
          throw err;
        });
        const u = await q.staking.unbondingDelegation(del, val).catch(() => undefined);
        const out = {
          delegator_address: del,
          validator_address: val,
          shares: d?.delegationResponse ? atomicsDec(d.delegationResponse.delegation.shares) : '0',
          balance: d?.delegationResponse ? `${d.delegationResponse.balance.amount}${d.delegationResponse.balance.denom}` : '0',
          unbonding: (u?.unbond?.entries ?? []).map((e) => ({ balance: e.balance, completion_time: tsString(e.completionTime), creation_height: String(e.creationHeight) })),
        };
        print(out, 'json');
      } finally {
        close();
      }
    },
  },
  'query staking params': {
    usage: 'depind query staking params [--node URL]',
    summary: 'Staking parameters (unbonding time, max validators, bond denom, ...)',
    options: { ...common, ...client },
    async run({ values }) {
      const { q, close } = await queryClient(values.node as string);
      try {
        const p = (await q.staking.params()).params;
        print({ unbonding_time: `${p.unbondingTime?.seconds ?? 0n}s`, max_validators: p.maxValidators, max_entries: p.maxEntries, bond_denom: p.bondDenom, min_commission_rate: atomicsDec(p.minCommissionRate) }, 'json');
      } finally {
        close();
      }
    },
  },
  'query slashing signing-info': {
    usage: 'depind query slashing signing-info [CONS_ADDRESS (depinvalcons1...; default: the consensus key in <home>/config)] [--node URL] [--home DIR]',
    summary: "A validator's liveness record: missed blocks, jailed until, tombstoned",
    options: { ...common, ...client },
    async run({ values, positionals }) {
      let cons = positionals[0];
      if (!cons) {
        const home = (values.home as string) ?? defaultHome(false);
        if (!existsSync(homePaths(home).validatorKey)) throw new UsageError('missing CONS_ADDRESS (and no consensus key in --home)');
        cons = toBech32(VALCONS_PREFIX, ValidatorKey.load(homePaths(home).validatorKey).address);
      }
      if (!isValidAddress(cons, VALCONS_PREFIX)) throw new UsageError(`invalid consensus address ${cons} (expected ${VALCONS_PREFIX}1...)`);
      const { q, close } = await queryClient(values.node as string);
      try {
        const i = (await q.slashing.signingInfo(cons)).valSigningInfo;
        print({ address: i.address, start_height: String(i.startHeight), index_offset: String(i.indexOffset), jailed_until: tsString(i.jailedUntil), tombstoned: i.tombstoned, missed_blocks_counter: String(i.missedBlocksCounter) }, 'json');
      } finally {
        close();
      }
    },
  },
  status: {
    usage: 'depind status [--node URL]',
    summary: "The node's status (CometBFT status JSON)",
    options: { ...common, ...client },
    async run({ values }) {
      print(await rpc(values.node as string, 'status'), 'json');
    },
  },
  'query anchor params': {
    usage: 'depind query anchor params [--node URL]',
    summary: 'Anchor parameters: checkpoint interval, Ethereum chain id, contract, ack timeout',
    options: { ...common, ...client },
    async run({ values }) {
      const { rpcQuery, anchorQuery } = await import('../anchor/proof-export.ts');
      const { paramsFromMsg } = await import('../../modules/anchor/types.ts');
      const { paramsJson } = await import('../anchor/checkpoint-json.ts');
      print(paramsJson(paramsFromMsg((await anchorQuery(rpcQuery(values.node as string), 'Params', {})).params)), 'json');
    },
  },
  'query anchor checkpoint': {
    usage: 'depind query anchor checkpoint NUMBER [--node URL]',
    summary: 'One checkpoint: status, signers and their power, submitter, Ethereum tx',
    options: { ...common, ...client },
    async run({ values, positionals }) {
      if (!/^\d+$/.test(positionals[0] ?? '')) throw new UsageError('need a checkpoint NUMBER');
      const { rpcQuery, anchorQuery } = await import('../anchor/proof-export.ts');
      const { checkpointInfoFromMsg } = await import('../../modules/anchor/types.ts');
      const { checkpointJson } = await import('../anchor/checkpoint-json.ts');
      const r = await anchorQuery(rpcQuery(values.node as string), 'Checkpoint', { number: positionals[0] });
      print(checkpointJson(checkpointInfoFromMsg(r.checkpoint)), 'json');
    },
  },
  'query anchor checkpoints': {
    usage: 'depind query anchor checkpoints [--limit N] [--node URL]',
    summary: 'Checkpoints, newest first',
    options: { ...common, ...client, limit: { type: 'string', default: '20' } },
    async run({ values }) {
      const { rpcQuery, anchorQuery } = await import('../anchor/proof-export.ts');
      const { checkpointInfoFromMsg } = await import('../../modules/anchor/types.ts');
      const { checkpointJson } = await import('../anchor/checkpoint-json.ts');
      const r = await anchorQuery(rpcQuery(values.node as string), 'Checkpoints', { pagination: { limit: String(values.limit) } });
      print({ checkpoints: (r.checkpoints ?? []).map((c: never) => checkpointJson(checkpointInfoFromMsg(c))) }, 'json');
    },
  },
  'query anchor latest': {
    usage: 'depind query anchor latest [--acknowledged] [--node URL]',
    summary: 'The latest checkpoint (--acknowledged: the latest one on Ethereum)',
    options: { ...common, ...client, acknowledged: { type: 'boolean' } },
    async run({ values }) {
      const { rpcQuery, anchorQuery } = await import('../anchor/proof-export.ts');
      const { checkpointInfoFromMsg } = await import('../../modules/anchor/types.ts');
      const { checkpointJson } = await import('../anchor/checkpoint-json.ts');
      const r = await anchorQuery(rpcQuery(values.node as string), 'LatestCheckpoint', { acknowledged: !!values.acknowledged });
      print(checkpointJson(checkpointInfoFromMsg(r.checkpoint)), 'json');
    },
  },
  'query anchor proof': {
    usage: 'depind query anchor proof KEY_HEX | --bank-balance ADDRESS:DENOM [--checkpoint N] [--eth-rpc URL] [--node URL]',
    summary: 'A store key\'s value, its Merkle proof and the acknowledged checkpoint it is anchored in, ready for DepinAnchor.verifyState (--eth-rpc: also ask the contract)',
    options: { ...common, ...client, 'bank-balance': { type: 'string' }, checkpoint: { type: 'string' }, 'eth-rpc': { type: 'string' } },
    async run({ values, positionals }) {
      let key: Uint8Array;
      if (values['bank-balance']) {
        const [address, denom] = String(values['bank-balance']).split(':');
        if (!address || !denom) throw new UsageError('--bank-balance ADDRESS:DENOM');
        key = bankBalanceKey(address, denom);
      } else {
        const hexKey = (positionals[0] ?? '').replace(/^0x/, '');
        if (!hexKey || !/^([0-9a-fA-F]{2})+$/.test(hexKey)) throw new UsageError('need KEY_HEX (the raw store key, hex) or --bank-balance ADDRESS:DENOM');
        key = Uint8Array.from(Buffer.from(hexKey, 'hex'));
      }
      const { rpcQuery, exportProof, proofJson, verifyOnEthereum } = await import('../anchor/proof-export.ts');
      const p = await exportProof(rpcQuery(values.node as string), key, { checkpoint: values.checkpoint ? BigInt(values.checkpoint as string) : undefined });
      const out: Record<string, unknown> = { ...proofJson(p), verified_locally: true };
      if (values['eth-rpc']) out.verified_on_ethereum = await verifyOnEthereum(p, values['eth-rpc'] as string);
      print(out, 'json');
    },
  },
  'anchor deploy': {
    usage: 'depind anchor deploy --eth-rpc URL [--home DIR] [--write-genesis] [--checkpoint-interval N] [--ack-timeout N]',
    summary: "Deploy DepinAnchor for this home's genesis (chain id, validators) with DEPIND_ETH_PRIVATE_KEY or the config's Ethereum key; --write-genesis puts its address into genesis anchor params (before the first start)",
    options: { ...common, 'eth-rpc': { type: 'string' }, 'write-genesis': { type: 'boolean' }, 'checkpoint-interval': { type: 'string', default: '100' }, 'ack-timeout': { type: 'string', default: '50' } },
    async run({ values }) {
      if (!values['eth-rpc']) throw new UsageError('need --eth-rpc URL');
      const home = (values.home as string) ?? defaultHome(false);
      const p = homePaths(home);
      if (!existsSync(p.genesis)) throw new UsageError(`no genesis at ${p.genesis}; run "depind init" first`);
      const genesis = JSON.parse(readFileSync(p.genesis, 'utf8'));
      const { loadConfig } = await import('../config.ts');
      const { anchorConfig } = await import('../anchor/config.ts');
      const { ethAccountFrom } = await import('../anchor/service.ts');
      const account = ethAccountFrom(anchorConfig(loadConfig(home).anchor));
      if (!account) throw new UsageError('no Ethereum key: set DEPIND_ETH_PRIVATE_KEY or anchor.ethPrivateKey / anchor.ethMnemonic in node.json');
      if (values['write-genesis'] && existsSync(join(p.data, 'chain.db'))) throw new UsageError(`${home} already has chain data: genesis can no longer change`);
      const { deployForGenesis } = await import('../anchor/dev-ethereum.ts');
      const d = await deployForGenesis(values['eth-rpc'] as string, genesis, account);
      console.log(`DepinAnchor for ${genesis.chain_id} at ${d.address} on Ethereum chain ${d.ethChainId} (block ${d.blockNumber}), deployed by ${account.address}`);
      // The relayer looks for its checkpoints' logs from anchor.logsFromBlock: from 0, public
      // Ethereum endpoints refuse the range. Nothing of this contract is older than its deployment.
      const cfgJson = existsSync(p.config) ? JSON.parse(readFileSync(p.config, 'utf8')) : {};
      cfgJson.anchor = { ...cfgJson.anchor, logsFromBlock: Number(d.blockNumber) };
      writeJson(p.config, cfgJson);
      console.log(`wrote anchor.logsFromBlock = ${d.blockNumber} to ${p.config} (set the same in the other validators' node.json)`);
      if (values['write-genesis']) {
        genesis.app_state.anchor.params = { checkpoint_interval: String(values['checkpoint-interval']), eth_chain_id: d.ethChainId.toString(), contract: d.address.toLowerCase(), ack_timeout: String(values['ack-timeout']) };
        writeJson(p.genesis, genesis);
        console.log(`wrote anchor params to ${p.genesis}; start with: depind start --home ${home} --eth-rpc ${values['eth-rpc']}`);
      }
    },
  },
};

/** Raw store key of a bank balance (bank/ 0x02 len(addr) addr denom), e.g. for proofs. */
function bankBalanceKey(address: string, denom: string): Uint8Array {
  let addr: Uint8Array;
  try {
    addr = fromBech32(address);
  } catch (err) {
    throw new UsageError(`invalid address ${address}: ${(err as Error).message}`);
  }
  return balanceStoreKey(addr, denom);
}

// Devices, fee grant, proofs and rewards commands live in their own files; they share this file's helpers.
Object.assign(commands, devicesCommands(cliHelpers), proofsCommands(cliHelpers), rewardsCommands(cliHelpers));

function help(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(38)} ${c.summary}`);
  return `depind: the depin-chain node\n\nUsage: depind <command> [flags]\n\nCommands:\n${lines.join('\n')}\n\nRun "depind <command> --help" for a command's flags.`;
}

async function main(argv: string[]): Promise<void> {
  let name: string | undefined;
  for (const n of [3, 2, 1]) {
    const candidate = argv.slice(0, n).join(' ');
    if (commands[candidate]) {
      name = candidate;
      argv = argv.slice(n);
      break;
    }
  }
  if (!name) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      console.log(help());
      return;
    }
    throw new UsageError(`unknown command "${argv.slice(0, 3).join(' ')}"\n\n${help()}`);
  }
  const cmd = commands[name]!;
  const parsed = parseArgs({ args: argv, options: cmd.options, allowPositionals: true, strict: true });
  if (parsed.values.help) {
    const flags = Object.entries(cmd.options).map(([k, o]) => `  --${k}${o.short ? `, -${o.short}` : ''}${o.default !== undefined ? ` (default ${o.default})` : ''}`);
    console.log(`${cmd.summary}\n\nUsage: ${cmd.usage}\n\nFlags:\n${flags.join('\n')}`);
    return;
  }
  await cmd.run(parsed as never);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`Error: ${err instanceof Error ? err.message : err}`);
  process.exit(err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1);
});

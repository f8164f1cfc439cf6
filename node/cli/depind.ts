#!/usr/bin/env node
// depind: the depin-chain node and its command-line client.
import { parseArgs } from 'node:util';
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
import { parseCoins, formatCoins } from '../../chain/coins.ts';
import { isValidAddress } from '../../chain/crypto/address.ts';
import { devicesCommands } from './devices-cli.ts';
import { proofsCommands } from './proofs-cli.ts';

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
  writeJson(p.config, config);
}

async function rpc(node: string, method: string, params: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(node, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) }).catch((err) => {
    throw new Error(`cannot reach ${node}: ${(err as Error).cause ?? err} (is depind running? set --node)`);
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string; data?: string } };
  if (body.error) throw new Error(`${body.error.message}: ${body.error.data ?? ''}`);
  return body.result;
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
    usage: 'depind start [--home DIR] [--dev] [--rpc.laddr HOST:PORT] [--rest.laddr HOST:PORT] [--block-time MS] [--min-gas-price 0.0025udpin]',
    summary: 'Run the node (--dev: project-local home with the development genesis, created on first start)',
    options: { ...common, dev: { type: 'boolean' }, 'rpc.laddr': { type: 'string' }, 'rest.laddr': { type: 'string' }, 'block-time': { type: 'string' }, 'min-gas-price': { type: 'string' } },
    async run({ values }) {
      const dev = !!values.dev;
      const home = (values.home as string) ?? defaultHome(dev);
      if (!existsSync(homePaths(home).genesis)) {
        if (!dev) throw new UsageError(`no genesis at ${homePaths(home).genesis}; run "depind init" first (or start with --dev)`);
        initHome(home, { chainId: DEV_CHAIN_ID, moniker: 'dev-validator', dev: true, overwrite: false });
      }
      const overrides: Partial<NodeConfig> = {};
      if (values['rpc.laddr']) overrides.rpcListen = values['rpc.laddr'] as string;
      if (values['rest.laddr'] !== undefined) overrides.restListen = values['rest.laddr'] as string;
      if (values['block-time']) overrides.blockTimeMs = Number(values['block-time']);
      if (values['min-gas-price']) overrides.minGasPrice = values['min-gas-price'] as string;
      // Loaded lazily: key and query commands should not pay for opening the node's modules.
      const { DepinNode } = await import('../node.ts');
      const { RpcServer } = await import('../rpc/server.ts');
      const node = await DepinNode.open({ home, config: overrides });
      const server = new RpcServer(node, node.config.rpcListen);
      const addr = await server.listen(node.config.rpcListen);
      const { RestServer } = await import('../rest/server.ts');
      const { restRoutes } = await import('../rest/routes.ts');
      let rest = node.config.restListen ? new RestServer(node.app, restRoutes, { cors: node.config.corsAllowedOrigins }) : undefined;
      // REST is an extra: a taken port (another local node) disables it with a warning instead of
      // stopping the node.
      const restAddr = await rest?.listen(node.config.restListen).catch((err: Error) => {
        console.error(`warning: REST not started on ${node.config.restListen}: ${err.message} (set --rest.laddr)`);
        rest = undefined;
        return undefined;
      });
      node.start();
      console.log(`depind ${node.chainId} at height ${node.blocks.height()} (home ${home})`);
      console.log(`  CometBFT RPC  http://${addr}  (websocket ws://${addr}/websocket)`);
      if (restAddr) console.log(`  REST          http://${restAddr}  (GET / lists the routes)`);
      if (dev) {
        console.log(`  dev accounts  mnemonic "${DEV_MNEMONIC}", m/44'/118'/0'/0/0..9, 1,000,000 DPIN each`);
      }
      let stopping = false;
      const stop = async (sig: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`${sig}: stopping at height ${node.blocks.height()}`);
        await server.close();
        await rest?.close();
        await node.stop();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
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
    usage: 'depind tx bank send FROM_KEY TO_ADDRESS AMOUNT [--fees 5000udpin | --gas auto|N --gas-prices 0.025udpin] [--memo M] [--node URL] [--home DIR]',
    summary: 'Send tokens, signed with a keyring key through CosmJS, and wait for inclusion',
    options: { ...common, ...client, fees: { type: 'string' }, gas: { type: 'string', default: 'auto' }, 'gas-prices': { type: 'string', default: '0.025udpin' }, memo: { type: 'string', default: '' } },
    async run({ values, positionals }) {
      const [from, to, amount] = positionals;
      if (!from || !to || !amount) throw new UsageError('need FROM_KEY TO_ADDRESS AMOUNT');
      if (!isValidAddress(to)) throw new UsageError(`invalid recipient address ${to}`);
      const coins = parseCoins(amount);
      const { DirectSecp256k1Wallet } = await import('@cosmjs/proto-signing');
      const { SigningStargateClient, GasPrice } = await import('@cosmjs/stargate');
      const kr = new Keyring((values.home as string) ?? defaultHome(false));
      const wallet = await DirectSecp256k1Wallet.fromKey(kr.privateKey(from), 'depin');
      const [account] = await wallet.getAccounts();
      const c = await SigningStargateClient.connectWithSigner(values.node as string, wallet, { gasPrice: GasPrice.fromString(values['gas-prices'] as string), broadcastPollIntervalMs: 300 });
      let fee: 'auto' | number | { amount: { denom: string; amount: string }[]; gas: string };
      if (values.fees) {
        const gas = values.gas === 'auto' ? '200000' : (values.gas as string);
        fee = { amount: parseCoins(values.fees as string).map((x) => ({ denom: x.denom, amount: x.amount.toString() })), gas };
      } else fee = values.gas === 'auto' ? 'auto' : Number(values.gas);
      const res = await c.sendTokens(account!.address, to, coins.map((x) => ({ denom: x.denom, amount: x.amount.toString() })), fee as never, values.memo as string);
      c.disconnect();
      print(values.output === 'json' ? res : `txhash: ${res.transactionHash}\nheight: ${res.height}\ncode: ${res.code}\ngas: ${res.gasUsed}/${res.gasWanted}\nsent: ${formatCoins(coins)} ${account!.address} -> ${to}${res.code ? `\nlog: ${res.rawLog}` : ''}`, values.output);
      if (res.code !== 0) process.exitCode = 1;
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
  status: {
    usage: 'depind status [--node URL]',
    summary: "The node's status (CometBFT status JSON)",
    options: { ...common, ...client },
    async run({ values }) {
      print(await rpc(values.node as string, 'status'), 'json');
    },
  },
};

// Devices, fee grant and proofs commands live in their own files; they share this file's helpers.
const cliHelpers = { defaultHome, usageError: (m: string) => new UsageError(m), print, defaultNode: DEFAULT_NODE };
Object.assign(commands, devicesCommands(cliHelpers), proofsCommands(cliHelpers));

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

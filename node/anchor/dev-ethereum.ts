// The Ethereum side of `npm start`: a local anvil whose chain lives in the node's home (so a
// restart keeps the contract and every checkpoint), and DepinAnchor deployed on it by anvil's first
// dev account as that account's first transaction, which puts it at the address the dev genesis
// names. Also the deployment used by `depind anchor deploy` for any other network.
import { join } from 'node:path';
import { getAddress, type Address, type LocalAccount } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import type { GenesisDoc } from '../../chain/genesis.ts';
import type { AnchorValidator } from '../../chain/anchor/checkpoint.ts';
import { anchorSet } from '../../modules/anchor/validator-source.ts';
import type { AnchorGenesis } from '../../modules/anchor/module.ts';
import { startAnvil, ANVIL_MNEMONIC, type Anvil } from './anvil.ts';
import { ethClients, deployDepinAnchor, depinAnchorAbi } from './anchor-contract.ts';

/** The validator set a new chain's contract starts with: genesis anchor.validators, in the contract's format. */
export function genesisAnchorSet(genesis: GenesisDoc): AnchorValidator[] {
  const section = genesis.app_state?.anchor as AnchorGenesis | undefined;
  const validators = (section?.validators ?? []).map((v) => ({ consensusPubkey: Uint8Array.from(Buffer.from(v.pub_key, 'base64')), power: BigInt(v.power) }));
  return anchorSet(validators).map((m) => ({ ethAddress: m.ethAddress, power: m.power }));
}

async function answersChainId(url: string): Promise<bigint | undefined> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }), signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { result?: string };
    return body.result ? BigInt(body.result) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An anvil on 127.0.0.1:`port` with chain id `chainId` and its state in <home>/data/anvil-state.json.
 * If one already answers there with that chain id (e.g. left running by a killed depind), it is
 * used as is and `anvil` is undefined (not ours to stop).
 */
export async function startDevAnvil(home: string, port: number, chainId: bigint): Promise<{ url: string; anvil: Anvil | undefined }> {
  const url = `http://127.0.0.1:${port}`;
  const running = await answersChainId(url);
  if (running !== undefined) {
    if (running !== chainId) throw new Error(`an Ethereum node on ${url} runs chain ${running}, not ${chainId}; stop it or set anchor.anvilPort`);
    return { url, anvil: undefined };
  }
  // Dumped every 5 s as well as at shutdown, so even a killed depind loses little of the Ethereum chain.
  const anvil = await startAnvil({ port, chainId, stateFile: join(home, 'data', 'anvil-state.json'), stateIntervalSec: 5 });
  return { url: anvil.url, anvil };
}

/**
 * Makes sure DepinAnchor for `genesis` is at `expected` on the dev anvil: checks the one there,
 * or deploys it from anvil's account 0, whose first CREATE lands at `expected`.
 */
export async function ensureDevContract(url: string, ethChainId: bigint, genesis: GenesisDoc, expected: Address): Promise<'found' | 'deployed'> {
  const c = ethClients(url, ethChainId, { mnemonic: ANVIL_MNEMONIC, index: 0 });
  const code = await c.public.getCode({ address: expected });
  if (code && code !== '0x') {
    const anchored = await c.public.readContract({ address: expected, abi: depinAnchorAbi, functionName: 'cosmosChainId' });
    if (anchored !== genesis.chain_id) throw new Error(`the contract at ${expected} anchors "${anchored}", not "${genesis.chain_id}" (delete the dev home to start over)`);
    return 'found';
  }
  const nonce = await c.public.getTransactionCount({ address: c.account.address });
  if (nonce !== 0) throw new Error(`anvil's account 0 already sent ${nonce} transactions, so DepinAnchor cannot land at ${expected} (its first CREATE); delete the dev home (and its anvil state) to start over`);
  const { address } = await deployDepinAnchor(c, genesis.chain_id, genesisAnchorSet(genesis));
  if (getAddress(address) !== getAddress(expected)) throw new Error(`DepinAnchor deployed at ${address}, but the chain's params name ${expected}`);
  return 'deployed';
}

/** `depind anchor deploy`: DepinAnchor for `genesis` on any network, paid by `account`. */
export async function deployForGenesis(url: string, genesis: GenesisDoc, account: LocalAccount): Promise<{ address: Address; ethChainId: bigint; blockNumber: bigint }> {
  const probe = ethClients(url, 1n, { account });
  const ethChainId = BigInt(await probe.public.getChainId());
  const c = ethClients(url, ethChainId, { account });
  const { address, receipt } = await deployDepinAnchor(c, genesis.chain_id, genesisAnchorSet(genesis));
  return { address, ethChainId, blockNumber: receipt.blockNumber };
}

export const devDeployer = (): LocalAccount => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 0 });

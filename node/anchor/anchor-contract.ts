// viem bindings for contracts/DepinAnchor.sol and the example consumer RewardClaimVerifier:
// clients, deployment, and the ABI shapes of submitCheckpoint. Amounts, gas and numbers are bigint.
// One transaction at a time per account, each waiting for its receipt: anvil's automine stalls
// with fire-and-forget sending (shared/research/perf-limits.md §7).
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  http,
  bytesToHex,
  type Address,
  type Hex,
  type PublicClient,
  type WalletClient,
  type Transport,
  type Chain,
  type Account,
  type TransactionReceipt,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { depinAnchorAbi, depinAnchorBytecode, rewardClaimVerifierAbi, rewardClaimVerifierBytecode } from '../../contracts/artifacts/index.ts';
import type { AnchorValidator, Checkpoint } from '../../chain/anchor/checkpoint.ts';

export { depinAnchorAbi, rewardClaimVerifierAbi };

export interface EthClients {
  chain: Chain;
  account: Account;
  public: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, Account>;
}

/** Clients for the node at `url`; `account` signs locally (default: account `index` of `mnemonic`). */
export function ethClients(url: string, chainId: bigint, opts: { account?: Account; mnemonic?: string; index?: number } = {}): EthClients {
  const chain = defineChain({
    id: Number(chainId),
    name: `ethereum-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const account = opts.account ?? mnemonicToAccount(opts.mnemonic ?? 'test test test test test test test test test test test junk', { addressIndex: opts.index ?? 0 });
  return {
    chain,
    account,
    public: createPublicClient({ chain, transport: http(url) }),
    wallet: createWalletClient({ chain, account, transport: http(url) }),
  };
}

export const hex = (b: Uint8Array): Hex => bytesToHex(b);

/** The Validator[] argument (addresses checksummed by viem on the way out). */
export function validatorsArg(validators: readonly AnchorValidator[]): { addr: Address; power: bigint }[] {
  return validators.map((v) => ({ addr: hex(v.ethAddress) as Address, power: v.power }));
}

export function checkpointArg(cp: Checkpoint): { number: bigint; height: bigint; stateRoot: Hex; validatorSetHash: Hex; nextValidatorSetHash: Hex } {
  return { number: cp.number, height: cp.height, stateRoot: hex(cp.stateRoot), validatorSetHash: hex(cp.validatorSetHash), nextValidatorSetHash: hex(cp.nextValidatorSetHash) };
}

/** The three arguments of submitCheckpoint(cp, validators, signatures); `signatures` from packSignatures. */
export function submitCheckpointArgs(cp: Checkpoint, validators: readonly AnchorValidator[], signatures: Uint8Array) {
  return [checkpointArg(cp), validatorsArg(validators), hex(signatures)] as const;
}

/** Calldata of submitCheckpoint, e.g. for a relayer that signs and sends raw transactions. */
export function encodeSubmitCheckpoint(cp: Checkpoint, validators: readonly AnchorValidator[], signatures: Uint8Array): Hex {
  return encodeFunctionData({ abi: depinAnchorAbi, functionName: 'submitCheckpoint', args: submitCheckpointArgs(cp, validators, signatures) });
}

async function deployed(c: EthClients, hash: Hex): Promise<{ address: Address; receipt: TransactionReceipt }> {
  const receipt = await c.public.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deployment ${hash} failed`);
  return { address: receipt.contractAddress, receipt };
}

export async function deployDepinAnchor(c: EthClients, cosmosChainId: string, genesis: readonly AnchorValidator[]) {
  const hash = await c.wallet.deployContract({ abi: depinAnchorAbi, bytecode: depinAnchorBytecode, args: [cosmosChainId, validatorsArg(genesis)] });
  return deployed(c, hash);
}

export async function deployRewardClaimVerifier(c: EthClients, anchor: Address, keyPrefix: Uint8Array) {
  const hash = await c.wallet.deployContract({ abi: rewardClaimVerifierAbi, bytecode: rewardClaimVerifierBytecode, args: [anchor, hex(keyPrefix)] });
  return deployed(c, hash);
}

/**
 * Sends submitCheckpoint and waits for its receipt. viem estimates gas first, so a checkpoint the
 * contract would reject throws here (a ContractFunctionExecutionError naming the custom error)
 * and nothing is sent.
 */
export async function submitCheckpoint(
  c: EthClients,
  anchor: Address,
  cp: Checkpoint,
  validators: readonly AnchorValidator[],
  signatures: Uint8Array,
): Promise<TransactionReceipt> {
  const hash = await c.wallet.writeContract({ address: anchor, abi: depinAnchorAbi, functionName: 'submitCheckpoint', args: submitCheckpointArgs(cp, validators, signatures) });
  const receipt = await c.public.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`submitCheckpoint ${hash} reverted`);
  return receipt;
}

/** The custom error name a contract call failed with (viem walks the error's cause chain). */
export function revertName(err: unknown): string | undefined {
  for (let e = err as { cause?: unknown; data?: { errorName?: string } } | undefined; e; e = e.cause as typeof e) {
    if (e.data?.errorName) return e.data.errorName;
  }
  return undefined;
}

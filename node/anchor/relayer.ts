// The Ethereum side of a validator's anchor service: reads the contract, finds where a checkpoint
// landed, and submits one as a small state machine that survives an unavailable or restarted
// Ethereum node, dropped transactions and nonce gaps without ever knowingly sending a checkpoint
// twice. `step` does one round of it and returns what it did; the caller repeats it (with backoff
// on errors) until the checkpoint landed. The rules:
//  - the contract is asked first: if it already stores the checkpoint (sent by anyone), done;
//  - one nonce per checkpoint, journaled before the first broadcast (journal.ts); fee bumps reuse
//    it, so at most one of our transactions for a checkpoint can ever be mined;
//  - a transaction the node forgot (restart without its mempool, dropped) is re-broadcast as the
//    same signed bytes; one pending too long is re-signed with higher fees and the same nonce;
//  - a nonce gap below ours (a lower transaction of the account vanished) is filled with a zero-value
//    self-transfer, never with a second checkpoint transaction;
//  - a fresh nonce is used only when ours was provably consumed by a transaction that is none of
//    ours while the contract still lacks the checkpoint (seen on two consecutive rounds).
import {
  createPublicClient, defineChain, http, keccak256, encodeFunctionData, TransactionReceiptNotFoundError, TransactionNotFoundError,
  type Address, type Hex, type LocalAccount, type PublicClient, type Transport, type Chain, type TransactionReceipt,
} from 'viem';
import type { AnchorValidator, Checkpoint } from '../../chain/anchor/checkpoint.ts';
import { depinAnchorAbi, submitCheckpointArgs, revertName, hex } from './anchor-contract.ts';
import { Journal, type Submission } from './journal.ts';

export interface SubmitJob {
  checkpoint: Checkpoint;
  validators: readonly AnchorValidator[]; // the signing set, canonical order
  signatures: Uint8Array; // packSignatures output
}

/** Where a checkpoint is stored on Ethereum (its CheckpointSubmitted event). */
export interface Landed {
  txHash: Uint8Array;
  blockNumber: bigint;
  logIndex: bigint;
}

export type StepResult =
  | 'landed' // the contract stores the checkpoint
  | 'sent' // signed, journaled and broadcast a new submission
  | 'waiting' // our transaction is pending
  | 'rebroadcast' // the node did not know our transaction: sent the same bytes again
  | 'replaced' // pending too long: same nonce, higher fees
  | 'gap-filled' // sent a self-transfer into a nonce hole below ours
  | 'nonce-taken' // our nonce was used by another transaction: next round signs anew
  | 'refused' // the contract would refuse the checkpoint now (another submitter is landing it)
  | 'no-account'; // this node has no Ethereum key: it cannot submit

export interface RelayerOptions {
  url: string;
  ethChainId: bigint;
  contract: Address;
  account?: LocalAccount;
  journalPath: string;
  /** Re-sign a still-pending transaction with higher fees after this long (ms). */
  replaceAfterMs?: number;
  /** Per-request timeout (ms): a dead node fails fast and the caller backs off. */
  requestTimeoutMs?: number;
  /** First block searched for CheckpointSubmitted events. */
  logsFromBlock?: bigint;
}

const alreadyKnown = /already known|known transaction|already imported|nonce too low|replacement transaction underpriced|transaction already exists/i;

export class EthRelayer {
  readonly client: PublicClient<Transport, Chain>;
  readonly account: LocalAccount | undefined;
  readonly contract: Address;
  readonly ethChainId: bigint;
  readonly journal: Journal;
  private readonly replaceAfterMs: number;
  private scanFrom: bigint;

  constructor(o: RelayerOptions) {
    const chain = defineChain({ id: Number(o.ethChainId), name: `ethereum-${o.ethChainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [o.url] } } });
    // No transport retries: the caller's loop retries with its own backoff and re-reads state.
    this.client = createPublicClient({ chain, transport: http(o.url, { retryCount: 0, timeout: o.requestTimeoutMs ?? 5000 }) });
    this.account = o.account;
    this.contract = o.contract;
    this.ethChainId = o.ethChainId;
    this.journal = new Journal(o.journalPath, `${o.ethChainId}:${o.contract.toLowerCase()}:${o.account?.address.toLowerCase() ?? '-'}`);
    this.replaceAfterMs = o.replaceAfterMs ?? 60_000;
    this.scanFrom = o.logsFromBlock ?? 0n;
  }

  /** Refuses an endpoint on another chain, or an address without the contract for this Cosmos chain. */
  async checkEndpoint(cosmosChainId: string): Promise<void> {
    const id = BigInt(await this.client.getChainId());
    if (id !== this.ethChainId) throw new Error(`Ethereum RPC is chain ${id}, the chain's anchor params say ${this.ethChainId}`);
    const code = await this.client.getCode({ address: this.contract });
    if (!code || code === '0x') throw new Error(`no contract at ${this.contract} on Ethereum chain ${id}`);
    const anchored = await this.client.readContract({ address: this.contract, abi: depinAnchorAbi, functionName: 'cosmosChainId' });
    if (anchored !== cosmosChainId) throw new Error(`the contract at ${this.contract} anchors chain "${anchored}", not "${cosmosChainId}"`);
  }

  lastCheckpointNumber(): Promise<bigint> {
    return this.client.readContract({ address: this.contract, abi: depinAnchorAbi, functionName: 'lastCheckpointNumber' });
  }

  blockNumber(): Promise<bigint> {
    return this.client.getBlockNumber({ cacheTime: 0 });
  }

  /** The CheckpointSubmitted event of checkpoint `cp.number`, if the contract stores it. Throws if the
   * contract stores a different checkpoint under that number (another chain's, or a fork's). */
  async findLanded(cp: Checkpoint): Promise<Landed | undefined> {
    const logs = await this.client.getContractEvents({
      address: this.contract, abi: depinAnchorAbi, eventName: 'CheckpointSubmitted', args: { number: cp.number }, fromBlock: this.scanFrom, toBlock: 'latest',
    });
    const log = logs.find((l) => !l.removed && l.args.number === cp.number);
    if (!log) return undefined;
    const a = log.args;
    if (a.height !== cp.height || a.stateRoot !== hex(cp.stateRoot) || a.validatorSetHash !== hex(cp.validatorSetHash) || a.nextValidatorSetHash !== hex(cp.nextValidatorSetHash)) {
      throw new Error(`the contract stores a different checkpoint ${cp.number} (height ${a.height}, root ${a.stateRoot}) than this chain (height ${cp.height}, root ${hex(cp.stateRoot)})`);
    }
    if (log.blockNumber > this.scanFrom) this.scanFrom = log.blockNumber; // checkpoints land in order
    return { txHash: hexBytes(log.transactionHash), blockNumber: log.blockNumber, logIndex: BigInt(log.logIndex) };
  }

  /** One round of the submission state machine for `job` (see the file comment). */
  async step(job: SubmitJob): Promise<StepResult> {
    const n = job.checkpoint.number;
    const last = await this.lastCheckpointNumber();
    if (last >= n) {
      this.journal.delete(n);
      return 'landed';
    }
    if (last !== n - 1n) throw new Error(`the contract is at checkpoint ${last}: ${n} cannot land before ${last + 1n}`);
    if (!this.account) return 'no-account';
    const sub = this.journal.get(n);
    if (!sub) return this.startSubmission(job);

    for (const t of sub.txs) {
      const receipt = await this.receipt(t.hash);
      if (!receipt) continue;
      this.journal.delete(n);
      if (receipt.status === 'success') return 'landed';
      throw new Error(`submission of checkpoint ${n} reverted in ${t.hash} (block ${receipt.blockNumber})`);
    }
    const nonce = BigInt(sub.nonce);
    const address = this.account.address;
    const latest = BigInt(await this.client.getTransactionCount({ address, blockTag: 'latest' }));
    if (latest > nonce) {
      // Mined, but none of our hashes has a receipt: look once more before concluding the nonce went
      // to a foreign transaction (a receipt can trail the nonce by a moment on some nodes).
      if (!sub.nonceTakenSeen) {
        this.journal.put({ ...sub, nonceTakenSeen: true });
        return 'waiting';
      }
      this.journal.delete(n);
      return 'nonce-taken';
    }
    if (latest < nonce) {
      const pending = BigInt(await this.client.getTransactionCount({ address, blockTag: 'pending' }));
      if (pending < nonce) {
        await this.fillNonce(pending);
        return 'gap-filled';
      }
    }
    const current = sub.txs[sub.txs.length - 1]!;
    if (!(await this.known(current.hash))) {
      await this.broadcast(current.raw);
      return 'rebroadcast';
    }
    if (Date.now() - current.sentAtMs > this.replaceAfterMs) {
      await this.replace(job, sub);
      return 'replaced';
    }
    return 'waiting';
  }

  private calldata(job: SubmitJob): Hex {
    return encodeFunctionData({ abi: depinAnchorAbi, functionName: 'submitCheckpoint', args: submitCheckpointArgs(job.checkpoint, job.validators, job.signatures) });
  }

  private async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const f = await this.client.estimateFeesPerGas();
    return { maxFeePerGas: f.maxFeePerGas!, maxPriorityFeePerGas: f.maxPriorityFeePerGas! };
  }

  private async startSubmission(job: SubmitJob): Promise<StepResult> {
    const account = this.account!;
    let gas: bigint;
    try {
      gas = await this.client.estimateContractGas({ address: this.contract, abi: depinAnchorAbi, functionName: 'submitCheckpoint', args: submitCheckpointArgs(job.checkpoint, job.validators, job.signatures), account });
    } catch (err) {
      const name = revertName(err);
      if (name) {
        if (name === 'CheckpointOutOfOrder') return 'refused'; // landed by someone else since we looked
        throw new Error(`the contract refuses checkpoint ${job.checkpoint.number}: ${name}`);
      }
      throw err;
    }
    const nonce = BigInt(await this.client.getTransactionCount({ address: account.address, blockTag: 'pending' }));
    const fees = await this.fees();
    const sub: Submission = { number: job.checkpoint.number.toString(), nonce: nonce.toString(), gas: ((gas * 6n) / 5n).toString(), txs: [] };
    const tx = await this.sign(job, sub, fees);
    sub.txs.push(tx);
    this.journal.put(sub); // before the broadcast: a crash after it must find this nonce again
    await this.broadcast(tx.raw);
    return 'sent';
  }

  private async replace(job: SubmitJob, sub: Submission): Promise<void> {
    const prev = sub.txs[sub.txs.length - 1]!;
    const now = await this.fees();
    const bump = (old: string, cur: bigint) => {
      const b = (BigInt(old) * 5n) / 4n + 1n; // +25% (nodes require >= 10%)
      return b > cur ? b : cur;
    };
    const fees = { maxFeePerGas: bump(prev.maxFeePerGas, now.maxFeePerGas), maxPriorityFeePerGas: bump(prev.maxPriorityFeePerGas, now.maxPriorityFeePerGas) };
    const tx = await this.sign(job, sub, fees);
    this.journal.put({ ...sub, txs: [...sub.txs, tx] });
    await this.broadcast(tx.raw);
  }

  private async sign(job: SubmitJob, sub: Submission, fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }) {
    const raw = await this.account!.signTransaction!({
      chainId: Number(this.ethChainId), type: 'eip1559', to: this.contract, data: this.calldata(job), value: 0n,
      nonce: Number(sub.nonce), gas: BigInt(sub.gas), ...fees,
    });
    return { hash: keccak256(raw), raw, maxFeePerGas: fees.maxFeePerGas.toString(), maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(), sentAtMs: Date.now() };
  }

  /** A zero-value transfer to ourselves with `nonce`, so the transactions above it can be mined. */
  private async fillNonce(nonce: bigint): Promise<void> {
    const fees = await this.fees();
    const raw = await this.account!.signTransaction!({ chainId: Number(this.ethChainId), type: 'eip1559', to: this.account!.address, value: 0n, nonce: Number(nonce), gas: 21_000n, ...fees });
    await this.broadcast(raw);
  }

  private async broadcast(raw: Hex): Promise<void> {
    try {
      await this.client.sendRawTransaction({ serializedTransaction: raw });
    } catch (err) {
      if (alreadyKnown.test(String((err as Error).message))) return; // the next round reads where it stands
      throw err;
    }
  }

  private async receipt(hash: Hex): Promise<TransactionReceipt | undefined> {
    try {
      return await this.client.getTransactionReceipt({ hash });
    } catch (err) {
      if (err instanceof TransactionReceiptNotFoundError) return undefined;
      throw err;
    }
  }

  private async known(hash: Hex): Promise<boolean> {
    try {
      await this.client.getTransaction({ hash });
      return true;
    } catch (err) {
      if (err instanceof TransactionNotFoundError) return false;
      throw err;
    }
  }
}

export const hexBytes = (h: Hex): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));

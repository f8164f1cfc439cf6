// A validator node's anchor service (the Gravity Bridge "orchestrator" role, Heimdall's
// checkpoint flow). Two independent loops:
//  - chain side, after every committed block: confirm the pending checkpoint with this validator's
//    consensus key (after checking its root is the app hash this node committed at that height),
//    and acknowledge it once this node saw it land on its own Ethereum RPC;
//  - Ethereum side, polling: find where the signed checkpoint landed; if this validator is the
//    designated submitter (or has a journaled submission in flight), run the relayer's submission
//    state machine (relayer.ts). Errors back off exponentially; nothing is lost across restarts
//    because every decision is re-derived from chain state, the contract and the journal.
// Confirmations keep flowing while Ethereum is unreachable; only submission and acks wait.
import { join } from 'node:path';
import { getAddress, type LocalAccount } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import type { App } from '../../chain/app.ts';
import { parseGasPrice } from '../../chain/coins.ts';
import { signDigest } from '../../chain/crypto/secp256k1.ts';
import { checkpointDigest, signCheckpoint, packSignatures, compareAddresses, hasQuorum, type AnchorDomain } from '../../chain/anchor/checkpoint.ts';
import { ackDigest } from '../../modules/anchor/ack-digest.ts';
import { checkpointOf, anchoringEnabled } from '../../modules/anchor/keeper.ts';
import { STATUS, STATUS_NAME, MsgConfirmCheckpoint, MsgAckCheckpoint, type CheckpointInfo, type AnchorParams } from '../../modules/anchor/types.ts';
import type { Any } from '../../chain/tx/types.ts';
import type { Mempool } from '../mempool/mempool.ts';
import type { EventBus, Subscription } from '../event-bus.ts';
import type { ValidatorKey } from '../validator-key.ts';
import { Keyring } from '../keys/keyring.ts';
import { AnchorChainView, AnchorTxSender } from './chain-client.ts';
import { EthRelayer, type Landed, type SubmitJob, type StepResult } from './relayer.ts';
import type { AnchorConfig } from './config.ts';

/** What the service needs from the node (DepinNode satisfies it). */
export interface AnchorHost {
  readonly app: App;
  readonly mempool: Mempool;
  /** Admits a tx to the mempool and gossips it to peers (DepinNode.broadcastTx): a confirmation
   * kept in the local mempool only lands when this validator proposes. */
  broadcastTx(bytes: Uint8Array): Promise<{ hash: string; result: { code: number; log: string } }>;
  readonly bus: EventBus;
  readonly validatorKey: ValidatorKey | undefined;
  readonly chainId: string;
  readonly home: string;
  readonly config: { minGasPrice: string };
  readonly log: (msg: string) => void;
}

const RESEND_BLOCKS = 10n;
const eq = (a: Uint8Array | undefined, b: Uint8Array | undefined) => !!a && !!b && a.length === b.length && compareAddresses(a, b) === 0;
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The Ethereum account from the config (or DEPIND_ETH_PRIVATE_KEY), if any. */
export function ethAccountFrom(cfg: AnchorConfig): LocalAccount | undefined {
  const pk = process.env.DEPIND_ETH_PRIVATE_KEY || cfg.ethPrivateKey;
  if (pk) return privateKeyToAccount((pk.startsWith('0x') ? pk : `0x${pk}`) as `0x${string}`);
  if (cfg.ethMnemonic) return mnemonicToAccount(cfg.ethMnemonic, { addressIndex: cfg.ethAccountIndex });
  return undefined;
}

export class AnchorService {
  readonly host: AnchorHost;
  readonly cfg: AnchorConfig;
  readonly params: AnchorParams;
  readonly view: AnchorChainView;
  readonly sender: AnchorTxSender;
  readonly relayer: EthRelayer;
  private readonly key: ValidatorKey;
  private readonly domain: AnchorDomain;
  private sub: Subscription | undefined;
  private stopped = false;
  private ticking = false;
  private tickAgain = false;
  private endpointChecked = false;
  /** Where the in-flight checkpoint landed, as this node's Ethereum RPC shows it (with enough confirmations). */
  private landed: { number: bigint; ref: Landed } | undefined;
  private ethLoopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastLog = new Map<string, string>();
  /** Last height each message (kind:number:round) was sent at: one that did not take effect (a tx
   * failing in its block) is sent again only after RESEND_BLOCKS, not every block. */
  private readonly sentAt = new Map<string, bigint>();
  /** What the submission steps did, for tests and logs. */
  readonly steps: { number: bigint; result: StepResult }[] = [];

  private constructor(host: AnchorHost, cfg: AnchorConfig, params: AnchorParams, key: ValidatorKey, feeKey: Uint8Array, account: LocalAccount | undefined) {
    this.host = host;
    this.cfg = cfg;
    this.params = params;
    this.key = key;
    this.view = new AnchorChainView(host.app);
    this.sender = new AnchorTxSender({ view: this.view, mempool: host.mempool, submit: (tx) => host.broadcastTx(tx), chainId: host.chainId, privateKey: feeKey, gasPrice: parseGasPrice(cfg.gasPrice || host.config.minGasPrice) });
    this.domain = { ethChainId: params.ethChainId, contract: params.contract, cosmosChainId: host.chainId };
    this.relayer = new EthRelayer({
      url: cfg.ethRpc, ethChainId: params.ethChainId, contract: getAddress(`0x${hexOf(params.contract)}`), account,
      journalPath: join(host.home, 'data', 'anchor-relayer.json'), replaceAfterMs: cfg.replaceAfterMs, logsFromBlock: BigInt(cfg.logsFromBlock),
    });
  }

  /** Checks the chain's anchor params, this node's keys and the configured contract; throws with what to fix. */
  static create(host: AnchorHost, cfg: AnchorConfig): AnchorService {
    if (!host.validatorKey) throw new Error('anchor: this node has no validator key (config/priv_validator_key.json); only validators run the anchor service');
    const params = new AnchorChainView(host.app).params();
    if (!anchoringEnabled(params)) throw new Error("anchor: anchoring is off in this chain's genesis (anchor.params: checkpoint_interval, eth_chain_id, contract)");
    if (cfg.contract && cfg.contract.toLowerCase() !== `0x${hexOf(params.contract)}`) {
      throw new Error(`anchor: --anchor-contract ${cfg.contract} is not this chain's anchor contract 0x${hexOf(params.contract)} (a chain param)`);
    }
    let feeKey: Uint8Array;
    try {
      feeKey = new Keyring(host.home).privateKey(cfg.feeKey);
    } catch (err) {
      throw new Error(`anchor: fee key: ${(err as Error).message}; add one with "depind keys add ${cfg.feeKey} --home ${host.home}" and fund it`);
    }
    return new AnchorService(host, cfg, params, host.validatorKey, feeKey, ethAccountFrom(cfg));
  }

  get ethAddress(): string | undefined {
    return this.relayer.account?.address;
  }

  start(): void {
    this.sub = this.host.bus.subscribe("tm.event = 'NewBlock'", () => this.kick());
    this.kick();
    this.ethLoopDone = this.ethLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sub) this.host.bus.unsubscribe(this.sub);
    this.wake?.();
    await this.ethLoopDone;
  }

  private note(topic: string, msg: string): void {
    if (this.lastLog.get(topic) === msg) return;
    this.lastLog.set(topic, msg);
    this.host.log(`anchor: ${msg}`);
  }

  // ------------------------------------------------------------ chain side

  /** Runs the chain-side tick (coalesced: one at a time, re-run if a block arrived meanwhile). */
  private kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    setImmediate(() => {
      this.tick()
        .catch((err) => this.note('tick', `chain side: ${(err as Error).message}`))
        .finally(() => {
          this.ticking = false;
          if (this.tickAgain) {
            this.tickAgain = false;
            this.kick();
          }
        });
    });
  }

  private async tick(): Promise<void> {
    const info = this.view.latest();
    if (!info || this.sender.busy()) return;
    const height = this.host.app.info().lastBlockHeight;
    const r = info.checkpoint;
    const due = (kind: string) => {
      const at = this.sentAt.get(`${kind}:${r.number}:${r.rotations}`);
      return at === undefined || height >= at + RESEND_BLOCKS;
    };
    const confirm = due('confirm') ? this.confirmation(info) : undefined;
    const ack = due('ack') ? this.acknowledgement(info) : undefined;
    const msgs = [confirm, ack].filter((m): m is Any => !!m);
    if (msgs.length === 0) return;
    if (confirm) this.sentAt.set(`confirm:${r.number}:${r.rotations}`, height);
    if (ack) this.sentAt.set(`ack:${r.number}:${r.rotations}`, height);
    const res = await this.sender.send(msgs, info.validators.length);
    if (res.code !== 0) this.note('send', `tx ${res.hash} refused by CheckTx (code ${res.code}): ${res.log}`);
    else this.note('send', `sent ${[confirm && `confirmation`, ack && `acknowledgement`].filter(Boolean).join(' + ')} of checkpoint ${info.checkpoint.number} (tx ${res.hash})`);
  }

  /** A confirmation of the latest checkpoint if this validator is in its signing set and has not confirmed. */
  private confirmation(info: CheckpointInfo): Any | undefined {
    const r = info.checkpoint;
    if (r.status === STATUS.ACKNOWLEDGED) return undefined;
    const me = info.validators.find((v) => eq(v.consensusAddress, this.key.address));
    if (!me || me.signature) return undefined;
    // Sign only what this node itself committed: the root must be our app hash at that height.
    const ours = this.host.app.store.rootAt(Number(r.height));
    if (!ours || !eq(ours, r.stateRoot)) {
      this.note('root', `NOT confirming checkpoint ${r.number}: its root ${hexOf(r.stateRoot)} is not this node's app hash at height ${r.height} (${ours ? hexOf(ours) : 'unknown'})`);
      return undefined;
    }
    const digest = checkpointDigest(this.domain, checkpointOf(r));
    if (!eq(digest, info.digest)) throw new Error(`checkpoint ${r.number}: the chain's digest differs from this node's`);
    const signature = signCheckpoint(this.key.privateKey, digest);
    return { typeUrl: MsgConfirmCheckpoint.typeUrl, value: MsgConfirmCheckpoint.encode({ sender: this.sender.address, number: r.number.toString(), validatorAddress: this.key.address, signature }) };
  }

  /** An acknowledgement of the in-flight checkpoint once this node saw it on Ethereum, one per round. */
  private acknowledgement(info: CheckpointInfo): Any | undefined {
    const r = info.checkpoint;
    if (r.status !== STATUS.SIGNED && r.status !== STATUS.SUBMITTED) return undefined;
    if (!this.landed || this.landed.number !== r.number) return undefined;
    if (info.ackVotes.some((v) => eq(v.validatorAddress, this.key.address))) return undefined;
    if (!info.validators.some((v) => eq(v.consensusAddress, this.key.address))) return undefined;
    const eth = this.landed.ref;
    const digest = ackDigest({ cosmosChainId: this.host.chainId, ethChainId: this.params.ethChainId, contract: this.params.contract, number: r.number, stateRoot: r.stateRoot, round: r.rotations }, eth);
    return {
      typeUrl: MsgAckCheckpoint.typeUrl,
      value: MsgAckCheckpoint.encode({
        sender: this.sender.address, number: r.number.toString(), validatorAddress: this.key.address, ethTxHash: eth.txHash,
        ethBlockNumber: eth.blockNumber.toString(), logIndex: eth.logIndex.toString(), signature: signDigest(digest, this.key.privateKey),
      }),
    };
  }

  // ------------------------------------------------------------ Ethereum side

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async ethLoop(): Promise<void> {
    let backoff = this.cfg.pollMs;
    while (!this.stopped) {
      try {
        await this.ethRound();
        backoff = this.cfg.pollMs;
        this.note('eth', 'Ethereum RPC reachable');
      } catch (err) {
        backoff = Math.min(backoff * 2, this.cfg.maxBackoffMs);
        this.note('eth', `Ethereum side: ${shortError(err)} (retrying with backoff up to ${this.cfg.maxBackoffMs} ms)`);
      }
      if (!this.stopped) await this.sleep(backoff);
    }
  }

  private async ethRound(): Promise<void> {
    if (!this.endpointChecked) {
      await this.relayer.checkEndpoint(this.host.chainId);
      this.endpointChecked = true;
    }
    const info = this.view.latest();
    if (!info) return;
    const r = info.checkpoint;
    if (r.status !== STATUS.SIGNED && r.status !== STATUS.SUBMITTED) return;
    const cp = checkpointOf(r);
    const found = await this.relayer.findLanded(cp);
    if (found) {
      const confirmations = (await this.relayer.blockNumber()) - found.blockNumber + 1n;
      if (confirmations >= BigInt(this.cfg.ethConfirmations)) {
        if (this.landed?.number !== r.number) this.note('landed', `checkpoint ${r.number} is on Ethereum: tx 0x${hexOf(found.txHash)}, block ${found.blockNumber}`);
        this.landed = { number: r.number, ref: found };
        this.kick();
      }
      for (const n of this.relayer.journal.numbers()) if (n <= r.number) this.relayer.journal.delete(n);
      return;
    }
    // Not on Ethereum yet. Normally the contract is one behind; if it lost checkpoints the chain
    // acknowledged (an Ethereum reorg deeper than ethConfirmations), resend those first.
    const last = await this.relayer.lastCheckpointNumber();
    const target = last + 1n < r.number ? this.view.checkpoint(last + 1n) : info;
    if (!target) return;
    const mine = eq(designatedSubmitter(target), this.key.address);
    if (!mine && !this.relayer.journal.get(target.checkpoint.number)) {
      this.note('turn', `checkpoint ${r.number} is ${STATUS_NAME[r.status]}; submitter turn: ${hexOf(designatedSubmitter(target) ?? new Uint8Array()).toUpperCase()}`);
      return;
    }
    const result = await this.relayer.step(jobOf(target));
    this.steps.push({ number: target.checkpoint.number, result });
    if (result !== 'waiting') this.note('step', `checkpoint ${target.checkpoint.number}: ${result}`);
    if (result === 'no-account') this.note('turn', `this node's turn to submit checkpoint ${target.checkpoint.number}, but it has no Ethereum key (anchor.ethPrivateKey / ethMnemonic)`);
  }
}

/** Validator index (number + rotations) mod n of the signing set (the module's rule). */
export function designatedSubmitter(info: CheckpointInfo): Uint8Array | undefined {
  const set = info.validators;
  if (set.length === 0) return undefined;
  return set[Number((info.checkpoint.number + info.checkpoint.rotations) % BigInt(set.length))]!.consensusAddress;
}

/**
 * The submitCheckpoint arguments for a checkpoint: its signing set and just enough confirmations
 * for the quorum, largest powers first (each signature costs ~3.8k gas on Ethereum; the contract
 * needs > 2/3, not all), packed in address order.
 */
export function jobOf(info: CheckpointInfo): SubmitJob {
  const validators = info.validators.map((v) => ({ ethAddress: v.ethAddress, power: v.power }));
  const total = validators.reduce((n, v) => n + v.power, 0n);
  const confirmed = info.validators.filter((v) => v.signature).sort((a, b) => (a.power === b.power ? compareAddresses(a.ethAddress, b.ethAddress) : a.power > b.power ? -1 : 1));
  const chosen: typeof confirmed = [];
  let power = 0n;
  for (const v of confirmed) {
    if (hasQuorum(power, total)) break;
    chosen.push(v);
    power += v.power;
  }
  const signatures = packSignatures(chosen.map((v) => ({ signer: v.ethAddress, signature: v.signature! })));
  return { checkpoint: checkpointOf(info.checkpoint), validators, signatures };
}

function shortError(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string; cause?: { code?: string } };
  return (e.shortMessage ?? e.message ?? String(err)).split('\n')[0]!;
}

// A real depin App in-process (LevelDB) with the test proof driver wired before rewards, typed
// rewards messages and reads, and the invariant checker run after every block.
import type { GenesisDoc } from '../../chain/genesis.ts';
import type { TxResult } from '../../chain/app.ts';
import type { Any } from '../../chain/tx/types.ts';
import type { Context } from '../../chain/context.ts';
import { TestChain, type Signer } from './inproc.ts';
import { ProofDriver } from './proof-driver.ts';
import { checkInvariants, readContext, type InvariantOptions } from '../../modules/rewards/invariants.ts';
import { keys } from '../../modules/rewards/keys.ts';
import { R, Msgs, type DeviceEpoch, type EpochSummary, type Ledger, type MsgName, EPOCH_DONE } from '../../modules/rewards/types.ts';
import { claimableOf } from '../../modules/rewards/keeper.ts';

export class RewardsHarness {
  readonly chain: TestChain;
  readonly driver: ProofDriver;
  checkEveryBlock = true;
  invariantOptions: InvariantOptions = {};
  blocksChecked = 0;

  private constructor(chain: TestChain, driver: ProofDriver) {
    this.chain = chain;
    this.driver = driver;
  }

  static async open(genesis: GenesisDoc, opts: { check?: boolean; invariants?: InvariantOptions } = {}): Promise<RewardsHarness> {
    const driver = new ProofDriver();
    const chain = await TestChain.open(genesis, { beforeRewards: driver.module });
    const h = new RewardsHarness(chain, driver);
    h.checkEveryBlock = opts.check ?? true;
    h.invariantOptions = opts.invariants ?? {};
    h.check();
    return h;
  }

  close(): Promise<void> {
    return this.chain.close();
  }

  get rewards() {
    return this.chain.keepers.rewards;
  }

  get height(): bigint {
    return this.chain.height;
  }

  /** A read context on the committed state. */
  ctx(): Context {
    return readContext(this.chain.app.store, this.chain.height, this.chain.time);
  }

  check(): void {
    const v = checkInvariants(this.ctx(), this.rewards, this.invariantOptions);
    if (v.length) throw new Error(`invariants violated after height ${this.chain.height}:\n  ${v.join('\n  ')}`);
    this.blocksChecked++;
  }

  async block(txs: Uint8Array[] = []): Promise<TxResult[]> {
    const r = await this.chain.block(txs);
    if (this.checkEveryBlock) this.check();
    return r;
  }

  async blocks(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.block();
  }

  async deliver(tx: Uint8Array): Promise<TxResult> {
    return (await this.block([tx]))[0]!;
  }

  /** Signs and delivers one tx with these rewards messages; returns the result. */
  async send(signer: Signer, msgs: Any[], fee = 5000n): Promise<TxResult> {
    return this.deliver(this.chain.tx(signer, msgs, { fee, gas: 2_000_000n }));
  }

  state() {
    return this.rewards.state(this.ctx());
  }

  currentEpoch(): bigint {
    return this.state().currentEpoch;
  }

  summary(e: bigint): EpochSummary {
    const s = this.rewards.summary(this.ctx(), e);
    if (!s) throw new Error(`no summary for epoch ${e}`);
    return s;
  }

  records(e: bigint, device: bigint): DeviceEpoch[] {
    return this.rewards.scan(this.ctx(), keys.deviceEpochDevice(e, device)).map(([, v]) => R.DeviceEpoch.decode(v));
  }

  record(e: bigint, device: bigint): DeviceEpoch {
    const r = this.records(e, device);
    if (r.length !== 1) throw new Error(`expected one record for device ${device} in epoch ${e}, got ${r.length}`);
    return r[0]!;
  }

  ledger(device: bigint, owner: string): Ledger {
    return this.rewards.ledger(this.ctx(), device, owner);
  }

  claimable(device: bigint, owner: string): bigint {
    return claimableOf(this.ledger(device, owner));
  }

  /** Runs blocks until the epoch that is open now has closed and been fully distributed. */
  async finishEpoch(): Promise<EpochSummary> {
    const e = this.currentEpoch();
    for (let i = 0; i < 100_000; i++) {
      await this.block();
      const s = this.rewards.summary(this.ctx(), e);
      if (s && s.status === EPOCH_DONE) return s;
    }
    throw new Error(`epoch ${e} never finished`);
  }
}

/** A rewards message as an Any (value: the message fields, bigint amounts welcome). */
export function msg(name: MsgName, value: Record<string, unknown>): Any {
  const c = Msgs[name];
  return { typeUrl: c.typeUrl, value: c.encode(value as never) };
}

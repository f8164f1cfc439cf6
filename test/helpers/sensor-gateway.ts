// A sensor gateway as a DePIN builder writes one: for the window the next block falls in, fetch
// the window's seed, have the device sign a batch envelope (sdk/proofs.ts sensorBatch) and submit
// it with MsgSubmitProofs through unmodified CosmJS. One batch per device per window.
import assert from 'node:assert/strict';
import type { SigningStargateClient, DeliverTxResponse } from '@cosmjs/stargate';
import { ProofsClient, type DeviceKey } from '../../sdk/index.ts';
import * as P from '../../sdk/proofs.ts';

export interface SensorDevice {
  id: bigint;
  key: DeviceKey;
  cell: bigint;
}

export type Verdict = Record<string, string>;

export const verdictsOf = (r: DeliverTxResponse): Verdict[] =>
  r.events.filter((e) => e.type === 'proof_verdict').map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SensorGateway {
  readonly client: SigningStargateClient;
  readonly address: string;
  readonly proofs: ProofsClient;
  readonly chainId: string;
  readonly windowBlocks: bigint;

  constructor(client: SigningStargateClient, address: string, proofs: ProofsClient, chainId: string, windowBlocks: bigint) {
    this.client = client;
    this.address = address;
    this.proofs = proofs;
    this.chainId = chainId;
    this.windowBlocks = windowBlocks;
  }

  async height(): Promise<bigint> {
    return BigInt(await this.client.getHeight());
  }

  /** Waits until the next block starts a window after `after` (or any window when omitted) with
   * room left in it for a tx; returns that window. */
  async nextWindow(after?: bigint): Promise<bigint> {
    const W = this.windowBlocks;
    for (;;) {
      const next = (await this.height()) + 1n;
      const w = next / W;
      // a tx takes a block or two to land: not in the last two blocks of a window
      if ((after === undefined || w > after) && next % W <= W - 3n) return w;
      await sleep(50);
    }
  }

  /** Signs the device's batch for `window` and submits it; returns the tx and its verdict. */
  async submit(dev: SensorDevice, window: bigint, batch: { readings?: Uint8Array[]; readingCount?: bigint; readingsRoot?: Uint8Array }): Promise<{ res: DeliverTxResponse; verdict: Verdict }> {
    // The RPC height can lead the committed state by a block: wait for the seed itself.
    let s = await this.proofs.seed(window);
    for (let i = 0; !s.available && i < 100; i++) {
      await sleep(50);
      s = await this.proofs.seed(window);
    }
    assert.equal(s.available, true, `seed of window ${window}`);
    const seq = BigInt((await this.proofs.deviceState(dev.id)).state?.lastSeq ?? 0n) + 1n;
    const env = P.sensorBatch(dev.key, { chainId: this.chainId, deviceId: dev.id, window, seed: Uint8Array.from(s.seed), seq }, { ...batch, cell: dev.cell });
    const res = await this.client.signAndBroadcast(this.address, [P.submitProofsMsg(this.address, [env])], 'auto');
    assert.equal(res.code, 0, res.rawLog ?? '');
    const [verdict] = verdictsOf(res);
    assert.ok(verdict, 'a verdict in the tx');
    return { res, verdict };
  }
}

/** `n` readings like a weather station's ("t=21.5;h=40;i=0"). */
export function readings(n: number, tag: string): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new TextEncoder().encode(`${tag};t=${(20 + (i % 7) / 2).toFixed(1)};h=${40 + (i % 5)};i=${i}`));
}

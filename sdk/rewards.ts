// Rewards for wallets, operators, data buyers and oracles: CosmJS message builders (claim, data
// credits, oracle registration and price posts) and RewardsClient, the module's queries over
// CometBFT RPC (epoch summaries, per-device breakdowns, claimable balances, prices, credits).
// Results are plain objects: camelCase fields, 64-bit integers as bigint, amounts as decimal strings.
import { connectComet, type CometClient } from '@cosmjs/tendermint-rpc';
import { QueryClient } from '@cosmjs/stargate';
import protobuf from 'protobufjs';
import { root } from '../chain/codec/proto.ts';
import { Q, queryPath, type QueryName } from '../modules/rewards/types.ts';
import type { EncodeObject } from './messages.ts';
import type { PageOptions } from './client.ts';

const TO_OBJECT: protobuf.IConversionOptions = { longs: BigInt as never, enums: Number, defaults: true };
const rewards = (name: string, value: Record<string, unknown>): EncodeObject => ({ typeUrl: `/depin.rewards.v1.${name}`, value });

/** Pays `owner` what the listed devices (all of them when omitted) earned under him and he has not claimed. */
export const claimRewardsMsg = (owner: string, deviceIds: bigint[] = []) => rewards('MsgClaim', { owner, deviceIds });
/** Burns `udpin` for non-transferable data credits at the conservative oracle price; optional price guards (micro-USD per DPIN). */
export const mintCreditsMsg = (buyer: string, udpin: bigint, guard: { maxPrice?: bigint; minPrice?: bigint } = {}) =>
  rewards('MsgMintCredits', { buyer, amount: udpin.toString(), maxPrice: guard.maxPrice ?? 0n, minPrice: guard.minPrice ?? 0n });
/** Spends credits (udc) for one device's service or for a sector's; `eventId` (1..64 bytes) is unique per buyer. */
export const spendCreditsMsg = (buyer: string, target: { deviceId: bigint } | { sector: number }, udc: bigint, eventId: Uint8Array | string) =>
  rewards('MsgSpendCredits', {
    buyer, deviceId: 'deviceId' in target ? target.deviceId : 0n, sector: 'sector' in target ? target.sector : 0, amount: udc.toString(),
    eventId: typeof eventId === 'string' ? new TextEncoder().encode(eventId) : eventId,
  });
export const registerOracleMsg = (oracle: string, bondUdpin: bigint) => rewards('MsgRegisterOracle', { oracle, bond: bondUdpin.toString() });
export const unbondOracleMsg = (oracle: string) => rewards('MsgUnbondOracle', { oracle });
/** `price` in micro-USD per DPIN ($1.25 = 1_250_000), `observedAt` in unix seconds. */
export const postPriceMsg = (oracle: string, price: bigint, observedAt: bigint) => rewards('MsgPostPrice', { oracle, price, observedAt });

export class RewardsClient {
  readonly comet: CometClient;
  readonly abci: QueryClient;

  private constructor(comet: CometClient) {
    this.comet = comet;
    this.abci = new QueryClient(comet);
  }

  static async connect(rpcUrl: string): Promise<RewardsClient> {
    return new RewardsClient(await connectComet(rpcUrl));
  }

  disconnect(): void {
    this.comet.disconnect();
  }

  private async q(name: QueryName, request: object): Promise<any> {
    const req = root.lookupType(Q[name][0].type.fullName.slice(1));
    const res = root.lookupType(Q[name][1].type.fullName.slice(1));
    const { value } = await this.abci.queryAbci(queryPath(name), req.encode(req.fromObject(request as Record<string, unknown>)).finish());
    return res.toObject(res.decode(value), TO_OBJECT);
  }

  params() {
    return this.q('Params', {}).then((r) => r.params);
  }
  /** An epoch's network summary (0 / omitted = the open epoch) and the current epoch number. */
  epoch(epoch = 0n) {
    return this.q('Epoch', { epoch });
  }
  epochs(pagination?: PageOptions) {
    return this.q('Epochs', { pagination });
  }
  /** The device's breakdown in an epoch (records per owner), its ledgers and penalty state. */
  deviceEpoch(deviceId: bigint, epoch = 0n) {
    return this.q('DeviceEpoch', { deviceId, epoch });
  }
  deviceEpochs(deviceId: bigint, pagination?: PageOptions & { reverse?: boolean }) {
    return this.q('DeviceEpochs', { deviceId, pagination });
  }
  deviceRewards(deviceId: bigint) {
    return this.q('DeviceRewards', { deviceId });
  }
  /** What `owner` can claim now, per device and in total. */
  claimable(owner: string, pagination?: PageOptions) {
    return this.q('Claimable', { owner, pagination });
  }
  prices() {
    return this.q('Prices', {});
  }
  oracles(pagination?: PageOptions) {
    return this.q('Oracles', { pagination }).then((r) => r.oracles);
  }
  credits(address: string) {
    return this.q('Credits', { address }).then((r) => r.account);
  }
  totals() {
    return this.q('Totals', {});
  }
  schedule(fromEpoch = 0n, count = 100) {
    return this.q('Schedule', { fromEpoch, count });
  }
}

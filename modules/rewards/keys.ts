// Store layout of the rewards module (prefix "rewards/"); README "State" lists it.
import { fromBech32 } from '../../chain/crypto/address.ts';
import { concat, storeKey } from '../../chain/codec/bytes.ts';

export const STORE_PREFIX = new TextEncoder().encode('rewards/');

export const K = {
  params: 0x00,
  state: 0x01,
  epoch: 0x02, //          u64 epoch -> EpochSummary
  deviceEpoch: 0x03, //    u64 epoch | u64 device | owner -> DeviceEpoch
  // 0x04 unused
  cell: 0x05, //           u64 epoch | u8 sector | u64 cell -> CellAggregate
  // 0x06 unused (was per-proof entries for reversal; the proofs record now carries the credit)
  ledger: 0x07, //         u64 device | owner -> Ledger
  pending: 0x08, //        lp owner | u64 device -> 1 (claimable > 0)
  deviceState: 0x09, //    u64 device -> DeviceState
  oracle: 0x0a, //         oracle -> Oracle
  post: 0x0b, //           oracle -> PricePost
  credits: 0x0c, //        address -> CreditAccount
  event: 0x0d, //          lp buyer | event id -> u64 epoch
  eventExpiry: 0x0e, //    u64 epoch | lp buyer | event id -> 1
  demand: 0x0f, //         u64 epoch | u64 device | owner -> 1 (records with demand)
  oraclePosts: 0x10, //    u64 epoch | oracle -> u64 accepted posts
  judgment: 0x11, //       u64 judge height | oracle -> PendingJudgment
  unbonding: 0x12, //      u64 release height | oracle -> 1
  anchorRecord: 0x13, //   u64 device | owner (20 bytes) -> 44-byte claim record (anchor-record.ts)
} as const;

const b = storeKey;
const addr = (a: string) => fromBech32(a);
const lp = (x: Uint8Array) => concat(Uint8Array.of(x.length), x);

export const keys = {
  epoch: (e: bigint) => b(K.epoch, e),
  deviceEpochPrefix: (e: bigint) => b(K.deviceEpoch, e),
  deviceEpochDevice: (e: bigint, d: bigint) => b(K.deviceEpoch, e, d),
  deviceEpoch: (e: bigint, d: bigint, owner: string) => b(K.deviceEpoch, e, d, addr(owner)),
  cellPrefix: (e: bigint) => b(K.cell, e),
  cell: (e: bigint, sector: number, cell: bigint) => b(K.cell, e, Uint8Array.of(sector), cell),
  ledgerPrefix: (d: bigint) => b(K.ledger, d),
  ledger: (d: bigint, owner: string) => b(K.ledger, d, addr(owner)),
  pendingPrefix: (owner: string) => b(K.pending, lp(addr(owner))),
  pending: (owner: string, d: bigint) => b(K.pending, lp(addr(owner)), d),
  deviceState: (d: bigint) => b(K.deviceState, d),
  oracle: (o: string) => b(K.oracle, addr(o)),
  post: (o: string) => b(K.post, addr(o)),
  credits: (a: string) => b(K.credits, addr(a)),
  event: (buyer: string, id: Uint8Array) => b(K.event, lp(addr(buyer)), id),
  eventExpiry: (e: bigint, buyer: string, id: Uint8Array) => b(K.eventExpiry, e, lp(addr(buyer)), id),
  demandPrefix: (e: bigint) => b(K.demand, e),
  demand: (e: bigint, d: bigint, owner: string) => b(K.demand, e, d, addr(owner)),
  oraclePostsPrefix: (e: bigint) => b(K.oraclePosts, e),
  oraclePosts: (e: bigint, o: string) => b(K.oraclePosts, e, addr(o)),
  judgment: (h: bigint, o: string) => b(K.judgment, h, addr(o)),
  judgmentsUpTo: (h: bigint) => b(K.judgment, h + 1n),
  unbonding: (h: bigint, o: string) => b(K.unbonding, h, addr(o)),
  unbondingUpTo: (h: bigint) => b(K.unbonding, h + 1n),
};

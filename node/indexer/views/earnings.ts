// Earnings view: what each device was paid per reward epoch (udpin, split into demand and proof
// parts when the event says so) and in total, and what each owner claimed. Built from the rewards
// module's events:
//   `rewards_device_paid{device_id, epoch, amount, owner?, units?, demand?, proof?}` — one per
//   device paid in an epoch's distribution (amounts in udpin, "123" or "123udpin");
//   `rewards_claimed{owner, amount}`.
// Until the rewards module is merged (and emits the per-device event) the view is empty; per-epoch
// reward *units* per device are already kept by the proofs view from proof verdicts.
import { cat, str, u64, u8, type PageRequest, type ViewWriter } from './kv.ts';
import { attrBig, coinAmount, epochBounds, type BlockSummary, type QueryContext, type View, type ViewEvent } from './view.ts';
import { parseId } from './devices.ts';

export const DEVICE_PAID_EVENT = 'rewards_device_paid';
export const CLAIMED_EVENT = 'rewards_claimed';

export interface DeviceEpochEarning {
  epoch: string;
  /** udpin paid for this epoch. */
  amount: string;
  demand: string;
  proof: string;
  units: string;
  height: string;
}

export interface DeviceEarningTotals {
  earned: string;
  epochs: number;
  last_epoch: string;
}

const T = { devEpoch: 0x65, total: 0x74, claimed: 0x63 } as const;
const t = (x: number) => u8(x);

/** "123", "123udpin" -> 123n. */
function amountAttr(v: string | undefined): bigint {
  if (!v) return 0n;
  if (/^[0-9]+$/.test(v)) return BigInt(v);
  return coinAmount(v);
}

async function apply(w: ViewWriter, events: readonly ViewEvent[], _s: BlockSummary): Promise<void> {
  await w.prefetch(events.filter((e) => e.type === DEVICE_PAID_EVENT).flatMap((e) => {
    const device = u64(attrBig(e, 'device_id'));
    return [[t(T.devEpoch), device, u64(attrBig(e, 'epoch'))], [t(T.total), device]];
  }));
  for (const e of events) {
    if (e.type === DEVICE_PAID_EVENT) {
      const device = attrBig(e, 'device_id');
      const epoch = attrBig(e, 'epoch');
      const amount = amountAttr(e.attrs.amount);
      const key = [t(T.devEpoch), u64(device), u64(epoch)];
      const row = (await w.getJson<DeviceEpochEarning>(...key)) ?? { epoch: epoch.toString(), amount: '0', demand: '0', proof: '0', units: '0', height: '0' };
      row.amount = (BigInt(row.amount) + amount).toString();
      row.demand = (BigInt(row.demand) + amountAttr(e.attrs.demand)).toString();
      row.proof = (BigInt(row.proof) + amountAttr(e.attrs.proof)).toString();
      row.units = (BigInt(row.units) + (e.attrs.units ? attrBig(e, 'units') : 0n)).toString();
      row.height = w.height.toString();
      w.putJson(row, ...key);
      const tot = (await w.getJson<DeviceEarningTotals>(t(T.total), u64(device))) ?? { earned: '0', epochs: 0, last_epoch: '0' };
      tot.earned = (BigInt(tot.earned) + amount).toString();
      if (BigInt(row.amount) === amount) tot.epochs++; // first payment of this epoch
      if (epoch > BigInt(tot.last_epoch)) tot.last_epoch = epoch.toString();
      w.putJson(tot, t(T.total), u64(device));
    } else if (e.type === CLAIMED_EVENT) {
      const owner = e.attrs.owner ?? '';
      await w.add(amountAttr(e.attrs.amount), t(T.claimed), str(owner));
    }
  }
}

const json = <T>(v: Uint8Array): T => JSON.parse(Buffer.from(v).toString('utf8')) as T;

async function device(ctx: QueryContext, p: Record<string, string | undefined>, page: PageRequest) {
  const id = parseId(p.id);
  const res = await ctx.reader.paginate(cat(t(T.devEpoch), u64(id)), page, (_k, v) => json<DeviceEpochEarning>(v), epochBounds(p));
  const totals = await ctx.reader.getJson<DeviceEarningTotals>(t(T.total), u64(id));
  return { totals: totals ?? null, epochs: res.items, pagination: res.pagination };
}

async function owner(ctx: QueryContext, p: Record<string, string | undefined>) {
  return { owner: p.owner ?? '', claimed: (await ctx.reader.counter(t(T.claimed), str(p.owner ?? ''))).toString() };
}

export const earningsView: View = {
  name: 'earnings',
  version: 1,
  events: [DEVICE_PAID_EVENT, CLAIMED_EVENT],
  apply,
  queries: { device, owner: (ctx, p) => owner(ctx, p) },
};

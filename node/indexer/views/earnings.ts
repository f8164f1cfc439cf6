// Earnings view: what each device was paid per reward epoch (udpin, split into demand and proof
// parts) and in total, and what each owner claimed. Built from the rewards module's events:
//   `rewards_device_paid{device_id, epoch, owner, amount, demand, proof, withheld, units,
//   weighted_units}` — one per device record (device, owner) of an epoch, emitted by the
//   distribution's PAY phase (modules/rewards/distribution.ts payRecord), amounts in udpin;
//   a device transferred mid-epoch has two records, summed here;
//   `rewards_claimed{owner, amount: "<n>udpin"}`.
import { cat, str, u64, u8, parseJson, type PageRequest, type ViewWriter } from './kv.ts';
import { attrBig, coinAmount, epochBounds, type BlockSummary, type QueryContext, type View, type ViewEvent } from './view.ts';
import { parseId } from './devices.ts';

export const DEVICE_PAID_EVENT = 'rewards_device_paid';
export const CLAIMED_EVENT = 'rewards_claimed';

export interface DeviceEpochEarning {
  epoch: string;
  /** udpin credited for this epoch (earned = demand + proof − withheld). */
  amount: string;
  demand: string;
  proof: string;
  withheld: string;
  /** Verified proof units (fixed point, 1 unit = 1,000,000) and after trust × seniority. */
  units: string;
  weighted_units: string;
  /** Owners the device earned under in this epoch (more than one after a transfer). */
  owners: string[];
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
      const prev = await w.getJson<DeviceEpochEarning>(...key);
      const row = prev ?? { epoch: epoch.toString(), amount: '0', demand: '0', proof: '0', withheld: '0', units: '0', weighted_units: '0', owners: [], height: '0' };
      const plus = (a: string, attr: string) => (BigInt(a) + amountAttr(e.attrs[attr])).toString();
      row.amount = plus(row.amount, 'amount');
      row.demand = plus(row.demand, 'demand');
      row.proof = plus(row.proof, 'proof');
      row.withheld = plus(row.withheld, 'withheld');
      row.units = plus(row.units, 'units');
      row.weighted_units = plus(row.weighted_units, 'weighted_units');
      const owner = e.attrs.owner ?? '';
      if (owner && !row.owners.includes(owner)) row.owners.push(owner);
      row.height = w.height.toString();
      w.putJson(row, ...key);
      const tot = (await w.getJson<DeviceEarningTotals>(t(T.total), u64(device))) ?? { earned: '0', epochs: 0, last_epoch: '0' };
      tot.earned = (BigInt(tot.earned) + amount).toString();
      if (!prev) tot.epochs++; // the device's first record of this epoch
      if (epoch > BigInt(tot.last_epoch)) tot.last_epoch = epoch.toString();
      w.putJson(tot, t(T.total), u64(device));
    } else if (e.type === CLAIMED_EVENT) {
      const owner = e.attrs.owner ?? '';
      await w.add(amountAttr(e.attrs.amount), t(T.claimed), str(owner));
    }
  }
}


async function device(ctx: QueryContext, p: Record<string, string | undefined>, page: PageRequest) {
  const id = parseId(p.id);
  const res = await ctx.reader.paginate(cat(t(T.devEpoch), u64(id)), page, (_k, v) => parseJson<DeviceEpochEarning>(v)!, epochBounds(p));
  const totals = await ctx.reader.getJson<DeviceEarningTotals>(t(T.total), u64(id));
  return { totals: totals ?? null, epochs: res.items, pagination: res.pagination };
}

async function owner(ctx: QueryContext, p: Record<string, string | undefined>) {
  return { owner: p.owner ?? '', claimed: (await ctx.reader.counter(t(T.claimed), str(p.owner ?? ''))).toString() };
}

export const earningsView: View = {
  name: 'earnings',
  version: 2,
  events: [DEVICE_PAID_EVENT, CLAIMED_EVENT],
  apply,
  queries: { device, owner: (ctx, p) => owner(ctx, p) },
};

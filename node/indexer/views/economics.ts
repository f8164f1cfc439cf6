// Economics view: per reward epoch, what was emitted against what demand burned (the
// subsidy-to-revenue question), and running totals. Consumes the rewards module's
//   `rewards_epoch_closed{epoch, scheduled, reemission, breaker_clipped, minted, credits_burned}`,
//   `rewards_epoch_distributed{epoch, minted, paid, unallocated, withheld, demand_paid,
//   subsidy_to_revenue_ppm, revenue_zero}` (the module's own ratio, taken as is: subsidy =
//   minted − demand paid, revenue = udpin burned for credits in the epoch; null when revenue_zero),
//   `credits_minted{burned: "<n>udpin", credits}` (data credits bought by burning udpin),
//   `rewards_claimed{amount}`,
// and the devices module's fees (registration and location fees are burned): data that exists
// before the rewards module is merged, so the page is never blank.
import { u64, u8, parseJson, type PageRequest, type ViewWriter } from './kv.ts';
import { attrBig, coinAmount, epochBounds, type BlockSummary, type QueryContext, type View, type ViewEvent } from './view.ts';

export interface EpochEconomics {
  epoch: string;
  closed_height: string;
  distributed_height: string;
  scheduled: string;
  reemission: string;
  minted: string;
  /** udpin burned for data credits during the epoch (demand). */
  credits_burned: string;
  paid: string;
  unallocated: string;
  withheld: string;
  demand_paid: string;
  /** (minted − demand paid) / revenue in ppm; null when the epoch had no revenue. */
  subsidy_to_revenue_ppm: string | null;
}

export interface EconomicsTotals {
  minted: string;
  credits_burned: string;
  paid: string;
  unallocated: string;
  claimed: string;
  device_fees_burned: string;
  epochs_closed: string;
  last_epoch: string | null;
}

const T = { epoch: 0x65, totals: 0x74 } as const;
const t = (x: number) => u8(x);

const amount = (v: string | undefined): bigint => (!v ? 0n : /^[0-9]+$/.test(v) ? BigInt(v) : coinAmount(v));
const plus = (a: string, b: bigint) => (BigInt(a) + b).toString();

const zeroTotals = (): EconomicsTotals => ({ minted: '0', credits_burned: '0', paid: '0', unallocated: '0', claimed: '0', device_fees_burned: '0', epochs_closed: '0', last_epoch: null });
const zeroEpoch = (e: bigint): EpochEconomics => ({
  epoch: e.toString(), closed_height: '0', distributed_height: '0', scheduled: '0', reemission: '0', minted: '0', credits_burned: '0', paid: '0', unallocated: '0', withheld: '0', demand_paid: '0', subsidy_to_revenue_ppm: null,
});


async function apply(w: ViewWriter, events: readonly ViewEvent[], _s: BlockSummary): Promise<void> {
  let totals: EconomicsTotals | undefined;
  const tot = async () => (totals ??= (await w.getJson<EconomicsTotals>(t(T.totals))) ?? zeroTotals());
  for (const e of events) {
    switch (e.type) {
      case 'device_registered':
      case 'device_location_asserted': {
        const fee = coinAmount(e.attrs.fee);
        if (fee) (await tot()).device_fees_burned = plus((await tot()).device_fees_burned, fee);
        break;
      }
      case 'credits_minted':
        (await tot()).credits_burned = plus((await tot()).credits_burned, amount(e.attrs.burned));
        break;
      case 'rewards_claimed':
        (await tot()).claimed = plus((await tot()).claimed, amount(e.attrs.amount));
        break;
      case 'rewards_epoch_closed': {
        const ep = attrBig(e, 'epoch');
        const row = (await w.getJson<EpochEconomics>(t(T.epoch), u64(ep))) ?? zeroEpoch(ep);
        row.closed_height = w.height.toString();
        row.scheduled = amount(e.attrs.scheduled).toString();
        row.reemission = amount(e.attrs.reemission).toString();
        row.minted = amount(e.attrs.minted).toString();
        row.credits_burned = amount(e.attrs.credits_burned).toString();
        // Known once the distribution pays demand: the module's own figure arrives with it.
        row.subsidy_to_revenue_ppm = null;
        w.putJson(row, t(T.epoch), u64(ep));
        const x = await tot();
        x.minted = plus(x.minted, BigInt(row.minted));
        x.epochs_closed = plus(x.epochs_closed, 1n);
        x.last_epoch = ep.toString();
        break;
      }
      case 'rewards_epoch_distributed': {
        const ep = attrBig(e, 'epoch');
        const row = (await w.getJson<EpochEconomics>(t(T.epoch), u64(ep))) ?? zeroEpoch(ep);
        row.distributed_height = w.height.toString();
        row.paid = amount(e.attrs.paid).toString();
        row.unallocated = amount(e.attrs.unallocated).toString();
        row.withheld = amount(e.attrs.withheld).toString();
        row.demand_paid = amount(e.attrs.demand_paid).toString();
        row.subsidy_to_revenue_ppm = e.attrs.revenue_zero === 'true' ? null : (e.attrs.subsidy_to_revenue_ppm ?? null);
        w.putJson(row, t(T.epoch), u64(ep));
        const x = await tot();
        x.paid = plus(x.paid, BigInt(row.paid));
        x.unallocated = plus(x.unallocated, BigInt(row.unallocated));
        break;
      }
    }
  }
  if (totals) w.putJson(totals, t(T.totals));
}


async function epochs(ctx: QueryContext, p: Record<string, string | undefined>, page: PageRequest) {
  const reverse = page.reverse === undefined ? true : page.reverse;
  const res = await ctx.reader.paginate(t(T.epoch), { ...page, reverse }, (_k, v) => parseJson<EpochEconomics>(v)!, epochBounds(p));
  return { epochs: res.items, pagination: res.pagination };
}

async function totals(ctx: QueryContext) {
  return { totals: (await ctx.reader.getJson<EconomicsTotals>(t(T.totals))) ?? zeroTotals() };
}

export const economicsView: View = {
  name: 'economics',
  version: 3,
  events: ['device_registered', 'device_location_asserted', 'credits_minted', 'rewards_claimed', 'rewards_epoch_closed', 'rewards_epoch_distributed'],
  apply,
  queries: { epochs, totals: (ctx) => totals(ctx) },
};

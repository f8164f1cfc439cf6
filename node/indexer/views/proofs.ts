// Proofs view: every proof verdict of the proofs module with its reason code, per device (newest
// first) and aggregated per device and epoch (valid / invalid / reward units: the service-quality
// and "why did my rewards drop" answers), per epoch for the network, and by reason.
//
// Consumes (see node/indexer/README.md): `proof_verdict{proof_id, device_id, kind, valid, reason,
// reason_name, window, units}` — what the proofs module's keeper.finalize emits; the sector is
// the kind's prefix ("sensor/batch" → sensor) — `proof_reversed{proof_id, device_id, challenge_id,
// challenger, units}` and `rewards_epoch_closed{epoch}`. A verdict carries no epoch: it falls in
// the reward epoch after the last one closed (epochs count from 1), which is how the rewards
// module books it (its hooks run before its end block closes the epoch, and the index reads tx
// events, then end-block events, in the app's order).
import { cat, u32, u64, u8, readU32, readU64, parseJson, type PageRequest, type ViewWriter } from './kv.ts';
import { attrBig, epochBounds, type BlockSummary, type QueryContext, type View, type ViewEvent } from './view.ts';
import { parseId } from './devices.ts';

export const PROOF_VERDICT_EVENT = 'proof_verdict';
export const PROOF_REVERSED_EVENT = 'proof_reversed';
export const EPOCH_CLOSED_EVENT = 'rewards_epoch_closed';

export interface ProofRow {
  proof_id: string;
  device_id: string;
  sector: string;
  kind: string;
  window: string;
  epoch: string;
  height: string;
  valid: boolean;
  reason: number;
  reason_name: string;
  /** Reward units, fixed point (1 unit = 1,000,000). */
  units: string;
  reversed: boolean;
}

export interface EpochProofs {
  epoch: string;
  valid: number;
  invalid: number;
  units: string;
  reversed_units: string;
}

export interface ProofSummary {
  valid: number;
  invalid: number;
  reversed: number;
  units: string;
  first_height: string;
  last_height: string;
  last_valid_height: string;
}

const T = {
  proof: 0x70, // p ‖ u64 device ‖ u64 height ‖ u64 proof id -> ProofRow
  byId: 0x69, // i ‖ u64 proof id -> u64 device ‖ u64 height
  reason: 0x72, // r ‖ u64 device ‖ u32 reason -> u64 count
  devEpoch: 0x65, // e ‖ u64 device ‖ u64 epoch -> EpochProofs
  epoch: 0x45, // E ‖ u64 epoch -> EpochProofs (network)
  global: 0x52, // R ‖ u32 reason -> u64 count
  names: 0x4e, // N ‖ u32 reason -> reason name
  summary: 0x73, // s ‖ u64 device -> ProofSummary
  state: 0x53, // S -> {current_epoch}
} as const;

const t = (x: number) => u8(x);
const enc = new TextEncoder();

const emptyEpoch = (epoch: bigint): EpochProofs => ({ epoch: epoch.toString(), valid: 0, invalid: 0, units: '0', reversed_units: '0' });

async function apply(w: ViewWriter, events: readonly ViewEvent[], summary: BlockSummary): Promise<void> {
  // Reward epochs count from 1 (the rewards genesis opens epoch 1); a chain started from an
  // exported genesis mid-way is off until its first rewards_epoch_closed.
  let state = (await w.getJson<{ current_epoch: string }>(t(T.state))) ?? { current_epoch: '1' };
  // Every per-device key this block will read, in one batch read.
  const epochGuess = BigInt(state.current_epoch);
  await w.prefetch(events.filter((e) => e.type === PROOF_VERDICT_EVENT).flatMap((e) => {
    const device = u64(attrBig(e, 'device_id'));
    const epoch = u64(e.attrs.epoch ? attrBig(e, 'epoch') : epochGuess);
    return [[t(T.devEpoch), device, epoch], [t(T.summary), device], [t(T.reason), device, u32(Number(e.attrs.reason ?? 0))]];
  }));
  const outcomes = new Map<string, { outcome: string; reason: string; count: number }>();
  for (const e of events) {
    if (e.type === EPOCH_CLOSED_EVENT) {
      state = { current_epoch: (attrBig(e, 'epoch') + 1n).toString() };
      w.putJson(state, t(T.state));
      continue;
    }
    const device = attrBig(e, 'device_id');
    const proofId = attrBig(e, 'proof_id');
    if (e.type === PROOF_VERDICT_EVENT) {
      const valid = e.attrs.valid === 'true';
      const reason = Number(e.attrs.reason ?? (valid ? 0 : -1));
      if (!Number.isInteger(reason) || reason < 0) throw new Error(`${e.type}: invalid reason ${e.attrs.reason}`);
      const units = valid ? attrBig(e, 'units') : 0n;
      const epoch = e.attrs.epoch ? attrBig(e, 'epoch') : BigInt(state.current_epoch);
      const reasonName = e.attrs.reason_name || (reason === 0 ? 'valid' : `reason_${reason}`);
      const row: ProofRow = {
        // The proofs branch's event has no sector: a kind is "<sector>/<name>".
        proof_id: proofId.toString(), device_id: device.toString(), sector: e.attrs.sector ?? (e.attrs.kind ?? '').split('/')[0]!, kind: e.attrs.kind ?? '', window: e.attrs.window ?? '',
        epoch: epoch.toString(), height: w.height.toString(), valid, reason, reason_name: reasonName, units: units.toString(), reversed: false,
      };
      w.putJson(row, t(T.proof), u64(device), u64(w.height), u64(proofId));
      w.put(cat(u64(device), u64(w.height)), t(T.byId), u64(proofId));
      await w.add(1n, t(T.reason), u64(device), u32(reason));
      await w.add(1n, t(T.global), u32(reason));
      w.put(enc.encode(reasonName), t(T.names), u32(reason));
      for (const key of [[t(T.devEpoch), u64(device), u64(epoch)], [t(T.epoch), u64(epoch)]]) {
        const agg = (await w.getJson<EpochProofs>(...key)) ?? emptyEpoch(epoch);
        if (valid) agg.valid++;
        else agg.invalid++;
        agg.units = (BigInt(agg.units) + units).toString();
        w.putJson(agg, ...key);
      }
      const s = (await w.getJson<ProofSummary>(t(T.summary), u64(device))) ?? { valid: 0, invalid: 0, reversed: 0, units: '0', first_height: w.height.toString(), last_height: '0', last_valid_height: '0' };
      if (valid) {
        s.valid++;
        s.last_valid_height = w.height.toString();
      } else s.invalid++;
      s.units = (BigInt(s.units) + units).toString();
      s.last_height = w.height.toString();
      w.putJson(s, t(T.summary), u64(device));
      const o = `${valid ? 'valid' : 'invalid'}/${reasonName}`;
      const cur = outcomes.get(o) ?? { outcome: valid ? 'valid' : 'invalid', reason: reasonName, count: 0 };
      cur.count++;
      outcomes.set(o, cur);
    } else if (e.type === PROOF_REVERSED_EVENT) {
      const pos = await w.get(t(T.byId), u64(proofId));
      if (!pos) continue;
      const dev = readU64(pos);
      const height = readU64(pos, 8);
      const row = await w.getJson<ProofRow>(t(T.proof), u64(dev), u64(height), u64(proofId));
      if (!row || row.reversed) continue;
      row.reversed = true;
      w.putJson(row, t(T.proof), u64(dev), u64(height), u64(proofId));
      const units = e.attrs.units ? attrBig(e, 'units') : BigInt(row.units);
      for (const key of [[t(T.devEpoch), u64(dev), u64(BigInt(row.epoch))], [t(T.epoch), u64(BigInt(row.epoch))]]) {
        const agg = (await w.getJson<EpochProofs>(...key)) ?? emptyEpoch(BigInt(row.epoch));
        agg.reversed_units = (BigInt(agg.reversed_units) + units).toString();
        w.putJson(agg, ...key);
      }
      const s = await w.getJson<ProofSummary>(t(T.summary), u64(dev));
      if (s) {
        s.reversed++;
        w.putJson(s, t(T.summary), u64(dev));
      }
    }
  }
  if (outcomes.size) summary.proofs = [...outcomes.values()];
}

// ------------------------------------------------------------------ queries


async function deviceProofs(ctx: QueryContext, p: Record<string, string | undefined>, page: PageRequest) {
  const id = parseId(p.id);
  // Newest first unless the caller asks otherwise.
  const reverse = page.reverse === undefined ? true : page.reverse;
  const res = await ctx.reader.paginate(cat(t(T.proof), u64(id)), { ...page, reverse }, (_k, v) => parseJson<ProofRow>(v)!);
  return { proofs: res.items, pagination: res.pagination };
}

async function reasonCounts(ctx: QueryContext, sub: Uint8Array): Promise<{ reason: number; reason_name: string; count: string }[]> {
  const out: { reason: number; reason_name: string; count: string }[] = [];
  for await (const [k, v] of ctx.reader.range(sub)) {
    const reason = readU32(k);
    const name = await ctx.reader.get(t(T.names), u32(reason));
    out.push({ reason, reason_name: name ? Buffer.from(name).toString('utf8') : `reason_${reason}`, count: readU64(v).toString() });
  }
  return out;
}

/** Service quality over the last `epochs` epochs (default 7): share of valid proofs, epochs with
 * at least one valid proof, units; and the reason breakdown over all time. */
async function deviceQuality(ctx: QueryContext, p: Record<string, string | undefined>) {
  const id = parseId(p.id);
  const n = Math.min(Math.max(Number(p.epochs ?? 7) || 7, 1), 365);
  const recent: EpochProofs[] = [];
  for await (const [, v] of ctx.reader.range(cat(t(T.devEpoch), u64(id)), { reverse: true, limit: n })) recent.push(parseJson<EpochProofs>(v)!);
  const valid = recent.reduce((a, r) => a + r.valid, 0);
  const invalid = recent.reduce((a, r) => a + r.invalid, 0);
  const summary = await ctx.reader.getJson<ProofSummary>(t(T.summary), u64(id));
  return {
    device_id: id.toString(),
    summary: summary ?? null,
    window_epochs: n,
    recent_epochs: recent.length,
    valid_ratio_ppm: valid + invalid > 0 ? String(Math.floor((valid * 1_000_000) / (valid + invalid))) : null,
    epochs_with_valid_proof: recent.filter((r) => r.valid > 0).length,
    reasons: await reasonCounts(ctx, cat(t(T.reason), u64(id))),
  };
}

async function deviceEpochs(ctx: QueryContext, p: Record<string, string | undefined>, page: PageRequest) {
  const id = parseId(p.id);
  const res = await ctx.reader.paginate(cat(t(T.devEpoch), u64(id)), page, (_k, v) => parseJson<EpochProofs>(v)!, epochBounds(p));
  return { epochs: res.items, pagination: res.pagination };
}

async function networkEpochs(ctx: QueryContext, p: Record<string, string | undefined>, page: PageRequest) {
  const res = await ctx.reader.paginate(t(T.epoch), page, (_k, v) => parseJson<EpochProofs>(v)!, epochBounds(p));
  return { epochs: res.items, pagination: res.pagination };
}

async function outcomes(ctx: QueryContext) {
  const reasons = await reasonCounts(ctx, t(T.global));
  let valid = 0n;
  let invalid = 0n;
  for (const r of reasons) {
    if (r.reason === 0) valid += BigInt(r.count);
    else invalid += BigInt(r.count);
  }
  const state = await ctx.reader.getJson<{ current_epoch: string }>(t(T.state));
  return { valid: valid.toString(), invalid: invalid.toString(), reasons, current_epoch: state?.current_epoch ?? null };
}

export const proofsView: View = {
  name: 'proofs',
  version: 2,
  events: [PROOF_VERDICT_EVENT, PROOF_REVERSED_EVENT, EPOCH_CLOSED_EVENT],
  apply,
  queries: { device: deviceProofs, quality: deviceQuality, device_epochs: deviceEpochs, epochs: networkEpochs, outcomes: (ctx) => outcomes(ctx) },
};

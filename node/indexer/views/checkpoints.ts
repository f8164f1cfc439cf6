// Checkpoints view: the history of Ethereum checkpoints (created, signed, submitter rotations,
// acknowledged with the Ethereum tx), from the anchor module's events, and the last acknowledged
// one (the checkpoint-lag metric and the overview's "last checkpoint on Ethereum").
import { u64, u8, parseJson, type PageRequest, type ViewWriter } from './kv.ts';
import { attrBig, type BlockSummary, type QueryContext, type View, type ViewEvent } from './view.ts';

export interface CheckpointRow {
  number: string;
  /** Chain height whose app hash the checkpoint anchors. */
  height: string;
  state_root: string;
  status: 'pending' | 'signed' | 'acknowledged';
  created_at: string;
  signed_at: string;
  acknowledged_at: string;
  confirmations: number;
  signed_power: string;
  total_power: string;
  submitter: string;
  rotations: number;
  eth_tx_hash: string;
  eth_block_number: string;
}

export interface CheckpointState {
  last_number: string;
  last_acknowledged: string;
  /** Chain height anchored by the last acknowledged checkpoint. */
  last_acknowledged_height: string;
  /** Chain height at which it was acknowledged. */
  acknowledged_at: string;
}

const T = { row: 0x63, state: 0x53 } as const;
const t = (x: number) => u8(x);

async function apply(w: ViewWriter, events: readonly ViewEvent[], summary: BlockSummary): Promise<void> {
  let state: CheckpointState | undefined;
  const st = async () => (state ??= (await w.getJson<CheckpointState>(t(T.state))) ?? { last_number: '0', last_acknowledged: '0', last_acknowledged_height: '0', acknowledged_at: '0' });
  for (const e of events) {
    const n = attrBig(e, 'number');
    let row = await w.getJson<CheckpointRow>(t(T.row), u64(n));
    if (e.type === 'checkpoint_created') {
      row = {
        number: n.toString(), height: e.attrs.height ?? '0', state_root: e.attrs.state_root ?? '', status: 'pending', created_at: w.height.toString(), signed_at: '0', acknowledged_at: '0',
        confirmations: 0, signed_power: '0', total_power: '0', submitter: '', rotations: 0, eth_tx_hash: '', eth_block_number: '',
      };
      (await st()).last_number = n.toString();
    }
    if (!row) continue;
    switch (e.type) {
      case 'checkpoint_confirmed':
        row.confirmations++;
        row.signed_power = e.attrs.signed_power ?? row.signed_power;
        row.total_power = e.attrs.total_power ?? row.total_power;
        break;
      case 'checkpoint_signed':
        if (row.status === 'pending') row.status = 'signed';
        row.signed_at = w.height.toString();
        row.submitter = e.attrs.submitter ?? '';
        row.signed_power = e.attrs.signed_power ?? row.signed_power;
        row.total_power = e.attrs.total_power ?? row.total_power;
        break;
      case 'checkpoint_submitter_rotated':
        row.rotations = Number(e.attrs.rotations ?? row.rotations + 1);
        row.submitter = e.attrs.submitter ?? row.submitter;
        break;
      case 'checkpoint_acknowledged': {
        row.status = 'acknowledged';
        row.acknowledged_at = w.height.toString();
        row.eth_tx_hash = e.attrs.eth_tx_hash ?? '';
        row.eth_block_number = e.attrs.eth_block_number ?? '';
        const s = await st();
        s.last_acknowledged = n.toString();
        s.last_acknowledged_height = row.height;
        s.acknowledged_at = w.height.toString();
        break;
      }
    }
    w.putJson(row, t(T.row), u64(n));
  }
  if (state) w.putJson(state, t(T.state));
}


async function list(ctx: QueryContext, _p: Record<string, string | undefined>, page: PageRequest) {
  const reverse = page.reverse === undefined ? true : page.reverse;
  const res = await ctx.reader.paginate(t(T.row), { ...page, reverse }, (_k, v) => parseJson<CheckpointRow>(v)!);
  return { checkpoints: res.items, pagination: res.pagination };
}

export async function checkpointLatest(ctx: QueryContext) {
  const state = await ctx.reader.getJson<CheckpointState>(t(T.state));
  const latest = state && state.last_number !== '0' ? await ctx.reader.getJson<CheckpointRow>(t(T.row), u64(BigInt(state.last_number))) : undefined;
  const acked = state && state.last_acknowledged !== '0' ? await ctx.reader.getJson<CheckpointRow>(t(T.row), u64(BigInt(state.last_acknowledged))) : undefined;
  return {
    latest: latest ?? null,
    last_acknowledged: acked ?? null,
    /** Blocks since the last acknowledged checkpoint's anchored height, as of the index height. */
    lag_blocks: acked ? (ctx.height - BigInt(acked.height)).toString() : null,
  };
}

export const checkpointsView: View = {
  name: 'checkpoints',
  version: 1,
  events: ['checkpoint_created', 'checkpoint_confirmed', 'checkpoint_signed', 'checkpoint_submitter_rotated', 'checkpoint_acknowledged'],
  apply,
  queries: { list, latest: (ctx) => checkpointLatest(ctx) },
};

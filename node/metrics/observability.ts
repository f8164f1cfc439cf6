// What a running node reports about itself: recent block stats and queue times (for the REST API
// and the dashboard) and Prometheus metrics on `metricsListen` (default 127.0.0.1:26660, GET
// /metrics). Fed by the node's event bus (committed blocks), the mempool (included txs) and the
// index (each indexed block's view summary) — no hooks inside block execution.
import { createServer, type Server } from 'node:http';
import { listenOn } from '../listen.ts';
import type { EventBus } from '../event-bus.ts';
import type { BlockStore } from '../store/block-store.ts';
import type { Block } from '../store/block-types.ts';
import type { Mempool } from '../mempool/mempool.ts';
import type { TxIndex } from '../indexer/indexer-client.ts';
import type { TxResult } from '../../chain/app.ts';
import { ChainStats, blockStat } from './chain-stats.ts';
import { QueueTimes } from './queue-times.ts';
import { Registry, CONTENT_TYPE } from './prometheus.ts';

/** What observability reads from the node (DepinNode satisfies it). */
export interface ObservedNode {
  bus: EventBus;
  blocks: BlockStore;
  mempool: Mempool;
  indexer: TxIndex;
  log: (msg: string) => void;
}

export interface Observability {
  stats: ChainStats;
  queue: QueueTimes;
  registry: Registry;
  /** Address the metrics server listens on, if started. */
  metricsAddress: string | undefined;
  close(): Promise<void>;
}

const INTERVAL_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60];
const QUEUE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];
const TXS_BUCKETS = [0, 1, 10, 100, 1000, 5000, 20000];

/** Peers of the node's libp2p host when it has one (BFT networking), else 0. */
export function peerCount(node: unknown): number {
  const host = (node as { network?: { host?: { peers?(): unknown[] } } }).network?.host;
  return host?.peers?.().length ?? 0;
}

export async function startObservability(node: ObservedNode, opts: { metricsListen?: string; peers?: () => number } = {}): Promise<Observability> {
  // The metrics port first: if it is taken, fail before hooking into the node.
  const reg = new Registry();
  let refresh = async () => {};
  let server: Server | undefined;
  let metricsAddress: string | undefined;
  if (opts.metricsListen) {
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405, { Allow: 'GET' }).end('GET only\n');
        return;
      }
      if (path === '/metrics') {
        void refresh().then(() => {
          res.writeHead(200, { 'Content-Type': CONTENT_TYPE });
          res.end(reg.render());
        });
        return;
      }
      res.writeHead(path === '/' ? 200 : 404, { 'Content-Type': 'text/plain' }).end('depind metrics: GET /metrics (Prometheus text format)\n');
    });
    metricsAddress = await listenOn(server, opts.metricsListen);
  }

  const stats = new ChainStats();
  await stats.backfill(node.blocks);
  const queue = new QueueTimes();

  reg.gauge('depin_block_height', 'Height of the last block committed by this node.', [], () => Number(node.blocks.height()));
  let indexHeight = Number(await node.indexer.lastHeight());
  reg.gauge('depin_index_height', 'Height of the last block in the index (tx index and views).', [], () => indexHeight);
  const interval = reg.histogram('depin_block_interval_seconds', 'Block time minus the previous block time (header times).', INTERVAL_BUCKETS);
  const txs = reg.counter('depin_txs_total', 'Transactions committed since this node started, by result.', ['result']);
  const blockTxs = reg.histogram('depin_block_txs', 'Transactions per committed block.', TXS_BUCKETS);
  reg.gauge('depin_mempool_size', 'Transactions waiting in the mempool.', [], () => node.mempool.size());
  reg.gauge('depin_mempool_bytes', 'Bytes of transactions waiting in the mempool.', [], () => node.mempool.sizeBytes());
  const peers = opts.peers ?? (() => peerCount(node));
  reg.gauge('depin_p2p_peers', 'Connected libp2p peers.', [], peers);
  const rounds = reg.gauge('depin_consensus_rounds', 'Rounds the last committed height took (its commit round + 1).');
  const extraRounds = reg.counter('depin_consensus_extra_rounds_total', 'Rounds beyond the first, summed over committed heights.');
  const proofs = reg.counter('depin_proofs_total', 'Proof verdicts indexed since this node started, by outcome and reason.', ['outcome', 'reason']);
  const cpLag = reg.gauge('depin_checkpoint_lag_blocks', 'Blocks between the committed height and the height anchored by the last acknowledged Ethereum checkpoint (the whole chain when none is).');
  const cpNumber = reg.gauge('depin_checkpoint_last_acknowledged', 'Number of the last acknowledged Ethereum checkpoint (0: none).');
  const devices = reg.gauge('depin_devices', 'Registered devices, by sector.', ['sector']);
  const queueHist = reg.histogram('depin_tx_queue_seconds', 'Local receive time to inclusion in a committed block, for txs this node\'s mempool held.', QUEUE_BUCKETS);
  reg.gauge('depin_index_lag_blocks', 'Committed height minus indexed height.', [], () => Number(node.blocks.height()) - indexHeight);

  queue.onSample = (s) => queueHist.observe(s.ms / 1000);
  node.mempool.onIncluded = (tx) => queue.record(tx, node.blocks.height());

  const sub = node.bus.subscribe("tm.event='NewBlock'", (msg) => {
    const { block, results } = msg.data.value as { block: Block; results: TxResult[] };
    const prev = stats.latest();
    const s = blockStat(block, results);
    stats.add(s);
    if (prev && prev.height + 1n === s.height) interval.observe(Math.max(0, s.timeMs - prev.timeMs) / 1000);
    const failed = s.failed;
    if (s.txs - failed) txs.inc({ result: 'ok' }, s.txs - failed);
    if (failed) txs.inc({ result: 'failed' }, failed);
    blockTxs.observe(s.txs);
    if (s.height > 1n) {
      rounds.set(s.lastCommitRound + 1);
      if (s.lastCommitRound > 0) extraRounds.inc({}, s.lastCommitRound);
    }
  });
  const viewErrors = reg.counter('depin_index_view_errors_total', 'Blocks a view failed on (it lost their writes; the tx index and other views did not).', ['view']);
  const unsubscribe = node.indexer.onBlockIndexed((summary) => {
    indexHeight = Number(summary.height);
    for (const p of summary.proofs ?? []) proofs.inc({ outcome: p.outcome, reason: p.reason }, p.count);
    for (const e of summary.viewErrors ?? []) {
      viewErrors.inc({ view: e.view });
      node.log(`index: view ${e.view} failed on block ${summary.height}: ${e.message}`);
    }
  });

  /** Figures read from the index at scrape time (always exact, also right after a restart). */
  refresh = async () => {
    try {
      const cp = (await node.indexer.query('checkpoints.latest', {})).result as { last_acknowledged: { number: string; height: string } | null };
      const h = Number(node.blocks.height());
      cpLag.set(cp.last_acknowledged ? h - Number(cp.last_acknowledged.height) : h);
      cpNumber.set(cp.last_acknowledged ? Number(cp.last_acknowledged.number) : 0);
      const d = (await node.indexer.query('devices.stats', {})).result as { by_sector: Record<string, string> };
      for (const [sector, n] of Object.entries(d.by_sector)) devices.set(Number(n), { sector });
    } catch (err) {
      node.log(`metrics: cannot read the index: ${(err as Error).message}`);
    }
  };

  return {
    stats, queue, registry: reg, metricsAddress,
    async close() {
      node.bus.unsubscribe(sub);
      unsubscribe();
      node.mempool.onIncluded = undefined;
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
    },
  };
}

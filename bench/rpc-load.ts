// What the load benchmarks share to drive a depind over JSON-RPC: a keep-alive POST client (a
// bounded number of sockets = requests in flight) and a watcher of committed blocks (the
// NewBlockHeader event, then the block's txs read with the `block` RPC: lighter for the node than
// NewBlock events carrying every tx result).
import http from 'node:http';
import { WebSocket } from 'ws';
import { sha256 } from '../chain/crypto/hash.ts';

/** POSTs bodies to the node's RPC root over at most `maxSockets` keep-alive connections. */
export function rpcPoster(rpc: URL, maxSockets: number): { post: (body: string) => Promise<string>; close: () => void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const post = (body: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request({ host: rpc.hostname, port: rpc.port, method: 'POST', path: '/', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}

/** Sends base64 txs as one broadcast_tx_sync request (one tx) or JSON-RPC batch (several);
 * returns the refused ones: their index in `txs` and the node's answer. */
export async function broadcastTxs(post: (body: string) => Promise<string>, txs: readonly string[]): Promise<{ index: number; answer: string }[]> {
  const reqs = txs.map((tx, i) => `{"jsonrpc":"2.0","id":${i},"method":"broadcast_tx_sync","params":{"tx":"${tx}"}}`);
  const parsed = JSON.parse(await post(txs.length === 1 ? reqs[0]! : `[${reqs.join(',')}]`));
  const refused: { index: number; answer: string }[] = [];
  for (const r of (Array.isArray(parsed) ? parsed : [parsed]) as { id: number; error?: unknown; result?: { code: number } }[]) {
    if (r.error || r.result!.code !== 0) refused.push({ index: r.id, answer: JSON.stringify(r.error ?? r.result) });
  }
  return refused;
}

export interface CommittedBlock {
  height: string;
  /** performance.now() when the node announced the commit. */
  at: number;
  /** The block's tx hashes (uppercase hex, as broadcast_tx_sync returns them). */
  txHashes: string[];
  lastCommitRound: number;
}

/** Calls `onBlock` once per block the node commits; returns the socket (close it when done). */
export async function watchCommits(rpc: URL, onBlock: (b: CommittedBlock) => void): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${rpc.host}/websocket`);
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscribe', params: { query: "tm.event='NewBlockHeader'" } }));
  const seen = new Set<string>();
  ws.on('message', (raw) => {
    const h: string | undefined = JSON.parse(raw.toString()).result?.data?.value?.header?.height;
    if (!h || seen.has(h)) return;
    seen.add(h);
    const at = performance.now();
    void fetch(`http://${rpc.host}/block?height=${h}`).then((r) => r.json() as Promise<any>).then((b) => {
      const txs: string[] = b.result?.block?.data?.txs ?? [];
      onBlock({ height: h, at, txHashes: txs.map((t) => Buffer.from(sha256(Buffer.from(t, 'base64'))).toString('hex').toUpperCase()), lastCommitRound: b.result?.block?.last_commit?.round ?? 0 });
    }).catch((err: Error) => {
      // The node stopping mid-fetch must not crash the benchmark (an unhandled rejection would);
      // a block lost here shows up as txs never counted committed.
      if (ws.readyState === WebSocket.OPEN) console.error(`block ${h}: ${err.message}`);
    });
  });
  return ws;
}

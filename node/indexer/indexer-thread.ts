// Worker thread that owns the index (its own LevelDB directory): the tx index and the views
// (block-indexer.ts). Building index keys and writing them is a large share of per-tx work, and
// here it runs on the second core instead of the thread that executes blocks; view queries are
// answered here too. Requests are plain messages: {id, method, args} -> {id, result|error}.
import { parentPort, workerData } from 'node:worker_threads';
import { openLevel } from '../store/databases.ts';
import { BlockIndexer, ViewQueryError } from './block-indexer.ts';
import { unpackTxs } from './indexer-client.ts';

const db = openLevel(workerData.path as string);
await db.open();
const indexer = new BlockIndexer(db, { exclude: workerData.exclude as string[] | undefined });
await indexer.init();

type Req = { id: number; method: 'indexPackedBlock' | 'lastHeight' | 'position' | 'candidates' | 'query' | 'queryMany' | 'status' | 'close'; args: unknown[] };

parentPort!.on('message', async (req: Req) => {
  try {
    let result: unknown;
    if (req.method === 'close') {
      await db.close();
      result = null;
    } else if (req.method === 'indexPackedBlock') {
      const [height, packed, offsets, results] = req.args as [bigint, Uint8Array, Uint32Array, Uint8Array];
      result = await indexer.indexEncodedBlock(height, unpackTxs(packed, offsets), results);
    } else {
      result = await (indexer[req.method] as (...a: unknown[]) => Promise<unknown>).apply(indexer, req.args);
    }
    parentPort!.postMessage({ id: req.id, result });
  } catch (err) {
    const e = err as Error;
    parentPort!.postMessage({ id: req.id, error: { message: e.message, status: err instanceof ViewQueryError ? err.status : undefined } });
  }
});
parentPort!.postMessage({ ready: true });

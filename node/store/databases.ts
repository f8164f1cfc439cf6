// The node's LevelDB directories under <home>/data and the options they are opened with.
//
// - chain.db: the state (the app's authenticated store, sublevel 'state').
// - blocks.db: blocks, commits, results and tx records (block-store.ts), validator sets, evidence.
// - index.db: the tx index and views, owned by the indexer thread.
//
// State and blocks are kept apart because they compact differently: block-store keys grow with the
// height, so their tables never overlap and LevelDB moves them down the levels without rewriting
// them, while the state's flat entries (and, before chain/store keyed tree nodes by version, its
// tree nodes) land all over the key space. In one database, every flushed table spanned both and
// each compaction rewrote the block data with the state (`npx node bench/throughput.bench.ts
// --per-account 24`: LevelDB threads 35-39 µs per MsgSend in one database, 27-28 in two).
//
// Crash safety does not need the two in one write: a block and its results are saved (fsync) before
// the state commit that follows them, so the state is never ahead of the blocks, and a state commit
// lost in a crash is replayed from blocks.db at startup (DepinNode.handshake).
//
// Homes written before the split keep everything in chain.db and go on doing so: the layout is
// "split" when blocks.db exists or when chain.db does not (a new home); blocks.db is created first.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';

export type NodeDb = Level<Uint8Array, Uint8Array>;

/**
 * LevelDB options for every node database. The defaults (4 MiB memtable, 2 MiB tables) flush a
 * table every few blocks at full load and keep compacting many small tables; a 64 MiB memtable and
 * 32 MiB tables cut LevelDB's CPU per MsgSend from 52-57 µs to 35-36 µs (same bench as above, one
 * database). The memtable's cost: up to two of them in memory per database, and a longer log to
 * replay on open after a crash.
 */
export const LEVEL_OPTIONS = {
  keyEncoding: 'view', valueEncoding: 'view',
  writeBufferSize: 64 * 1024 * 1024,
  maxFileSize: 32 * 1024 * 1024,
} as const;

export function openLevel(path: string): NodeDb {
  return new Level<Uint8Array, Uint8Array>(path, LEVEL_OPTIONS);
}

export interface NodeDatabases {
  /** chain.db: the state. */
  state: NodeDb;
  /** blocks.db, or chain.db itself in a home written before the split. */
  blocks: NodeDb;
  layout: 'split' | 'single';
  close(): Promise<void>;
}

/** Opens chain.db and blocks.db (creating them in a new home); `home` names the node in errors. */
export async function openNodeDatabases(dataDir: string, home: string): Promise<NodeDatabases> {
  mkdirSync(dataDir, { recursive: true });
  const chainPath = join(dataDir, 'chain.db');
  const blocksPath = join(dataDir, 'blocks.db');
  const layout = existsSync(blocksPath) || !existsSync(chainPath) ? 'split' : 'single';
  const blocks = layout === 'split' ? await openOrExplain(blocksPath, home) : undefined;
  let state: NodeDb;
  try {
    state = await openOrExplain(chainPath, home);
  } catch (err) {
    await blocks?.close();
    throw err;
  }
  return {
    state, blocks: blocks ?? state, layout,
    async close() {
      await state.close();
      if (blocks) await blocks.close();
    },
  };
}

async function openOrExplain(path: string, home: string): Promise<NodeDb> {
  const db = openLevel(path);
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED' || /lock/i.test(cause?.message ?? '')) {
      throw new Error(`another depind is already running on ${home} (its database is locked)`);
    }
    throw new Error(`cannot open ${path}: ${cause?.message ?? (err as Error).message}`);
  }
  return db;
}

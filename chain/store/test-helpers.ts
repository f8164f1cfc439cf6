// Shared by the store tests: temporary LevelDB directories and an independent reference
// implementation of the tree's root, written straight from the definition in README.md (it shares
// no code with the store, so a hashing or shape bug in either shows up as a mismatch).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { sha256 } from '../crypto/hash.ts';
import { MerkleStore, type MerkleStoreOptions } from './merkle-store.ts';

export const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

export type RawDb = Level<Uint8Array, Uint8Array>;

export function openDb(dir: string): RawDb {
  return new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
}

/** A store in a fresh temp dir; `reopen` closes the DB and opens the store again from disk. */
export interface TempStore {
  dir: string;
  store: MerkleStore;
  /** The open LevelDB the store writes to. */
  readonly db: RawDb;
  reopen(opts?: MerkleStoreOptions): Promise<MerkleStore>;
}

export async function withTempStore<T>(fn: (t: TempStore) => Promise<T>, opts?: MerkleStoreOptions): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'depin-smt-'));
  let db = openDb(dir);
  try {
    const t: TempStore = {
      dir,
      store: await MerkleStore.open(db, opts),
      get db() {
        return db;
      },
      async reopen(o = opts) {
        await db.close();
        db = openDb(dir);
        t.store = await MerkleStore.open(db, o);
        return t.store;
      },
    };
    return await fn(t);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function cat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** Root of the canonical tree holding exactly `entries`, computed from the definition. */
export function referenceRoot(entries: Iterable<[Uint8Array, Uint8Array]>): Uint8Array {
  const leaves = [...entries]
    .map(([k, v]) => {
      const path = sha256(k);
      return { path, hash: sha256(cat(Uint8Array.of(0), path, sha256(v))) };
    })
    .sort((a, b) => Buffer.compare(a.path, b.path));
  const bitOf = (p: Uint8Array, i: number) => (p[Math.floor(i / 8)]! >> (7 - (i % 8))) & 1;
  const subtree = (ls: typeof leaves, depth: number): Uint8Array => {
    if (ls.length === 0) return new Uint8Array(32);
    if (ls.length === 1) return ls[0]!.hash;
    const left = ls.filter((l) => bitOf(l.path, depth) === 0);
    const right = ls.filter((l) => bitOf(l.path, depth) === 1);
    return sha256(cat(Uint8Array.of(1), subtree(left, depth + 1), subtree(right, depth + 1)));
  };
  return subtree(leaves, 0);
}

/** Model entries (latin1-keyed Map) sorted by key bytes, as hex pairs for readable diffs. */
export function modelEntries(model: Map<string, Uint8Array>, lo?: Uint8Array, hi?: Uint8Array, reverse = false): [string, string][] {
  const l = lo === undefined ? undefined : Buffer.from(lo).toString('latin1');
  const h = hi === undefined ? undefined : Buffer.from(hi).toString('latin1');
  const out = [...model.entries()]
    .filter(([k]) => (l === undefined || k >= l) && (h === undefined || k < h))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]): [string, string] => [Buffer.from(k, 'latin1').toString('hex'), hex(v)!]);
  return reverse ? out.reverse() : out;
}

export function iterEntries(it: Iterable<[Uint8Array, Uint8Array]>): [string, string][] {
  return [...it].map(([k, v]): [string, string] => [hex(k)!, hex(v)!]);
}

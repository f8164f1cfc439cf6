// Crash safety: a child process commits deterministic blocks as fast as it can and is killed with
// SIGKILL at random moments (often in the middle of a commit's LevelDB batch). After each kill the
// reopened store must be exactly at some version v >= the last one the child reported committed
// (and at most one beyond): contents, root (checked against the reference root) and every
// version's root and proofs intact. Then a new child continues from there.
//
// Run as a child (SMT_CRASH_DIR set), this file is the writer instead of a test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MerkleStore } from './merkle-store.ts';
import { verifyProof } from './proof.ts';
import type { Write } from './kv.ts';
import { openDb, referenceRoot, hex } from './test-helpers.ts';

const KEYS = 20_000;
const enc = (s: string) => new TextEncoder().encode(s);

/** Block v's writes: 3000 sets and 300 deletes spread over the key space. */
function blockWrites(v: number): Write[] {
  const out: Write[] = [];
  for (let i = 0; i < 3000; i++) out.push([enc(`k${(v * 1009 + i * 7) % KEYS}`), enc(`v${v}.${i}`)]);
  for (let i = 0; i < 300; i++) out.push([enc(`k${(v * 31 + i * 61) % KEYS}`), undefined]);
  return out;
}

async function writer(dir: string): Promise<void> {
  const store = await MerkleStore.open(openDb(dir));
  for (let v = store.version + 1; ; v++) {
    store.stage(blockWrites(v));
    process.stdout.write(`staged ${v}\n`);
    await store.commit(v);
    process.stdout.write(`committed ${v}\n`);
  }
}

if (process.env.SMT_CRASH_DIR) {
  await writer(process.env.SMT_CRASH_DIR);
} else {
  test('kill -9 at random moments leaves the store at a whole committed version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'depin-smt-crash-'));
    const model = new Map<string, Uint8Array>(); // contents at version `replayed`
    const roots: string[] = [''];
    let replayed = 0;
    const replayTo = (v: number) => {
      for (; replayed < v; ) {
        for (const [k, val] of blockWrites(++replayed)) val === undefined ? model.delete(Buffer.from(k).toString('latin1')) : model.set(Buffer.from(k).toString('latin1'), val);
        roots.push(hex(referenceRoot([...model].map(([k, val]) => [Buffer.from(k, 'latin1'), val])))!);
      }
    };
    try {
      let before = 0;
      for (let cycle = 0; cycle < 4; cycle++) {
        const env: NodeJS.ProcessEnv = { ...process.env, SMT_CRASH_DIR: dir };
        delete env.NODE_TEST_CONTEXT;
        const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
        let reported = before;
        const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
        // Kill 0-50 ms after block `target` was staged: before, during or after its commit
        // (which writes ~10k LevelDB entries and takes ~20-40 ms here).
        const target = before + 2 + (cycle % 3);
        await new Promise<void>((resolve, reject) => {
          let buf = '';
          child.stdout!.on('data', (d: Buffer) => {
            buf += d.toString();
            const lines = buf.split('\n');
            buf = lines.pop()!;
            for (const l of lines) {
              const [what, n] = l.split(' ');
              if (what === 'committed') reported = Number(n);
              else if (Number(n) === target) resolve();
            }
          });
          child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
        });
        await new Promise((r) => setTimeout(r, Math.random() * 50));
        child.kill('SIGKILL');
        await exited;

        const db = openDb(dir);
        const store = await MerkleStore.open(db);
        const v = store.version;
        if (process.env.SMT_CRASH_DEBUG) console.log(`cycle ${cycle}: reported v${reported}, reopened at v${v}`);
        assert.ok(v >= reported && v <= reported + 1, `reopened at v${v}, child had reported v${reported}`);
        replayTo(v);
        assert.equal(hex(store.rootHash()), roots[v], `root at v${v}`);
        assert.equal(store.size, model.size);
        for (const [k, val] of store.iterator(undefined, undefined)) assert.equal(hex(val), hex(model.get(Buffer.from(k).toString('latin1'))));
        for (let u = 1; u <= v; u++) assert.equal(hex(store.rootAt(u)), roots[u], `root of v${u}`);
        // Every node on sampled paths is there: proofs at the latest and an older version.
        for (let i = 0; i < KEYS; i += 397) {
          const k = enc(`k${i}`);
          assert.ok(verifyProof(store.rootHash(), k, model.get(`k${i}`), store.prove(k)));
          if (v > 1) assert.ok(verifyProof(store.rootAt(v - 1)!, k, store.getAt(k, v - 1), store.prove(k, v - 1)));
        }
        await db.close();
        before = v;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

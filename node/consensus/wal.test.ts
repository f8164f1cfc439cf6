// The write-ahead log on a real file, and a validator restarted from it (WAL + privval state file):
// it resumes in the same round, step and lock, re-sends what it signed, and never signs a
// conflicting vote, including after a crash between signing and broadcasting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, truncateSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsensusWal, FileWalStorage, MemoryWalStorage } from './wal.ts';
import { DurableConsensus } from './durable-consensus.ts';
import { FileSignStateStore, PrivValidator, type LastSignState } from './privval.ts';
import type { ConsensusAction, ConsensusInput } from './state-machine.ts';
import { CHAIN_ID, blockId, keyAt, makeKeys, makeValSet, precommit, prevote, signedProposal, ts } from './test-fixtures.ts';
import {
  SIGNED_MSG_TYPE_PRECOMMIT, STEP_PRECOMMIT, STEP_PREVOTE, blockIdEquals, isNilBlockId, sameProposal, sameVote,
  type Vote,
} from './types.ts';
import type { ValidatorKey } from '../validator-key.ts';

const keys = makeKeys(4);
const set = makeValSet(keys);
const sched = set.proposerSchedule();
const H = 1n;
const B = blockId('B');
const C = blockId('C');
const k = (i: number): ValidatorKey => keyAt(keys, set, i);

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

class Crash extends Error {}

/** Comparable form: bytes as hex (Buffer and Uint8Array alike), bigints as strings. */
function norm(x: unknown): string {
  const walk = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (typeof v === 'bigint') return `${v}n`;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return JSON.stringify(walk(x));
}

/** A validator node's consensus over files in `dir`; `crashOn` makes the signer crash right after persisting that signature. */
let clockBase = 1000;

function openNode(dir: string, me: number, crashOn?: (s: LastSignState) => boolean) {
  // Each (re)start has a later clock, so re-signed messages differ from the originals in their timestamp.
  clockBase += 1000;
  const now = clockBase;
  const wal = new ConsensusWal(new FileWalStorage(join(dir, 'cs.wal')));
  const signer = new PrivValidator(k(me), new FileSignStateStore(join(dir, 'priv_validator_state.json')), {
    afterPersist: (s) => {
      if (crashOn?.(s)) throw new Crash('crash between signing and broadcasting');
    },
  });
  const node = new DurableConsensus({ chainId: CHAIN_ID, signer, wal, clock: () => ts(now), validate: () => true });
  return { node, wal, signer };
}

function votes(actions: ConsensusAction[]): Vote[] {
  return actions.flatMap((a) => (a.type === 'broadcastVote' ? [a.vote] : []));
}

/** Me: a validator that is not the proposer of rounds 0 and 1. */
const me = [0, 1, 2, 3].find((i) => i !== sched.proposerIndex(0) && i !== sched.proposerIndex(1) && i !== sched.proposerIndex(2))!;
const others = [0, 1, 2, 3].filter((i) => i !== me);

test('WAL framing: every record kind round-trips; a torn or corrupt tail is cut off', (t) => {
  const path = join(tempDir(t), 'cs.wal');
  const wal = new ConsensusWal(new FileWalStorage(path));
  const inputs: ConsensusInput[] = [
    { type: 'proposal', proposal: signedProposal(k(0), 2n, 1, B, 0) },
    { type: 'vote', vote: prevote(k(1), set, 2n, 1, B) },
    { type: 'timeout', height: 2n, round: 1, step: STEP_PREVOTE },
    { type: 'validity', height: 2n, blockId: C, valid: false },
    { type: 'value', height: 3n, round: 0, blockId: C },
  ];
  for (const i of inputs) wal.write(i);
  wal.sync();
  const back = wal.readAll();
  assert.equal(back.length, inputs.length);
  assert.equal(norm(back.slice(0, 2)), norm(inputs.slice(0, 2)));
  assert.equal(norm(back.slice(2)), norm(inputs.slice(2)));
  assert.equal(norm(wal.readHeight(3n)), norm([inputs[4]]));

  // Torn tail: the last record is cut in the middle (crash while writing it).
  const full = statSync(path).size;
  truncateSync(path, full - 3);
  const torn = new ConsensusWal(new FileWalStorage(path));
  assert.equal(torn.readAll().length, inputs.length - 1);
  assert.ok(torn.lastTruncatedBytes > 0);
  const cut = statSync(path).size;
  // New records follow the intact ones.
  torn.write(inputs[4]!);
  assert.equal(torn.readAll().length, inputs.length);

  // A flipped byte in the middle ends the log there.
  const bytes = readFileSync(path);
  bytes.writeUInt8(bytes.readUInt8(cut - 5) ^ 0xff, cut - 5);
  writeFileSync(path, bytes);
  const corrupt = new ConsensusWal(new FileWalStorage(path));
  assert.equal(corrupt.readAll().length, inputs.length - 2);
  corrupt.reset();
  assert.equal(corrupt.readAll().length, 0);
  assert.equal(statSync(path).size, 0);
});

test('a restarted validator resumes in the same round, step and lock, and re-sends the same signed votes', (t) => {
  const dir = tempDir(t);
  const a = openNode(dir, me);
  const sent: Vote[] = [];
  const run = (i: ConsensusInput) => {
    const r = a.node.handle(i);
    assert.ok(r.accepted, r.reason ?? "");
    sent.push(...votes(r.actions));
  };
  a.node.start(H, set);
  run({ type: 'proposal', proposal: signedProposal(k(sched.proposerIndex(0)), H, 0, B) });
  for (const i of others.slice(0, 2)) run({ type: 'vote', vote: prevote(k(i), set, H, 0, B) });
  for (const i of others.slice(0, 2)) run({ type: 'vote', vote: precommit(k(i), set, H, 0) });
  run({ type: 'timeout', height: H, round: 0, step: STEP_PRECOMMIT });
  run({ type: 'proposal', proposal: signedProposal(k(sched.proposerIndex(1)), H, 1, C) });
  const before = a.node.engine.snapshot();
  assert.equal(before.round, 1);
  assert.equal(before.lockedRound, 0);
  assert.deepEqual(sent.map((v) => [v.type, v.round, isNilBlockId(v.blockId)]), [[1, 0, false], [2, 0, false], [1, 1, true]]);
  a.wal.close(); // the process dies here

  const b = openNode(dir, me);
  const actions = b.node.start(H, set);
  assert.ok(b.node.replayed >= 7);
  assert.equal(norm(b.node.engine.snapshot()), norm(before));
  // Our three votes are re-sent, bit for bit.
  const resent = votes(actions);
  assert.equal(resent.length, 3);
  for (const v of sent) assert.ok(resent.some((r) => sameVote(r, v)));
  // Still locked on B: a fresh proposal of C in round 2 gets nil.
  for (const i of others) b.node.handle({ type: 'vote', vote: precommit(k(i), set, H, 1) });
  b.node.handle({ type: 'timeout', height: H, round: 1, step: STEP_PRECOMMIT });
  const r2 = b.node.handle({ type: 'proposal', proposal: signedProposal(k(sched.proposerIndex(2)), H, 2, C) });
  assert.ok(isNilBlockId(votes(r2.actions)[0]!.blockId));
  b.wal.close();
});

test('the proposer restarted after proposing re-sends its proposal and asks for no new value', (t) => {
  const dir = tempDir(t);
  const p = sched.proposerIndex(0);
  const a = openNode(dir, p);
  const start = a.node.start(H, set);
  assert.ok(start.some((x) => x.type === 'requestValue'));
  const res = a.node.handle({ type: 'value', height: H, round: 0, blockId: B });
  const prop = res.actions.find((x) => x.type === 'broadcastProposal');
  assert.ok(prop && prop.type === 'broadcastProposal');
  a.wal.close();
  const b = openNode(dir, p);
  const actions = b.node.start(H, set);
  assert.equal(actions.filter((x) => x.type === 'requestValue').length, 0);
  const again = actions.find((x) => x.type === 'broadcastProposal');
  assert.ok(again && again.type === 'broadcastProposal' && sameProposal(again.proposal, prop.proposal));
  assert.equal(b.node.engine.snapshot().step, STEP_PREVOTE, 'it had prevoted its own proposal');
  assert.equal(votes(actions).length, 1);
  b.wal.close();
});

test('crash between signing a precommit and broadcasting it: the restarted node sends that precommit, never another', (t) => {
  const dir = tempDir(t);
  let crashed: LastSignState | undefined;
  const a = openNode(dir, me, (s) => {
    if (s.step === STEP_PRECOMMIT && !crashed) {
      crashed = s;
      return true;
    }
    return false;
  });
  a.node.start(H, set);
  a.node.handle({ type: 'proposal', proposal: signedProposal(k(sched.proposerIndex(0)), H, 0, B) });
  a.node.handle({ type: 'vote', vote: prevote(k(others[0]!), set, H, 0, B) });
  assert.throws(() => a.node.handle({ type: 'vote', vote: prevote(k(others[1]!), set, H, 0, B) }), Crash);
  assert.ok(crashed);
  a.wal.close();

  // Process crash: the WAL kept everything written (not necessarily fsynced) before the crash.
  const b = openNode(dir, me);
  const actions = b.node.start(H, set);
  const pcs = votes(actions).filter((v) => v.type === SIGNED_MSG_TYPE_PRECOMMIT);
  assert.equal(pcs.length, 1);
  assert.deepEqual(pcs[0]!.signature, crashed.signature, 'the very signature made before the crash');
  assert.ok(blockIdEquals(pcs[0]!.blockId, B));
  assert.equal(b.node.engine.snapshot().lockedRound, 0);
  b.wal.close();
});

test('power loss between signing a precommit and broadcasting it: the node forgets the prevotes but can only send that same precommit (and relocks)', (t) => {
  const dir = tempDir(t);
  let crashed: LastSignState | undefined;
  const a = openNode(dir, me, (s) => {
    if (s.step === STEP_PRECOMMIT && !crashed) {
      crashed = s;
      return true;
    }
    return false;
  });
  a.node.start(H, set);
  a.node.handle({ type: 'proposal', proposal: signedProposal(k(sched.proposerIndex(0)), H, 0, B) }); // own prevote released: fsync
  const synced = statSync(join(dir, 'cs.wal')).size;
  a.node.handle({ type: 'vote', vote: prevote(k(others[0]!), set, H, 0, B) });
  assert.throws(() => a.node.handle({ type: 'vote', vote: prevote(k(others[1]!), set, H, 0, B) }), Crash);
  a.wal.close();
  truncateSync(join(dir, 'cs.wal'), synced); // the unsynced tail is lost with the power
  const afterPowerLoss = readFileSync(join(dir, 'cs.wal'));

  const b = openNode(dir, me);
  b.node.start(H, set);
  assert.equal(b.node.engine.snapshot().step, STEP_PREVOTE);
  assert.equal(b.node.engine.snapshot().lockedRound, -1, 'the lock was not durable (and the precommit was never sent)');
  // Now 2f+1 mixed prevotes and a prevote timeout would make it precommit nil: the signer refuses,
  // and hands back the precommit for B it signed before the crash, which is what gets sent; the
  // lock on B comes back with it.
  b.node.handle({ type: 'vote', vote: prevote(k(others[2]!), set, H, 0) });
  b.node.handle({ type: 'vote', vote: prevote(k(others[0]!), set, H, 0, B) });
  const res = b.node.handle({ type: 'timeout', height: H, round: 0, step: STEP_PREVOTE });
  assert.ok(res.accepted);
  const refused = res.actions.find((x) => x.type === 'signRefused');
  assert.ok(refused && refused.type === 'signRefused' && /conflicts/.test(refused.reason));
  const sentNow = votes(res.actions);
  assert.equal(sentNow.length, 1, 'exactly one precommit, and not a nil one');
  assert.ok(blockIdEquals(sentNow[0]!.blockId, B));
  assert.deepEqual(sentNow[0]!.signature, crashed!.signature);
  assert.equal(b.node.engine.snapshot().lockedRound, 0);
  assert.ok(blockIdEquals(b.node.engine.snapshot().lockedValue!, B));
  b.wal.close();
  // Had the B prevotes arrived instead, the same precommit would have been re-issued.
  writeFileSync(join(dir, 'cs.wal'), afterPowerLoss);
  const c = openNode(dir, me);
  c.node.start(H, set);
  c.node.handle({ type: 'vote', vote: prevote(k(others[0]!), set, H, 0, B) });
  const again = c.node.handle({ type: 'vote', vote: prevote(k(others[1]!), set, H, 0, B) });
  assert.deepEqual(votes(again.actions)[0]!.signature, crashed!.signature);
  c.wal.close();
});

test('records of an older height are not replayed; the log starts over', () => {
  const mem = new MemoryWalStorage();
  const wal = new ConsensusWal(mem);
  wal.write({ type: 'vote', vote: prevote(k(1), set, H, 0, B) });
  wal.sync();
  const node = new DurableConsensus({ chainId: CHAIN_ID, wal, clock: () => ts(1) });
  node.start(2n, set.next());
  assert.equal(node.replayed, 0);
  assert.equal(mem.size, 0);
});

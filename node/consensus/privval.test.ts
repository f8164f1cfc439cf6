// Double-sign protection with a real state file in a temp dir, including restarts and crashes at
// the moment between persisting a signature and handing it out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSignStateStore, PrivValidator, type LastSignState } from './privval.ts';
import { DoubleSignError } from './signer.ts';
import { voteSignBytes } from './sign-bytes.ts';
import { verifyVote, verifyProposal } from './verify.ts';
import { CHAIN_ID, blockId, keyAt, makeKeys, makeValSet, ts } from './test-fixtures.ts';
import { NIL_BLOCK_ID, SIGNED_MSG_TYPE_PRECOMMIT, SIGNED_MSG_TYPE_PREVOTE, type BlockID, type UnsignedVote, type VoteType } from './types.ts';

const keys = makeKeys(4);
const set = makeValSet(keys);
const key = keyAt(keys, set, 0);
const B = blockId('B');
const C = blockId('C');

function tempState(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'privval-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'priv_validator_state.json');
}

function vote(type: VoteType, height: bigint, round: number, id: BlockID, seconds = 1000): UnsignedVote {
  return { type, height, round, blockId: id, timestamp: ts(seconds), validatorAddress: key.address, validatorIndex: 0 };
}

class Crash extends Error {}

test('signs valid votes, persists before returning, and refuses conflicts and regressions', (t) => {
  const path = tempState(t);
  const pv = new PrivValidator(key, new FileSignStateStore(path));
  const v1 = pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 5n, 0, B));
  assert.equal(verifyVote(CHAIN_ID, set, v1), undefined);
  const onDisk = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(onDisk.height, '5');
  assert.equal(onDisk.step, 2);
  assert.equal(onDisk.signbytes, Buffer.from(voteSignBytes(CHAIN_ID, v1)).toString('hex'));
  assert.equal(Buffer.from(onDisk.signature, 'base64').toString('hex'), Buffer.from(v1.signature).toString('hex'));

  // Identical request: same signature. Only the timestamp differs: the original vote comes back.
  assert.deepEqual(pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 5n, 0, B)).signature, v1.signature);
  const retry = pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 5n, 0, B, 2000));
  assert.deepEqual(retry.signature, v1.signature);
  assert.deepEqual(retry.timestamp, ts(1000));
  assert.equal(verifyVote(CHAIN_ID, set, retry), undefined);

  // Same height/round/step, other block (or nil): refused.
  assert.throws(() => pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 5n, 0, C)), DoubleSignError);
  assert.throws(() => pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 5n, 0, NIL_BLOCK_ID)), /conflicts/);
  // Another chain id is other content too.
  assert.throws(() => pv.signVote('other-chain', vote(SIGNED_MSG_TYPE_PREVOTE, 5n, 0, B)), /conflicts/);
  // Later steps, rounds and heights are fine; going back is not.
  pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PRECOMMIT, 5n, 0, B));
  assert.throws(() => pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 5n, 0, B)), /step regression/);
  pv.signProposal(CHAIN_ID, { height: 5n, round: 1, polRound: 0, blockId: B, timestamp: ts(1) });
  assert.throws(() => pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PRECOMMIT, 5n, 0, B)), /round regression/);
  pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 5n, 1, B));
  assert.throws(() => pv.signProposal(CHAIN_ID, { height: 5n, round: 1, polRound: 0, blockId: B, timestamp: ts(1) }), /step regression/);
  pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 6n, 0, C));
  assert.throws(() => pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PRECOMMIT, 5n, 9, B)), /height regression/);
});

test('after a restart the state file still refuses a conflicting vote and re-serves the signed one', (t) => {
  const path = tempState(t);
  const first = new PrivValidator(key, new FileSignStateStore(path));
  const v = first.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PRECOMMIT, 8n, 2, B));
  // "Restart": a new signer over the same file.
  const second = new PrivValidator(key, new FileSignStateStore(path));
  assert.throws(() => second.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PRECOMMIT, 8n, 2, NIL_BLOCK_ID)), DoubleSignError);
  assert.throws(() => second.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 8n, 2, B)), /step regression/);
  assert.deepEqual(second.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PRECOMMIT, 8n, 2, B, 4242)).signature, v.signature);
  const p = second.signProposal(CHAIN_ID, { height: 8n, round: 3, polRound: 2, blockId: B, timestamp: ts(5) });
  assert.equal(verifyProposal(CHAIN_ID, key.publicKey, p), undefined);
});

test('crash after persisting, before the signature is handed out: the restarted signer gives the same signature, never another', (t) => {
  const path = tempState(t);
  let persisted: LastSignState | undefined;
  const crashing = new PrivValidator(key, new FileSignStateStore(path), {
    afterPersist: (s) => {
      persisted = s;
      throw new Crash('power cut');
    },
  });
  assert.throws(() => crashing.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 3n, 0, B)), Crash);
  assert.ok(persisted);
  const restarted = new PrivValidator(key, new FileSignStateStore(path));
  assert.throws(() => restarted.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 3n, 0, C)), DoubleSignError);
  const again = restarted.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 3n, 0, B, 99));
  assert.deepEqual(again.signature, persisted.signature);
});

test('a crash mid-write leaves the previous state; an unreadable state file stops the signer', (t) => {
  const path = tempState(t);
  const pv = new PrivValidator(key, new FileSignStateStore(path));
  pv.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 4n, 0, B));
  // A crash while writing the next state leaves only a torn temporary file; the real one is intact.
  writeFileSync(join(path, '..', '.priv_validator_state.json.tmp'), '{"height":"4","rou');
  const restarted = new PrivValidator(key, new FileSignStateStore(path));
  assert.equal(restarted.lastSignState?.height, 4n);
  assert.throws(() => restarted.signVote(CHAIN_ID, vote(SIGNED_MSG_TYPE_PREVOTE, 4n, 0, C)), DoubleSignError);
  // A corrupt state file must not be mistaken for "never signed".
  writeFileSync(path, '{ not json');
  assert.throws(() => new PrivValidator(key, new FileSignStateStore(path)), /refusing to sign/);
  writeFileSync(path, JSON.stringify({ height: '4', round: 0, step: 9, signature: '', signbytes: '', timestamp: { seconds: '0', nanos: 0 } }));
  assert.throws(() => new PrivValidator(key, new FileSignStateStore(path)), /malformed/);
  assert.ok(existsSync(path));
});

// strictBase64 (the JSON-RPC byte parameters: broadcast_tx_*, abci_query data) accepts exactly the
// strings the strict regular expression it replaced accepted, and decodes them as Node does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { strictBase64 } from './methods.ts';

const reference = (s: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;

test('strictBase64 accepts what the reference accepts, and nothing else', () => {
  const cases = ['', 'QUJD', 'QUI=', 'QU==', 'Q===', '====', 'QU=D', '=QUD', 'QUI=QUJD', 'QU-_', 'QU$D', 'QU D', 'QUJD\n', 'QUJDQUJ\n', 'ab\u00e9d', 'abc\u0000', '!!notbase64', 'QUJDQUJD=', 'QUJ'];
  for (const len of [1, 2, 3, 31, 32, 33, 45_000]) cases.push(Buffer.from(randomBytes(len)).toString('base64'));
  // Random corruptions of valid strings: one character replaced by anything in 0..255.
  for (let i = 0; i < 2_000; i++) {
    const s = Buffer.from(randomBytes(1 + (i % 40))).toString('base64');
    const at = i % s.length;
    cases.push(s.slice(0, at) + String.fromCharCode(randomBytes(1)[0]!) + s.slice(at + 1));
  }
  let rejected = 0;
  for (const s of cases) {
    const got = strictBase64(s);
    assert.equal(got !== undefined, reference(s), JSON.stringify(s));
    if (got) assert.deepEqual(Buffer.from(got), Buffer.from(s, 'base64'));
    else rejected++;
  }
  assert.ok(rejected > 500, `the corruptions include invalid strings (${rejected} rejected)`);
});

// The queue-time ring: the last `max` samples, oldest evicted first, looked up by hash, with
// percentiles over them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueTimes } from './queue-times.ts';

test('keeps the last max samples in order; lookup and percentiles over them', () => {
  const q = new QueueTimes(4);
  const seen: number[] = [];
  q.onSample = (s) => seen.push(s.ms);
  for (let i = 1; i <= 6; i++) q.record({ hash: `H${i}`, receivedAtMs: 1000 }, BigInt(i), 1000 + i * 10);
  assert.deepEqual(seen, [10, 20, 30, 40, 50, 60]);
  assert.equal(q.get('h1'), undefined, 'evicted');
  assert.equal(q.get('h6')?.ms, 60);
  assert.equal(q.get('H3')?.height, 3n);
  const s = q.summary();
  assert.deepEqual([s.count, s.total, s.p50_ms, s.max_ms, s.from_height, s.to_height], [4, 6, 40, 60, '3', '6']);
  assert.deepEqual([q.summary(2).from_height, q.summary(2).p50_ms], ['5', 50]);
  assert.equal(new QueueTimes(3).summary().count, 0);
});

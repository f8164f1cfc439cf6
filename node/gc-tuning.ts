// V8 heap settings for a process that runs a node.
//
// A node's byte arrays (tx bytes in the mempool and the recent-tx cache, block and batch buffers,
// tree leaf values) live off the JS heap, as ArrayBuffer backing stores, and many of them outlive
// a young-generation collection before they die. V8 by default starts a full mark-compact
// whenever such external memory grows 64 MB past what it was after the last one, whatever the
// size of the heap: under a sustained storage-proof load that was a full GC about every second,
// each marking the whole live state tree (~3 M objects), and the GC threads took 150-200 µs of
// CPU per proof. With the flag below external memory counts toward the heap's global limit
// instead, which grows with the live heap like the rest of it: 3-4 full GCs instead of 13-16 over
// the same run (README, "Performance").
import { setFlagsFromString } from 'node:v8';

export const GC_FLAGS = ['--external-memory-accounted-in-global-limit'] as const;

/** Applies GC_FLAGS to this process (setting a flag again changes nothing). V8 reads them at each
 * GC, so setting them after start-up takes effect; node/gc-tuning.test.ts checks that it does. */
export function tuneGarbageCollector(): void {
  for (const flag of GC_FLAGS) setFlagsFromString(flag);
}

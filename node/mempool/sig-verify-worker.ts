// Worker thread: verifies batches of secp256k1 signatures with the native binding, so signature
// checks for incoming txs use the second core instead of the thread that runs RPC and blocks.
import { parentPort } from 'node:worker_threads';
import { verifyDigest } from '../../chain/crypto/secp256k1.ts';

export interface VerifyBatch {
  id: number;
  /** Concatenated 64-byte signatures, 32-byte digests, 33-byte keys. */
  sigs: Uint8Array;
  digests: Uint8Array;
  pubkeys: Uint8Array;
}

parentPort!.on('message', (b: VerifyBatch) => {
  const n = b.digests.length / 32;
  const ok = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    ok[i] = verifyDigest(b.sigs.subarray(64 * i, 64 * i + 64), b.digests.subarray(32 * i, 32 * i + 32), b.pubkeys.subarray(33 * i, 33 * i + 33)) ? 1 : 0;
  }
  parentPort!.postMessage({ id: b.id, ok }, [ok.buffer]);
});

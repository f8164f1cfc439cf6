// Worker thread: verifies batches of secp256k1 signatures with the native binding, so signature
// checks for incoming txs use the second core instead of the thread that runs RPC and blocks.
import { parentPort } from 'node:worker_threads';
import { verifyDigest, publicKeyConvert } from '../../chain/crypto/secp256k1.ts';

// libsecp256k1 parses a compressed key with a modular square root on every verify; an uncompressed
// key only needs an on-curve check (measured: ~10% more verifies per second). Senders repeat, so
// each key is decompressed once and kept (bounded; cleared when full).
const uncompressed = new Map<string, Uint8Array | null>();

function expanded(pub33: Uint8Array): Uint8Array | null {
  const k = Buffer.from(pub33.buffer, pub33.byteOffset, 33).toString('latin1');
  let u = uncompressed.get(k);
  if (u === undefined) {
    try {
      u = publicKeyConvert(pub33, false);
    } catch {
      u = null; // not a point on the curve: the signature check fails
    }
    if (uncompressed.size >= 100_000) uncompressed.clear();
    uncompressed.set(k, u);
  }
  return u;
}

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
    const pub = expanded(b.pubkeys.subarray(33 * i, 33 * i + 33));
    ok[i] = pub !== null && verifyDigest(b.sigs.subarray(64 * i, 64 * i + 64), b.digests.subarray(32 * i, 32 * i + 32), pub) ? 1 : 0;
  }
  parentPort!.postMessage({ id: b.id, ok }, [ok.buffer]);
});

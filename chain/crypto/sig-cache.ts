// A bounded memo of secp256k1 signatures already verified true: exact (public key ‖ digest ‖
// signature) triples. Verification is a pure function of the triple, so answering a repeated
// question from memory gives the same result; callers charge the same gas either way, and a miss
// just verifies. It lets signatures that are not the tx's own (device-signed proofs inside a
// message) be verified once, ahead of block execution, on the node's signature workers
// (App.signatureJobs → SigVerifierPool → App.markSignaturesVerified), instead of on the main
// thread in CheckTx and again in the block. Only successful verifications are stored.

export interface SignatureTriple {
  sig: Uint8Array;
  digest: Uint8Array;
  pubkey: Uint8Array;
}

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

export class VerifiedSignatures {
  private readonly set = new Set<string>();
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  private key(pubkey: Uint8Array, digest: Uint8Array, sig: Uint8Array): string {
    return latin1(pubkey) + latin1(digest) + latin1(sig);
  }

  has(pubkey: Uint8Array, digest: Uint8Array, sig: Uint8Array): boolean {
    return this.set.has(this.key(pubkey, digest, sig));
  }

  /** Records a triple that verified true (the caller's responsibility). Oldest entries leave first. */
  add(pubkey: Uint8Array, digest: Uint8Array, sig: Uint8Array): void {
    const k = this.key(pubkey, digest, sig);
    if (this.set.has(k)) return;
    if (this.set.size >= this.max) {
      const oldest = this.set.values().next().value;
      if (oldest !== undefined) this.set.delete(oldest);
    }
    this.set.add(k);
  }

  get size(): number {
    return this.set.size;
  }

  clear(): void {
    this.set.clear();
  }
}

/** Process-wide: a triple verified anywhere in this process is valid everywhere. ~200 B each. */
export const verifiedSignatures = new VerifiedSignatures(131_072);

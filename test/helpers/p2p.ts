// Real libp2p hosts on loopback TCP for the p2p tests.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { P2PHost, type P2PHostOptions } from '../../node/p2p/host.ts';

export type HostOptions = Omit<P2PHostOptions, 'privateKey'> & { privateKey?: P2PHostOptions['privateKey'] };

/** A host on 127.0.0.1 with a random port, fast maintenance for tests; not started. */
export async function makeHost(opts: HostOptions = {}): Promise<P2PHost> {
  return P2PHost.create({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    maintenanceMs: 100,
    pexIntervalMs: 150,
    gossipHeartbeatMs: 200,
    dialBackoffMinMs: 100,
    dialBackoffMaxMs: 1000,
    ...opts,
    privateKey: opts.privateKey ?? (await generateKeyPair('Ed25519')),
  });
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Waits until every host sees every other host subscribed to each topic. */
export async function waitForMesh(hosts: readonly P2PHost[], topics: readonly string[], timeoutMs = 10_000): Promise<void> {
  await waitFor(
    `${hosts.length} hosts subscribed to ${topics.join(', ')}`,
    () => hosts.every((h) => topics.every((t) => h.topicPeers(t).length >= hosts.length - 1)),
    timeoutMs,
  );
}

/** Deterministic PRNG (xorshift32) so each run uses the same txs and the same missing sets. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

export function randomBytes(next: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
  return b;
}

export async function stopAll(hosts: readonly P2PHost[]): Promise<void> {
  await Promise.all(hosts.map((h) => h.stop().catch(() => {})));
}

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

// ------------------------------------------------------------------------------ test chains

import { sha256 } from '../../chain/crypto/hash.ts';
import { verifyDigest } from '../../chain/crypto/secp256k1.ts';
import { ValidatorKey } from '../../node/validator-key.ts';
import {
  BlockCodec, CommitCodec, HeaderCodec, headerHash, dataHash, voteSignBytes, validatorSetHash, EMPTY_BLOCK_ID, BLOCK_ID_FLAG_COMMIT, BLOCK_VERSION,
  type Block, type BlockID, type Commit, type Header,
} from '../../node/store/block-types.ts';
import { equalBytes } from '../../node/p2p/wire.ts';

export interface ChainBlock {
  block: Block;
  blockId: BlockID;
  commit: Commit;
}

export const CHAIN_ID = 'p2p-test-1';

/** Blocks signed by one validator, linked like the node links them (header hash, last commit). */
export function buildChain(heights: number, txsPerBlock: (h: number) => Uint8Array[], key = ValidatorKey.generate()): { key: ValidatorKey; blocks: ChainBlock[] } {
  const vals = [{ address: key.address, pubKey: key.publicKey, votingPower: 10n }];
  const blocks: ChainBlock[] = [];
  for (let h = 1; h <= heights; h++) {
    const prev = blocks[h - 2];
    const txs = txsPerBlock(h);
    const time = { seconds: String(1_700_000_000 + h), nanos: 0 };
    const raw: Header = {
      chainId: CHAIN_ID,
      height: String(h),
      time,
      lastBlockId: prev?.blockId ?? EMPTY_BLOCK_ID,
      lastCommitHash: prev ? sha256(CommitCodec.encode(prev.commit)) : new Uint8Array(),
      dataHash: dataHash(txs),
      validatorsHash: validatorSetHash(vals),
      nextValidatorsHash: validatorSetHash(vals),
      consensusHash: sha256(new Uint8Array()),
      appHash: sha256(new TextEncoder().encode(`app-${h}`)),
      lastResultsHash: new Uint8Array(),
      evidenceHash: new Uint8Array(),
      proposerAddress: key.address,
      versionBlock: BLOCK_VERSION.toString(),
      versionApp: '0',
    };
    // protobufjs writes explicitly set zero scalars (versionApp '0') but a decoded header omits
    // them, so a receiver's headerHash(decode(bytes)) would differ from the proposer's. Build
    // the blocks in decoded (canonical) form, which survives decode/encode unchanged.
    const header = HeaderCodec.decode(HeaderCodec.encode(raw));
    const block: Block = BlockCodec.decode(BlockCodec.encode({ header, txs, lastCommit: prev?.commit ?? { height: '0', round: 0, blockId: EMPTY_BLOCK_ID, signatures: [] } }));
    const blockId: BlockID = { hash: headerHash(header), partSetHeader: { total: 1, hash: sha256(BlockCodec.encode(block)) } };
    const signature = key.sign(voteSignBytes(CHAIN_ID, BigInt(h), 0, blockId, { seconds: BigInt(time.seconds), nanos: 0 }));
    const commit: Commit = CommitCodec.decode(CommitCodec.encode({ height: String(h), round: 0, blockId, signatures: [{ blockIdFlag: BLOCK_ID_FLAG_COMMIT, validatorAddress: key.address, timestamp: time, signature }] }));
    blocks.push({ block, blockId, commit });
  }
  return { key, blocks };
}

/**
 * What a syncing node checks before applying a block it got from a peer: the commit is for this
 * block's header, carries a valid signature of the validator, the txs match the data hash, and
 * the block links to the previous one.
 */
export function verifySyncedBlock(encodedBlock: Uint8Array, encodedCommit: Uint8Array, key: ValidatorKey, prevBlockId: BlockID | undefined): boolean {
  let block: Block;
  let commit: Commit;
  try {
    block = BlockCodec.decode(encodedBlock);
    commit = CommitCodec.decode(encodedCommit);
  } catch {
    return false;
  }
  const hash = headerHash(block.header);
  if (!equalBytes(hash, commit.blockId.hash)) return false;
  if (!equalBytes(sha256(encodedBlock), commit.blockId.partSetHeader.hash)) return false;
  if (!equalBytes(dataHash(block.txs), block.header.dataHash)) return false;
  if (prevBlockId && !equalBytes(block.header.lastBlockId.hash, prevBlockId.hash)) return false;
  const sig = commit.signatures[0];
  if (!sig) return false;
  const t = sig.timestamp;
  const signBytes = voteSignBytes(block.header.chainId, BigInt(block.header.height.toString()), commit.round, commit.blockId, { seconds: BigInt(t.seconds.toString()), nanos: t.nanos ?? 0 });
  return verifyDigest(sig.signature, sha256(signBytes), key.publicKey);
}

// Block sync: a node that is behind its peers (new full node, restarted validator, one that missed
// heights) downloads the blocks it lacks with /depin/sync/blocks/1 instead of replaying consensus.
// Each block is checked before it is stored: its commit must carry +2/3 of the voting power of
// that height's validator set (verifyCommit: every signature), and its header must link to the
// previous block and commit to its own txs, evidence and validator sets. A peer serving anything
// else is banned and the range continues from another peer. The block is then stored and executed
// (node.commitBlock, which also refuses a block whose app hash disagrees with this node's state),
// and consensus moves on to the next height.
//
// Runs on start (before consensus joins) and whenever the peers' status shows them ahead: two or
// more heights, or one height for longer than it takes to decide one normally.
import { CommitCodec, dataHash, evidenceHash, type Block, type BlockID, type Commit } from '../store/block-types.ts';
import { commitFromProto } from '../consensus/codec.ts';
import { verifyCommit } from '../consensus/commit.ts';
import { blockIdEquals, bytesEqual } from '../consensus/types.ts';
import { blockIdFromProto } from '../consensus/codec.ts';
import { blockError, bytesOf, decodeBlock, makeBlockId } from '../block-validation.ts';
import { SyncError } from '../p2p/sync-client.ts';
import type { BlockEntry } from '../p2p/protocols.ts';
import type { DepinNode } from '../node.ts';
import type { NodeNetwork } from '../network.ts';
import type { ConsensusDriver } from '../consensus-driver.ts';

interface Verified {
  block: Block;
  blockId: BlockID;
  commit: Commit;
}

export class BlockSyncer {
  /** The RPC's catching_up: true from start until the first sync pass, and while syncing. */
  catchingUp = true;
  /** A sync is running: consensus skips timeout_commit and waits for it. */
  behind = false;
  /** Blocks applied by block sync since start (for logs and tests). */
  synced = 0;
  private readonly node: DepinNode;
  private readonly net: NodeNetwork;
  private readonly consensus: ConsensusDriver;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private syncing = false;
  private stopped = false;
  private aheadSince = 0;
  private readonly verified = new Map<bigint, Verified>();

  constructor(node: DepinNode, net: NodeNetwork, consensus: ConsensusDriver) {
    this.node = node;
    this.net = net;
    this.consensus = consensus;
  }

  /** On start: wait briefly for configured peers, then download whatever they have beyond our height. */
  async initialSync(): Promise<void> {
    const p2p = this.node.config.p2p;
    if (p2p.persistentPeers.length + p2p.bootstrapPeers.length > 0) {
      const deadline = Date.now() + 3_000;
      while (!this.stopped && this.net.host.connectedPeers().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // Identify must have run before peersSupporting() lists a peer.
      while (!this.stopped && (await this.net.host.peersSupporting('/depin/status/1')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    try {
      await this.syncOnce();
    } finally {
      this.catchingUp = false;
    }
  }

  run(): void {
    this.timer = setInterval(() => void this.check(), this.node.config.consensus.statusIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** A message from a height ahead of ours arrived: look at the peers' status now. */
  poke(): void {
    void this.check();
  }

  private async check(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const statuses = await this.net.sync.statuses();
      let max = 0n;
      for (const s of statuses.values()) if (s.height > max) max = s.height;
      const ours = this.node.blocks.height();
      const cfg = this.node.config;
      const oneHeightMs = cfg.blockTimeMs + cfg.consensus.timeoutProposeMs;
      if (max > ours + 1n || (max === ours + 1n && this.aheadSince > 0 && Date.now() - this.aheadSince > oneHeightMs)) {
        this.aheadSince = 0;
        await this.sync(max);
      } else if (max === ours + 1n) {
        if (this.aheadSince === 0) this.aheadSince = Date.now();
      } else {
        this.aheadSince = 0;
      }
    } catch (err) {
      this.node.log(`block sync: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /** One pass: sync up to the highest peer's height, if above ours. */
  async syncOnce(): Promise<number> {
    const statuses = await this.net.sync.statuses();
    let max = 0n;
    for (const s of statuses.values()) if (s.height > max) max = s.height;
    if (max <= this.node.blocks.height()) return 0;
    return this.sync(max);
  }

  private async sync(target: bigint): Promise<number> {
    // One sync at a time (the start-up pass and the periodic check both land here).
    if (this.syncing) return 0;
    this.syncing = true;
    try {
      return await this.syncRange(target);
    } finally {
      this.syncing = false;
    }
  }

  private async syncRange(target: bigint): Promise<number> {
    const from = this.node.blocks.height() + 1n;
    if (target < from) return 0;
    this.catchingUp = true;
    this.behind = true;
    let applied = 0;
    this.node.log(`block sync: fetching blocks ${from}..${target} from peers`);
    const started = Date.now();
    try {
      for await (const e of this.net.sync.syncBlocks(from, target, (e) => this.verify(e))) {
        if (this.stopped) break;
        const v = this.verified.get(e.height);
        this.verified.delete(e.height);
        if (!v || e.height <= this.node.blocks.height()) continue; // consensus stored it meanwhile
        const ctx = await this.node.blockContext(e.height);
        // The commit vouches for the block; a header that disagrees with our state means our
        // execution diverged (or +1/3 is Byzantine): stop rather than follow.
        const err = blockError(ctx, v.block, e.block, v.blockId);
        if (err) throw new Error(`CONSENSUS FAILURE: synced block ${e.height} carries a valid commit but does not match this node's state: ${err}`);
        if (await this.node.commitBlock(v.block, v.blockId, v.commit, e.block)) {
          applied++;
          this.synced++;
        }
      }
    } catch (err) {
      if (!(err instanceof SyncError)) throw err;
      this.node.log(`block sync stopped at ${this.node.blocks.height()}: ${err.message}`);
    } finally {
      this.verified.clear();
      this.behind = false;
      this.catchingUp = false;
    }
    if (applied > 0) this.node.log(`block sync: applied ${applied} blocks up to ${this.node.blocks.height()} in ${Date.now() - started} ms`);
    await this.consensus.advance();
    return applied;
  }

  /**
   * Checks a block from a peer before it is applied (false bans the peer, so only what the peer
   * can be blamed for): decodable, the height asked for, a commit from +2/3 of that height's set,
   * linked to our last block, its txs and evidence matching the header, the header's validator
   * sets ours. Blocks come in order, each verified after the previous one was applied.
   */
  private async verify(e: BlockEntry): Promise<boolean> {
    const height = e.height;
    if (height <= this.node.blocks.height()) return true; // stored meanwhile; skipped by the caller
    let block: Block;
    let commit: Commit;
    try {
      block = decodeBlock(e.block);
      commit = commitFromProto(CommitCodec.decode(e.commit));
    } catch {
      return false;
    }
    const blockId = makeBlockId(block.header, e.block);
    const set = await this.node.valsets.get(height);
    const next = await this.node.valsets.get(height + 1n);
    if (!set || !next) throw new Error(`no validator set for height ${height}`); // our own state is missing: not the peer's fault
    try {
      verifyCommit(this.node.chainId, set, height, blockId, commit);
    } catch {
      return false;
    }
    const lastId = this.node.last?.blockId;
    if (height > 1n && (!lastId || !blockIdEquals(blockIdFromProto(block.header.lastBlockId), lastId))) return false;
    if (!bytesEqual(bytesOf(block.header.dataHash), dataHash(block.txs ?? []))) return false;
    if (!bytesEqual(bytesOf(block.header.evidenceHash), evidenceHash(block.evidence))) return false;
    if (!bytesEqual(bytesOf(block.header.validatorsHash), set.hash()) || !bytesEqual(bytesOf(block.header.nextValidatorsHash), next.hash())) return false;
    this.verified.set(height, { block, blockId, commit });
    return true;
  }
}

// A multi-validator testnet of real `depind` processes on loopback: homes written by
// `depind testnet`, each node started as its own process (kill -9 and restart like a user would).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEPIND, depindSync, rpcCall } from './devnet.ts';

export interface TestnetOptions {
  validators: number;
  fullNodes?: number;
  blockTimeMs?: number;
  timeoutProposeMs?: number;
  /** Each node appends every vote it signs or accepts to <home>/votes.jsonl (double-sign checks). */
  voteLog?: boolean;
}

export class TestNode {
  readonly index: number;
  readonly home: string;
  readonly rpc: string;
  readonly validator: boolean;
  /** libp2p address with /p2p/<peer id>. */
  readonly p2pAddr: string;
  proc: ChildProcess | undefined;
  private out = '';
  private exited: Promise<void> = Promise.resolve();
  /** Output of every run of this node, for diagnostics. */
  log = '';

  constructor(index: number, home: string, rpc: string, validator: boolean, p2pAddr: string) {
    this.index = index;
    this.home = home;
    this.rpc = rpc;
    this.validator = validator;
    this.p2pAddr = p2pAddr;
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the process and resolves once its RPC answers. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`node${this.index} is already running`);
    const proc = spawn(process.execPath, [DEPIND, 'start', '--home', this.home], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.out = '';
    const add = (d: Buffer) => {
      this.out += d;
      this.log += d;
    };
    proc.stdout!.on('data', add);
    proc.stderr!.on('data', add);
    this.exited = new Promise<void>((r) => proc.once('exit', () => r()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node${this.index} did not start in 30 s:\n${this.out}`)), 30_000);
      const check = () => {
        if (/CometBFT RPC/.test(this.out)) {
          clearTimeout(timer);
          proc.stdout!.off('data', check);
          resolve();
        }
      };
      proc.stdout!.on('data', check);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node${this.index} exited with ${code}:\n${this.out}`));
      });
    });
  }

  /** SIGKILL: no shutdown hooks, the crash case. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.proc!.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.proc!.kill('SIGTERM');
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(t);
  }

  async status(): Promise<{ height: bigint; hash: string; catchingUp: boolean }> {
    const r = await rpcCall(this.rpc, 'status');
    return { height: BigInt(r.result.sync_info.latest_block_height), hash: r.result.sync_info.latest_block_hash, catchingUp: r.result.sync_info.catching_up };
  }

  async height(): Promise<bigint> {
    return (await this.status()).height;
  }

  votes(): { h: string; r: number; t: string; v: string; b: string; s: string }[] {
    const p = join(this.home, 'votes.jsonl');
    if (!existsSync(p)) return [];
    return readFileSync(p, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return []; // a line torn by kill -9
      }
    });
  }
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port whose p2p, RPC, REST and metrics ports (base + 10i + 0..3) are all free now. */
async function freeBase(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + 10 * Math.floor(Math.random() * 3_000);
    let ok = true;
    for (let i = 0; i < nodes && ok; i++) for (let k = 0; k < 4 && ok; k++) ok = await portFree(base + 10 * i + k);
    if (ok) return base;
  }
  throw new Error('no free port range');
}

export class Testnet {
  readonly dir: string;
  readonly nodes: TestNode[];

  private constructor(dir: string, nodes: TestNode[]) {
    this.dir = dir;
    this.nodes = nodes;
  }

  static async create(o: TestnetOptions): Promise<Testnet> {
    const total = o.validators + (o.fullNodes ?? 0);
    const dir = mkdtempSync(join(tmpdir(), 'depind-testnet-'));
    const out = join(dir, 'net');
    const base = await freeBase(total);
    depindSync([
      'testnet', '--validators', String(o.validators), '--full-nodes', String(o.fullNodes ?? 0), '--output', out, '--base-port', String(base),
      '--chain-id', 'depin-testnet-1', '--block-time', String(o.blockTimeMs ?? 200), '--timeout-propose', String(o.timeoutProposeMs ?? 1000),
    ]);
    const nodes: TestNode[] = [];
    for (let i = 0; i < total; i++) {
      const home = join(out, `node${i}`);
      if (o.voteLog) {
        const cfgPath = join(home, 'config', 'node.json');
        const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
        cfg.consensus.voteLog = join(home, 'votes.jsonl');
        writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
      }
      const peerId = JSON.parse(readFileSync(join(home, 'config', 'node_key.json'), 'utf8')).id as string;
      nodes.push(new TestNode(i, home, `http://127.0.0.1:${base + 10 * i + 1}`, i < o.validators, `/ip4/127.0.0.1/tcp/${base + 10 * i}/p2p/${peerId}`));
    }
    return new Testnet(dir, nodes);
  }

  get validators(): TestNode[] {
    return this.nodes.filter((n) => n.validator);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop().catch(() => {})));
  }

  cleanup(): void {
    for (const n of this.nodes) if (n.running) n.proc!.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Output of every node (for a failing test's message). */
  logs(lines = 30): string {
    return this.nodes.map((n) => `--- node${n.index}\n${n.log.split('\n').slice(-lines).join('\n')}`).join('\n');
  }
}

export async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs: number, stepMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // node not answering yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Waits until every given node is at `height` or above. */
export async function waitHeight(nodes: readonly TestNode[], height: bigint, timeoutMs = 30_000): Promise<void> {
  await waitUntil(`height ${height} on nodes ${nodes.map((n) => n.index).join(',')}`, async () => {
    for (const n of nodes) if ((await n.height()) < height) return false;
    return true;
  }, timeoutMs);
}

export async function maxHeight(nodes: readonly TestNode[]): Promise<bigint> {
  let m = 0n;
  for (const n of nodes) {
    try {
      const h = await n.height();
      if (h > m) m = h;
    } catch {
      // down
    }
  }
  return m;
}

/**
 * Fork check: every height from 1 to the lowest common height has the same block id, app hash and
 * results app hash on every node. Returns the number of heights compared.
 */
export async function assertSameChain(nodes: readonly TestNode[]): Promise<bigint> {
  let common = -1n;
  for (const n of nodes) {
    const h = await n.height();
    common = common < 0n || h < common ? h : common;
  }
  for (let h = 1n; h <= common; h++) {
    let ref: string | undefined;
    for (const n of nodes) {
      const b = await rpcCall(n.rpc, 'block', { height: h.toString() });
      const r = await rpcCall(n.rpc, 'block_results', { height: h.toString() });
      const sig = `${b.result.block_id.hash} app ${b.result.block.header.app_hash} results ${r.result.app_hash}`;
      if (ref === undefined) ref = sig;
      else if (sig !== ref) throw new Error(`FORK at height ${h}: node${nodes[0]!.index} has ${ref}, node${n.index} has ${sig}`);
    }
  }
  return common;
}

// Starts a real `depind` process on a temporary home and a free port, the way a user runs it.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEPIND = join(REPO, 'node', 'cli', 'depind.ts');
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

export interface Devnet {
  home: string;
  rpc: string;
  /** REST base URL (grpc-gateway style), e.g. http://127.0.0.1:41234. */
  rest: string;
  /** Prometheus metrics URL (…/metrics). */
  metrics: string;
  ws: string;
  proc: ChildProcess;
  output: () => string;
  /** SIGKILL: no shutdown hooks run (crash test). */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
  cleanup(): void;
}

export function depindSync(args: string[]): string {
  return execFileSync(process.execPath, [DEPIND, ...args], { encoding: 'utf8' });
}

/** A dev home. Anchoring is off unless asked for: with it on, every checkpoint interval changes
 * state, which tests comparing app hashes across empty blocks must not see. */
export function makeHome(opts: { anchoring?: boolean } = {}): string {
  const home = mkdtempSync(join(tmpdir(), 'depind-test-'));
  depindSync(['init', '--dev', '--home', home, '--overwrite']);
  if (!opts.anchoring) {
    const path = join(home, 'config', 'genesis.json');
    const genesis = JSON.parse(readFileSync(path, 'utf8'));
    genesis.app_state.anchor.params.checkpoint_interval = '0';
    writeFileSync(path, JSON.stringify(genesis, null, 2));
  }
  return home;
}

export async function startDevnet(opts: { home?: string; blockTimeMs?: number; extraArgs?: string[] } = {}): Promise<Devnet> {
  const home = opts.home ?? makeHome();
  const proc = spawn(process.execPath, [DEPIND, 'start', '--home', home, '--rpc.laddr', '127.0.0.1:0', '--rest.laddr', '127.0.0.1:0', '--metrics.laddr', '127.0.0.1:0', '--p2p.laddr', '/ip4/127.0.0.1/tcp/0', '--block-time', String(opts.blockTimeMs ?? 200), ...(opts.extraArgs ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const rpc = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`depind did not start in 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /CometBFT RPC\s+(http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`depind exited with ${code}:\n${out}`));
    });
  });
  const net: Devnet = {
    home,
    rpc,
    rest: '',
    metrics: '',
    ws: rpc.replace('http://', 'ws://'),
    proc,
    output: () => out,
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
    cleanup() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      if (!opts.home) rmSync(home, { recursive: true, force: true });
    },
  };
  await waitForHeight(net.rpc, 1n);
  // Printed right after the RPC line ('' when REST is disabled).
  net.rest = /REST\s+(http:\/\/\S+)/.exec(out)?.[1] ?? '';
  net.metrics = /metrics\s+(http:\/\/\S+)/.exec(out)?.[1] ?? '';
  return net;
}

export async function rpcCall(url: string, method: string, params: unknown = {}): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }) });
  return res.json();
}

export async function height(url: string): Promise<bigint> {
  const r = await rpcCall(url, 'status');
  return BigInt(r.result.sync_info.latest_block_height);
}

export async function waitForHeight(url: string, h: bigint, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await height(url)) >= h) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`height ${h} not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `fn` every 100 ms until it gives a value (errors count as "not yet"); on timeout the
 * error carries the tail of the node's output. */
export async function untilValue<T>(what: string, fn: () => Promise<T | undefined>, net: Devnet | undefined, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${net?.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

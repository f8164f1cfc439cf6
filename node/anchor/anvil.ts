// A real Ethereum dev node for tests and benchmarks: anvil from the pinned npm package
// @foundry-rs/anvil (its binary ships in the platform package, e.g.
// @foundry-rs/anvil-linux-amd64/bin/anvil). Started on a free port, stopped by its pid, and killed
// at process exit if a test forgot it. With `stateFile`, anvil loads that file at start and dumps
// its whole chain (blocks, receipts, state) to it on SIGTERM, so `restart()` resumes the same chain
// (what "anvil stopped during a checkpoint and started again" tests need); SIGKILL skips the dump
// unless `stateIntervalSec` made anvil dump periodically.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The EVM rules anvil runs (pinned: gas figures must not move with anvil's default). */
export const ANVIL_HARDFORK = 'osaka';
/** anvil's well-known development mnemonic; account 0 deploys and relays in tests. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

export interface AnvilOptions {
  port?: number; // default: a free port chosen by anvil
  chainId?: bigint; // default 31337
  stateFile?: string; // load at start, dump on SIGTERM
  stateIntervalSec?: number; // also dump every N seconds (survives SIGKILL up to N s of loss)
  hardfork?: string;
  extraArgs?: string[];
}

export interface Anvil {
  url: string; // http://127.0.0.1:<port>
  port: number;
  pid: number;
  chainId: bigint;
  options: AnvilOptions;
  /** The last 64 KiB of anvil's output (it logs every RPC call). */
  output(): string;
  /** SIGTERM and wait for the exit (anvil dumps `stateFile` first). */
  stop(): Promise<void>;
  /** SIGKILL: nothing is dumped (a crash). */
  kill(): Promise<void>;
  /** After stop/kill: start again on the same port and state file. */
  restart(): Promise<Anvil>;
}

export function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  } catch {
    throw new Error(`anvil binary package ${pkg} is not installed (npm install installs it with @foundry-rs/anvil)`);
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killLive(): void {
  for (const p of live) if (p.pid !== undefined && p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL');
}
/** A test that fails or forgets stop() must not leave anvil running: kill ours at exit, and on
 * SIGINT/SIGTERM when nobody else handles them (then re-raise, keeping the default behaviour). */
function killAllAtExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killLive);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    if (process.listenerCount(sig) > 0) continue;
    process.once(sig, () => {
      killLive();
      process.kill(process.pid, sig);
    });
  }
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const args = ['--host', '127.0.0.1', '--port', String(options.port ?? 0), '--hardfork', options.hardfork ?? ANVIL_HARDFORK];
  if (options.chainId !== undefined) args.push('--chain-id', options.chainId.toString());
  if (options.stateFile) args.push('--state', options.stateFile);
  if (options.stateIntervalSec) args.push('--state-interval', String(options.stateIntervalSec));
  args.push(...(options.extraArgs ?? []));
  const proc = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  killAllAtExit();
  let out = '';
  const append = (d: Buffer) => {
    out += d.toString();
    if (out.length > 65536) out = out.slice(-65536);
  };
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);
  const exited = new Promise<void>((r) =>
    proc.once('exit', () => {
      live.delete(proc);
      r();
    }),
  );

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`anvil did not listen within 20 s:\n${out}`));
    }, 20_000);
    const check = () => {
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout!.off('data', check);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  // Listening is printed once the socket is bound; wait until it actually answers.
  let chainId: bigint | undefined;
  for (let i = 0; chainId === undefined; i++) {
    try {
      chainId = BigInt((await rpc(url, 'eth_chainId')) as string);
    } catch (err) {
      if (i >= 100) throw new Error(`anvil at ${url} does not answer: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const anvil: Anvil = {
    url,
    port,
    pid: proc.pid!,
    chainId,
    options,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, 'SIGTERM');
      await exited;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, 'SIGKILL');
      await exited;
    },
    async restart() {
      if (proc.exitCode === null && proc.signalCode === null) throw new Error('restart: anvil is still running (stop or kill it first)');
      return startAnvil({ ...options, port, chainId });
    },
  };
  return anvil;
}

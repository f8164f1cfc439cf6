// npm run testnet: four validators as separate depind processes on this machine. Writes the homes
// with `depind testnet` into .testnet/ on first use (delete it, or pass --reset, for a fresh chain),
// starts one process per home, prefixes their output with the node's name, prints the RPC URLs,
// and stops all of them on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTestnet } from './testnet.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEPIND = join(REPO, 'node', 'cli', 'depind.ts');
const dir = process.env.DEPIND_TESTNET_DIR ?? join(REPO, '.testnet');
const validators = Number(process.env.DEPIND_TESTNET_VALIDATORS ?? 4);

if (process.argv.includes('--reset') || !existsSync(join(dir, 'node0', 'config', 'genesis.json'))) {
  await writeTestnet({ validators, output: dir, chainId: 'depin-testnet-1', basePort: 26656, overwrite: true });
  console.log(`wrote ${validators} validator homes in ${dir}`);
}

const children: ChildProcess[] = [];
for (let i = 0; i < validators; i++) {
  const home = join(dir, `node${i}`);
  const cfg = JSON.parse(readFileSync(join(home, 'config', 'node.json'), 'utf8')) as { rpcListen: string };
  const child = spawn(process.execPath, [DEPIND, 'start', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `node${i} | `;
  const pipe = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) out.write(prefix + l + '\n');
    });
  };
  pipe(child.stdout!, process.stdout);
  pipe(child.stderr!, process.stderr);
  child.on('exit', (code, sig) => console.log(`${prefix}exited (${sig ?? code})`));
  children.push(child);
  console.log(`node${i}: RPC http://${cfg.rpcListen}  home ${home}`);
}
console.log('Ctrl-C stops all nodes.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all(children.map((c) => new Promise<void>((r) => {
    if (c.exitCode !== null || c.signalCode !== null) return r();
    c.once('exit', () => r());
    c.kill('SIGTERM');
  })));
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

// A one-validator depind anchoring to a test's own anvil: the dev home with anchoring on, the
// test's genesis changes, a relayer that polls fast, and DepinAnchor deployed at the address the
// dev genesis names (anvil's first CREATE address) for this genesis's validator set.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployDepinAnchor, type EthClients } from '../../node/anchor/anchor-contract.ts';
import { genesisAnchorSet } from '../../node/anchor/dev-ethereum.ts';
import { DEV_ANCHOR_CONTRACT } from '../../node/dev-genesis.ts';
import { makeHome, startDevnet, type Devnet } from './devnet.ts';

export async function startAnchoredDevnet(opts: {
  eth: EthClients;
  ethRpc: string;
  blockTimeMs: number;
  /** Edits the dev genesis (JSON) before the node starts. */
  editGenesis?: (genesis: any) => void;
}): Promise<{ net: Devnet; home: string; genesis: any }> {
  const home = makeHome({ anchoring: true });
  const gPath = join(home, 'config', 'genesis.json');
  const genesis = JSON.parse(readFileSync(gPath, 'utf8'));
  opts.editGenesis?.(genesis);
  writeFileSync(gPath, JSON.stringify(genesis, null, 2));
  const cPath = join(home, 'config', 'node.json');
  const config = JSON.parse(readFileSync(cPath, 'utf8'));
  config.anchor = { ...config.anchor, pollMs: 200, maxBackoffMs: 1000, ethConfirmations: 1 };
  writeFileSync(cPath, JSON.stringify(config, null, 2));
  const { address } = await deployDepinAnchor(opts.eth, genesis.chain_id, genesisAnchorSet(genesis));
  assert.equal(address.toLowerCase(), DEV_ANCHOR_CONTRACT, 'DepinAnchor deployed where the dev genesis expects it (a fresh anvil)');
  const net = await startDevnet({ home, blockTimeMs: opts.blockTimeMs, extraArgs: ['--eth-rpc', opts.ethRpc, '--anchor-contract', DEV_ANCHOR_CONTRACT] });
  return { net, home, genesis };
}

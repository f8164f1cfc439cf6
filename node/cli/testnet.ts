// `depind testnet`: N validator homes (and optional full-node homes) on one machine, sharing one
// genesis: fresh consensus keys (power 10 each), node keys, and node.json files whose ports are
// base + 10·i (p2p), + 1 (RPC), + 2 (REST and dashboard), + 3 (metrics) on 127.0.0.1, every validator a persistent peer of
// every other node. The genesis funds the development accounts (the test mnemonic's first ten
// addresses) exactly like the dev genesis, so CosmJS scripts written for `npm start` work here;
// validator i is a staking validator operated by dev account i, self-bonded with its 10 power.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, homePaths, writeJson, type NodeConfig } from '../config.ts';
import { ValidatorKey } from '../validator-key.ts';
import { devGenesis, setGenesisValidators, NO_ANCHOR_PARAMS } from '../dev-genesis.ts';
import { deriveKey, cosmosHdPath, DEV_MNEMONIC } from '../keys/hd.ts';
import type { AnchorGenesis } from '../../modules/anchor/module.ts';
import { formatRfc3339 } from '../../chain/genesis.ts';
import { loadOrCreateNodeKey } from '../p2p/node-key.ts';

export interface TestnetOptions {
  validators: number;
  fullNodes?: number;
  output: string;
  chainId: string;
  basePort: number;
  /** timeout_commit (config blockTimeMs). */
  blockTimeMs?: number;
  /** timeout_propose; the prevote/precommit timeouts and deltas follow at a third of it. */
  timeoutProposeMs?: number;
  overwrite?: boolean;
  /** Genesis time (RFC 3339), default now. */
  genesisTime?: string;
}

export interface TestnetNode {
  name: string;
  home: string;
  validator: boolean;
  rpc: string;
  p2p: string;
  peerId: string;
}

export async function writeTestnet(o: TestnetOptions): Promise<{ nodes: TestnetNode[] }> {
  const total = o.validators + (o.fullNodes ?? 0);
  if (o.validators < 1) throw new Error('a testnet needs at least one validator');
  if (o.basePort + 10 * total > 65535) throw new Error(`ports ${o.basePort}..${o.basePort + 10 * total} do not fit`);
  if (existsSync(o.output)) {
    if (!o.overwrite) throw new Error(`${o.output} already exists (use --overwrite to replace it)`);
    rmSync(o.output, { recursive: true, force: true });
  }
  const nodes: TestnetNode[] = [];
  const keys: ValidatorKey[] = [];
  for (let i = 0; i < total; i++) {
    const name = `node${i}`;
    const home = join(o.output, name);
    const { peerId } = await loadOrCreateNodeKey(homePaths(home).nodeKey);
    const validator = i < o.validators;
    if (validator) {
      const key = ValidatorKey.generate();
      key.save(homePaths(home).validatorKey);
      keys.push(key);
    }
    const p2pPort = o.basePort + 10 * i;
    nodes.push({ name, home, validator, rpc: `127.0.0.1:${p2pPort + 1}`, p2p: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${peerId}`, peerId });
  }
  const genesis = devGenesis();
  genesis.chain_id = o.chainId;
  genesis.genesis_time = o.genesisTime ?? formatRfc3339({ seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 });
  // The validators everywhere a genesis lists them (consensus, staking self-bonds, the anchor set):
  // validator i is operated by dev account i (m/44'/118'/0'/0/i of the dev mnemonic).
  setGenesisValidators(genesis, keys.map((k, i) => ({ pubkey: k.publicKey, power: 10n, operator: deriveKey(DEV_MNEMONIC, cosmosHdPath(i)).address, moniker: `node${i}` })));
  // No Ethereum node runs next to a testnet: anchoring off (see the anchor module's README to enable it).
  (genesis.app_state.anchor as AnchorGenesis).params = NO_ANCHOR_PARAMS;
  const validatorAddrs = nodes.filter((n) => n.validator).map((n) => n.p2p);
  for (const [i, n] of nodes.entries()) {
    const p = homePaths(n.home);
    writeJson(p.genesis, genesis);
    const propose = o.timeoutProposeMs;
    const config: NodeConfig = {
      ...structuredClone(DEFAULT_CONFIG),
      moniker: n.name,
      rpcListen: n.rpc,
      // REST (and the dashboard) and metrics next to the RPC port, so four nodes do not collide.
      restListen: `127.0.0.1:${o.basePort + 10 * i + 2}`,
      metricsListen: `127.0.0.1:${o.basePort + 10 * i + 3}`,
      ...(o.blockTimeMs !== undefined ? { blockTimeMs: o.blockTimeMs } : {}),
      p2p: {
        ...structuredClone(DEFAULT_CONFIG.p2p),
        listen: [`/ip4/127.0.0.1/tcp/${o.basePort + 10 * i}`],
        // Every node keeps the validators connected; its own entry is skipped by the host.
        persistentPeers: validatorAddrs,
      },
      consensus: {
        ...DEFAULT_CONFIG.consensus,
        ...(propose !== undefined ? {
          timeoutProposeMs: propose, timeoutProposeDeltaMs: Math.ceil(propose / 6),
          timeoutPrevoteMs: Math.ceil(propose / 3), timeoutPrevoteDeltaMs: Math.ceil(propose / 6),
          timeoutPrecommitMs: Math.ceil(propose / 3), timeoutPrecommitDeltaMs: Math.ceil(propose / 6),
        } : {}),
      },
    };
    writeJson(p.config, config);
  }
  return { nodes };
}

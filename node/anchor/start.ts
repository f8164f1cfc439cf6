// What `depind start` calls to run anchoring next to the node: resolves the config (node.json
// `anchor` section + flags), starts the dev anvil and deploys the contract under --anvil, then
// starts the anchor service. Returns undefined when anchoring is not asked for.
import { getAddress } from 'viem';
import type { GenesisDoc } from '../../chain/genesis.ts';
import type { Anvil } from './anvil.ts';
import { anchorConfig, type AnchorConfig } from './config.ts';
import { AnchorService, type AnchorHost } from './service.ts';
import { startDevAnvil, ensureDevContract } from './dev-ethereum.ts';
import { AnchorChainView } from './chain-client.ts';
import { anchoringEnabled } from '../../modules/anchor/keeper.ts';

export interface AnchorFlags {
  ethRpc?: string;
  contract?: string;
  /** Start a local anvil (state in the home) and deploy the contract if it is not there. */
  anvil?: boolean;
}

export interface Anchoring {
  service: AnchorService;
  config: AnchorConfig;
  ethRpc: string;
  contract: string;
  /** The anvil this process started (undefined if it used one already running, or none). */
  anvil: Anvil | undefined;
  deployed: boolean;
  stop(): Promise<void>;
}

export async function startAnchoring(host: AnchorHost & { genesis: GenesisDoc; config: { anchor?: Partial<AnchorConfig>; minGasPrice: string } }, flags: AnchorFlags): Promise<Anchoring | undefined> {
  const overrides: Partial<AnchorConfig> = {};
  if (flags.ethRpc) overrides.ethRpc = flags.ethRpc;
  if (flags.contract) overrides.contract = flags.contract;
  const cfg = anchorConfig(host.config.anchor, overrides);
  if (!flags.anvil && !flags.ethRpc && !cfg.enabled) return undefined;
  let anvil: Anvil | undefined;
  let deployed = false;
  // The anchor params are read from committed state: a fresh chain has none before block 1.
  for (let i = 0; host.app.info().lastBlockHeight === 0n; i++) {
    if (i > 600) throw new Error('anchor: the chain committed no block in 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  if (flags.anvil && !anchoringEnabled(new AnchorChainView(host.app).params())) {
    // `npm start` on a dev home created before anchoring existed: run the chain, say why not anchoring.
    host.log('anchor: anchoring is off in this home\'s genesis (made before anchoring existed?); delete the dev home for a fresh chain that anchors');
    return undefined;
  }
  // Validate keys and params before starting anything.
  const probe = AnchorService.create(host, cfg);
  const contract = getAddress(`0x${Buffer.from(probe.params.contract).toString('hex')}`);
  if (flags.anvil) {
    const dev = await startDevAnvil(host.home, cfg.anvilPort, probe.params.ethChainId);
    anvil = dev.anvil;
    cfg.ethRpc = dev.url;
    try {
      deployed = (await ensureDevContract(dev.url, probe.params.ethChainId, host.genesis, contract)) === 'deployed';
    } catch (err) {
      await anvil?.stop();
      throw err;
    }
  }
  const service = flags.anvil ? AnchorService.create(host, cfg) : probe;
  service.start();
  return {
    service, config: cfg, ethRpc: cfg.ethRpc, contract, anvil, deployed,
    async stop() {
      await service.stop();
      await anvil?.stop(); // SIGTERM: anvil writes its state file first
    },
  };
}

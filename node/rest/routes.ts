// Every REST route the node serves: the standard Cosmos ones and each module's (ABCI queries),
// plus the routes answered by the node itself (txs, blocks, node info, the index's views).
import type { RestRoute } from '../../chain/rest-route.ts';
import { cosmosRoutes } from './cosmos-routes.ts';
import { feegrantRoutes } from '../../modules/feegrant/rest.ts';
import { devicesRoutes } from '../../modules/devices/rest.ts';
import { proofsRoutes } from '../../modules/proofs/rest.ts';
import { rewardsRoutes } from '../../modules/rewards/rest.ts';
import { stakingRoutes } from '../../modules/staking/rest.ts';
import { slashingRoutes } from '../../modules/slashing/rest.ts';
import type { HandlerRoute } from './handler-route.ts';
import { cosmosNodeRoutes } from './cosmos-node-routes.ts';
import { depinRoutes, type RestObservers } from './depin-routes.ts';
import { simulationRoutes } from './simulation-routes.ts';
import { buildMethods } from '../rpc/methods.ts';
import type { DepinNode } from '../node.ts';
import { join } from 'node:path';

export const restRoutes: RestRoute[] = [...cosmosRoutes, ...stakingRoutes, ...slashingRoutes, ...feegrantRoutes, ...devicesRoutes, ...proofsRoutes, ...rewardsRoutes];

/** The node-answered routes for a running node (`rpcAddress`: what node_info reports). */
export function nodeRestRoutes(node: DepinNode, obs: RestObservers = {}, rpcAddress = node.config.rpcListen): HandlerRoute[] {
  const methods = buildMethods(node, rpcAddress);
  const cosmos = cosmosNodeRoutes({
    chainId: node.chainId, blocks: node.blocks, indexer: node.indexer,
    status: async () => methods.status!({}),
    get catchingUp() {
      return !!(node as { catchingUp?: boolean }).catchingUp;
    },
  });
  return [...cosmos, ...depinRoutes(node, obs), ...simulationRoutes(join(node.home, 'simulations'))];
}

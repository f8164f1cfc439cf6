// Every REST route the node serves: the standard Cosmos ones and each module's.
import type { RestRoute } from '../../chain/rest-route.ts';
import { cosmosRoutes } from './cosmos-routes.ts';
import { feegrantRoutes } from '../../modules/feegrant/rest.ts';
import { devicesRoutes } from '../../modules/devices/rest.ts';
import { proofsRoutes } from '../../modules/proofs/rest.ts';

export const restRoutes: RestRoute[] = [...cosmosRoutes, ...feegrantRoutes, ...devicesRoutes, ...proofsRoutes];

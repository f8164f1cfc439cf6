// Every REST route the node serves: the standard Cosmos ones and each module's.
import type { RestRoute } from '../../chain/rest-route.ts';
import { cosmosRoutes } from './cosmos-routes.ts';
import { feegrantRoutes } from '../../modules/feegrant/rest.ts';
import { devicesRoutes } from '../../modules/devices/rest.ts';
import { rewardsRoutes } from '../../modules/rewards/rest.ts';

export const restRoutes: RestRoute[] = [...cosmosRoutes, ...feegrantRoutes, ...devicesRoutes, ...rewardsRoutes];

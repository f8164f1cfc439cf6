// REST routes of the slashing module, at the SDK's URLs.
import type { RestRoute } from '../../chain/rest-route.ts';
import * as T from './types.ts';

const Q = '/cosmos.slashing.v1beta1.Query/';
const P = '/cosmos/slashing/v1beta1';

export const slashingRoutes: RestRoute[] = [
  { path: `${P}/params`, query: `${Q}Params`, request: T.QueryParamsRequest, response: T.QueryParamsResponse },
  { path: `${P}/signing_infos`, query: `${Q}SigningInfos`, request: T.QuerySigningInfosRequest, response: T.QuerySigningInfosResponse },
  { path: `${P}/signing_infos/{cons_address}`, query: `${Q}SigningInfo`, request: T.QuerySigningInfoRequest, response: T.QuerySigningInfoResponse },
];

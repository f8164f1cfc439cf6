// REST routes of the feegrant module, at the SDK's URLs.
import type { RestRoute } from '../../chain/rest-route.ts';
import * as T from './types.ts';

export const feegrantRoutes: RestRoute[] = [
  { path: '/cosmos/feegrant/v1beta1/allowance/{granter}/{grantee}', query: '/cosmos.feegrant.v1beta1.Query/Allowance', request: T.QueryAllowanceRequest, response: T.QueryAllowanceResponse },
  { path: '/cosmos/feegrant/v1beta1/allowances/{grantee}', query: '/cosmos.feegrant.v1beta1.Query/Allowances', request: T.QueryAllowancesRequest, response: T.QueryAllowancesResponse },
  { path: '/cosmos/feegrant/v1beta1/issued/{granter}', query: '/cosmos.feegrant.v1beta1.Query/AllowancesByGranter', request: T.QueryAllowancesByGranterRequest, response: T.QueryAllowancesByGranterResponse },
];

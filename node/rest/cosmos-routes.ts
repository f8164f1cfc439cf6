// REST routes of the standard Cosmos modules (bank, auth), at the SDK's URLs.
import { codec } from '../../chain/codec/proto.ts';
import { paginationFrom, type RestRoute } from '../../chain/rest-route.ts';

const c = (n: string) => codec(n);

export const cosmosRoutes: RestRoute[] = [
  {
    path: '/cosmos/bank/v1beta1/balances/{address}',
    query: '/cosmos.bank.v1beta1.Query/AllBalances',
    request: c('cosmos.bank.v1beta1.QueryAllBalancesRequest'),
    response: c('cosmos.bank.v1beta1.QueryAllBalancesResponse'),
  },
  {
    path: '/cosmos/bank/v1beta1/balances/{address}/by_denom',
    query: '/cosmos.bank.v1beta1.Query/Balance',
    request: c('cosmos.bank.v1beta1.QueryBalanceRequest'),
    response: c('cosmos.bank.v1beta1.QueryBalanceResponse'),
    build: (p, q) => ({ address: p.address, denom: q.get('denom') ?? '' }),
  },
  {
    path: '/cosmos/bank/v1beta1/supply',
    query: '/cosmos.bank.v1beta1.Query/TotalSupply',
    request: c('cosmos.bank.v1beta1.QueryTotalSupplyRequest'),
    response: c('cosmos.bank.v1beta1.QueryTotalSupplyResponse'),
  },
  {
    path: '/cosmos/bank/v1beta1/supply/by_denom',
    query: '/cosmos.bank.v1beta1.Query/SupplyOf',
    request: c('cosmos.bank.v1beta1.QuerySupplyOfRequest'),
    response: c('cosmos.bank.v1beta1.QuerySupplyOfResponse'),
    build: (_p, q) => ({ denom: q.get('denom') ?? '' }),
  },
  {
    path: '/cosmos/auth/v1beta1/accounts/{address}',
    query: '/cosmos.auth.v1beta1.Query/Account',
    request: c('cosmos.auth.v1beta1.QueryAccountRequest'),
    response: c('cosmos.auth.v1beta1.QueryAccountResponse'),
  },
  {
    path: '/cosmos/auth/v1beta1/accounts',
    query: '/cosmos.auth.v1beta1.Query/Accounts',
    request: c('cosmos.auth.v1beta1.QueryAccountsRequest'),
    response: c('cosmos.auth.v1beta1.QueryAccountsResponse'),
    build: (_p, q) => ({ pagination: paginationFrom(q) }),
  },
  {
    path: '/cosmos/auth/v1beta1/params',
    query: '/cosmos.auth.v1beta1.Query/Params',
    request: c('cosmos.auth.v1beta1.QueryParamsRequest'),
    response: c('cosmos.auth.v1beta1.QueryParamsResponse'),
  },
];

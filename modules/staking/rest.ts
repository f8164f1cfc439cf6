// REST routes of the staking module, at the SDK's URLs (what Keplr-style staking screens and
// explorers call).
import { paginationFrom, type RestRoute } from '../../chain/rest-route.ts';
import * as T from './types.ts';

const Q = '/cosmos.staking.v1beta1.Query/';
const P = '/cosmos/staking/v1beta1';

export const stakingRoutes: RestRoute[] = [
  { path: `${P}/validators`, query: `${Q}Validators`, request: T.QueryValidatorsRequest, response: T.QueryValidatorsResponse, build: (_p, q) => ({ status: q.get('status') ?? '', pagination: paginationFrom(q) }) },
  { path: `${P}/validators/{validator_addr}`, query: `${Q}Validator`, request: T.QueryValidatorRequest, response: T.QueryValidatorResponse },
  { path: `${P}/validators/{validator_addr}/delegations`, query: `${Q}ValidatorDelegations`, request: T.QueryValidatorDelegationsRequest, response: T.QueryValidatorDelegationsResponse },
  { path: `${P}/validators/{validator_addr}/unbonding_delegations`, query: `${Q}ValidatorUnbondingDelegations`, request: T.QueryValidatorUnbondingDelegationsRequest, response: T.QueryValidatorUnbondingDelegationsResponse },
  { path: `${P}/validators/{validator_addr}/delegations/{delegator_addr}`, query: `${Q}Delegation`, request: T.QueryDelegationRequest, response: T.QueryDelegationResponse },
  { path: `${P}/validators/{validator_addr}/delegations/{delegator_addr}/unbonding_delegation`, query: `${Q}UnbondingDelegation`, request: T.QueryUnbondingDelegationRequest, response: T.QueryUnbondingDelegationResponse },
  { path: `${P}/delegations/{delegator_addr}`, query: `${Q}DelegatorDelegations`, request: T.QueryDelegatorDelegationsRequest, response: T.QueryDelegatorDelegationsResponse },
  { path: `${P}/delegators/{delegator_addr}/unbonding_delegations`, query: `${Q}DelegatorUnbondingDelegations`, request: T.QueryDelegatorUnbondingDelegationsRequest, response: T.QueryDelegatorUnbondingDelegationsResponse },
  { path: `${P}/delegators/{delegator_addr}/validators`, query: `${Q}DelegatorValidators`, request: T.QueryDelegatorValidatorsRequest, response: T.QueryDelegatorValidatorsResponse },
  { path: `${P}/delegators/{delegator_addr}/validators/{validator_addr}`, query: `${Q}DelegatorValidator`, request: T.QueryDelegatorValidatorRequest, response: T.QueryDelegatorValidatorResponse },
  { path: `${P}/pool`, query: `${Q}Pool`, request: T.QueryPoolRequest, response: T.QueryPoolResponse },
  { path: `${P}/params`, query: `${Q}Params`, request: T.QueryParamsRequest, response: T.QueryParamsResponse },
];

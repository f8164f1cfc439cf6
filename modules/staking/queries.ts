// gRPC-style queries at /cosmos.staking.v1beta1.Query/<Method>, encoded exactly as the SDK does,
// so CosmJS's QueryClient staking extension decodes them.
import type { QueryDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { ErrInvalidRequest } from '../../chain/errors.ts';
import { decToWire } from '../../chain/dec.ts';
import { paginate as paginateAll } from '../../chain/pagination.ts';
import type { Bytes, KVReader } from '../../chain/store/kv.ts';
import type { PageRequest } from '../../chain/pagination.ts';
import { StakingKeeper, accountOf, valoperOf, ubdToProto, ubdFromProto } from './keeper.ts';
import { STORE, VALIDATOR, DELEGATION, DELEGATION_BY_VAL, UBD, UBD_BY_VAL, key } from './keys.ts';
import { concat } from '../../chain/codec/bytes.ts';
import { validatorAddress, delegatorAddress } from './msgs.ts';
import { toProto, tokensFromShares, decodeValidator, type Validator } from './validator.ts';
import { BOND_STATUS_NAMES, UnbondingDelegation as UbdCodec, type DelegationResponseMsg } from './types.ts';
import { ErrNoDelegation, ErrNoValidatorFound, ErrNoUnbondingDelegation } from './errors.ts';
import { paramsToMsg } from './params.ts';
import * as T from './types.ts';

const dec = new TextDecoder();

/** A key of this module's table in the whole store (what pagination iterates). */
const storeKey = (table: number, ...parts: Uint8Array[]) => concat(STORE, key(table, ...parts));

export function stakingQueries(keeper: StakingKeeper): QueryDef[] {
  const q = <Req>(method: string, request: QueryDef<Req>['request'], handle: (ctx: Context, req: Req) => Uint8Array): QueryDef<Req> => ({ path: `/cosmos.staking.v1beta1.Query/${method}`, request, handle });

  const mustValidator = (ctx: Context, addr: string): Validator => {
    validatorAddress(addr);
    const v = keeper.validator(ctx, addr);
    if (!v) throw ErrNoValidatorFound.wrap(`rpc error: code = NotFound desc = validator ${addr} not found`);
    return v;
  };
  const delegationResponse = (ctx: Context, del: Uint8Array, val: Uint8Array, shares: bigint, v?: Validator): DelegationResponseMsg => {
    const validator = v ?? keeper.validatorByBytes(ctx, val);
    return {
      delegation: { delegatorAddress: accountOf(del), validatorAddress: valoperOf(val), shares: decToWire(shares) },
      balance: { denom: keeper.bondDenom(ctx), amount: (validator ? tokensFromShares(validator, shares) : 0n).toString() },
    };
  };

  return [
    q('Validators', T.QueryValidatorsRequest, (ctx, req) => {
      let status = -1;
      if (req.status) {
        status = BOND_STATUS_NAMES.indexOf(req.status as (typeof BOND_STATUS_NAMES)[number]);
        if (status <= 0) throw ErrInvalidRequest.wrap(`invalid validator status ${req.status}`);
      }
      const { items, page } = paginate(ctx.store, storeKey(VALIDATOR), req.pagination, (_k, raw) => {
        const v = decodeValidator(raw);
        return status < 0 || v.status === status ? toProto(v) : undefined;
      });
      return T.QueryValidatorsResponse.encode({ validators: items, pagination: page });
    }),
    q('Validator', T.QueryValidatorRequest, (ctx, req) => T.QueryValidatorResponse.encode({ validator: toProto(mustValidator(ctx, req.validatorAddr)) })),
    q('ValidatorDelegations', T.QueryValidatorDelegationsRequest, (ctx, req) => {
      const v = mustValidator(ctx, req.validatorAddr);
      const val = validatorAddress(req.validatorAddr);
      const { items, page } = paginate(ctx.store, storeKey(DELEGATION_BY_VAL, val), req.pagination, (del) => {
        const shares = keeper.delegationShares(ctx, del, val)!;
        return delegationResponse(ctx, del, val, shares, v);
      });
      return T.QueryValidatorDelegationsResponse.encode({ delegationResponses: items, pagination: page });
    }),
    q('ValidatorUnbondingDelegations', T.QueryValidatorUnbondingDelegationsRequest, (ctx, req) => {
      const val = validatorAddress(req.validatorAddr);
      const { items, page } = paginate(ctx.store, storeKey(UBD_BY_VAL, val), req.pagination, (del) => ubdToProto(keeper.unbondingDelegation(ctx, del, val)!));
      return T.QueryValidatorUnbondingDelegationsResponse.encode({ unbondingResponses: items, pagination: page });
    }),
    q('Delegation', T.QueryDelegationRequest, (ctx, req) => {
      const del = delegatorAddress(req.delegatorAddr);
      const val = validatorAddress(req.validatorAddr);
      const shares = keeper.delegationShares(ctx, del, val);
      if (shares === undefined) throw ErrNoDelegation.wrap(`rpc error: code = NotFound desc = delegation with delegator ${req.delegatorAddr} not found for validator ${req.validatorAddr}`);
      return T.QueryDelegationResponse.encode({ delegationResponse: delegationResponse(ctx, del, val, shares) });
    }),
    q('UnbondingDelegation', T.QueryUnbondingDelegationRequest, (ctx, req) => {
      const del = delegatorAddress(req.delegatorAddr);
      const val = validatorAddress(req.validatorAddr);
      const u = keeper.unbondingDelegation(ctx, del, val);
      if (!u) throw ErrNoUnbondingDelegation.wrap(`rpc error: code = NotFound desc = unbonding delegation with delegator ${req.delegatorAddr} not found for validator ${req.validatorAddr}`);
      return T.QueryUnbondingDelegationResponse.encode({ unbond: ubdToProto(u) });
    }),
    q('DelegatorDelegations', T.QueryDelegatorDelegationsRequest, (ctx, req) => {
      const del = delegatorAddress(req.delegatorAddr);
      const { items, page } = paginate(ctx.store, storeKey(DELEGATION, del), req.pagination, (val, v) => delegationResponse(ctx, del, val, BigInt(dec.decode(v))));
      return T.QueryDelegatorDelegationsResponse.encode({ delegationResponses: items, pagination: page });
    }),
    q('DelegatorUnbondingDelegations', T.QueryDelegatorUnbondingDelegationsRequest, (ctx, req) => {
      const del = delegatorAddress(req.delegatorAddr);
      const { items, page } = paginate(ctx.store, storeKey(UBD, del), req.pagination, (_val, raw) => ubdToProto(ubdFromProto(UbdCodec.decode(raw))));
      return T.QueryDelegatorUnbondingDelegationsResponse.encode({ unbondingResponses: items, pagination: page });
    }),
    q('DelegatorValidators', T.QueryDelegatorValidatorsRequest, (ctx, req) => {
      const del = delegatorAddress(req.delegatorAddr);
      const { items, page } = paginate(ctx.store, storeKey(DELEGATION, del), req.pagination, (val) => {
        const v = keeper.validatorByBytes(ctx, val);
        return v ? toProto(v) : undefined;
      });
      return T.QueryDelegatorValidatorsResponse.encode({ validators: items, pagination: page });
    }),
    q('DelegatorValidator', T.QueryDelegatorValidatorRequest, (ctx, req) => {
      const del = delegatorAddress(req.delegatorAddr);
      const val = validatorAddress(req.validatorAddr);
      if (keeper.delegationShares(ctx, del, val) === undefined) throw ErrNoDelegation.wrap(`rpc error: code = NotFound desc = no delegation from ${req.delegatorAddr} to ${req.validatorAddr}`);
      return T.QueryDelegatorValidatorResponse.encode({ validator: toProto(mustValidator(ctx, req.validatorAddr)) });
    }),
    q('Pool', T.QueryPoolRequest, (ctx) => {
      const { bonded, notBonded } = keeper.poolBalances(ctx);
      return T.QueryPoolResponse.encode({ pool: { notBondedTokens: notBonded.toString(), bondedTokens: bonded.toString() } });
    }),
    q('Params', T.QueryParamsRequest, (ctx) => T.QueryParamsResponse.encode({ params: paramsToMsg(keeper.params(ctx)) })),
  ];
}


/** Pagination where `map` may skip entries (the SDK's FilteredPaginate): validators filtered by
 * status, delegations whose validator is gone. */
function paginate<T>(store: KVReader, prefix: Bytes, req: PageRequest | null | undefined, map: (key: Bytes, value: Bytes) => T | undefined) {
  return paginateAll(store, prefix, req, map, { filtered: true });
}

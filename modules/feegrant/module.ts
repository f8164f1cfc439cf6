// The feegrant module: cosmos.feegrant.v1beta1 messages (grant, revoke, prune), queries
// (Allowance, Allowances, AllowancesByGranter) and genesis, wire-compatible with the Cosmos SDK.
// Fees are charged against a grant by the ante handler through FeegrantKeeperI.
import type { AppModule, MsgDef, QueryDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { fromBech32, toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';
import { ErrInvalidAddress } from '../../chain/errors.ts';
import { paginate } from '../../chain/pagination.ts';
import { messageFromJson, messageToJson } from '../../chain/codec/proto-json.ts';
import { allowanceFromAny, startPeriod, validateAllowance } from './allowance.ts';
import { FeegrantKeeper, granteePrefix, granterPrefix, grantKey } from './keeper.ts';
import { ErrNoAllowance } from './errors.ts';
import * as T from './types.ts';

const STORE_PREFIX = new TextEncoder().encode('feegrant/');
const full = (k: Uint8Array) => new Uint8Array([...STORE_PREFIX, ...k]);

/** Cap on allowances removed by one MsgPruneAllowances (the SDK's). */
export const PRUNE_LIMIT = 75;

function checkAddress(addr: string, field: string): void {
  try {
    fromBech32(addr);
  } catch (err) {
    throw ErrInvalidAddress.wrap(`invalid ${field} address: ${(err as Error).message}`);
  }
}

export interface FeegrantGenesis {
  allowances: unknown[];
}

export function feegrantModule(keeper: FeegrantKeeper): AppModule {
  const grant: MsgDef<T.GrantMsg> = {
    typeUrl: T.MsgGrantAllowance.typeUrl,
    codec: T.MsgGrantAllowance,
    responseTypeUrl: T.MsgGrantAllowanceResponse.typeUrl,
    signers: (m) => [m.granter],
    validateBasic(m) {
      checkAddress(m.granter, 'granter');
      checkAddress(m.grantee, 'grantee');
      if (m.granter === m.grantee) throw ErrInvalidAddress.wrap('cannot self-grant fee authorization');
      validateAllowance(allowanceFromAny(m.allowance));
    },
    handle(ctx, m) {
      const a = startPeriod(allowanceFromAny(m.allowance), ctx.block.time);
      keeper.grantAllowance(ctx, m.granter, m.grantee, a);
      return T.MsgGrantAllowanceResponse.encode({});
    },
  };

  const revoke: MsgDef<{ granter: string; grantee: string }> = {
    typeUrl: T.MsgRevokeAllowance.typeUrl,
    codec: T.MsgRevokeAllowance,
    responseTypeUrl: T.MsgRevokeAllowanceResponse.typeUrl,
    signers: (m) => [m.granter],
    validateBasic(m) {
      checkAddress(m.granter, 'granter');
      checkAddress(m.grantee, 'grantee');
      if (m.granter === m.grantee) throw ErrInvalidAddress.wrap('addresses must be different');
    },
    handle(ctx, m) {
      keeper.revokeAllowance(ctx, m.granter, m.grantee);
      return T.MsgRevokeAllowanceResponse.encode({});
    },
  };

  const prune: MsgDef<{ pruner: string }> = {
    typeUrl: T.MsgPruneAllowances.typeUrl,
    codec: T.MsgPruneAllowances,
    responseTypeUrl: T.MsgPruneAllowancesResponse.typeUrl,
    signers: (m) => [m.pruner],
    validateBasic: (m) => checkAddress(m.pruner, 'pruner'),
    handle(ctx, m) {
      const n = keeper.pruneExpired(ctx, PRUNE_LIMIT);
      ctx.events.emit({ type: 'prune_feegrant', attributes: [{ key: 'pruner', value: m.pruner, index: true }, { key: 'pruned', value: String(n), index: false }] });
      return T.MsgPruneAllowancesResponse.encode({});
    },
  };

  const decodeGrant = (_k: Uint8Array, v: Uint8Array) => T.Grant.decode(v);
  const queries: QueryDef[] = [
    {
      path: '/cosmos.feegrant.v1beta1.Query/Allowance',
      request: T.QueryAllowanceRequest,
      handle(ctx: Context, req: { granter: string; grantee: string }) {
        checkAddress(req.granter, 'granter');
        checkAddress(req.grantee, 'grantee');
        const raw = keeper.store(ctx).get(grantKey(req.granter, req.grantee));
        if (!raw) throw ErrNoAllowance.wrap(`fee-grant not found for granter ${req.granter} and grantee ${req.grantee}`);
        return T.QueryAllowanceResponse.encode({ allowance: T.Grant.decode(raw) });
      },
    },
    {
      path: '/cosmos.feegrant.v1beta1.Query/Allowances',
      request: T.QueryAllowancesRequest,
      handle(ctx: Context, req: { grantee: string; pagination?: never }) {
        checkAddress(req.grantee, 'grantee');
        const { items, page } = paginate(ctx.store, full(granteePrefix(req.grantee)), req.pagination, decodeGrant);
        return T.QueryAllowancesResponse.encode({ allowances: items, pagination: page });
      },
    },
    {
      path: '/cosmos.feegrant.v1beta1.Query/AllowancesByGranter',
      request: T.QueryAllowancesByGranterRequest,
      handle(ctx: Context, req: { granter: string; pagination?: never }) {
        checkAddress(req.granter, 'granter');
        // The granter index holds len|grantee; the grant itself lives under the grantee key.
        const { items, page } = paginate(ctx.store, full(granterPrefix(req.granter)), req.pagination, (k) => {
          const grantee = k.subarray(1, 1 + k[0]!);
          return T.Grant.decode(keeper.store(ctx).get(grantKey(req.granter, toBech32(ACCOUNT_PREFIX, grantee)))!);
        });
        return T.QueryAllowancesByGranterResponse.encode({ allowances: items, pagination: page });
      },
    },
  ];

  return {
    name: 'feegrant',
    msgs: [grant, revoke, prune],
    queries,
    defaultGenesis: (): FeegrantGenesis => ({ allowances: [] }),
    initGenesis(ctx, raw) {
      const g = (raw ?? { allowances: [] }) as FeegrantGenesis;
      for (const j of g.allowances ?? []) {
        const m = messageFromJson(T.Grant.type, j as never) as unknown as T.GrantMsg;
        checkAddress(m.granter, 'granter');
        checkAddress(m.grantee, 'grantee');
        const a = allowanceFromAny(m.allowance);
        validateAllowance(a);
        if (keeper.store(ctx).has(grantKey(m.granter, m.grantee))) throw new Error(`genesis: duplicate fee grant ${m.granter} -> ${m.grantee}`);
        keeper.importGrant(ctx, m.granter, m.grantee, a);
      }
    },
    exportGenesis(ctx): FeegrantGenesis {
      const allowances = [];
      for (const g of keeper.grants(ctx)) {
        allowances.push(messageToJson(T.Grant.type, g as never));
      }
      return { allowances };
    },
  };
}

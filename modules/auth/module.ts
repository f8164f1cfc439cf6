// The auth module: accounts, account numbers, sequences and public keys; the params the ante
// handler reads; Account/Accounts/Params/Bech32Prefix queries and genesis.
import type { AppModule, QueryDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { ErrKeyNotFound, ErrInvalidAddress } from '../../chain/errors.ts';
import { fromBech32, ACCOUNT_PREFIX, accountAddress } from '../../chain/crypto/address.ts';
import { paginate } from '../../chain/pagination.ts';
import { AccountKeeper, decodeAccount, moduleAddress } from './keeper.ts';
import { AnyCodec, QueryAccountRequest, QueryAccountResponse, QueryAccountsRequest, QueryAccountsResponse, QueryParamsRequest, QueryParamsResponse, Bech32PrefixRequest, Bech32PrefixResponse } from './types.ts';
import { paramsFromJson, paramsToJson, paramsToMsg, DEFAULT_AUTH_PARAMS } from './params.ts';

export interface AuthGenesisAccount {
  '@type'?: string;
  address: string;
  pub_key?: { '@type': string; key: string } | null;
  account_number?: string;
  sequence?: string;
}

/** The SDK's JSON form of a module account (fee_collector, staking pools). */
export interface AuthGenesisModuleAccount {
  '@type': '/cosmos.auth.v1beta1.ModuleAccount';
  base_account: AuthGenesisAccount;
  name: string;
  permissions: string[];
}

const MODULE_ACCOUNT_TYPE = '/cosmos.auth.v1beta1.ModuleAccount';

export interface AuthGenesis {
  params?: Record<string, string>;
  accounts: (AuthGenesisAccount | AuthGenesisModuleAccount)[];
}

const ACCOUNTS_PREFIX = new Uint8Array([...new TextEncoder().encode('auth/'), 0x01]);

export function authModule(keeper: AccountKeeper): AppModule {
  const queries: QueryDef[] = [
    {
      path: '/cosmos.auth.v1beta1.Query/Account',
      request: QueryAccountRequest,
      handle(ctx, req) {
        try {
          fromBech32(req.address);
        } catch (err) {
          throw ErrInvalidAddress.wrap((err as Error).message);
        }
        const raw = keeper.getAccountRaw(ctx, req.address);
        // CosmJS maps exactly this text to "account does not exist" (getAccount -> null).
        if (!raw) throw ErrKeyNotFound.wrap(`rpc error: code = NotFound desc = account ${req.address} not found`);
        return QueryAccountResponse.encode({ account: AnyCodec.decode(raw) });
      },
    },
    {
      path: '/cosmos.auth.v1beta1.Query/Accounts',
      request: QueryAccountsRequest,
      handle(ctx, req) {
        const { items, page } = paginate(ctx.store, ACCOUNTS_PREFIX, req.pagination, (_k, v) => AnyCodec.decode(v));
        return QueryAccountsResponse.encode({ accounts: items, pagination: page });
      },
    },
    {
      path: '/cosmos.auth.v1beta1.Query/Params',
      request: QueryParamsRequest,
      handle(ctx) {
        return QueryParamsResponse.encode({ params: paramsToMsg(keeper.params(ctx)) });
      },
    },
    {
      path: '/cosmos.auth.v1beta1.Query/Bech32Prefix',
      request: Bech32PrefixRequest,
      handle() {
        return Bech32PrefixResponse.encode({ bech32Prefix: ACCOUNT_PREFIX });
      },
    },
  ];

  return {
    name: 'auth',
    queries,
    defaultGenesis: (): AuthGenesis => ({ params: paramsToJson(DEFAULT_AUTH_PARAMS), accounts: [] }),
    initGenesis(ctx: Context, raw: unknown) {
      const g = (raw ?? { accounts: [] }) as AuthGenesis;
      keeper.setParams(ctx, paramsFromJson(g.params));
      for (const entry of g.accounts ?? []) {
        const isModule = entry['@type'] === MODULE_ACCOUNT_TYPE;
        const a = isModule ? (entry as AuthGenesisModuleAccount).base_account : (entry as AuthGenesisAccount);
        fromBech32(a.address);
        if (keeper.getAccount(ctx, a.address)) throw new Error(`genesis: duplicate account ${a.address}`);
        let acc;
        if (a.account_number !== undefined) {
          acc = { address: a.address, pubkey: undefined as Uint8Array | undefined, accountNumber: BigInt(a.account_number), sequence: 0n };
          keeper.reserveAccountNumber(ctx, acc.accountNumber);
        } else {
          acc = keeper.newAccount(ctx, a.address);
        }
        if (a.pub_key) {
          const key = Buffer.from(a.pub_key.key, 'base64');
          if (accountAddress(key) !== a.address) throw new Error(`genesis: pub_key does not match ${a.address}`);
          acc.pubkey = key;
        }
        acc.sequence = BigInt(a.sequence ?? '0');
        if (isModule) {
          const m = entry as AuthGenesisModuleAccount;
          if (moduleAddress(m.name) !== a.address) throw new Error(`genesis: module account ${m.name} must have address ${moduleAddress(m.name)}`);
          (acc as { module?: { name: string; permissions: string[] } }).module = { name: m.name, permissions: m.permissions ?? [] };
        }
        keeper.setAccount(ctx, acc);
      }
    },
    exportGenesis(ctx: Context): AuthGenesis {
      const accounts: AuthGenesis['accounts'] = [];
      for (const raw of keeper.accounts(ctx)) {
        const a = decodeAccount(raw);
        const base: AuthGenesisAccount = {
          '@type': '/cosmos.auth.v1beta1.BaseAccount',
          address: a.address,
          pub_key: a.pubkey ? { '@type': '/cosmos.crypto.secp256k1.PubKey', key: Buffer.from(a.pubkey).toString('base64') } : null,
          account_number: a.accountNumber.toString(),
          sequence: a.sequence.toString(),
        };
        // Module accounts keep their numbers and permissions, so an import restores the same state.
        if (a.module) {
          const { '@type': _t, ...inner } = base;
          accounts.push({ '@type': MODULE_ACCOUNT_TYPE, base_account: inner, name: a.module.name, permissions: a.module.permissions });
        } else accounts.push(base);
      }
      return { params: paramsToJson(keeper.params(ctx)), accounts };
    },
  };
}

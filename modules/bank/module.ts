// The bank module: MsgSend / MsgMultiSend, balance, supply and denom-metadata queries, genesis.
import type { AppModule, MsgDef, QueryDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { fromBech32, toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';
import { coinsFromProto, coinToProto, validateDenom, type Coin } from '../../chain/coins.ts';
import { ErrInvalidAddress, ErrInvalidCoins, ErrUnauthorized, ErrInvalidRequest, SdkError } from '../../chain/errors.ts';
import { event } from '../../chain/events.ts';
import { paginate } from '../../chain/pagination.ts';
import { BankKeeper, balancePrefix, SUPPLY_PREFIX, METADATA_PREFIX } from './keeper.ts';
import { ErrNoInputs, ErrNoOutputs, ErrInputOutputMismatch, ErrMultipleSenders, ErrDenomMetadataNotFound } from './errors.ts';
import * as T from './types.ts';

const dec = new TextDecoder();
const enc = new TextEncoder();

function checkAddress(addr: string, field: string): void {
  try {
    fromBech32(addr);
  } catch (err) {
    throw ErrInvalidAddress.wrap(`invalid ${field}: ${(err as Error).message}`);
  }
}

function positiveCoins(list: T.MsgSendMsg['amount']): Coin[] {
  const coins = coinsFromProto(list);
  if (coins.length === 0) throw ErrInvalidCoins.wrap('amount must not be empty');
  return coins;
}

export interface BankGenesis {
  params?: { default_send_enabled?: boolean };
  balances: { address: string; coins: { denom: string; amount: string }[] }[];
  supply?: { denom: string; amount: string }[];
  denom_metadata?: {
    description?: string;
    denom_units: { denom: string; exponent: number; aliases?: string[] }[];
    base: string;
    display: string;
    name?: string;
    symbol?: string;
  }[];
}

export function bankModule(keeper: BankKeeper): AppModule {
  const send: MsgDef<T.MsgSendMsg> = {
    typeUrl: T.MsgSend.typeUrl,
    codec: T.MsgSend,
    responseTypeUrl: T.MsgSendResponse.typeUrl,
    signers: (m) => [m.fromAddress],
    validateBasic(m) {
      checkAddress(m.fromAddress, 'from address');
      checkAddress(m.toAddress, 'to address');
      positiveCoins(m.amount);
    },
    handle(ctx, m) {
      if (keeper.isBlocked(m.toAddress)) throw ErrUnauthorized.wrap(`${m.toAddress} is not allowed to receive funds`);
      keeper.sendCoins(ctx, m.fromAddress, m.toAddress, coinsFromProto(m.amount));
      ctx.events.emit(event('message', { sender: m.fromAddress }));
      return T.MsgSendResponse.encode({});
    },
  };

  const multiSend: MsgDef<T.MsgMultiSendMsg> = {
    typeUrl: T.MsgMultiSend.typeUrl,
    codec: T.MsgMultiSend,
    responseTypeUrl: T.MsgMultiSendResponse.typeUrl,
    signers: (m) => m.inputs.map((i) => i.address),
    validateBasic(m) {
      if (m.inputs.length === 0) throw ErrNoInputs;
      if (m.inputs.length > 1) throw ErrMultipleSenders;
      if (m.outputs.length === 0) throw ErrNoOutputs;
      const sum = new Map<string, bigint>();
      for (const i of m.inputs) {
        checkAddress(i.address, 'input address');
        for (const c of positiveCoins(i.coins)) sum.set(c.denom, (sum.get(c.denom) ?? 0n) + c.amount);
      }
      for (const o of m.outputs) {
        checkAddress(o.address, 'output address');
        for (const c of positiveCoins(o.coins)) sum.set(c.denom, (sum.get(c.denom) ?? 0n) - c.amount);
      }
      for (const v of sum.values()) if (v !== 0n) throw ErrInputOutputMismatch;
    },
    handle(ctx, m) {
      const input = m.inputs[0]!;
      for (const o of m.outputs) {
        if (keeper.isBlocked(o.address)) throw ErrUnauthorized.wrap(`${o.address} is not allowed to receive funds`);
      }
      // validateBasic proved sum(inputs) == sum(outputs), so paying each output from the single
      // input moves exactly the input's coins; an overspend fails on the first short output.
      for (const o of m.outputs) keeper.sendCoins(ctx, input.address, o.address, coinsFromProto(o.coins));
      ctx.events.emit(event('message', { sender: input.address }));
      return T.MsgMultiSendResponse.encode({});
    },
  };

  const q = <Req>(path: string, request: QueryDef<Req>['request'], handle: (ctx: Context, req: Req) => Uint8Array): QueryDef<Req> => ({ path, request, handle });
  const addressOrThrow = (a: string) => {
    if (!a) throw ErrInvalidAddress.wrap('empty address string is not allowed');
    checkAddress(a, 'address');
    return fromBech32(a);
  };
  const coinEntry = (k: Uint8Array, v: Uint8Array) => ({ denom: dec.decode(k), amount: dec.decode(v) });
  const bankPrefix = (inner: Uint8Array) => new Uint8Array([...enc.encode('bank/'), ...inner]);

  const queries: QueryDef[] = [
    q('/cosmos.bank.v1beta1.Query/Balance', T.QueryBalanceRequest, (ctx, req) => {
      addressOrThrow(req.address);
      try {
        validateDenom(req.denom);
      } catch (err) {
        throw ErrInvalidCoins.wrap((err as SdkError).message);
      }
      // Always a Coin, zero included: CosmJS asserts the field is present.
      return T.QueryBalanceResponse.encode({ balance: { denom: req.denom, amount: keeper.balance(ctx, req.address, req.denom).toString() } });
    }),
    q('/cosmos.bank.v1beta1.Query/AllBalances', T.QueryAllBalancesRequest, (ctx, req) => {
      const prefix = bankPrefix(balancePrefix(addressOrThrow(req.address)));
      const { items, page } = paginate(ctx.store, prefix, req.pagination, coinEntry);
      return T.QueryAllBalancesResponse.encode({ balances: items, pagination: page });
    }),
    q('/cosmos.bank.v1beta1.Query/SpendableBalances', T.QuerySpendableBalancesRequest, (ctx, req) => {
      const prefix = bankPrefix(balancePrefix(addressOrThrow(req.address)));
      const { items, page } = paginate(ctx.store, prefix, req.pagination, coinEntry);
      return T.QuerySpendableBalancesResponse.encode({ balances: items, pagination: page });
    }),
    q('/cosmos.bank.v1beta1.Query/TotalSupply', T.QueryTotalSupplyRequest, (ctx, req) => {
      const { items, page } = paginate(ctx.store, bankPrefix(Uint8Array.of(SUPPLY_PREFIX)), req.pagination, coinEntry);
      return T.QueryTotalSupplyResponse.encode({ supply: items, pagination: page });
    }),
    q('/cosmos.bank.v1beta1.Query/SupplyOf', T.QuerySupplyOfRequest, (ctx, req) => {
      if (!req.denom) throw ErrInvalidRequest.wrap('invalid denom');
      return T.QuerySupplyOfResponse.encode({ amount: coinToProto({ denom: req.denom, amount: keeper.supplyOf(ctx, req.denom) }) });
    }),
    q('/cosmos.bank.v1beta1.Query/Params', T.QueryParamsRequest, (ctx) =>
      T.QueryParamsResponse.encode({ params: { sendEnabled: [], defaultSendEnabled: keeper.params(ctx).defaultSendEnabled } })),
    q('/cosmos.bank.v1beta1.Query/DenomMetadata', T.QueryDenomMetadataRequest, (ctx, req) => {
      const m = keeper.denomMetadata(ctx, req.denom);
      if (!m) throw ErrDenomMetadataNotFound.wrap(`client metadata for denom ${req.denom}`);
      return T.QueryDenomMetadataResponse.encode({ metadata: m });
    }),
    q('/cosmos.bank.v1beta1.Query/DenomsMetadata', T.QueryDenomsMetadataRequest, (ctx, req) => {
      const { items, page } = paginate(ctx.store, bankPrefix(Uint8Array.of(METADATA_PREFIX)), req.pagination, (_k, v) => T.Metadata.decode(v));
      return T.QueryDenomsMetadataResponse.encode({ metadatas: items, pagination: page });
    }),
  ];

  return {
    name: 'bank',
    msgs: [send, multiSend],
    queries,
    defaultGenesis: (): BankGenesis => ({ params: { default_send_enabled: true }, balances: [], supply: [], denom_metadata: [] }),
    initGenesis(ctx, raw) {
      const g = raw as BankGenesis;
      keeper.setParams(ctx, { defaultSendEnabled: g.params?.default_send_enabled ?? true });
      const supply = new Map<string, bigint>();
      for (const b of g.balances ?? []) {
        fromBech32(b.address);
        const coins = coinsFromProto(b.coins);
        keeper.initBalance(ctx, b.address, coins);
        for (const c of coins) supply.set(c.denom, (supply.get(c.denom) ?? 0n) + c.amount);
        // Every funded address needs an account so CosmJS can read its number and sequence.
        if (!keeper.accounts.getAccount(ctx, b.address)) keeper.accounts.newAccount(ctx, b.address);
      }
      // The declared supply, if any, must equal the sum of balances (the SDK's genesis check).
      for (const c of coinsFromProto(g.supply ?? [])) {
        if ((supply.get(c.denom) ?? 0n) !== c.amount) {
          throw new Error(`genesis supply ${c.amount}${c.denom} does not match the sum of balances ${supply.get(c.denom) ?? 0n}${c.denom}`);
        }
      }
      // Fee payments land here from the first block; creating it at genesis keeps every fee's gas
      // equal (and after the funded accounts, so their account numbers follow genesis order).
      keeper.accounts.getOrCreateModuleAccount(ctx, 'fee_collector');
      for (const [denom, amount] of [...supply.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) keeper.setSupply(ctx, denom, amount);
      for (const m of g.denom_metadata ?? []) {
        keeper.setDenomMetadata(ctx, {
          description: m.description ?? '',
          denomUnits: m.denom_units.map((u) => ({ denom: u.denom, exponent: u.exponent, aliases: u.aliases ?? [] })),
          base: m.base,
          display: m.display,
          name: m.name ?? '',
          symbol: m.symbol ?? '',
          uri: '',
          uriHash: '',
        });
      }
    },
    exportGenesis(ctx): BankGenesis {
      const balances = new Map<string, { denom: string; amount: string }[]>();
      // Balances are exported by walking accounts' balance ranges via the supply-independent store.
      const prefix = bankPrefix(Uint8Array.of(0x02));
      for (const [k, v] of ctx.store.iterator(prefix, bankPrefix(Uint8Array.of(0x03)))) {
        const rel = k.subarray(prefix.length);
        const len = rel[0]!;
        const addr = rel.subarray(1, 1 + len);
        const denom = dec.decode(rel.subarray(1 + len));
        const address = toAccAddress(addr);
        const list = balances.get(address) ?? [];
        list.push({ denom, amount: dec.decode(v) });
        balances.set(address, list);
      }
      const metas: BankGenesis['denom_metadata'] = [];
      for (const [, v] of ctx.store.iterator(bankPrefix(Uint8Array.of(METADATA_PREFIX)), bankPrefix(Uint8Array.of(METADATA_PREFIX + 1)))) {
        const m = T.Metadata.decode(v);
        metas.push({ description: m.description, denom_units: m.denomUnits.map((u) => ({ denom: u.denom, exponent: u.exponent, aliases: u.aliases })), base: m.base, display: m.display, name: m.name, symbol: m.symbol });
      }
      return {
        params: { default_send_enabled: keeper.params(ctx).defaultSendEnabled },
        balances: [...balances.entries()].map(([address, coins]) => ({ address, coins })),
        supply: [...keeper.totalSupply(ctx)].map(coinToProto),
        denom_metadata: metas,
      };
    },
  };
}

function toAccAddress(bytes: Uint8Array): string {
  return toBech32(ACCOUNT_PREFIX, bytes);
}

// The slashing module: liveness tracking and double-sign punishment in begin block, MsgUnjail,
// signing-info and params queries, genesis.
import type { AppModule, MsgDef, QueryDef } from '../../chain/module.ts';
import type { Context } from '../../chain/context.ts';
import { fromBech32, toBech32, addressBytesFromPubkey, ACCOUNT_PREFIX, VALOPER_PREFIX, VALCONS_PREFIX } from '../../chain/crypto/address.ts';
import { ErrInvalidAddress } from '../../chain/errors.ts';
import { event } from '../../chain/events.ts';
import { compareTime } from '../../chain/time.ts';
import { formatRfc3339, parseRfc3339 } from '../../chain/genesis.ts';
import { prefixEnd } from '../../chain/store/kv.ts';
import { paginate } from '../../chain/pagination.ts';
import { SlashingKeeper, STORE, SIGNING_INFO, consAddrString, signingInfoFromMsg, signingInfoToMsg } from './keeper.ts';
import {
  paramsFromJson, paramsToJson, paramsToMsg, evidenceFromJson, evidenceToJson, DEFAULT_SLASHING_PARAMS, DEFAULT_EVIDENCE_PARAMS,
  type SlashingParamsJson, type EvidenceParamsJson,
} from './params.ts';
import * as T from './types.ts';
import {
  ErrNoValidatorForAddress, ErrValidatorJailed, ErrValidatorNotJailed, ErrMissingSelfDelegation, ErrSelfDelegationTooLowToUnjail, ErrNoSigningInfoFound,
} from './errors.ts';

export interface SigningInfoJson {
  address: string;
  start_height: string;
  index_offset: string;
  jailed_until: string;
  tombstoned: boolean;
  missed_blocks_counter: string;
}

export interface SlashingGenesis {
  params: SlashingParamsJson;
  evidence?: EvidenceParamsJson;
  signing_infos: { address: string; validator_signing_info: SigningInfoJson }[];
  missed_blocks: { address: string; missed_blocks: { index: string; missed: boolean }[] }[];
}

export function defaultSlashingGenesis(): SlashingGenesis {
  return { params: paramsToJson(DEFAULT_SLASHING_PARAMS), evidence: evidenceToJson(DEFAULT_EVIDENCE_PARAMS), signing_infos: [], missed_blocks: [] };
}

function operatorBytes(addr: string): Uint8Array {
  try {
    const b = fromBech32(addr, VALOPER_PREFIX);
    if (b.length !== 20) throw new Error('expected 20 bytes');
    return b;
  } catch (err) {
    throw ErrInvalidAddress.wrap(`invalid validator address: ${(err as Error).message}`);
  }
}

export function slashingModule(keeper: SlashingKeeper): AppModule {
  const unjail: MsgDef<{ validatorAddr: string }> = {
    typeUrl: T.MsgUnjail.typeUrl,
    codec: T.MsgUnjail,
    responseTypeUrl: T.MsgUnjailResponse.typeUrl,
    signers: (m) => [toBech32(ACCOUNT_PREFIX, operatorBytes(m.validatorAddr))],
    validateBasic: (m) => void operatorBytes(m.validatorAddr),
    handle(ctx, m) {
      const v = keeper.staking.validator(ctx, m.validatorAddr);
      if (!v) throw ErrNoValidatorForAddress.wrap(m.validatorAddr);
      const self = keeper.staking.delegationTokens(ctx, toBech32(ACCOUNT_PREFIX, operatorBytes(m.validatorAddr)), m.validatorAddr);
      if (self === undefined) throw ErrMissingSelfDelegation;
      if (self < v.minSelfDelegation) throw ErrSelfDelegationTooLowToUnjail.wrap(`self delegation ${self} < min_self_delegation ${v.minSelfDelegation}`);
      if (!v.jailed) throw ErrValidatorNotJailed;
      const consAddr = addressBytesFromPubkey(v.consPubKey);
      const info = keeper.signingInfo(ctx, consAddr);
      // No record: jailed before it ever bonded (self delegation fell below its minimum).
      if (info) {
        if (info.tombstoned) throw ErrValidatorJailed.wrap('validator was tombstoned for double signing and can never be unjailed');
        if (compareTime(ctx.block.time, info.jailedUntil) < 0) throw ErrValidatorJailed.wrap(`jailed until ${formatRfc3339(info.jailedUntil)}`);
      }
      keeper.staking.unjail(ctx, consAddr);
      ctx.events.emit(event('unjail', { validator: m.validatorAddr }));
      return T.MsgUnjailResponse.encode({});
    },
  };

  const signingPrefix = new Uint8Array([...STORE, SIGNING_INFO]);
  const queries: QueryDef[] = [
    { path: '/cosmos.slashing.v1beta1.Query/Params', request: T.QueryParamsRequest, handle: (ctx: Context) => T.QueryParamsResponse.encode({ params: paramsToMsg(keeper.params(ctx)) }) },
    {
      path: '/cosmos.slashing.v1beta1.Query/SigningInfo',
      request: T.QuerySigningInfoRequest,
      handle(ctx: Context, req: { consAddress: string }) {
        let consAddr: Uint8Array;
        try {
          consAddr = fromBech32(req.consAddress, VALCONS_PREFIX);
        } catch (err) {
          throw ErrInvalidAddress.wrap(`invalid consensus address: ${(err as Error).message}`);
        }
        const info = keeper.signingInfo(ctx, consAddr);
        if (!info) throw ErrNoSigningInfoFound.wrap(`rpc error: code = NotFound desc = SigningInfo not found for validator ${req.consAddress}`);
        return T.QuerySigningInfoResponse.encode({ valSigningInfo: signingInfoToMsg(info) });
      },
    },
    {
      path: '/cosmos.slashing.v1beta1.Query/SigningInfos',
      request: T.QuerySigningInfosRequest,
      handle(ctx: Context, req: { pagination?: never }) {
        const { items, page } = paginate(ctx.store, signingPrefix, req.pagination, (_k, v) => T.ValidatorSigningInfo.decode(v));
        return T.QuerySigningInfosResponse.encode({ info: items, pagination: page });
      },
    },
  ];

  return {
    name: 'slashing',
    msgs: [unjail],
    queries,
    defaultGenesis: defaultSlashingGenesis,
    initGenesis(ctx, raw) {
      const g = (raw ?? defaultSlashingGenesis()) as SlashingGenesis;
      keeper.setParams(ctx, paramsFromJson(g.params));
      keeper.setEvidenceParams(ctx, evidenceFromJson(g.evidence));
      for (const s of g.signing_infos ?? []) {
        const address = fromBech32(s.address, VALCONS_PREFIX);
        const i = s.validator_signing_info;
        keeper.setSigningInfo(ctx, {
          address, startHeight: BigInt(i.start_height), indexOffset: BigInt(i.index_offset), jailedUntil: parseRfc3339(i.jailed_until),
          tombstoned: !!i.tombstoned, missedBlocksCounter: BigInt(i.missed_blocks_counter),
        });
      }
      for (const mb of g.missed_blocks ?? []) {
        const address = fromBech32(mb.address, VALCONS_PREFIX);
        for (const b of mb.missed_blocks) if (b.missed) keeper.setMissed(ctx, address, BigInt(b.index), true);
      }
      // Bonded validators of a genesis that set them BONDED directly still need a record.
      for (const v of keeper.staking.bondedValidators(ctx)) {
        if (!keeper.signingInfo(ctx, v.consAddress)) {
          keeper.setSigningInfo(ctx, { address: v.consAddress, startHeight: ctx.block.height, indexOffset: 0n, jailedUntil: { seconds: 0n, nanos: 0 }, tombstoned: false, missedBlocksCounter: 0n });
        }
      }
    },
    exportGenesis(ctx): SlashingGenesis {
      const signing_infos: SlashingGenesis['signing_infos'] = [];
      const missed_blocks: SlashingGenesis['missed_blocks'] = [];
      const start = Uint8Array.of(SIGNING_INFO);
      for (const [k, raw] of keeper.kv(ctx).iterator(start, prefixEnd(start))) {
        const info = signingInfoFromMsg(k.slice(1), T.ValidatorSigningInfo.decode(raw));
        const address = consAddrString(info.address);
        signing_infos.push({
          address,
          validator_signing_info: {
            address, start_height: info.startHeight.toString(), index_offset: info.indexOffset.toString(), jailed_until: formatRfc3339(info.jailedUntil),
            tombstoned: info.tombstoned, missed_blocks_counter: info.missedBlocksCounter.toString(),
          },
        });
        const missed = keeper.missedIndexes(ctx, info.address);
        if (missed.length) missed_blocks.push({ address, missed_blocks: missed.map((i) => ({ index: i.toString(), missed: true })) });
      }
      return { params: paramsToJson(keeper.params(ctx)), evidence: evidenceToJson(keeper.evidenceParams(ctx)), signing_infos, missed_blocks };
    },
    beginBlock: (ctx) => keeper.beginBlock(ctx),
  };
}

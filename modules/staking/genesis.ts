// Staking genesis in the SDK's JSON shape (snake_case, decimals with 18 fractional digits,
// RFC3339 times, "1814400s" durations). A fresh genesis lists validators (usually UNBONDED, their
// tokens held by not_bonded_tokens_pool in bank.balances) and their delegations; initGenesis then
// computes the bonded set. An exported genesis (exported: true) carries last_validator_powers and
// is restored exactly, so export -> import reproduces the app hash.
import type { Context } from '../../chain/context.ts';
import type { ValidatorUpdate } from '../../chain/module.ts';
import { formatDec, parseDec } from '../../chain/dec.ts';
import { formatRfc3339, parseRfc3339 } from '../../chain/genesis.ts';
import { fromBech32, ACCOUNT_PREFIX, VALOPER_PREFIX, addressBytesFromPubkey } from '../../chain/crypto/address.ts';
import { SECP256K1_PUBKEY_URL, PubKeySecp256k1 } from '../../chain/tx/types.ts';
import { StakingKeeper, BONDED_POOL, NOT_BONDED_POOL, accBytes, valBytes, accountOf, valoperOf, ubdFromProto, type UnbondingDelegation } from './keeper.ts';
import { VALIDATOR, DELEGATION, UBD, BY_CONS, key, ubdQueueKey, valQueueKey, ONE } from './keys.ts';
import { consensusKey, checkRates, checkDescription } from './msgs.ts';
import { BOND_STATUS, BOND_STATUS_NAMES, UnbondingDelegation as UbdCodec } from './types.ts';
import { consAddress, decodeValidator, type BondStatus, type Validator } from './validator.ts';
import { paramsFromJson, paramsToJson, DEFAULT_STAKING_PARAMS, type StakingParamsJson } from './params.ts';
import { prefixEnd } from '../../chain/store/kv.ts';

export interface ValidatorJson {
  operator_address: string;
  consensus_pubkey: { '@type': string; key: string };
  jailed: boolean;
  status: string;
  tokens: string;
  delegator_shares: string;
  description: { moniker: string; identity?: string; website?: string; security_contact?: string; details?: string };
  unbonding_height?: string;
  unbonding_time?: string;
  commission: { commission_rates: { rate: string; max_rate: string; max_change_rate: string }; update_time?: string };
  min_self_delegation: string;
}

export interface StakingGenesis {
  params: StakingParamsJson;
  exported?: boolean;
  last_validator_powers?: { address: string; power: string }[];
  validators: ValidatorJson[];
  delegations: { delegator_address: string; validator_address: string; shares: string }[];
  unbonding_delegations: {
    delegator_address: string;
    validator_address: string;
    entries: { creation_height: string; completion_time: string; initial_balance: string; balance: string }[];
  }[];
}

export function defaultStakingGenesis(): StakingGenesis {
  return { params: paramsToJson(DEFAULT_STAKING_PARAMS), validators: [], delegations: [], unbonding_delegations: [] };
}

const EPOCH = '1970-01-01T00:00:00Z';

export function validatorToJson(v: Validator): ValidatorJson {
  return {
    operator_address: v.operator,
    consensus_pubkey: { '@type': SECP256K1_PUBKEY_URL, key: Buffer.from(v.consPubKey).toString('base64') },
    jailed: v.jailed,
    status: BOND_STATUS_NAMES[v.status],
    tokens: v.tokens.toString(),
    delegator_shares: formatDec(v.shares),
    description: { moniker: v.description.moniker, identity: v.description.identity, website: v.description.website, security_contact: v.description.securityContact, details: v.description.details },
    unbonding_height: v.unbondingHeight.toString(),
    unbonding_time: formatRfc3339(v.unbondingTime),
    commission: {
      commission_rates: { rate: formatDec(v.commission.rate), max_rate: formatDec(v.commission.maxRate), max_change_rate: formatDec(v.commission.maxChangeRate) },
      update_time: formatRfc3339(v.commission.updateTime),
    },
    min_self_delegation: v.minSelfDelegation.toString(),
  };
}

function validatorFromJson(j: ValidatorJson): Validator {
  const where = `genesis validator ${j.operator_address}`;
  if (fromBech32(j.operator_address, VALOPER_PREFIX).length !== 20) throw new Error(`${where}: operator address must be 20 bytes`);
  const pk = consensusKey({ typeUrl: j.consensus_pubkey['@type'], value: PubKeySecp256k1.encode({ key: Buffer.from(j.consensus_pubkey.key, 'base64') }) });
  const status = BOND_STATUS_NAMES.indexOf(j.status as (typeof BOND_STATUS_NAMES)[number]);
  if (status <= 0) throw new Error(`${where}: invalid status ${j.status}`);
  const rates = j.commission.commission_rates;
  const r = checkRates({ rate: parseDec(rates.rate).toString(), maxRate: parseDec(rates.max_rate).toString(), maxChangeRate: parseDec(rates.max_change_rate).toString() });
  const d = j.description ?? { moniker: '' };
  const v: Validator = {
    operator: j.operator_address,
    consPubKey: pk,
    jailed: !!j.jailed,
    status: status as BondStatus,
    tokens: BigInt(j.tokens),
    shares: parseDec(j.delegator_shares),
    description: checkDescription({ moniker: d.moniker ?? '', identity: d.identity ?? '', website: d.website ?? '', securityContact: d.security_contact ?? '', details: d.details ?? '' }),
    unbondingHeight: BigInt(j.unbonding_height ?? '0'),
    unbondingTime: parseRfc3339(j.unbonding_time ?? EPOCH),
    commission: { ...r, updateTime: parseRfc3339(j.commission.update_time ?? EPOCH) },
    minSelfDelegation: BigInt(j.min_self_delegation),
  };
  if (v.tokens < 0n || v.shares < 0n || v.minSelfDelegation <= 0n) throw new Error(`${where}: negative tokens/shares or non-positive min_self_delegation`);
  return v;
}

export function initStakingGenesis(keeper: StakingKeeper, ctx: Context, g: StakingGenesis): ValidatorUpdate[] {
  keeper.setParams(ctx, paramsFromJson(g.params));
  keeper.ensurePool(ctx, BONDED_POOL);
  keeper.ensurePool(ctx, NOT_BONDED_POOL);
  const kv = keeper.kv(ctx);
  let bondedTokens = 0n;
  let notBondedTokens = 0n;
  const sharesByVal = new Map<string, bigint>();
  for (const j of g.validators ?? []) {
    const v = validatorFromJson(j);
    if (keeper.validator(ctx, v.operator)) throw new Error(`genesis: duplicate validator ${v.operator}`);
    // A fresh genesis lets initChain decide who is bonded; only an exported one carries statuses.
    if (!g.exported && v.status !== BOND_STATUS.UNBONDED) {
      throw new Error(`genesis: validator ${v.operator} is ${j.status}; a fresh genesis lists validators as BOND_STATUS_UNBONDED (initChain bonds the top ones), an exported one sets exported: true and last_validator_powers`);
    }
    if (kv.get(key(BY_CONS, consAddress(v)))) throw new Error(`genesis: validator ${v.operator} reuses another validator's consensus key`);
    keeper.addValidator(ctx, v);
    if (v.status === BOND_STATUS.UNBONDING) kv.set(valQueueKey(v.unbondingTime, valBytes(v.operator)), ONE);
    if (v.status === BOND_STATUS.BONDED) bondedTokens += v.tokens;
    else notBondedTokens += v.tokens;
    sharesByVal.set(v.operator, 0n);
  }
  for (const d of g.delegations ?? []) {
    const shares = parseDec(d.shares);
    if (!sharesByVal.has(d.validator_address)) throw new Error(`genesis: delegation to unknown validator ${d.validator_address}`);
    if (shares <= 0n) throw new Error(`genesis: delegation of ${d.delegator_address} to ${d.validator_address} has no shares`);
    const del = accBytes(d.delegator_address);
    const val = valBytes(d.validator_address);
    if (del.length !== 20) throw new Error(`genesis: delegator ${d.delegator_address} must be a 20-byte address`);
    if (keeper.delegationShares(ctx, del, val) !== undefined) throw new Error(`genesis: duplicate delegation ${d.delegator_address} -> ${d.validator_address}`);
    keeper.setDelegationShares(ctx, del, val, shares);
    sharesByVal.set(d.validator_address, sharesByVal.get(d.validator_address)! + shares);
  }
  for (const v of keeper.validators(ctx)) {
    if (sharesByVal.get(v.operator) !== v.shares) throw new Error(`genesis: delegations to ${v.operator} hold ${formatDec(sharesByVal.get(v.operator) ?? 0n)} shares, the validator ${formatDec(v.shares)}`);
  }
  for (const u of g.unbonding_delegations ?? []) {
    const entries = u.entries.map((e) => ({ creationHeight: BigInt(e.creation_height), completionTime: parseRfc3339(e.completion_time), initialBalance: BigInt(e.initial_balance), balance: BigInt(e.balance) }));
    if (entries.length === 0) continue;
    const ubd: UnbondingDelegation = { delegator: u.delegator_address, validator: u.validator_address, entries };
    accBytes(u.delegator_address);
    valBytes(u.validator_address);
    for (const e of entries) {
      if (e.balance < 0n || e.balance > e.initialBalance) throw new Error(`genesis: bad unbonding entry of ${u.delegator_address}`);
      notBondedTokens += e.balance;
      kv.set(ubdQueueKey(e.completionTime, accBytes(u.delegator_address), valBytes(u.validator_address)), ONE);
    }
    keeper.setUnbondingDelegation(ctx, ubd);
  }
  // The pools must hold exactly the stake the records say (bank.balances funds them).
  const pools = keeper.poolBalances(ctx);
  if (pools.bonded !== bondedTokens) throw new Error(`genesis: ${BONDED_POOL} holds ${pools.bonded}, bonded validators ${bondedTokens}`);
  if (pools.notBonded !== notBondedTokens) throw new Error(`genesis: ${NOT_BONDED_POOL} holds ${pools.notBonded}, not-bonded validators and unbonding entries ${notBondedTokens}`);

  if (g.exported) {
    const updates: ValidatorUpdate[] = [];
    for (const p of g.last_validator_powers ?? []) {
      const v = keeper.validator(ctx, p.address);
      if (!v || v.status !== BOND_STATUS.BONDED) throw new Error(`genesis: last power for ${p.address}, which is not a bonded validator`);
      keeper.setLastPower(ctx, valBytes(p.address), BigInt(p.power));
    }
    for (const [val, power] of keeper.lastPowers(ctx)) updates.push({ pubKey: keeper.validatorByBytes(ctx, val)!.consPubKey, power });
    for (const v of keeper.validators(ctx)) {
      if (v.status === BOND_STATUS.BONDED && keeper.lastPower(ctx, valBytes(v.operator)) === undefined) throw new Error(`genesis: bonded validator ${v.operator} has no last_validator_powers entry`);
    }
    return updates;
  }
  return keeper.applyValidatorSetUpdates(ctx);
}

export function exportStakingGenesis(keeper: StakingKeeper, ctx: Context): StakingGenesis {
  const kv = keeper.kv(ctx);
  const delegations: StakingGenesis['delegations'] = [];
  const dstart = Uint8Array.of(DELEGATION);
  for (const [k, v] of kv.iterator(dstart, prefixEnd(dstart))) {
    delegations.push({ delegator_address: accountOf(k.subarray(1, 21)), validator_address: valoperOf(k.subarray(21, 41)), shares: formatDec(BigInt(new TextDecoder().decode(v))) });
  }
  const ubds: StakingGenesis['unbonding_delegations'] = [];
  const ustart = Uint8Array.of(UBD);
  for (const [, raw] of kv.iterator(ustart, prefixEnd(ustart))) {
    const u = ubdFromProto(UbdCodec.decode(raw));
    ubds.push({
      delegator_address: u.delegator,
      validator_address: u.validator,
      entries: u.entries.map((e) => ({ creation_height: e.creationHeight.toString(), completion_time: formatRfc3339(e.completionTime), initial_balance: e.initialBalance.toString(), balance: e.balance.toString() })),
    });
  }
  const validators: ValidatorJson[] = [];
  const vstart = Uint8Array.of(VALIDATOR);
  for (const [, raw] of kv.iterator(vstart, prefixEnd(vstart))) validators.push(validatorToJson(decodeValidator(raw)));
  return {
    params: paramsToJson(keeper.params(ctx)),
    exported: true,
    last_validator_powers: keeper.lastPowers(ctx).map(([val, power]) => ({ address: valoperOf(val), power: power.toString() })),
    validators,
    delegations,
    unbonding_delegations: ubds,
  };
}

/** A validator entry for a fresh genesis: self-bonded `tokens`, UNBONDED (bonded by initChain). */
export function genesisValidator(opts: { operatorAccount: string; consPubKey: Uint8Array; tokens: bigint; moniker: string; minSelfDelegation?: bigint }): { validator: ValidatorJson; delegation: StakingGenesis['delegations'][number] } {
  const operator = valoperOf(fromBech32(opts.operatorAccount, ACCOUNT_PREFIX));
  if (addressBytesFromPubkey(opts.consPubKey).length !== 20) throw new Error('bad consensus key');
  const shares = formatDec(opts.tokens * 10n ** 18n);
  return {
    validator: {
      operator_address: operator,
      consensus_pubkey: { '@type': SECP256K1_PUBKEY_URL, key: Buffer.from(opts.consPubKey).toString('base64') },
      jailed: false,
      status: 'BOND_STATUS_UNBONDED',
      tokens: opts.tokens.toString(),
      delegator_shares: shares,
      description: { moniker: opts.moniker },
      commission: { commission_rates: { rate: '0.100000000000000000', max_rate: '0.200000000000000000', max_change_rate: '0.010000000000000000' } },
      min_self_delegation: (opts.minSelfDelegation ?? 1n).toString(),
    },
    delegation: { delegator_address: opts.operatorAccount, validator_address: operator, shares },
  };
}

// depind commands of the rewards module: `tx rewards claim|mint-credits|spend-credits|
// register-oracle|unbond-oracle|post-price` (signed with a keyring key through CosmJS and the SDK
// registry) and `query rewards params|epoch|epochs|device|device-history|claimable|prices|oracles|
// credits|totals|schedule` (ABCI queries printed as the Cosmos JSON of the response, like REST);
// `query rewards anchor-proof` exports a reward record with its proof for Ethereum.
import { isValidAddress } from '../../chain/crypto/address.ts';
import { root } from '../../chain/codec/proto.ts';
import { SECTORS } from '../../modules/devices/types.ts';
import { Q, queryPath, type QueryName } from '../../modules/rewards/types.ts';
import type * as Sdk from '../../sdk/index.ts';
import { broadcastSdkTx, moduleCliFlags } from './sdk-tx.ts';
import { abciQuery } from './node-rpc.ts';
import type { CliCommand, CliHelpers } from './devices-cli.ts';

type Values = Record<string, string | boolean | string[] | undefined>;

const uint = (s: string | undefined, what: string): bigint => {
  if (!s || !/^[0-9]+$/.test(s)) throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(s)}`);
  return BigInt(s);
};

/** "1.25" (USD per DPIN, up to 6 decimals) or "1250000u" (micro-USD) -> micro-USD per DPIN. */
export function parsePrice(s: string | undefined): bigint {
  if (s && /^[0-9]+u$/.test(s)) return BigInt(s.slice(0, -1));
  const m = s ? /^([0-9]+)(?:\.([0-9]{1,6}))?$/.exec(s) : null;
  if (!m) throw new Error(`price must be USD per DPIN like 1.25 (up to 6 decimals) or micro-USD like 1250000u, got ${JSON.stringify(s)}`);
  return BigInt(m[1]!) * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** "5000000udpin" or "5000000" -> udpin. */
const udpin = (s: string | undefined, what: string): bigint => {
  const m = s ? /^([0-9]+)(udpin)?$/.exec(s) : null;
  if (!m) throw new Error(`${what} must be an amount of udpin like 5000000udpin, got ${JSON.stringify(s)}`);
  return BigInt(m[1]!);
};

export function rewardsCommands(h: CliHelpers): Record<string, CliCommand> {
  const { common, client, txFlags, txUsage } = moduleCliFlags(h);

  const broadcast = (values: Values, keyName: string | undefined, build: (signer: string, s: typeof Sdk) => Sdk.EncodeObject[] | Promise<Sdk.EncodeObject[]>) =>
    broadcastSdkTx(h, values, keyName, build, /^(rewards_|credits_|oracle_|price_)/);

  async function query(values: Values, name: QueryName, request: Record<string, unknown>): Promise<void> {
    const req = Q[name][0].type;
    const res = root.lookupType(Q[name][1].type.fullName.slice(1));
    h.print((await abciQuery(values.node as string, queryPath(name), req, res, request)).json, 'json');
  }

  const id = (p: string[], i: number, what = 'DEVICE_ID') => uint(p[i], what);
  const page = { limit: { type: 'string' as const, default: '100' }, reverse: { type: 'boolean' as const } };
  const pagination = (v: Values) => ({ limit: v.limit as string, reverse: !!v.reverse });

  return {
    'tx rewards claim': {
      usage: `depind tx rewards claim OWNER_KEY [DEVICE_ID...] ${txUsage}`,
      summary: 'Claim what your devices earned and you have not claimed yet (no ids: every device; claiming twice pays once)',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (owner, s) => [s.claimRewardsMsg(owner, positionals.slice(1).map((x, i) => uint(x, `DEVICE_ID #${i + 1}`)))]),
    },
    'tx rewards mint-credits': {
      usage: `depind tx rewards mint-credits BUYER_KEY AMOUNT_UDPIN [--max-price USD] [--min-price USD] ${txUsage}`,
      summary: 'Burn udpin for non-transferable data credits (udc, 1,000,000 = $1) at the conservative oracle price',
      options: { ...txFlags, 'max-price': { type: 'string' }, 'min-price': { type: 'string' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (buyer, s) => [s.mintCreditsMsg(buyer, udpin(positionals[1], 'AMOUNT_UDPIN'), {
        maxPrice: values['max-price'] ? parsePrice(values['max-price'] as string) : undefined, minPrice: values['min-price'] ? parsePrice(values['min-price'] as string) : undefined,
      })]),
    },
    'tx rewards spend-credits': {
      usage: `depind tx rewards spend-credits BUYER_KEY (--device ID | --sector coverage|storage|compute|sensor) AMOUNT_UDC --event-id S ${txUsage}`,
      summary: 'Pay for a device\'s (or a sector\'s) service with data credits; the event id is unique per buyer',
      options: { ...txFlags, device: { type: 'string' }, sector: { type: 'string' }, 'event-id': { type: 'string' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (buyer, s) => {
        if (!values['event-id']) throw h.usageError('missing --event-id');
        if (!!values.device === !!values.sector) throw h.usageError('give exactly one of --device and --sector');
        const sector = values.sector ? SECTORS[values.sector as keyof typeof SECTORS] : undefined;
        if (values.sector && !sector) throw h.usageError(`--sector must be one of ${Object.keys(SECTORS).join(', ')}`);
        const target = values.device ? { deviceId: uint(values.device as string, '--device') } : { sector: sector! };
        return [s.spendCreditsMsg(buyer, target, uint(positionals[1], 'AMOUNT_UDC'), values['event-id'] as string)];
      }),
    },
    'tx rewards register-oracle': {
      usage: `depind tx rewards register-oracle ORACLE_KEY BOND_UDPIN ${txUsage}`,
      summary: 'Bond udpin as a price oracle (again: add to the bond)',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (o, s) => [s.registerOracleMsg(o, udpin(positionals[1], 'BOND_UDPIN'))]),
    },
    'tx rewards unbond-oracle': {
      usage: `depind tx rewards unbond-oracle ORACLE_KEY ${txUsage}`,
      summary: 'Leave the oracle set; the bond returns after the unbonding period (slashable until then)',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (o, s) => [s.unbondOracleMsg(o)]),
    },
    'tx rewards post-price': {
      usage: `depind tx rewards post-price ORACLE_KEY PRICE [--observed-at UNIX_SECONDS] ${txUsage}`,
      summary: 'Post the DPIN price in USD (1.25, or micro-USD as 1250000u); observed now unless --observed-at',
      options: { ...txFlags, 'observed-at': { type: 'string' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (o, s) => [s.postPriceMsg(o, parsePrice(positionals[1]), values['observed-at'] ? uint(values['observed-at'] as string, '--observed-at') : BigInt(Math.floor(Date.now() / 1000)))]),
    },
    'query rewards params': { usage: 'depind query rewards params [--node URL]', summary: 'Rewards parameters (emission schedule, shares, multipliers, oracle rules)', options: { ...common, ...client }, run: ({ values }) => query(values, 'Params', {}) },
    'query rewards epoch': {
      usage: 'depind query rewards epoch [EPOCH] [--node URL]',
      summary: 'An epoch\'s network summary: scheduled / re-emitted / minted, credits burned, subsidy-to-revenue, pool split, unallocated (default: the open epoch)',
      options: { ...common, ...client },
      run: ({ values, positionals }) => query(values, 'Epoch', { epoch: positionals[0] ? uint(positionals[0], 'EPOCH') : 0n }),
    },
    'query rewards epochs': { usage: 'depind query rewards epochs [--limit N] [--reverse] [--node URL]', summary: 'Epoch summaries (paginated)', options: { ...common, ...client, ...page }, run: ({ values }) => query(values, 'Epochs', { pagination: pagination(values) }) },
    'query rewards device': {
      usage: 'depind query rewards device DEVICE_ID [--epoch N] [--node URL]',
      summary: 'A device\'s breakdown in an epoch: proofs valid / invalid by reason, units, every multiplier, demand vs subsidy, withheld, earned; claimable per owner',
      options: { ...common, ...client, epoch: { type: 'string', default: '0' } },
      run: ({ values, positionals }) => query(values, 'DeviceEpoch', { deviceId: id(positionals, 0), epoch: uint(values.epoch as string, '--epoch') }),
    },
    'query rewards device-history': {
      usage: 'depind query rewards device-history DEVICE_ID [--limit N] [--reverse] [--node URL]',
      summary: 'A device\'s breakdowns across the kept epochs',
      options: { ...common, ...client, ...page },
      run: ({ values, positionals }) => query(values, 'DeviceEpochs', { deviceId: id(positionals, 0), pagination: pagination(values) }),
    },
    'query rewards claimable': {
      usage: 'depind query rewards claimable ADDRESS [--limit N] [--node URL]',
      summary: 'What an owner can claim, per device and in total',
      options: { ...common, ...client, ...page },
      async run({ values, positionals }) {
        if (!positionals[0] || !isValidAddress(positionals[0])) throw h.usageError('ADDRESS must be a depin1... address');
        await query(values, 'Claimable', { owner: positionals[0], pagination: pagination(values) });
      },
    },
    'query rewards prices': { usage: 'depind query rewards prices [--node URL]', summary: 'The oracle price now (median, conservative low/high, quorum, outliers, stale) and every post', options: { ...common, ...client }, run: ({ values }) => query(values, 'Prices', {}) },
    'query rewards oracles': { usage: 'depind query rewards oracles [--node URL]', summary: 'Registered oracles: bond, status, posts, outliers, slashed', options: { ...common, ...client, ...page }, run: ({ values }) => query(values, 'Oracles', { pagination: pagination(values) }) },
    'query rewards credits': {
      usage: 'depind query rewards credits ADDRESS [--node URL]',
      summary: 'Data credit balance (udc) and the udpin burned for it',
      options: { ...common, ...client },
      async run({ values, positionals }) {
        if (!positionals[0] || !isValidAddress(positionals[0])) throw h.usageError('ADDRESS must be a depin1... address');
        await query(values, 'Credits', { address: positionals[0] });
      },
    },
    'query rewards totals': { usage: 'depind query rewards totals [--node URL]', summary: 'Module totals: minted, paid, unallocated, earned, claimed, credits supply, oracle bonds, module balance', options: { ...common, ...client }, run: ({ values }) => query(values, 'Totals', {}) },
    'query rewards anchor-proof': {
      usage: 'depind query rewards anchor-proof DEVICE_ID OWNER [--checkpoint N] [--eth-rpc URL] [--node URL]',
      summary: 'The (device, owner) reward record provable on Ethereum: value, Merkle proof, acknowledged checkpoint and the RewardClaimVerifier.claim arguments (--eth-rpc: also ask DepinAnchor.verifyState)',
      options: { ...common, ...client, checkpoint: { type: 'string' }, 'eth-rpc': { type: 'string' } },
      async run({ values, positionals }) {
        const deviceId = id(positionals, 0);
        const owner = positionals[1];
        if (!owner || !isValidAddress(owner)) throw h.usageError('OWNER must be a depin1... address (the owner the device earned under)');
        const { rpcQuery, exportRewardRecord, rewardRecordJson, verifyOnEthereum } = await import('../anchor/proof-export.ts');
        const p = await exportRewardRecord(rpcQuery(values.node as string), deviceId, owner, { checkpoint: values.checkpoint ? uint(values.checkpoint as string, '--checkpoint') : undefined });
        const out: Record<string, unknown> = { ...rewardRecordJson(p), verified_locally: true };
        if (values['eth-rpc']) out.verified_on_ethereum = await verifyOnEthereum(p, values['eth-rpc'] as string);
        h.print(out, 'json');
      },
    },
    'query rewards schedule': {
      usage: 'depind query rewards schedule [--from EPOCH] [--count N] [--node URL]',
      summary: 'The published emission schedule per epoch',
      options: { ...common, ...client, from: { type: 'string', default: '0' }, count: { type: 'string', default: '20' } },
      run: ({ values }) => query(values, 'Schedule', { fromEpoch: uint(values.from as string, '--from'), count: Number(uint(values.count as string, '--count')) }),
    },
  };
}

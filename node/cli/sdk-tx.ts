// Signing and broadcasting for the module commands (`tx devices|feegrant|proofs|rewards ...`):
// a keyring key through CosmJS (SigningStargateClient + the SDK's registry), the same fee flags
// everywhere (--fees, or --gas auto|N at --gas-prices, optionally paid by --fee-granter), and the
// result printed with the events of the module that handled it.
import { Keyring } from '../keys/keyring.ts';
import { parseCoins } from '../../chain/coins.ts';
import type * as Sdk from '../../sdk/index.ts';
import type { CliHelpers } from './devices-cli.ts';

type Values = Record<string, string | boolean | string[] | undefined>;

/** Option tables shared by the module commands. */
export function moduleCliFlags(h: CliHelpers) {
  const common = { home: { type: 'string' as const }, help: { type: 'boolean' as const, short: 'h' } };
  const client = { node: { type: 'string' as const, default: h.defaultNode }, output: { type: 'string' as const, short: 'o', default: 'text' } };
  const txFlags = {
    ...common,
    ...client,
    fees: { type: 'string' as const },
    gas: { type: 'string' as const, default: 'auto' },
    'gas-prices': { type: 'string' as const, default: '0.025udpin' },
    'fee-granter': { type: 'string' as const },
    memo: { type: 'string' as const, default: '' },
  };
  const txUsage = '[--fees 5000udpin | --gas auto|N --gas-prices 0.025udpin] [--fee-granter ADDR] [--node URL] [--home DIR] [-o json]';
  return { common, client, txFlags, txUsage };
}

/** Signs `build`'s messages with keyring key `keyName`, broadcasts, waits for inclusion and prints
 * the result (events whose type matches `shown`); exit code 1 when the tx failed. */
export async function broadcastSdkTx(
  h: CliHelpers,
  values: Values,
  keyName: string | undefined,
  build: (signer: string, s: typeof Sdk) => Sdk.EncodeObject[] | Promise<Sdk.EncodeObject[]>,
  shown: RegExp,
): Promise<void> {
  if (!keyName) throw h.usageError('missing the signing key name');
  const s = await import('../../sdk/index.ts');
  const { DirectSecp256k1Wallet } = await import('@cosmjs/proto-signing');
  const { SigningStargateClient, GasPrice, calculateFee } = await import('@cosmjs/stargate');
  const kr = new Keyring((values.home as string) ?? h.defaultHome(false));
  const wallet = await DirectSecp256k1Wallet.fromKey(kr.privateKey(keyName), 'depin');
  const [account] = await wallet.getAccounts();
  const gasPrice = GasPrice.fromString(values['gas-prices'] as string);
  const c = await SigningStargateClient.connectWithSigner(values.node as string, wallet, { registry: s.depinRegistry(), gasPrice, broadcastPollIntervalMs: 300 });
  try {
    const msgs = await build(account!.address, s);
    const granter = values['fee-granter'] as string | undefined;
    let fee: 'auto' | { amount: readonly { denom: string; amount: string }[]; gas: string; granter?: string };
    if (values.fees) {
      const gas = values.gas === 'auto' ? '400000' : (values.gas as string);
      fee = { amount: parseCoins(values.fees as string).map((x) => ({ denom: x.denom, amount: x.amount.toString() })), gas, granter };
    } else if (values.gas === 'auto' && !granter) {
      fee = 'auto';
    } else {
      let gas: number;
      if (values.gas === 'auto') {
        // CosmJS's simulate has no fee granter: simulate with it so the grant's gas is counted.
        const abci = await s.DevicesClient.connect(values.node as string);
        gas = Math.ceil(Number(await s.simulateWithGranter(abci.abci, c.registry, account!.pubkey, (await c.getSequence(account!.address)).sequence, msgs, granter!)) * 1.3);
        abci.disconnect();
      } else gas = Number(values.gas);
      fee = { ...calculateFee(gas, gasPrice), granter };
    }
    const res = await c.signAndBroadcast(account!.address, msgs, fee as never, values.memo as string);
    if (values.output === 'json') h.print(res, 'json');
    else {
      const lines = [`txhash: ${res.transactionHash}`, `height: ${res.height}`, `code: ${res.code}`, `gas: ${res.gasUsed}/${res.gasWanted}`];
      for (const e of res.events) {
        if (shown.test(e.type)) lines.push(`${e.type}: ${e.attributes.filter((a) => a.key !== 'msg_index').map((a) => `${a.key}=${a.value}`).join(' ')}`);
      }
      if (res.code) lines.push(`log: ${res.rawLog}`);
      console.log(lines.join('\n'));
    }
    if (res.code !== 0) process.exitCode = 1;
  } finally {
    c.disconnect();
  }
}

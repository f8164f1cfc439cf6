// Fees for devices that send their own transactions without funds: the owner grants a fee
// allowance (MsgGrantAllowance) and the device's transactions name the owner as fee granter.
// CosmJS's simulate() cannot carry a granter, so its estimate misses the grant's own read and
// write; this simulates with the granter set, for an exact estimate.
import { encodeSecp256k1Pubkey } from '@cosmjs/amino';
import { encodePubkey, makeAuthInfoBytes, type EncodeObject, type Registry } from '@cosmjs/proto-signing';
import { calculateFee, GasPrice, type SigningStargateClient, type StdFee, type DeliverTxResponse } from '@cosmjs/stargate';
import { codec, u64 } from '../chain/codec/proto.ts';
import { TxRaw, SIGN_MODE_UNSPECIFIED } from '../chain/tx/types.ts';

const SimulateRequest = codec<{ txBytes: Uint8Array }>('cosmos.tx.v1beta1.SimulateRequest');
const SimulateResponse = codec<{ gasInfo?: { gasUsed?: never } | null }>('cosmos.tx.v1beta1.SimulateResponse');

interface Abci {
  queryAbci(path: string, request: Uint8Array): Promise<{ value: Uint8Array }>;
}

/** Gas used by `messages` signed by `pubkey` at `sequence`, with `granter` paying. */
export async function simulateWithGranter(abci: Abci, registry: Registry, pubkey: Uint8Array, sequence: number, messages: readonly EncodeObject[], granter: string, memo = ''): Promise<bigint> {
  const bodyBytes = registry.encode({ typeUrl: '/cosmos.tx.v1beta1.TxBody', value: { messages, memo } });
  const authInfoBytes = makeAuthInfoBytes([{ pubkey: encodePubkey(encodeSecp256k1Pubkey(pubkey)), sequence }], [], 0, granter, undefined, SIGN_MODE_UNSPECIFIED);
  const txBytes = TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [new Uint8Array()] });
  const { value } = await abci.queryAbci('/cosmos.tx.v1beta1.Service/Simulate', SimulateRequest.encode({ txBytes }));
  return u64(SimulateResponse.decode(value).gasInfo?.gasUsed);
}

/**
 * Signs and broadcasts `messages` from `signer` (typically a device key) with the fee paid by
 * `granter`'s allowance: simulate with the granter, add `multiplier` headroom, then broadcast.
 * `abci`: any CosmJS QueryClient on the same node (e.g. DevicesClient.abci).
 */
export async function signAndBroadcastGranted(client: SigningStargateClient, abci: Abci, signer: string, pubkey: Uint8Array, messages: readonly EncodeObject[], granter: string, opts: { gasPrice?: string; multiplier?: number; memo?: string } = {}): Promise<DeliverTxResponse> {
  const { sequence } = await client.getSequence(signer);
  const gas = await simulateWithGranter(abci, client.registry, pubkey, sequence, messages, granter, opts.memo);
  const fee: StdFee = { ...calculateFee(Math.ceil(Number(gas) * (opts.multiplier ?? 1.3)), GasPrice.fromString(opts.gasPrice ?? '0.025udpin')), granter };
  return client.signAndBroadcast(signer, messages, fee, opts.memo);
}

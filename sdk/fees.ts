// Fees for devices that send their own transactions without funds: the owner grants a fee
// allowance (MsgGrantAllowance) and the device's transactions name the owner as fee granter.
// CosmJS's simulate() cannot carry a granter, so its estimate misses the grant's own read and
// write; this simulates with the granter set, for an exact estimate.
import { encodeSecp256k1Pubkey } from '@cosmjs/amino';
import { encodePubkey, makeAuthInfoBytes, type EncodeObject, type Registry } from '@cosmjs/proto-signing';
import { calculateFee, GasPrice, type SigningStargateClient, type StdFee, type DeliverTxResponse } from '@cosmjs/stargate';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import { SignMode } from 'cosmjs-types/cosmos/tx/signing/v1beta1/signing';
import { SimulateRequest, SimulateResponse } from 'cosmjs-types/cosmos/tx/v1beta1/service';

interface Abci {
  queryAbci(path: string, request: Uint8Array): Promise<{ value: Uint8Array }>;
}

/** Gas used by `messages` signed by `pubkey` at `sequence`, with `granter` paying. */
export async function simulateWithGranter(abci: Abci, registry: Registry, pubkey: Uint8Array, sequence: number, messages: readonly EncodeObject[], granter: string, memo = ''): Promise<bigint> {
  const bodyBytes = registry.encode({ typeUrl: '/cosmos.tx.v1beta1.TxBody', value: { messages, memo } });
  const authInfoBytes = makeAuthInfoBytes([{ pubkey: encodePubkey(encodeSecp256k1Pubkey(pubkey)), sequence }], [], 0, granter, undefined, SignMode.SIGN_MODE_UNSPECIFIED);
  const txBytes = TxRaw.encode(TxRaw.fromPartial({ bodyBytes, authInfoBytes, signatures: [new Uint8Array()] })).finish();
  const { value } = await abci.queryAbci('/cosmos.tx.v1beta1.Service/Simulate', SimulateRequest.encode(SimulateRequest.fromPartial({ txBytes })).finish());
  return SimulateResponse.decode(value).gasInfo!.gasUsed;
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

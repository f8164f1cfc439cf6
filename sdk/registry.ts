// A CosmJS Registry that knows every depin message (and the cosmos.feegrant ones), built from the
// same protobufjs reflection root the node decodes with, so any CosmJS wallet
// (SigningStargateClient with this registry) can sign depin transactions.
import { Registry, type GeneratedType } from '@cosmjs/proto-signing';
import { defaultRegistryTypes } from '@cosmjs/stargate';
import protobuf from 'protobufjs';
import { root } from '../chain/codec/proto.ts';

/** decode() output: camelCase fields, 64-bit integers as bigint, enums as numbers. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: BigInt as never, enums: Number, defaults: true };

/** A CosmJS GeneratedType (encode / decode / fromPartial) over a protobufjs reflection type.
 * fromPartial accepts plain objects: bigint, number or decimal strings for 64-bit fields, enum
 * names or numbers, Uint8Array or base64 for bytes. */
export function generatedType(fullName: string): GeneratedType {
  const t = root.lookupType(fullName);
  return {
    encode: (message: object, writer?: protobuf.Writer) => t.encode(t.fromObject(message as Record<string, unknown>), writer),
    decode: (input: Uint8Array | protobuf.Reader, length?: number) => t.toObject(t.decode(input, length), TO_OBJECT),
    fromPartial: (object: object) => t.fromObject(object as Record<string, unknown>),
  } as unknown as GeneratedType;
}

function messagesOf(service: string): string[] {
  const s = root.lookupService(service);
  return s.methodsArray.map((m) => {
    m.resolve();
    return m.resolvedRequestType!.fullName.replace(/^\./, '');
  });
}

/** Every message of the depin Msg services (devices, proofs, rewards) and of cosmos.feegrant.v1beta1. */
export const DEPIN_MSG_TYPES: string[] = [...messagesOf('depin.devices.v1.Msg'), ...messagesOf('depin.proofs.v1.Msg'), ...messagesOf('depin.rewards.v1.Msg'), ...messagesOf('cosmos.feegrant.v1beta1.Msg')];

/** Cosmos SDK messages the chain handles that CosmJS's default registry lacks. */
const EXTRA_SDK_TYPES = ['cosmos.slashing.v1beta1.MsgUnjail'];

export const depinTypes: [string, GeneratedType][] = [...DEPIN_MSG_TYPES, ...EXTRA_SDK_TYPES].map((n) => ['/' + n, generatedType(n)]);

/** CosmJS's default types (bank, staking, ...) plus every depin and feegrant message. */
export function depinRegistry(): Registry {
  return new Registry([...defaultRegistryTypes, ...depinTypes]);
}

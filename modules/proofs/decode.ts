// Strict payload decoding: anything protobufjs cannot decode, or with fields of the wrong size, is
// ErrInvalidPayload (a transaction error: the chain cannot judge what it cannot read).
import type { Codec } from '../../chain/codec/proto.ts';
import { ErrInvalidPayload } from './errors.ts';

export function decodePayload<T>(codec: Codec<T>, bytes: Uint8Array, what: string): T {
  try {
    return codec.decode(bytes);
  } catch (err) {
    throw ErrInvalidPayload.wrap(`${what}: ${(err as Error).message}`);
  }
}

export function requireBytes(b: Uint8Array | undefined | null, n: number, field: string): Uint8Array {
  if (!b || b.length !== n) throw ErrInvalidPayload.wrap(`${field} must be ${n} bytes`);
  return b;
}

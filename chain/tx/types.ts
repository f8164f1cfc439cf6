// Decoded protobuf shapes of cosmos.tx.v1beta1 (camelCase, as protobufjs produces them).
import { codec, type U64 } from '../codec/proto.ts';
import type { ProtoCoin } from '../coins.ts';

export interface Any {
  typeUrl: string;
  value: Uint8Array;
}

export interface TxRawMsg {
  bodyBytes: Uint8Array;
  authInfoBytes: Uint8Array;
  signatures: Uint8Array[];
}

export interface TxBodyMsg {
  messages: Any[];
  memo: string;
  timeoutHeight: U64;
  unordered: boolean;
  timeoutTimestamp?: { seconds: U64; nanos: number } | null;
  extensionOptions: Any[];
  nonCriticalExtensionOptions: Any[];
}

export interface ModeInfoMsg {
  single?: { mode: number } | null;
  multi?: unknown;
}

export interface SignerInfoMsg {
  publicKey?: Any | null;
  modeInfo?: ModeInfoMsg | null;
  sequence: U64;
}

export interface FeeMsg {
  amount: ProtoCoin[];
  gasLimit: U64;
  payer: string;
  granter: string;
}

export interface AuthInfoMsg {
  signerInfos: SignerInfoMsg[];
  fee?: FeeMsg | null;
  tip?: { amount: ProtoCoin[]; tipper: string } | null;
}

export interface SignDocMsg {
  bodyBytes: Uint8Array;
  authInfoBytes: Uint8Array;
  chainId: string;
  accountNumber: U64 | string;
}

export const TxRaw = codec<TxRawMsg>('cosmos.tx.v1beta1.TxRaw');
export const TxBody = codec<TxBodyMsg>('cosmos.tx.v1beta1.TxBody');
export const AuthInfo = codec<AuthInfoMsg>('cosmos.tx.v1beta1.AuthInfo');
export const SignDoc = codec<SignDocMsg>('cosmos.tx.v1beta1.SignDoc');
export const PubKeySecp256k1 = codec<{ key: Uint8Array }>('cosmos.crypto.secp256k1.PubKey');

export const SECP256K1_PUBKEY_URL = '/cosmos.crypto.secp256k1.PubKey';
export const SIGN_MODE_UNSPECIFIED = 0;
export const SIGN_MODE_DIRECT = 1;

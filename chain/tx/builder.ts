// Builds and signs SIGN_MODE_DIRECT transactions without CosmJS: used by tests, benchmarks and
// the device SDK, where a small dependency-free signer matters. Produces the same bytes CosmJS
// does for the same inputs (checked against the spec's test vector).
import { sha256 } from '../crypto/hash.ts';
import { u64Field } from '../codec/proto.ts';
import { publicKeyCreate, signDigest } from '../crypto/secp256k1.ts';
import type { ProtoCoin } from '../coins.ts';
import { TxRaw, TxBody, AuthInfo, SignDoc, PubKeySecp256k1, SECP256K1_PUBKEY_URL, SIGN_MODE_DIRECT, type Any } from './types.ts';

export interface UnsignedTx {
  messages: Any[];
  memo?: string;
  timeoutHeight?: bigint;
  fee: ProtoCoin[];
  gasLimit: bigint;
}

export interface SignerData {
  privateKey: Uint8Array;
  chainId: string;
  accountNumber: bigint;
  sequence: bigint;
}

export function encodeBody(tx: UnsignedTx): Uint8Array {
  return TxBody.encode({
    messages: tx.messages,
    memo: tx.memo || undefined,
    timeoutHeight: u64Field(tx.timeoutHeight ?? 0n),
  } as never);
}

export function encodeAuthInfo(pubkey: Uint8Array, sequence: bigint, fee: ProtoCoin[], gasLimit: bigint, mode = SIGN_MODE_DIRECT): Uint8Array {
  return AuthInfo.encode({
    signerInfos: [{ publicKey: { typeUrl: SECP256K1_PUBKEY_URL, value: PubKeySecp256k1.encode({ key: pubkey }) }, modeInfo: { single: mode ? { mode } : {} }, sequence: u64Field(sequence) }],
    fee: { amount: fee, gasLimit: u64Field(gasLimit) },
  } as never);
}

export function signTx(tx: UnsignedTx, signer: SignerData): Uint8Array {
  const pubkey = publicKeyCreate(signer.privateKey);
  const bodyBytes = encodeBody(tx);
  const authInfoBytes = encodeAuthInfo(pubkey, signer.sequence, tx.fee, tx.gasLimit);
  const signDoc = SignDoc.encode({ bodyBytes, authInfoBytes, chainId: signer.chainId, accountNumber: u64Field(signer.accountNumber) } as never);
  const signature = signDigest(sha256(signDoc), signer.privateKey);
  return TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [signature] });
}

/** The unsigned form Simulate accepts (empty signature, SIGN_MODE_UNSPECIFIED), as CosmJS sends it. */
export function simulationTx(tx: UnsignedTx, pubkey: Uint8Array, sequence: bigint): Uint8Array {
  return TxRaw.encode({ bodyBytes: encodeBody(tx), authInfoBytes: encodeAuthInfo(pubkey, sequence, [], 0n, 0), signatures: [new Uint8Array()] });
}

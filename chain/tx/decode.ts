// Decodes broadcast bytes (TxRaw) into a typed transaction, resolving each message through the
// router. Everything here is stateless; anything that needs state is the ante handler's job.
import { txHash } from './tx-hash.ts';
import { u64 } from '../codec/proto.ts';
import { coinsFromProto, type Coin } from '../coins.ts';
import { ErrTxDecode, ErrInvalidPubKey, ErrUnknownExtensionOptions, ErrNotSupported, SdkError, ErrInvalidRequest } from '../errors.ts';
import type { MsgDef } from '../module.ts';
import type { Router } from '../router.ts';
import { TxRaw, TxBody, AuthInfo, PubKeySecp256k1, SECP256K1_PUBKEY_URL, type Any } from './types.ts';
import { bytesEqual } from '../codec/bytes.ts';

export interface DecodedMsg {
  typeUrl: string;
  value: unknown;
  def: MsgDef;
}

export interface SignerInfo {
  /** 33-byte compressed secp256k1 key, or undefined when the signer relies on the stored key. */
  pubkey: Uint8Array | undefined;
  mode: number;
  sequence: bigint;
}

export interface DecodedTx {
  raw: Uint8Array;
  /** sha256 of the exact broadcast bytes; uppercase hex of it is the tx hash. */
  hash: Uint8Array;
  bodyBytes: Uint8Array;
  authInfoBytes: Uint8Array;
  signatures: Uint8Array[];
  msgs: DecodedMsg[];
  memo: string;
  timeoutHeight: bigint;
  signerInfos: SignerInfo[];
  fee: { amount: Coin[]; gasLimit: bigint; payer: string; granter: string };
  /** Unique signer addresses in order of first appearance across messages (SDK GetSigners). */
  signers: string[];
}

function decodeOrThrow<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SdkError) throw err;
    throw ErrTxDecode.wrap(`failed to decode ${what}: ${(err as Error).message}`);
  }
}

export class TxDecoder {
  readonly router: Router;

  constructor(router: Router) {
    this.router = router;
  }

  decode(raw: Uint8Array, opts: { requireCanonical?: boolean } = {}): DecodedTx {
    if (raw.length === 0) throw ErrTxDecode.wrap('empty tx bytes');
    const txRaw = decodeOrThrow('TxRaw', () => TxRaw.decode(raw));
    // Unknown fields or non-minimal encodings in the unsigned envelope would let anyone mint new
    // tx hashes for the same signed content; the SDK rejects them, and so do we.
    if (opts.requireCanonical !== false && !bytesEqual(TxRaw.encode(txRaw), raw)) {
      throw ErrTxDecode.wrap('TxRaw is not canonically encoded (unknown or repeated fields)');
    }
    const body = decodeOrThrow('TxBody', () => TxBody.decode(txRaw.bodyBytes));
    const authInfo = decodeOrThrow('AuthInfo', () => AuthInfo.decode(txRaw.authInfoBytes));

    if (body.extensionOptions.length > 0) {
      throw ErrUnknownExtensionOptions.wrap(`unknown extension option ${body.extensionOptions[0]!.typeUrl}`);
    }
    if (body.unordered) throw ErrNotSupported.wrap('unordered transactions are not supported');
    if (body.timeoutTimestamp) throw ErrNotSupported.wrap('timeout_timestamp is not supported; use timeout_height');
    if (body.messages.length === 0) throw ErrInvalidRequest.wrap('tx must contain at least one message');

    const msgs = body.messages.map((any: Any): DecodedMsg => {
      const def = this.router.msgs.get(any.typeUrl);
      if (!def) throw ErrTxDecode.wrap(`unable to resolve type URL ${any.typeUrl}`);
      const value = decodeOrThrow(any.typeUrl, () => def.codec.decode(any.value));
      return { typeUrl: any.typeUrl, value, def };
    });

    const signerInfos = authInfo.signerInfos.map((si): SignerInfo => {
      let pubkey: Uint8Array | undefined;
      if (si.publicKey) {
        if (si.publicKey.typeUrl !== SECP256K1_PUBKEY_URL) {
          throw ErrInvalidPubKey.wrap(`unsupported public key type ${si.publicKey.typeUrl}; only secp256k1 is accepted`);
        }
        pubkey = decodeOrThrow('PubKey', () => PubKeySecp256k1.decode(si.publicKey!.value)).key;
        if (pubkey.length !== 33) throw ErrInvalidPubKey.wrap(`secp256k1 public key must be 33 bytes, got ${pubkey.length}`);
      }
      if (si.modeInfo?.multi) throw ErrNotSupported.wrap('multisig signers are not supported');
      return { pubkey, mode: si.modeInfo?.single?.mode ?? 0, sequence: u64(si.sequence) };
    });

    const fee = authInfo.fee;
    const signers: string[] = [];
    for (const m of msgs) {
      if (m.def.validateBasic) m.def.validateBasic(m.value);
      for (const s of m.def.signers(m.value)) if (!signers.includes(s)) signers.push(s);
    }

    return {
      raw,
      hash: txHash(raw),
      bodyBytes: txRaw.bodyBytes,
      authInfoBytes: txRaw.authInfoBytes,
      signatures: txRaw.signatures,
      msgs,
      memo: body.memo,
      timeoutHeight: u64(body.timeoutHeight),
      signerInfos,
      fee: {
        amount: coinsFromProto(fee?.amount),
        gasLimit: u64(fee?.gasLimit),
        payer: fee?.payer ?? '',
        granter: fee?.granter ?? '',
      },
      signers,
    };
  }
}

export function txHashHex(hash: Uint8Array): string {
  return Buffer.from(hash).toString('hex').toUpperCase();
}

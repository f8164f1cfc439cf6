// The ante handler: everything a tx must pass before its messages run, in the Cosmos SDK's order
// (gas setup, basic checks, timeout, memo, size gas, fee deduction, pubkeys, signature limits,
// signature gas, sequence + signature verification, sequence increment). Its writes (fee, sequence,
// pubkey) land on their own branch, so a tx whose messages fail still pays and bumps its sequence.
import type { Context } from '../../chain/context.ts';
import type { DecodedTx } from '../../chain/tx/decode.ts';
import { u64Field } from '../../chain/codec/proto.ts';
import { SignDoc, SIGN_MODE_DIRECT, SIGN_MODE_UNSPECIFIED } from '../../chain/tx/types.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { verifyDigest, isLowS } from '../../chain/crypto/secp256k1.ts';
import { event } from '../../chain/events.ts';
import { amountOf, formatCoins, requiredFee, type Coin } from '../../chain/coins.ts';
import {
  ErrNoSignatures, ErrUnauthorized, ErrTxTimeoutHeight, ErrMemoTooLarge, ErrInsufficientFee, ErrUnknownAddress,
  ErrInvalidPubKey, ErrTooManySignatures, ErrWrongSequence, ErrNotSupported, ErrInsufficientFunds, SdkError,
} from '../../chain/errors.ts';
import type { Account, AccountKeeper } from './keeper.ts';
import type { BankKeeperI } from '../bank/keeper.ts';

export const FEE_COLLECTOR = 'fee_collector';

export interface AnteDeps {
  auth: Pick<AccountKeeper, 'getAccount' | 'hasAccount' | 'setAccount' | 'setPubkey' | 'params'>;
  bank: Pick<BankKeeperI, 'sendCoinsFromAccountToModule' | 'touchForFee'>;
  /** Denom whose fee deduction Simulate charges for when the simulated tx carries no fee. */
  feeDenom?: string;
  /** Fee grants (modules/feegrant): lets fee.granter pay the fee payer's fees. */
  feegrant?: { useGrantedFees(ctx: Context, granter: string, grantee: string, fee: Coin[], msgTypeUrls: string[]): void };
}

import type { AnteOptions } from '../../chain/app.ts';

const SIGN_MODE_NAMES: Record<number, string> = { 0: 'SIGN_MODE_UNSPECIFIED', 2: 'SIGN_MODE_TEXTUAL', 3: 'SIGN_MODE_DIRECT_AUX', 127: 'SIGN_MODE_LEGACY_AMINO_JSON', 191: 'SIGN_MODE_EIP_191' };

export function signBytes(tx: Pick<DecodedTx, 'bodyBytes' | 'authInfoBytes'>, chainId: string, accountNumber: bigint): Uint8Array {
  // account_number 0 is omitted on the wire (proto3), exactly as the signer encoded it.
  return SignDoc.encode({ bodyBytes: tx.bodyBytes, authInfoBytes: tx.authInfoBytes, chainId, accountNumber: u64Field(accountNumber) } as never);
}

/** The signatures a tx needs (for verification ahead of CheckTx, off the main thread). */
export function signatureJobs(deps: AnteDeps) {
  return (ctx: Context, tx: DecodedTx) => {
    const jobs = [];
    const accountNumbers = [];
    for (let i = 0; i < tx.signers.length; i++) {
      const acc = deps.auth.getAccount(ctx, tx.signers[i]!);
      const pubkey = acc?.pubkey ?? tx.signerInfos[i]?.pubkey;
      const sig = tx.signatures[i];
      if (!acc || !pubkey || !sig) return undefined;
      jobs.push({ sig, digest: sha256(signBytes(tx, ctx.block.chainId, acc.accountNumber)), pubkey });
      accountNumbers.push(acc.accountNumber);
    }
    return { jobs, accountNumbers };
  };
}

/** Builds the ante handler the App runs before every tx's messages. */
export function anteHandler(deps: AnteDeps) {
  return (ctx: Context, tx: DecodedTx, opts: AnteOptions): void => runAnte(ctx, tx, deps, opts);
}

export function runAnte(ctx: Context, tx: DecodedTx, deps: AnteDeps, opts: AnteOptions): void {
  const params = deps.auth.params(ctx);
  const nSigners = tx.signers.length;

  // Basic shape: one signer info and one signature per required signer.
  if (!opts.simulate && tx.signatures.length === 0) throw ErrNoSignatures;
  if (tx.signatures.length !== nSigners) {
    throw ErrUnauthorized.wrap(`wrong number of signatures; expected ${nSigners}, got ${tx.signatures.length}`);
  }
  if (tx.signerInfos.length !== nSigners) {
    throw ErrUnauthorized.wrap(`wrong number of signer infos; expected ${nSigners}, got ${tx.signerInfos.length}`);
  }
  if (BigInt(nSigners) > params.txSigLimit) {
    throw ErrTooManySignatures.wrap(`signatures: ${nSigners}, limit: ${params.txSigLimit}`);
  }
  if (tx.timeoutHeight > 0n && ctx.block.height > tx.timeoutHeight) {
    throw ErrTxTimeoutHeight.wrap(`block height: ${ctx.block.height}, timeout height: ${tx.timeoutHeight}`);
  }
  // UTF-16 length bounds the character count from above, so most memos skip the count.
  const memoChars = BigInt(tx.memo.length) <= params.maxMemoCharacters ? tx.memo.length : [...tx.memo].length;
  if (BigInt(memoChars) > params.maxMemoCharacters) {
    throw ErrMemoTooLarge.wrap(`maximum number of characters is ${params.maxMemoCharacters} but received ${memoChars} characters`);
  }

  // Size gas; a simulated tx carries empty signatures, so charge for the real ones it will carry.
  const simulatedSigBytes = opts.simulate ? nSigners * 66 : 0;
  ctx.gasMeter.consume(Number(params.txSizeCostPerByte) * (tx.raw.length + simulatedSigBytes), 'txSize');

  // Fees: validator minimum (mempool admission only, as in the SDK), then deduction by the payer.
  const payer = tx.fee.payer || tx.signers[0]!;
  if (!tx.signers.includes(payer)) throw ErrUnauthorized.wrap(`fee payer ${payer} must sign the tx`);
  if ((ctx.mode === 'check') && opts.minGasPrice && opts.minGasPrice.numerator > 0n) {
    const need = requiredFee(opts.minGasPrice, tx.fee.gasLimit);
    const got = amountOf(tx.fee.amount, opts.minGasPrice.denom);
    if (got < need) {
      throw ErrInsufficientFee.wrap(`insufficient fees; got: ${formatCoins(tx.fee.amount) || '0' + opts.minGasPrice.denom} required: ${need}${opts.minGasPrice.denom}`);
    }
  }
  // ---- fee grant: the granter's allowance pays for the payer (SDK DeductFeeDecorator) ----
  let deductFrom = payer;
  if (tx.fee.granter) {
    if (!deps.feegrant) throw ErrNotSupported.wrap('fee grants are not enabled');
    if (tx.fee.granter !== payer) deps.feegrant.useGrantedFees(ctx, tx.fee.granter, payer, tx.fee.amount, tx.msgs.map((m) => m.typeUrl));
    deductFrom = tx.fee.granter;
  }
  // ---- end fee grant ----
  if (opts.simulate && tx.fee.amount.length === 0) {
    // CosmJS simulates with an empty fee; charge the gas the real fee payment will cost.
    if (deps.auth.hasAccount(ctx, deductFrom)) deps.bank.touchForFee(ctx, deductFrom, FEE_COLLECTOR, deps.feeDenom ?? 'udpin');
  } else if (tx.fee.amount.length > 0) {
    if (!deps.auth.hasAccount(ctx, deductFrom)) throw ErrUnknownAddress.wrap(`fee payer address: ${deductFrom} does not exist`);
    try {
      deps.bank.sendCoinsFromAccountToModule(ctx, deductFrom, FEE_COLLECTOR, tx.fee.amount);
    } catch (err) {
      if (err instanceof SdkError && err.code === ErrInsufficientFunds.code && err.codespace === 'sdk') {
        throw ErrInsufficientFunds.wrap(`${err.message}: insufficient funds to pay for fees`);
      }
      throw err;
    }
  }
  if (ctx.events.enabled) ctx.events.emit(event('tx', { fee: formatCoins(tx.fee.amount), fee_payer: deductFrom }));

  // Signers: load accounts, settle public keys, charge signature gas, check sequences.
  const accounts: Account[] = [];
  for (let i = 0; i < nSigners; i++) {
    const addr = tx.signers[i]!;
    const acc = deps.auth.getAccount(ctx, addr);
    if (!acc) throw ErrUnknownAddress.wrap(`account ${addr} does not exist`);
    const info = tx.signerInfos[i]!;
    if (info.pubkey) {
      if (!acc.pubkey) deps.auth.setPubkey(acc, info.pubkey);
      else if (Buffer.compare(acc.pubkey, info.pubkey) !== 0) throw ErrInvalidPubKey.wrap(`pubkey does not match the one stored for ${addr}`);
    }
    if (!acc.pubkey) throw ErrInvalidPubKey.wrap(`pubkey on account ${addr} is not set`);
    ctx.gasMeter.consume(Number(params.sigVerifyCostSecp256k1), 'ante verify: secp256k1');
    if (info.sequence !== acc.sequence) {
      throw ErrWrongSequence.wrap(`account sequence mismatch, expected ${acc.sequence}, got ${info.sequence}`);
    }
    const mode = info.mode;
    if (mode !== SIGN_MODE_DIRECT && !(opts.simulate && mode === SIGN_MODE_UNSPECIFIED)) {
      throw ErrNotSupported.wrap(`sign mode ${SIGN_MODE_NAMES[mode] ?? mode} is not supported; sign with SIGN_MODE_DIRECT`);
    }
    accounts.push(acc);
  }

  if (!opts.simulate) {
    const numbers = accounts.map((a) => a.accountNumber);
    if (!opts.signaturesVerified?.(tx, numbers)) {
      for (let i = 0; i < nSigners; i++) {
        const acc = accounts[i]!;
        const sig = tx.signatures[i]!;
        if (sig.length === 64 && !isLowS(sig)) {
          throw ErrUnauthorized.wrap('signature verification failed; signature has a high S value (malleable), normalize it to low S');
        }
        const digest = sha256(signBytes(tx, ctx.block.chainId, acc.accountNumber));
        if (!verifyDigest(sig, digest, acc.pubkey!)) {
          throw ErrUnauthorized.wrap(`signature verification failed; please verify account number (${acc.accountNumber}), sequence (${acc.sequence}) and chain-id (${ctx.block.chainId})`);
        }
      }
      opts.onSignaturesVerified?.(tx, numbers);
    }
  }

  for (let i = 0; i < nSigners; i++) {
    const acc = accounts[i]!;
    if (ctx.events.enabled) ctx.events.emit(event('tx', { acc_seq: `${acc.address}/${acc.sequence}` }));
    acc.sequence += 1n;
    deps.auth.setAccount(ctx, acc);
  }
  if (ctx.events.enabled) for (const sig of tx.signatures) ctx.events.emit(event('tx', { signature: Buffer.from(sig).toString('base64') }));
}

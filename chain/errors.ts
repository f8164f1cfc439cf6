// Errors with a codespace and code, as the Cosmos SDK reports them. Clients (CosmJS) surface
// `code`, `codespace` and `log`; the codes below keep the SDK's numbering in the "sdk" codespace
// so error handling written for other Cosmos chains works here.

export class SdkError extends Error {
  readonly codespace: string;
  readonly code: number;
  readonly description: string;

  constructor(codespace: string, code: number, description: string, detail?: string) {
    super(detail ? `${detail}: ${description}` : description);
    this.codespace = codespace;
    this.code = code;
    this.description = description;
  }

  /** Same error class with a more specific message, e.g. wrap('expected 1, got 0'). */
  wrap(detail: string): SdkError {
    return new SdkError(this.codespace, this.code, this.description, detail);
  }
}

/** Declares an error for a module; call `.wrap(detail)` to throw it with context. */
export function registerError(codespace: string, code: number, description: string): SdkError {
  return new SdkError(codespace, code, description);
}

const sdk = (code: number, description: string) => registerError('sdk', code, description);

export const ErrTxDecode = sdk(2, 'tx parse error');
export const ErrInvalidSequence = sdk(3, 'invalid sequence');
export const ErrUnauthorized = sdk(4, 'unauthorized');
export const ErrInsufficientFunds = sdk(5, 'insufficient funds');
export const ErrUnknownRequest = sdk(6, 'unknown request');
export const ErrInvalidAddress = sdk(7, 'invalid address');
export const ErrInvalidPubKey = sdk(8, 'invalid pubkey');
export const ErrUnknownAddress = sdk(9, 'unknown address');
export const ErrInvalidCoins = sdk(10, 'invalid coins');
export const ErrOutOfGas = sdk(11, 'out of gas');
export const ErrMemoTooLarge = sdk(12, 'memo too large');
export const ErrInsufficientFee = sdk(13, 'insufficient fee');
export const ErrTooManySignatures = sdk(14, 'maximum number of signatures exceeded');
export const ErrNoSignatures = sdk(15, 'no signatures supplied');
export const ErrInvalidRequest = sdk(18, 'invalid request');
export const ErrTxInMempoolCache = sdk(19, 'tx already in mempool');
export const ErrMempoolIsFull = sdk(20, 'mempool is full');
export const ErrTxTooLarge = sdk(21, 'tx too large');
export const ErrKeyNotFound = sdk(22, 'key not found');
export const ErrInvalidSigner = sdk(24, 'tx intended signer does not match the given signer');
export const ErrInvalidHeight = sdk(26, 'invalid height');
export const ErrInvalidChainID = sdk(28, 'invalid chain-id');
export const ErrInvalidType = sdk(29, 'invalid type');
export const ErrTxTimeoutHeight = sdk(30, 'tx timeout height');
export const ErrUnknownExtensionOptions = sdk(31, 'unknown extension options');
export const ErrWrongSequence = sdk(32, 'incorrect account sequence');
export const ErrLogic = sdk(35, 'internal logic error');
export const ErrNotSupported = sdk(37, 'feature not supported');
export const ErrNotFound = sdk(38, 'not found');
export const ErrInvalidGasLimit = sdk(41, 'invalid gas limit');

/** Turns anything thrown during execution into an SdkError; unexpected exceptions become ErrLogic
 * (code 35) rather than crashing the node, but keep their message for the log. */
export function toSdkError(err: unknown): SdkError {
  if (err instanceof SdkError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return ErrLogic.wrap(msg);
}

// Bank errors in the "bank" codespace (numbers as in x/bank/types/errors.go).
import { registerError } from '../../chain/errors.ts';

export const ErrNoInputs = registerError('bank', 2, 'no inputs to send transaction');
export const ErrNoOutputs = registerError('bank', 3, 'no outputs to send transaction');
export const ErrInputOutputMismatch = registerError('bank', 4, 'sum inputs != sum outputs');
export const ErrSendDisabled = registerError('bank', 5, 'send transactions are disabled');
export const ErrDenomMetadataNotFound = registerError('bank', 6, 'client denom metadata not found');
export const ErrMultipleSenders = registerError('bank', 12, 'multiple senders not allowed');

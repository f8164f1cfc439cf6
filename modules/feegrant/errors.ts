// Fee grant errors in the "feegrant" codespace (numbers as in the SDK's x/feegrant/errors.go).
import { registerError } from '../../chain/errors.ts';

export const ErrFeeLimitExceeded = registerError('feegrant', 2, 'fee limit exceeded');
export const ErrFeeLimitExpired = registerError('feegrant', 3, 'fee allowance expired');
export const ErrInvalidDuration = registerError('feegrant', 4, 'invalid duration');
export const ErrNoAllowance = registerError('feegrant', 5, 'no allowance');
export const ErrNoMessages = registerError('feegrant', 6, 'allowed messages are empty');
export const ErrMessageNotAllowed = registerError('feegrant', 7, 'message not allowed');

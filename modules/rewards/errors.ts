// Rewards errors in the "rewards" codespace (stable codes: clients match on them).
import { registerError } from '../../chain/errors.ts';

const e = (code: number, description: string) => registerError('rewards', code, description);

export const ErrInvalidField = e(2, 'invalid field');
export const ErrNotAuthority = e(3, 'signer is not the rewards authority');
export const ErrNoPrice = e(4, 'no oracle price posted');
export const ErrPriceStale = e(5, 'oracle price is stale');
export const ErrNoQuorum = e(6, 'oracle price has no quorum');
export const ErrPriceGuard = e(7, 'oracle price outside the bounds the buyer accepted');
export const ErrInsufficientCredits = e(8, 'insufficient data credits');
export const ErrBelowMinimum = e(9, 'amount below the per-message minimum');
export const ErrDuplicateEvent = e(10, 'event id already spent');
export const ErrDeviceNotFound = e(11, 'device not found');
export const ErrDeviceInactive = e(12, 'device is not active');
export const ErrOracleNotFound = e(13, 'oracle not registered');
export const ErrOracleNotActive = e(14, 'oracle is not active');
export const ErrBondTooSmall = e(15, 'oracle bond below the minimum');
export const ErrStalePost = e(16, 'price observation too old or in the future');
export const ErrPostTooFrequent = e(17, 'price posted too soon after the previous post');
export const ErrTooManyOracles = e(18, 'oracle set is full');
export const ErrZeroCredits = e(19, 'amount buys no credits');
export const ErrInvalidPrice = e(20, 'invalid price');

// Staking errors in the "staking" codespace, numbered as x/staking/types/errors.go.
import { registerError } from '../../chain/errors.ts';

const e = (code: number, description: string) => registerError('staking', code, description);

export const ErrEmptyValidatorAddr = e(2, 'empty validator address');
export const ErrNoValidatorFound = e(3, 'validator does not exist');
export const ErrValidatorOwnerExists = e(4, 'validator already exist for this operator address; must use new validator operator address');
export const ErrValidatorPubKeyExists = e(5, 'validator already exist for this pubkey; must use new validator pubkey');
export const ErrValidatorPubKeyTypeNotSupported = e(6, 'validator pubkey type is not supported');
export const ErrValidatorJailed = e(7, 'validator for this address is currently jailed');
export const ErrCommissionNegative = e(9, 'commission must be positive');
export const ErrCommissionHuge = e(10, 'commission cannot be more than 100%');
export const ErrCommissionGTMaxRate = e(11, 'commission cannot be more than the max rate');
export const ErrCommissionUpdateTime = e(12, 'commission cannot be changed more than once in 24h');
export const ErrCommissionChangeRateNegative = e(13, 'commission change rate must be positive');
export const ErrCommissionChangeRateGTMaxRate = e(14, 'commission change rate cannot be more than the max rate');
export const ErrCommissionGTMaxChangeRate = e(15, 'commission cannot be changed more than max change rate');
export const ErrSelfDelegationBelowMinimum = e(16, "validator's self delegation must be greater than their minimum self delegation");
export const ErrMinSelfDelegationDecreased = e(17, 'minimum self delegation cannot be decrease');
export const ErrEmptyDelegatorAddr = e(18, 'empty delegator address');
export const ErrNoDelegation = e(19, 'no delegation for (address, validator) tuple');
export const ErrInsufficientShares = e(22, 'insufficient delegation shares');
export const ErrNotEnoughDelegationShares = e(24, 'not enough delegation shares');
export const ErrNoUnbondingDelegation = e(26, 'no unbonding delegation found');
export const ErrMaxUnbondingDelegationEntries = e(27, 'too many unbonding delegation entries for (delegator, validator) tuple');
export const ErrTinyRedelegationAmount = e(30, 'too few tokens to redelegate (truncates to zero tokens)');
export const ErrDelegatorShareExRateInvalid = e(34, 'cannot delegate to validators with invalid (zero) ex-rate');
export const ErrEmptyValidatorPubKey = e(39, 'empty validator public key');
export const ErrCommissionLTMinRate = e(40, 'commission cannot be less than min rate');

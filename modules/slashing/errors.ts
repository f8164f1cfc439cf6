// Slashing errors in the "slashing" codespace, numbered as x/slashing/types/errors.go.
import { registerError } from '../../chain/errors.ts';

const e = (code: number, description: string) => registerError('slashing', code, description);

export const ErrNoValidatorForAddress = e(2, 'address is not associated with any known validator');
export const ErrBadValidatorAddr = e(3, 'validator does not exist for that address');
export const ErrValidatorJailed = e(4, 'validator still jailed; cannot be unjailed');
export const ErrValidatorNotJailed = e(5, 'validator not jailed; cannot be unjailed');
export const ErrMissingSelfDelegation = e(6, 'validator has no self-delegation; cannot be unjailed');
export const ErrSelfDelegationTooLowToUnjail = e(7, "validator's self delegation less than minimum; cannot be unjailed");
export const ErrNoSigningInfoFound = e(8, 'no validator signing info found');
export const ErrValidatorTombstoned = e(9, 'validator already tombstoned');

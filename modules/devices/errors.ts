// Errors of the devices module (codespace "devices"). Every Sybil or forgery attempt maps to one
// of these, so clients can tell exactly which requirement failed.
import { registerError } from '../../chain/errors.ts';

const e = (code: number, description: string) => registerError('devices', code, description);

export const ErrUnknownManufacturer = e(2, 'unknown manufacturer');
export const ErrManufacturerNotActive = e(3, 'manufacturer is not active');
export const ErrModelNotAllowed = e(4, 'model not allowed for this manufacturer');
export const ErrInvalidAttestation = e(5, 'invalid manufacturer attestation');
export const ErrInvalidDeviceSignature = e(6, 'invalid device signature: no proof of key possession');
export const ErrDeviceKeyExists = e(7, 'device key already registered');
export const ErrSerialExists = e(8, 'serial already registered for this manufacturer');
export const ErrQuotaExceeded = e(9, 'manufacturer device quota exceeded');
export const ErrInsufficientFee = e(10, 'fee offered is below the required fee');
export const ErrStaleNonce = e(11, 'registration nonce already used');
export const ErrDeviceNotFound = e(12, 'device not found');
export const ErrNotOwner = e(13, 'signer is not the device owner');
export const ErrInvalidCell = e(14, 'invalid H3 cell');
export const ErrLocationCooldown = e(15, 'location cool-down has not elapsed');
export const ErrLocationUnchanged = e(16, 'device is already at this location');
export const ErrDeviceInactive = e(17, 'device is not active');
export const ErrBanned = e(18, 'banned');
export const ErrNotBanned = e(19, 'not banned');
export const ErrNotAuthority = e(20, 'signer is not the devices authority');
export const ErrManufacturerExists = e(21, 'manufacturer already exists');
export const ErrBondNotPosted = e(22, 'manufacturer bond not posted');
export const ErrInvalidKey = e(23, 'invalid device public key');
export const ErrInvalidField = e(24, 'invalid field');
export const ErrAppealExists = e(25, 'an appeal is already pending for this ban');
export const ErrInvalidStatus = e(26, 'invalid status change');
export const ErrNotDeviceAccount = e(27, "signer is not the device's own account");
export const ErrNotOperator = e(28, "signer is not the manufacturer's operator");

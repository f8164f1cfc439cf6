// Anchor errors in the "anchor" codespace.
import { registerError } from '../../chain/errors.ts';

export const ErrUnknownCheckpoint = registerError('anchor', 2, 'unknown checkpoint');
export const ErrAlreadyAcknowledged = registerError('anchor', 3, 'checkpoint already acknowledged');
export const ErrNotValidator = registerError('anchor', 4, 'not a validator of this checkpoint');
export const ErrDuplicateConfirmation = registerError('anchor', 5, 'validator already confirmed this checkpoint');
export const ErrInvalidSignature = registerError('anchor', 6, 'invalid validator signature');
export const ErrNotSigned = registerError('anchor', 7, 'checkpoint is not signed by a quorum yet');
export const ErrDuplicateAck = registerError('anchor', 8, 'validator already acknowledged this checkpoint in this round');
export const ErrInvalidGenesis = registerError('anchor', 9, 'invalid anchor genesis');

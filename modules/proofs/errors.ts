// Transaction errors of the proofs module (codespace "proofs"). These fail the whole message and
// change nothing but the fee and the signer's sequence. They are reserved for what cannot be
// attributed to a device or cannot be judged: undecodable or forged envelopes, envelopes for
// another chain, unknown or inactive devices, stale sequences, replayed windows and seeds that do
// not (yet) exist. Everything a device did sign and the chain can judge is RECORDED instead, as a
// verdict with a reason code (reasons.ts), so its operator can see why it did not pay.
import { registerError } from '../../chain/errors.ts';

const e = (code: number, description: string) => registerError('proofs', code, description);

// Envelope level (README "Transaction errors").
export const ErrInvalidEnvelope = e(2, 'invalid envelope');
export const ErrWrongChainId = e(3, 'envelope is for another chain');
export const ErrUnsupportedVersion = e(4, 'unsupported proof protocol version');
export const ErrUnknownKind = e(5, 'unknown proof kind');
export const ErrUnknownDevice = e(6, 'unknown device');
export const ErrWrongSector = e(7, "proof kind does not match the device's sector");
export const ErrDeviceInactive = e(8, 'device is not active');
export const ErrDeviceBanned = e(9, 'device is banned');
export const ErrPayloadHash = e(10, 'payload does not match the payload hash');
export const ErrInvalidSignature = e(11, 'invalid device signature');
export const ErrStaleSequence = e(12, 'sequence not above the device\'s last sequence (replay)');
export const ErrInvalidPayload = e(13, 'invalid proof payload');
export const ErrSeedNotAvailable = e(14, 'seed does not exist yet (proof answered before its seed existed)');
export const ErrSeedExpired = e(15, 'seed expired: the proof window is closed');
export const ErrSeedMismatch = e(16, 'envelope seed is not the seed of its window');
export const ErrDuplicateProof = e(17, 'the device already submitted this kind of proof for this window');
export const ErrUnknownSubject = e(18, 'unknown data set or job');
export const ErrTooManyEnvelopes = e(19, 'too many envelopes in one message');
// Other messages.
export const ErrInvalidField = e(30, 'invalid field');
export const ErrNotOwner = e(31, 'signer is not the device owner');
export const ErrNotAuthority = e(32, 'signer is not the proofs authority');
export const ErrBondTooSmall = e(33, 'bond below the minimum');
export const ErrNotBonded = e(34, 'not bonded');
export const ErrUnbonding = e(35, 'bond is unbonding');
export const ErrDataSetNotFound = e(36, 'data set not found');
export const ErrJobNotFound = e(37, 'job not found');
export const ErrJobState = e(38, 'job is not in a state that allows this');
export const ErrNotTenant = e(39, 'signer is not the job tenant');
export const ErrNotCheckParticipant = e(40, 'device is not a provider of this spot check');
export const ErrCommitmentMismatch = e(41, 'reveal does not match the commitment');
export const ErrDisputeNotFound = e(42, 'dispute not found');
export const ErrNotCommittee = e(43, 'verifier is not on the dispute committee');
export const ErrAlreadyVoted = e(44, 'verifier already voted');
export const ErrDisputeClosed = e(45, 'dispute is closed');
export const ErrProofNotFound = e(46, 'proof not found');
export const ErrNotChallengeable = e(47, 'proof cannot be challenged');
export const ErrChallengeNotFound = e(48, 'challenge not found');
export const ErrChallengeClosed = e(49, 'challenge already resolved');
export const ErrBusy = e(50, 'bond is in use');

// Double-sign protection for a validator's consensus key (CometBFT's FilePV). The signer remembers
// the last (height, round, step) it signed, with the exact sign bytes and signature, and writes that
// to disk (fsync + atomic rename) BEFORE the signature leaves this object. It then:
// - refuses anything at an earlier height/round/step (a restarted or confused node going backwards);
// - at the same height/round/step, returns the stored signature for the identical request (a retry
//   after a crash between signing and broadcasting), also when only the timestamp differs (the
//   stored timestamp comes back with it), and refuses any other content.
// So whatever the engine does after a crash, this key never signs two different votes or proposals
// for one height/round/step.
import { existsSync, readFileSync } from 'node:fs';
import { ValidatorKey } from '../validator-key.ts';
import { writeFileAtomicSync } from './durable-file.ts';
import { CanonicalProposalCodec, proposalSignBytes, voteSignBytes } from './sign-bytes.ts';
import { CanonicalVoteCodec } from '../store/block-types.ts';
import { blockIdFromProto } from './codec.ts';
import { i64 } from '../../chain/codec/proto.ts';
import { DoubleSignError, type ConsensusSigner } from './signer.ts';
import {
  STEP_PROPOSE, bytesEqual, stepName, voteStep,
  type Proposal, type Step, type Timestamp, type UnsignedProposal, type UnsignedVote, type Vote,
} from './types.ts';

export interface LastSignState {
  height: bigint;
  round: number;
  step: Step;
  signBytes: Uint8Array;
  signature: Uint8Array;
  timestamp: Timestamp;
}

/** Where the last-sign state lives. save() must be durable when it returns. */
export interface SignStateStore {
  load(): LastSignState | undefined;
  save(state: LastSignState): void;
}

interface StateFile {
  height: string;
  round: number;
  step: number;
  signature: string; // base64
  signbytes: string; // hex
  timestamp: { seconds: string; nanos: number };
}

/** CometBFT-style data/priv_validator_state.json, replaced atomically on every signature. */
export class FileSignStateStore implements SignStateStore {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  load(): LastSignState | undefined {
    if (!existsSync(this.path)) return undefined;
    // A file we cannot read is a hard error: signing on with a forgotten state could double-sign.
    let f: StateFile;
    try {
      f = JSON.parse(readFileSync(this.path, 'utf8')) as StateFile;
    } catch (err) {
      throw new Error(`cannot read the validator sign state ${this.path}: ${(err as Error).message} (refusing to sign without it)`);
    }
    const step = f.step;
    if (typeof f.height !== 'string' || !/^\d+$/.test(f.height) || !Number.isInteger(f.round) || f.round < 0 || (step !== 1 && step !== 2 && step !== 3) ||
      typeof f.signature !== 'string' || typeof f.signbytes !== 'string' || !f.timestamp) {
      throw new Error(`validator sign state ${this.path} is malformed (refusing to sign without it)`);
    }
    return {
      height: BigInt(f.height), round: f.round, step,
      signature: new Uint8Array(Buffer.from(f.signature, 'base64')), signBytes: new Uint8Array(Buffer.from(f.signbytes, 'hex')),
      timestamp: { seconds: BigInt(f.timestamp.seconds), nanos: f.timestamp.nanos },
    };
  }

  save(s: LastSignState): void {
    const f: StateFile = {
      height: s.height.toString(), round: s.round, step: s.step,
      signature: Buffer.from(s.signature).toString('base64'), signbytes: Buffer.from(s.signBytes).toString('hex'),
      timestamp: { seconds: s.timestamp.seconds.toString(), nanos: s.timestamp.nanos },
    };
    writeFileAtomicSync(this.path, JSON.stringify(f, null, 2) + '\n');
  }
}

/**
 * Keeps the state in an object that outlives the validator that uses it: the deterministic network
 * simulator's stand-in for a disk (a crashed simulated node is rebuilt from the same store), so
 * thousands of simulated signatures do not each cost an fsync. Production uses FileSignStateStore.
 */
export class MemorySignStateStore implements SignStateStore {
  private state: LastSignState | undefined;

  load(): LastSignState | undefined {
    return this.state;
  }

  save(s: LastSignState): void {
    this.state = { ...s, signBytes: Uint8Array.from(s.signBytes), signature: Uint8Array.from(s.signature) };
  }
}

export interface PrivValidatorOptions {
  /** Test hook: runs after the state is persisted and before the signature is returned (crash injection). */
  afterPersist?: (state: LastSignState) => void;
}

export class PrivValidator implements ConsensusSigner {
  readonly key: ValidatorKey;
  private readonly store: SignStateStore;
  private last: LastSignState | undefined;
  private readonly afterPersist: ((state: LastSignState) => void) | undefined;

  constructor(key: ValidatorKey, store: SignStateStore, opts: PrivValidatorOptions = {}) {
    this.key = key;
    this.store = store;
    this.last = store.load();
    this.afterPersist = opts.afterPersist;
  }

  get address(): Uint8Array {
    return this.key.address;
  }

  get publicKey(): Uint8Array {
    return this.key.publicKey;
  }

  get lastSignState(): LastSignState | undefined {
    return this.last;
  }

  signVote(chainId: string, vote: UnsignedVote): Vote {
    const step = voteStep(vote.type);
    const { signature, timestamp } = this.sign(vote.height, vote.round, step, voteSignBytes(chainId, vote), vote.timestamp,
      (ts) => voteSignBytes(chainId, { ...vote, timestamp: ts }),
      (last) => {
        // The vote signed before, rebuilt from its sign bytes (checked by re-encoding them).
        const c = CanonicalVoteCodec.decode(last.signBytes) as { blockId?: Parameters<typeof blockIdFromProto>[0] };
        const prev: Vote = { ...vote, blockId: blockIdFromProto(c.blockId), timestamp: last.timestamp, signature: last.signature };
        return bytesEqual(voteSignBytes(chainId, prev), last.signBytes) ? prev : undefined;
      });
    return { ...vote, timestamp, signature };
  }

  signProposal(chainId: string, proposal: UnsignedProposal): Proposal {
    const { signature, timestamp } = this.sign(proposal.height, proposal.round, STEP_PROPOSE, proposalSignBytes(chainId, proposal), proposal.timestamp,
      (ts) => proposalSignBytes(chainId, { ...proposal, timestamp: ts }),
      (last) => {
        const c = CanonicalProposalCodec.decode(last.signBytes) as { blockId?: Parameters<typeof blockIdFromProto>[0]; polRound?: unknown };
        const prev: Proposal = { ...proposal, polRound: Number(i64(c.polRound as never)), blockId: blockIdFromProto(c.blockId), timestamp: last.timestamp, signature: last.signature };
        return bytesEqual(proposalSignBytes(chainId, prev), last.signBytes) ? prev : undefined;
      });
    return { ...proposal, timestamp, signature };
  }

  private sign(height: bigint, round: number, step: Step, signBytes: Uint8Array, timestamp: Timestamp,
    withTimestamp: (t: Timestamp) => Uint8Array, previous: (last: LastSignState) => Vote | Proposal | undefined): { signature: Uint8Array; timestamp: Timestamp } {
    const last = this.last;
    if (last) {
      const what = `${stepName(step)} at ${height}/${round}`;
      if (height < last.height) throw new DoubleSignError(`refusing ${what}: height regression (last signed height ${last.height})`);
      if (height === last.height) {
        if (round < last.round) throw new DoubleSignError(`refusing ${what}: round regression (last signed round ${last.round})`);
        if (round === last.round) {
          if (step < last.step) throw new DoubleSignError(`refusing ${what}: step regression (last signed ${stepName(last.step)})`);
          if (step === last.step) {
            if (bytesEqual(signBytes, last.signBytes)) return { signature: last.signature, timestamp: last.timestamp };
            // Same content, new timestamp: a retry after a crash; hand back what was signed then.
            if (bytesEqual(withTimestamp(last.timestamp), last.signBytes)) return { signature: last.signature, timestamp: last.timestamp };
            let signed: Vote | Proposal | undefined;
            try {
              signed = previous(last);
            } catch {
              signed = undefined;
            }
            throw new DoubleSignError(`refusing ${what}: conflicts with the ${stepName(step)} already signed at this height/round`, signed);
          }
        }
      }
    }
    const signature = this.key.sign(signBytes);
    const state: LastSignState = { height, round, step, signBytes, signature, timestamp };
    this.store.save(state); // durable before the signature is released
    this.last = state;
    this.afterPersist?.(state);
    return { signature, timestamp };
  }
}

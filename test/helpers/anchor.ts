// Shared by the anchor tests and the anchor benchmark: validator keys, signed checkpoints, and a
// DepinAnchor deployed on a real anvil.
import { hexToBytes, type Address } from 'viem';
import { publicKeyCreate, randomPrivateKey } from '../../chain/crypto/secp256k1.ts';
import {
  ethAddress,
  canonicalValidatorSet,
  validatorSetHash,
  checkpointDigest,
  signCheckpoint,
  packSignatures,
  type AnchorValidator,
  type AnchorDomain,
  type Checkpoint,
  type CheckpointSignature,
} from '../../chain/anchor/checkpoint.ts';
import { startAnvil, type Anvil, type AnvilOptions } from '../../node/anchor/anvil.ts';
import { ethClients, deployDepinAnchor, submitCheckpoint, depinAnchorAbi, type EthClients } from '../../node/anchor/anchor-contract.ts';

export interface ValidatorKeys {
  priv: Uint8Array;
  addr: Uint8Array;
  power: bigint;
}

export interface ValidatorSet {
  keys: ValidatorKeys[]; // sorted by address, like `set`
  set: AnchorValidator[];
  hash: Uint8Array;
}

export function makeValidatorSet(powers: readonly bigint[]): ValidatorSet {
  const keys = powers
    .map((power) => {
      const priv = randomPrivateKey();
      return { priv, addr: ethAddress(publicKeyCreate(priv)), power };
    })
    .sort((a, b) => Buffer.compare(a.addr, b.addr));
  const set = canonicalValidatorSet(keys.map((k) => ({ ethAddress: k.addr, power: k.power })));
  return { keys, set, hash: validatorSetHash(set) };
}

export function sign(domain: AnchorDomain, cp: Checkpoint, signers: readonly ValidatorKeys[]): CheckpointSignature[] {
  const digest = checkpointDigest(domain, cp);
  return signers.map((k) => ({ signer: k.addr, signature: signCheckpoint(k.priv, digest) }));
}

/** An anvil with one DepinAnchor on it, and a counter of the next checkpoint to submit. */
export interface AnchorEnv {
  anvil: Anvil;
  c: EthClients;
  anchor: Address;
  domain: AnchorDomain;
  vals: ValidatorSet;
  /** Signs with `signers` (default: all) and submits the checkpoint; returns its receipt. */
  submit(cp: Checkpoint, signers?: readonly ValidatorKeys[]): ReturnType<typeof submitCheckpoint>;
  /** The next checkpoint of the current set (number = last + 1, height = last + 10). */
  next(stateRoot: Uint8Array, nextValidatorSetHash?: Uint8Array): Promise<Checkpoint>;
}

export async function deployAnchor(c: EthClients, anvil: Anvil, cosmosChainId: string, vals: ValidatorSet): Promise<AnchorEnv> {
  const { address } = await deployDepinAnchor(c, cosmosChainId, vals.set);
  const domain: AnchorDomain = { ethChainId: anvil.chainId, contract: hexToBytes(address), cosmosChainId };
  const env: AnchorEnv = {
    anvil,
    c,
    anchor: address,
    domain,
    vals,
    submit: (cp, signers = env.vals.keys) => submitCheckpoint(c, address, cp, env.vals.set, packSignatures(sign(domain, cp, signers))),
    async next(stateRoot, nextValidatorSetHash) {
      const [last, lastHeight] = await Promise.all([
        c.public.readContract({ address, abi: depinAnchorAbi, functionName: 'lastCheckpointNumber' }),
        c.public.readContract({ address, abi: depinAnchorAbi, functionName: 'lastHeight' }),
      ]);
      return { number: last + 1n, height: lastHeight + 10n, stateRoot, validatorSetHash: env.vals.hash, nextValidatorSetHash: nextValidatorSetHash ?? env.vals.hash };
    },
  };
  return env;
}

export async function startAnchorEnv(powers: readonly bigint[], opts: { cosmosChainId?: string; anvil?: AnvilOptions } = {}): Promise<AnchorEnv> {
  const anvil = await startAnvil(opts.anvil);
  try {
    const c = ethClients(anvil.url, anvil.chainId);
    return await deployAnchor(c, anvil, opts.cosmosChainId ?? 'depin-test-1', makeValidatorSet(powers));
  } catch (err) {
    await anvil.kill();
    throw err;
  }
}

export const bytes32 = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

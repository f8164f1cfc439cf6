// What a validator's consensus key signs to acknowledge a checkpoint: where it landed on Ethereum,
// for one submitter round. The prefix and the field layout make the preimage unlike any other
// message the key signs (CometBFT votes are protobuf; checkpoint digests are EIP-712 keccak), and
// the round makes a vote from an earlier round unusable after a rotation.
import { sha256 } from '../../chain/crypto/hash.ts';
import type { EthTxRef } from './types.ts';
import { u64be } from '../../chain/codec/bytes.ts';

const PREFIX = new TextEncoder().encode('depin/anchor/ack/v1');

export interface AckSubject {
  cosmosChainId: string;
  ethChainId: bigint;
  contract: Uint8Array; // 20 bytes
  number: bigint;
  stateRoot: Uint8Array; // 32 bytes
  round: bigint;
}

export function ackDigest(s: AckSubject, eth: EthTxRef): Uint8Array {
  if (s.contract.length !== 20 || s.stateRoot.length !== 32 || eth.txHash.length !== 32) throw new Error('ack digest: malformed field');
  const chain = new TextEncoder().encode(s.cosmosChainId);
  if (chain.length > 0xffff) throw new Error('ack digest: chain id too long');
  const parts = [PREFIX, Uint8Array.of(chain.length >> 8, chain.length & 0xff), chain, u64be(s.ethChainId), s.contract, u64be(s.number), s.stateRoot, u64be(s.round), eth.txHash, u64be(eth.blockNumber), u64be(eth.logIndex)];
  return sha256(Buffer.concat(parts));
}

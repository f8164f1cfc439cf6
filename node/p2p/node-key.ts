// The node's p2p identity: an ed25519 key in <home>/config/node_key.json (CometBFT's file name
// and key format), created on first start. The libp2p peer id derives from its public key, so a
// node keeps its id across restarts and peers' persistent_peers entries stay valid.
import { existsSync, readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateKeyPair, privateKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PrivateKey } from '@libp2p/interface';

export interface NodeKeyFile {
  /** The libp2p peer id, informational: checked against the key on load. */
  id: string;
  /** 64 bytes: ed25519 seed ‖ public key, as CometBFT stores it. */
  priv_key: { type: 'tendermint/PrivKeyEd25519'; value: string };
}

export interface NodeKey {
  privateKey: PrivateKey;
  peerId: string;
}

export async function loadOrCreateNodeKey(path: string): Promise<NodeKey> {
  if (existsSync(path)) return loadNodeKey(path);
  const privateKey = await generateKeyPair('Ed25519');
  const peerId = peerIdFromPrivateKey(privateKey).toString();
  const file: NodeKeyFile = { id: peerId, priv_key: { type: 'tendermint/PrivKeyEd25519', value: Buffer.from(privateKey.raw).toString('base64') } };
  mkdirSync(dirname(path), { recursive: true });
  // Written to a temp file and renamed: a crash mid-write must not leave a truncated identity.
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
  return { privateKey, peerId };
}

export function loadNodeKey(path: string): NodeKey {
  let file: NodeKeyFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as NodeKeyFile;
  } catch (err) {
    throw new Error(`cannot read node key ${path}: ${(err as Error).message}`);
  }
  if (file.priv_key?.type !== 'tendermint/PrivKeyEd25519') throw new Error(`node key ${path}: unsupported key type ${file.priv_key?.type}`);
  const raw = Buffer.from(file.priv_key.value, 'base64');
  if (raw.length !== 64) throw new Error(`node key ${path}: expected 64 key bytes, got ${raw.length}`);
  const privateKey = privateKeyFromRaw(raw);
  // The stored public half must match the seed, or the file was edited or corrupted.
  const peerId = peerIdFromPrivateKey(privateKey).toString();
  if (Buffer.compare(privateKey.publicKey.raw, raw.subarray(32)) !== 0) throw new Error(`node key ${path}: public key does not match the private key`);
  if (file.id !== undefined && file.id !== peerId) throw new Error(`node key ${path}: id ${file.id} does not match the key (${peerId})`);
  return { privateKey, peerId };
}

// Proof export (the SDK functions behind `depind query anchor proof` and `depind query rewards
// anchor-proof`): for a store key, the value,
// its Merkle proof and the acknowledged checkpoint it is anchored in, checked locally and ready to
// pass to DepinAnchor.verifyState(number, key, value, proof) (verifyAbsence for an absent key) or
// to a consumer such as RewardClaimVerifier.claim. Works over CometBFT JSON-RPC (any node) or
// in-process against an App.
import { createPublicClient, http, type Address, type Hex } from 'viem';
import type { App } from '../../chain/app.ts';
import { decodeProof, verifyProof } from '../../chain/store/proof.ts';
import { Q, queryPath, checkpointInfoFromMsg, paramsFromMsg, STATUS, STATUS_NAME, type CheckpointInfo } from '../../modules/anchor/types.ts';
import { depinAnchorAbi } from './anchor-contract.ts';
import { ANCHOR_RECORD_KEY_PREFIX, anchorRecordId, anchorRecordKey, decodeAnchorRecord, type AnchorRecord } from '../../modules/rewards/anchor-record.ts';
import { toBech32, ACCOUNT_PREFIX } from '../../chain/crypto/address.ts';

export interface AbciResult {
  code: number;
  log: string;
  value: Uint8Array;
  proof?: Uint8Array; // the depin:smt proof op's data
}

/** An ABCI query: path, request bytes, height (undefined = latest), prove. */
export type AbciQuery = (path: string, data: Uint8Array, height?: bigint, prove?: boolean) => Promise<AbciResult>;

export function appQuery(app: App): AbciQuery {
  return async (path, data, height, prove) => {
    const r = app.query({ path, data, height, prove });
    return { code: r.code, log: r.log, value: r.value, proof: r.proofOps?.find((o) => o.type === 'depin:smt')?.data };
  };
}

/** abci_query over CometBFT JSON-RPC (HTTP POST). */
export function rpcQuery(rpcUrl: string): AbciQuery {
  return async (path, data, height, prove) => {
    const params: Record<string, unknown> = { path, data: Buffer.from(data).toString('hex'), prove: !!prove };
    if (height !== undefined) params.height = height.toString();
    const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'abci_query', params }) }).catch((err) => {
      throw new Error(`cannot reach ${rpcUrl}: ${(err as Error).cause ?? err}`);
    });
    const body = (await res.json()) as { result?: { response: { code: number; log: string; value: string | null; proofOps: { ops: { type: string; data: string }[] } | null } }; error?: { message: string; data?: string } };
    if (body.error) throw new Error(`abci_query: ${body.error.message} ${body.error.data ?? ''}`);
    const r = body.result!.response;
    const op = r.proofOps?.ops.find((o) => o.type === 'depin:smt');
    return { code: r.code, log: r.log, value: r.value ? Uint8Array.from(Buffer.from(r.value, 'base64')) : new Uint8Array(), proof: op ? Uint8Array.from(Buffer.from(op.data, 'base64')) : undefined };
  };
}

export interface AnchoredProof {
  key: Uint8Array;
  /** undefined: the key is absent at the checkpoint's height (prove with verifyAbsence). */
  value: Uint8Array | undefined;
  proof: Uint8Array;
  checkpoint: CheckpointInfo;
  contract: Address;
  ethChainId: bigint;
}

export async function anchorQuery<N extends keyof typeof Q>(q: AbciQuery, name: N, req: object): Promise<any> {
  const [reqCodec, resCodec] = Q[name];
  const r = await q(queryPath(name), (reqCodec as { encode(v: object): Uint8Array }).encode(req));
  if (r.code !== 0) throw new Error(`anchor ${name} query failed (code ${r.code}): ${r.log}`);
  return (resCodec as { decode(b: Uint8Array): unknown }).decode(r.value);
}

/**
 * The value of `key` at the height of the latest acknowledged checkpoint (or checkpoint
 * `opts.checkpoint`, which must be acknowledged: only those are on Ethereum), with its proof,
 * verified here against the checkpoint's state root before it is returned.
 */
export async function exportProof(q: AbciQuery, key: Uint8Array, opts: { checkpoint?: bigint } = {}): Promise<AnchoredProof> {
  if (key.length === 0) throw new Error('empty key');
  const params = paramsFromMsg((await anchorQuery(q, 'Params', {})).params);
  const res = opts.checkpoint !== undefined
    ? await anchorQuery(q, 'Checkpoint', { number: opts.checkpoint.toString() })
    : await anchorQuery(q, 'LatestCheckpoint', { acknowledged: true });
  const checkpoint = checkpointInfoFromMsg(res.checkpoint);
  const cp = checkpoint.checkpoint;
  if (cp.status !== STATUS.ACKNOWLEDGED) throw new Error(`checkpoint ${cp.number} is ${STATUS_NAME[cp.status]}, not acknowledged: it is not (known to be) on Ethereum yet`);
  const r = await q('/store/key', key, cp.height, true);
  if (r.code !== 0) throw new Error(`store query at height ${cp.height} failed (code ${r.code}): ${r.log}`);
  if (!r.proof) throw new Error('the node returned no depin:smt proof');
  const value = r.value.length ? r.value : undefined; // the store never holds empty values
  if (!verifyProof(cp.stateRoot, key, value, decodeProof(r.proof))) {
    throw new Error(`the node's proof does not verify against checkpoint ${cp.number}'s state root: refusing to return it`);
  }
  const contract = `0x${Buffer.from(params.contract).toString('hex')}` as Address;
  return { key, value, proof: r.proof, checkpoint, contract, ethChainId: params.ethChainId };
}

const h = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;

/** The contract call that proves it: verifyState(number, key, value, proof) or verifyAbsence(number, key, proof). */
export function verificationCall(p: AnchoredProof) {
  const n = p.checkpoint.checkpoint.number;
  return p.value !== undefined
    ? { functionName: 'verifyState' as const, args: [n, h(p.key), h(p.value), h(p.proof)] as const }
    : { functionName: 'verifyAbsence' as const, args: [n, h(p.key), h(p.proof)] as const };
}

/** Asks DepinAnchor on `ethRpc` (an eth_call, no transaction) whether the proof holds. */
export async function verifyOnEthereum(p: AnchoredProof, ethRpc: string): Promise<boolean> {
  const client = createPublicClient({ transport: http(ethRpc, { retryCount: 0 }) });
  const call = verificationCall(p);
  if (call.functionName === 'verifyState') return client.readContract({ address: p.contract, abi: depinAnchorAbi, functionName: 'verifyState', args: call.args });
  return client.readContract({ address: p.contract, abi: depinAnchorAbi, functionName: 'verifyAbsence', args: call.args });
}

/** JSON for the CLI (hex bytes, decimal numbers). */
export function proofJson(p: AnchoredProof) {
  const cp = p.checkpoint.checkpoint;
  const call = verificationCall(p);
  return {
    key: h(p.key),
    present: p.value !== undefined,
    value: p.value ? h(p.value) : null,
    proof: h(p.proof),
    checkpoint: {
      number: cp.number.toString(), height: cp.height.toString(), state_root: h(cp.stateRoot), status: STATUS_NAME[cp.status],
      eth_tx_hash: cp.eth ? h(cp.eth.txHash) : null, eth_block_number: cp.eth ? cp.eth.blockNumber.toString() : null,
    },
    contract: p.contract,
    eth_chain_id: p.ethChainId.toString(),
    call: { function: call.functionName, args: call.args.map((a) => (typeof a === 'bigint' ? a.toString() : a)) },
  };
}

// ------------------------------------------------------------------ rewards' anchorable claim records

export interface RewardRecordProof extends AnchoredProof {
  deviceId: bigint;
  owner: string;
  /** RewardClaimVerifier's `deviceId` argument: u64be device id ‖ 20 owner bytes. */
  recordId: Uint8Array;
  /** RewardClaimVerifier's `keyPrefix`: "rewards/" ‖ 0x13. */
  keyPrefix: Uint8Array;
  /** undefined: no record at the checkpoint's height (the ledger was never credited by then). */
  record: AnchorRecord | undefined;
}

/**
 * The rewards module's claim record of (device, owner) at an acknowledged checkpoint
 * (modules/rewards/anchor-record.ts), with its proof, verified locally against the checkpoint's
 * root: what DepinAnchor.verifyState and RewardClaimVerifier.claim take.
 */
export async function exportRewardRecord(q: AbciQuery, deviceId: bigint, owner: string, opts: { checkpoint?: bigint } = {}): Promise<RewardRecordProof> {
  if (deviceId <= 0n) throw new Error('device id must be positive');
  const key = anchorRecordKey(deviceId, owner);
  const p = await exportProof(q, key, opts);
  return { ...p, deviceId, owner, recordId: anchorRecordId(deviceId, owner), keyPrefix: ANCHOR_RECORD_KEY_PREFIX, record: p.value ? decodeAnchorRecord(p.value) : undefined };
}

/** RewardClaimVerifier.claim(checkpointNumber, deviceId, record, proof) for a present record. */
export function rewardClaimCall(p: RewardRecordProof) {
  if (!p.value) throw new Error(`no reward record for device ${p.deviceId} / ${p.owner} at checkpoint ${p.checkpoint.checkpoint.number}`);
  return { functionName: 'claim' as const, args: [p.checkpoint.checkpoint.number, h(p.recordId), h(p.value), h(p.proof)] as const };
}

/** JSON for the CLI: the proof, the decoded record and the consumer call. */
export function rewardRecordJson(p: RewardRecordProof) {
  return {
    ...proofJson(p),
    device_id: p.deviceId.toString(),
    owner: p.owner,
    key_prefix: h(p.keyPrefix),
    record_id: h(p.recordId),
    record: p.record
      ? { epoch: p.record.epoch.toString(), cumulative: p.record.cumulative.toString(), beneficiary: h(p.record.beneficiary), beneficiary_address: toBech32(ACCOUNT_PREFIX, p.record.beneficiary) }
      : null,
    claim_call: p.record ? { contract: 'RewardClaimVerifier', function: 'claim', args: rewardClaimCall(p).args.map((a) => (typeof a === 'bigint' ? a.toString() : a)) } : null,
  };
}

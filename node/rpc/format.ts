// Renders blocks, commits and results in CometBFT 0.38 JSON: 64-bit numbers as decimal strings,
// `code`/`index`/`round`/`block_id_flag` as numbers, hashes as uppercase hex, bytes as base64,
// times as RFC3339 with nanoseconds and Z (shared/spec/cosmjs-compat.md §5, §11).
import { i64, u64 } from '../../chain/codec/proto.ts';
import { formatRfc3339 } from '../../chain/genesis.ts';
import type { Event } from '../../chain/events.ts';
import type { TxResult } from '../../chain/app.ts';
import type { Block, BlockID, Commit, Header, ProtoTimestamp, Validator } from '../store/block-types.ts';
import { decodeDuplicateVoteEvidence } from '../consensus/codec.ts';
import type { Vote } from '../consensus/types.ts';

export const hex = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString('hex').toUpperCase() : '');
export const b64 = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString('base64') : '');

export function time(t: ProtoTimestamp | null | undefined): string {
  return formatRfc3339({ seconds: u64(t?.seconds), nanos: t?.nanos ?? 0 });
}

export function blockId(id: BlockID | null | undefined) {
  return { hash: hex(id?.hash), parts: { total: id?.partSetHeader?.total ?? 0, hash: hex(id?.partSetHeader?.hash) } };
}

export function header(h: Header) {
  return {
    version: { block: u64(h.versionBlock).toString(), app: u64(h.versionApp).toString() },
    chain_id: h.chainId,
    height: i64(h.height).toString(),
    time: time(h.time),
    last_block_id: blockId(h.lastBlockId),
    last_commit_hash: hex(h.lastCommitHash),
    data_hash: hex(h.dataHash),
    validators_hash: hex(h.validatorsHash),
    next_validators_hash: hex(h.nextValidatorsHash),
    consensus_hash: hex(h.consensusHash),
    app_hash: hex(h.appHash),
    last_results_hash: hex(h.lastResultsHash),
    evidence_hash: hex(h.evidenceHash),
    proposer_address: hex(h.proposerAddress),
  };
}

export function commit(c: Commit) {
  return {
    height: i64(c.height).toString(),
    round: c.round ?? 0,
    block_id: blockId(c.blockId),
    signatures: (c.signatures ?? []).map((s) => ({
      block_id_flag: s.blockIdFlag,
      validator_address: hex(s.validatorAddress),
      timestamp: time(s.timestamp),
      signature: s.signature && s.signature.length ? b64(s.signature) : null,
    })),
  };
}

export function block(b: Block) {
  return {
    header: header(b.header),
    data: { txs: (b.txs ?? []).map(b64) },
    evidence: { evidence: evidence(b.evidence) },
    last_commit: commit(b.lastCommit),
  };
}

export function events(evs: readonly Event[]) {
  return evs.map((e) => ({ type: e.type, attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })) }));
}

export function txResult(r: TxResult) {
  return {
    code: r.code,
    data: r.data && r.data.length ? b64(r.data) : null,
    log: r.log,
    info: r.info,
    gas_wanted: r.gasWanted.toString(),
    gas_used: r.gasUsed.toString(),
    events: events(r.events),
    codespace: r.codespace,
  };
}

export function validator(v: Validator & { proposerPriority?: bigint }) {
  return {
    address: hex(v.address),
    pub_key: { type: 'tendermint/PubKeySecp256k1', value: b64(v.pubKey) },
    voting_power: v.votingPower.toString(),
    proposer_priority: (v.proposerPriority ?? 0n).toString(),
  };
}

function vote(v: Vote) {
  return {
    type: v.type, height: v.height.toString(), round: v.round, block_id: blockId(v.blockId), timestamp: formatRfc3339(v.timestamp),
    validator_address: hex(v.validatorAddress), validator_index: v.validatorIndex, signature: b64(v.signature),
  };
}

/** A block's evidence in CometBFT's JSON (tendermint/DuplicateVoteEvidence); undecodable entries as raw base64. */
export function evidence(list: readonly Uint8Array[] | undefined) {
  return (list ?? []).map((bytes) => {
    try {
      const ev = decodeDuplicateVoteEvidence(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
      return {
        type: 'tendermint/DuplicateVoteEvidence',
        value: { vote_a: vote(ev.voteA), vote_b: vote(ev.voteB), total_voting_power: ev.totalVotingPower.toString(), validator_power: ev.validatorPower.toString(), timestamp: formatRfc3339(ev.voteA.timestamp) },
      };
    } catch {
      return { type: 'depin/RawEvidence', value: b64(bytes) };
    }
  });
}

// JSON renderings of anchor query results for the CLI and logs: bytes as 0x-hex (consensus
// addresses as CometBFT's uppercase hex), numbers as decimal strings, status by name.
import { STATUS_NAME, type CheckpointInfo, type AnchorParams } from '../../modules/anchor/types.ts';

const h = (b: Uint8Array | undefined) => (b && b.length ? `0x${Buffer.from(b).toString('hex')}` : null);
const H = (b: Uint8Array | undefined) => (b && b.length ? Buffer.from(b).toString('hex').toUpperCase() : null);

export function paramsJson(p: AnchorParams) {
  return { checkpoint_interval: p.checkpointInterval.toString(), eth_chain_id: p.ethChainId.toString(), contract: h(p.contract), ack_timeout: p.ackTimeout.toString() };
}

export function checkpointJson(info: CheckpointInfo) {
  const r = info.checkpoint;
  return {
    number: r.number.toString(),
    height: r.height.toString(),
    state_root: h(r.stateRoot),
    status: STATUS_NAME[r.status],
    validator_set_hash: h(r.validatorSetHash),
    next_validator_set_hash: h(r.nextValidatorSetHash),
    created_height: r.createdHeight.toString(),
    signed_height: r.signedHeight ? r.signedHeight.toString() : null,
    acknowledged_height: r.acknowledgedHeight ? r.acknowledgedHeight.toString() : null,
    signed_power: r.signedPower.toString(),
    total_power: r.totalPower.toString(),
    signers: info.validators.filter((v) => v.signature).map((v) => ({ validator: H(v.consensusAddress), eth_address: h(v.ethAddress), power: v.power.toString() })),
    validators: info.validators.map((v) => ({ validator: H(v.consensusAddress), eth_address: h(v.ethAddress), power: v.power.toString(), signed: !!v.signature })),
    submitter: H(info.submitter),
    rotations: r.rotations.toString(),
    submitter_deadline: r.submitterDeadline ? r.submitterDeadline.toString() : null,
    eth: r.eth ? { tx_hash: h(r.eth.txHash), block_number: r.eth.blockNumber.toString(), log_index: r.eth.logIndex.toString() } : null,
    ack_votes: info.ackVotes.map((v) => ({ validator: H(v.validatorAddress), tx_hash: h(v.eth.txHash), block_number: v.eth.blockNumber.toString(), log_index: v.eth.logIndex.toString(), round: v.round.toString() })),
    digest: h(info.digest),
  };
}

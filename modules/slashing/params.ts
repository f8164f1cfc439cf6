// Slashing parameters (cosmos.slashing.v1beta1.Params) and the evidence age limits. CometBFT keeps
// the evidence limits in consensus params; this app keeps its own copy in slashing state so that
// stale evidence is ignored deterministically (the dev genesis uses the same values as its
// consensus_params.evidence).
import { DEC_ONE, formatDec, parseDec } from '../../chain/dec.ts';
import { formatDuration, parseDuration, type Duration } from '../../chain/time.ts';
import { i64 } from '../../chain/codec/proto.ts';
import type { SlashingParamsMsg } from './types.ts';

export interface SlashingParams {
  signedBlocksWindow: bigint;
  minSignedPerWindow: bigint; // dec atomics
  downtimeJailDuration: Duration;
  slashFractionDoubleSign: bigint; // dec atomics
  slashFractionDowntime: bigint; // dec atomics
}

export interface EvidenceParams {
  maxAgeNumBlocks: bigint;
  maxAgeDuration: Duration;
}

export const DEFAULT_SLASHING_PARAMS: SlashingParams = {
  signedBlocksWindow: 100n,
  minSignedPerWindow: DEC_ONE / 2n,
  downtimeJailDuration: { seconds: 600n, nanos: 0 },
  slashFractionDoubleSign: DEC_ONE / 20n, // 5%
  slashFractionDowntime: DEC_ONE / 100n, // 1%
};

export const DEFAULT_EVIDENCE_PARAMS: EvidenceParams = { maxAgeNumBlocks: 100_000n, maxAgeDuration: { seconds: 172_800n, nanos: 0 } };

export interface SlashingParamsJson {
  signed_blocks_window: string;
  min_signed_per_window: string;
  downtime_jail_duration: string;
  slash_fraction_double_sign: string;
  slash_fraction_downtime: string;
}

export interface EvidenceParamsJson {
  max_age_num_blocks: string;
  max_age_duration: string;
}

const fraction = (v: bigint, name: string) => {
  if (v < 0n || v > DEC_ONE) throw new Error(`slashing params: ${name} must be in [0, 1]`);
};

export function validateParams(p: SlashingParams): void {
  if (p.signedBlocksWindow <= 0n || p.signedBlocksWindow > 1_000_000n) throw new Error('slashing params: signed_blocks_window must be in 1..1000000');
  fraction(p.minSignedPerWindow, 'min_signed_per_window');
  fraction(p.slashFractionDoubleSign, 'slash_fraction_double_sign');
  fraction(p.slashFractionDowntime, 'slash_fraction_downtime');
  if (p.downtimeJailDuration.seconds < 0n) throw new Error('slashing params: downtime_jail_duration must not be negative');
}

export function paramsFromJson(j: Partial<SlashingParamsJson> | undefined): SlashingParams {
  const d = DEFAULT_SLASHING_PARAMS;
  const p: SlashingParams = {
    signedBlocksWindow: j?.signed_blocks_window !== undefined ? BigInt(j.signed_blocks_window) : d.signedBlocksWindow,
    minSignedPerWindow: j?.min_signed_per_window !== undefined ? parseDec(j.min_signed_per_window) : d.minSignedPerWindow,
    downtimeJailDuration: j?.downtime_jail_duration !== undefined ? parseDuration(j.downtime_jail_duration) : d.downtimeJailDuration,
    slashFractionDoubleSign: j?.slash_fraction_double_sign !== undefined ? parseDec(j.slash_fraction_double_sign) : d.slashFractionDoubleSign,
    slashFractionDowntime: j?.slash_fraction_downtime !== undefined ? parseDec(j.slash_fraction_downtime) : d.slashFractionDowntime,
  };
  validateParams(p);
  return p;
}

export function paramsToJson(p: SlashingParams): SlashingParamsJson {
  return {
    signed_blocks_window: p.signedBlocksWindow.toString(),
    min_signed_per_window: formatDec(p.minSignedPerWindow),
    downtime_jail_duration: formatDuration(p.downtimeJailDuration),
    slash_fraction_double_sign: formatDec(p.slashFractionDoubleSign),
    slash_fraction_downtime: formatDec(p.slashFractionDowntime),
  };
}

export function evidenceFromJson(j: Partial<EvidenceParamsJson> | undefined): EvidenceParams {
  const p = {
    maxAgeNumBlocks: j?.max_age_num_blocks !== undefined ? BigInt(j.max_age_num_blocks) : DEFAULT_EVIDENCE_PARAMS.maxAgeNumBlocks,
    maxAgeDuration: j?.max_age_duration !== undefined ? parseDuration(j.max_age_duration) : DEFAULT_EVIDENCE_PARAMS.maxAgeDuration,
  };
  if (p.maxAgeNumBlocks <= 0n) throw new Error('slashing evidence: max_age_num_blocks must be positive');
  return p;
}

export const evidenceToJson = (p: EvidenceParams): EvidenceParamsJson => ({ max_age_num_blocks: p.maxAgeNumBlocks.toString(), max_age_duration: formatDuration(p.maxAgeDuration) });

// LegacyDec params travel as bytes holding the ASCII digits of the atomics.
const decBytes = (v: bigint) => new TextEncoder().encode(v.toString());
const bytesDec = (b: Uint8Array) => (b.length ? BigInt(new TextDecoder().decode(b)) : 0n);

export function paramsToMsg(p: SlashingParams): SlashingParamsMsg {
  return {
    signedBlocksWindow: p.signedBlocksWindow.toString(),
    minSignedPerWindow: decBytes(p.minSignedPerWindow),
    downtimeJailDuration: { seconds: p.downtimeJailDuration.seconds.toString(), nanos: p.downtimeJailDuration.nanos },
    slashFractionDoubleSign: decBytes(p.slashFractionDoubleSign),
    slashFractionDowntime: decBytes(p.slashFractionDowntime),
  };
}

export function paramsFromMsg(m: SlashingParamsMsg): SlashingParams {
  return {
    signedBlocksWindow: i64(m.signedBlocksWindow),
    minSignedPerWindow: bytesDec(m.minSignedPerWindow),
    downtimeJailDuration: { seconds: i64(m.downtimeJailDuration?.seconds), nanos: m.downtimeJailDuration?.nanos ?? 0 },
    slashFractionDoubleSign: bytesDec(m.slashFractionDoubleSign),
    slashFractionDowntime: bytesDec(m.slashFractionDowntime),
  };
}

// What a simulation run is: the seed, the size of the network, how long it runs, how many of its
// actors cheat, and the chain parameters a builder wants to try (epoch length, witness limits,
// reward shares, bonds...). Everything else is derived from the seed.
import type { Params as ProofsParams } from '../modules/proofs/params.ts';
import type { Params as RewardsParams } from '../modules/rewards/types.ts';

export const SECTOR_NAMES = ['coverage', 'storage', 'compute', 'sensor'] as const;
export type SectorName = (typeof SECTOR_NAMES)[number];
export const SECTOR_ID: Record<SectorName, number> = { coverage: 1, storage: 2, compute: 3, sensor: 4 };

export interface SimConfig {
  /** Everything random derives from it (32-bit). */
  seed: number;
  /** Devices that register (honest and cheating); fake-device registration attempts come on top. */
  devices: number;
  /** Blocks after setup (registration, locations, bonds, data sets, jobs). */
  blocks: number;
  /** Rewards epoch length in blocks (rewards param epoch_blocks). */
  epochBlocks: number;
  /** Proofs window length in blocks (proofs param window_blocks). */
  windowBlocks: number;
  /** Share of devices (and of buyers) that cheat, in parts per million. */
  cheatersPpm: number;
  sectors: SectorName[];
  validators: number;
  /** Validators that double-sign once (evidence reaches the app as consensus would hand it over). */
  equivocators: number;
  manufacturers: number;
  /** Devices per owner account. */
  devicesPerOwner: number;
  buyers: number;
  oracles: number;
  /** Bonded dispute verifiers (compute spot checks need a committee). */
  verifiers: number;
  /** Envelopes per gateway MsgSubmitProofs. */
  batchSize: number;
  /** Probability (ppm) that a coverage device beacons in a window (after its first window). */
  beaconPpm: number;
  /** Most witness reports a coverage device sends per window. */
  witnessesPerDevice: number;
  /** Probability (ppm) that a watcher sees a cheater's leaked off-chain envelope (location
   * conflict challenges) or that an investigator looks into a witness ring (arbitration). */
  watcherPpm: number;
  /** Share (ppm) of storage and compute devices that are bonded providers (storage: all with data). */
  providerPpm: number;
  /** Invariants after every N blocks (1 = every block). */
  invariantsEvery: number;
  blockSeconds: number;
  /** Overrides of the proofs / rewards params of the development genesis. */
  proofsParams?: Partial<ProofsParams>;
  rewardsParams?: Partial<RewardsParams>;
  /** LevelDB directory (a temporary one, removed at the end, when absent). */
  dir?: string;
}

export const DEFAULT_CONFIG: SimConfig = {
  seed: 1,
  devices: 200,
  blocks: 120,
  epochBlocks: 30,
  windowBlocks: 20,
  cheatersPpm: 100_000,
  sectors: [...SECTOR_NAMES],
  validators: 4,
  equivocators: 1,
  manufacturers: 3,
  devicesPerOwner: 8,
  buyers: 6,
  oracles: 3,
  verifiers: 5,
  batchSize: 50,
  beaconPpm: 600_000,
  witnessesPerDevice: 4,
  watcherPpm: 600_000,
  providerPpm: 500_000,
  invariantsEvery: 1,
  blockSeconds: 5,
};

export function resolveConfig(c: Partial<SimConfig>): SimConfig {
  const cfg: SimConfig = { ...DEFAULT_CONFIG, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) } as SimConfig;
  const bad = (m: string): never => {
    throw new Error(`simulation config: ${m}`);
  };
  const int = (k: keyof SimConfig, min: number, max = 2 ** 31 - 1) => {
    const v = cfg[k] as number;
    if (!Number.isInteger(v) || v < min || v > max) bad(`${k} must be an integer in [${min}, ${max}], got ${v}`);
  };
  int('seed', 0, 2 ** 32 - 1);
  int('devices', 8, 10_000_000);
  int('blocks', 1);
  int('epochBlocks', 2);
  int('windowBlocks', 8);
  // One source each: device slots and the report use the top-level values.
  if (cfg.proofsParams?.windowBlocks !== undefined) bad('set windowBlocks, not proofsParams.windowBlocks');
  if (cfg.rewardsParams?.epochBlocks !== undefined) bad('set epochBlocks, not rewardsParams.epochBlocks');
  int('cheatersPpm', 0, 1_000_000);
  int('validators', 1, 100);
  int('equivocators', 0, cfg.validators);
  if (cfg.equivocators > 0 && cfg.validators - cfg.equivocators < 1) bad('at least one validator must stay honest');
  if (cfg.equivocators * 3 >= cfg.validators && cfg.equivocators > 0) bad(`${cfg.equivocators} equivocators of ${cfg.validators} validators would be a third of the power or more: BFT no longer holds`);
  int('manufacturers', 1, 100);
  int('devicesPerOwner', 1, 1000);
  int('buyers', 1, 100_000);
  int('oracles', 1, 32);
  int('verifiers', 0, 1000);
  int('batchSize', 1, 100);
  int('beaconPpm', 0, 1_000_000);
  int('witnessesPerDevice', 0, 100);
  int('watcherPpm', 0, 1_000_000);
  int('providerPpm', 0, 1_000_000);
  int('invariantsEvery', 1);
  int('blockSeconds', 1, 3600);
  if (!cfg.sectors.length) bad('at least one sector');
  for (const s of cfg.sectors) if (!SECTOR_NAMES.includes(s)) bad(`unknown sector ${s} (${SECTOR_NAMES.join(', ')})`);
  cfg.sectors = SECTOR_NAMES.filter((s) => cfg.sectors.includes(s));
  return cfg;
}

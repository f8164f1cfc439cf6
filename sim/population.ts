// Generates the simulated network from the config and the seed: manufacturers, owners and their
// devices in four sectors around real cities, buyers, oracles, verifiers, watchers, gateways and
// validators; which of them cheat and how. Deterministic: the same seed and config give the same
// population, keys included.
import { deviceKeyFromPrivate, type DeviceKey } from '../sdk/device-key.ts';
import { Piece } from '../sdk/proofs.ts';
import { publicKeyCreate } from '../chain/crypto/secp256k1.ts';
import { P256_N } from '../modules/devices/keys.ts';
import { serialHash } from '../modules/devices/payloads.ts';
import { ValidatorKey } from '../node/validator-key.ts';
import type { Params as ProofsParams } from '../modules/proofs/params.ts';
import { SimAccount } from './chain.ts';
import { CITIES, placeNear, separation, type Place } from './geo.ts';
import { Rng, derive } from './random.ts';
import { SECTOR_ID, type SectorName, type SimConfig } from './config.ts';
import type { Behaviour, Buyer, Owner, SimDevice, SimManufacturer, SimValidator } from './actors.ts';

const DPIN = 1_000_000n;

export interface Population {
  authority: SimAccount;
  attackers: SimAccount[];
  gateways: SimAccount[];
  watchers: SimAccount[];
  oracles: SimAccount[];
  verifiers: SimAccount[];
  manufacturers: SimManufacturer[];
  /** The manufacturer the authority revokes in setup. */
  rogue: SimManufacturer;
  owners: Owner[];
  devices: SimDevice[];
  buyers: Buyer[];
  validators: SimValidator[];
  /** Fake-device registration attempts to make (variants cycle). */
  fakeDevices: number;
  /** Genesis balances of every account. */
  balances: { address: string; amount: bigint }[];
}

function p256Key(seed: number, label: string, i: bigint): DeviceKey {
  for (let k = 0n; ; k++) {
    const d = derive(seed, `${label}/p256/${k}`, i);
    const n = BigInt('0x' + Buffer.from(d).toString('hex'));
    if (n > 0n && n < P256_N) return deviceKeyFromPrivate('p256', d);
  }
}

function secpKey(seed: number, label: string, i: bigint): DeviceKey {
  return deviceKeyFromPrivate('secp256k1', derive(seed, label, i));
}

const account = (seed: number, label: string, i: number) => new SimAccount(derive(seed, `account/${label}`, BigInt(i)));

/** Cheating behaviours a device of each sector can have (rings are allocated separately). */
const VARIANTS: Record<SectorName, Behaviour[]> = {
  coverage: [
    { kind: 'spoofed_location', variant: 'witness_rssi' }, { kind: 'spoofed_location', variant: 'witness_far' }, { kind: 'spoofed_location', variant: 'stealth' },
    { kind: 'replayed_proof', variant: 'replay' }, { kind: 'replayed_proof', variant: 'duplicate_slot' }, { kind: 'replayed_proof', variant: 'expired_window' },
    { kind: 'forged_proof', variant: 'forged_signature' }, { kind: 'forged_proof', variant: 'tampered_payload' }, { kind: 'forged_proof', variant: 'wrong_chain' },
    { kind: 'forged_proof', variant: 'guessed_seed' }, { kind: 'forged_proof', variant: 'future_window' },
  ],
  storage: [
    { kind: 'storage_dropper', variant: 'full' }, { kind: 'storage_dropper', variant: 'partial' }, { kind: 'storage_dropper', variant: 'garbage' },
    { kind: 'replayed_proof', variant: 'replay' }, { kind: 'replayed_proof', variant: 'duplicate_slot' },
    { kind: 'forged_proof', variant: 'forged_signature' }, { kind: 'forged_proof', variant: 'tampered_payload' }, { kind: 'forged_proof', variant: 'guessed_seed' },
  ],
  compute: [
    { kind: 'lazy_compute', variant: 'puzzle' }, { kind: 'lazy_compute', variant: 'job' },
    { kind: 'replayed_proof', variant: 'replay' }, { kind: 'replayed_proof', variant: 'duplicate_slot' }, { kind: 'replayed_proof', variant: 'expired_window' },
    { kind: 'forged_proof', variant: 'forged_signature' }, { kind: 'forged_proof', variant: 'wrong_chain' }, { kind: 'forged_proof', variant: 'future_window' },
  ],
  sensor: [
    { kind: 'spoofed_location', variant: 'sensor_cell' }, { kind: 'spoofed_location', variant: 'stealth' },
    { kind: 'replayed_proof', variant: 'replay' }, { kind: 'replayed_proof', variant: 'duplicate_slot' }, { kind: 'replayed_proof', variant: 'expired_window' },
    { kind: 'replayed_proof', variant: 'copied_batch' },
    { kind: 'forged_proof', variant: 'forged_signature' }, { kind: 'forged_proof', variant: 'tampered_payload' }, { kind: 'forged_proof', variant: 'wrong_chain' },
    { kind: 'forged_proof', variant: 'guessed_seed' },
  ],
};

const LEAVES_PER_PIECE = 32;
const PIECES = 2;

export function generate(cfg: SimConfig, proofs: ProofsParams): Population {
  const seed = cfg.seed;
  const rng = new Rng(seed);
  const geoRng = rng.fork();
  const cheatRng = rng.fork();

  const authority = account(seed, 'authority', 0);
  const attackers = [account(seed, 'attacker', 0), account(seed, 'attacker', 1)];
  const gateways = Array.from({ length: Math.max(2, Math.ceil(cfg.devices / 2000)) }, (_, i) => account(seed, 'gateway', i));
  const watchers = [account(seed, 'watcher', 0), account(seed, 'watcher', 1)];
  const oracles = Array.from({ length: cfg.oracles }, (_, i) => account(seed, 'oracle', i));
  const verifiers = Array.from({ length: cfg.verifiers }, (_, i) => account(seed, 'verifier', i));

  const sectorModel: Record<SectorName, string> = { coverage: 'hotspot', storage: 'storage', compute: 'gpu', sensor: 'sensor' };
  const mkMfr = (id: string, i: number, revoked: boolean): SimManufacturer => ({
    id, operator: account(seed, 'mfr-operator', i), secp: secpKey(seed, 'mfr/secp', BigInt(i)), p256: p256Key(seed, 'mfr', BigInt(i)),
    models: Object.fromEntries(Object.entries(sectorModel).map(([s, m]) => [s, `${id}-${m}`])) as Record<SectorName, string>, revoked,
  });
  const manufacturers = Array.from({ length: cfg.manufacturers }, (_, i) => mkMfr(`sim-mfr-${i}`, i, false));
  const rogue = mkMfr('rogue-mfr', cfg.manufacturers, true);

  // ---------------------------------------------------------------- devices and behaviours
  const perSector = new Map<SectorName, number>();
  cfg.sectors.forEach((s, i) => perSector.set(s, Math.floor(cfg.devices / cfg.sectors.length) + (i < cfg.devices % cfg.sectors.length ? 1 : 0)));
  const devices: SimDevice[] = [];
  let ringCount = 0;
  const ringSize = Math.min(proofs.maxWitnesses + 2, 16);
  for (const sector of cfg.sectors) {
    const n = perSector.get(sector)!;
    const cheaters = Math.round((n * cfg.cheatersPpm) / 1_000_000);
    const behaviours: Behaviour[] = Array.from({ length: n }, () => ({ kind: 'honest' }) as Behaviour);
    const chosen = cheatRng.sample(n, cheaters);
    let next = 0;
    if (sector === 'coverage' && cheaters >= 6) {
      // Rings take about a third of the coverage cheaters, in rings of up to max_witnesses + 2.
      let ringBudget = Math.max(3, Math.floor(cheaters / 3));
      let r = 0;
      while (ringBudget >= 3) {
        const size = Math.min(ringSize, ringBudget);
        const variant = r % 3 === 1 ? 'naive' : 'tuned';
        for (let k = 0; k < size; k++) {
          behaviours[chosen[next++]!] = { kind: 'witness_ring', variant: variant === 'tuned' && k === size - 1 ? 'freeloader' : variant, ring: ringCount };
        }
        ringCount++;
        r++;
        ringBudget -= size;
      }
    }
    const variants = VARIANTS[sector];
    for (let k = 0; next < chosen.length; k++) behaviours[chosen[next++]!] = variants[k % variants.length]!;
    for (let i = 0; i < n; i++) {
      const index = devices.length;
      const b = behaviours[i]!;
      const honest = b.kind === 'honest';
      const mfr = manufacturers[index % manufacturers.length]!;
      // About one honest device in ten has a P-256 secure element; cheaters use secp256k1 (their
      // signed evidence lands in state, and secp256k1 signatures are deterministic: RFC 6979).
      const key = honest && index % 10 === 7 ? p256Key(seed, 'device', BigInt(index)) : secpKey(seed, 'device', BigInt(index));
      const hardwareClass = sector === 'compute' ? (index % 5 === 0 ? 'gpu' : 'standard') : sector === 'sensor' && index % 3 === 0 ? 'weather-station' : 'standard';
      devices.push({
        index, sector, sectorId: SECTOR_ID[sector], key, owner: undefined as unknown as Owner, mfr, model: mfr.models[sector], hardwareClass,
        serial: `SIM-${seed}-${index}`, behaviour: b, honest, place: undefined as unknown as Place, truePlace: undefined as unknown as Place,
        id: 0n, located: false, seq: 0n, gateway: index % gateways.length, slot: 0, neighbours: [], beaconed: false, witnessedInWindow: new Map(),
        provider: false, banned: false,
      });
    }
  }

  // ---------------------------------------------------------------- places
  const coverage = devices.filter((d) => d.sector === 'coverage');
  const honestCoverage = coverage.filter((d) => d.honest).length;
  // Coverage clusters of about ten honest hotspots per city (at least two cities when there are
  // enough, so a location spoofer can physically sit in another coverage city).
  const covCities = honestCoverage >= 8 ? Math.max(2, Math.min(CITIES.length, Math.floor(honestCoverage / 10))) : 1;
  const otherCity = (c: number) => (c + 1 + geoRng.int(0, CITIES.length - 2)) % CITIES.length;
  const otherCoverageCity = (c: number) => (covCities > 1 ? (c + 1 + geoRng.int(0, covCities - 2)) % covCities : otherCity(c));
  const spot = (city: number, radius: number) => placeNear(city, geoRng.int(-radius, radius), geoRng.int(-radius, radius));
  const rings = new Map<number, { city: number; centre: Place }>();
  let covIdx = 0;
  for (const d of devices) {
    if (d.sector !== 'coverage') {
      d.place = spot(geoRng.int(0, CITIES.length - 1), 15_000);
      d.truePlace = d.place;
      if (d.behaviour.kind === 'spoofed_location') d.truePlace = spot(otherCity(d.place.city), 15_000);
      continue;
    }
    const city = covIdx++ % covCities;
    const b = d.behaviour;
    if (b.kind === 'witness_ring') {
      let r = rings.get(b.ring);
      if (!r) {
        r = { city, centre: spot(city, 5_000) };
        rings.set(b.ring, r);
      }
      const members = devices.filter((x) => x.behaviour.kind === 'witness_ring' && x.behaviour.ring === b.ring);
      const k = members.indexOf(d);
      // Asserted on a circle around the one mast they share: pairwise far enough apart to pass.
      const angle = (2 * Math.PI * k) / members.length;
      d.place = placeNear(city, Math.round(1_500 * Math.sin(angle)), Math.round(1_500 * Math.cos(angle)), r.centre);
      d.truePlace = r.centre;
      continue;
    }
    d.place = spot(city, 6_000);
    d.truePlace = d.place;
    if (b.kind === 'spoofed_location' && (b.variant === 'witness_far' || b.variant === 'stealth')) d.truePlace = spot(otherCoverageCity(city), 6_000);
  }
  // Coverage neighbours by asserted location within the witness distance bounds (honest devices
  // witness honest beacons; cheaters pick theirs below).
  const inRange = (a: SimDevice, b: SimDevice, physical = false) => {
    const d = separation(physical ? a.truePlace.cell : a.place.cell, b.place.cell);
    return d !== undefined && d >= proofs.minWitnessGridDistance && d <= proofs.maxWitnessGridDistance;
  };
  const byCity = new Map<number, SimDevice[]>();
  for (const d of coverage) if (d.honest) (byCity.get(d.place.city) ?? byCity.set(d.place.city, []).get(d.place.city)!).push(d);
  for (const d of coverage) {
    if (!d.honest) continue;
    const peers = byCity.get(d.place.city)!;
    let cands = peers.filter((p) => p !== d && inRange(d, p));
    if (cands.length === 0 && peers.length > 1) {
      // Isolated: move it next to a peer so it can witness and be witnessed.
      const peer = peers.find((p) => p !== d)!;
      d.place = placeNear(d.place.city, geoRng.int(500, 1_500), geoRng.int(500, 1_500), peer.place);
      d.truePlace = d.place;
      cands = peers.filter((p) => p !== d && inRange(d, p));
    }
    d.neighbours = cands.length > 24 ? cheatRng.sample(cands.length, 24).map((i) => cands[i]!) : cands;
  }
  // Make neighbour relations symmetric-ish (a moved device is someone's neighbour too).
  for (const d of coverage) if (d.honest) for (const n of d.neighbours) if (!n.neighbours.includes(d) && n.neighbours.length < 32) n.neighbours.push(d);
  for (const d of coverage) {
    const b = d.behaviour;
    if (b.kind === 'witness_ring') d.neighbours = coverage.filter((x) => x !== d && x.behaviour.kind === 'witness_ring' && x.behaviour.ring === b.ring && inRange(d, x));
    else if (b.kind === 'spoofed_location') {
      const city = b.variant === 'witness_far' ? d.truePlace.city : d.place.city;
      const peers = (byCity.get(city) ?? []).filter((p) => p !== d);
      d.neighbours = (b.variant === 'witness_far' ? peers : peers.filter((p) => inRange(d, p))).slice(0, 8);
    } else if (!d.honest) d.neighbours = [];
  }

  // ---------------------------------------------------------------- owners
  const owners: Owner[] = [];
  const group = (list: SimDevice[], honest: boolean, size: number) => {
    for (let i = 0; i < list.length; i += size) {
      const o: Owner = { index: owners.length, account: account(seed, 'owner', owners.length), honest, devices: list.slice(i, i + size), nonce: 0n, selfDealer: false };
      for (const d of o.devices) d.owner = o;
      owners.push(o);
    }
  };
  group(devices.filter((d) => d.honest), true, cfg.devicesPerOwner);
  // Rings are run by one operator each; other cheaters in small groups.
  for (const r of [...rings.keys()]) group(devices.filter((d) => d.behaviour.kind === 'witness_ring' && d.behaviour.ring === r), false, 1_000);
  group(devices.filter((d) => !d.honest && d.behaviour.kind !== 'witness_ring'), false, Math.max(1, Math.min(4, cfg.devicesPerOwner)));

  // ---------------------------------------------------------------- buyers (some self-dealing)
  const selfDealers = cfg.cheatersPpm > 0 ? Math.max(1, Math.round((cfg.buyers * cfg.cheatersPpm) / 1_000_000)) : 0;
  const honestOwners = owners.filter((o) => o.honest);
  const buyers: Buyer[] = [];
  for (let i = 0; i < cfg.buyers + selfDealers; i++) {
    const tenant = derive(seed, 'tenant', BigInt(i));
    const selfDealer = i >= cfg.buyers;
    let owner: Owner | undefined;
    if (selfDealer) {
      // A self-dealer owns devices (working honestly) and buys credits for them.
      owner = honestOwners[honestOwners.length - 1 - (i - cfg.buyers)];
      if (!owner) throw new Error('not enough device owners for the self-dealing buyers');
      owner.selfDealer = true;
      owner.honest = false;
      for (const d of owner.devices) d.honest = false;
    }
    buyers.push({ index: i, account: owner ? owner.account : account(seed, 'buyer', i), tenantKey: tenant, tenantPub: publicKeyCreate(tenant), selfDealer, owner });
  }

  // ---------------------------------------------------------------- sector state
  const minBond = BigInt(proofs.minProviderBond?.amount ?? '0');
  for (const d of devices) {
    d.slot = (d.index * 7919) % Math.max(1, cfg.windowBlocks - 8);
    if (d.sector === 'storage') {
      d.provider = true;
      const pieces = Array.from({ length: PIECES }, (_, p) => new Piece(Array.from({ length: LEAVES_PER_PIECE }, (_, l) => derive(seed, 'leaf', BigInt(d.index * 1000 + p * 100 + l)))));
      d.storage = { pieces, dataSetId: 0n, period: 0n, challengeHeight: 0n, deadline: 0n, dropped: new Set(), dropHeight: 0n, totalLeaves: BigInt(PIECES * LEAVES_PER_PIECE), handledPeriod: -1n };
    }
    if (d.sector === 'compute') {
      const lazyJob = d.behaviour.kind === 'lazy_compute' && d.behaviour.variant === 'job';
      d.provider = lazyJob || (d.honest && cheatRng.chancePpm(cfg.providerPpm));
    }
  }

  // ---------------------------------------------------------------- validators
  const validators: SimValidator[] = Array.from({ length: cfg.validators }, (_, i) => ({
    index: i, key: new ValidatorKey(derive(seed, 'validator', BigInt(i))), operator: account(seed, 'validator-operator', i), power: 10n, equivocates: false,
  }));
  for (const i of cheatRng.sample(cfg.validators, cfg.equivocators)) validators[i]!.equivocates = true;

  // ---------------------------------------------------------------- funds
  const fakeDevices = cfg.cheatersPpm > 0 ? Math.max(5, Math.round((cfg.devices * cfg.cheatersPpm) / 4_000_000)) : 0;
  const balances: { address: string; amount: bigint }[] = [];
  const fund = (a: SimAccount, amount: bigint) => balances.push({ address: a.address, amount });
  fund(authority, 10_000n * DPIN);
  for (const a of attackers) fund(a, 1_000n * DPIN + BigInt(fakeDevices) * 10n * DPIN);
  for (const a of gateways) fund(a, 100_000n * DPIN);
  for (const a of watchers) fund(a, 100_000n * DPIN);
  for (const a of oracles) fund(a, 10_000n * DPIN);
  for (const a of verifiers) fund(a, 10_000n * DPIN);
  for (const m of [...manufacturers, rogue]) fund(m.operator, 1_000n * DPIN);
  for (const o of owners) fund(o.account, 1_000n * DPIN + BigInt(o.devices.length) * (10n * DPIN + 2n * minBond));
  for (const b of buyers) if (!b.owner) fund(b.account, 1_000_000n * DPIN);
  for (const b of buyers) if (b.owner) balances.find((x) => x.address === b.account.address)!.amount += 1_000_000n * DPIN;
  for (const v of validators) fund(v.operator, 1_000n * DPIN);

  return { authority, attackers, gateways, watchers, oracles, verifiers, manufacturers, rogue, owners, devices, buyers, validators, fakeDevices, balances };
}

/** The serial hash the manufacturer attests (keyed by manufacturer id). */
export function serialHashOf(d: SimDevice): Uint8Array {
  return serialHash(d.mfr.id, d.serial);
}

// What every actor does, block by block: the setup (manufacturers, oracles, verifiers, device
// registrations, locations, provider bonds, data sets, credits) and then, per proof window, the
// honest work of each sector and every cheater's attempt. Outcomes are never decided here: an
// attempt is "caught" only from the chain's own answer (tx error code, recorded reason code,
// reversal, ban, slash, the demand cap in the device's epoch record, a tombstone).
import { sha256 } from '../chain/crypto/hash.ts';
import type { Context } from '../chain/context.ts';
import type { Event } from '../chain/events.ts';
import { signDigest } from '../chain/crypto/secp256k1.ts';
import { attestDevice, serialHash as mkSerialHash } from '../sdk/envelope.ts';
import { deviceKeyFromPrivate } from '../sdk/device-key.ts';
import * as M from '../sdk/messages.ts';
import * as P from '../sdk/proofs.ts';
import * as RW from '../sdk/rewards.ts';
import type { EncodeObject } from '../sdk/messages.ts';
import { KIND, STATUS } from '../modules/proofs/reasons.ts';
import { getDataSet } from '../modules/proofs/storage.ts';
import { getJob, getDispute } from '../modules/proofs/compute.ts';
import { difficultyBits } from '../modules/proofs/compute.ts';
import { leadingZeroBits, puzzleChallenge, pdpChallengeIndex } from '../modules/proofs/envelope.ts';
import { fsplLowerBoundDb10 } from '../modules/proofs/coverage/fspl.ts';
import { concat, u64be } from '../chain/codec/bytes.ts';
import { MFR_REVOKED } from '../modules/devices/types.ts';
import { DISPUTE_OPEN, BeaconPayloadCodec } from '../modules/proofs/types.ts';
import { K as RK } from '../modules/rewards/keys.ts';
import { R } from '../modules/rewards/types.ts';
import { canonicalVoteSignBytes } from '../node/consensus/sign-bytes.ts';
import { makeDuplicateVoteEvidence, verifyDuplicateVoteEvidence } from '../node/consensus/evidence.ts';
import { SIGNED_MSG_TYPE_PRECOMMIT, type Vote } from '../node/consensus/types.ts';
import type { TxResult } from '../chain/app.ts';
import { attrs, type BlockOutcome, type SimAccount } from './chain.ts';
import { CITIES, RADIO, separation } from './geo.ts';
import { derive } from './random.ts';
import { serialHashOf } from './population.ts';
import type { Attempt, Owner, SimDevice, SimValidator } from './actors.ts';
import type { Simulation, Sub, Tag, Verdict } from './simulation.ts';

const DPIN = 1_000_000n;
const udpin = (amount: bigint) => ({ denom: 'udpin', amount });
/** Registrations per setup block (owners are batched whole). */
const REG_PER_BLOCK = 600;
/** Oracle price: 1 DPIN = $0.50 (micro-USD per DPIN). */
const PRICE = 500_000n;
const READINGS = 60n;
const JOB_DEPOSIT = 200n * DPIN;
const JOB_PRICE = 100_000n;
const RECEIPT_UNITS = 10n;

type FakeVariant = 'unknown_manufacturer' | 'revoked_manufacturer' | 'forged_attestation' | 'garbage_attestation' | 'stolen_attestation' | 'cloned_key';
const FAKE_VARIANTS: FakeVariant[] = ['unknown_manufacturer', 'revoked_manufacturer', 'forged_attestation', 'garbage_attestation', 'stolen_attestation', 'cloned_key'];
const FAKE_CODE: Record<FakeVariant, string> = {
  unknown_manufacturer: 'devices/2', revoked_manufacturer: 'devices/3', forged_attestation: 'devices/5', garbage_attestation: 'devices/5', stolen_attestation: 'devices/6', cloned_key: 'devices/7',
};

interface PendingBeacon {
  sub: Sub;
  beaconer: SimDevice;
  payload: Uint8Array;
}

export interface ChallengeStats {
  filed: number;
  upheld: number;
  rejected: number;
  refused: number;
}

export class Behaviours {
  private readonly sim: Simulation;
  /** Owners registering in each setup block (index 0 = height REG_START). */
  private readonly regBatches: Owner[][] = [];
  private readonly REG_START = 3n;
  /** Height before the first setup block (the empty block that commits InitChain). */
  private readonly base: bigint;
  private readonly pendingBeacons: PendingBeacon[] = [];
  private readonly witnessersOf = new Map<SimDevice, SimDevice[]>();
  private readonly pendingDrops = new Map<string, Attempt>();
  private readonly refresh = new Set<SimDevice>();
  private readonly challengeQueue: { proofId: bigint; kind: number; evidence: Uint8Array; why: string }[] = [];
  private readonly resolveQueue: bigint[] = [];
  private readonly challenged = new Set<bigint>();
  private readonly spendInfo = new Map<number, { deviceId: bigint; owner: string; epoch: bigint; burned?: bigint }>();
  private readonly recentEvents: Uint8Array[] = [];
  private attackerNonce = [0n, 0n];
  private readonly jobDevice = new Map<bigint, SimDevice>();
  private readonly lazyJobs = new Map<bigint, Attempt>();
  /** Spot-check attempts of lazy providers by device (primary or secondary side). */
  private readonly lazyChecks = new Map<bigint, Attempt[]>();
  private readonly checkQueue: { jobId: bigint; window: bigint; primary?: SimDevice; secondary?: SimDevice; phase: 'commit' | 'reveal' }[] = [];
  private readonly nextChecks: { jobId: bigint; window: bigint; primary?: SimDevice; secondary?: SimDevice; phase: 'commit' | 'reveal' }[] = [];
  private readonly voteQueue: { disputeId: bigint; verifier: string; jobId: bigint; window: bigint; at: bigint }[] = [];
  readonly spotCheckStats = { drawn: 0, skipped: 0, disputes: 0, resolved: 0 };
  private fakeDone = 0;
  readonly challenges: Record<number, ChallengeStats> = { 1: { filed: 0, upheld: 0, rejected: 0, refused: 0 }, 2: { filed: 0, upheld: 0, rejected: 0, refused: 0 }, 3: { filed: 0, upheld: 0, rejected: 0, refused: 0 } };
  private readonly challengeKind = new Map<bigint, number>();
  readonly equivocations: { validator: number; height: bigint; attempt: Attempt }[] = [];
  /** udpin burned for credits per self-dealer, and the demand rewards its devices got for them. */
  readonly selfDealing = { burned: 0n, demandReward: 0n, spends: 0 };
  readonly buyerSpends = { credits: 0n, count: 0 };

  constructor(sim: Simulation) {
    this.sim = sim;
    this.base = sim.chain.height;
    let batch: Owner[] = [];
    let n = 0;
    for (const o of sim.pop.owners) {
      batch.push(o);
      n += o.devices.length;
      if (n >= REG_PER_BLOCK) {
        this.regBatches.push(batch);
        batch = [];
        n = 0;
      }
    }
    if (batch.length) this.regBatches.push(batch);
    for (const d of sim.pop.devices) for (const nb of d.neighbours) (this.witnessersOf.get(nb) ?? this.witnessersOf.set(nb, []).get(nb)!).push(d);
  }

  /** Last setup height: the locations (and bonds, data sets) of the last registration batch. */
  setupEnd(): bigint {
    return this.base + this.REG_START + BigInt(this.regBatches.length) + 1n;
  }

  private get p() {
    return this.sim.params.proofs;
  }

  private nextTime(): bigint {
    return this.sim.chain.time.seconds + this.sim.chain.blockSeconds;
  }

  private tx(signer: SimAccount, msgs: EncodeObject[], gas: bigint, tag: Omit<Tag, 'honest' | 'actor'> & { honest?: boolean; actor?: string }): void {
    this.sim.tx(signer, msgs, gas, { honest: true, actor: signer.address, ...tag });
  }

  // ------------------------------------------------------------------ per block

  build(h: bigint): void {
    const pop = this.sim.pop;
    const s = h - this.base;
    if (s === 1n) this.setupGenesisActors();
    if (s === 2n) {
      this.tx(pop.authority, [M.setManufacturerStatusMsg(pop.authority.address, pop.rogue.id, MFR_REVOKED, 1, false)], 200_000n, { what: 'revoke the rogue manufacturer' });
    }
    if (s >= 2n && s % 10n === 2n) this.postPrices();
    if (s === 3n) for (const b of pop.buyers) this.tx(b.account, [RW.mintCreditsMsg(b.account.address, (b.selfDealer ? 20_000n : 50_000n) * DPIN)], 300_000n, { what: 'mint credits', honest: !b.selfDealer });
    const r = Number(s - this.REG_START);
    if (r >= 0 && r < this.regBatches.length) this.register(this.regBatches[r]!);
    if (r >= 1 && r <= this.regBatches.length) this.locate(this.regBatches[r - 1]!);
    if (r >= 2 && r <= this.regBatches.length + 1) this.createJobs(this.regBatches[r - 2]!);
    if (r >= 0 && r <= this.regBatches.length) this.fakeDevices(h, r);
    // Storage providers answer their data sets' proving periods from creation on.
    for (const d of this.storageDevices) if (d.located && !d.banned && d.id > 0n) this.storageWork(d, h);
    if (h >= this.sim.opStart) this.operate(h);
  }

  private get storageDevices(): SimDevice[] {
    return (this._storage ??= this.sim.pop.devices.filter((d) => d.storage));
  }
  private _storage: SimDevice[] | undefined;

  private setupGenesisActors(): void {
    const pop = this.sim.pop;
    const a = pop.authority.address;
    this.tx(pop.authority, [...pop.manufacturers, pop.rogue].map((m) => M.addManufacturerMsg({
      authority: a, id: m.id, name: m.id, operator: m.operator.address,
      attestationKeys: [{ keyType: m.secp.keyType, key: m.secp.publicKey }, { keyType: m.p256.keyType, key: m.p256.publicKey }],
      models: Object.values(m.models), deviceQuota: 10_000_000n,
    })), 200_000n + 100_000n * BigInt(pop.manufacturers.length + 1), { what: 'add manufacturers' });
    const oracleBond = this.sim.params.rewards.oracleMinBond;
    for (const o of pop.oracles) this.tx(o, [RW.registerOracleMsg(o.address, oracleBond)], 200_000n, { what: 'register oracle' });
    const vb = BigInt(this.p.minVerifierBond?.amount ?? '0');
    for (const v of pop.verifiers) this.tx(v, [P.bondVerifierMsg(v.address, udpin(vb))], 200_000n, { what: 'bond verifier' });
  }

  private postPrices(): void {
    const t = this.nextTime();
    this.sim.pop.oracles.forEach((o, i) => {
      // Honest oracles agree within ±0.2 %.
      const price = PRICE + BigInt((i % 5) - 2) * (PRICE / 1000n);
      this.tx(o, [RW.postPriceMsg(o.address, price, t)], 200_000n, { what: 'post price' });
    });
  }

  private register(owners: Owner[]): void {
    const chainId = this.sim.chain.chainId;
    for (const o of owners) {
      const msgs = o.devices.map((d) => {
        o.nonce += 1n;
        const sh = serialHashOf(d);
        return M.registerDeviceMsg({
          chainId, owner: o.account.address, nonce: o.nonce, device: d.key, manufacturerId: d.mfr.id, model: d.model, sector: d.sectorId,
          hardwareClass: d.hardwareClass, serialHash: sh, attestation: attestDevice(d.mfr.secp, { manufacturerId: d.mfr.id, device: d.key, model: d.model, serialHash: sh }),
          maxFee: udpin(DPIN),
        });
      });
      this.tx(o.account, msgs, 150_000n + 200_000n * BigInt(msgs.length), {
        what: `register ${msgs.length} devices`, honest: o.honest, actor: `owner ${o.index}`,
        onOk: (res) => {
          const evs = res.events.filter((e) => e.type === 'device_registered');
          o.devices.forEach((d, i) => {
            d.id = BigInt(attrs(evs[i]!).device_id!);
            this.sim.deviceById.set(d.id, d);
          });
        },
      });
    }
  }

  private locate(owners: Owner[]): void {
    const bond = BigInt(this.p.minProviderBond?.amount ?? '0');
    for (const o of owners) {
      const devs = o.devices.filter((d) => d.id > 0n);
      if (!devs.length) continue;
      const msgs: EncodeObject[] = [];
      for (const d of devs) {
        msgs.push(M.assertLocationMsg(o.account.address, d.id, d.place.cell, udpin(DPIN)));
        if (d.provider) msgs.push(P.bondProviderMsg(o.account.address, d.id, udpin(bond)));
        if (d.storage) msgs.push(P.createDataSetMsg(o.account.address, d.id, d.storage.pieces.map((p) => ({ root: p.root, leafCount: p.leafCount }))));
      }
      this.tx(o.account, msgs, 150_000n + 150_000n * BigInt(msgs.length), {
        what: `locate ${devs.length} devices`, honest: o.honest, actor: `owner ${o.index}`,
        onOk: (res) => {
          for (const d of devs) d.located = true;
          for (const e of res.events.filter((x) => x.type === 'data_set_created')) {
            const a = attrs(e);
            const d = this.sim.deviceById.get(BigInt(a.device_id!));
            if (d?.storage) {
              d.storage.dataSetId = BigInt(a.data_set_id!);
              this.refresh.add(d);
            }
          }
        },
      });
    }
  }

  /** Fake-device registrations by the attackers, spread over the registration blocks. */
  private fakeDevices(h: bigint, r: number): void {
    const pop = this.sim.pop;
    const blocks = this.regBatches.length + 1;
    const upto = Math.ceil((pop.fakeDevices * (r + 1)) / blocks);
    const registered = pop.devices.filter((d) => d.id > 0n && d.honest && d.key.keyType === 1);
    while (this.fakeDone < upto) {
      const i = this.fakeDone++;
      let variant = FAKE_VARIANTS[i % FAKE_VARIANTS.length]!;
      if (variant === 'cloned_key' && !registered.length) variant = 'forged_attestation';
      const ai = i % 2;
      const attacker = pop.attackers[ai]!;
      const nonce = (this.attackerNonce[ai]! += 1n);
      const mfr = pop.manufacturers[i % pop.manufacturers.length]!;
      const fake = deviceKeyFromPrivate('secp256k1', derive(this.sim.cfg.seed, 'fake-device', BigInt(i)));
      const serial = `FAKE-${i}`;
      let key = fake;
      let mfrId = mfr.id;
      let model = mfr.models.sensor;
      let sh = mkSerialHash(mfrId, serial);
      let attestation: Uint8Array;
      let deviceSignature: Uint8Array | undefined;
      switch (variant) {
        case 'unknown_manufacturer':
          mfrId = 'no-such-manufacturer';
          sh = mkSerialHash(mfrId, serial);
          attestation = attestDevice(fake, { manufacturerId: mfrId, device: fake, model, serialHash: sh });
          break;
        case 'revoked_manufacturer':
          mfrId = pop.rogue.id;
          model = pop.rogue.models.sensor;
          sh = mkSerialHash(mfrId, serial);
          attestation = attestDevice(pop.rogue.secp, { manufacturerId: mfrId, device: fake, model, serialHash: sh });
          break;
        case 'forged_attestation':
          // Signed by a key the attacker made up, claiming a real manufacturer.
          attestation = attestDevice(deviceKeyFromPrivate('secp256k1', derive(this.sim.cfg.seed, 'forger', BigInt(i))), { manufacturerId: mfrId, device: fake, model, serialHash: sh });
          break;
        case 'garbage_attestation':
          attestation = derive(this.sim.cfg.seed, 'garbage', BigInt(i)).subarray(0, 32);
          attestation = concat(attestation, attestation);
          break;
        case 'stolen_attestation': {
          // A genuine attestation of a real device the attacker does not hold (no private key).
          const genuine = deviceKeyFromPrivate('secp256k1', derive(this.sim.cfg.seed, 'unsold-device', BigInt(i)));
          key = genuine;
          attestation = attestDevice(mfr.secp, { manufacturerId: mfrId, device: genuine, model, serialHash: sh });
          deviceSignature = signDigest(sha256(new Uint8Array([0, 1, 2, 3])), fake.privateKey);
          break;
        }
        case 'cloned_key': {
          // Key and attestation extracted from a registered honest device, replayed for the attacker.
          const victim = registered[i % registered.length]!;
          key = victim.key;
          mfrId = victim.mfr.id;
          model = victim.model;
          sh = serialHashOf(victim);
          attestation = attestDevice(victim.mfr.secp, { manufacturerId: mfrId, device: victim.key, model, serialHash: sh });
          break;
        }
      }
      const a = this.sim.tracker.attempt('fake_device', variant, h, `attacker ${ai}`, 'caught');
      const msg = M.registerDeviceMsg({
        chainId: this.sim.chain.chainId, owner: attacker.address, nonce, device: key, deviceSignature, manufacturerId: mfrId, model, sector: 4,
        hardwareClass: 'standard', serialHash: sh, attestation, maxFee: udpin(DPIN),
      });
      this.tx(attacker, [msg], 400_000n, { what: `fake device (${variant})`, honest: false, actor: `attacker ${ai}`, attempt: a, expectCodes: [FAKE_CODE[variant]] });
    }
  }

  // ------------------------------------------------------------------ operation

  private operate(h: bigint): void {
    const W = this.p.windowBlocks;
    const w = h / W;
    const off = Number(h % W);
    const seed = this.sim.seed(w);
    // Witnesses of the beacons accepted in the previous block.
    const beacons = this.pendingBeacons.splice(0);
    for (const b of beacons) this.witnessBeacon(b, h, w);
    for (const d of this.sim.pop.devices) {
      if (!d.located || d.banned || d.id === 0n) continue;
      if (seed && d.slot === off) this.windowWork(d, w, seed, h);
    }
    this.challengesAndResolutions();
    this.spotChecks();
    const E = this.sim.params.rewards.epochBlocks;
    const eoff = h % E;
    // Demand grows: each epoch honest buyers burn 100 DPIN x epoch for credits (revenue).
    if (eoff === 3n % E) for (const b of this.sim.pop.buyers) if (!b.selfDealer) this.tx(b.account, [RW.mintCreditsMsg(b.account.address, 100n * DPIN * (h / E))], 300_000n, { what: 'mint credits', actor: `buyer ${b.index}` });
    if (eoff === 5n % E) this.spendCredits(h);
    if (eoff === 9n % E) this.claims(h / E);
    this.equivocate(h);
  }

  private windowWork(d: SimDevice, w: bigint, seed: Uint8Array, h: bigint): void {
    const b = d.behaviour;
    const sim = this.sim;
    switch (b.kind) {
      case 'honest': {
        const env = this.honestEnvelope(d, w, seed);
        if (env) sim.submitHonest(env);
        if (d.job) sim.submitHonest(this.receiptFor(d, w, seed, this.trueOutput(d.job.jobId, w)));
        return;
      }
      case 'witness_ring': {
        if (b.variant === 'freeloader') return; // only witnesses
        const s = this.honestEnvelope(d, w, seed, true);
        if (s) sim.submitOwn(s);
        return;
      }
      case 'spoofed_location': {
        if (b.variant === 'sensor_cell') {
          const a = sim.tracker.attempt('spoofed_location', b.variant, h, `device ${d.id}`, 'caught', 'reports its true cell, beyond the ring limit of its asserted location');
          sim.submitOwn({ env: P.sensorBatch(d.key, sim.ec(d, w, seed), { readingCount: READINGS, readingsRoot: this.root(d, w), cell: d.truePlace.cell }), device: d, kind: KIND.SENSOR_BATCH, window: w, attempt: a });
        } else if (b.variant === 'stealth') {
          const a = sim.tracker.attempt('spoofed_location', b.variant, h, `device ${d.id}`, 'chance', 'consistent reports; caught only if a watcher obtains its leaked envelope');
          if (d.sector === 'sensor') {
            const env = P.sensorBatch(d.key, sim.ec(d, w, seed), { readingCount: READINGS, readingsRoot: this.root(d, w), cell: d.place.cell });
            const leak = P.sensorBatch(d.key, sim.ec(d, w, seed), { readingCount: READINGS, readingsRoot: this.root(d, w + 1000n), cell: d.truePlace.cell });
            sim.submitOwn({ env, device: d, kind: KIND.SENSOR_BATCH, window: w, attempt: a, leak });
          } else {
            const region = regionOf(d);
            const r = RADIO[region]!;
            const bc = P.beacon(d.key, sim.ec(d, w, seed), { ...r, region, localEntropy: derive(sim.cfg.seed, 'entropy', d.id * 100000n + w).subarray(0, 4), cell: d.place.cell });
            const leak = P.beacon(d.key, sim.ec(d, w, seed), { ...r, region, localEntropy: derive(sim.cfg.seed, 'entropy2', d.id * 100000n + w).subarray(0, 4), cell: d.truePlace.cell });
            sim.submitOwn({ env: bc.envelope, device: d, kind: KIND.BEACON, window: w, attempt: a, beaconPayload: bc.payload, leak: leak.envelope });
          }
        } else {
          // witness_rssi / witness_far: beacons honestly (its witnessing is the cheat).
          const s = this.honestEnvelope(d, w, seed, true);
          if (s) sim.submitOwn(s);
        }
        return;
      }
      case 'replayed_proof':
      case 'forged_proof': {
        if (b.kind === 'replayed_proof' && b.variant === 'copied_batch') {
          const a = sim.tracker.attempt('replayed_proof', b.variant, h, `device ${d.id}`, 'caught', 'copies the event id of an accepted honest batch');
          const ev = this.recentEvents.length ? this.recentEvents[Number(h) % this.recentEvents.length]! : undefined;
          if (!ev) {
            sim.tracker.attempts.pop(); // nothing to copy yet: no attempt
            return;
          }
          const env = P.sensorBatch(d.key, sim.ec(d, w, seed), { readingCount: READINGS, readingsRoot: sha256(ev), cell: d.place.cell, eventId: ev });
          sim.submitOwn({ env, device: d, kind: KIND.SENSOR_BATCH, window: w, attempt: a });
          return;
        }
        const s = this.honestEnvelope(d, w, seed, true);
        if (!s) return;
        this.cheat(d, h, s, seed, (c, v) => this.envelopeFor(d, c, c.window, v)!);
        return;
      }
      case 'lazy_compute': {
        if (b.variant === 'job') {
          // Works the puzzle, but returns made-up outputs to its tenant (who cannot tell).
          const s = this.honestEnvelope(d, w, seed, true);
          if (s) sim.submitOwn(s);
          if (d.job) sim.submitOwn(this.receiptFor(d, w, seed, this.lazyOutput(d, d.job.jobId, w)));
          return;
        }
        const c = sim.ec(d, w, seed);
        const nonce = derive(sim.cfg.seed, 'lazy', d.id * 100000n + w).subarray(0, 8);
        const bits = difficultyBits(this.p, d.hardwareClass);
        const lucky = leadingZeroBits(sha256(concat(puzzleChallenge(seed, d.id, w), nonce))) >= bits;
        const a = sim.tracker.attempt('lazy_compute', 'puzzle', h, `device ${d.id}`, lucky ? 'escape' : 'caught', lucky ? 'the random nonce happens to meet the difficulty' : 'a random nonce that does not meet the difficulty');
        sim.submitOwn({ env: P.availability(d.key, c, nonce), device: d, kind: KIND.AVAILABILITY, window: w, attempt: a });
        return;
      }
      case 'storage_dropper':
        return; // storage work is per proving period
    }
  }

  /** A replayed or forged variant of `base` (an envelope the device submits first, honestly), in
   * its own tx right after it. `make` re-signs the device's envelope for another context. */
  private cheat(d: SimDevice, h: bigint, base: Sub, seed: Uint8Array, make: (c: P.EnvelopeContext, variant: bigint) => P.EnvelopeMsg): void {
    const sim = this.sim;
    const b = d.behaviour;
    if (b.kind !== 'replayed_proof' && b.kind !== 'forged_proof') return;
    const w = base.window;
    sim.submitOwn(base);
    const a = sim.tracker.attempt(b.kind, b.variant, h, `device ${d.id}`, 'caught');
    const fake = derive(sim.cfg.seed, 'guess', d.id * 1000n + w);
    let env: P.EnvelopeMsg;
    let code: string;
    switch (b.variant) {
      case 'replay':
        env = base.env;
        code = 'proofs/12';
        break;
      case 'duplicate_slot':
        env = make(sim.ec(d, w, seed), 1n);
        base.leak = env;
        code = 'proofs/17';
        break;
      case 'expired_window': {
        const old = w - this.p.seedLifetimeWindows - 1n;
        const oldSeed = sim.seed(old);
        if (!oldSeed) {
          sim.tracker.attempts.pop(); // nothing to replay yet: no attempt
          return;
        }
        env = make(sim.ec(d, old, oldSeed), 0n);
        code = 'proofs/15';
        break;
      }
      case 'forged_signature': {
        const e = make(sim.ec(d, w, seed), 2n);
        env = { ...e, signature: signDigest(sha256(e.header), derive(sim.cfg.seed, 'forger-key', d.id)) };
        code = 'proofs/11';
        break;
      }
      case 'tampered_payload': {
        const e = make(sim.ec(d, w, seed), 2n);
        const payload = Uint8Array.from(e.payload);
        payload[payload.length - 1]! ^= 0xff;
        env = { ...e, payload };
        code = 'proofs/10';
        break;
      }
      case 'wrong_chain':
        env = make({ ...sim.ec(d, w, seed), chainId: 'depin-other-1' }, 2n);
        code = 'proofs/3';
        break;
      case 'guessed_seed':
        env = make(sim.ec(d, w, fake), 2n);
        code = 'proofs/16';
        break;
      case 'future_window':
        env = make(sim.ec(d, w + 1n, fake), 2n);
        code = 'proofs/14';
        break;
      default:
        return;
    }
    // A PDP period closes with its first valid proof: later envelopes for it meet "seed expired"
    // (proofs 15) before the duplicate or seed checks.
    const codes = base.kind === KIND.PDP && code !== 'proofs/12' && code !== 'proofs/11' && code !== 'proofs/10' ? [code, 'proofs/15'] : [code];
    sim.submitOwn({ env, device: d, kind: base.kind, window: w, attempt: a }, codes);
  }

  private root(d: SimDevice, w: bigint): Uint8Array {
    return derive(this.sim.cfg.seed, 'readings', d.id * 1_000_000n + w);
  }

  /** The device's honest proof of the window (coverage: a beacon, with probability beaconPpm). */
  private honestEnvelope(d: SimDevice, w: bigint, seed: Uint8Array, always = false, variant = 0n): Sub | undefined {
    const sim = this.sim;
    if (d.sector === 'storage') {
      // Storage has no window proof: its proofs follow the data set's proving periods (storageWork).
      return undefined;
    }
    if (d.sector === 'coverage' && !always && variant === 0n && w > sim.opStart / this.p.windowBlocks && !sim.rng.chancePpm(sim.cfg.beaconPpm)) return undefined;
    const c = sim.ec(d, w, seed);
    const env = this.envelopeFor(d, c, w, variant);
    if (!env) return undefined;
    const kind = d.sector === 'coverage' ? KIND.BEACON : d.sector === 'compute' ? KIND.AVAILABILITY : KIND.SENSOR_BATCH;
    const sub: Sub = { env, device: d, kind, window: w };
    if (kind === KIND.BEACON) sub.beaconPayload = BeaconPayloadCodec.decode(env.payload).payload;
    return sub;
  }

  private envelopeFor(d: SimDevice, c: P.EnvelopeContext, w: bigint, variant = 0n): P.EnvelopeMsg | undefined {
    const sim = this.sim;
    switch (d.sector) {
      case 'sensor':
        return P.sensorBatch(d.key, c, { readingCount: READINGS, readingsRoot: this.root(d, w + variant * 7919n), cell: d.place.cell });
      case 'compute':
        return P.availability(d.key, c, variant === 0n ? P.solvePuzzle(c.seed, d.id, c.window, difficultyBits(this.p, d.hardwareClass)) : concat(P.solvePuzzle(c.seed, d.id, c.window, difficultyBits(this.p, d.hardwareClass)), Uint8Array.of(Number(variant))));
      case 'coverage': {
        const region = regionOf(d);
        const r = RADIO[region]!;
        return P.beacon(d.key, c, { ...r, region, localEntropy: derive(sim.cfg.seed, 'entropy', d.id * 100000n + w * 10n + variant).subarray(0, 4) }).envelope;
      }
      default:
        return undefined;
    }
  }

  private witnessBeacon(b: PendingBeacon, h: bigint, w: bigint): void {
    const sim = this.sim;
    const seed = sim.seed(w);
    if (!seed) return;
    const region = regionOf(b.beaconer);
    const radio = RADIO[region]!;
    const eirp = radio.txPowerDbm10 + radio.antennaGainDbi10;
    for (const x of this.witnessersOf.get(b.beaconer) ?? []) {
      if (!x.located || x.banned || x.id === 0n || x === b.beaconer) continue;
      const n = x.witnessedInWindow.get(w) ?? 0;
      if (n >= sim.cfg.witnessesPerDevice) continue;
      x.witnessedInWindow.set(w, n + 1);
      x.witnessedInWindow.delete(w - 2n);
      const gain = 30;
      const dist = separation(b.beaconer.place.cell, x.place.cell);
      const fspl = dist === undefined ? undefined : fsplLowerBoundDb10(dist, radio.frequencyKhz);
      const bound = fspl === undefined ? -1500 : eirp + gain - fspl;
      let rssi = Math.max(-1500, bound - 60 - sim.rng.int(0, 100));
      const bh = x.behaviour;
      let attempt: Attempt | undefined;
      if (bh.kind === 'witness_ring') {
        if (bh.variant === 'naive') {
          rssi = -250; // co-located radios hear each other far too well
          attempt = sim.tracker.attempt('witness_ring', 'naive', h, `device ${x.id}`, bound < -250 ? 'caught' : 'chance', 'reports the RSSI of a radio on the same mast');
        } else {
          attempt = sim.tracker.attempt('witness_ring', bh.variant, h, `device ${x.id}`, bh.variant === 'freeloader' ? 'caught' : 'chance',
            bh.variant === 'freeloader' ? 'never beacons: fails reciprocity' : 'tuned RSSI below the free-space bound: only the cap and arbitration limit it');
        }
      } else if (bh.kind === 'spoofed_location' && bh.variant === 'witness_rssi') {
        rssi = Math.min(0, bound + 150);
        attempt = sim.tracker.attempt('spoofed_location', 'witness_rssi', h, `device ${x.id}`, 'caught', 'RSSI 15 dB above the free-space bound of the asserted distance');
      } else if (bh.kind === 'spoofed_location' && bh.variant === 'witness_far') {
        attempt = sim.tracker.attempt('spoofed_location', 'witness_far', h, `device ${x.id}`, 'caught', 'hears a beacon of the city it is really in, far from its asserted location');
      } else if (!x.honest && bh.kind !== 'spoofed_location') continue;
      const env = P.witness(x.key, sim.ec(x, w, seed), { beaconPayload: b.payload, rssiDbm10: rssi, snrDb10: 60, frequencyKhz: radio.frequencyKhz, region, antennaGainDbi10: gain });
      const sub: Sub = { env, device: x, kind: KIND.WITNESS, window: w, attempt };
      if (x.honest) sim.submitHonest(sub);
      else sim.submitOwn(sub);
    }
  }

  private storageWork(d: SimDevice, h: bigint): void {
    const s = d.storage!;
    if (s.dataSetId === 0n || s.handledPeriod === s.period || s.challengeHeight === 0n) return;
    if (h !== s.challengeHeight + 1n + BigInt(d.index % 3) || h > s.deadline) return;
    const sim = this.sim;
    const seed = sim.challengeSeed(s.challengeHeight);
    if (!seed) return;
    s.handledPeriod = s.period;
    const n = this.p.challengesPerProof;
    const honestAnswers = () => P.pdpAnswers(s.pieces, seed, s.dataSetId, n);
    const b = d.behaviour;
    if (b.kind !== 'storage_dropper') {
      const make = (c: P.EnvelopeContext, variant: bigint) => P.pdpProof(d.key, c, s.dataSetId, variant === 1n ? honestAnswers().map((x, i) => (i === 0 ? { ...x, leaf: derive(sim.cfg.seed, 'dup-leaf', s.period) } : x)) : honestAnswers());
      const sub: Sub = { env: make(sim.ec(d, s.period, seed), 0n), device: d, kind: KIND.PDP, window: s.period };
      if (d.honest) sim.submitHonest(sub);
      else if (b.kind === 'replayed_proof' || b.kind === 'forged_proof') this.cheat(d, h, sub, seed, make);
      else sim.submitOwn(sub);
      return;
    }
    if (b.variant === 'full') {
      const a = sim.tracker.attempt('storage_dropper', 'full', h, `device ${d.id}`, 'caught', 'dropped all data: does not answer the period');
      this.pendingDrops.set(`${d.id}/${s.period}`, a);
      return;
    }
    if (s.dropped.size === 0) {
      // Partial droppers lose a quarter of their leaves; garbage answers all with made-up leaves.
      const total = Number(s.totalLeaves);
      for (const i of sim.rng.sample(total, b.variant === 'partial' ? Math.max(1, total >> 2) : total)) s.dropped.add(BigInt(i));
    }
    const idx = Array.from({ length: n }, (_, i) => pdpChallengeIndex(seed, s.dataSetId, i, s.totalLeaves));
    const hit = idx.filter((i) => s.dropped.has(i));
    const answers = honestAnswers().map((ans, i) => (s.dropped.has(idx[i]!) ? { leaf: derive(sim.cfg.seed, 'garbage-leaf', idx[i]!), path: ans.path } : ans));
    const a = sim.tracker.attempt('storage_dropper', b.variant, h, `device ${d.id}`, hit.length ? 'caught' : 'escape',
      hit.length ? `challenged leaves ${hit.join(', ')} are among the dropped ones` : `none of the ${n} challenged leaves was dropped`);
    sim.submitOwn({ env: P.pdpProof(d.key, sim.ec(d, s.period, seed), s.dataSetId, answers), device: d, kind: KIND.PDP, window: s.period, attempt: a });
  }

  /** Each bonded compute provider gets a job from an honest buyer (a tenant key signs receipts). */
  private createJobs(owners: Owner[]): void {
    const sim = this.sim;
    const tenants = sim.pop.buyers.filter((b) => !b.selfDealer);
    for (const o of owners) {
      for (const d of o.devices) {
        if (d.sector !== 'compute' || !d.provider || d.id === 0n) continue;
        const b = tenants[d.index % tenants.length]!;
        const spec = derive(sim.cfg.seed, 'job-spec', d.id);
        const lazy = d.behaviour.kind === 'lazy_compute';
        this.tx(b.account, [P.createJobMsg(b.account.address, d.id, b.tenantPub, udpin(JOB_DEPOSIT), JOB_PRICE, spec)], 300_000n, {
          what: `create a job for device ${d.id}`, actor: `buyer ${b.index}`,
          onOk: (r, height) => {
            const ev = r.events.find((e) => e.type === 'job_created');
            if (!ev) return;
            d.job = { jobId: BigInt(attrs(ev).job_id!), tenant: b, specHash: spec, pricePerUnit: JOB_PRICE };
            this.jobDevice.set(d.job.jobId, d);
            if (lazy) {
              const a = sim.tracker.attempt('lazy_compute', 'job', height, `device ${d.id}`, 'chance', 'returns made-up outputs; caught only if its seeded spot check selects the job (spot_check_bps)');
              this.lazyJobs.set(d.job.jobId, a);
            }
          },
        });
      }
    }
  }

  private checkWindowOf(jobId: bigint): bigint {
    return getJob(this.sim.chain.keepers.proofs, this.sim.chain.readCtx(), jobId)?.checkWindow ?? 0n;
  }

  private trueOutput(jobId: bigint, w: bigint): Uint8Array {
    return derive(this.sim.cfg.seed, 'job-output', jobId * 1_000_000n + w);
  }

  /** A lazy device's made-up output: its own (two independent lazy providers drawn for one spot
   * check do not invent the same bytes; colluding ones would be another behaviour). */
  private lazyOutput(d: SimDevice, jobId: bigint, w: bigint): Uint8Array {
    return derive(this.sim.cfg.seed, `lazy-output-${d.id}`, jobId * 1_000_000n + w);
  }

  private outputOf(d: SimDevice, jobId: bigint, w: bigint): Uint8Array {
    return d.behaviour.kind === 'lazy_compute' ? this.lazyOutput(d, jobId, w) : this.trueOutput(jobId, w);
  }

  private receiptFor(d: SimDevice, w: bigint, seed: Uint8Array, output: Uint8Array): Sub {
    const j = d.job!;
    const sig = P.signReceipt(j.tenant.tenantKey, this.sim.chain.chainId, j.jobId, w, RECEIPT_UNITS, output);
    return { env: P.receipt(d.key, this.sim.ec(d, w, seed), { jobId: j.jobId, units: RECEIPT_UNITS, outputHash: output, tenantSignature: sig }), device: d, kind: KIND.RECEIPT, window: w };
  }

  /** Spot checks: both providers' owners commit, then reveal, the output of the check window. */
  private spotChecks(): void {
    const sim = this.sim;
    for (const c of this.checkQueue.splice(0)) {
      for (const d of [c.primary, c.secondary]) {
        if (!d || d.banned) continue;
        const out = this.outputOf(d, c.jobId, c.window);
        const salt = derive(sim.cfg.seed, 'salt', c.jobId * 1_000_000n + d.id);
        const msg = c.phase === 'commit' ? P.commitResultMsg(d.owner.account.address, c.jobId, d.id, P.resultCommitment(out, salt)) : P.revealResultMsg(d.owner.account.address, c.jobId, d.id, out, salt);
        this.tx(d.owner.account, [msg], 400_000n, { what: `${c.phase} spot-check result of job ${c.jobId}`, honest: d.honest, actor: `device ${d.id}` });
      }
      if (c.phase === 'commit') this.nextChecks.push({ ...c, phase: 'reveal' });
    }
    this.checkQueue.push(...this.nextChecks.splice(0));
    // Committee members vote one block apart and only while the dispute is open (a quorum closes it).
    const h = sim.chain.height + 1n;
    const due = this.voteQueue.filter((v) => v.at <= h);
    this.voteQueue.splice(0, this.voteQueue.length, ...this.voteQueue.filter((v) => v.at > h));
    const ctx = due.length ? sim.chain.readCtx() : undefined;
    for (const v of due) {
      const acc = sim.pop.verifiers.find((x) => x.address === v.verifier);
      const open = getDispute(sim.chain.keepers.proofs, ctx!, v.disputeId)?.status === DISPUTE_OPEN;
      if (acc && open) this.tx(acc, [P.voteDisputeMsg(acc.address, v.disputeId, this.trueOutput(v.jobId, v.window))], 400_000n, { what: `vote on dispute ${v.disputeId}`, actor: 'verifier' });
    }
  }

  private challengesAndResolutions(): void {
    const sim = this.sim;
    const pop = sim.pop;
    const bond = BigInt(this.p.minChallengeBond?.amount ?? '0');
    for (const c of this.challengeQueue.splice(0)) {
      const watcher = pop.watchers[Number(c.proofId % BigInt(pop.watchers.length))]!;
      this.challenges[c.kind]!.filed++;
      this.tx(watcher, [P.challengeProofMsg(watcher.address, c.proofId, c.kind, c.evidence, udpin(bond))], 600_000n, {
        what: `challenge proof ${c.proofId} (${c.why})`, honest: false, actor: 'watcher',
        onOk: (r) => {
          const ev = r.events.find((e) => e.type === 'challenge_opened');
          if (!ev) return;
          const id = BigInt(attrs(ev).challenge_id!);
          this.challengeKind.set(id, c.kind);
          if (c.kind === 3) this.resolveQueue.push(id);
        },
        onFail: () => {
          this.challenges[c.kind]!.refused++;
        },
      });
    }
    for (const id of this.resolveQueue.splice(0)) {
      // The authority's investigation confirms the cluster on one mast.
      this.tx(pop.authority, [P.resolveChallengeMsg(pop.authority.address, id, true, 'co-located witnesses on one mast')], 600_000n, { what: `resolve challenge ${id}` });
    }
  }

  private spendCredits(h: bigint): void {
    const sim = this.sim;
    const targets = sim.pop.devices.filter((d) => d.honest && d.located && d.id > 0n && !d.banned);
    if (!targets.length) return;
    for (const b of sim.pop.buyers) {
      const own = b.selfDealer ? b.owner!.devices.filter((d) => d.located && d.id > 0n && !d.banned) : [];
      const picks = b.selfDealer ? own.slice(0, 4) : [0, 1, 2].map(() => targets[sim.rng.int(0, targets.length - 1)]!);
      for (const [pi, d] of picks.entries()) {
        const amount = b.selfDealer ? 250_000_000n : BigInt(sim.rng.int(1, 50)) * 10_000_000n;
        const eventId = derive(sim.cfg.seed, 'spend', BigInt(b.index) * 1_000_000_000n + h * 1000n + BigInt(pi));
        // A self-dealer's spend is an attempt once the chain accepted it (the cap, not a refusal, is
        // what neutralises it; a refused spend is reported as a disagreement below).
        this.tx(b.account, [RW.spendCreditsMsg(b.account.address, { deviceId: d.id }, amount, eventId)], 300_000n, {
          what: `spend credits on device ${d.id}`, honest: !b.selfDealer, actor: `buyer ${b.index}`,
          onOk: (r) => this.onSpend(r, d, amount, b.selfDealer ? sim.tracker.attempt('self_dealing_buyer', 'own_devices', h, `buyer ${b.index}`, 'caught', 'spends credits on its own devices to collect demand rewards') : undefined),
          onFail: (r) => {
            if (b.selfDealer) sim.tracker.unexpected.push(`self-dealer ${b.index}'s spend refused (${r.codespace}/${r.code}: ${r.log}): the simulation under-funded it`);
          },
        });
      }
    }
  }

  private onSpend(r: TxResult, d: SimDevice, amount: bigint, attempt: Attempt | undefined): void {
    const ev = r.events.find((e) => e.type === 'credits_spent');
    if (!ev) return;
    const a = attrs(ev);
    if (attempt) {
      this.spendInfo.set(attempt.id, { deviceId: d.id, owner: d.owner.account.address, epoch: BigInt(a.epoch!), burned: BigInt(/^\d+/.exec(a.basis ?? '0')?.[0] ?? '0') });
      this.selfDealing.spends++;
    } else {
      this.buyerSpends.credits += amount;
      this.buyerSpends.count++;
    }
  }

  private claims(epoch: bigint): void {
    const owners = this.sim.pop.owners.filter((o) => o.honest && BigInt(o.index) % 4n === epoch % 4n);
    for (const o of owners) this.tx(o.account, [RW.claimRewardsMsg(o.account.address, [])], 300_000n + 30_000n * BigInt(o.devices.length), { what: 'claim rewards', actor: `owner ${o.index}` });
  }

  /** Each equivocating validator double-signs one precommit; the evidence (verified as the node's
   * evidence pool would) reaches FinalizeBlock as misbehavior. */
  private equivocate(h: bigint): void {
    const sim = this.sim;
    const eq = sim.pop.validators.filter((v) => v.equivocates);
    eq.forEach((v, i) => {
      if (h !== sim.opStart + 3n + BigInt(i) * 7n) return;
      const vh = h - 1n;
      const set = sim.chain.valsets.get(vh);
      const time = sim.chain.times.get(vh);
      if (!set || !time) return;
      const idx = set.indexOf(v.key.address);
      const a = sim.tracker.attempt('equivocating_validator', 'double_precommit', h, `validator ${v.index}`, 'caught', `two precommits at height ${vh}`);
      if (idx < 0) {
        a.outcome = { status: 'pending', how: 'not in the validator set' };
        return;
      }
      const vote = (tag: string): Vote => {
        const blockId = { hash: sha256(new TextEncoder().encode(`${tag}/${vh}`)), partSetHeader: { total: 1, hash: sha256(new TextEncoder().encode(`parts/${tag}/${vh}`)) } };
        const sig = v.key.sign(canonicalVoteSignBytes(sim.chain.chainId, SIGNED_MSG_TYPE_PRECOMMIT, vh, 0, blockId, time));
        return { type: SIGNED_MSG_TYPE_PRECOMMIT, height: vh, round: 0, blockId, timestamp: time, validatorAddress: v.key.address, validatorIndex: idx, signature: sig };
      };
      const ev = makeDuplicateVoteEvidence(vote('a'), vote('b'), set);
      verifyDuplicateVoteEvidence(sim.chain.chainId, set, ev);
      const list = sim.misbehaviorQueue.get(h) ?? [];
      list.push({ type: 'duplicate_vote', validatorAddress: v.key.address, height: vh, time, totalVotingPower: ev.totalVotingPower, power: ev.validatorPower });
      sim.misbehaviorQueue.set(h, list);
      this.equivocations.push({ validator: v.index, height: h, attempt: a });
    });
  }

  // ------------------------------------------------------------------ reading outcomes

  afterBlock(out: BlockOutcome, tags: Tag[]): void {
    // Accepted beacons: their neighbours witness them in the next block.
    out.result.txResults.forEach((r, i) => {
      if (r.code !== 0) return;
      for (const s of tags[i]!.subs ?? []) if (s.kind === KIND.BEACON && s.beaconPayload && s.proofId !== undefined) this.pendingBeacons.push({ sub: s, beaconer: s.device, payload: s.beaconPayload });
    });
    if (this.refresh.size) {
      const ctx = this.sim.chain.readCtx();
      for (const d of this.refresh) {
        const s = d.storage!;
        const ds = getDataSet(this.sim.chain.keepers.proofs, ctx, s.dataSetId);
        if (!ds || ds.status !== 1) {
          s.challengeHeight = 0n;
          continue;
        }
        s.period = ds.period;
        s.challengeHeight = ds.challengeHeight;
        s.deadline = ds.deadlineHeight;
        s.totalLeaves = ds.totalLeaves;
      }
      this.refresh.clear();
    }
  }

  onVerdict(id: bigint, v: Verdict, sub: Sub | undefined, h: bigint): void {
    const sim = this.sim;
    const d = sim.deviceById.get(v.deviceId);
    if (v.kind === 'storage/pdp' && d?.storage) {
      this.refresh.add(d);
      if (!sub) {
        const a = this.pendingDrops.get(`${v.deviceId}/${v.window}`);
        if (a) {
          this.pendingDrops.delete(`${v.deviceId}/${v.window}`);
          sim.tracker.resolve(a, v.valid ? 'escaped' : 'caught', v.valid ? 'period counted as proven' : `recorded invalid: ${v.reason} (end block)`);
        } else if (d.honest && !v.valid) sim.tracker.penalise(h, `device ${d.id}`, `honest storage period ${v.window} recorded invalid ${v.reason}`);
      }
    }
    if (v.kind === 'compute/check' && d) {
      const list = this.lazyChecks.get(d.id);
      const att = list?.shift();
      if (att) sim.tracker.resolve(att, v.valid ? 'escaped' : 'caught', v.valid ? 'spot check passed' : `recorded invalid: ${v.reason} (spot check)`);
      if (d.honest && !v.valid) sim.tracker.penalise(h, `device ${d.id}`, `honest spot check recorded invalid ${v.reason}`);
    }
    if (!v.valid || !sub || !d) return;
    if (sub.kind === KIND.SENSOR_BATCH && d.honest) {
      const payload = sub.env.payload;
      // The event id is the last 32 bytes of the canonical payload (field 4).
      this.recentEvents.push(payload.subarray(payload.length - 32));
      if (this.recentEvents.length > 64) this.recentEvents.shift();
    }
    if (this.challenged.has(id)) return;
    const bh = d.behaviour;
    if (sub.leak && bh.kind === 'replayed_proof' && bh.variant === 'duplicate_slot') {
      this.challenged.add(id);
      this.challengeQueue.push({ proofId: id, kind: 1, evidence: P.envelopeBytes(sub.leak), why: 'equivocation: a second signed claim for the slot' });
    } else if (sub.leak && bh.kind === 'spoofed_location' && sim.rng.chancePpm(sim.cfg.watcherPpm)) {
      this.challenged.add(id);
      this.challengeQueue.push({ proofId: id, kind: 2, evidence: P.envelopeBytes(sub.leak), why: 'location conflict: leaked envelope with its true cell' });
    } else if (bh.kind === 'witness_ring' && sub.kind === KIND.WITNESS && sim.rng.chancePpm(sim.cfg.watcherPpm / 4)) {
      this.challenged.add(id);
      this.challengeQueue.push({ proofId: id, kind: 3, evidence: sha256(new TextEncoder().encode(`ring ${bh.ring} on one mast`)), why: 'arbitrated: witness ring' });
    }
  }

  onEvent(e: Event, h: bigint): void {
    switch (e.type) {
      case 'proof_reversed': {
        const a = attrs(e);
        const k = this.challengeKind.get(BigInt(a.challenge_id ?? '0'));
        if (k) this.challenges[k]!.upheld++;
        break;
      }
      case 'challenge_resolved': {
        const a = attrs(e);
        const k = this.challengeKind.get(BigInt(a.challenge_id ?? '0'));
        if (k && a.status !== 'upheld' && a.status !== 'UPHELD') this.challenges[k]!.rejected++;
        break;
      }
      case 'spot_check_selected': {
        const a = attrs(e);
        const jobId = BigInt(a.job_id!);
        const primary = this.sim.deviceById.get(BigInt(a.primary!));
        const secondary = this.sim.deviceById.get(BigInt(a.secondary!));
        this.spotCheckStats.drawn++;
        const window = this.checkWindowOf(jobId);
        for (const d of [primary, secondary]) {
          if (d?.behaviour.kind !== 'lazy_compute') continue;
          const att = d === primary ? this.lazyJobs.get(jobId) : this.sim.tracker.attempt('lazy_compute', 'job', h, `device ${d.id}`, 'caught', `drawn as second provider of job ${jobId}: reveals a made-up output`);
          if (!att) continue;
          if (d === primary) att.expect = 'caught';
          (this.lazyChecks.get(d.id) ?? this.lazyChecks.set(d.id, []).get(d.id)!).push(att);
        }
        this.checkQueue.push({ jobId, window, primary, secondary, phase: 'commit' });
        break;
      }
      case 'spot_check_skipped': {
        const a = attrs(e);
        this.spotCheckStats.skipped++;
        const att = this.lazyJobs.get(BigInt(a.job_id!));
        if (att) this.sim.tracker.resolve(att, 'escaped', `not spot-checked: ${a.reason}`);
        break;
      }
      case 'dispute_opened': {
        const a = attrs(e);
        this.spotCheckStats.disputes++;
        const jobId = BigInt(a.job_id!);
        (a.committee ?? '').split(',').filter(Boolean).forEach((v, i) => this.voteQueue.push({ disputeId: BigInt(a.dispute_id!), verifier: v, jobId, window: this.checkWindowOf(jobId), at: h + 1n + BigInt(i) }));
        break;
      }
      case 'dispute_resolved':
        this.spotCheckStats.resolved++;
        break;
      case 'storage_fault':
      case 'data_set_terminated': {
        const d = this.sim.deviceById.get(BigInt(attrs(e).device_id ?? '0'));
        if (d?.storage) this.refresh.add(d);
        break;
      }
      case 'slash': {
        const a = attrs(e);
        if (a.reason !== 'double_sign') break;
        for (const q of this.equivocations) {
          const v = this.sim.pop.validators[q.validator]!;
          if (this.sim.consAddress(v) === a.address) this.sim.tracker.resolve(q.attempt, 'caught', `slashed ${a.burned_coins ?? ''} for double signing at height ${h}, jailed and tombstoned`);
        }
        break;
      }
    }
  }

  resolveAtEnd(a: Attempt, ctx: Context): void {
    const sim = this.sim;
    if (a.kind === 'self_dealing_buyer') {
      const info = this.spendInfo.get(a.id);
      if (!info) {
        sim.tracker.resolve(a, 'pending', 'spend not recorded');
        return;
      }
      const k = sim.chain.keepers.rewards;
      const prefix = Uint8Array.of(RK.deviceEpoch, ...u64be(info.epoch), ...u64be(info.deviceId));
      const rec = k.scan(ctx, prefix).map(([, v]) => R.DeviceEpoch.decode(v)).find((x) => x.owner === info.owner);
      if (!rec || !rec.paid) {
        sim.tracker.resolve(a, 'pending', `epoch ${info.epoch} not distributed by the end of the run`);
        return;
      }
      this.selfDealing.burned += rec.demandBasis;
      this.selfDealing.demandReward += rec.demandReward;
      if (rec.demandReward <= rec.demandBasis) sim.tracker.resolve(a, 'caught', `neutralised: demand reward ${rec.demandReward} udpin <= ${rec.demandBasis} udpin burned for the credits (cap ${sim.params.rewards.demandCapBps} bps)`);
      else sim.tracker.resolve(a, 'escaped', `profited: demand reward ${rec.demandReward} > burned ${rec.demandBasis}`);
      return;
    }
    if (a.kind === 'storage_dropper') {
      sim.tracker.resolve(a, 'pending', 'period not judged by the end of the run');
      return;
    }
    sim.tracker.resolve(a, 'pending', 'no chain outcome by the end of the run');
  }

  /** End-of-run checks read from state: equivocators tombstoned, honest devices never banned. */
  endChecks(ctx: Context): void {
    const sim = this.sim;
    const k = sim.chain.keepers;
    for (const q of this.equivocations) {
      const v: SimValidator = sim.pop.validators[q.validator]!;
      const val = k.staking.validatorByConsAddr(ctx, v.key.address);
      if (!val?.jailed) sim.violations.push(`validator ${v.index} double-signed but is not jailed`);
    }
    for (const d of sim.pop.devices) {
      if (!d.honest || d.id === 0n) continue;
      const act = k.devices.activity(ctx, d.id);
      if (act.reason === 'banned') sim.tracker.penalise(sim.chain.height, `device ${d.id}`, 'honest device banned at the end of the run');
    }
    for (const s of sim.subsByProof.values()) {
      if (!s.device.honest || s.proofId === undefined) continue;
      const r = k.proofs.getRecord(ctx, s.proofId);
      if (r?.status === STATUS.REVERSED) sim.tracker.penalise(sim.chain.height, `device ${s.device.id}`, `proof ${s.proofId} reversed`);
    }
  }
}

/** The LoRaWAN region of the city a device asserts (coverage devices radio in its band). */
function regionOf(d: SimDevice): number {
  return CITIES[d.place.city]!.region;
}

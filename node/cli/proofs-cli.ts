// depind commands of the proofs module: `tx proofs ...` builds, signs (with a device key given as
// hex, as a device or its gateway would) and submits every proof kind, plus the bond, data set,
// job, spot-check, dispute and challenge messages; `query proofs ...` reads verdicts, windows,
// seeds, data sets and jobs. Transactions are signed with a keyring key through CosmJS.
import { readFileSync } from 'node:fs';
import { parseCoins } from '../../chain/coins.ts';
import { parseCell } from '../../modules/devices/h3.ts';
import { parseKeyType } from '../../modules/devices/keys.ts';
import { Q, queryPath, type QueryName } from '../../modules/proofs/types.ts';
import type { CliCommand, CliHelpers } from './devices-cli.ts';
import type * as Sdk from '../../sdk/index.ts';
import { broadcastSdkTx, moduleCliFlags } from './sdk-tx.ts';
import { abciQuery, rpcCall as rpc } from './node-rpc.ts';

type Values = Record<string, string | boolean | string[] | undefined>;

const hex = (s: unknown, what: string): Uint8Array => {
  const h = String(s ?? '').replace(/^0x/, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(h)) throw new Error(`${what} must be hex`);
  return Buffer.from(h, 'hex');
};
const uint = (s: unknown, what: string): bigint => {
  if (typeof s !== 'string' || !/^[0-9]+$/.test(s)) throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(s)}`);
  return BigInt(s);
};
const int = (s: unknown, what: string): number => {
  if (typeof s !== 'string' || !/^-?[0-9]+$/.test(s)) throw new Error(`${what} must be an integer`);
  return Number(s);
};
const oneCoin = (s: unknown) => {
  const c = parseCoins(String(s ?? ''));
  if (c.length !== 1) throw new Error(`expected one coin like 1000000udpin, got ${JSON.stringify(s)}`);
  return c[0]!;
};
const EVIDENCE: Record<string, number> = { equivocation: 1, location: 2, 'location-conflict': 2, arbitrated: 3 };

export function proofsCommands(h: CliHelpers): Record<string, CliCommand> {
  const { common, client, txFlags, txUsage } = moduleCliFlags(h);
  const deviceFlags = { 'device-key': { type: 'string' as const }, 'device-id': { type: 'string' as const }, 'key-type': { type: 'string' as const, default: 'secp256k1' }, window: { type: 'string' as const } };
  const deviceUsage = '--device-key HEX --device-id N [--key-type secp256k1|p256] [--window W]';

  async function abci(values: Values, name: QueryName, request: Record<string, unknown>): Promise<{ decoded: any; json: unknown }> {
    const [req, res] = Q[name];
    return abciQuery(values.node as string, queryPath(name), req.type, res.type, request);
  }

  const broadcast = (values: Values, keyName: string | undefined, build: (signer: string, s: typeof Sdk) => Sdk.EncodeObject[] | Promise<Sdk.EncodeObject[]>) =>
    broadcastSdkTx(h, values, keyName, build, /^(proof_|beacon_|data_set|storage_|job_|spot_check|result_|dispute|challenge|provider_|verifier_)/);

  /** Device key, id, window, seed and next sequence for an envelope (from the node's state). */
  async function envelopeContext(values: Values, s: typeof Sdk): Promise<{ key: Sdk.DeviceKey; ctx: Sdk.EnvelopeContext; params: any }> {
    if (!values['device-key'] || !values['device-id']) throw h.usageError('give --device-key HEX and --device-id N');
    const key = s.deviceKeyFromPrivate(parseKeyType(values['key-type'] as string), hex(values['device-key'], '--device-key'));
    const deviceId = uint(values['device-id'], '--device-id');
    const status = await rpc(values.node as string, 'status');
    const chainId = status.node_info.network as string;
    const params = (await abci(values, 'Params', {})).decoded.params;
    const W = BigInt(params.windowBlocks.toString());
    const next = BigInt(status.sync_info.latest_block_height) + 1n;
    const window = values.window ? uint(values.window, '--window') : next / W;
    const seedRes = (await abci(values, 'Seed', { window })).decoded;
    if (!seedRes.available) throw new Error(`the seed of window ${window} does not exist yet (source height ${seedRes.sourceHeight})`);
    const state = (await abci(values, 'DeviceState', { deviceId })).decoded.state;
    const seq = BigInt((state?.lastSeq ?? 0).toString()) + 1n;
    return { key, ctx: { chainId, deviceId, window, seed: Uint8Array.from(seedRes.seed), seq }, params };
  }

  const submit = (values: Values, keyName: string | undefined, make: (s: typeof Sdk) => Promise<Sdk.EnvelopeMsg[]>) =>
    broadcast(values, keyName, async (signer, s) => [s.submitProofsMsg(signer, await make(s))]);

  return {
    'tx proofs beacon': {
      usage: `depind tx proofs beacon SUBMITTER_KEY ${deviceUsage} --region 1 --frequency-khz 868100 [--data-rate 5] [--tx-power-dbm10 140] [--gain-dbi10 20] ${txUsage}`,
      summary: 'Coverage: sign and submit a beacon report (prints the 32-byte payload to transmit)',
      options: { ...txFlags, ...deviceFlags, region: { type: 'string', default: '1' }, 'frequency-khz': { type: 'string', default: '868100' }, 'data-rate': { type: 'string', default: '5' }, 'tx-power-dbm10': { type: 'string', default: '140' }, 'gain-dbi10': { type: 'string', default: '20' } },
      run: ({ values, positionals }) => submit(values, positionals[0], async (s) => {
        const { key, ctx } = await envelopeContext(values, s);
        const b = s.beacon(key, ctx, { region: int(values.region, '--region'), frequencyKhz: int(values['frequency-khz'], '--frequency-khz'), dataRate: int(values['data-rate'], '--data-rate'), txPowerDbm10: int(values['tx-power-dbm10'], '--tx-power-dbm10'), antennaGainDbi10: int(values['gain-dbi10'], '--gain-dbi10') });
        console.log(`beacon_payload: ${Buffer.from(b.payload).toString('hex')}`);
        return [b.envelope];
      }),
    },
    'tx proofs witness': {
      usage: `depind tx proofs witness SUBMITTER_KEY ${deviceUsage} --beacon-payload HEX --rssi-dbm10 -1100 [--snr-db10 50] --region 1 --frequency-khz 868100 [--gain-dbi10 30] ${txUsage}`,
      summary: 'Coverage: sign and submit a witness report for a beacon heard',
      options: { ...txFlags, ...deviceFlags, 'beacon-payload': { type: 'string' }, 'rssi-dbm10': { type: 'string' }, 'snr-db10': { type: 'string', default: '50' }, region: { type: 'string', default: '1' }, 'frequency-khz': { type: 'string', default: '868100' }, 'gain-dbi10': { type: 'string', default: '30' } },
      run: ({ values, positionals }) => submit(values, positionals[0], async (s) => {
        const { key, ctx } = await envelopeContext(values, s);
        return [s.witness(key, ctx, { beaconPayload: hex(values['beacon-payload'], '--beacon-payload'), rssiDbm10: int(values['rssi-dbm10'], '--rssi-dbm10'), snrDb10: int(values['snr-db10'], '--snr-db10'), region: int(values.region, '--region'), frequencyKhz: int(values['frequency-khz'], '--frequency-khz'), antennaGainDbi10: int(values['gain-dbi10'], '--gain-dbi10') })];
      }),
    },
    'tx proofs availability': {
      usage: `depind tx proofs availability SUBMITTER_KEY ${deviceUsage} [--difficulty-bits N] ${txUsage}`,
      summary: 'Compute: solve this window\'s availability puzzle and submit the answer',
      options: { ...txFlags, ...deviceFlags, 'difficulty-bits': { type: 'string' } },
      run: ({ values, positionals }) => submit(values, positionals[0], async (s) => {
        const { key, ctx, params } = await envelopeContext(values, s);
        const bits = values['difficulty-bits'] ? int(values['difficulty-bits'], '--difficulty-bits') : Math.max(Number(params.defaultDifficultyBits ?? 0), ...(params.classes ?? []).map((c: any) => Number(c.difficultyBits ?? 0)));
        return [s.availability(key, ctx, s.solvePuzzle(ctx.seed, ctx.deviceId, ctx.window, bits))];
      }),
    },
    'tx proofs receipt': {
      usage: `depind tx proofs receipt SUBMITTER_KEY ${deviceUsage} --job ID --units N --output-hash HEX (--tenant-sig HEX | --tenant-key HEX) ${txUsage}`,
      summary: 'Compute: submit a usage receipt co-signed by the job\'s tenant key (paid from escrow)',
      options: { ...txFlags, ...deviceFlags, job: { type: 'string' }, units: { type: 'string' }, 'output-hash': { type: 'string' }, 'tenant-sig': { type: 'string' }, 'tenant-key': { type: 'string' } },
      run: ({ values, positionals }) => submit(values, positionals[0], async (s) => {
        const { key, ctx } = await envelopeContext(values, s);
        const jobId = uint(values.job, '--job');
        const units = uint(values.units, '--units');
        const outputHash = hex(values['output-hash'], '--output-hash');
        const tenantSignature = values['tenant-sig'] ? hex(values['tenant-sig'], '--tenant-sig') : s.signReceipt(hex(values['tenant-key'], '--tenant-key'), ctx.chainId, jobId, ctx.window, units, outputHash);
        return [s.receipt(key, ctx, { jobId, units, outputHash, tenantSignature })];
      }),
    },
    'tx proofs sensor-batch': {
      usage: `depind tx proofs sensor-batch SUBMITTER_KEY ${deviceUsage} --readings FILE --cell H3 ${txUsage}`,
      summary: 'Sensor: submit this window\'s batch root (readings: one per line in FILE)',
      options: { ...txFlags, ...deviceFlags, readings: { type: 'string' }, cell: { type: 'string' } },
      run: ({ values, positionals }) => submit(values, positionals[0], async (s) => {
        const { key, ctx } = await envelopeContext(values, s);
        if (!values.readings || !values.cell) throw h.usageError('give --readings FILE and --cell H3');
        const lines = readFileSync(values.readings as string, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => new TextEncoder().encode(l));
        return [s.sensorBatch(key, ctx, { readings: lines, cell: parseCell(values.cell as string) })];
      }),
    },
    'tx proofs prove-storage': {
      usage: `depind tx proofs prove-storage SUBMITTER_KEY --device-key HEX --device-id N --data-set ID --piece FILE... ${txUsage}`,
      summary: 'Storage: answer the data set\'s current PDP challenges from the stored pieces',
      options: { ...txFlags, ...deviceFlags, 'data-set': { type: 'string' }, piece: { type: 'string', multiple: true } },
      run: ({ values, positionals }) => submit(values, positionals[0], async (s) => {
        const id = uint(values['data-set'], '--data-set');
        const status = await rpc(values.node as string, 'status');
        const ds = (await abci(values, 'DataSet', { id })).decoded;
        if (!ds.challengeSeed?.length) throw new Error(`the challenge seed of data set ${id} exists from height ${BigInt(ds.dataSet.challengeHeight.toString()) + 1n}`);
        const key = s.deviceKeyFromPrivate(parseKeyType(values['key-type'] as string), hex(values['device-key'], '--device-key'));
        const deviceId = uint(values['device-id'], '--device-id');
        const state = (await abci(values, 'DeviceState', { deviceId })).decoded.state;
        const pieces = ((values.piece as string[] | undefined) ?? []).map((f) => s.Piece.fromBytes(readFileSync(f)));
        const params = (await abci(values, 'Params', {})).decoded.params;
        const seed = Uint8Array.from(ds.challengeSeed);
        const answers = s.pdpAnswers(pieces, seed, id, Number(params.challengesPerProof));
        return [s.pdpProof(key, { chainId: status.node_info.network, deviceId, window: BigInt(ds.dataSet.period?.toString() ?? '0'), seed, seq: BigInt((state?.lastSeq ?? 0).toString()) + 1n }, id, answers)];
      }),
    },
    'tx proofs submit': {
      usage: `depind tx proofs submit SUBMITTER_KEY ENVELOPES_JSON ${txUsage}`,
      summary: 'Gateway: submit device-signed envelopes ([{header, payload, signature}] in hex) in one tx',
      options: txFlags,
      run: ({ values, positionals }) => submit(values, positionals[0], async () => {
        const list = JSON.parse(readFileSync(positionals[1] ?? '', 'utf8')) as { header: string; payload: string; signature: string }[];
        return list.map((e) => ({ header: hex(e.header, 'header'), payload: hex(e.payload, 'payload'), signature: hex(e.signature, 'signature') }));
      }),
    },
    'tx proofs bond-provider': {
      usage: `depind tx proofs bond-provider OWNER_KEY DEVICE_ID AMOUNT ${txUsage}`,
      summary: 'Bond a storage or compute device (required for data sets and jobs; slashable)',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (o, s) => [s.bondProviderMsg(o, uint(positionals[1], 'DEVICE_ID'), oneCoin(positionals[2]))]),
    },
    'tx proofs unbond-provider': {
      usage: `depind tx proofs unbond-provider OWNER_KEY DEVICE_ID ${txUsage}`,
      summary: 'Start unbonding a provider bond (paid out after the unbonding period)',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (o, s) => [s.unbondProviderMsg(o, uint(positionals[1], 'DEVICE_ID'))]),
    },
    'tx proofs bond-verifier': {
      usage: `depind tx proofs bond-verifier KEY AMOUNT ${txUsage}`,
      summary: 'Bond as a dispute verifier',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (v, s) => [s.bondVerifierMsg(v, oneCoin(positionals[1]))]),
    },
    'tx proofs create-data-set': {
      usage: `depind tx proofs create-data-set OWNER_KEY DEVICE_ID --piece FILE... ${txUsage}`,
      summary: 'Storage: register a data set (piece roots and leaf counts computed from the files)',
      options: { ...txFlags, piece: { type: 'string', multiple: true } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (o, s) => {
        const pieces = ((values.piece as string[] | undefined) ?? []).map((f) => s.Piece.fromBytes(readFileSync(f)));
        if (!pieces.length) throw h.usageError('give at least one --piece FILE');
        return [s.createDataSetMsg(o, uint(positionals[1], 'DEVICE_ID'), pieces.map((p) => ({ root: p.root, leafCount: p.leafCount })))];
      }),
    },
    'tx proofs create-job': {
      usage: `depind tx proofs create-job TENANT_KEY PROVIDER_DEVICE_ID --deposit 1000000udpin --price 1000 --tenant-pubkey HEX --spec-hash HEX ${txUsage}`,
      summary: 'Compute: escrow a deposit for a job on a bonded provider',
      options: { ...txFlags, deposit: { type: 'string' }, price: { type: 'string' }, 'tenant-pubkey': { type: 'string' }, 'spec-hash': { type: 'string' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (t, s) => [s.createJobMsg(t, uint(positionals[1], 'PROVIDER_DEVICE_ID'), hex(values['tenant-pubkey'], '--tenant-pubkey'), oneCoin(values.deposit), uint(values.price, '--price'), hex(values['spec-hash'], '--spec-hash'))]),
    },
    'tx proofs commit-result': {
      usage: `depind tx proofs commit-result OPERATOR_KEY JOB_ID DEVICE_ID --output-hash HEX --salt HEX ${txUsage}`,
      summary: 'Compute spot check: commit SHA-256(output ‖ salt)',
      options: { ...txFlags, 'output-hash': { type: 'string' }, salt: { type: 'string' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (o, s) => [s.commitResultMsg(o, uint(positionals[1], 'JOB_ID'), uint(positionals[2], 'DEVICE_ID'), s.resultCommitment(hex(values['output-hash'], '--output-hash'), hex(values.salt, '--salt')))]),
    },
    'tx proofs reveal-result': {
      usage: `depind tx proofs reveal-result OPERATOR_KEY JOB_ID DEVICE_ID --output-hash HEX --salt HEX ${txUsage}`,
      summary: 'Compute spot check: reveal the committed output',
      options: { ...txFlags, 'output-hash': { type: 'string' }, salt: { type: 'string' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (o, s) => [s.revealResultMsg(o, uint(positionals[1], 'JOB_ID'), uint(positionals[2], 'DEVICE_ID'), hex(values['output-hash'], '--output-hash'), hex(values.salt, '--salt'))]),
    },
    'tx proofs vote': {
      usage: `depind tx proofs vote VERIFIER_KEY DISPUTE_ID --output-hash HEX ${txUsage}`,
      summary: 'Dispute committee: vote for the output you computed',
      options: { ...txFlags, 'output-hash': { type: 'string' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (v, s) => [s.voteDisputeMsg(v, uint(positionals[1], 'DISPUTE_ID'), hex(values['output-hash'], '--output-hash'))]),
    },
    'tx proofs challenge': {
      usage: `depind tx proofs challenge KEY PROOF_ID --kind equivocation|location|arbitrated --evidence-file F [--bond 10000000udpin] ${txUsage}`,
      summary: 'Post a bonded fraud challenge against an accepted proof (evidence: an envelope, or anything for arbitration)',
      options: { ...txFlags, kind: { type: 'string' }, 'evidence-file': { type: 'string' }, bond: { type: 'string', default: '10000000udpin' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (c, s) => {
        const kind = EVIDENCE[values.kind as string];
        if (!kind || !values['evidence-file']) throw h.usageError('give --kind equivocation|location|arbitrated and --evidence-file');
        return [s.challengeProofMsg(c, uint(positionals[1], 'PROOF_ID'), kind, readFileSync(values['evidence-file'] as string), oneCoin(values.bond))];
      }),
    },
    'tx proofs resolve-challenge': {
      usage: `depind tx proofs resolve-challenge AUTHORITY_KEY CHALLENGE_ID uphold|reject [--detail S] ${txUsage}`,
      summary: 'Authority only: decide an arbitrated challenge',
      options: { ...txFlags, detail: { type: 'string', default: '' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (a, s) => [s.resolveChallengeMsg(a, uint(positionals[1], 'CHALLENGE_ID'), positionals[2] === 'uphold', values.detail as string)]),
    },
    'query proofs proof': {
      usage: 'depind query proofs proof ID [--node URL]',
      summary: 'One proof\'s verdict: reason code and name, inputs checked, units',
      options: { ...common, ...client },
      run: async ({ values, positionals }) => h.print((await abci(values, 'Proof', { id: uint(positionals[0], 'ID') })).json, 'json'),
    },
    'query proofs by-device': {
      usage: 'depind query proofs by-device DEVICE_ID [--limit N] [--node URL]',
      summary: 'A device\'s proofs, newest first, with verdicts',
      options: { ...common, ...client, limit: { type: 'string', default: '20' } },
      run: async ({ values, positionals }) => h.print((await abci(values, 'ProofsByDevice', { deviceId: uint(positionals[0], 'DEVICE_ID'), pagination: { limit: values.limit } })).json, 'json'),
    },
    'query proofs window': {
      usage: 'depind query proofs window DEVICE_ID WINDOW [--node URL]',
      summary: 'Per-device per-window summary: valid / invalid / pending, units, counts by reason',
      options: { ...common, ...client },
      run: async ({ values, positionals }) => h.print((await abci(values, 'DeviceWindow', { deviceId: uint(positionals[0], 'DEVICE_ID'), window: uint(positionals[1], 'WINDOW') })).json, 'json'),
    },
    'query proofs seed': {
      usage: 'depind query proofs seed WINDOW [--node URL]',
      summary: 'The seed of a window and its bounds',
      options: { ...common, ...client },
      run: async ({ values, positionals }) => h.print((await abci(values, 'Seed', { window: uint(positionals[0], 'WINDOW') })).json, 'json'),
    },
    'query proofs data-set': {
      usage: 'depind query proofs data-set ID [--node URL]',
      summary: 'A data set with its current challenge seed and the leaf indexes to prove',
      options: { ...common, ...client },
      run: async ({ values, positionals }) => h.print((await abci(values, 'DataSet', { id: uint(positionals[0], 'ID') })).json, 'json'),
    },
    'query proofs job': {
      usage: 'depind query proofs job ID [--node URL]',
      summary: 'A compute job: escrow, payments, spot-check phase, close reason',
      options: { ...common, ...client },
      run: async ({ values, positionals }) => h.print((await abci(values, 'Job', { id: uint(positionals[0], 'ID') })).json, 'json'),
    },
    'query proofs params': {
      usage: 'depind query proofs params [--node URL]',
      summary: 'Proofs module parameters',
      options: { ...common, ...client },
      run: async ({ values }) => h.print((await abci(values, 'Params', {})).json, 'json'),
    },
  };
}



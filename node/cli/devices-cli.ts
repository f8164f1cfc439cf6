// depind commands of the devices and feegrant modules: `tx devices ...`, `tx feegrant ...`,
// `query devices ...`, `devices keygen`. Transactions are signed with a keyring key through
// CosmJS (SigningStargateClient + the SDK's registry); queries are ABCI queries rendered as the
// REST API renders them (the Cosmos JSON of the protobuf response).
import { readFileSync } from 'node:fs';
import { parseCoins } from '../../chain/coins.ts';
import { isValidAddress } from '../../chain/crypto/address.ts';
import { sha256 } from '../../chain/crypto/hash.ts';
import { root } from '../../chain/codec/proto.ts';
import { parseCell } from '../../modules/devices/h3.ts';
import { parseKeyType } from '../../modules/devices/keys.ts';
import { Q, queryPath, SECTORS, type QueryName } from '../../modules/devices/types.ts';
import type * as Sdk from '../../sdk/index.ts';
import { broadcastSdkTx, moduleCliFlags } from './sdk-tx.ts';
import { abciQuery as abciQueryAt } from './node-rpc.ts';

type Values = Record<string, string | boolean | string[] | undefined>;

export interface CliCommand {
  usage: string;
  summary: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean; multiple?: boolean }>;
  run(args: { values: Values; positionals: string[] }): Promise<void>;
}

export interface CliHelpers {
  defaultHome(dev: boolean): string;
  usageError(message: string): Error;
  print(v: unknown, output: unknown): void;
  defaultNode: string;
}

const hex = (s: string, what: string): Uint8Array => {
  const h = s.replace(/^0x/, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(h)) throw new Error(`${what} must be hex`);
  return Buffer.from(h, 'hex');
};
const uint = (s: string | undefined, what: string): bigint => {
  if (!s || !/^[0-9]+$/.test(s)) throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(s)}`);
  return BigInt(s);
};
const oneCoin = (s: string) => {
  const c = parseCoins(s);
  if (c.length !== 1) throw new Error(`expected one coin like 1000000udpin, got ${JSON.stringify(s)}`);
  return c[0]!;
};
const targetType = (s: string | undefined): 1 | 2 => {
  if (s === 'device') return 1;
  if (s === 'manufacturer') return 2;
  throw new Error(`target type must be "device" or "manufacturer", got ${JSON.stringify(s)}`);
};

export function devicesCommands(h: CliHelpers): Record<string, CliCommand> {
  const { common, client, txFlags, txUsage } = moduleCliFlags(h);
  const sdk = () => import('../../sdk/index.ts');

  const broadcast = (values: Values, keyName: string | undefined, build: (signer: string, s: typeof Sdk) => Sdk.EncodeObject[] | Promise<Sdk.EncodeObject[]>) =>
    broadcastSdkTx(h, values, keyName, build, /^(device_|manufacturer_|ban|set_feegrant|revoke_feegrant|use_feegrant)/);

  async function abciQuery(values: Values, name: QueryName, request: Record<string, unknown>): Promise<void> {
    const [req, res] = Q[name];
    h.print((await abciQueryAt(values.node as string, queryPath(name), req.type, res.type, request)).json, 'json');
  }

  // Flags shared by `tx devices register` and `query devices registration-check`.
  const registrationFlags = {
    'key-type': { type: 'string' as const, default: 'secp256k1' },
    pubkey: { type: 'string' as const },
    'device-key': { type: 'string' as const },
    'device-sig': { type: 'string' as const },
    nonce: { type: 'string' as const },
    manufacturer: { type: 'string' as const, default: 'devmfr' },
    model: { type: 'string' as const },
    sector: { type: 'string' as const, default: 'coverage' },
    'hardware-class': { type: 'string' as const, default: 'standard' },
    'serial-hash': { type: 'string' as const },
    serial: { type: 'string' as const },
    attestation: { type: 'string' as const },
    'dev-attest': { type: 'boolean' as const },
    'max-fee': { type: 'string' as const, default: '1000000udpin' },
    metadata: { type: 'string' as const, default: '' },
  };
  const registrationUsage = '(--device-key HEX | --pubkey HEX --device-sig HEX --nonce N) [--key-type secp256k1|p256] --model M [--manufacturer devmfr] [--sector coverage|storage|compute|sensor] [--hardware-class C] (--serial-hash HEX | --serial S) (--attestation HEX | --dev-attest) [--max-fee 1000000udpin] [--metadata S]';

  /** The MsgRegisterDevice value from flags; signs the device proof when --device-key is given. */
  async function registrationValue(values: Values, owner: string, s: typeof Sdk): Promise<Sdk.EncodeObject> {
    const keyType = parseKeyType(values['key-type'] as string);
    if (!values.model) throw h.usageError('missing --model');
    const manufacturerId = values.manufacturer as string;
    const serial = values['serial-hash'] ? hex(values['serial-hash'] as string, '--serial-hash') : values.serial ? s.serialHash(manufacturerId, values.serial as string) : undefined;
    if (!serial) throw h.usageError('give --serial-hash HEX or --serial S');
    const device = values['device-key'] ? s.deviceKeyFromPrivate(keyType, hex(values['device-key'] as string, '--device-key')) : undefined;
    const pubkey = device?.publicKey ?? (values.pubkey ? hex(values.pubkey as string, '--pubkey') : undefined);
    if (!pubkey) throw h.usageError('give --device-key (signs the proof of possession here) or --pubkey with --device-sig and --nonce');
    let attestation: Uint8Array;
    if (values['dev-attest']) {
      const m = s.devManufacturerSigners();
      attestation = s.attestDevice(keyType === 1 ? m.secp256k1 : m.p256, { manufacturerId, device: { keyType, publicKey: pubkey }, model: values.model as string, serialHash: serial });
    } else if (values.attestation) attestation = hex(values.attestation as string, '--attestation');
    else throw h.usageError('give --attestation HEX (from the manufacturer) or --dev-attest (development manufacturer only)');
    const sector = SECTORS[values.sector as keyof typeof SECTORS];
    if (!sector) throw h.usageError(`--sector must be one of ${Object.keys(SECTORS).join(', ')}`);
    const fee = oneCoin(values['max-fee'] as string);
    let nonce: bigint;
    if (values.nonce) nonce = uint(values.nonce as string, '--nonce');
    else {
      const dc = await s.DevicesClient.connect(values.node as string);
      nonce = (await dc.lastRegistrationNonce(owner)) + 1n;
      dc.disconnect();
    }
    const chainId = await chainIdOf(values.node as string);
    const base = {
      chainId, owner, nonce, manufacturerId, model: values.model as string, sector, hardwareClass: values['hardware-class'] as string,
      serialHash: serial, attestation, maxFee: fee, metadata: values.metadata as string,
    };
    if (device) return s.registerDeviceMsg({ ...base, device });
    if (!values['device-sig']) throw h.usageError('--pubkey needs --device-sig (the device\'s signature over chain id, owner and nonce)');
    return s.registerDeviceMsg({ ...base, device: { keyType, publicKey: pubkey }, deviceSignature: hex(values['device-sig'] as string, '--device-sig') });
  }

  async function chainIdOf(node: string): Promise<string> {
    const r = await fetch(node, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'status', params: {} }) });
    return ((await r.json()) as { result: { node_info: { network: string } } }).result.node_info.network;
  }

  const deviceIdArg = (p: string[], i: number) => uint(p[i], 'DEVICE_ID');

  return {
    'devices keygen': {
      usage: 'depind devices keygen [--key-type secp256k1|p256] [--model M --serial S --dev-attest] [--manufacturer devmfr]',
      summary: 'Generate a device key (JSON: private key, public key, DID, account); --dev-attest adds a dev-manufacturer attestation',
      options: { ...common, 'key-type': { type: 'string', default: 'secp256k1' }, model: { type: 'string' }, serial: { type: 'string' }, manufacturer: { type: 'string', default: 'devmfr' }, 'dev-attest': { type: 'boolean' } },
      async run({ values }) {
        const s = await sdk();
        const k = s.generateDeviceKey(values['key-type'] as string);
        const out: Record<string, unknown> = {
          key_type: values['key-type'], private_key: Buffer.from(k.privateKey).toString('hex'), public_key: Buffer.from(k.publicKey).toString('hex'), did: s.deviceDidOf(k),
          account: k.keyType === 1 ? s.deviceAccountAddress(k) : null,
        };
        if (values['dev-attest']) {
          if (!values.model || !values.serial) throw h.usageError('--dev-attest needs --model and --serial');
          const serialHash = s.serialHash(values.manufacturer as string, values.serial as string);
          const m = s.devManufacturerSigners();
          out.serial_hash = Buffer.from(serialHash).toString('hex');
          out.attestation = Buffer.from(s.attestDevice(k.keyType === 1 ? m.secp256k1 : m.p256, { manufacturerId: values.manufacturer as string, device: k, model: values.model as string, serialHash })).toString('hex');
        }
        h.print(out, 'json');
      },
    },
    'tx devices register': {
      usage: `depind tx devices register OWNER_KEY ${registrationUsage} ${txUsage}`,
      summary: 'Register a device: manufacturer attestation + the device\'s proof of key possession; burns the onboarding fee',
      options: { ...txFlags, ...registrationFlags },
      run: ({ values, positionals }) => broadcast(values, positionals[0], async (owner, s) => [await registrationValue(values, owner, s)]),
    },
    'tx devices assert-location': {
      usage: `depind tx devices assert-location OWNER_KEY DEVICE_ID (--cell H3 | --lat LAT --lng LNG) [--max-fee 100000udpin] ${txUsage}`,
      summary: 'Assert a device\'s location (H3 cell, resolution 12); a relocation resets its seniority',
      options: { ...txFlags, cell: { type: 'string' }, lat: { type: 'string' }, lng: { type: 'string' }, 'max-fee': { type: 'string', default: '100000udpin' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (owner, s) => {
        const cell = values.cell ? parseCell(values.cell as string) : values.lat !== undefined && values.lng !== undefined ? s.latLngToCell(Number(values.lat), Number(values.lng)) : undefined;
        if (cell === undefined) throw h.usageError('give --cell or --lat and --lng');
        return [s.assertLocationMsg(owner, deviceIdArg(positionals, 1), cell, oneCoin(values['max-fee'] as string))];
      }),
    },
    'tx devices transfer': {
      usage: `depind tx devices transfer OWNER_KEY DEVICE_ID NEW_OWNER ${txUsage}`,
      summary: 'Transfer a device to a new owner',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (owner, s) => {
        if (!positionals[2] || !isValidAddress(positionals[2])) throw h.usageError('NEW_OWNER must be a depin1... address');
        return [s.transferDeviceMsg(owner, deviceIdArg(positionals, 1), positionals[2])];
      }),
    },
    'tx devices update': {
      usage: `depind tx devices update OWNER_KEY DEVICE_ID [--metadata S] [--service ID,TYPE,ENDPOINT]... ${txUsage}`,
      summary: 'Replace a device\'s metadata and DID service entries',
      options: { ...txFlags, metadata: { type: 'string', default: '' }, service: { type: 'string', multiple: true } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (owner, s) => {
        const services = ((values.service as string[] | undefined) ?? []).map((x) => {
          const [id, type, ...rest] = x.split(',');
          if (!id || !type || !rest.length) throw h.usageError(`--service must be ID,TYPE,ENDPOINT, got ${JSON.stringify(x)}`);
          return { id, type, endpoint: rest.join(',') };
        });
        return [s.updateDeviceMsg(owner, deviceIdArg(positionals, 1), values.metadata as string, services)];
      }),
    },
    'tx devices deactivate': {
      usage: `depind tx devices deactivate OWNER_KEY DEVICE_ID ${txUsage}`,
      summary: 'Deactivate a device (its owner can reactivate it)',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (owner, s) => [s.deactivateDeviceMsg(owner, deviceIdArg(positionals, 1))]),
    },
    'tx devices reactivate': {
      usage: `depind tx devices reactivate OWNER_KEY DEVICE_ID ${txUsage}`,
      summary: 'Reactivate a deactivated device',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (owner, s) => [s.reactivateDeviceMsg(owner, deviceIdArg(positionals, 1))]),
    },
    'tx devices appeal': {
      usage: `depind tx devices appeal KEY device|manufacturer TARGET_ID STATEMENT [--evidence-hash HEX | --evidence-file F] ${txUsage}`,
      summary: 'Appeal a ban (signed by the device owner, or the manufacturer\'s operator)',
      options: { ...txFlags, 'evidence-hash': { type: 'string' }, 'evidence-file': { type: 'string' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (signer, s) => {
        if (!positionals[2] || !positionals[3]) throw h.usageError('need KEY TARGET_TYPE TARGET_ID STATEMENT');
        const evidence = values['evidence-hash'] ? hex(values['evidence-hash'] as string, '--evidence-hash') : values['evidence-file'] ? sha256(readFileSync(values['evidence-file'] as string)) : new Uint8Array();
        return [s.appealBanMsg(signer, targetType(positionals[1]), positionals[2], positionals[3], evidence)];
      }),
    },
    'tx devices bond': {
      usage: `depind tx devices bond OPERATOR_KEY MANUFACTURER_ID AMOUNT ${txUsage}`,
      summary: 'Escrow a manufacturer\'s bond (signed by its operator)',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (op, s) => [s.bondManufacturerMsg(op, positionals[1] ?? '', oneCoin(positionals[2] ?? ''))]),
    },
    'tx devices add-manufacturer': {
      usage: `depind tx devices add-manufacturer AUTHORITY_KEY ID --name N --operator ADDR --attestation-key secp256k1:HEX|p256:HEX... --model M... --quota N [--bond 0udpin] ${txUsage}`,
      summary: 'Authority only: register a manufacturer (attestation keys, models, quota, required bond)',
      options: { ...txFlags, name: { type: 'string' }, operator: { type: 'string' }, 'attestation-key': { type: 'string', multiple: true }, model: { type: 'string', multiple: true }, quota: { type: 'string' }, bond: { type: 'string', default: '0udpin' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (authority, s) => {
        if (!positionals[1] || !values.name || !values.operator) throw h.usageError('need ID, --name and --operator');
        const keys = ((values['attestation-key'] as string[] | undefined) ?? []).map((k) => {
          const [t, x] = k.split(':');
          return { keyType: parseKeyType(t ?? ''), key: hex(x ?? '', '--attestation-key') };
        });
        const bond = values.bond === '0udpin' ? undefined : oneCoin(values.bond as string);
        return [s.addManufacturerMsg({ authority, id: positionals[1], name: values.name as string, operator: values.operator as string, attestationKeys: keys, models: (values.model as string[]) ?? [], deviceQuota: uint(values.quota as string, '--quota'), bond })];
      }),
    },
    'tx devices set-manufacturer-status': {
      usage: `depind tx devices set-manufacturer-status AUTHORITY_KEY ID active|suspended|revoked [--reason N] [--slash] ${txUsage}`,
      summary: 'Authority only: suspend (no new devices), revoke (final; its devices go inactive) or reactivate a manufacturer',
      options: { ...txFlags, reason: { type: 'string', default: '0' }, slash: { type: 'boolean' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (authority, s) => {
        const status = ({ active: 1, suspended: 2, revoked: 3 } as const)[positionals[2] as 'active'];
        if (!status) throw h.usageError('status must be active, suspended or revoked');
        return [s.setManufacturerStatusMsg(authority, positionals[1] ?? '', status, Number(uint(values.reason as string, '--reason')), !!values.slash)];
      }),
    },
    'tx devices ban': {
      usage: `depind tx devices ban AUTHORITY_KEY device|manufacturer TARGET_ID --reason N (--evidence-hash HEX | --evidence-file F) [--duration BLOCKS] ${txUsage}`,
      summary: 'Authority only: ban a device or a manufacturer (reason code, evidence hash, expiry in blocks; 0 = until unbanned)',
      options: { ...txFlags, reason: { type: 'string' }, 'evidence-hash': { type: 'string' }, 'evidence-file': { type: 'string' }, duration: { type: 'string', default: '0' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (authority, s) => {
        const evidence = values['evidence-hash'] ? hex(values['evidence-hash'] as string, '--evidence-hash') : values['evidence-file'] ? sha256(readFileSync(values['evidence-file'] as string)) : undefined;
        if (!evidence) throw h.usageError('give --evidence-hash or --evidence-file');
        return [s.banMsg(authority, targetType(positionals[1]), positionals[2] ?? '', Number(uint(values.reason as string, '--reason')), evidence, uint(values.duration as string, '--duration'))];
      }),
    },
    'tx devices unban': {
      usage: `depind tx devices unban AUTHORITY_KEY device|manufacturer TARGET_ID ${txUsage}`,
      summary: 'Authority only: lift a ban',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (authority, s) => [s.unbanMsg(authority, targetType(positionals[1]), positionals[2] ?? '')]),
    },
    'tx feegrant grant': {
      usage: `depind tx feegrant grant GRANTER_KEY GRANTEE [--spend-limit 1000000udpin] [--expiration 2027-01-01T00:00:00Z] [--period SECONDS --period-limit COINS] [--allowed-messages URL,URL] ${txUsage}`,
      summary: 'Let GRANTEE (e.g. a device account) pay its tx fees from your balance (cosmos.feegrant)',
      options: { ...txFlags, 'spend-limit': { type: 'string' }, expiration: { type: 'string' }, period: { type: 'string' }, 'period-limit': { type: 'string' }, 'allowed-messages': { type: 'string' } },
      run: ({ values, positionals }) => broadcast(values, positionals[0], (granter, s) => {
        if (!positionals[1] || !isValidAddress(positionals[1])) throw h.usageError('GRANTEE must be a depin1... address');
        const coins = (v: unknown) => (v ? parseCoins(v as string).map((c) => ({ denom: c.denom, amount: c.amount })) : undefined);
        const expiration = values.expiration ? new Date(values.expiration as string) : undefined;
        if (expiration && Number.isNaN(expiration.getTime())) throw h.usageError('--expiration must be an RFC 3339 time');
        return [s.grantAllowanceMsg(granter, positionals[1], {
          spendLimit: coins(values['spend-limit']), expiration,
          periodSeconds: values.period ? uint(values.period as string, '--period') : undefined, periodSpendLimit: coins(values['period-limit']),
          allowedMessages: values['allowed-messages'] ? (values['allowed-messages'] as string).split(',') : undefined,
        })];
      }),
    },
    'tx feegrant revoke': {
      usage: `depind tx feegrant revoke GRANTER_KEY GRANTEE ${txUsage}`,
      summary: 'Revoke a fee allowance',
      options: txFlags,
      run: ({ values, positionals }) => broadcast(values, positionals[0], (granter, s) => [s.revokeAllowanceMsg(granter, positionals[1] ?? '')]),
    },
    'query devices device': {
      usage: 'depind query devices device ID|PUBKEY_HEX [--node URL]',
      summary: 'A device by id (or by public key), with its effective status',
      options: { ...common, ...client },
      async run({ values, positionals }) {
        const arg = positionals[0];
        if (!arg) throw h.usageError('missing device id or public key');
        if (/^[0-9]+$/.test(arg)) await abciQuery(values, 'Device', { id: arg });
        else await abciQuery(values, 'DeviceByKey', { pubkey: hex(arg, 'PUBKEY') });
      },
    },
    'query devices by-owner': {
      usage: 'depind query devices by-owner ADDRESS [--limit N] [--node URL]',
      summary: 'Devices of an owner (paginated)',
      options: { ...common, ...client, limit: { type: 'string', default: '100' }, offset: { type: 'string', default: '0' } },
      run: ({ values, positionals }) => abciQuery(values, 'DevicesByOwner', { owner: positionals[0] ?? '', pagination: { limit: values.limit, offset: values.offset } }),
    },
    'query devices by-manufacturer': {
      usage: 'depind query devices by-manufacturer ID [--limit N] [--node URL]',
      summary: 'Devices of a manufacturer (paginated)',
      options: { ...common, ...client, limit: { type: 'string', default: '100' }, offset: { type: 'string', default: '0' } },
      run: ({ values, positionals }) => abciQuery(values, 'DevicesByManufacturer', { manufacturerId: positionals[0] ?? '', pagination: { limit: values.limit, offset: values.offset } }),
    },
    'query devices by-cell': {
      usage: 'depind query devices by-cell H3_CELL [--limit N] [--node URL]',
      summary: 'Devices located inside an H3 cell of any resolution 0..12 (hex, e.g. 872830828ffffff)',
      options: { ...common, ...client, limit: { type: 'string', default: '100' } },
      run: ({ values, positionals }) => abciQuery(values, 'DevicesByCell', { cell: parseCell(positionals[0] ?? ''), pagination: { limit: values.limit } }),
    },
    'query devices did': {
      usage: 'depind query devices did DID [--node URL]',
      summary: 'Resolve a device DID (did:key:...) to its device and DID document',
      options: { ...common, ...client },
      run: ({ values, positionals }) => abciQuery(values, 'DeviceByDid', { did: positionals[0] ?? '' }),
    },
    'query devices manufacturers': {
      usage: 'depind query devices manufacturers [ID] [--node URL]',
      summary: 'All manufacturers, or one',
      options: { ...common, ...client },
      run: ({ values, positionals }) => (positionals[0] ? abciQuery(values, 'Manufacturer', { id: positionals[0] }) : abciQuery(values, 'Manufacturers', {})),
    },
    'query devices registration-check': {
      usage: `depind query devices registration-check OWNER_ADDRESS ${registrationUsage} [--node URL]`,
      summary: 'Explain which requirement a would-be registration fails (without sending it)',
      options: { ...common, ...client, ...registrationFlags },
      async run({ values, positionals }) {
        const owner = positionals[0];
        if (!owner) throw h.usageError('missing OWNER_ADDRESS');
        const msg = await registrationValue(values, owner, await sdk());
        const t = root.lookupType('depin.devices.v1.MsgRegisterDevice');
        await abciQuery(values, 'RegistrationCheck', { registration: t.toObject(t.fromObject(msg.value), { longs: String }) });
      },
    },
  };
}

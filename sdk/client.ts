// Read access to the devices module over CometBFT RPC (ABCI queries), for wallets, device
// gateways and dashboards. Results are the protobuf messages as plain objects: camelCase fields,
// 64-bit integers as bigint, enums as numbers, bytes as Uint8Array.
import { connectComet, type CometClient } from '@cosmjs/tendermint-rpc';
import { QueryClient } from '@cosmjs/stargate';
import protobuf from 'protobufjs';
import { root } from '../chain/codec/proto.ts';
import { Q, queryPath, type QueryName } from '../modules/devices/types.ts';
import { parseCell } from '../modules/devices/h3.ts';

const TO_OBJECT: protobuf.IConversionOptions = { longs: BigInt as never, enums: Number, defaults: true };

export interface PageOptions {
  key?: Uint8Array;
  limit?: bigint;
  offset?: bigint;
  countTotal?: boolean;
}

export class DevicesClient {
  readonly comet: CometClient;
  readonly abci: QueryClient;

  private constructor(comet: CometClient) {
    this.comet = comet;
    this.abci = new QueryClient(comet);
  }

  static async connect(rpcUrl: string): Promise<DevicesClient> {
    return new DevicesClient(await connectComet(rpcUrl));
  }

  disconnect(): void {
    this.comet.disconnect();
  }

  /** Any ABCI query with protobufjs reflection types (full names without the leading dot). */
  async query(path: string, requestType: string, request: object, responseType: string): Promise<any> {
    const req = root.lookupType(requestType);
    const res = root.lookupType(responseType);
    const { value } = await this.abci.queryAbci(path, req.encode(req.fromObject(request as Record<string, unknown>)).finish());
    return res.toObject(res.decode(value), TO_OBJECT);
  }

  private q(name: QueryName, request: object): Promise<any> {
    const [req, res] = Q[name];
    return this.query(queryPath(name), req.type.fullName.slice(1), request, res.type.fullName.slice(1));
  }

  params() {
    return this.q('Params', {}).then((r) => r.params);
  }
  device(id: bigint) {
    return this.q('Device', { id }).then((r) => r.device);
  }
  deviceByKey(pubkey: Uint8Array, keyType = 0) {
    return this.q('DeviceByKey', { pubkey, keyType }).then((r) => r.device);
  }
  /** The device and its W3C DID document (parsed from did_document_json). */
  async deviceByDid(did: string) {
    const r = await this.q('DeviceByDid', { did });
    return { device: r.device, didDocument: JSON.parse(r.didDocumentJson) };
  }
  devicesByOwner(owner: string, pagination?: PageOptions) {
    return this.q('DevicesByOwner', { owner, pagination });
  }
  devicesByManufacturer(manufacturerId: string, pagination?: PageOptions) {
    return this.q('DevicesByManufacturer', { manufacturerId, pagination });
  }
  /** Devices located inside an H3 cell of any resolution 0..12 (bigint or hex string). */
  devicesByCell(cell: bigint | string, pagination?: PageOptions) {
    return this.q('DevicesByCell', { cell: typeof cell === 'string' ? parseCell(cell) : cell, pagination });
  }
  locationHistory(deviceId: bigint, pagination?: PageOptions) {
    return this.q('LocationHistory', { deviceId, pagination });
  }
  manufacturer(id: string) {
    return this.q('Manufacturer', { id });
  }
  manufacturers(pagination?: PageOptions) {
    return this.q('Manufacturers', { pagination }).then((r) => r.manufacturers);
  }
  ban(targetType: 1 | 2, targetId: string) {
    return this.q('Ban', { targetType, targetId }).then((r) => r.ban);
  }
  async lastRegistrationNonce(owner: string): Promise<bigint> {
    return (await this.q('RegistrationNonce', { owner })).lastNonce as bigint;
  }
  /** Which requirements a MsgRegisterDevice value (as built by registerDeviceMsg) would fail. */
  registrationCheck(registration: object): Promise<{ ok: boolean; failures: { requirement: string; codespace: string; code: number; message: string }[]; requiredFee?: { denom: string; amount: string }; lastNonce: bigint }> {
    return this.q('RegistrationCheck', { registration });
  }
}

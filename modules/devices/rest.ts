// REST routes of the devices module (GET, mapped onto its ABCI queries).
import { paginationFrom, type RestRoute } from '../../chain/rest-route.ts';
import { parseCell } from './h3.ts';
import { parseKeyType } from './keys.ts';
import { Q, queryPath, type QueryName } from './types.ts';

const BASE = '/depin/devices/v1';

const route = (path: string, name: QueryName, build?: RestRoute['build']): RestRoute => ({
  path: BASE + path, query: queryPath(name), request: Q[name][0], response: Q[name][1], build,
});

/** Bytes in a URL: hex (with or without 0x) or base64url / base64. */
function bytesParam(s: string): Uint8Array {
  const hex = s.replace(/^0x/, '');
  if (/^([0-9a-fA-F]{2})+$/.test(hex)) return Buffer.from(hex, 'hex');
  return Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
}

const targetType = (s: string) => (s === 'device' || s === '1' ? 1 : s === 'manufacturer' || s === '2' ? 2 : 0);

export const devicesRoutes: RestRoute[] = [
  route('/params', 'Params'),
  route('/devices/{id}', 'Device'),
  route('/devices/{id}/locations', 'LocationHistory', (p, q) => ({ deviceId: p.id, pagination: paginationFrom(q) })),
  route('/keys/{pubkey}', 'DeviceByKey', (p, q) => ({ pubkey: bytesParam(p.pubkey!), keyType: q.get('key_type') ? parseKeyType(q.get('key_type')!) : 0 })),
  route('/dids/{did}', 'DeviceByDid'),
  route('/owners/{owner}/devices', 'DevicesByOwner'),
  route('/manufacturers', 'Manufacturers', (_p, q) => ({ pagination: paginationFrom(q) })),
  route('/manufacturers/{id}', 'Manufacturer'),
  route('/manufacturers/{manufacturer_id}/devices', 'DevicesByManufacturer'),
  route('/cells/{cell}/devices', 'DevicesByCell', (p, q) => ({ cell: parseCell(p.cell!), pagination: paginationFrom(q) })),
  route('/bans', 'Bans', (_p, q) => ({ pagination: paginationFrom(q) })),
  route('/bans/{target_type}/{target_id}', 'Ban', (p) => ({ targetType: targetType(p.target_type!), targetId: p.target_id })),
  route('/owners/{owner}/nonce', 'RegistrationNonce'),
];

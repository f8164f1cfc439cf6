// REST routes of the rewards module (GET, mapped onto its ABCI queries), under /depin/rewards/v1.
import { paginationFrom, type RestRoute } from '../../chain/rest-route.ts';
import { codec } from '../../chain/codec/proto.ts';
import { Q, queryPath, type QueryName } from './types.ts';

const BASE = '/depin/rewards/v1';

// The server renders responses with messageToJson, which wants protobufjs' own decoding (not the
// bigint-typed records the module works with).
const route = (path: string, name: QueryName, build?: RestRoute['build']): RestRoute => ({
  path: BASE + path, query: queryPath(name), request: Q[name][0], response: codec(Q[name][1].type.fullName.slice(1)), build,
});

const epochParam = (s: string | undefined) => (s === undefined || s === 'current' ? '0' : s);

export const rewardsRoutes: RestRoute[] = [
  route('/params', 'Params'),
  route('/epochs', 'Epochs', (_p, q) => ({ pagination: paginationFrom(q) })),
  route('/epochs/{epoch}', 'Epoch', (p) => ({ epoch: epochParam(p.epoch) })),
  route('/devices/{device_id}', 'DeviceRewards'),
  route('/devices/{device_id}/epochs', 'DeviceEpochs', (p, q) => ({ deviceId: p.device_id, pagination: paginationFrom(q) })),
  route('/devices/{device_id}/epochs/{epoch}', 'DeviceEpoch', (p) => ({ deviceId: p.device_id, epoch: epochParam(p.epoch) })),
  route('/owners/{owner}/claimable', 'Claimable', (p, q) => ({ owner: p.owner, pagination: paginationFrom(q) })),
  route('/prices', 'Prices'),
  route('/oracles', 'Oracles', (_p, q) => ({ pagination: paginationFrom(q) })),
  route('/credits/{address}', 'Credits'),
  route('/totals', 'Totals'),
  route('/schedule', 'Schedule', (_p, q) => ({ fromEpoch: q.get('from_epoch') ?? '0', count: Number(q.get('count') ?? '100') })),
];

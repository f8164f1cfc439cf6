// REST routes of the proofs module (GET, mapped onto its ABCI queries).
import { paginationFrom, type RestRoute } from '../../chain/rest-route.ts';
import { Q, queryPath, type QueryName } from './types.ts';

const BASE = '/depin/proofs/v1';

const route = (path: string, name: QueryName, build?: RestRoute['build']): RestRoute => ({
  path: BASE + path, query: queryPath(name), request: Q[name][0], response: Q[name][1], build,
});

export const proofsRoutes: RestRoute[] = [
  route('/params', 'Params'),
  route('/seeds/{window}', 'Seed', (p) => ({ window: p.window })),
  route('/challenge_seeds/{height}', 'Seed', (p) => ({ height: p.height })),
  route('/proofs/{id}', 'Proof'),
  route('/devices/{device_id}/proofs', 'ProofsByDevice'),
  route('/devices/{device_id}/windows/{window}', 'DeviceWindow'),
  route('/devices/{device_id}/state', 'DeviceState'),
  route('/data_sets', 'DataSets', (_p, q) => ({ pagination: paginationFrom(q) })),
  route('/data_sets/{id}', 'DataSet'),
  route('/jobs', 'Jobs', (_p, q) => ({ pagination: paginationFrom(q) })),
  route('/jobs/{id}', 'Job'),
  route('/disputes/{id}', 'Dispute'),
  route('/challenges', 'Challenges', (_p, q) => ({ pagination: paginationFrom(q) })),
  route('/challenges/{id}', 'Challenge'),
  route('/verifiers', 'Verifiers', (_p, q) => ({ pagination: paginationFrom(q) })),
];

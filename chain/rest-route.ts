// A REST (grpc-gateway style) GET route a module declares: a URL template mapped onto one of its
// ABCI queries. The node's REST server (node/rest) serves them; modules only describe them.
import type { Codec } from './codec/proto.ts';

export interface RestRoute {
  /** URL template with {param} segments, e.g. /cosmos/bank/v1beta1/balances/{address}. */
  path: string;
  /** ABCI query path, e.g. /cosmos.bank.v1beta1.Query/AllBalances. */
  query: string;
  request: Codec<any>;
  response: Codec<any>;
  /** Request fields (camelCase) from the path parameters and the URL query string. Omitted:
   * path parameters map to the field of the same (camelCased) name, plus pagination.*. */
  build?(path: Record<string, string>, query: URLSearchParams): Record<string, unknown>;
}

/** grpc-gateway's pagination query parameters: pagination.key (base64), .offset, .limit,
 * .count_total, .reverse. */
export function paginationFrom(q: URLSearchParams): Record<string, unknown> | undefined {
  const key = q.get('pagination.key');
  const offset = q.get('pagination.offset');
  const limit = q.get('pagination.limit');
  const countTotal = q.get('pagination.count_total');
  const reverse = q.get('pagination.reverse');
  if (key === null && offset === null && limit === null && countTotal === null && reverse === null) return undefined;
  return {
    key: key ? Buffer.from(key, 'base64') : undefined,
    offset: offset ?? undefined,
    limit: limit ?? undefined,
    countTotal: countTotal === 'true',
    reverse: reverse === 'true',
  };
}

// A REST route answered by node code (block store, index, views) rather than by one ABCI query.
// The same table drives routing and the OpenAPI document (openapi.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import type { PageRequest } from '../indexer/views/kv.ts';

export interface QueryParamDoc {
  name: string;
  description: string;
  required?: boolean;
  /** 'string' unless said otherwise. */
  type?: 'string' | 'integer' | 'boolean';
  /** Repeatable (e.g. events=...&events=...). */
  array?: boolean;
}

/** JSON Schema (OpenAPI 3 dialect) of a response body. */
export type Schema = Record<string, unknown>;

export interface HandlerContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** pagination.key (base64) / offset / limit / count_total / reverse, parsed. */
  page: PageRequest;
}

export interface HandlerResult {
  status?: number;
  body: unknown;
  /** The height the answer is as of (x-cosmos-block-height header). */
  height?: bigint | string;
  /** The body already serialized (and gzipped when big): cached answers skip the work. */
  serialized?: { text: string; gzip?: Buffer };
}

export interface HandlerRoute {
  path: string;
  summary: string;
  tag: string;
  query?: QueryParamDoc[];
  /** Accepts the Cosmos pagination.* parameters. */
  paginated?: boolean;
  response?: Schema;
  handle?(ctx: HandlerContext): Promise<HandlerResult>;
  /** For streams (server-sent events): the route writes the response itself. */
  raw?(req: IncomingMessage, res: ServerResponse, ctx: HandlerContext): void;
  /** Content type documented for raw routes. */
  produces?: string;
  /** A websocket endpoint: the server upgrades GET requests with `Upgrade: websocket` on this path. */
  websocket?(ws: WebSocket, req: IncomingMessage): void;
}

/** An error with its HTTP status and gRPC code (the Cosmos REST error body). */
export class RestError extends Error {
  readonly status: number;
  readonly grpc: number;
  readonly extra: Record<string, unknown>;
  constructor(status: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.grpc = status === 404 ? 5 : status === 400 ? 3 : status === 503 ? 14 : status === 501 ? 12 : 2;
    this.extra = extra;
  }
}

/** grpc-gateway's pagination.* query parameters. */
export function parsePage(q: URLSearchParams): PageRequest {
  const int = (name: string): number | undefined => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    if (!/^[0-9]{1,9}$/.test(v)) throw new RestError(400, `${name} must be a non-negative integer`);
    return Number(v);
  };
  const key = q.get('pagination.key');
  if (key && !/^[A-Za-z0-9+/_-]*={0,2}$/.test(key)) throw new RestError(400, 'pagination.key must be base64');
  const page: PageRequest = {};
  if (key) page.key = Buffer.from(key, 'base64');
  const offset = int('pagination.offset');
  if (offset !== undefined) page.offset = offset;
  const limit = int('pagination.limit');
  if (limit !== undefined) page.limit = limit;
  if (q.has('pagination.count_total')) page.countTotal = q.get('pagination.count_total') === 'true';
  if (q.has('pagination.reverse')) page.reverse = q.get('pagination.reverse') === 'true';
  return page;
}

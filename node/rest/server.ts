// A small REST server in the style of the Cosmos SDK's grpc-gateway: GET routes that modules
// declare (chain/rest-route.ts) are mapped onto ABCI queries, and the protobuf responses are
// rendered as the SDK's JSON (snake_case, 64-bit integers as strings, bytes as base64, enums by
// name, Any as {"@type", ...}). Errors come back as {code, message, details} with an HTTP status.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { camelCase, encodeCanonical, messageToJson } from '../../chain/codec/proto-json.ts';
import { paginationFrom, type RestRoute } from '../../chain/rest-route.ts';
import type { QueryRequest, QueryResult } from '../../chain/app.ts';

export interface Queryable {
  query(req: QueryRequest): QueryResult;
}

interface Compiled {
  route: RestRoute;
  segments: string[];
}

/** gRPC status codes grpc-gateway puts in the error body. */
const GRPC = { invalidArgument: 3, notFound: 5, unknown: 2 } as const;

function classify(r: QueryResult): { http: number; grpc: number } {
  const notFound = /code = NotFound|not found|not banned|no allowance/i.test(r.log) || (r.codespace === 'sdk' && (r.code === 22 || r.code === 38));
  if (notFound) return { http: 404, grpc: GRPC.notFound };
  if (r.codespace === 'sdk' && r.code === 26) return { http: 400, grpc: GRPC.invalidArgument };
  return { http: 400, grpc: GRPC.invalidArgument };
}

export class RestServer {
  readonly app: Queryable;
  readonly http: Server;
  readonly cors: string[];
  private readonly routes: Compiled[];

  constructor(app: Queryable, routes: readonly RestRoute[], opts: { cors?: string[] } = {}) {
    this.app = app;
    this.cors = opts.cors ?? ['*'];
    this.routes = routes.map((route) => ({ route, segments: route.path.split('/').filter(Boolean) }));
    this.http = createServer((req, res) => this.handle(req, res));
    this.http.keepAliveTimeout = 65_000;
  }

  async listen(address: string): Promise<string> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i) || '127.0.0.1';
    const port = Number(address.slice(i + 1));
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve());
    });
    const a = this.http.address();
    return typeof a === 'object' && a ? `${a.address}:${a.port}` : address;
  }

  async close(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  private match(path: string): { route: RestRoute; params: Record<string, string> } | undefined {
    const parts = path.split('/').filter(Boolean);
    for (const c of this.routes) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = c.segments[i]!;
        if (seg.startsWith('{') && seg.endsWith('}')) params[seg.slice(1, -1)] = decodeURIComponent(parts[i]!);
        else ok = seg === parts[i];
      }
      if (ok) return { route: c.route, params };
    }
    return undefined;
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, height?: bigint): void {
    const origin = req.headers.origin;
    if (this.cors.includes('*')) res.setHeader('Access-Control-Allow-Origin', '*');
    else if (origin && this.cors.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    res.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Accept, x-cosmos-block-height');
    if (height !== undefined) res.setHeader('x-cosmos-block-height', height.toString());
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body, null, 2));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'OPTIONS') return this.send(req, res, 204, {});
    if (req.method !== 'GET') return this.send(req, res, 405, { code: 12, message: `method ${req.method} not allowed; the REST API is read-only (GET)`, details: [] });
    if (url.pathname === '/' || url.pathname === '') {
      return this.send(req, res, 200, { routes: this.routes.map((c) => ({ path: c.route.path, query: c.route.query })) });
    }
    const m = this.match(url.pathname.replace(/\/+$/, ''));
    if (!m) return this.send(req, res, 501, { code: 12, message: `Not Implemented: no route for ${url.pathname} (GET / lists the routes)`, details: [] });
    let data: Uint8Array;
    try {
      const fields = m.route.build
        ? m.route.build(m.params, url.searchParams)
        : { ...Object.fromEntries(Object.entries(m.params).map(([k, v]) => [camelCase(k), v])), pagination: paginationFrom(url.searchParams) };
      data = encodeCanonical(m.route.request.type, fields);
    } catch (err) {
      return this.send(req, res, 400, { code: GRPC.invalidArgument, message: `invalid request: ${(err as Error).message}`, details: [] });
    }
    const heightHeader = req.headers['x-cosmos-block-height'] ?? url.searchParams.get('height');
    let height: bigint | undefined;
    if (heightHeader) {
      if (!/^[0-9]+$/.test(String(heightHeader))) return this.send(req, res, 400, { code: GRPC.invalidArgument, message: 'invalid height', details: [] });
      height = BigInt(String(heightHeader));
    }
    const r = this.app.query({ path: m.route.query, data, height });
    if (r.code !== 0) {
      const { http, grpc } = classify(r);
      return this.send(req, res, http, { code: grpc, message: r.log, details: [], codespace: r.codespace, abci_code: r.code }, r.height);
    }
    try {
      return this.send(req, res, 200, messageToJson(m.route.response.type, m.route.response.decode(r.value) as never), r.height);
    } catch (err) {
      return this.send(req, res, 500, { code: GRPC.unknown, message: `cannot render response: ${(err as Error).message}`, details: [] });
    }
  }
}

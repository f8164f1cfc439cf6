// A small REST server in the style of the Cosmos SDK's grpc-gateway: GET routes that modules
// declare (chain/rest-route.ts) are mapped onto ABCI queries, and the protobuf responses are
// rendered as the SDK's JSON (snake_case, 64-bit integers as strings, bytes as base64, enums by
// name, Any as {"@type", ...}). Routes answered by node code (txs, blocks, node info, the index's
// views, server-sent events: handler-route.ts) sit in the same table; /openapi.json describes all
// of them; the dashboard (a static site) is served at / for browsers. Errors come back as
// {code, message, details} with an HTTP status.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { gzip } from 'node:zlib';
import { listenOn } from '../listen.ts';
import { WebSocketServer } from 'ws';
import { camelCase, encodeCanonical, messageToJson } from '../../chain/codec/proto-json.ts';
import { paginationFrom, type RestRoute } from '../../chain/rest-route.ts';
import type { QueryRequest, QueryResult } from '../../chain/app.ts';
import { RestError, parsePage, type HandlerRoute } from './handler-route.ts';
import { openApiDocument } from './openapi.ts';

export interface Queryable {
  query(req: QueryRequest): QueryResult;
}

/** Files served besides the API (the dashboard). Returns false when the path is not its own. */
export interface StaticSite {
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean;
}

type Compiled = { kind: 'abci'; route: RestRoute; segments: string[]; literal: number } | { kind: 'handler'; route: HandlerRoute; segments: string[]; literal: number };

/** gRPC status codes grpc-gateway puts in the error body. */
const GRPC = { invalidArgument: 3, notFound: 5, unknown: 2 } as const;

function classify(r: QueryResult): { http: number; grpc: number } {
  const notFound = /code = NotFound|not found|not banned|no allowance/i.test(r.log) || (r.codespace === 'sdk' && (r.code === 22 || r.code === 38));
  if (notFound) return { http: 404, grpc: GRPC.notFound };
  if (r.codespace === 'sdk' && r.code === 26) return { http: 400, grpc: GRPC.invalidArgument };
  return { http: 400, grpc: GRPC.invalidArgument };
}

/** Answers at least this long are gzipped for clients that accept it. */
export const GZIP_MIN = 16 * 1024;

const compile = (path: string) => {
  const segments = path.split('/').filter(Boolean);
  return { segments, literal: segments.filter((s) => !s.startsWith('{')).length };
};

export class RestServer {
  readonly app: Queryable;
  readonly http: Server;
  private readonly wss: WebSocketServer;
  readonly cors: string[];
  private readonly routes: Compiled[];
  private readonly site: StaticSite | undefined;
  private openapi: object | undefined;

  constructor(app: Queryable, routes: readonly RestRoute[], opts: { cors?: string[]; handlers?: readonly HandlerRoute[]; site?: StaticSite } = {}) {
    this.app = app;
    this.cors = opts.cors ?? ['*'];
    this.site = opts.site;
    this.routes = [
      ...routes.map((route) => ({ kind: 'abci' as const, route, ...compile(route.path) })),
      ...(opts.handlers ?? []).map((route) => ({ kind: 'handler' as const, route, ...compile(route.path) })),
    ];
    // Literal segments win over parameters (/blocks/latest before /blocks/{height}).
    this.routes.sort((a, b) => b.literal - a.literal);
    this.http = createServer((req, res) => this.handle(req, res));
    this.http.keepAliveTimeout = 65_000;
    // Websocket routes (the dashboard's live feed): upgrade only on their paths.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    this.http.on('upgrade', (req, socket, head) => {
      const m = this.match(new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, ''));
      const route = m?.c.kind === 'handler' ? m.c.route : undefined;
      if (!route?.websocket) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => route.websocket!(ws, req));
    });
  }

  /** Every route, for `GET /` and the OpenAPI document. */
  get routeTable(): { abci: RestRoute[]; handlers: HandlerRoute[] } {
    return {
      abci: this.routes.flatMap((c) => (c.kind === 'abci' ? [c.route] : [])),
      handlers: this.routes.flatMap((c) => (c.kind === 'handler' ? [c.route] : [])),
    };
  }

  listen(address: string): Promise<string> {
    return listenOn(this.http, address);
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate(); // upgraded sockets are no longer the HTTP server's
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  private match(path: string): { c: Compiled; params: Record<string, string> } | undefined {
    const parts = path.split('/').filter(Boolean);
    for (const c of this.routes) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = c.segments[i]!;
        if (seg.startsWith('{') && seg.endsWith('}')) {
          try {
            params[seg.slice(1, -1)] = decodeURIComponent(parts[i]!);
          } catch {
            ok = false;
          }
        } else ok = seg === parts[i];
      }
      if (ok) return { c, params };
    }
    return undefined;
  }

  private headers(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (this.cors.includes('*')) res.setHeader('Access-Control-Allow-Origin', '*');
    else if (origin && this.cors.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    res.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Accept, x-cosmos-block-height');
    res.setHeader('Access-Control-Expose-Headers', 'x-cosmos-block-height');
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, height?: bigint | string, serialized?: { text: string; gzip?: Buffer }): void {
    this.headers(req, res);
    if (height !== undefined) res.setHeader('x-cosmos-block-height', height.toString());
    const acceptsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (serialized?.gzip && acceptsGzip) {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }).end(serialized.gzip);
      return;
    }
    // Compact JSON (as grpc-gateway writes it); big answers (coverage cells, long histories) are
    // gzipped off the event loop when the client accepts it.
    const text = serialized?.text ?? JSON.stringify(body);
    if (text.length >= GZIP_MIN && acceptsGzip) {
      gzip(text, { level: 4 }, (err, gz) => {
        if (err) {
          res.writeHead(status, { 'Content-Type': 'application/json' }).end(text);
          return;
        }
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }).end(gz);
      });
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(text);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return this.send(req, res, 400, { code: GRPC.invalidArgument, message: 'invalid URL', details: [] });
    }
    if (req.method === 'OPTIONS') return this.send(req, res, 204, {});
    if (req.method !== 'GET') return this.send(req, res, 405, { code: 12, message: `method ${req.method} not allowed; the REST API is read-only (GET)`, details: [] });
    const pathname = url.pathname;
    if (pathname === '/openapi.json') {
      return this.send(req, res, 200, (this.openapi ??= openApiDocument(this.routeTable)));
    }
    if (pathname === '/' || pathname === '') {
      // Browsers get the dashboard; API clients (curl, scripts) the route list.
      const wantsHtml = /text\/html/.test(req.headers.accept ?? '');
      if (wantsHtml && this.site?.serve(req, res, '/')) return;
      const { abci, handlers } = this.routeTable;
      return this.send(req, res, 200, { routes: [...abci.map((r) => ({ path: r.path, query: r.query })), ...handlers.map((r) => ({ path: r.path, summary: r.summary }))], openapi: '/openapi.json' });
    }
    if (this.site?.serve(req, res, pathname)) return;
    const m = this.match(pathname.replace(/\/+$/, ''));
    if (!m) return this.send(req, res, 501, { code: 12, message: `Not Implemented: no route for ${pathname} (GET / lists the routes, /openapi.json describes them)`, details: [] });
    if (m.c.kind === 'handler') return this.handleRoute(req, res, m.c.route, m.params, url.searchParams);
    const route = m.c.route;
    let data: Uint8Array;
    try {
      const fields = route.build
        ? route.build(m.params, url.searchParams)
        : { ...Object.fromEntries(Object.entries(m.params).map(([k, v]) => [camelCase(k), v])), pagination: paginationFrom(url.searchParams) };
      data = encodeCanonical(route.request.type, fields);
    } catch (err) {
      return this.send(req, res, 400, { code: GRPC.invalidArgument, message: `invalid request: ${(err as Error).message}`, details: [] });
    }
    const heightHeader = req.headers['x-cosmos-block-height'] ?? url.searchParams.get('height');
    let height: bigint | undefined;
    if (heightHeader) {
      if (!/^[0-9]+$/.test(String(heightHeader))) return this.send(req, res, 400, { code: GRPC.invalidArgument, message: 'invalid height', details: [] });
      height = BigInt(String(heightHeader));
    }
    const r = this.app.query({ path: route.query, data, height });
    if (r.code !== 0) {
      const { http, grpc } = classify(r);
      return this.send(req, res, http, { code: grpc, message: r.log, details: [], codespace: r.codespace, abci_code: r.code }, r.height);
    }
    try {
      return this.send(req, res, 200, messageToJson(route.response.type, route.response.decode(r.value) as never), r.height);
    } catch (err) {
      return this.send(req, res, 500, { code: GRPC.unknown, message: `cannot render response: ${(err as Error).message}`, details: [] });
    }
  }

  private handleRoute(req: IncomingMessage, res: ServerResponse, route: HandlerRoute, params: Record<string, string>, query: URLSearchParams): void {
    let page;
    try {
      page = parsePage(query);
    } catch (err) {
      const e = err as RestError;
      return this.send(req, res, e.status, { code: e.grpc, message: e.message, details: [] });
    }
    const ctx = { params, query, page };
    if (route.websocket && !route.raw && !route.handle) {
      return this.send(req, res, 426, { code: GRPC.invalidArgument, message: 'this is a websocket endpoint: connect with Upgrade: websocket', details: [] });
    }
    if (route.raw) {
      this.headers(req, res);
      return route.raw(req, res, ctx);
    }
    route.handle!(ctx).then(
      (r) => this.send(req, res, r.status ?? 200, r.body, r.height, r.serialized),
      (err: unknown) => {
        if (err instanceof RestError) return this.send(req, res, err.status, { code: err.grpc, message: err.message, details: [], ...err.extra });
        const status = (err as { status?: number }).status;
        if (status && status >= 400 && status < 500) return this.send(req, res, status, { code: status === 404 ? GRPC.notFound : GRPC.invalidArgument, message: (err as Error).message, details: [] });
        return this.send(req, res, 500, { code: GRPC.unknown, message: (err as Error).message, details: [] });
      },
    );
  }
}

// The CometBFT-compatible RPC endpoint: JSON-RPC 2.0 over HTTP POST (any path, batches allowed),
// URI-style GET (/status, /block?height=5) for curl, and /websocket for subscriptions.
// JSON-RPC errors travel with HTTP 200: CosmJS discards the body of any status >= 400.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { listenOn } from '../listen.ts';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DepinNode } from '../node.ts';
import { buildMethods, RpcError, type Method, type Params } from './methods.ts';
import { MAX_SUBSCRIPTIONS_PER_CLIENT, type Subscription, type BusMessage } from '../event-bus.ts';
import * as F from './format.ts';
import type { TxResult } from '../../chain/app.ts';
import type { Block } from '../store/block-types.ts';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Id = number | string | null;

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: Id;
  method?: unknown;
  params?: unknown;
}

function errorResponse(id: Id, code: number, message: string, data = '') {
  return { jsonrpc: '2.0', id, error: { code, message, data } };
}

export class RpcServer {
  readonly node: DepinNode;
  readonly methods: Record<string, Method>;
  readonly http: Server;
  readonly wss: WebSocketServer;
  readonly cors: string[];
  private readonly sockets = new Set<WebSocket>();

  constructor(node: DepinNode, listen: string) {
    this.node = node;
    this.methods = buildMethods(node, listen);
    this.cors = node.config.corsAllowedOrigins;
    this.http = createServer((req, res) => void this.handleHttp(req, res));
    this.http.keepAliveTimeout = 65_000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
    this.http.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
      if (!path.endsWith('/websocket')) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.handleSocket(ws));
    });
  }

  listen(address: string): Promise<string> {
    return listenOn(this.http, address);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  private setCors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (this.cors.includes('*')) res.setHeader('Access-Control-Allow-Origin', '*');
    else if (origin && this.cors.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Origin, Accept, X-Requested-With');
    res.setHeader('Access-Control-Max-Age', '600');
  }

  private send(res: ServerResponse, body: unknown): void {
    const json = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
    res.end(json);
  }

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.setCors(req, res);
    if (req.method === 'OPTIONS') {
      res.writeHead(204);
      res.end();
      return;
    }
    try {
      if (req.method === 'GET') {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const method = url.pathname.replace(/^\/+|\/+$/g, '');
        if (method === '') {
          this.send(res, { jsonrpc: '2.0', id: -1, result: { methods: Object.keys(this.methods).sort() } });
          return;
        }
        const params: Params = {};
        for (const [k, v] of url.searchParams) params[k] = v.replace(/^"(.*)"$/, '$1');
        this.send(res, await this.call({ jsonrpc: '2.0', id: -1, method, params }));
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { Allow: 'GET, POST, OPTIONS' });
        res.end();
        return;
      }
      const raw = await readBody(req);
      if (raw === undefined) {
        this.send(res, errorResponse(null, -32600, 'Invalid Request', `request body too large (limit ${MAX_BODY_BYTES} bytes)`));
        req.destroy();
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch (err) {
        this.send(res, errorResponse(null, -32700, 'Parse error', `error unmarshaling request: ${(err as Error).message}`));
        return;
      }
      if (Array.isArray(body)) {
        if (body.length === 0) {
          this.send(res, errorResponse(null, -32600, 'Invalid Request', 'empty batch'));
          return;
        }
        this.send(res, await Promise.all(body.map((r) => this.call(r as JsonRpcRequest))));
        return;
      }
      this.send(res, await this.call(body as JsonRpcRequest));
    } catch (err) {
      if (!res.headersSent) this.send(res, errorResponse(null, -32603, 'Internal error', (err as Error).message));
    }
  }

  /** Executes one JSON-RPC request object and returns its response object. */
  async call(req: JsonRpcRequest): Promise<object> {
    const id: Id = req && typeof req === 'object' && (typeof req.id === 'number' || typeof req.id === 'string') ? req.id : null;
    if (!req || typeof req !== 'object' || Array.isArray(req)) return errorResponse(null, -32600, 'Invalid Request', 'request must be a JSON object');
    if (req.jsonrpc !== '2.0') return errorResponse(id, -32600, 'Invalid Request', 'jsonrpc must be "2.0"');
    if (typeof req.method !== 'string') return errorResponse(id, -32600, 'Invalid Request', 'method must be a string');
    const fn = this.methods[req.method];
    if (!fn) return errorResponse(id, -32601, 'Method not found', `unknown method ${req.method}`);
    const params = req.params === undefined || req.params === null ? {} : req.params;
    if (typeof params !== 'object' || Array.isArray(params)) return errorResponse(id, -32602, 'Invalid params', 'params must be an object');
    try {
      return { jsonrpc: '2.0', id, result: await fn(params as Params) };
    } catch (err) {
      if (err instanceof RpcError) return errorResponse(id, err.code, err.message, err.data);
      return errorResponse(id, -32603, 'Internal error', (err as Error).message);
    }
  }

  // -------------------------------------------------------------------------------- websocket

  private handleSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    const subs = new Map<string, Subscription>();
    const cleanup = () => {
      for (const s of subs.values()) this.node.bus.unsubscribe(s);
      subs.clear();
      this.sockets.delete(ws);
    };
    ws.on('close', cleanup);
    ws.on('error', cleanup);
    ws.on('message', (raw) => {
      void (async () => {
        let req: JsonRpcRequest;
        try {
          req = JSON.parse(raw.toString());
        } catch (err) {
          ws.send(JSON.stringify(errorResponse(null, -32700, 'Parse error', (err as Error).message)));
          return;
        }
        const id: Id = typeof req?.id === 'number' || typeof req?.id === 'string' ? req.id : null;
        const params = (req?.params ?? {}) as Params;
        if (req?.method === 'subscribe') {
          const query = typeof params.query === 'string' ? params.query : '';
          if (subs.has(query)) return ws.send(JSON.stringify(errorResponse(id, -32603, 'Internal error', 'already subscribed')));
          if (subs.size >= MAX_SUBSCRIPTIONS_PER_CLIENT) return ws.send(JSON.stringify(errorResponse(id, -32603, 'Internal error', 'max subscriptions per client reached')));
          let sub: Subscription;
          try {
            // Events reuse the subscribe request's id and carry result.query: CosmJS needs both.
            sub = this.node.bus.subscribe(query, (msg) => {
              if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ jsonrpc: '2.0', id, result: { query, data: renderEventData(msg), events: Object.fromEntries(msg.events) } }));
            });
          } catch (err) {
            return ws.send(JSON.stringify(errorResponse(id, -32602, 'Invalid params', `failed to parse query: ${(err as Error).message}`)));
          }
          subs.set(query, sub);
          return ws.send(JSON.stringify({ jsonrpc: '2.0', id, result: {} }));
        }
        if (req?.method === 'unsubscribe') {
          const query = typeof params.query === 'string' ? params.query : '';
          const sub = subs.get(query);
          if (!sub) return ws.send(JSON.stringify(errorResponse(id, -32603, 'Internal error', 'subscription not found')));
          this.node.bus.unsubscribe(sub);
          subs.delete(query);
          return ws.send(JSON.stringify({ jsonrpc: '2.0', id, result: {} }));
        }
        if (req?.method === 'unsubscribe_all') {
          for (const s of subs.values()) this.node.bus.unsubscribe(s);
          subs.clear();
          return ws.send(JSON.stringify({ jsonrpc: '2.0', id, result: {} }));
        }
        ws.send(JSON.stringify(await this.call(req)));
      })();
    });
  }
}

/** The request body as text, or undefined past MAX_BODY_BYTES (plain events: cheaper than an async iterator on this hot path). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) resolve(undefined);
      else chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Bus payloads carry internal objects; render them in CometBFT's event JSON. */
function renderEventData(msg: BusMessage): { type: string; value: unknown } {
  const v = msg.data.value as Record<string, unknown>;
  switch (msg.data.type) {
    case 'tendermint/event/Tx': {
      const t = v as { height: bigint; index: number; tx: Uint8Array; result: TxResult };
      return { type: msg.data.type, value: { TxResult: { height: t.height.toString(), index: t.index, tx: F.b64(t.tx), result: F.txResult(t.result) } } };
    }
    case 'tendermint/event/NewBlock': {
      const b = v as { block: Block; results: TxResult[] };
      return { type: msg.data.type, value: { block: F.block(b.block), result_finalize_block: { tx_results: b.results.map(F.txResult) } } };
    }
    case 'tendermint/event/NewBlockHeader':
      return { type: msg.data.type, value: { header: F.header((v as { header: Block['header'] }).header) } };
    default:
      return msg.data;
  }
}


// The OpenAPI 3 document of the REST server, generated from its route table: ABCI routes get
// their response schemas from the protobuf types (in the Cosmos JSON form messageToJson writes),
// handler routes declare theirs. Served at /openapi.json; a test checks every route is listed.
import protobuf from 'protobufjs';
import type { RestRoute } from '../../chain/rest-route.ts';
import type { HandlerRoute, QueryParamDoc, Schema } from './handler-route.ts';

const LONG = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** JSON schema of a protobuf message as the REST API renders it; nested types become components. */
function messageSchema(type: protobuf.Type, components: Record<string, Schema>): Schema {
  const name = type.fullName.replace(/^\./, '');
  switch (name) {
    case 'google.protobuf.Any':
      return { type: 'object', description: 'Any: the message\'s fields plus "@type" (its type URL)', properties: { '@type': { type: 'string' } }, additionalProperties: true };
    case 'google.protobuf.Timestamp':
      return { type: 'string', format: 'date-time' };
    case 'google.protobuf.Duration':
      return { type: 'string', description: 'duration, e.g. "1.5s"' };
  }
  if (!components[name]) {
    components[name] = {}; // placeholder: recursive types refer to it
    const properties: Record<string, Schema> = {};
    for (const f of type.fieldsArray) {
      f.resolve();
      let s: Schema;
      const rt = f.resolvedType;
      if (rt instanceof protobuf.Type) s = messageSchema(rt, components);
      else if (rt instanceof protobuf.Enum) s = { type: 'string', enum: Object.keys(rt.values) };
      else if (LONG.has(f.type)) s = { type: 'string', format: f.type, pattern: '^-?[0-9]+$' };
      else if (f.type === 'bytes') s = { type: 'string', format: 'byte' };
      else if (f.type === 'bool') s = { type: 'boolean' };
      else if (f.type === 'string') s = { type: 'string' };
      else if (f.type === 'double' || f.type === 'float') s = { type: 'number' };
      else s = { type: 'integer', format: f.type };
      properties[snake(f.name)] = f.repeated ? { type: 'array', items: s } : s;
    }
    components[name] = { type: 'object', properties };
  }
  return { $ref: `#/components/schemas/${name}` };
}

const PAGINATION_PARAMS: QueryParamDoc[] = [
  { name: 'pagination.key', description: 'next_key of the previous page (base64); excludes offset' },
  { name: 'pagination.offset', description: 'entries to skip; excludes key', type: 'integer' },
  { name: 'pagination.limit', description: 'page size (default 50 for views, 100 for module queries; max 1000)', type: 'integer' },
  { name: 'pagination.count_total', description: 'also count all matching entries (pagination.total)', type: 'boolean' },
  { name: 'pagination.reverse', description: 'descending key order', type: 'boolean' },
];

const param = (p: QueryParamDoc) => ({
  name: p.name, in: 'query', required: !!p.required, description: p.description,
  schema: p.array ? { type: 'array', items: { type: p.type ?? 'string' } } : { type: p.type ?? 'string' },
  ...(p.array ? { style: 'form', explode: true } : {}),
});

const pathParams = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1]!, in: 'path', required: true, schema: { type: 'string' } }));

const ERROR = {
  description: 'error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

export function openApiDocument(routes: { abci: readonly RestRoute[]; handlers: readonly HandlerRoute[] }, info = { title: 'depind REST API', version: '0.1.0' }): Schema {
  const components: Record<string, Schema> = {
    Error: { type: 'object', properties: { code: { type: 'integer', description: 'gRPC status code' }, message: { type: 'string' }, details: { type: 'array', items: {} } } },
    PageResponse: { type: 'object', properties: { next_key: { type: 'string', format: 'byte', nullable: true }, total: { type: 'string' } } },
  };
  const paths: Record<string, Schema> = {};
  for (const r of routes.abci) {
    const inPath = new Set(pathParams(r.path).map((p) => p.name));
    const query: QueryParamDoc[] = [];
    for (const f of r.request.type.fieldsArray) {
      const n = snake(f.name);
      if (inPath.has(n) || inPath.has(f.name)) continue;
      if (n === 'pagination') query.push(...PAGINATION_PARAMS);
      else query.push({ name: n, description: `request field ${n}` });
    }
    query.push({ name: 'height', description: 'answer as of this height (point queries; also the x-cosmos-block-height header)', type: 'integer' });
    paths[r.path] = {
      get: {
        summary: `ABCI query ${r.query}`,
        operationId: r.query.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_/, ''),
        tags: [r.query.split('.').slice(0, -1).join('.').replace(/^\//, '') || 'query'],
        parameters: [...pathParams(r.path), ...query.map(param)],
        responses: { 200: { description: 'OK', content: { 'application/json': { schema: messageSchema(r.response.type, components) } } }, 400: ERROR, 404: ERROR },
      },
    };
  }
  for (const r of routes.handlers) {
    const query = [...(r.query ?? []), ...(r.paginated ? PAGINATION_PARAMS : [])];
    paths[r.path] = {
      get: {
        summary: r.summary,
        operationId: r.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, ''),
        tags: [r.tag],
        parameters: [...pathParams(r.path), ...query.map(param)],
        responses: {
          ...(r.websocket ? { 101: { description: 'Switching Protocols: a websocket of JSON text messages' } } : {}),
          200: r.websocket
            ? { description: 'not served: this path only upgrades to a websocket (426 without Upgrade)' }
            : r.raw
            ? { description: 'stream', content: { [r.produces ?? 'text/event-stream']: { schema: { type: 'string' } } } }
            : { description: 'OK', content: { 'application/json': { schema: r.response ?? { type: 'object' } } } },
          400: ERROR, 404: ERROR,
        },
      },
    };
  }
  return { openapi: '3.0.3', info: { ...info, description: 'Cosmos SDK-style REST (grpc-gateway JSON) plus the depin index views. Every view answer carries as_of_height.' }, paths, components: { schemas: components } };
}

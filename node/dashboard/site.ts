// Serves the dashboard: the single-page app in ./public and two vendored assets resolved from
// node_modules (h3-js's browser build and Natural Earth land polygons from world-atlas) — all
// local, nothing fetched from the internet. Files are read once, gzip-compressed once, and
// revalidated by ETag.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StaticSite } from '../rest/server.ts';

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), 'public');
const require = createRequire(import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
};

interface Asset {
  type: string;
  raw: Buffer;
  gz: Buffer;
  etag: string;
  cache: string;
}

function asset(path: string, cache: string): Asset {
  const raw = readFileSync(path);
  return { type: TYPES[extname(path)] ?? 'application/octet-stream', raw, gz: gzipSync(raw, { level: 9 }), etag: `"${createHash('sha256').update(raw).digest('hex').slice(0, 16)}"`, cache };
}

/** Where the vendored files come from (package files, versions pinned in package.json). */
export const VENDOR = {
  'h3-js.js': () => join(dirname(require.resolve('h3-js/package.json')), 'dist', 'browser', 'h3-js.es.js'),
  'land-110m.json': () => join(dirname(require.resolve('world-atlas/package.json')), 'land-110m.json'),
  'land-50m.json': () => join(dirname(require.resolve('world-atlas/package.json')), 'land-50m.json'),
} as const;

export function dashboardSite(): StaticSite {
  // Paths now, contents on first request (gzip of h3-js takes ~0.1 s: not on every node start).
  const paths = new Map<string, { path: string; cache: string }>();
  for (const name of readdirSync(PUBLIC)) paths.set(`/dashboard/${name}`, { path: join(PUBLIC, name), cache: 'no-cache' });
  for (const [name, path] of Object.entries(VENDOR)) paths.set(`/dashboard/vendor/${name}`, { path: path(), cache: 'public, max-age=86400' });
  const loaded = new Map<string, Asset>();
  const load = (key: string): Asset | undefined => {
    let a = loaded.get(key);
    const p = paths.get(key);
    if (!a && p) {
      a = asset(p.path, p.cache);
      loaded.set(key, a);
    }
    return a;
  };
  return {
    serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
      const a = load(pathname === '/' || pathname === '/dashboard' || pathname === '/dashboard/' ? '/dashboard/index.html' : pathname);
      if (!a) return pathname.startsWith('/dashboard/') ? notFound(res) : false;
      res.setHeader('Content-Type', a.type);
      res.setHeader('Cache-Control', a.cache);
      res.setHeader('ETag', a.etag);
      res.setHeader('Vary', 'Accept-Encoding');
      if (req.headers['if-none-match'] === a.etag) {
        res.writeHead(304).end();
        return true;
      }
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      if (gzip) res.setHeader('Content-Encoding', 'gzip');
      res.writeHead(200).end(gzip ? a.gz : a.raw);
      return true;
    },
  };
}

function notFound(res: ServerResponse): true {
  res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 5, message: 'no such dashboard file', details: [] }));
  return true;
}

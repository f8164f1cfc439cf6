// Binds an HTTP server to "host:port" (empty host = 127.0.0.1; port 0 = any free port) and
// returns the address it actually bound, e.g. "127.0.0.1:41873". Shared by RPC, REST and metrics.
import type { Server } from 'node:http';

export async function listenOn(server: Server, address: string): Promise<string> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i) || '127.0.0.1';
  const port = Number(address.slice(i + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address();
  return typeof a === 'object' && a ? `${a.address}:${a.port}` : address;
}

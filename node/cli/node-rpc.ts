// What the client commands send a node over CometBFT JSON-RPC: one call, and an ABCI query whose
// protobuf answer comes back decoded and as the SDK's JSON.
import type protobuf from 'protobufjs';
import { encodeCanonical, messageToJson } from '../../chain/codec/proto-json.ts';

export async function rpcCall(node: string, method: string, params: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(node, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) }).catch((err) => {
    throw new Error(`cannot reach ${node}: ${(err as Error).cause ?? err} (is depind running? set --node)`);
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string; data?: string } };
  if (body.error) throw new Error(`${body.error.message}: ${body.error.data ?? ''}`);
  return body.result;
}

/** `path` queried with `request` (encoded canonically as `req`); a non-zero code throws its log. */
export async function abciQuery(node: string, path: string, req: protobuf.Type, res: protobuf.Type, request: Record<string, unknown>): Promise<{ decoded: any; json: unknown }> {
  const data = Buffer.from(encodeCanonical(req, request)).toString('hex');
  const { response: r } = (await rpcCall(node, 'abci_query', { path, data })) as { response: { code: number; log: string; value: string | null; codespace: string } };
  if (r.code !== 0) throw new Error(`${r.log} (${r.codespace} code ${r.code})`);
  const decoded = res.decode(Buffer.from(r.value ?? '', 'base64'));
  return { decoded, json: messageToJson(res, decoded as never) };
}

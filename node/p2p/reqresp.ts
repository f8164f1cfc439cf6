// One request, one response, over a fresh libp2p stream per request: the client writes one
// varint-length-prefixed request and half-closes; the server answers with one length-prefixed
// frame whose first byte says whether it carries the response (0) or an error text (1).
// Both sides cap the frame size before buffering it and give up after a timeout, so a slow,
// silent or flooding peer costs one stream and a bounded buffer, never an unbounded wait.
import { lpStream } from '@libp2p/utils';
import type { Libp2p, Stream, Connection } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { WireError } from './wire.ts';

export interface ProtocolLimits {
  maxRequestBytes: number;
  maxResponseBytes: number;
  /** Whole exchange, dial included (client) / read + handle + write (server). */
  timeoutMs: number;
  /** Concurrent inbound streams per connection for this protocol. */
  maxInboundStreams?: number;
}

export type RequestHandler = (request: Uint8Array, fromPeer: string) => Promise<Uint8Array> | Uint8Array;

/** Thrown by a handler for a request that is malformed: the requester is penalised. */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

export type RequestFailure = 'dial' | 'timeout' | 'stream' | 'bad-response' | 'remote-error';

export class RequestError extends Error {
  override name = 'RequestError';
  readonly kind: RequestFailure;
  readonly peerId: string;
  constructor(kind: RequestFailure, peerId: string, message: string) {
    super(`${kind} from ${peerId}: ${message}`);
    this.kind = kind;
    this.peerId = peerId;
  }
}

/** Errors libp2p's length-prefixed reader raises for frames that break the size limits. */
const FRAMING_ERRORS = new Set(['InvalidDataLengthError', 'InvalidMessageLengthError', 'InvalidDataLengthLengthError', 'StreamBufferError']);

function isFramingError(e: Error): boolean {
  return e instanceof WireError || FRAMING_ERRORS.has(e.name);
}

const STATUS_OK = 0;
const STATUS_ERROR = 1;
const MAX_ERROR_TEXT = 512;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export async function handleProtocol(
  libp2p: Libp2p,
  protocol: string,
  handler: RequestHandler,
  limits: ProtocolLimits,
  onBadRequest: (peerId: string, err: Error) => void,
): Promise<void> {
  await libp2p.handle(
    protocol,
    async (stream: Stream, connection: Connection) => {
      const peer = connection.remotePeer.toString();
      const signal = AbortSignal.timeout(limits.timeoutMs);
      const lp = lpStream(stream, { maxDataLength: limits.maxRequestBytes, maxBufferSize: limits.maxRequestBytes + 16 });
      let request: Uint8Array;
      try {
        request = (await lp.read({ signal })).subarray();
      } catch (err) {
        const e = err as Error;
        // An oversized or garbled frame is the peer's fault; a timeout or reset may not be.
        if (isFramingError(e)) onBadRequest(peer, e);
        stream.abort(e);
        return;
      }
      let response: Uint8Array;
      try {
        response = concat(Uint8Array.of(STATUS_OK), await handler(request, peer));
        if (response.length > limits.maxResponseBytes + 1) throw new Error(`handler response of ${response.length - 1} bytes exceeds ${limits.maxResponseBytes}`);
      } catch (err) {
        const e = err as Error;
        if (e instanceof BadRequestError || e instanceof WireError) onBadRequest(peer, e);
        response = concat(Uint8Array.of(STATUS_ERROR), new TextEncoder().encode(e.message.slice(0, MAX_ERROR_TEXT)));
      }
      try {
        await lp.write(response, { signal });
        await stream.close({ signal });
      } catch (err) {
        stream.abort(err as Error);
      }
    },
    { maxInboundStreams: limits.maxInboundStreams ?? 32 },
  );
}

export async function request(libp2p: Libp2p, peerId: string, protocol: string, req: Uint8Array, limits: ProtocolLimits): Promise<Uint8Array> {
  if (req.length > limits.maxRequestBytes) throw new RangeError(`request of ${req.length} bytes exceeds ${limits.maxRequestBytes}`);
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let stream: Stream;
  try {
    stream = await libp2p.dialProtocol(peerIdFromString(peerId), protocol, { signal });
  } catch (err) {
    throw new RequestError(signal.aborted ? 'timeout' : 'dial', peerId, (err as Error).message);
  }
  // +1: the status byte is part of the response frame.
  const lp = lpStream(stream, { maxDataLength: limits.maxResponseBytes + 1, maxBufferSize: limits.maxResponseBytes + 32 });
  try {
    await lp.write(req, { signal });
    await stream.close({ signal });
    const frame = (await lp.read({ signal })).subarray();
    if (frame.length === 0) throw new RequestError('bad-response', peerId, 'empty response frame');
    if (frame[0] === STATUS_ERROR) {
      throw new RequestError('remote-error', peerId, new TextDecoder().decode(frame.subarray(1, 1 + MAX_ERROR_TEXT)));
    }
    if (frame[0] !== STATUS_OK) throw new RequestError('bad-response', peerId, `unknown status byte ${frame[0]}`);
    return frame.subarray(1);
  } catch (err) {
    stream.abort(err as Error);
    if (err instanceof RequestError) throw err;
    const e = err as Error;
    if (signal.aborted) throw new RequestError('timeout', peerId, `no response in ${limits.timeoutMs} ms`);
    if (isFramingError(e)) throw new RequestError('bad-response', peerId, `${e.name}: ${e.message}`);
    throw new RequestError('stream', peerId, e.message);
  }
}

import { badRequest } from '@mesh/server';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';

export type BodyFraming = { kind: 'none' } | { kind: 'chunked' } | { kind: 'length'; length: number };

/**
 * How the client framed its request body (RFC 9112 §6). Node's parser has already refused a request with
 * both Transfer-Encoding and Content-Length; a transfer coding other than plain `chunked` is refused here,
 * because the gateway would otherwise forward bytes whose end it cannot state.
 */
export function bodyFramingOf(request: IncomingMessage): BodyFraming {
  const transferEncoding = request.headers['transfer-encoding'];
  if (transferEncoding !== undefined) {
    if (transferEncoding.trim().toLowerCase() !== 'chunked')
      throw badRequest('only the chunked transfer coding is accepted on a request body');
    return { kind: 'chunked' };
  }
  const contentLength = request.headers['content-length'];
  if (contentLength === undefined) return { kind: 'none' };
  if (!/^[0-9]+$/.test(contentLength)) throw badRequest('the Content-Length header is not a number');
  const length = Number(contentLength);
  return length === 0 ? { kind: 'none' } : { kind: 'length', length };
}

/**
 * Frames the forwarded body explicitly, whatever the method: node's client only chunks POST/PUT/PATCH by
 * default and would write a GET's body raw onto a pooled connection, where the next hop reads it as
 * another request.
 */
export function frameOutgoing(headers: OutgoingHttpHeaders, framing: BodyFraming): void {
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  if (framing.kind === 'chunked') headers['transfer-encoding'] = 'chunked';
  else if (framing.kind === 'length') headers['content-length'] = String(framing.length);
}

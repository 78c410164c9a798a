import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { isPropagationHeader } from './trace-headers';

/** RFC 9110 hop-by-hop headers: they describe one connection and never travel further. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
]);

/**
 * The headers that travel past this hop: hop-by-hop ones, those named in `Connection`, the client's trace
 * headers (the gateway injects its own) and `drop` are left out.
 */
export function endToEndHeaders(headers: IncomingHttpHeaders, drop: readonly string[]): OutgoingHttpHeaders {
  const listed = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (
      value === undefined ||
      hopByHop.has(name) ||
      listed.includes(name) ||
      drop.includes(name) ||
      isPropagationHeader(name)
    )
      continue;
    result[name] = value;
  }
  return result;
}

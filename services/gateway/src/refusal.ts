import type { IncomingMessage } from 'node:http';
import { isAuthorityRefusal } from './authority';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('gateway');

/**
 * Records why the gateway refused a request on its server span (which gets `error=true` from its status).
 * Reasons are the gateway's own fixed sentences, never a header value.
 */
export function recordRefusal(error: unknown, request: IncomingMessage): void {
  const span = trace.getActiveSpan();
  const reason = (error as { reason?: unknown }).reason;
  if (typeof reason === 'string') span?.setAttribute('gateway.error.reason', reason);
  // The http instrumentation copied the Host header into server.address; an invalid one is replaced by
  // the address the request arrived on, so an attacker's bytes never sit in the trace.
  if (isAuthorityRefusal(error)) span?.setAttribute('server.address', request.socket.localAddress ?? '');
}

/**
 * A request node's parser refused (conflicting framing, a control character in a header, oversized
 * headers) never reaches a handler; it still leaves a span, with the parser's error code as the reason.
 */
export function recordUnparsedRequest(error: NodeJS.ErrnoException): void {
  if (error.code === 'ECONNRESET') return;
  const reason = error.code ?? 'unparsable request';
  tracer
    .startSpan('HTTP', {
      kind: SpanKind.SERVER,
      attributes: { error: true, 'gateway.error.reason': reason },
    })
    .setStatus({ code: SpanStatusCode.ERROR, message: reason })
    .end();
}

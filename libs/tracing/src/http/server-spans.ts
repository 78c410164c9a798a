import { SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import { RPCType, getRPCMetadata } from '@opentelemetry/core';
import type { HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Health and version probes make no spans. */
export function isUntracedPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0] ?? '';
  return /^(\/admin)?\/health\//.test(path) || path === '/version' || path === '/admin/version';
}

/** Listeners whose every request goes untraced (a dedicated metrics port), and paths untraced on any port. */
const untracedServers = new WeakSet<Server>();
const untracedPaths = new Set<string>();

/** Scrapes make no spans: a metrics port's requests, or a metrics path on a shared port, are never traced. */
export function untraceRequests(target: { server: Server } | { path: string }): void {
  if ('server' in target) untracedServers.add(target.server);
  else untracedPaths.add(target.path);
}

function isUntracedRequest(request: IncomingMessage): boolean {
  if (isUntracedPath(request.url)) return true;
  const server = (request.socket as { server?: Server }).server;
  if (server && untracedServers.has(server)) return true;
  return untracedPaths.size > 0 && untracedPaths.has((request.url ?? '').split('?')[0] ?? '');
}

function isServerResponse(response: IncomingMessage | ServerResponse): response is ServerResponse {
  return typeof (response as ServerResponse).setHeader === 'function';
}

/**
 * Ory's rule for the top-level span: `error=true` and status ERROR if and only if the status is >= 400.
 * (The OTel convention marks only 5xx on server spans; Ory's seed document marks every 4xx too.)
 */
function markErrorStatus(span: Span, _request: unknown, response: IncomingMessage | ServerResponse): void {
  if (!isServerResponse(response)) return;
  if (response.statusCode >= 400) {
    span.setAttribute('error', true);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.statusCode}` });
  }
}

export function httpInstrumentationConfig(): HttpInstrumentationConfig {
  return {
    ignoreIncomingRequestHook: isUntracedRequest,
    applyCustomAttributesOnSpan: markErrorStatus,
  };
}

/**
 * Names the current server span `{METHOD} {route}` and sets http.route, for handlers whose route is not
 * an express route (the gateway names its span after the matched access rule's pattern).
 */
export function setServerRoute(route: string): void {
  const metadata = getRPCMetadata(context.active());
  if (metadata?.type === RPCType.HTTP) metadata.route = route;
}

/** `00-<trace_id>-<server_span_id>-<flags>`, the header that lets a client jump to its trace. */
export function traceResponseValue(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

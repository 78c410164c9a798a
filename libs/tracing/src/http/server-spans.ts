import { SpanStatusCode, context, type Span } from '@opentelemetry/api';
import { RPCType, getRPCMetadata } from '@opentelemetry/core';
import type { HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
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
function markErrorStatus(span: Span, response: ServerResponse): void {
  if (response.statusCode >= 400) {
    span.setAttribute('error', true);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.statusCode}` });
  }
}

/** What express leaves on a request once it has routed it. */
interface RoutedRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: string;
}

/**
 * The low-cardinality route express matched, read once when the response ends: the route's path under
 * the path it is mounted at (`/documents/:id`), or the mount path of the middleware that answered
 * (`app.use('/decisions', …)`). Undefined when no route or mounted middleware answered (a 404).
 */
export function expressRouteOf(request: IncomingMessage): string | undefined {
  const { route, baseUrl = '' } = request as RoutedRequest;
  if (typeof route?.path === 'string') return `${baseUrl}${route.path}`.replace(/\/{2,}/g, '/');
  return baseUrl || undefined;
}

/**
 * Names a server span after its express route when the response ends, as @opentelemetry/instrumentation-
 * express would, without wrapping every layer of every request. A route set through `setServerRoute`
 * (the gateway's rule patterns) has already named the span and wins.
 */
function nameAfterExpressRoute(span: Span, request: IncomingMessage): void {
  if (getRPCMetadata(context.active())?.route !== undefined) return;
  const route = expressRouteOf(request);
  if (route === undefined) return;
  span.setAttribute(ATTR_HTTP_ROUTE, route);
  span.updateName(`${request.method ?? 'GET'} ${route}`);
}

/**
 * The http instrumentation's settings. `expressRoutes`: the server span is named after the express route
 * here (tracing.express_instrumentation `route`), not by the express instrumentation.
 */
export function httpInstrumentationConfig(expressRoutes: boolean): HttpInstrumentationConfig {
  return {
    ignoreIncomingRequestHook: isUntracedRequest,
    // Called as the server span starts, before any handler: every traced response carries `traceresponse`
    // without a middleware layer in every app.
    responseHook: (span, response) => {
      if (isServerResponse(response)) response.setHeader('traceresponse', traceResponseOf(span));
    },
    applyCustomAttributesOnSpan: (span, request, response) => {
      if (!isServerResponse(response)) return;
      if (expressRoutes) nameAfterExpressRoute(span, request as IncomingMessage);
      markErrorStatus(span, response);
    },
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
function traceResponseOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

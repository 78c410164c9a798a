import { context, trace } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Histogram } from 'prom-client';
import { durationBuckets, methodLabel } from './buckets';
import { exemplarOf } from './exemplar';
import { observeHistogram } from './observe';
import { registry } from './registry';

/** `http.server.request.duration`, rendered for Prometheus as the OpenTelemetry Prometheus exporter does. */
const serverDuration = new Histogram({
  name: 'http_server_request_duration_seconds',
  help: 'Duration of HTTP server requests.',
  labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
  buckets: durationBuckets,
  enableExemplars: true,
  registers: [registry],
});

/** What express leaves on a request it routed: the matched route's pattern under its mount path. */
interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

function expressRoute(request: RoutedRequest): string | undefined {
  const path = request.route?.path;
  return typeof path === 'string' ? `${request.baseUrl ?? ''}${path}` : undefined;
}

/**
 * Express middleware that observes every request that reaches it, once its response is done. The route
 * label is the server span's `http.route` (the express route, or the gateway's access rule), else the
 * express route when tracing is off; it is absent when nothing matched, so raw paths never become labels.
 * Mounted after the health, version and metrics routes, so probes and scrapes are not counted.
 */
export function recordServerDuration(
  request: RoutedRequest,
  response: ServerResponse,
  next: () => void,
): void {
  const started = performance.now();
  const span = trace.getActiveSpan();
  const rpc = getRPCMetadata(context.active());
  let recorded = false;
  const record = () => {
    if (recorded) return;
    recorded = true;
    const labels: Record<string, string | number> = {
      http_request_method: methodLabel(request.method),
      http_response_status_code: response.statusCode,
    };
    const route = rpc?.route ?? expressRoute(request);
    if (route) labels.http_route = route;
    observeHistogram(serverDuration, labels, (performance.now() - started) / 1000, exemplarOf(span));
  };
  response.once('finish', record);
  response.once('close', record);
  next();
}

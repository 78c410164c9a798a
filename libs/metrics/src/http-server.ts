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

/** The low-cardinality route a framework matched for a request, read once its response has ended. */
export type RouteOf = (request: IncomingMessage) => string | undefined;

/**
 * Express middleware that observes every request that reaches it, once its response is done. The route
 * label is the one a handler set on the server span (the gateway's access rule pattern), else `routeOf`
 * (the express route); it is absent when nothing matched, so raw paths never become labels. Mount it after
 * the health, version and metrics routes, so probes and scrapes are not counted.
 */
export function recordServerDurations(routeOf: RouteOf) {
  return (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
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
      const route = rpc?.route ?? routeOf(request);
      if (route) labels.http_route = route;
      observeHistogram(serverDuration, labels, (performance.now() - started) / 1000, exemplarOf(span));
    };
    response.once('finish', record);
    response.once('close', record);
    next();
  };
}

import { trace } from '@opentelemetry/api';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Histogram } from 'prom-client';
import { durationBuckets, methodLabel } from './buckets';
import { exemplarOf } from './exemplar';
import { observeHistogram } from './observe';
import { registry } from './registry';

/** `http.client.request.duration`: from the request's creation until its response ends (or it fails). */
const clientDuration = new Histogram({
  name: 'http_client_request_duration_seconds',
  help: 'Duration of HTTP client requests.',
  labelNames: [
    'http_request_method',
    'server_address',
    'server_port',
    'http_response_status_code',
    'error_type',
  ],
  buckets: durationBuckets,
  enableExemplars: true,
  registers: [registry],
});

/** `server.address` and `server.port` from the Host header Node sets on every request it creates. */
function serverOf(request: ClientRequest): Record<string, string | number> {
  const host = request.getHeader('host');
  const match = typeof host === 'string' ? /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host) : null;
  const labels: Record<string, string | number> = { server_address: match?.[1] ?? request.host };
  const port = match?.[2] ?? (request.protocol === 'https:' ? '443' : '80');
  labels.server_port = Number(port);
  return labels;
}

function onRequestStart(message: unknown): void {
  const { request } = message as { request: ClientRequest };
  const started = performance.now();
  // Node publishes this inside http.request, where the OpenTelemetry client span is the active one.
  const exemplarLabels = exemplarOf(trace.getActiveSpan());
  const labels = { http_request_method: methodLabel(request.method), ...serverOf(request) };
  let recorded = false;
  const record = (outcome: Record<string, string | number>) => {
    if (recorded) return;
    recorded = true;
    observeHistogram(
      clientDuration,
      { ...labels, ...outcome },
      (performance.now() - started) / 1000,
      exemplarLabels,
    );
  };
  request.once('response', (response: IncomingMessage) => {
    const status = { http_response_status_code: response.statusCode ?? 0 };
    response.once('end', () => record(status));
    response.once('close', () => record(status));
  });
  request.once('error', (error: NodeJS.ErrnoException) => record({ error_type: error.code ?? error.name }));
}

let subscribed = false;

/** Observes every outgoing HTTP request of the process, through Node's http diagnostics channel. Idempotent. */
export function recordClientDurations(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('http.client.request.start', onRequestStart);
}

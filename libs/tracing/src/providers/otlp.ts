import { Metadata } from '@grpc/grpc-js';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/schema';

type Protocol = TracingConfig['providers']['otlp']['protocol'];

/** `host:port` (Ory's form) or a full URL; the scheme follows `insecure` when it is left out. */
export function baseUrl(address: string, insecure: boolean): string {
  const withScheme = /^[a-z]+:\/\//i.test(address) ? address : `${insecure ? 'http' : 'https'}://${address}`;
  return withScheme.replace(/\/+$/, '');
}

/** `host` alone gets the OTLP/HTTP port 4318, as the Datadog and Instana agents listen there. */
export function withDefaultPort(address: string, port = 4318): string {
  return /:\d+$/.test(address) || /^[a-z]+:\/\//i.test(address) ? address : `${address}:${port}`;
}

export interface OtlpTarget {
  /** The receiver's base URL; `/v1/traces` is appended for HTTP. */
  url: string;
  protocol: Protocol;
  headers: Record<string, string>;
}

export function otlpExporter(target: OtlpTarget): SpanExporter {
  if (target.protocol === 'grpc') {
    const metadata = new Metadata();
    for (const [name, value] of Object.entries(target.headers)) metadata.set(name.toLowerCase(), value);
    return new OtlpGrpcExporter({ url: target.url, metadata });
  }
  const options = { url: `${target.url}/v1/traces`, headers: target.headers };
  return target.protocol === 'http/json' ? new OtlpJsonExporter(options) : new OtlpProtoExporter(options);
}

/** Ory's `otlp` provider. */
export function otelExporter(otlp: TracingConfig['providers']['otlp']): SpanExporter {
  return otlpExporter({
    url: baseUrl(otlp.server_url, otlp.insecure),
    protocol: otlp.protocol,
    headers: otlp.authorization_header ? { Authorization: otlp.authorization_header } : {},
  });
}

/** No provider, but OTEL_* env: each exporter reads OTEL_EXPORTER_OTLP_* itself, per OTEL_EXPORTER_OTLP_PROTOCOL. */
export function otelEnvExporter(env: NodeJS.ProcessEnv): SpanExporter {
  const protocol = (
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    env.OTEL_EXPORTER_OTLP_PROTOCOL ??
    'http/protobuf'
  ).trim();
  if (protocol === 'grpc') return new OtlpGrpcExporter();
  return protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtoExporter();
}

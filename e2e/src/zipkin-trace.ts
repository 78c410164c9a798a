import type { FlatSpan } from './sink/otlp-json';

/** A span of Zipkin's v2 API (`POST /api/v2/spans`, `GET /api/v2/trace/{id}`): the fields the demo reads. */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  /** Epoch microseconds. */
  timestamp?: number;
  /** Microseconds. */
  duration?: number;
  localEndpoint?: { serviceName?: string };
  annotations?: { timestamp: number; value: string }[];
  tags?: Record<string, string>;
}

/** OTLP's SpanKind numbers; Zipkin has no kind for an internal span. */
const kinds: Record<string, number> = { SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };

/**
 * Zipkin's spans in the flat view the waterfall draws. The OpenTelemetry Zipkin exporter writes the span
 * status as the `otel.status_code` tag and its message as `error`.
 */
export function flattenZipkinSpans(spans: readonly ZipkinSpan[]): FlatSpan[] {
  return spans
    .map((span): FlatSpan => {
      const startNs = BigInt(span.timestamp ?? 0) * 1000n;
      const tags = span.tags ?? {};
      const status = tags['otel.status_code'];
      return {
        service: span.localEndpoint?.serviceName ?? 'unknown',
        resource: {},
        scope: tags['otel.scope.name'] ?? tags['otel.library.name'] ?? '',
        traceId: span.traceId,
        spanId: span.id,
        parentSpanId: span.parentId,
        name: span.name ?? '',
        kind: kinds[span.kind ?? ''] ?? 1,
        startNs,
        endNs: startNs + BigInt(span.duration ?? 0) * 1000n,
        attributes: tags,
        events: (span.annotations ?? []).map((annotation) => ({ name: annotation.value, attributes: {} })),
        statusCode: status === 'ERROR' ? 2 : status === 'OK' ? 1 : 0,
        statusMessage: tags.error || undefined,
      };
    })
    .sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
}

import type {
  OtlpAnyValue,
  OtlpKeyValue,
  OtlpSpanEvent,
  OtlpSpanLink,
  OtlpSpan,
  OtlpInstrumentationScope,
  OtlpScopeSpans,
  OtlpResource,
  OtlpResourceSpans,
  OtlpTraces,
} from '@mesh/testkit';

/** OTLP/JSON, as the OTLP/HTTP spec and Jaeger v2's `GET /api/v3/traces/{id}` write it (defined once, in libs/testkit). */
export type AnyValue = OtlpAnyValue;
export type KeyValue = OtlpKeyValue;
export type SpanEvent = OtlpSpanEvent;
export type SpanLink = OtlpSpanLink;
export type Span = OtlpSpan;
export type InstrumentationScope = OtlpInstrumentationScope;
export type ScopeSpans = OtlpScopeSpans;
export type Resource = OtlpResource;
export type ResourceSpans = OtlpResourceSpans;
export type TracesData = OtlpTraces;

/** The body of Jaeger v2's `GET /api/v3/traces/{trace_id}`. */
export interface TraceQueryResponse {
  result: TracesData;
}

export const SpanKind = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
export const StatusCode = { unset: 0, ok: 1, error: 2 } as const;

const kindNames: Record<string, number> = {
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const statusNames: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

/** The numeric span kind, whether the JSON wrote the number or the enum name. */
export const kindOf = (span: Span): number =>
  typeof span.kind === 'string' ? (kindNames[span.kind] ?? 0) : (span.kind ?? 0);

/** The numeric status code, whether the JSON wrote the number or the enum name. */
export const statusCodeOf = (span: Span): number => {
  const code = span.status?.code;
  return typeof code === 'string' ? (statusNames[code] ?? 0) : (code ?? 0);
};

/** A plain JS value of an attribute value (int64 as a number: every value here fits). */
export function valueOf(value: AnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  if (value.kvlistValue) return attributesOf(value.kvlistValue.values);
  return value.bytesValue;
}

/** Attributes as a plain object. */
export function attributesOf(attributes: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map((attribute) => [attribute.key, valueOf(attribute.value)]));
}

/** One span with the service that emitted it: the flat view tests and the waterfall work on. */
export interface FlatSpan {
  service: string;
  resource: Record<string, unknown>;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  statusCode: number;
  statusMessage: string | undefined;
}

/** OTLP/JSON writes ids as hex; a backend that writes protobuf JSON's base64 instead is read too. */
function hexId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  if (/^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

/** Flattens OTLP/JSON into one entry per span, sorted by start time (ties keep their order in the data). */
export function flattenSpans(data: TracesData): FlatSpan[] {
  const spans: FlatSpan[] = [];
  for (const resourceSpans of data.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown';
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          service,
          resource,
          scope: scopeSpans.scope?.name ?? '',
          traceId: hexId(span.traceId) ?? '',
          spanId: hexId(span.spanId) ?? '',
          parentSpanId: hexId(span.parentSpanId),
          name: span.name,
          kind: kindOf(span),
          startNs: BigInt(span.startTimeUnixNano),
          endNs: BigInt(span.endTimeUnixNano),
          attributes: attributesOf(span.attributes),
          events: (span.events ?? []).map((event) => ({
            name: event.name,
            attributes: attributesOf(event.attributes),
          })),
          statusCode: statusCodeOf(span),
          statusMessage: span.status?.message || undefined,
        });
      }
    }
  }
  return spans.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
}

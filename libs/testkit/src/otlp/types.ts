/**
 * OTLP/JSON, as the OTLP/HTTP spec and Jaeger v2's `GET /api/v3/traces/{id}` write it: camelCase keys,
 * lowercase hex trace and span ids, nanosecond timestamps as decimal strings.
 */
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string;
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

export interface OtlpSpanEvent {
  timeUnixNano?: string;
  name: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpSpanLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  flags?: number;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer (Jaeger may also write the enum name). */
  kind?: number | string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpKeyValue[];
  events?: OtlpSpanEvent[];
  links?: OtlpSpanLink[];
  /** code 0 unset, 1 ok, 2 error (or the enum name). */
  status?: { code?: number | string; message?: string };
}

export interface OtlpInstrumentationScope {
  name?: string;
  version?: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpScopeSpans {
  scope?: OtlpInstrumentationScope;
  spans?: OtlpSpan[];
  schemaUrl?: string;
}

export interface OtlpResource {
  attributes?: OtlpKeyValue[];
}

export interface OtlpResourceSpans {
  resource?: OtlpResource;
  scopeSpans?: OtlpScopeSpans[];
  schemaUrl?: string;
}

export interface OtlpTraces {
  resourceSpans?: OtlpResourceSpans[];
}

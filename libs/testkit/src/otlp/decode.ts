import { parse, type Type } from 'protobufjs';
import { traceProto } from './trace-proto';
import type { OtlpAnyValue, OtlpKeyValue, OtlpTraces } from './types';

const root = parse(traceProto, { keepCase: false }).root;
const exportRequest: Type = root.lookupType('otlp.ExportTraceServiceRequest');
const hex = (base64: string): string => Buffer.from(base64, 'base64').toString('hex');

/**
 * protobufjs writes bytes as base64; OTLP/JSON writes trace and span ids as lowercase hex. Ids live only in
 * spans and their links, so only those are visited: the sink decodes every exported span this way.
 */
function hexIds(traces: OtlpTraces): OtlpTraces {
  for (const resourceSpans of traces.resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        span.traceId = hex(span.traceId);
        span.spanId = hex(span.spanId);
        if (span.parentSpanId) span.parentSpanId = hex(span.parentSpanId);
        for (const link of span.links ?? []) {
          link.traceId = hex(link.traceId);
          link.spanId = hex(link.spanId);
        }
      }
    }
  }
  return traces;
}

/** Decodes `POST /v1/traces` in either OTLP/HTTP encoding into OTLP/JSON. */
export function decodeOtlpTraces(body: Buffer, contentType: string | undefined): OtlpTraces {
  if ((contentType ?? '').includes('json')) return JSON.parse(body.toString('utf8')) as OtlpTraces;
  return decodeOtlpProtobuf(body);
}

export function decodeOtlpProtobuf(body: Uint8Array): OtlpTraces {
  const message = exportRequest.decode(body);
  const object = exportRequest.toObject(message, {
    longs: String,
    bytes: String,
    defaults: false,
    arrays: true,
    oneofs: false,
  });
  return hexIds(object as OtlpTraces);
}

/** The empty ExportTraceServiceResponse, encoded, for receivers to answer with. */
export const emptyExportResponse = (): Uint8Array =>
  root.lookupType('otlp.ExportTraceServiceResponse').encode({}).finish();

/** A plain JS value of an OTLP attribute. */
export function anyValueOf(value: OtlpAnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(anyValueOf);
  if (value.kvlistValue) return attributesOf(value.kvlistValue.values);
  return value.bytesValue;
}

export function attributesOf(attributes: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (attributes ?? []).map((attribute) => [attribute.key, anyValueOf(attribute.value)]),
  );
}

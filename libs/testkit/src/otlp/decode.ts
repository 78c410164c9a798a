import { parse, type Type } from 'protobufjs';
import { traceProto } from './trace-proto';
import type { OtlpAnyValue, OtlpKeyValue, OtlpTraces } from './types';

const root = parse(traceProto, { keepCase: false }).root;
const exportRequest: Type = root.lookupType('otlp.ExportTraceServiceRequest');
const idFields = new Set(['traceId', 'spanId', 'parentSpanId']);

/** protobufjs writes bytes as base64; OTLP/JSON writes trace and span ids as lowercase hex. */
function hexIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIds);
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    result[key] =
      idFields.has(key) && typeof field === 'string'
        ? Buffer.from(field, 'base64').toString('hex')
        : hexIds(field);
  }
  return result;
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
  return hexIds(object) as OtlpTraces;
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

import { join } from 'node:path';
import { Root, type Type } from 'protobufjs';
import type { TracesData } from './otlp-json';

/** The OTLP .proto subset under e2e/proto (from e2e/dist/src/sink). */
const protoDir = join(__dirname, '..', '..', '..', 'proto');

function loadTypes(): { request: Type; response: Type } {
  const root = new Root();
  root.resolvePath = (_origin, target) => join(protoDir, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
  return {
    request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  };
}

const types = loadTypes();
const idFields = new Set(['traceId', 'spanId', 'parentSpanId']);

/** protobufjs renders bytes as base64; OTLP/JSON writes trace and span ids as lowercase hex. */
function withHexIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withHexIds);
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    result[key] =
      idFields.has(key) && typeof field === 'string'
        ? Buffer.from(field, 'base64').toString('hex')
        : withHexIds(field);
  }
  return result;
}

/** Thrown for a body that is not a valid OTLP export request: the receiver answers 400. */
export class InvalidExportError extends Error {}

export function decodeProtobufExport(body: Uint8Array): TracesData {
  let message;
  try {
    message = types.request.decode(body);
  } catch (error) {
    throw new InvalidExportError(`invalid protobuf: ${(error as Error).message}`);
  }
  const object = types.request.toObject(message, {
    longs: String,
    bytes: String,
    enums: Number,
    defaults: false,
    arrays: true,
  });
  return withHexIds(object) as TracesData;
}

export function decodeJsonExport(body: Buffer): TracesData {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidExportError('invalid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidExportError('the body must be an ExportTraceServiceRequest object');
  }
  const data = parsed as TracesData;
  if (data.resourceSpans !== undefined && !Array.isArray(data.resourceSpans)) {
    throw new InvalidExportError('resourceSpans must be an array');
  }
  return lowercaseIds(data);
}

/** OTLP/JSON ids are case-insensitive hex; the store keys them lowercase. */
function lowercaseIds(data: TracesData): TracesData {
  for (const resourceSpans of data.resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        if (typeof span.traceId !== 'string' || typeof span.spanId !== 'string') {
          throw new InvalidExportError('every span needs a traceId and a spanId');
        }
        span.traceId = span.traceId.toLowerCase();
        span.spanId = span.spanId.toLowerCase();
        if (span.parentSpanId) span.parentSpanId = span.parentSpanId.toLowerCase();
      }
    }
  }
  return data;
}

/** The encoded empty ExportTraceServiceResponse (full success). */
export const emptyProtobufResponse = (): Uint8Array => types.response.encode({}).finish();

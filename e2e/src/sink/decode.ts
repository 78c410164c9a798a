import { decodeOtlpProtobuf, emptyExportResponse } from '@mesh/testkit';
import type { TracesData } from './otlp-json';

/** Thrown for a body that is not a valid OTLP export request: the receiver answers 400. */
export class InvalidExportError extends Error {}

export function decodeProtobufExport(body: Uint8Array): TracesData {
  try {
    return decodeOtlpProtobuf(body) as TracesData;
  } catch (error) {
    throw new InvalidExportError(`invalid protobuf: ${(error as Error).message}`);
  }
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
export const emptyProtobufResponse = emptyExportResponse;

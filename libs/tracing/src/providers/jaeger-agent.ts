import { SpanKind, SpanStatusCode, type AttributeValue, type Attributes } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMicroseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createSocket, type Socket } from 'node:dgram';
import { encodeEmitBatch, type JaegerBatch, type JaegerSpan, type JaegerTag } from './jaeger-thrift';

/** Below the 65,000-byte packet limit of the Jaeger agent's UDP server. */
const maxDatagramBytes = 60_000;
const rootParentId = '0000000000000000';

function tagValue(value: AttributeValue | undefined): string | number | boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

function tagsOf(attributes: Attributes): JaegerTag[] {
  const tags: JaegerTag[] = [];
  for (const [key, raw] of Object.entries(attributes)) {
    const value = tagValue(raw);
    if (value !== undefined) tags.push({ key, value });
  }
  return tags;
}

const kindNames: Record<SpanKind, string | undefined> = {
  [SpanKind.INTERNAL]: undefined,
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/** The OTel → Jaeger mapping that Jaeger's own OTLP receiver applies, so a trace reads the same either way. */
function toJaegerSpan(span: ReadableSpan): JaegerSpan {
  const context = span.spanContext();
  const tags = tagsOf(span.attributes);
  const kind = kindNames[span.kind];
  if (kind) tags.push({ key: 'span.kind', value: kind });
  tags.push({ key: 'otel.scope.name', value: span.instrumentationScope.name });
  if (span.status.code === SpanStatusCode.ERROR) {
    tags.push({ key: 'otel.status_code', value: 'ERROR' });
    if (!('error' in span.attributes)) tags.push({ key: 'error', value: true });
    if (span.status.message) tags.push({ key: 'otel.status_description', value: span.status.message });
  } else if (span.status.code === SpanStatusCode.OK) {
    tags.push({ key: 'otel.status_code', value: 'OK' });
  }
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? rootParentId,
    operationName: span.name,
    flags: context.traceFlags,
    startMicros: Math.round(hrTimeToMicroseconds(span.startTime)),
    durationMicros: Math.round(hrTimeToMicroseconds(span.duration)),
    tags,
    logs: span.events.map((event) => ({
      timestampMicros: Math.round(hrTimeToMicroseconds(event.time)),
      fields: [{ key: 'event', value: event.name }, ...tagsOf(event.attributes ?? {})],
    })),
  };
}

export interface JaegerAgentOptions {
  host: string;
  port: number;
}

/**
 * Exports to a Jaeger agent (or Jaeger v2's agent receiver) in the agent protocol: `emitBatch` in
 * Thrift compact over UDP, as Ory's `local_agent_address` means. @opentelemetry/exporter-jaeger speaks
 * Thrift binary (port 6832) and is deprecated, so this exporter encodes the compact form itself.
 */
export class JaegerAgentExporter implements SpanExporter {
  private socket: Socket | undefined;
  private seqId = 0;

  constructor(private readonly options: JaegerAgentOptions) {}

  private getSocket(): Socket {
    if (!this.socket) {
      this.socket = createSocket('udp4');
      this.socket.unref();
    }
    return this.socket;
  }

  private batches(spans: ReadableSpan[]): JaegerBatch[] {
    const first = spans[0];
    if (!first) return [];
    const { ['service.name']: serviceName, ...processAttributes } = first.resource.attributes;
    const empty: JaegerBatch = {
      serviceName: String(serviceName ?? 'unknown_service'),
      processTags: tagsOf(processAttributes),
      spans: [],
    };
    const overhead = encodeEmitBatch(empty, 0).length;
    const batches: JaegerBatch[] = [];
    let current: JaegerBatch = { ...empty, spans: [] };
    let size = overhead;
    for (const span of spans) {
      const jaegerSpan = toJaegerSpan(span);
      const spanSize = encodeEmitBatch({ ...empty, spans: [jaegerSpan] }, 0).length - overhead;
      if (current.spans.length > 0 && size + spanSize > maxDatagramBytes) {
        batches.push(current);
        current = { ...empty, spans: [] };
        size = overhead;
      }
      current.spans.push(jaegerSpan);
      size += spanSize;
    }
    batches.push(current);
    return batches;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const datagrams = this.batches(spans).map((batch) => encodeEmitBatch(batch, this.seqId++));
    const socket = this.getSocket();
    let pending = datagrams.length;
    let failure: Error | undefined;
    if (pending === 0) {
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    for (const datagram of datagrams) {
      socket.send(datagram, this.options.port, this.options.host, (error) => {
        if (error) failure = error;
        pending -= 1;
        if (pending === 0) {
          resultCallback(
            failure ? { code: ExportResultCode.FAILED, error: failure } : { code: ExportResultCode.SUCCESS },
          );
        }
      });
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}

import { trace, TraceFlags, type Span } from '@opentelemetry/api';

export type ExemplarLabels = { trace_id: string; span_id: string };

/**
 * The exemplar of an observation: the trace and span it was made in. Only a sampled span gives one, so a
 * dashboard's link from a bucket always leads to a trace that was exported.
 */
export function exemplarOf(span: Span | undefined = trace.getActiveSpan()): ExemplarLabels | undefined {
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if ((traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { trace_id: traceId, span_id: spanId };
}

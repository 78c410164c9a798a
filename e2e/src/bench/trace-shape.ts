import type { OtlpSpan, OtlpTraces as TracesData } from '@mesh/testkit';

/** What one access request is made of, read from its trace. */
export interface TraceShape {
  /** SERVER spans: one per server hop. */
  serverSpans: number;
  /** CLIENT spans with an HTTP method: one per client hop (the gateway's `upstream` included). */
  httpClientSpans: number;
  /** CLIENT spans of a database (db.system.name): one per SQL statement. */
  sqlSpans: number;
  /** Every other span: handler steps, rule match, authn, authz, mutators, permission.check. */
  otherInternalSpans: number;
  /** server + HTTP client spans. */
  httpSpans: number;
  /** Spans priced as an INTERNAL span: SQL spans and every other non-HTTP span. */
  internalSpans: number;
  /** Every span of the trace. */
  spans: number;
  /** Whether the gateway minted an id_token for the upstream (a span of the trace names it). */
  idToken: boolean;
}

const hasAttribute = (span: OtlpSpan, key: string) => (span.attributes ?? []).some((kv) => kv.key === key);
const kindOf = (span: OtlpSpan) => {
  const kind = span.kind;
  if (kind === 2 || kind === 'SPAN_KIND_SERVER') return 'server';
  if (kind === 3 || kind === 'SPAN_KIND_CLIENT') return 'client';
  return 'other';
};

export function traceShapeOf(trace: TracesData): TraceShape {
  const spans = (trace.resourceSpans ?? []).flatMap((resource) =>
    (resource.scopeSpans ?? []).flatMap((scope) => scope.spans ?? []),
  );
  let serverSpans = 0;
  let httpClientSpans = 0;
  let sqlSpans = 0;
  for (const span of spans) {
    const kind = kindOf(span);
    if (kind === 'server') serverSpans += 1;
    else if (kind === 'client' && hasAttribute(span, 'db.system.name')) sqlSpans += 1;
    else if (kind === 'client' && hasAttribute(span, 'http.request.method')) httpClientSpans += 1;
  }
  const httpSpans = serverSpans + httpClientSpans;
  return {
    serverSpans,
    httpClientSpans,
    sqlSpans,
    otherInternalSpans: spans.length - httpSpans - sqlSpans,
    httpSpans,
    internalSpans: spans.length - httpSpans,
    spans: spans.length,
    idToken: spans.some((span) => /id_token/.test(span.name)),
  };
}

/**
 * The shape most of the given traces have (a trace still in a service's batch when it is read is
 * incomplete, so the most common complete shape stands for the request), with how many traces had it.
 */
export function commonShape(
  traces: readonly TracesData[],
): { shape: TraceShape; traces: number } | undefined {
  const counts = new Map<string, { shape: TraceShape; traces: number }>();
  for (const trace of traces) {
    const shape = traceShapeOf(trace);
    const key = JSON.stringify(shape);
    const entry = counts.get(key) ?? { shape, traces: 0 };
    entry.traces += 1;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) => b.traces - a.traces)[0];
}

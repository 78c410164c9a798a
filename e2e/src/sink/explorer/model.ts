import type { AnyValue, KeyValue, Resource, Span } from '../otlp-json';
import { kindOf, statusCodeOf, StatusCode } from '../otlp-json';
import type { TraceStore } from '../store';

/** A stored span with the resource of the process that sent it. */
export interface RawSpan {
  resource: Resource | undefined;
  span: Span;
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootName: string;
  startNs: bigint;
  durationNs: bigint;
  spanCount: number;
  errorCount: number;
  /** Spans per service, in order of first appearance. */
  services: Map<string, number>;
}

/** What the search page and `GET /api/v3/traces` filter by; every field is optional. */
export interface TraceQuery {
  service?: string;
  operation?: string;
  /** `key=value` on the same span as service and operation. */
  attributes?: Record<string, string>;
  /** true: traces with an error span; false: traces without one. */
  error?: boolean;
  minDurationMs?: number;
  maxDurationMs?: number;
  startMinNs?: bigint;
  startMaxNs?: bigint;
  limit: number;
}

export const serviceOf = (resource: Resource | undefined): string => {
  const value = resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value;
  return value?.stringValue ?? 'unknown';
};

/** An attribute value as text, the way a search by `key=value` compares it. */
export function textOf(value: AnyValue | undefined): string {
  if (!value) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return String(value.boolValue);
  if (value.intValue !== undefined) return String(value.intValue);
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  return JSON.stringify(value.arrayValue ?? value.kvlistValue ?? value.bytesValue ?? '');
}

const attributeText = (attributes: KeyValue[] | undefined, key: string): string | undefined => {
  const found = attributes?.find((attribute) => attribute.key === key);
  return found ? textOf(found.value) : undefined;
};

/** The seed's rule: status ERROR, or the `error=true` attribute. */
export const isError = (span: Span): boolean =>
  statusCodeOf(span) === StatusCode.error ||
  span.attributes?.some((attribute) => attribute.key === 'error' && attribute.value?.boolValue === true) ===
    true;

export function summarize(traceId: string, spans: readonly RawSpan[]): TraceSummary {
  const ids = new Set(spans.map(({ span }) => span.spanId));
  let root: RawSpan | undefined;
  let start: bigint | undefined;
  let end: bigint | undefined;
  let errorCount = 0;
  const services = new Map<string, number>();
  for (const entry of spans) {
    const spanStart = BigInt(entry.span.startTimeUnixNano);
    const spanEnd = BigInt(entry.span.endTimeUnixNano);
    if (start === undefined || spanStart < start) start = spanStart;
    if (end === undefined || spanEnd > end) end = spanEnd;
    if (isError(entry.span)) errorCount += 1;
    const service = serviceOf(entry.resource);
    services.set(service, (services.get(service) ?? 0) + 1);
    const isRoot = !entry.span.parentSpanId || !ids.has(entry.span.parentSpanId);
    if (isRoot && (!root || spanStart < BigInt(root.span.startTimeUnixNano))) root = entry;
  }
  return {
    traceId,
    rootService: root ? serviceOf(root.resource) : 'unknown',
    rootName: root?.span.name ?? '(no spans)',
    startNs: start ?? 0n,
    durationNs: start !== undefined && end !== undefined ? end - start : 0n,
    spanCount: spans.length,
    errorCount,
    services,
  };
}

function spanMatches(entry: RawSpan, query: TraceQuery): boolean {
  if (query.service && serviceOf(entry.resource) !== query.service) return false;
  if (query.operation && entry.span.name !== query.operation) return false;
  for (const [key, value] of Object.entries(query.attributes ?? {})) {
    const actual =
      attributeText(entry.span.attributes, key) ?? attributeText(entry.resource?.attributes, key);
    if (actual !== value) return false;
  }
  return true;
}

const needsSpanMatch = (query: TraceQuery) =>
  Boolean(query.service || query.operation || Object.keys(query.attributes ?? {}).length > 0);

/**
 * Search and summaries over the store. Summaries are cached per trace until the trace grows, so a search
 * costs one pass over the traces rather than one over every span.
 */
export class TraceIndex {
  private summaries = new Map<string, TraceSummary>();

  constructor(private readonly store: TraceStore) {}

  summary(traceId: string, spans: readonly RawSpan[]): TraceSummary {
    const cached = this.summaries.get(traceId);
    if (cached && cached.spanCount === spans.length) return cached;
    const fresh = summarize(traceId, spans);
    this.summaries.set(traceId, fresh);
    return fresh;
  }

  /** The most recently updated traces that match, newest first. */
  search(query: TraceQuery): { summary: TraceSummary; spans: readonly RawSpan[] }[] {
    const found: { summary: TraceSummary; spans: readonly RawSpan[] }[] = [];
    const seen = new Map<string, TraceSummary>();
    for (const { traceId, spans } of this.store.recentTraces()) {
      const summary = this.summary(traceId, spans);
      seen.set(traceId, summary);
      if (found.length >= query.limit) continue;
      if (query.error !== undefined && query.error !== summary.errorCount > 0) continue;
      const durationMs = Number(summary.durationNs) / 1e6;
      if (query.minDurationMs !== undefined && durationMs < query.minDurationMs) continue;
      if (query.maxDurationMs !== undefined && durationMs > query.maxDurationMs) continue;
      if (query.startMinNs !== undefined && summary.startNs < query.startMinNs) continue;
      if (query.startMaxNs !== undefined && summary.startNs > query.startMaxNs) continue;
      if (needsSpanMatch(query) && !spans.some((entry) => spanMatches(entry, query))) continue;
      found.push({ summary, spans });
    }
    // Traces the store evicted leave the cache with it.
    this.summaries = seen;
    return found.sort((a, b) => (a.summary.startNs > b.summary.startNs ? -1 : 1));
  }

  /** Every service name, sorted. */
  services(): string[] {
    const names = new Set<string>();
    for (const { spans } of this.store.recentTraces()) {
      for (const entry of spans) names.add(serviceOf(entry.resource));
    }
    return [...names].sort();
  }

  /** The span names of a service (all services when unset), with their kinds, sorted. */
  operations(service?: string, spanKind?: string): { name: string; spanKind: string }[] {
    const found = new Map<string, { name: string; spanKind: string }>();
    for (const { spans } of this.store.recentTraces()) {
      for (const entry of spans) {
        if (service && serviceOf(entry.resource) !== service) continue;
        const kind = kindNames[kindOf(entry.span)] ?? '';
        if (spanKind && kind !== spanKind) continue;
        found.set(`${entry.span.name}\u0000${kind}`, { name: entry.span.name, spanKind: kind });
      }
    }
    return [...found.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || a.spanKind.localeCompare(b.spanKind),
    );
  }
}

/** Jaeger's span kind names, as `GET /api/v3/operations` writes them. */
export const kindNames: Record<number, string> = {
  1: 'internal',
  2: 'server',
  3: 'client',
  4: 'producer',
  5: 'consumer',
};

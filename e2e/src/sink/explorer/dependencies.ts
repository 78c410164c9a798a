import type { TraceStore } from '../store';
import { isError, kindNames, serviceOf } from './model';
import { kindOf } from '../otlp-json';

export interface ServiceEdge {
  parent: string;
  child: string;
  calls: number;
  errors: number;
}

export interface OperationStats {
  service: string;
  operation: string;
  spanKind: string;
  count: number;
  errors: number;
  /** Spans per second over the time the stored spans cover. */
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ServiceGraph {
  services: string[];
  edges: ServiceEdge[];
  operations: OperationStats[];
  /** The time the stored spans cover, in seconds (at least one). */
  windowSeconds: number;
  traceCount: number;
}

/** The nearest-rank percentile of sorted values. */
const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;

/**
 * The service graph and per-operation statistics of everything stored: an edge for each span whose parent
 * span belongs to another service (a call across a process boundary), counted as an error when that span
 * is one.
 */
export function serviceGraph(store: TraceStore): ServiceGraph {
  const edges = new Map<string, ServiceEdge>();
  const operations = new Map<string, { stats: OperationStats; durations: number[] }>();
  const services = new Set<string>();
  let minStart: bigint | undefined;
  let maxEnd: bigint | undefined;
  let traceCount = 0;
  for (const { spans } of store.recentTraces()) {
    traceCount += 1;
    const serviceBySpan = new Map(spans.map((entry) => [entry.span.spanId, serviceOf(entry.resource)]));
    for (const entry of spans) {
      const service = serviceOf(entry.resource);
      services.add(service);
      const start = BigInt(entry.span.startTimeUnixNano);
      const end = BigInt(entry.span.endTimeUnixNano);
      if (minStart === undefined || start < minStart) minStart = start;
      if (maxEnd === undefined || end > maxEnd) maxEnd = end;
      const error = isError(entry.span);
      const parentService = entry.span.parentSpanId ? serviceBySpan.get(entry.span.parentSpanId) : undefined;
      if (parentService !== undefined && parentService !== service) {
        const key = `${parentService}\u0000${service}`;
        const edge = edges.get(key) ?? { parent: parentService, child: service, calls: 0, errors: 0 };
        edge.calls += 1;
        if (error) edge.errors += 1;
        edges.set(key, edge);
      }
      const spanKind = kindNames[kindOf(entry.span)] ?? '';
      const key = `${service}\u0000${entry.span.name}\u0000${spanKind}`;
      let operation = operations.get(key);
      if (!operation) {
        operation = {
          stats: {
            service,
            operation: entry.span.name,
            spanKind,
            count: 0,
            errors: 0,
            ratePerSecond: 0,
            p50Ms: 0,
            p99Ms: 0,
          },
          durations: [],
        };
        operations.set(key, operation);
      }
      operation.stats.count += 1;
      if (error) operation.stats.errors += 1;
      operation.durations.push(Number(end - start) / 1e6);
    }
  }
  const windowSeconds =
    minStart !== undefined && maxEnd !== undefined ? Math.max(Number(maxEnd - minStart) / 1e9, 1) : 1;
  const stats = [...operations.values()].map(({ stats: operation, durations }) => {
    durations.sort((a, b) => a - b);
    return {
      ...operation,
      ratePerSecond: operation.count / windowSeconds,
      p50Ms: percentile(durations, 0.5),
      p99Ms: percentile(durations, 0.99),
    };
  });
  return {
    services: [...services].sort(),
    edges: [...edges.values()].sort((a, b) => b.calls - a.calls),
    operations: stats.sort((a, b) => a.service.localeCompare(b.service) || b.count - a.count),
    windowSeconds,
    traceCount,
  };
}

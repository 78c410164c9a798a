import type { InstrumentationScope, Resource, ResourceSpans, Span, TracesData } from './otlp-json';

export interface TraceStoreLimits {
  /** Traces kept; the least recently updated one is evicted first. */
  maxTraces: number;
  /** Spans kept over all traces. */
  maxSpans: number;
}

interface StoredSpan {
  resource: Resource | undefined;
  scope: InstrumentationScope | undefined;
  /** Groups spans of one resource (one service process) back together on the way out. */
  resourceKey: string;
  scopeKey: string;
  span: Span;
}

/** Spans in memory, grouped by trace, bounded in traces and spans: the sink never grows without limit. */
export class TraceStore {
  private readonly traces = new Map<string, StoredSpan[]>();
  private spans = 0;

  constructor(private readonly limits: TraceStoreLimits) {}

  get spanCount(): number {
    return this.spans;
  }

  get traceCount(): number {
    return this.traces.size;
  }

  /** Stores every span of an export request; returns how many it took. */
  add(data: TracesData): number {
    const updated = new Map<string, StoredSpan[]>();
    let added = 0;
    for (const resourceSpans of data.resourceSpans ?? []) {
      const resourceKey = JSON.stringify(resourceSpans.resource?.attributes ?? []);
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        const scopeKey = JSON.stringify([scopeSpans.scope?.name, scopeSpans.scope?.version]);
        for (const span of scopeSpans.spans ?? []) {
          let stored = updated.get(span.traceId);
          if (!stored) {
            stored = this.traces.get(span.traceId) ?? [];
            updated.set(span.traceId, stored);
          }
          stored.push({
            resource: resourceSpans.resource,
            scope: scopeSpans.scope,
            resourceKey,
            scopeKey,
            span,
          });
          this.spans += 1;
          added += 1;
        }
      }
    }
    // Re-inserting moves a trace to the end of the map, once per export rather than once per span (every
    // delete leaves a hole the map skips until it rehashes): eviction takes the least recently updated.
    for (const [traceId, stored] of updated) {
      this.traces.delete(traceId);
      this.traces.set(traceId, stored);
    }
    this.evict();
    return added;
  }

  /** One trace in OTLP/JSON, spans grouped by resource and scope; undefined when unknown. */
  trace(traceId: string): TracesData | undefined {
    const stored = this.traces.get(traceId.toLowerCase());
    return stored ? group(stored) : undefined;
  }

  traceIds(): string[] {
    return [...this.traces.keys()];
  }

  /** Everything kept, in OTLP/JSON: what a test scans for secrets. */
  all(): TracesData {
    return group([...this.traces.values()].flat());
  }

  clear(): void {
    this.traces.clear();
    this.spans = 0;
  }

  private evict(): void {
    // One iterator for the whole pass: a fresh one per evicted trace would walk again over every hole
    // that the previous deletions left at the front of the map.
    const oldestFirst = this.traces.entries();
    while (this.traces.size > this.limits.maxTraces || this.spans > this.limits.maxSpans) {
      const oldest = oldestFirst.next();
      if (oldest.done) return;
      const [traceId, spans] = oldest.value;
      if (this.traces.size === 1 && this.spans > this.limits.maxSpans) {
        // One trace alone is over the span limit: drop its oldest spans, keep the trace.
        const excess = this.spans - this.limits.maxSpans;
        spans.splice(0, excess);
        this.spans -= excess;
        return;
      }
      this.traces.delete(traceId);
      this.spans -= spans.length;
    }
  }
}

function group(stored: readonly StoredSpan[]): TracesData {
  const byResource = new Map<string, { resourceSpans: ResourceSpans; scopes: Map<string, Span[]> }>();
  for (const entry of stored) {
    let resource = byResource.get(entry.resourceKey);
    if (!resource) {
      resource = {
        resourceSpans: { resource: entry.resource ?? { attributes: [] }, scopeSpans: [] },
        scopes: new Map(),
      };
      byResource.set(entry.resourceKey, resource);
    }
    let spans = resource.scopes.get(entry.scopeKey);
    if (!spans) {
      spans = [];
      resource.scopes.set(entry.scopeKey, spans);
      resource.resourceSpans.scopeSpans?.push({ scope: entry.scope ?? {}, spans });
    }
    spans.push(entry.span);
  }
  return { resourceSpans: [...byResource.values()].map((resource) => resource.resourceSpans) };
}

import type { InstrumentationScope, Resource, ResourceSpans, Span, TracesData } from './otlp-json';

export interface TraceStoreLimits {
  /** Traces kept; the least recently updated one is evicted first. */
  maxTraces: number;
  /** Spans kept over all traces. */
  maxSpans: number;
  /** Approximate bytes kept over all traces (names, ids, attribute keys and values); unbounded when unset. */
  maxBytes?: number;
}

interface StoredSpan {
  resource: Resource | undefined;
  scope: InstrumentationScope | undefined;
  /** Groups spans of one resource (one service process) back together on the way out. */
  resourceKey: string;
  scopeKey: string;
  span: Span;
  bytes: number;
}

/** A span's approximate size in memory: its strings, plus a fixed overhead per span, attribute and event. */
function approximateBytes(span: Span): number {
  let bytes = 160 + span.name.length * 2;
  const attributes = (list: Span['attributes']) => {
    for (const attribute of list ?? []) {
      bytes += 48 + attribute.key.length * 2;
      const value = attribute.value;
      bytes += value?.stringValue !== undefined ? value.stringValue.length * 2 : 16;
      if (value?.arrayValue || value?.kvlistValue) bytes += JSON.stringify(value).length * 2;
    }
  };
  attributes(span.attributes);
  for (const event of span.events ?? []) {
    bytes += 64 + event.name.length * 2;
    attributes(event.attributes);
  }
  for (const link of span.links ?? []) {
    bytes += 96;
    attributes(link.attributes);
  }
  return bytes + (span.status?.message?.length ?? 0) * 2;
}

/** Spans in memory, grouped by trace, bounded in traces and spans: the sink never grows without limit. */
export class TraceStore {
  private readonly traces = new Map<string, StoredSpan[]>();
  private spans = 0;
  private bytes = 0;

  constructor(private readonly limits: TraceStoreLimits) {}

  get spanCount(): number {
    return this.spans;
  }

  get traceCount(): number {
    return this.traces.size;
  }

  /** The approximate size of everything kept, as `maxBytes` counts it. */
  get byteCount(): number {
    return this.bytes;
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
          const bytes = approximateBytes(span);
          stored.push({
            resource: resourceSpans.resource,
            scope: scopeSpans.scope,
            resourceKey,
            scopeKey,
            span,
            bytes,
          });
          this.spans += 1;
          this.bytes += bytes;
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

  /** Every trace's raw spans, most recently updated first: what search and the service graph read. */
  *recentTraces(): Generator<{
    traceId: string;
    spans: readonly { resource: Resource | undefined; span: Span }[];
  }> {
    const ids = [...this.traces.keys()];
    for (let index = ids.length - 1; index >= 0; index -= 1) {
      const traceId = ids[index]!;
      const spans = this.traces.get(traceId);
      if (spans) yield { traceId, spans };
    }
  }

  /** One trace's raw spans with their resources; undefined when unknown. */
  storedSpans(traceId: string): readonly { resource: Resource | undefined; span: Span }[] | undefined {
    return this.traces.get(traceId.toLowerCase());
  }

  /** Everything kept, in OTLP/JSON: what a test scans for secrets. */
  all(): TracesData {
    return group([...this.traces.values()].flat());
  }

  clear(): void {
    this.traces.clear();
    this.spans = 0;
    this.bytes = 0;
  }

  private evict(): void {
    // One iterator for the whole pass: a fresh one per evicted trace would walk again over every hole
    // that the previous deletions left at the front of the map.
    const maxBytes = this.limits.maxBytes ?? Infinity;
    const oldestFirst = this.traces.entries();
    while (
      this.traces.size > this.limits.maxTraces ||
      this.spans > this.limits.maxSpans ||
      this.bytes > maxBytes
    ) {
      const oldest = oldestFirst.next();
      if (oldest.done) return;
      const [traceId, spans] = oldest.value;
      if (this.traces.size === 1) {
        // One trace alone is over a limit: drop its oldest spans, keep the trace.
        while (spans.length > 0 && (this.spans > this.limits.maxSpans || this.bytes > maxBytes)) {
          const dropped = spans.shift() as StoredSpan;
          this.spans -= 1;
          this.bytes -= dropped.bytes;
        }
        return;
      }
      this.traces.delete(traceId);
      this.spans -= spans.length;
      for (const entry of spans) this.bytes -= entry.bytes;
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

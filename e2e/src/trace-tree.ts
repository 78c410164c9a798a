import { SpanKind, type FlatSpan } from './sink/otlp-json';

/** Navigation over one trace's spans, for the contract assertions. */
export class TraceTree {
  private readonly byId: Map<string, FlatSpan>;

  constructor(readonly spans: readonly FlatSpan[]) {
    this.byId = new Map(spans.map((span) => [span.spanId, span]));
  }

  get(spanId: string | undefined): FlatSpan | undefined {
    return spanId ? this.byId.get(spanId) : undefined;
  }

  children(parent: FlatSpan): FlatSpan[] {
    return this.spans.filter((span) => span.parentSpanId === parent.spanId);
  }

  descendants(parent: FlatSpan): FlatSpan[] {
    return this.children(parent).flatMap((child) => [child, ...this.descendants(child)]);
  }

  /** The spans between this one and the root, nearest first. */
  ancestors(span: FlatSpan): FlatSpan[] {
    const chain: FlatSpan[] = [];
    for (let parent = this.get(span.parentSpanId); parent; parent = this.get(parent.parentSpanId))
      chain.push(parent);
    return chain;
  }

  /** Spans whose parent id is set but not in the trace. */
  orphans(): FlatSpan[] {
    return this.spans.filter((span) => span.parentSpanId !== undefined && !this.byId.has(span.parentSpanId));
  }

  roots(): FlatSpan[] {
    return this.spans.filter((span) => !this.get(span.parentSpanId));
  }

  find(predicate: (span: FlatSpan) => boolean): FlatSpan[] {
    return this.spans.filter(predicate);
  }

  /** The server span of a service whose name is exactly `name`. */
  server(service: string, name: string): FlatSpan[] {
    return this.find(
      (span) => span.service === service && span.kind === SpanKind.server && span.name === name,
    );
  }

  /** The SQL client spans of a service. */
  sql(service: string): FlatSpan[] {
    return this.find(
      (span) =>
        span.service === service &&
        span.kind === SpanKind.client &&
        span.attributes['db.system.name'] !== undefined,
    );
  }
}

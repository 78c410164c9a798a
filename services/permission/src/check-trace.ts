import { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

const tracer = trace.getTracer('permission');

/** Keto's three answers: unknown is what a depth limit or a cycle gives; only member allows. */
export type Membership = 'member' | 'not_member' | 'unknown';

export type RewriteKind = 'computed_subject_set' | 'tuple_to_subject_set' | 'this';

export interface StepAttributes {
  namespace: string;
  object: string;
  relation: string;
  depth: number;
  rewrite?: RewriteKind;
}

/**
 * The spans of one check, bounded: each step (permit, traversal, subject set) and each SQL statement
 * takes one span from the budget (limit.max_check_spans). Once it is spent, steps still run, but
 * without spans (tracing is suppressed below them, SQL included) and are counted in
 * `permission.steps.unrecorded` on the nearest recorded ancestor, so one request cannot flood the
 * exporter's queue. Limits that cut the evaluation are reported on the span where they happened and
 * on the root.
 */
export class CheckTrace {
  private spansLeft: number;
  private readonly unrecorded = new WeakMap<Span, number>();
  depthLimited = false;
  spansLimited = false;

  constructor(maxSpans: number) {
    this.spansLeft = maxSpans;
  }

  private countUnrecorded(parentContext: Context): void {
    this.spansLimited = true;
    const parent = trace.getSpan(parentContext);
    if (parent) this.unrecorded.set(parent, (this.unrecorded.get(parent) ?? 0) + 1);
  }

  /** The context a SQL statement runs in: the requester's, or a suppressed one when the budget is spent. */
  contextForStatement(requester: Context): Context {
    if (this.spansLeft > 0) {
      this.spansLeft--;
      return requester;
    }
    this.countUnrecorded(requester);
    return suppressTracing(requester);
  }

  markDepthLimit(): void {
    this.depthLimited = true;
    trace.getActiveSpan()?.setAttribute('permission.limit.max_depth_reached', true);
  }

  /** Runs one step in its own INTERNAL span when the budget allows. The root span is always recorded. */
  step(
    name: string,
    attributes: StepAttributes,
    run: () => Promise<Membership>,
    isRoot = false,
  ): Promise<Membership> {
    if (!isRoot && this.spansLeft <= 0) {
      this.countUnrecorded(context.active());
      return context.with(suppressTracing(context.active()), run);
    }
    if (!isRoot) this.spansLeft--;
    const spanAttributes: Record<string, string | number> = {
      'permission.namespace': attributes.namespace,
      'permission.object': attributes.object,
      'permission.relation': attributes.relation,
      'permission.depth': attributes.depth,
    };
    if (attributes.rewrite) spanAttributes['permission.rewrite'] = attributes.rewrite;
    return tracer.startActiveSpan(
      name,
      { kind: SpanKind.INTERNAL, attributes: spanAttributes },
      async (span: Span) => {
        try {
          const membership = await run();
          span.setAttribute('permission.allowed', membership === 'member');
          return membership;
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          const unrecorded = this.unrecorded.get(span);
          if (unrecorded) span.setAttribute('permission.steps.unrecorded', unrecorded);
          if (isRoot) {
            if (this.depthLimited) span.setAttribute('permission.limit.max_depth_reached', true);
            if (this.spansLimited) span.setAttribute('permission.limit.max_spans_reached', true);
          }
          span.end();
        }
      },
    );
  }
}

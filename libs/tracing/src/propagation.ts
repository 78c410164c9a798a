import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';

/**
 * Injects with the wrapped propagator and extracts nothing. A `B3Propagator` extracts both B3 encodings
 * whatever it injects, so the second one (single-header injection) would only parse the same headers
 * again on every incoming request.
 */
class InjectOnlyPropagator implements TextMapPropagator {
  constructor(private readonly inner: TextMapPropagator) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.inner.inject(context, carrier, setter);
  }

  extract(context: Context, _carrier: unknown, _getter: TextMapGetter): Context {
    return context;
  }

  fields(): string[] {
    return this.inner.fields();
  }
}

/**
 * Extracts any of B3 (single and multi), Jaeger and W3C; on extraction the last valid one wins, so W3C
 * comes last. Injects all of them at once, so an upstream that reads only one format still joins the trace.
 * A malformed header is ignored by its propagator, and the request starts a new root.
 */
export function createPropagator(extra: readonly TextMapPropagator[] = []): TextMapPropagator {
  return new CompositePropagator({
    propagators: [
      new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
      new InjectOnlyPropagator(new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER })),
      new JaegerPropagator(),
      ...extra,
      new W3CTraceContextPropagator(),
      new W3CBaggagePropagator(),
    ],
  });
}

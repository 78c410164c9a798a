import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  propagation,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
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
 * Jaeger's `uber-trace-id` in and out, and its `uberctx-*` baggage headers in only. Injecting baggage as
 * one `uberctx-*` header per entry besides the W3C `baggage` header doubles its bytes and turns a long
 * baggage into as many headers, enough to make the next hop answer 431; baggage leaves once, as W3C.
 */
class JaegerTraceContextPropagator implements TextMapPropagator {
  private readonly jaeger = new JaegerPropagator();

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.jaeger.inject(propagation.deleteBaggage(context), carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.jaeger.extract(context, carrier, getter);
  }

  fields(): string[] {
    return this.jaeger.fields();
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
      new JaegerTraceContextPropagator(),
      ...extra,
      new W3CTraceContextPropagator(),
      new W3CBaggagePropagator(),
    ],
  });
}

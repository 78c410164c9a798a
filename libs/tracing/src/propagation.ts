import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { TextMapPropagator } from '@opentelemetry/api';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';

/**
 * Extracts any of B3 (single and multi), Jaeger and W3C; on extraction the last valid one wins, so W3C
 * comes last. Injects all of them at once, so an upstream that reads only one format still joins the trace.
 * A malformed header is ignored by its propagator, and the request starts a new root.
 */
export function createPropagator(extra: readonly TextMapPropagator[] = []): TextMapPropagator {
  return new CompositePropagator({
    propagators: [
      new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
      new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }),
      new JaegerPropagator(),
      ...extra,
      new W3CTraceContextPropagator(),
      new W3CBaggagePropagator(),
    ],
  });
}

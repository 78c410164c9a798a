import { context, propagation, type Baggage, type Context } from '@opentelemetry/api';

/** W3C Baggage limits: at most 64 list-members and 8192 bytes in the header. */
export const maxBaggageMembers = 64;
export const maxBaggageBytes = 8192;

/**
 * The trace-context headers the gateway writes itself on every outbound call. The client's copies are
 * never forwarded: only what the propagators re-inject from the (bounded) context leaves the gateway.
 */
const propagationHeader = /^(?:traceparent|tracestate|baggage|uber-trace-id|b3|x-b3-[a-z]+|uberctx-.+)$/;

export const isPropagationHeader = (name: string): boolean => propagationHeader.test(name);

function memberBytes(key: string, value: string, metadata: string | undefined): number {
  return (
    encodeURIComponent(key).length +
    1 +
    encodeURIComponent(value).length +
    (metadata ? metadata.length + 1 : 0)
  );
}

/** The first members that fit the W3C limits; the rest are dropped, never passed on in another form. */
export function boundBaggage(baggage: Baggage): Baggage {
  const entries = baggage.getAllEntries();
  let bytes = 0;
  const kept: typeof entries = [];
  for (const entry of entries) {
    const [key, value] = entry;
    const size = memberBytes(key, value.value, value.metadata?.toString()) + (kept.length > 0 ? 1 : 0);
    if (kept.length >= maxBaggageMembers || bytes + size > maxBaggageBytes) break;
    bytes += size;
    kept.push(entry);
  }
  return kept.length === entries.length ? baggage : propagation.createBaggage(Object.fromEntries(kept));
}

/** The active context with its extracted baggage bounded: every call made under it injects at most that. */
export function boundedTraceContext(): Context {
  const active = context.active();
  const baggage = propagation.getBaggage(active);
  return baggage ? propagation.setBaggage(active, boundBaggage(baggage)) : active;
}

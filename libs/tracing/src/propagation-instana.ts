import {
  TraceFlags,
  isSpanContextValid,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';

const traceHeader = 'x-instana-t';
const spanHeader = 'x-instana-s';
const levelHeader = 'x-instana-l';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Instana's own headers: X-INSTANA-T (trace id, 16 or 32 hex), X-INSTANA-S (span id, 16 hex),
 * X-INSTANA-L (`1` sampled, `0` not; Instana may append `,correlationType=…`). Added when the
 * provider is `instana`, beside W3C, Jaeger and B3.
 */
export class InstanaPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (!spanContext || !isSpanContextValid(spanContext)) return;
    setter.set(carrier, traceHeader, spanContext.traceId);
    setter.set(carrier, spanHeader, spanContext.spanId);
    setter.set(carrier, levelHeader, spanContext.traceFlags & TraceFlags.SAMPLED ? '1' : '0');
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const traceId = first(getter.get(carrier, traceHeader))?.trim().toLowerCase();
    const spanId = first(getter.get(carrier, spanHeader))?.trim().toLowerCase();
    const level = first(getter.get(carrier, levelHeader))?.trim().split(',')[0];
    if (
      !traceId ||
      !spanId ||
      !/^[0-9a-f]{16}([0-9a-f]{16})?$/.test(traceId) ||
      !/^[0-9a-f]{16}$/.test(spanId)
    ) {
      return context;
    }
    const spanContext = {
      traceId: traceId.padStart(32, '0'),
      spanId,
      traceFlags: level === '0' ? TraceFlags.NONE : TraceFlags.SAMPLED,
      isRemote: true,
    };
    return isSpanContextValid(spanContext) ? trace.setSpanContext(context, spanContext) : context;
  }

  fields(): string[] {
    return [traceHeader, spanHeader, levelHeader];
  }
}

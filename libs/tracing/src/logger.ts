import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs; inside a span every line carries trace_id, span_id and trace_flags. The mixin reads the
 * active span at each call, so it works whatever order pino and the SDK were loaded in.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const context = span.spanContext();
      return {
        trace_id: context.traceId,
        span_id: context.spanId,
        trace_flags: context.traceFlags.toString(16).padStart(2, '0'),
      };
    },
  });
}

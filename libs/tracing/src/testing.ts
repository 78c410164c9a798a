import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ServiceIdentity } from './config/resolve';
import { tracingSchema, type TracingConfig } from './config/schema';
import { loadConfig } from '@mesh/config';
import { createLogger } from './logger';
import { startTracing, type TracingHandle } from './start';

export interface InMemoryTracing {
  handle: TracingHandle;
  exporter: InMemorySpanExporter;
  /** Flushes the batch processor and returns every span exported so far. */
  spans(): Promise<ReadableSpan[]>;
  /** Flushes what is still queued, then forgets every span: the next `spans()` sees only what follows. */
  reset(): Promise<void>;
}

/**
 * The real SDK setup (instrumentations, propagators, sampler, batch processor) exporting into memory, for
 * span tests in one process. Call it before the code under test loads express, pg or better-sqlite3.
 */
export function startInMemoryTracing(
  service: ServiceIdentity,
  overrides: Partial<TracingConfig> = {},
): InMemoryTracing {
  const defaults = loadConfig<{ tracing: TracingConfig }>({
    schema: { type: 'object', properties: { tracing: tracingSchema } },
    env: {},
  }).tracing;
  const exporter = new InMemorySpanExporter();
  const handle = startTracing({ ...defaults, ...overrides }, service, {
    log: createLogger(service.name, 'warn'),
    exporter,
  });
  return {
    handle,
    exporter,
    async spans() {
      await handle.forceFlush();
      return exporter.getFinishedSpans();
    },
    async reset() {
      await handle.forceFlush();
      exporter.reset();
    },
  };
}

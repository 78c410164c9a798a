import { diag, DiagLogLevel, type TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { sdkSelfMetricsProvider } from '@mesh/metrics';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import {
  resolveTracing,
  samplingRatioOf,
  type ResolvedTracing,
  type ServiceIdentity,
} from './config/resolve';
import type { TracingConfig } from './config/schema';
import { EmitBindingContextManager } from './emitter-binding';
import { WarnOnceExporter } from './export-warnings';
import { httpInstrumentationConfig } from './http/server-spans';
import type { Logger } from './logger';
import { InstanaPropagator } from './propagation-instana';
import { createPropagator } from './propagation';
import { createExporter } from './providers';
import { JaegerRemoteRatioSampler, ratioSampler } from './sampling';
import { pgInstrumentationConfig } from './sql/pg-hooks';
import { BetterSqlite3Instrumentation } from './sql/sqlite-instrumentation';

/** Incubating resource keys, written out so that no incubating entry point is imported. */
const ATTR_SERVICE_NAMESPACE = 'service.namespace';
const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';

/** Bounded memory while the backend is down (spans beyond the queue are dropped), batches a backend accepts. */
export const batchLimits = {
  maxQueueSize: 4096,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 500,
  exportTimeoutMillis: 10_000,
};
const jaegerSamplingPollMs = 60_000;
const defaultShutdownDeadlineMs = 5_000;

export interface TracingHandle {
  readonly enabled: boolean;
  /** Why tracing is off, or where the spans go. Never carries a credential. */
  readonly description: string;
  forceFlush(): Promise<void>;
  /** Flushes and stops the SDK, giving up after `deadlineMs` so that a dead backend cannot hold the process. */
  shutdown(deadlineMs?: number): Promise<void>;
}

export interface StartTracingOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Replaces the provider's exporter (tests pass an in-memory one); tracing is then on even with no provider. */
  exporter?: SpanExporter;
}

/** The stable HTTP and database semantic conventions, unless the user chose otherwise. */
function applyOtelEnvDefaults(env: NodeJS.ProcessEnv): void {
  env.OTEL_SEMCONV_STABILITY_OPT_IN ??= 'http,database';
}

function samplerFor(
  resolved: Extract<ResolvedTracing, { enabled: true }>,
  log: Logger,
): { sampler: Sampler; stop(): void } {
  const ratio = samplingRatioOf(resolved);
  const jaeger = resolved.config.providers.jaeger;
  if (resolved.provider !== 'jaeger' || !jaeger.sampling.server_url)
    return { sampler: ratioSampler(ratio), stop: () => undefined };
  const remote = new JaegerRemoteRatioSampler({
    serverUrl: jaeger.sampling.server_url,
    serviceName: resolved.serviceName,
    initialRatio: ratio,
    pollMs: jaegerSamplingPollMs,
    log,
  });
  return { sampler: new ParentBasedSampler({ root: remote }), stop: () => remote.stop() };
}

function withDeadline(work: Promise<void>, deadlineMs: number, log: Logger, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.warn(
        { deadline_ms: deadlineMs },
        `${what} did not finish before the deadline; remaining spans are dropped`,
      );
      resolve();
    }, deadlineMs);
    timer.unref();
  });
  return Promise.race([
    work.catch((error: unknown) => log.warn({ err: String(error) }, `${what} failed`)),
    deadline,
  ]).finally(() => clearTimeout(timer));
}

const disabledHandle = (description: string): TracingHandle => ({
  enabled: false,
  description,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
});

/**
 * Starts the OpenTelemetry SDK for one service. Call it before express, http, pg or better-sqlite3 are
 * loaded (the services load their app module only afterwards), so that the instrumentations patch them.
 */
export function startTracing(
  config: TracingConfig,
  service: ServiceIdentity,
  options: StartTracingOptions,
): TracingHandle {
  const env = options.env ?? process.env;
  const { log } = options;
  const resolved = resolveTracing(
    options.exporter ? { ...config, provider: config.provider || 'otel' } : config,
    service,
    env,
  );
  if (!resolved.enabled) return disabledHandle(`tracing off: ${resolved.reason}`);

  applyOtelEnvDefaults(process.env);
  diag.setLogger(
    {
      error: (message) => log.debug({ otel: message }, 'otel diagnostic'),
      warn: (message) => log.debug({ otel: message }, 'otel diagnostic'),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );

  const { exporter, target } = options.exporter
    ? { exporter: options.exporter, target: 'in-process exporter' }
    : createExporter(resolved, env);
  const { sampler, stop: stopSampler } = samplerFor(resolved, log);
  const extraPropagators: TextMapPropagator[] =
    resolved.provider === 'instana' ? [new InstanaPropagator()] : [];

  const ownAttributes: Record<string, string> = {
    [ATTR_SERVICE_NAME]: resolved.serviceName,
    [ATTR_SERVICE_VERSION]: resolved.serviceVersion,
    [ATTR_SERVICE_NAMESPACE]: 'mesh',
  };
  if (resolved.deploymentEnvironment)
    ownAttributes[ATTR_DEPLOYMENT_ENVIRONMENT_NAME] = resolved.deploymentEnvironment;
  // OTEL_RESOURCE_ATTRIBUTES adds to the resource; the config's own keys win. The process and host detectors
  // stay off: process.command_args could carry a `--set …secret_token=…`.
  const resource = detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes(ownAttributes));

  // The processor's own metrics (queue size, dropped spans) go to the process's Prometheus registry. The
  // option is the SDK's (`selfObsMeterProvider`); this package's re-exported config type does not list it yet.
  const processorConfig = { ...batchLimits, selfObsMeterProvider: sdkSelfMetricsProvider() };
  const processor = new BatchSpanProcessor(new WarnOnceExporter(exporter, log, target), processorConfig);
  const provider = new NodeTracerProvider({ resource, sampler, spanProcessors: [processor] });
  // The http instrumentation binds each request's emitters to its context. The maintained context manager
  // wraps every listener added to them; `emit` (the default) wraps each emitter's emit once instead
  // (emitter-binding.ts, docs/tracing.md "Emitter binding").
  const contextManager =
    resolved.config.emitter_binding === 'opentelemetry'
      ? new AsyncLocalStorageContextManager()
      : new EmitBindingContextManager();
  provider.register({ propagator: createPropagator(extraPropagators), contextManager });
  // Only the instrumentations of the trace contract are loaded: the auto-instrumentation bundle and NodeSDK
  // would load some forty instrumentations and the metrics and logs SDKs, 16 MB per service for nothing.
  // The express layers are not spans (the contract puts SQL spans right under the server span): all the
  // express instrumentation would do is name the server span after the matched route, and it wraps every
  // layer of every request to do so. By default the http instrumentation's end-of-response hook names it
  // instead (docs/tracing.md, "express routes"); `opentelemetry` keeps the maintained instrumentation.
  const maintainedExpress = resolved.config.express_instrumentation === 'opentelemetry';
  const unregisterInstrumentations = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation(httpInstrumentationConfig(!maintainedExpress)),
      ...(maintainedExpress
        ? [
            new ExpressInstrumentation({
              ignoreLayersType: [
                ExpressLayerType.MIDDLEWARE,
                ExpressLayerType.ROUTER,
                ExpressLayerType.REQUEST_HANDLER,
              ],
            }),
          ]
        : []),
      new PgInstrumentation(pgInstrumentationConfig()),
      new BetterSqlite3Instrumentation(),
    ],
  });
  log.info({ provider: resolved.provider, target, service_name: resolved.serviceName }, 'tracing started');

  return {
    enabled: true,
    description: `${resolved.provider} → ${target}`,
    forceFlush: async () => {
      await withDeadline(processor.forceFlush(), defaultShutdownDeadlineMs, log, 'trace flush');
    },
    shutdown: async (deadlineMs = defaultShutdownDeadlineMs) => {
      stopSampler();
      unregisterInstrumentations();
      await withDeadline(provider.shutdown(), deadlineMs, log, 'tracing shutdown');
    },
  };
}

import type { ProviderName, TracingConfig } from './schema';

export interface ServiceIdentity {
  /** The service's own name, used when tracing.service_name is empty. */
  name: string;
  version: string;
}

/** What the SDK is started with, after Ory's keys and OpenTelemetry's env have been reconciled. */
export type ResolvedTracing =
  | { enabled: false; reason: string }
  | {
      enabled: true;
      /** `otel-env`: no tracing.provider, but OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER is set. */
      provider: ProviderName | 'otel-env';
      serviceName: string;
      serviceVersion: string;
      deploymentEnvironment: string;
      config: TracingConfig;
    };

export function resolveTracing(
  config: TracingConfig,
  service: ServiceIdentity,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedTracing {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') {
    return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  }
  let provider: ProviderName | 'otel-env' | '' = config.provider;
  if (provider === '') {
    const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
    if (exporter === 'none') return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
    if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || exporter)
      provider = 'otel-env';
  }
  if (provider === '') return { enabled: false, reason: 'tracing.provider is empty' };
  return {
    enabled: true,
    provider,
    serviceName: config.service_name || service.name,
    serviceVersion: config.service_version || service.version,
    deploymentEnvironment: config.deployment_environment,
    config,
  };
}

/** The root sampling ratio of the chosen provider. */
export function samplingRatioOf(resolved: Extract<ResolvedTracing, { enabled: true }>): number {
  const providers = resolved.config.providers;
  switch (resolved.provider) {
    case 'jaeger':
      return providers.jaeger.sampling.trace_id_ratio;
    case 'otel':
      return providers.otlp.sampling.sampling_ratio;
    case 'zipkin':
      return providers.zipkin.sampling.sampling_ratio;
    case 'elastic-apm':
      return providers.elastic_apm.sampling.sampling_ratio;
    case 'datadog':
      return providers.datadog.sampling.sampling_ratio;
    case 'instana':
      return providers.instana.sampling.sampling_ratio;
    case 'otel-env':
      return 1;
  }
}

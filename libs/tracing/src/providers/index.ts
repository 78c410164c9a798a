import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import type { ResolvedTracing } from '../config/resolve';
import { JaegerAgentExporter } from './jaeger-agent';
import { baseUrl, otelEnvExporter, otelExporter, otlpExporter, withDefaultPort } from './otlp';

type Enabled = Extract<ResolvedTracing, { enabled: true }>;

export interface ExporterChoice {
  exporter: SpanExporter;
  /** Where spans go, for logs; never carries a credential. */
  target: string;
}

function splitHostPort(address: string, defaultPort: number): { host: string; port: number } {
  const match = /^(.*?)(?::(\d+))?$/.exec(address);
  return { host: match?.[1] || '127.0.0.1', port: match?.[2] ? Number(match[2]) : defaultPort };
}

/** One exporter per Ory provider, each speaking that backend's protocol. */
export function createExporter(resolved: Enabled, env: NodeJS.ProcessEnv): ExporterChoice {
  const providers = resolved.config.providers;
  switch (resolved.provider) {
    case 'otel': {
      const exporter = otelExporter(providers.otlp);
      return {
        exporter,
        target: `otlp ${providers.otlp.protocol} ${baseUrl(providers.otlp.server_url, providers.otlp.insecure)}`,
      };
    }
    case 'otel-env':
      return { exporter: otelEnvExporter(env), target: 'otlp from OTEL_EXPORTER_OTLP_* env' };
    case 'jaeger': {
      const { host, port } = splitHostPort(providers.jaeger.local_agent_address, 6831);
      return {
        exporter: new JaegerAgentExporter({ host, port }),
        target: `jaeger agent udp://${host}:${port}`,
      };
    }
    case 'zipkin':
      return {
        exporter: new ZipkinExporter({ url: providers.zipkin.server_url, serviceName: resolved.serviceName }),
        target: `zipkin ${providers.zipkin.server_url}`,
      };
    case 'elastic-apm': {
      const apm = providers.elastic_apm;
      const authorization = apm.api_key
        ? `ApiKey ${apm.api_key}`
        : apm.secret_token
          ? `Bearer ${apm.secret_token}`
          : '';
      const url = baseUrl(apm.server_url, true);
      return {
        exporter: otlpExporter({
          url,
          protocol: 'http/protobuf',
          headers: authorization ? { Authorization: authorization } : {},
        }),
        target: `elastic-apm ${url}`,
      };
    }
    case 'datadog': {
      const url = baseUrl(withDefaultPort(providers.datadog.agent_address), true);
      return {
        exporter: otlpExporter({ url, protocol: 'http/protobuf', headers: {} }),
        target: `datadog agent ${url}`,
      };
    }
    case 'instana': {
      const url = baseUrl(withDefaultPort(providers.instana.agent_address), true);
      return {
        exporter: otlpExporter({ url, protocol: 'http/protobuf', headers: {} }),
        target: `instana agent ${url}`,
      };
    }
  }
}

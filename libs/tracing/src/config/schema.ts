import type { SchemaNode } from '@mesh/config';

export const providerNames = ['jaeger', 'otel', 'zipkin', 'elastic-apm', 'datadog', 'instana'] as const;
export type ProviderName = (typeof providerNames)[number];

const samplingRatio = (description: string): SchemaNode => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    sampling_ratio: { type: 'number', minimum: 0, maximum: 1, default: 1, description },
  },
});

/**
 * The `tracing` block: Ory's keys with Ory's meanings, plus a superset (otlp.protocol, the datadog and
 * instana agent addresses, service_version, express_instrumentation, emitter_binding). The single source for validation,
 * defaults, docs and help.
 */
export const tracingSchema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: {
    provider: {
      type: 'string',
      enum: ['', ...providerNames],
      default: '',
      description:
        'The tracing backend; empty turns tracing off (unless OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER is set).',
    },
    service_name: {
      type: 'string',
      default: '',
      description: "The service.name of every span; empty means the service's own name.",
      'x-env-aliases': [
        'OTEL_SERVICE_NAME',
        'INSTANA_SERVICE_NAME',
        'ELASTIC_APM_SERVICE_NAME',
        'DD_SERVICE',
      ],
    },
    service_version: {
      type: 'string',
      default: '',
      description: "The service.version resource attribute; empty means the package's version.",
      'x-env-aliases': ['DD_VERSION'],
    },
    deployment_environment: {
      type: 'string',
      default: '',
      description: 'The deployment.environment.name resource attribute; empty leaves it out.',
      'x-env-aliases': ['ELASTIC_APM_ENVIRONMENT', 'DD_ENV'],
    },
    express_instrumentation: {
      type: 'string',
      enum: ['route', 'opentelemetry'],
      default: 'route',
      description:
        "Server span route: 'route' reads express's matched route; 'opentelemetry' loads instrumentation-express.",
    },
    emitter_binding: {
      type: 'string',
      enum: ['emit', 'opentelemetry'],
      default: 'emit',
      description:
        "How a request's emitters keep its context: 'emit' wraps each emitter's emit once; 'opentelemetry' is the maintained context manager, which wraps every listener.",
    },
    providers: {
      type: 'object',
      additionalProperties: false,
      properties: {
        jaeger: {
          type: 'object',
          additionalProperties: false,
          properties: {
            local_agent_address: {
              type: 'string',
              default: '127.0.0.1:6831',
              description:
                'host:port of the Jaeger agent endpoint; spans go there as Thrift compact over UDP.',
            },
            sampling: {
              type: 'object',
              additionalProperties: false,
              properties: {
                server_url: {
                  type: 'string',
                  default: '',
                  description:
                    'Jaeger remote sampling endpoint, polled as {server_url}?service={service_name}; empty samples by trace_id_ratio alone.',
                },
                trace_id_ratio: {
                  type: 'number',
                  minimum: 0,
                  maximum: 1,
                  default: 1,
                  description:
                    'The ratio of new root traces sampled (and the start value while the remote strategy loads).',
                },
              },
            },
          },
        },
        otlp: {
          type: 'object',
          additionalProperties: false,
          properties: {
            server_url: {
              type: 'string',
              default: 'localhost:4318',
              description:
                'host:port of the OTLP receiver, without scheme, as in Ory; spans go to {scheme}://{server_url}/v1/traces.',
            },
            insecure: {
              type: 'boolean',
              default: false,
              description: 'Use http instead of https (and plaintext gRPC).',
            },
            authorization_header: {
              type: 'string',
              default: '',
              description: 'Sent as the Authorization header (gRPC: authorization metadata).',
              'x-secret': true,
            },
            protocol: {
              type: 'string',
              enum: ['http/protobuf', 'http/json', 'grpc'],
              default: 'http/protobuf',
              description: 'The OTLP transport (superset of Ory).',
            },
            sampling: samplingRatio('The ratio of new root traces sampled.'),
          },
        },
        zipkin: {
          type: 'object',
          additionalProperties: false,
          properties: {
            server_url: {
              type: 'string',
              default: 'http://localhost:9411/api/v2/spans',
              description: 'The Zipkin v2 JSON spans endpoint.',
            },
            sampling: samplingRatio(
              "The ratio of new root traces sampled (1 here; Ory's 0 drops every root trace).",
            ),
          },
        },
        elastic_apm: {
          type: 'object',
          additionalProperties: false,
          properties: {
            server_url: {
              type: 'string',
              default: 'http://localhost:8200',
              description: 'The APM Server; spans go as OTLP/HTTP to {server_url}/v1/traces.',
              'x-env-aliases': ['ELASTIC_APM_SERVER_URL'],
            },
            secret_token: {
              type: 'string',
              default: '',
              description: 'Sent as Authorization: Bearer <secret_token>.',
              'x-env-aliases': ['ELASTIC_APM_SECRET_TOKEN'],
              'x-secret': true,
            },
            api_key: {
              type: 'string',
              default: '',
              description: 'Sent as Authorization: ApiKey <api_key> (wins over secret_token).',
              'x-env-aliases': ['ELASTIC_APM_API_KEY'],
              'x-secret': true,
            },
            sampling: samplingRatio('The ratio of new root traces sampled.'),
          },
        },
        datadog: {
          type: 'object',
          additionalProperties: false,
          properties: {
            agent_address: {
              type: 'string',
              default: 'localhost:4318',
              description: "host[:port] of the Datadog Agent's OTLP/HTTP intake (port 4318 when left out).",
              'x-env-aliases': ['DD_AGENT_HOST'],
            },
            sampling: samplingRatio('The ratio of new root traces sampled.'),
          },
        },
        instana: {
          type: 'object',
          additionalProperties: false,
          properties: {
            agent_address: {
              type: 'string',
              default: 'localhost:4318',
              description: "host[:port] of the Instana agent's OTLP/HTTP intake (port 4318 when left out).",
              'x-env-aliases': ['INSTANA_AGENT_HOST'],
            },
            sampling: samplingRatio('The ratio of new root traces sampled.'),
          },
        },
      },
    },
  },
};

interface Sampling {
  sampling_ratio: number;
}

/** The `tracing` block after defaults are applied. */
export interface TracingConfig {
  provider: '' | ProviderName;
  service_name: string;
  service_version: string;
  deployment_environment: string;
  express_instrumentation: 'route' | 'opentelemetry';
  emitter_binding: 'emit' | 'opentelemetry';
  providers: {
    jaeger: { local_agent_address: string; sampling: { server_url: string; trace_id_ratio: number } };
    otlp: {
      server_url: string;
      insecure: boolean;
      authorization_header: string;
      protocol: 'http/protobuf' | 'http/json' | 'grpc';
      sampling: Sampling;
    };
    zipkin: { server_url: string; sampling: Sampling };
    elastic_apm: { server_url: string; secret_token: string; api_key: string; sampling: Sampling };
    datadog: { agent_address: string; sampling: Sampling };
    instana: { agent_address: string; sampling: Sampling };
  };
}

/**
 * The keys of the OpenTelemetry Collector components infra/k8s uses, as a JSON Schema that refuses unknown
 * keys. The collector publishes no JSON Schema of its configuration; these keys are the `mapstructure` tags
 * of each component's Go config struct in the pinned release (otel/opentelemetry-collector-contrib
 * 0.115.1): receiver/otlpreceiver/config.go, processor/memorylimiterprocessor (internal/memorylimiter
 * config.go), processor/batchprocessor/config.go, contrib processor/tailsamplingprocessor/config.go,
 * exporter/otlpexporter/config.go (with configgrpc.ClientConfig and configtls), contrib
 * extension/healthcheckextension/config.go, and service/telemetry. What this cannot check: value ranges
 * the Go code validates (Config.Validate), the env expansion `${env:…}`, keys of components not listed here,
 * and whether the image's build includes each component (the contrib image includes all of these).
 */
const closed = (properties: Record<string, object>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});
const string = { type: 'string' };
const duration = { type: 'string', pattern: '^\\d+(ms|s|m|h)$' };
const endpoint = closed({ endpoint: string });

const policy = closed(
  {
    name: string,
    type: {
      enum: [
        'always_sample',
        'latency',
        'numeric_attribute',
        'probabilistic',
        'status_code',
        'string_attribute',
        'rate_limiting',
        'span_count',
        'trace_state',
        'boolean_attribute',
        'ottl_condition',
        'composite',
        'and',
        'drop',
      ],
    },
    latency: closed({
      threshold_ms: { type: 'integer', minimum: 0 },
      upper_threshold_ms: { type: 'integer' },
    }),
    status_code: closed({ status_codes: { type: 'array', items: { enum: ['OK', 'ERROR', 'UNSET'] } } }),
    probabilistic: closed({
      hash_salt: string,
      sampling_percentage: { type: 'number', minimum: 0, maximum: 100 },
    }),
  },
  ['name', 'type'],
);

export const collectorConfigSchema = closed(
  {
    receivers: closed({
      otlp: closed({ protocols: closed({ grpc: endpoint, http: endpoint }) }),
    }),
    processors: closed({
      memory_limiter: closed({
        check_interval: duration,
        limit_mib: { type: 'integer' },
        spike_limit_mib: { type: 'integer' },
        limit_percentage: { type: 'integer', minimum: 1, maximum: 100 },
        spike_limit_percentage: { type: 'integer', minimum: 0, maximum: 100 },
      }),
      tail_sampling: closed(
        {
          decision_wait: duration,
          num_traces: { type: 'integer', minimum: 1 },
          expected_new_traces_per_sec: { type: 'integer', minimum: 0 },
          policies: { type: 'array', minItems: 1, items: policy },
        },
        ['policies'],
      ),
      batch: closed({
        timeout: duration,
        send_batch_size: { type: 'integer' },
        send_batch_max_size: { type: 'integer' },
      }),
    }),
    exporters: {
      type: 'object',
      propertyNames: { pattern: '^otlp(/[\\w-]+)?$' },
      additionalProperties: closed(
        { endpoint: string, tls: closed({ insecure: { type: 'boolean' } }), compression: string },
        ['endpoint'],
      ),
    },
    extensions: closed({ health_check: endpoint }),
    service: closed(
      {
        extensions: { type: 'array', items: string },
        pipelines: {
          type: 'object',
          additionalProperties: closed(
            {
              receivers: { type: 'array', items: string, minItems: 1 },
              processors: { type: 'array', items: string },
              exporters: { type: 'array', items: string, minItems: 1 },
            },
            ['receivers', 'exporters'],
          ),
        },
        telemetry: closed({
          metrics: closed({
            level: { enum: ['none', 'basic', 'normal', 'detailed'] },
            readers: {
              type: 'array',
              items: closed({
                pull: closed({
                  exporter: closed({ prometheus: closed({ host: string, port: { type: 'integer' } }) }),
                }),
              }),
            },
          }),
        }),
      },
      ['pipelines'],
    ),
  },
  ['receivers', 'exporters', 'service'],
);

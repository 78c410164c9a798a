import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configKeys, ConfigError, loadConfig, type SchemaNode } from '@mesh/config';
import {
  debugControls,
  resolveTracing,
  tracingKeysMarkdown,
  tracingSchema,
  type TracingConfig,
} from '../src';

const schema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  properties: { tracing: tracingSchema },
};
const load = (options: { env?: NodeJS.ProcessEnv; file?: string; flags?: string[] } = {}) =>
  loadConfig<{ tracing: TracingConfig }>({
    schema,
    env: options.env ?? {},
    file: options.file,
    flags: options.flags,
  }).tracing;

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tracing-config-')), 'config.yml');
  writeFileSync(file, text);
  return file;
}

/** A valid value of the key's type, different from its default, as an env string and as the parsed value. */
function sampleValue(key: ReturnType<typeof configKeys>[number]): { raw: string; parsed: unknown } {
  if (key.allowed) {
    const value =
      key.allowed.find((candidate) => candidate !== key.default && candidate !== '') ?? key.allowed[0];
    return { raw: String(value), parsed: value };
  }
  switch (key.type) {
    case 'boolean':
      return { raw: String(!key.default), parsed: !key.default };
    case 'number':
      return { raw: '0.25', parsed: 0.25 };
    case 'integer':
      return { raw: '7', parsed: 7 };
    default:
      return key.path.endsWith('url')
        ? { raw: 'http://collector.example:1234/path', parsed: 'http://collector.example:1234/path' }
        : { raw: 'collector.example:1234', parsed: 'collector.example:1234' };
  }
}

const valueAt = (config: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], config);

describe('tracing config', () => {
  it("defaults match Ory's meaning: off, ratio 1, otlp over https/protobuf", () => {
    const tracing = load();
    assert.equal(tracing.provider, '');
    assert.equal(tracing.providers.otlp.insecure, false);
    assert.equal(tracing.providers.otlp.protocol, 'http/protobuf');
    assert.equal(tracing.providers.zipkin.sampling.sampling_ratio, 1);
    assert.equal(tracing.providers.jaeger.sampling.trace_id_ratio, 1);
  });

  const keys = configKeys(schema).filter((key) => key.path.startsWith('tracing.'));
  for (const key of keys) {
    it(`env ${key.env} sets ${key.path} (cast to ${key.type})`, () => {
      const { raw, parsed } = sampleValue(key);
      assert.deepEqual(valueAt({ tracing: load({ env: { [key.env]: raw } }) }, key.path), parsed);
    });
  }

  it('maps the vendor env vars', () => {
    const tracing = load({
      env: {
        DD_SERVICE: 'dd-service',
        DD_ENV: 'dd-env',
        DD_VERSION: '1.0.0',
        DD_AGENT_HOST: 'dd-agent:4318',
        ELASTIC_APM_SERVER_URL: 'http://apm:8200',
        ELASTIC_APM_SECRET_TOKEN: 'token',
        ELASTIC_APM_API_KEY: 'key',
        INSTANA_AGENT_HOST: 'instana:4318',
      },
    });
    assert.equal(tracing.service_name, 'dd-service');
    assert.equal(tracing.deployment_environment, 'dd-env');
    assert.equal(tracing.service_version, '1.0.0');
    assert.equal(tracing.providers.datadog.agent_address, 'dd-agent:4318');
    assert.equal(tracing.providers.elastic_apm.server_url, 'http://apm:8200');
    assert.equal(tracing.providers.elastic_apm.secret_token, 'token');
    assert.equal(tracing.providers.elastic_apm.api_key, 'key');
    assert.equal(tracing.providers.instana.agent_address, 'instana:4318');
  });

  it('precedence: --set flags over env over file over defaults', () => {
    const file = configFile(
      'tracing:\n  provider: zipkin\n  service_name: from-file\n  deployment_environment: file-env\n',
    );
    const fromFile = load({ file });
    assert.equal(fromFile.provider, 'zipkin');
    assert.equal(fromFile.providers.otlp.protocol, 'http/protobuf', 'defaults fill what the file leaves out');
    const fromEnv = load({ file, env: { TRACING_SERVICE_NAME: 'from-env', TRACING_PROVIDER: 'jaeger' } });
    assert.equal(fromEnv.service_name, 'from-env');
    assert.equal(fromEnv.deployment_environment, 'file-env');
    const fromFlags = load({
      file,
      env: { TRACING_SERVICE_NAME: 'from-env' },
      flags: ['tracing.service_name=from-flag'],
    });
    assert.equal(fromFlags.service_name, 'from-flag');
    assert.equal(fromFlags.provider, 'zipkin');
  });

  it("Ory's TRACING_SERVICE_NAME wins over the vendor aliases", () => {
    assert.equal(load({ env: { DD_SERVICE: 'dd', TRACING_SERVICE_NAME: 'ory' } }).service_name, 'ory');
  });

  it('accepts the Ory example config from the seed document unchanged', () => {
    const file = configFile(
      [
        'tracing:',
        '  provider: jaeger',
        '  service_name: ory:kratos',
        '  providers:',
        '    jaeger:',
        '      local_agent_address: jaeger:6831',
        '      sampling:',
        '        server_url: http://jaeger:5778/sampling',
      ].join('\n'),
    );
    const tracing = load({ file });
    assert.equal(tracing.providers.jaeger.local_agent_address, 'jaeger:6831');
  });

  const badValues: { name: string; env?: NodeJS.ProcessEnv; file?: string; message: string }[] = [
    {
      name: 'unknown provider',
      env: { TRACING_PROVIDER: 'jagger' },
      message: 'tracing.provider: "jagger" is not one of jaeger, otel, zipkin, elastic-apm, datadog, instana',
    },
    {
      name: 'ratio above 1',
      env: { TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO: '1.5' },
      message: 'tracing.providers.otlp.sampling.sampling_ratio: 1.5 is not <= 1',
    },
    {
      name: 'ratio not a number',
      env: { TRACING_PROVIDERS_ZIPKIN_SAMPLING_SAMPLING_RATIO: 'half' },
      message: 'tracing.providers.zipkin.sampling.sampling_ratio: "half" is not a number',
    },
    {
      name: 'insecure not a boolean',
      env: { TRACING_PROVIDERS_OTLP_INSECURE: 'yes please' },
      message: 'tracing.providers.otlp.insecure: "yes please" is not a boolean (true or false)',
    },
    {
      name: 'unknown otlp protocol',
      env: { TRACING_PROVIDERS_OTLP_PROTOCOL: 'http/xml' },
      message: 'tracing.providers.otlp.protocol: "http/xml" is not one of http/protobuf, http/json, grpc',
    },
    {
      name: 'unknown key in the file',
      file: 'tracing:\n  provder: otel\n',
      message:
        'tracing.provder: "unknown key" is not one of provider, service_name, service_version, deployment_environment, express_instrumentation, emitter_binding, providers',
    },
  ];
  for (const row of badValues) {
    it(`rejects ${row.name} with one line naming key, value and allowed values`, () => {
      assert.throws(
        () => load({ env: row.env, file: row.file ? configFile(row.file) : undefined }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.message, row.message);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    });
  }

  it('never prints a secret in a config error', () => {
    assert.throws(
      () => load({ flags: ['tracing.providers.elastic_apm.secret_token=s3cr3t', 'tracing.provider=nope'] }),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('s3cr3t'),
    );
  });

  it('ignores env vars that match no key, as Ory does', () => {
    assert.equal(load({ env: { TRACING_PROVIDERS_NOPE: 'x', TRACING_PROVIDER: 'otel' } }).provider, 'otel');
  });
});

describe('resolving the provider with OpenTelemetry env', () => {
  const service = { name: 'identity', version: '1.0.0' };
  it('OTEL_SDK_DISABLED=true turns tracing off even with a provider', () => {
    const resolved = resolveTracing({ ...load(), provider: 'otel' }, service, { OTEL_SDK_DISABLED: 'true' });
    assert.equal(resolved.enabled, false);
  });
  it('OTEL_TRACES_EXPORTER=otlp without a provider means otel from OTEL_* env', () => {
    const resolved = resolveTracing(load(), service, { OTEL_TRACES_EXPORTER: 'otlp' });
    assert.ok(resolved.enabled && resolved.provider === 'otel-env');
  });
  it('no provider and no OTEL_* env means off', () => {
    assert.equal(resolveTracing(load(), service, {}).enabled, false);
  });
  it("service_name defaults to the service's own name", () => {
    const resolved = resolveTracing({ ...load(), provider: 'zipkin' }, service, {});
    assert.ok(resolved.enabled && resolved.serviceName === 'identity');
  });
});

describe('generated docs', () => {
  const keys = configKeys(schema).filter((key) => key.path.startsWith('tracing.'));
  it('DEBUG CONTROLS lists every tracing key with its env name, allowed values and default', () => {
    const help = debugControls(schema);
    assert.match(help, /^DEBUG CONTROLS/);
    for (const key of keys) {
      assert.ok(help.includes(key.path), key.path);
      assert.ok(help.includes(key.env), key.env);
    }
    assert.ok(help.includes('jaeger | otel | zipkin | elastic-apm | datadog | instana'));
  });

  it('the Markdown table has one row per key', () => {
    const rows = tracingKeysMarkdown(schema)
      .split('\n')
      .filter((line) => line.startsWith('| `tracing.'));
    assert.equal(rows.length, keys.length);
  });
});

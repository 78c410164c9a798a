import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startHttpRecorder, startOtlpHttpReceiver, waitFor, type RecordedRequest } from '@mesh/testkit';
import { startOtlpGrpcReceiver } from './receivers/otlp-grpc';
import { startJaegerUdpReceiver } from './receivers/jaeger-udp';
import { flattenOtlp, runFixture, type FlatSpan } from './support';

function assertFixtureTrace(spans: readonly FlatSpan[], serviceName = 'fixture-service'): void {
  const parent = spans.find((span) => span.name === 'fixture.parent');
  const child = spans.find((span) => span.name === 'fixture.child');
  assert.ok(parent && child, `both fixture spans arrived (got ${spans.map((span) => span.name).join(', ')})`);
  assert.equal(child.parentSpanId, parent.spanId);
  assert.equal(child.traceId, parent.traceId);
  assert.equal(parent.resource['service.name'], serviceName);
  assert.equal(parent.resource['service.version'], '1.2.3');
  assert.equal(parent.resource['service.namespace'], 'mesh');
}

describe('every provider exports to a receiver of its own protocol', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`otel over OTLP ${protocol} with the Authorization header`, async () => {
      const receiver = await startOtlpHttpReceiver();
      try {
        const run = await runFixture({
          TRACING_PROVIDER: 'otel',
          TRACING_PROVIDERS_OTLP_SERVER_URL: `127.0.0.1:${receiver.port}`,
          TRACING_PROVIDERS_OTLP_INSECURE: 'true',
          TRACING_PROVIDERS_OTLP_PROTOCOL: protocol,
          TRACING_PROVIDERS_OTLP_AUTHORIZATION_HEADER: 'Bearer otlp-test-credential',
          TRACING_DEPLOYMENT_ENVIRONMENT: 'ci',
        });
        assert.equal(run.code, 0, run.lines.join('\n'));
        const exports = receiver.exports();
        assert.ok(exports.length > 0, 'the receiver got an export');
        for (const { request } of exports) {
          assert.equal(request.url, '/v1/traces');
          assert.equal(request.headers.authorization, 'Bearer otlp-test-credential');
          assert.match(request.headers['content-type'] ?? '', protocol === 'http/json' ? /json/ : /protobuf/);
        }
        const spans = flattenOtlp(exports.map((item) => item.traces));
        assertFixtureTrace(spans);
        assert.equal(spans[0]?.resource['deployment.environment.name'], 'ci');
      } finally {
        await receiver.close();
      }
    });
  }

  it('otel over OTLP gRPC with the authorization metadata', async () => {
    const receiver = await startOtlpGrpcReceiver();
    try {
      const run = await runFixture({
        TRACING_PROVIDER: 'otel',
        TRACING_PROVIDERS_OTLP_SERVER_URL: `127.0.0.1:${receiver.port}`,
        TRACING_PROVIDERS_OTLP_INSECURE: 'true',
        TRACING_PROVIDERS_OTLP_PROTOCOL: 'grpc',
        TRACING_PROVIDERS_OTLP_AUTHORIZATION_HEADER: 'Bearer grpc-test-credential',
      });
      assert.equal(run.code, 0, run.lines.join('\n'));
      assert.ok(receiver.exports.length > 0, 'the gRPC receiver got an Export call');
      assert.deepEqual(receiver.exports[0]?.metadata.get('authorization'), ['Bearer grpc-test-credential']);
      assertFixtureTrace(flattenOtlp(receiver.exports.map((item) => item.traces)));
    } finally {
      await receiver.close();
    }
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT alone turns the otel provider on (OpenTelemetry env)', async () => {
    const receiver = await startOtlpHttpReceiver();
    try {
      const run = await runFixture({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'from-otel-env',
      });
      assert.equal(run.code, 0, run.lines.join('\n'));
      assertFixtureTrace(flattenOtlp(receiver.exports().map((item) => item.traces)), 'from-otel-env');
    } finally {
      await receiver.close();
    }
  });

  it('zipkin posts Zipkin v2 JSON to server_url', async () => {
    const receiver = await startHttpRecorder(() => ({ status: 202 }));
    try {
      const run = await runFixture({
        TRACING_PROVIDER: 'zipkin',
        TRACING_PROVIDERS_ZIPKIN_SERVER_URL: `${receiver.url}/api/v2/spans`,
      });
      assert.equal(run.code, 0, run.lines.join('\n'));
      const posts = receiver.requests.filter((request) => request.method === 'POST');
      assert.ok(posts.length > 0);
      assert.equal(posts[0]?.url, '/api/v2/spans');
      assert.match(posts[0]?.headers['content-type'] ?? '', /json/);
      const spans = posts.flatMap(
        (request) =>
          JSON.parse(request.body.toString('utf8')) as {
            name: string;
            id: string;
            parentId?: string;
            traceId: string;
            localEndpoint: { serviceName: string };
          }[],
      );
      const parent = spans.find((span) => span.name === 'fixture.parent');
      const child = spans.find((span) => span.name === 'fixture.child');
      assert.ok(parent && child);
      assert.equal(child.parentId, parent.id);
      assert.equal(parent.localEndpoint.serviceName, 'fixture-service');
    } finally {
      await receiver.close();
    }
  });

  it('jaeger sends emitBatch in Thrift compact over UDP and polls the sampling endpoint with ?service=', async () => {
    const agent = await startJaegerUdpReceiver();
    const sampling = await startHttpRecorder(() => ({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 1 } }),
    }));
    try {
      const run = await runFixture(
        {
          TRACING_PROVIDER: 'jaeger',
          TRACING_SERVICE_NAME: 'ory:kratos',
          TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${agent.port}`,
          TRACING_PROVIDERS_JAEGER_SAMPLING_SERVER_URL: `${sampling.url}/sampling`,
        },
        async () => {
          await waitFor(async () => (sampling.requests.length > 0 ? true : undefined), 'the sampling poll');
        },
      );
      assert.equal(run.code, 0, run.lines.join('\n'));
      const poll = sampling.requests[0] as RecordedRequest;
      assert.equal(poll.url, '/sampling?service=ory%3Akratos');
      await waitFor(
        async () => (agent.batches.some((batch) => batch.spans.length >= 2) ? true : undefined),
        'a UDP batch',
      );
      const batch = agent.batches[0];
      assert.ok(batch);
      assert.equal(batch.method, 'emitBatch');
      assert.equal(batch.messageType, 4, 'oneway message');
      assert.equal(batch.serviceName, 'ory:kratos');
      assert.equal(batch.processTags['service.namespace'], 'mesh');
      const parent = batch.spans.find((span) => span.operationName === 'fixture.parent');
      const child = batch.spans.find((span) => span.operationName === 'fixture.child');
      assert.ok(parent && child);
      assert.equal(child.parentSpanId, parent.spanId);
      assert.equal(child.traceId, parent.traceId);
      assert.equal(parent.parentSpanId, '0000000000000000');
    } finally {
      await agent.close();
      await sampling.close();
    }
  });

  const otlpVendors = [
    {
      provider: 'elastic-apm',
      env: (url: string) => ({
        ELASTIC_APM_SERVER_URL: url,
        ELASTIC_APM_SECRET_TOKEN: 'apm-secret',
        ELASTIC_APM_SERVICE_NAME: 'apm-named',
      }),
      authorization: 'Bearer apm-secret',
      serviceName: 'apm-named',
    },
    {
      provider: 'elastic-apm',
      env: (url: string) => ({
        TRACING_PROVIDERS_ELASTIC_APM_SERVER_URL: url,
        TRACING_PROVIDERS_ELASTIC_APM_API_KEY: 'apm-key',
      }),
      authorization: 'ApiKey apm-key',
      serviceName: 'fixture-service',
    },
    {
      provider: 'datadog',
      env: (url: string) => ({
        TRACING_PROVIDERS_DATADOG_AGENT_ADDRESS: url.replace('http://', ''),
        DD_SERVICE: 'dd-named',
        DD_ENV: 'staging',
        DD_VERSION: '9.9.9',
      }),
      authorization: undefined,
      serviceName: 'dd-named',
    },
    {
      provider: 'instana',
      env: (url: string) => ({
        TRACING_PROVIDERS_INSTANA_AGENT_ADDRESS: url.replace('http://', ''),
        INSTANA_SERVICE_NAME: 'instana-named',
      }),
      authorization: undefined,
      serviceName: 'instana-named',
    },
  ] as const;

  for (const vendor of otlpVendors) {
    it(`${vendor.provider} exports OTLP/HTTP${vendor.authorization ? ` with Authorization: ${vendor.authorization.split(' ')[0]} …` : ''}`, async () => {
      const receiver = await startOtlpHttpReceiver();
      try {
        const run = await runFixture({ TRACING_PROVIDER: vendor.provider, ...vendor.env(receiver.url) });
        assert.equal(run.code, 0, run.lines.join('\n'));
        const exports = receiver.exports();
        assert.ok(exports.length > 0);
        assert.equal(exports[0]?.request.url, '/v1/traces');
        assert.equal(exports[0]?.request.headers.authorization, vendor.authorization);
        const spans = flattenOtlp(exports.map((item) => item.traces));
        const parent = spans.find((span) => span.name === 'fixture.parent');
        assert.ok(parent);
        assert.equal(parent.resource['service.name'], vendor.serviceName);
        if (vendor.provider === 'datadog') {
          assert.equal(parent.resource['deployment.environment.name'], 'staging');
          assert.equal(parent.resource['service.version'], '9.9.9');
        }
        if (vendor.provider === 'instana') {
          const injected = run.json.find((line) => line.injected)?.injected as Record<string, string>;
          assert.ok(injected['x-instana-t'] && injected['x-instana-s'], 'Instana headers are injected');
          assert.equal(injected['x-instana-l'], '1');
        }
      } finally {
        await receiver.close();
      }
    });
  }

  it('no provider: no SDK, nothing exported, the process still runs', async () => {
    const receiver = await startOtlpHttpReceiver();
    try {
      const run = await runFixture({ TRACING_PROVIDERS_OTLP_SERVER_URL: `127.0.0.1:${receiver.port}` });
      assert.equal(run.code, 0);
      assert.equal(receiver.requests.length, 0);
      const injected = run.json.find((line) => line.injected)?.injected as Record<string, string>;
      assert.deepEqual(injected, {});
    } finally {
      await receiver.close();
    }
  });
});

describe('an unreachable or hung backend', () => {
  it('logs one warning, not one per batch, and the process carries on', async () => {
    const run = await runFixture({
      TRACING_PROVIDER: 'otel',
      TRACING_PROVIDERS_OTLP_SERVER_URL: '127.0.0.1:9',
      TRACING_PROVIDERS_OTLP_INSECURE: 'true',
      FIXTURE_TRACES: '3000',
    });
    assert.equal(run.code, 0, run.lines.join('\n'));
    const warnings = run.json.filter((line) => String(line.msg).startsWith('trace export failed'));
    assert.equal(warnings.length, 1, run.lines.join('\n'));
  });

  it('shutdown gives up at its deadline when the backend never answers', async () => {
    const { createServer } = await import('node:net');
    const blackHole = createServer(() => undefined);
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const address = blackHole.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const run = await runFixture({
        TRACING_PROVIDER: 'otel',
        TRACING_PROVIDERS_OTLP_SERVER_URL: `127.0.0.1:${port}`,
        TRACING_PROVIDERS_OTLP_INSECURE: 'true',
        FIXTURE_SHUTDOWN_MS: '1000',
      });
      assert.equal(run.code, 0);
      const shutdown = run.json.find((line) => typeof line.shutdownMs === 'number');
      assert.ok(
        shutdown && (shutdown.shutdownMs as number) < 2_500,
        `shutdown took ${String(shutdown?.shutdownMs)} ms`,
      );
    } finally {
      blackHole.close();
    }
  });
});

import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { context, trace, TraceFlags, type ObservableCallback, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  defineCounter,
  exemplarOf,
  methodLabel,
  operationNameOf,
  recordDbOperation,
  recordServerDurations,
  renderMetrics,
  sdkSelfMetricsProvider,
  serveMetrics,
} from '../src';

const spanWith = (traceFlags: number) => {
  const context: SpanContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags };
  return trace.wrapSpanContext(context);
};

const lines = async (prefix: string) =>
  (await renderMetrics()).body.split('\n').filter((line) => line.startsWith(prefix));

describe('labels and exemplars', () => {
  test('an exemplar only for a sampled span, with its trace and span ids', () => {
    assert.deepEqual(exemplarOf(spanWith(TraceFlags.SAMPLED)), {
      trace_id: 'a'.repeat(32),
      span_id: 'b'.repeat(16),
    });
    assert.equal(exemplarOf(spanWith(TraceFlags.NONE)), undefined);
    assert.equal(exemplarOf(undefined), undefined);
  });

  const methods: [string | undefined, string][] = [
    ['get', 'GET'],
    ['PATCH', 'PATCH'],
    ['PROPFIND', '_OTHER'],
    ['', '_OTHER'],
    [undefined, '_OTHER'],
  ];
  for (const [method, label] of methods)
    test(`method ${String(method)} → ${label}`, () => assert.equal(methodLabel(method), label));

  const statements: [string, string][] = [
    ['  select * from t where a = $1', 'SELECT'],
    ['INSERT INTO t VALUES ($1)', 'INSERT'],
    ['with x as (select 1) select * from x', 'WITH'],
    ["'; DROP TABLE users; --", 'OTHER'],
    ['VACUUM', 'OTHER'],
  ];
  for (const [sql, operation] of statements)
    test(`db.operation.name of ${JSON.stringify(sql)} is ${operation}`, () =>
      assert.equal(operationNameOf(sql), operation));

  test('a statement duration carries the active sampled span as exemplar, never the SQL text', async () => {
    const span = spanWith(TraceFlags.SAMPLED);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    context.with(trace.setSpan(context.active(), span), () =>
      recordDbOperation('sqlite', 'SELECT secret_column FROM t', 0.004),
    );
    const exposition = await lines('db_client_operation_duration_seconds_bucket');
    assert.ok(
      exposition.some((line) =>
        line.includes(`# {trace_id="${'a'.repeat(32)}",span_id="${'b'.repeat(16)}"}`),
      ),
    );
    assert.ok(!(await renderMetrics()).body.includes('secret_column'));
  });
});

describe('the span processor self-metrics bridge', () => {
  test('the dropped-span series exists at 0 once a processor announces its capacity; drops count', async () => {
    const meter = sdkSelfMetricsProvider().getMeter('@opentelemetry/sdk-trace');
    const attributes = { 'otel.component.type': 'batching_span_processor', 'otel.component.name': 'test/7' };
    meter.createUpDownCounter('otel.sdk.processor.span.queue.capacity').add(16, attributes);
    const dropped = (await lines('otel_sdk_processor_span_processed_total')).filter((line) =>
      line.includes('otel_component_name="test/7"'),
    );
    assert.deepEqual(dropped, [
      'otel_sdk_processor_span_processed_total{otel_component_type="batching_span_processor",otel_component_name="test/7",error_type="queue_full"} 0',
    ]);
    meter
      .createCounter('otel.sdk.processor.span.processed')
      .add(3, { ...attributes, 'error.type': 'queue_full', 'not.a.label': 'x' });
    assert.ok(
      (await lines('otel_sdk_processor_span_processed_total')).some((line) =>
        line.endsWith('test/7",error_type="queue_full"} 3'),
      ),
    );
    let queued = 5;
    const size = meter.createObservableUpDownCounter('otel.sdk.processor.span.queue.size');
    const callback: ObservableCallback = (result) => result.observe(queued, attributes);
    size.addCallback(callback);
    assert.ok(
      (await lines('otel_sdk_processor_span_queue_size')).some((line) => line.endsWith('test/7"} 5')),
    );
    queued = 2;
    assert.ok(
      (await lines('otel_sdk_processor_span_queue_size')).some((line) => line.endsWith('test/7"} 2')),
    );
    size.removeCallback(callback);
    assert.ok(!(await lines('otel_sdk_processor_span_queue_size')).some((line) => line.includes('test/7')));
  });
});

describe('the HTTP server histogram and the endpoint', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((incoming, response) => {
      if (incoming.url === '/metrics') {
        void serveMetrics(incoming, response);
        return;
      }
      recordServerDurations((request) => (request.url === '/things/1' ? '/things/:id' : undefined))(
        incoming,
        response,
        () => {
          response.statusCode = incoming.url === '/things/1' ? 200 : 404;
          response.end();
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const call = (method: string, path: string) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const outgoing = request({ host: '127.0.0.1', port, method, path }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'] ?? '', body }),
        );
      });
      outgoing.on('error', reject).end();
    });

  test('a routed request is labelled with its route; an unrouted one has no route label, never its raw path', async () => {
    await call('GET', '/things/1');
    await call('GET', '/nowhere/12345');
    const counts = await lines('http_server_request_duration_seconds_count');
    assert.ok(
      counts.includes(
        'http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/things/:id"} 1',
      ),
      counts.join('\n'),
    );
    assert.ok(
      counts.includes(
        'http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="404"} 1',
      ),
      counts.join('\n'),
    );
    assert.ok(!counts.some((line) => line.includes('12345')));
  });

  test('the endpoint answers GET in OpenMetrics, ending in # EOF, and 405 to anything else', async () => {
    defineCounter('test_things_total', 'Things.', ['kind']).inc({ kind: 'a' });
    const scraped = await call('GET', '/metrics');
    assert.equal(scraped.status, 200);
    assert.equal(scraped.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    assert.ok(scraped.body.endsWith('# EOF\n'));
    assert.ok(scraped.body.includes('test_things_total{kind="a"} 1'));
    assert.equal((await call('POST', '/metrics')).status, 405);
  });
});

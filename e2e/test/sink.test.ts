import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { startTraceSink, type TraceSink } from '../src/sink/server';
import { flattenSpans, type TraceQueryResponse } from '../src/sink/otlp-json';
import { TraceStore } from '../src/sink/store';

/** A span of another trace, which the SQL span links to. */
const linkedContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
};

/** Emits a two-span trace through a real OTel exporter and returns its trace id. */
async function emitTrace(exporter: SpanExporter, serviceName: string): Promise<string> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('sink-test');
  const parent = tracer.startSpan('GET /documents/:id', {
    kind: SpanKind.SERVER,
    attributes: { 'http.response.status_code': 403, error: true },
  });
  parent.setStatus({ code: SpanStatusCode.ERROR });
  const child = tracer.startSpan(
    'SELECT documents',
    {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'sqlite' },
      links: [{ context: linkedContext }],
    },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('row', { count: 1 });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return parent.spanContext().traceId;
}

async function fetchTrace(sink: TraceSink, traceId: string): Promise<Response> {
  return fetch(`${sink.queryUrl}/api/v3/traces/${traceId}`);
}

describe('trace sink', () => {
  let sink: TraceSink;
  before(async () => {
    sink = await startTraceSink({ otlpPort: 0, queryPort: 0 });
  });
  after(() => sink.close());

  for (const [encoding, makeExporter] of [
    ['protobuf', (url: string) => new OtlpProtobufExporter({ url })],
    ['JSON', (url: string) => new OtlpJsonExporter({ url })],
  ] as const) {
    test(`receives OTLP/HTTP ${encoding} from the OpenTelemetry exporter and serves it in Jaeger's v3 shape`, async () => {
      const traceId = await emitTrace(makeExporter(`${sink.otlpUrl}/v1/traces`), `svc-${encoding}`);
      const response = await fetchTrace(sink, traceId);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      const body = (await response.json()) as TraceQueryResponse;
      assert.ok(Array.isArray(body.result.resourceSpans));
      const spans = flattenSpans(body.result);
      assert.equal(spans.length, 2);
      const server = spans.find((span) => span.kind === 2);
      const sql = spans.find((span) => span.kind === 3);
      assert.equal(server?.service, `svc-${encoding}`);
      assert.equal(server?.traceId, traceId);
      assert.match(server?.spanId ?? '', /^[0-9a-f]{16}$/);
      assert.equal(server?.name, 'GET /documents/:id');
      assert.equal(server?.kind, 2);
      assert.equal(server?.statusCode, 2);
      assert.equal(server?.attributes['http.response.status_code'], 403);
      assert.equal(server?.attributes.error, true);
      assert.equal(sql?.parentSpanId, server?.spanId);
      assert.equal(sql?.kind, 3);
      assert.equal(sql?.attributes['db.system.name'], 'sqlite');
      assert.deepEqual(sql?.events, [{ name: 'row', attributes: { count: 1 } }]);
      assert.ok((sql?.endNs ?? 0n) >= (sql?.startNs ?? 1n));
      const links = sink
        .trace(traceId)
        ?.resourceSpans?.flatMap((resource) => resource.scopeSpans ?? [])
        .flatMap((scope) => scope.spans ?? [])
        .flatMap((span) => span.links ?? []);
      assert.deepEqual(
        links?.map((link) => [link.traceId, link.spanId]),
        [[linkedContext.traceId, linkedContext.spanId]],
        'link ids in lowercase hex, as OTLP/JSON writes them',
      );
    });
  }

  for (const [encoding, makeExporter] of [
    ['protobuf', (url: string) => new OtlpProtobufExporter({ url })],
    ['JSON', (url: string) => new OtlpJsonExporter({ url })],
  ] as const) {
    test(`with recording off, accepts ${encoding} exports and keeps nothing, then records again`, async () => {
      const results: ExportResultCode[] = [];
      const exporter = makeExporter(`${sink.otlpUrl}/v1/traces`);
      const observed: SpanExporter = {
        export: (spans, done) =>
          exporter.export(spans, (result) => {
            results.push(result.code);
            done(result);
          }),
        shutdown: () => exporter.shutdown(),
      };
      sink.setRecording(false);
      let discarded: string;
      try {
        discarded = await emitTrace(observed, `discarded-${encoding}`);
      } finally {
        sink.setRecording(true);
      }
      assert.deepEqual(results, [ExportResultCode.SUCCESS, ExportResultCode.SUCCESS], 'both spans accepted');
      assert.equal(sink.trace(discarded), undefined);
      assert.equal((await fetchTrace(sink, discarded)).status, 404);

      const kept = await emitTrace(observed, `kept-${encoding}`);
      assert.equal((await fetchTrace(sink, kept)).status, 200);
    });
  }

  test('answers 404 with a JSON error for an unknown trace id', async () => {
    const response = await fetchTrace(sink, 'ab'.repeat(16));
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: { httpCode: number; message: string } };
    assert.equal(body.error.httpCode, 404);
    assert.equal(body.error.message, 'trace not found');
  });

  const badRequests: { name: string; path: string; init: RequestInit; status: number }[] = [
    {
      name: 'malformed protobuf',
      path: '/v1/traces',
      status: 400,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: new Uint8Array([0x0a, 0xff, 0xff, 0xff]),
      },
    },
    {
      name: 'invalid JSON',
      path: '/v1/traces',
      status: 400,
      init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":' },
    },
    {
      name: 'JSON that is not an object',
      path: '/v1/traces',
      status: 400,
      init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' },
    },
    {
      name: 'unsupported content type',
      path: '/v1/traces',
      status: 415,
      init: { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' },
    },
    { name: 'GET on the receiver', path: '/v1/traces', status: 405, init: { method: 'GET' } },
    {
      name: 'unknown receiver path',
      path: '/v1/metrics',
      status: 404,
      init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
    },
  ];
  for (const bad of badRequests) {
    test(`rejects ${bad.name} with ${bad.status}`, async () => {
      const response = await fetch(`${sink.otlpUrl}${bad.path}`, bad.init);
      assert.equal(response.status, bad.status);
      const body = (await response.json()) as { error: { message: string } };
      assert.equal(typeof body.error.message, 'string');
    });
  }

  test('rejects a malformed trace id on the query port with 400', async () => {
    const response = await fetchTrace(sink, 'not-a-trace-id');
    assert.equal(response.status, 400);
  });

  test('serves the Jaeger UI link path as a plain-text waterfall', async () => {
    const traceId = await emitTrace(new OtlpJsonExporter({ url: `${sink.otlpUrl}/v1/traces` }), 'svc-page');
    const response = await fetch(`${sink.queryUrl}/trace/${traceId}`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, new RegExp(`trace ${traceId}`));
    assert.match(text, /svc-page S GET \/documents\/:id/);
  });
});

describe('trace store bounds', () => {
  const spanOf = (traceId: string, spanId: string) => ({
    traceId,
    spanId,
    name: 'x',
    startTimeUnixNano: '1',
    endTimeUnixNano: '2',
  });
  const exportOf = (...spans: ReturnType<typeof spanOf>[]) => ({
    resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }],
  });
  const id = (n: number) => n.toString(16).padStart(32, '0');

  test('evicts the least recently updated trace beyond maxTraces', () => {
    const store = new TraceStore({ maxTraces: 2, maxSpans: 100 });
    store.add(exportOf(spanOf(id(1), 'a'.repeat(16))));
    store.add(exportOf(spanOf(id(2), 'b'.repeat(16))));
    store.add(exportOf(spanOf(id(1), 'c'.repeat(16))));
    store.add(exportOf(spanOf(id(3), 'd'.repeat(16))));
    assert.deepEqual(store.traceIds().sort(), [id(1), id(3)]);
    assert.equal(store.spanCount, 3);
  });

  test('evicts oldest traces beyond maxSpans, and trims a single trace that alone is over it', () => {
    const store = new TraceStore({ maxTraces: 100, maxSpans: 3 });
    store.add(exportOf(spanOf(id(1), '1'.repeat(16)), spanOf(id(1), '2'.repeat(16))));
    store.add(exportOf(spanOf(id(2), '3'.repeat(16)), spanOf(id(2), '4'.repeat(16))));
    assert.deepEqual(store.traceIds(), [id(2)]);
    store.add(exportOf(spanOf(id(2), '5'.repeat(16)), spanOf(id(2), '6'.repeat(16))));
    assert.equal(store.spanCount, 3);
    assert.deepEqual(
      flattenSpans(store.trace(id(2)) ?? {}).map((span) => span.spanId[0]),
      ['4', '5', '6'],
    );
  });
});

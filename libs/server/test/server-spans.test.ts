import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startInMemoryTracing } from '@mesh/tracing';

// The SDK starts before express and http are loaded, as in a service.
const tracing = startInMemoryTracing({ name: 'server-test', version: '0.0.1' });

let server: Server;
let baseUrl: string;

before(async () => {
  const { createApp, listen, badRequest, portOf } = await import('../src');
  const { createLogger } = await import('@mesh/tracing');
  const log = createLogger('server-test', 'silent');
  const app = createApp({ log, version: '0.0.1' }, (routes) => {
    routes.get('/items/:id', (request, response) => {
      response.json({ id: request.params.id, traceId: trace.getActiveSpan()?.spanContext().traceId });
    });
    routes.post('/items', (request, response) => {
      const body = request.body as { name?: unknown };
      if (typeof body?.name !== 'string') throw badRequest('name must be a string');
      response.status(201).json(body);
    });
    routes.get('/missing/:id', (_request, response) => {
      response.status(404).json({});
    });
  });
  server = await listen(app, { port: 0, log, name: 'test' });
  baseUrl = `http://127.0.0.1:${portOf(server)}`;
});

after(async () => {
  const { closeServers } = await import('../src');
  await closeServers([server]);
  await tracing.handle.shutdown();
});

beforeEach(() => tracing.reset());

async function serverSpans(): Promise<ReadableSpan[]> {
  return (await tracing.spans()).filter((span) => span.kind === SpanKind.SERVER);
}

describe('the top-level server span', () => {
  it('is named {METHOD} {route} and carries the stable http attributes', async () => {
    const response = await fetch(`${baseUrl}/items/42?x=1`);
    assert.equal(response.status, 200);
    const [span] = await serverSpans();
    assert.ok(span);
    assert.equal(span.name, 'GET /items/:id');
    assert.equal(span.attributes['http.request.method'], 'GET');
    assert.equal(span.attributes['http.response.status_code'], 200);
    assert.equal(span.attributes['url.path'], '/items/42');
    assert.equal(span.attributes['http.route'], '/items/:id');
    assert.equal(span.attributes.error, undefined);
    assert.notEqual(span.status.code, SpanStatusCode.ERROR);
  });

  const statuses = [
    { path: '/missing/1', method: 'GET', status: 404, name: 'GET /missing/:id' },
    { path: '/items', method: 'POST', status: 400, body: '{"name":7}', name: 'POST /items' },
    { path: '/items', method: 'POST', status: 400, body: '{not json', name: 'POST' },
    { path: '/nowhere', method: 'GET', status: 404, name: 'GET' },
  ];
  for (const row of statuses) {
    it(`marks error=true and status ERROR for ${row.status} on ${row.method} ${row.path}`, async () => {
      const response = await fetch(`${baseUrl}${row.path}`, {
        method: row.method,
        body: row.body,
        headers: row.body ? { 'content-type': 'application/json' } : {},
      });
      assert.equal(response.status, row.status);
      const [span] = await serverSpans();
      assert.ok(span);
      assert.equal(span.name, row.name);
      assert.equal(span.attributes.error, true);
      assert.equal(span.status.code, SpanStatusCode.ERROR);
    });
  }

  it('sets traceresponse to the server span of the request', async () => {
    const response = await fetch(`${baseUrl}/items/1`);
    const header = response.headers.get('traceresponse');
    assert.match(header ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [span] = await serverSpans();
    assert.equal(header, `00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01`);
  });

  for (const path of ['/health/alive', '/health/ready', '/version']) {
    it(`makes no span for ${path}`, async () => {
      const response = await fetch(`${baseUrl}${path}`);
      assert.equal(response.status, 200);
      assert.equal((await tracing.spans()).length, 0);
    });
  }
});

describe('joining the caller trace', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentId = '00f067aa0ba902b7';
  const formats: { name: string; headers: Record<string, string> }[] = [
    { name: 'W3C traceparent', headers: { traceparent: `00-${traceId}-${parentId}-01` } },
    { name: 'Jaeger uber-trace-id', headers: { 'uber-trace-id': `${traceId}:${parentId}:0:1` } },
    { name: 'B3 single', headers: { b3: `${traceId}-${parentId}-1` } },
    { name: 'B3 multi', headers: { 'x-b3-traceid': traceId, 'x-b3-spanid': parentId, 'x-b3-sampled': '1' } },
  ];
  for (const format of formats) {
    it(`joins a ${format.name} context`, async () => {
      const response = await fetch(`${baseUrl}/items/1`, { headers: format.headers });
      assert.equal(response.status, 200);
      const [span] = await serverSpans();
      assert.ok(span);
      assert.equal(span.spanContext().traceId, traceId);
      assert.equal(span.parentSpanContext?.spanId, parentId);
      assert.equal(span.parentSpanContext?.isRemote, true);
    });
  }

  it('respects an unsampled caller: no span is recorded, the request is served', async () => {
    const response = await fetch(`${baseUrl}/items/1`, {
      headers: { traceparent: `00-${traceId}-${parentId}-00` },
    });
    assert.equal(response.status, 200);
    assert.equal((await tracing.spans()).length, 0);
  });

  const malformed: Record<string, string>[] = [
    { traceparent: 'garbage' },
    { traceparent: `00-${'0'.repeat(32)}-${parentId}-01` },
    { traceparent: `00-${traceId}-${'0'.repeat(16)}-01` },
    { traceparent: `ff-${traceId}-${parentId}-01` },
    { traceparent: `00-${traceId.toUpperCase()}-${parentId}-01` },
    { traceparent: `00-${traceId}-${parentId}` },
    { 'uber-trace-id': 'not:a:jaeger:id' },
    { 'uber-trace-id': `${traceId}:${'0'.repeat(16)}:0:1` },
    { 'uber-trace-id': 'x'.repeat(300) },
    { b3: 'nonsense' },
    { b3: `${traceId}-zzzz-1` },
    { 'x-b3-traceid': 'not-hex', 'x-b3-spanid': parentId },
    { baggage: '===;;;,,,' },
    { baggage: `k=${'v'.repeat(9000)}` },
  ];
  for (const headers of malformed) {
    it(`starts a new root for ${JSON.stringify(headers).slice(0, 80)}`, async () => {
      const response = await fetch(`${baseUrl}/items/1`, { headers });
      assert.equal(response.status, 200);
      const [span] = await serverSpans();
      assert.ok(span, 'the request is still traced');
      assert.equal(span.parentSpanContext, undefined);
      assert.notEqual(span.spanContext().traceId, traceId);
    });
  }
});

describe('limits and error shape', () => {
  it('answers 413 in the Ory shape for a body over 1 MB', async () => {
    const response = await fetch(`${baseUrl}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }),
    });
    assert.equal(response.status, 413);
    const body = (await response.json()) as { error: { code: number; status: string } };
    assert.equal(body.error.code, 413);
    assert.equal(body.error.status, 'Payload Too Large');
  });

  it('answers 431 in the Ory shape for headers over 16 KB', async () => {
    const response = await fetch(`${baseUrl}/items/1`, { headers: { 'x-big': 'a'.repeat(17 * 1024) } });
    assert.equal(response.status, 431);
    const body = (await response.json()) as { error: { code: number } };
    assert.equal(body.error.code, 431);
  });

  it('answers a thrown HttpError with its status and reason, never a stack', async () => {
    const response = await fetch(`${baseUrl}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":1}',
    });
    assert.equal(response.status, 400);
    const text = await response.text();
    assert.deepEqual(JSON.parse(text), {
      error: {
        code: 400,
        status: 'Bad Request',
        reason: 'name must be a string',
        message: 'The request was malformed or contained invalid parameters',
      },
    });
    assert.doesNotMatch(text, /at .*\.js/);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTraceSink, type TraceSink } from '../src/sink/server';
import { TraceStore } from '../src/sink/store';
import type { Span, TracesData } from '../src/sink/otlp-json';

const hex = (n: number, length: number) => n.toString(16).padStart(length, '0');
const traceIdOf = (n: number) => hex(n, 32);
const base = BigInt(Date.now()) * 1_000_000n;

interface SpanSpec {
  service: string;
  id: number;
  parent?: number;
  name: string;
  kind?: number;
  startMs: number;
  endMs: number;
  error?: boolean;
  attributes?: Record<string, string | number>;
}

/** One trace as OTLP/JSON, one resource per service. */
function traceOf(trace: number, specs: SpanSpec[]): TracesData {
  const byService = new Map<string, Span[]>();
  for (const spec of specs) {
    const span: Span = {
      traceId: traceIdOf(trace),
      spanId: hex(spec.id, 16),
      parentSpanId: spec.parent === undefined ? undefined : hex(spec.parent, 16),
      name: spec.name,
      kind: spec.kind ?? 2,
      startTimeUnixNano: String(base + BigInt(trace) * 10_000_000_000n + BigInt(spec.startMs * 1e6)),
      endTimeUnixNano: String(base + BigInt(trace) * 10_000_000_000n + BigInt(spec.endMs * 1e6)),
      attributes: Object.entries(spec.attributes ?? {}).map(([key, value]) => ({
        key,
        value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
      })),
      status: spec.error ? { code: 2, message: 'denied' } : { code: 0 },
      events: spec.error
        ? [
            {
              name: 'exception',
              timeUnixNano: String(base),
              attributes: [{ key: 'exception.message', value: { stringValue: 'nope' } }],
            },
          ]
        : [],
      links:
        spec.id === 1 && trace === 2 ? [{ traceId: traceIdOf(1), spanId: hex(1, 16), attributes: [] }] : [],
    };
    byService.set(spec.service, [...(byService.get(spec.service) ?? []), span]);
  }
  return {
    resourceSpans: [...byService].map(([service, spans]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'test' }, spans }],
    })),
  };
}

const allowed = traceOf(1, [
  {
    service: 'gateway',
    id: 1,
    name: 'GET /documents/doc-1',
    startMs: 0,
    endMs: 40,
    attributes: { 'http.response.status_code': 200 },
  },
  { service: 'gateway', id: 2, parent: 1, name: 'authn.cookie_session', kind: 1, startMs: 1, endMs: 10 },
  { service: 'identity', id: 3, parent: 2, name: 'GET /sessions/whoami', startMs: 2, endMs: 9 },
  { service: 'permission', id: 4, parent: 1, name: 'POST /relation-tuples/check', startMs: 11, endMs: 20 },
  { service: 'permission', id: 5, parent: 4, name: 'permission.check', kind: 1, startMs: 12, endMs: 19 },
  { service: 'documents', id: 6, parent: 1, name: 'GET /documents/:id', startMs: 22, endMs: 38 },
]);
const denied = traceOf(2, [
  {
    service: 'gateway',
    id: 1,
    name: 'GET /documents/doc-1',
    startMs: 0,
    endMs: 25,
    error: true,
    attributes: { 'http.response.status_code': 403 },
  },
  { service: 'identity', id: 3, parent: 1, name: 'GET /sessions/whoami', startMs: 2, endMs: 9 },
  {
    service: 'permission',
    id: 4,
    parent: 1,
    name: 'POST /relation-tuples/check',
    startMs: 11,
    endMs: 20,
    error: true,
  },
  {
    service: 'permission',
    id: 5,
    parent: 4,
    name: '<script>alert(1)</script>',
    kind: 1,
    startMs: 12,
    endMs: 19,
  },
]);

describe('trace explorer', () => {
  let sink: TraceSink;
  const get = (path: string, accept = 'text/html') =>
    fetch(`${sink.queryUrl}${path}`, { headers: { accept } });
  /** A page's markup with runs of white space as one space (the templates are formatted over lines). */
  const pageOf = async (path: string) =>
    (await (await get(path)).text()).replace(/\s+/g, ' ').replace(/> </g, '><');

  before(async () => {
    sink = await startTraceSink({ otlpPort: 0, queryPort: 0 });
    sink.store.add(allowed);
    sink.store.add(denied);
  });
  after(() => sink.close());

  it('lists recent traces with root service and span, duration, span count and errors', async () => {
    const response = await get('/search');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const page = await pageOf('/search');
    assert.match(page, /2 traces/);
    assert.match(page, new RegExp(`href="/trace/${traceIdOf(1)}"`));
    assert.match(page, /gateway: GET \/documents\/doc-1/);
    assert.match(page, /40\.0 ms/);
    assert.match(page, /1 error|2 errors/);
  });

  const searchCases: { name: string; query: string; expect: number[] }[] = [
    { name: 'service', query: 'service=documents', expect: [1] },
    { name: 'service and operation', query: 'service=permission&operation=permission.check', expect: [1] },
    { name: 'error', query: 'error=true', expect: [2] },
    { name: 'no error', query: 'error=false', expect: [1] },
    { name: 'min duration', query: 'minDuration=30ms', expect: [1] },
    { name: 'max duration', query: 'maxDuration=30ms', expect: [2] },
    { name: 'attribute', query: 'tags=http.response.status_code%3D403', expect: [2] },
    { name: 'nothing', query: 'service=nobody', expect: [] },
  ];
  for (const { name, query, expect } of searchCases) {
    it(`search by ${name}`, async () => {
      const page = await pageOf(`/search?${query}`);
      const found = [...page.matchAll(/href="\/trace\/([0-9a-f]{32})"/g)].map((match) =>
        parseInt(match[1]!, 16),
      );
      assert.deepEqual(found.sort(), expect);
    });
  }

  it('says which search field is wrong, with 400', async () => {
    const response = await get('/search?minDuration=fast');
    assert.equal(response.status, 400);
    assert.match(
      (await response.text()).replace(/\s+/g, ' '),
      /role="alert"[^>]*> ?minDuration &quot;fast&quot; is not a duration/,
    );
  });

  it('shows the waterfall with every span, bars to scale, escaped names, and a selected span’s details', async () => {
    const response = await get(`/trace/${traceIdOf(2)}?span=${hex(1, 16)}`);
    assert.equal(response.status, 200);
    const page = await pageOf(`/trace/${traceIdOf(2)}?span=${hex(1, 16)}`);
    assert.ok(!page.includes('<script>alert(1)</script>'), 'span names are escaped');
    assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    for (const service of ['gateway', 'identity', 'permission'])
      assert.match(page, new RegExp(`${service}: `));
    // identity's span runs 2-9 ms of 25 ms: left 8%, width 28%.
    assert.match(page, /left:8\.000%;width:28\.000%/);
    const detail = page.match(
      /<section class="detail" id="detail-0000000000000001"[^>]*>([\s\S]*?)<\/section>/,
    );
    assert.ok(detail, 'the selected span has a details panel');
    assert.ok(!/^[^>]*hidden/.test(detail[0]), 'the selected panel is open');
    for (const text of [
      'Attributes',
      'http.response.status_code',
      'Events',
      'exception',
      'Links',
      traceIdOf(1),
      'Resource',
      'service.name',
      'ERROR: denied',
    ]) {
      assert.ok(detail[1]!.includes(text), `details show ${text}`);
    }
    assert.match(page, /<section class="detail" id="detail-0000000000000003"[^>]*hidden/);
    assert.match(page, /<details open><summary class="toggle"/);
  });

  it('answers curl at /trace/{id} with the terminal waterfall, and an unknown trace with 404', async () => {
    const text = await (await get(`/trace/${traceIdOf(1)}`, '*/*')).text();
    assert.match(text, new RegExp(`^trace ${traceIdOf(1)}`));
    assert.equal((await get(`/trace/${traceIdOf(99)}`)).status, 404);
  });

  it('draws the service graph with call and error counts, and per-operation rate, errors and percentiles', async () => {
    const page = await pageOf('/dependencies');
    assert.match(page, /<svg role="img"/);
    assert.match(page, /gateway calls permission 2 times \(1 errors\)/);
    assert.match(page, /gateway calls identity 2 times \(0 errors\)/);
    assert.match(page, /gateway calls documents 1 times/);
    assert.match(page, />2 calls, 1 error</);
    const cells = page
      .split('<tr>')
      .filter((row) => row.includes('POST /relation-tuples/check<') && row.includes('>server<'))
      .map((row) =>
        [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, '').trim()),
      );
    assert.equal(cells.length, 1, 'one row for the permission check operation');
    const [service, operation, kind, count, rate, errors, p50, p99] = cells[0]!;
    assert.deepEqual(
      [service, operation, kind, count, errors, p50, p99],
      ['permission', 'POST /relation-tuples/check', 'server', '2', '1 (50.0%)', '9.00 ms', '9.00 ms'],
    );
    assert.ok(Number(rate) > 0, `rate ${rate}`);
  });

  it('serves the Jaeger v3 query API: services, operations, search and one trace', async () => {
    assert.deepEqual(await (await get('/api/v3/services', 'application/json')).json(), {
      services: ['documents', 'gateway', 'identity', 'permission'],
    });
    const operations = (await (
      await get('/api/v3/operations?service=permission&span_kind=internal')
    ).json()) as { operations: unknown[] };
    assert.deepEqual(operations.operations, [
      { name: '<script>alert(1)</script>', spanKind: 'internal' },
      { name: 'permission.check', spanKind: 'internal' },
    ]);
    const min = new Date(Date.now() - 3_600_000).toISOString();
    const max = new Date(Date.now() + 3_600_000).toISOString();
    const search = await get(
      `/api/v3/traces?query.service_name=gateway&query.start_time_min=${min}&query.start_time_max=${max}&query.attributes=${encodeURIComponent('{"http.response.status_code":"403"}')}`,
    );
    assert.equal(search.status, 200);
    const body = (await search.json()) as { result: TracesData };
    const traceIds = new Set(
      body.result.resourceSpans?.flatMap(
        (r) => r.scopeSpans?.flatMap((s) => s.spans?.map((span) => span.traceId) ?? []) ?? [],
      ),
    );
    assert.deepEqual([...traceIds], [traceIdOf(2)]);
    const missing = await get('/api/v3/traces?query.service_name=gateway');
    assert.equal(missing.status, 400);
    assert.match(
      ((await missing.json()) as { error: { message: string } }).error.message,
      /start_time_min and query.start_time_max are required/,
    );
    const badDuration = await get(
      `/api/v3/traces?query.start_time_min=${min}&query.start_time_max=${max}&query.duration_min=soon`,
    );
    assert.equal(badDuration.status, 400);
  });
});

describe('trace store byte bound', () => {
  it('evicts the oldest traces once the approximate bytes pass maxBytes', () => {
    const store = new TraceStore({ maxTraces: 1000, maxSpans: 100_000, maxBytes: 4_000 });
    for (let trace = 1; trace <= 50; trace += 1)
      store.add(traceOf(trace, [{ service: 's', id: 1, name: 'x'.repeat(200), startMs: 0, endMs: 1 }]));
    assert.ok(store.byteCount <= 4_000, `${store.byteCount} bytes`);
    assert.ok(store.traceCount < 50 && store.traceCount > 1, `${store.traceCount} traces`);
    assert.ok(store.traceIds().includes(traceIdOf(50)), 'the newest trace stays');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlatSpan } from '../src/sink/otlp-json';
import { renderWaterfall } from '../src/waterfall';

const ms = 1_000_000n;
const traceId = 'ab'.repeat(16);

function span(
  spanId: string,
  parent: string | undefined,
  service: string,
  name: string,
  kind: number,
  startMs: number,
  endMs: number,
  extra: Partial<FlatSpan> = {},
): FlatSpan {
  return {
    service,
    resource: { 'service.name': service },
    scope: '',
    traceId,
    spanId: spanId.padStart(16, '0'),
    parentSpanId: parent?.padStart(16, '0'),
    name,
    kind,
    startNs: BigInt(startMs) * ms,
    endNs: BigInt(endMs) * ms,
    attributes: {},
    events: [],
    statusCode: 0,
    statusMessage: undefined,
    ...extra,
  };
}

const spans = [
  span('1', undefined, 'gateway', 'GET /documents/<.*>', 2, 0, 100, {
    statusCode: 2,
    attributes: { 'http.response.status_code': 403, error: true },
  }),
  span('3', '1', 'gateway', 'authz.remote_json', 1, 50, 90, { attributes: { 'gateway.decision': 'deny' } }),
  span('2', '1', 'gateway', 'rule.match', 1, 0, 1),
  span('4', '3', 'permission', 'POST /relation-tuples/check', 2, 60, 80),
  span('5', '4', 'permission', 'SELECT relation_tuples', 3, 65, 70, {
    attributes: { 'db.system.name': 'sqlite' },
  }),
  span('6', 'ff', 'documents', 'GET /documents/:id', 2, 10, 20),
];

test('draws every span under its parent, siblings by start, with kinds, durations, bars to scale and errors', () => {
  const lines = renderWaterfall(spans, { width: 100 }).trimEnd().split('\n');
  assert.match(
    lines[0] ?? '',
    new RegExp(
      `^trace ${traceId}  6 spans  3 services \\(gateway, permission, documents\\)  100\\.0ms  1 with errors$`,
    ),
  );
  const body = lines.slice(1, 7);
  assert.deepEqual(
    body.map((line) => line.split('|')[0]?.trimEnd()),
    [
      'gateway    S GET /documents/<.*>               100.0ms',
      'gateway    I   rule.match                       1.00ms',
      'gateway    I   authz.remote_json                40.0ms',
      'permission S     POST /relation-tuples/check    20.0ms',
      'permission C       SELECT relation_tuples       5.00ms',
      'documents  S ↑ GET /documents/:id               10.0ms',
    ],
  );
  const bar = (line: string) => line.split('|')[1] ?? '';
  const root = bar(body[0] ?? '');
  const width = root.length;
  assert.equal(root.trim().length, width, 'the root spans the whole time line');
  const authz = bar(body[2] ?? '');
  assert.equal(authz.indexOf('█'), Math.floor(0.5 * width), 'a bar starts where its span starts');
  assert.equal(authz.trim().length, Math.round(0.4 * width), 'a bar is as long as its span');
  assert.match(body[0] ?? '', /\| ✗ 403$/, 'errors are marked, with the status');
  assert.match(body[2] ?? '', /decision=deny$/);
  assert.equal(lines.at(-1), '↑ = the parent span is not in this trace');
});

test('colours services and errors only when asked', () => {
  assert.doesNotMatch(renderWaterfall(spans, { color: false }), /\[3\dm/);
  assert.match(renderWaterfall(spans, { color: true }), /\[31m✗/);
  assert.equal(renderWaterfall([]), '(no spans)\n');
});

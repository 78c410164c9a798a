import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { startInMemoryTracing } from '@mesh/tracing';

// The SDK starts before the gateway loads express and its http clients, as `gateway serve` does.
const tracing = startInMemoryTracing({ name: 'gateway', version: 'test' });

import type { GatewayServers } from '../src/serve';

type Behaviour = (response: ServerResponse) => void;

interface Stub {
  url: string;
  behaviour: Behaviour;
  requests: IncomingHttpHeaders[];
  /** Method, path and body of each request, in arrival order. */
  received: { method: string; url: string; body: string }[];
  server: Server;
}

async function stub(initial: Behaviour): Promise<Stub> {
  const state: Stub = { url: '', behaviour: initial, requests: [], received: [], server: createServer() };
  state.server.on('request', (request, response) => {
    state.requests.push(request.headers);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      state.received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
      });
      state.behaviour(response);
    });
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

const json =
  (status: number, body: unknown): Behaviour =>
  (response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
const text =
  (status: number, body: string): Behaviour =>
  (response) => {
    response.writeHead(status);
    response.end(body);
  };
const never: Behaviour = () => undefined;

const session = json(200, {
  id: 's-1',
  active: true,
  identity: { id: 'user-1', traits: { email: 'u@example.com' } },
});

describe('the gateway pipeline against stub dependencies', () => {
  let identity: Stub;
  let permission: Stub;
  let upstream: Stub;
  let gateway: GatewayServers;
  let gatewayUrl: string;

  before(async () => {
    identity = await stub(session);
    permission = await stub(json(200, { allowed: true }));
    upstream = await stub(json(200, { ok: true }));
    const file = join(mkdtempSync(join(tmpdir(), 'gateway-pipeline-')), 'rules.yml');
    writeFileSync(
      file,
      JSON.stringify([
        {
          id: 'documents',
          match: { url: 'http://<[^/]+>/documents/<[^/]+>', methods: ['GET'] },
          authenticators: [
            {
              handler: 'cookie_session',
              config: { check_session_url: `${identity.url}/sessions/whoami`, preserve_path: true },
            },
            {
              handler: 'bearer_token',
              config: { check_session_url: `${identity.url}/sessions/whoami`, preserve_path: true },
            },
          ],
          authorizer: {
            handler: 'remote_json',
            config: {
              remote: `${permission.url}/relation-tuples/check`,
              payload:
                '{"namespace":"documents","object":"{{ printIndex .MatchContext.RegexpCaptureGroups 1 }}","relation":"view","subject_id":"{{ print .Subject }}"}',
            },
          },
          mutators: [{ handler: 'header', config: { headers: { 'X-User': '{{ print .Subject }}' } } }],
          upstream: { url: upstream.url },
        },
        {
          id: 'api',
          match: { url: 'http://<[^/]+>/api/<.*>', methods: ['POST'] },
          authenticators: [{ handler: 'anonymous' }],
          authorizer: { handler: 'allow' },
          mutators: [{ handler: 'noop' }],
          upstream: { url: `${upstream.url}/base`, strip_path: '/api', preserve_host: true },
        },
      ]),
    );
    const [{ testGatewayConfig }, { serve }, { portOf }, { createLogger }] = await Promise.all([
      import('./support/gateway-config'),
      import('../src/serve'),
      import('@mesh/server'),
      import('@mesh/tracing'),
    ]);
    const config = testGatewayConfig(file, ['timeouts.handlers=1s']);
    gateway = await serve(config, { log: createLogger('gateway', 'silent') });
    gatewayUrl = `http://127.0.0.1:${portOf(gateway.proxyServer)}`;
  });

  after(async () => {
    await gateway.stop();
    for (const server of [identity, permission, upstream]) {
      server.server.closeAllConnections();
      server.server.close();
    }
  });

  beforeEach(() => {
    identity.behaviour = session;
    permission.behaviour = json(200, { allowed: true });
    identity.requests.length = 0;
    permission.requests.length = 0;
    upstream.requests.length = 0;
    upstream.received.length = 0;
  });

  const get = (headers: Record<string, string> = { cookie: 'ory_kratos_session=token-1' }) =>
    fetch(`${gatewayUrl}/documents/doc-1`, { headers, signal: AbortSignal.timeout(5_000) });

  const failures: [string, () => void, number][] = [
    ['identity answers 200 with garbage', () => (identity.behaviour = text(200, 'not json')), 502],
    ['identity answers 200 without a subject', () => (identity.behaviour = json(200, { identity: {} })), 502],
    ['identity answers 500', () => (identity.behaviour = text(500, 'boom')), 502],
    ['identity is slower than the timeout', () => (identity.behaviour = never), 503],
    ['identity says the session is invalid', () => (identity.behaviour = json(401, {})), 401],
    ['permission answers 418', () => (permission.behaviour = text(418, 'teapot')), 502],
    ['permission answers 500', () => (permission.behaviour = text(500, '')), 502],
    ['permission is slower than the timeout', () => (permission.behaviour = never), 503],
    ['permission denies', () => (permission.behaviour = json(403, { allowed: false })), 403],
  ];
  for (const [name, arrange, status] of failures) {
    it(`fails closed with ${status} when ${name}; nothing reaches the upstream`, async () => {
      arrange();
      const response = await get();
      const body = (await response.json()) as { error: { code: number; reason?: string } };
      assert.equal(response.status, status, JSON.stringify(body.error));
      assert.equal(body.error.code, status);
      assert.equal(upstream.requests.length, 0);
    });
  }

  it('spans: rule.match, authn, authz with the decision, mutate, upstream; context injected in every format', async () => {
    await tracing.reset();
    const response = await get({ cookie: 'ory_kratos_session=token-1', 'x-user': 'forged' });
    assert.equal(response.status, 200);
    const spans = await tracing.spans();
    // The stubs run in this process too; the gateway's span is the root server span.
    const server = spans.find((span) => span.kind === SpanKind.SERVER && !span.parentSpanContext);
    assert.equal(server?.name, 'GET /documents/<[^/]+>');
    const children = spans.filter((span) => span.parentSpanContext?.spanId === server?.spanContext().spanId);
    assert.deepEqual(
      children.map((span) => span.name),
      ['rule.match', 'authn.cookie_session', 'authz.remote_json', 'mutate.header', 'upstream'],
    );
    assert.equal(children[0]?.attributes['gateway.rule.id'], 'documents');
    assert.equal(children[1]?.attributes['gateway.subject'], 'user-1');
    assert.equal(children[2]?.attributes['gateway.decision'], 'allow');
    const upstreamSpan = children[4];
    assert.equal(upstreamSpan?.kind, SpanKind.CLIENT);
    const upstreamHeaders = upstream.requests[0] ?? {};
    assert.equal(upstreamHeaders['x-user'], 'user-1', 'the mutator set X-User and the forged one is gone');
    const traceId = server?.spanContext().traceId;
    const parentId = upstreamSpan?.spanContext().spanId;
    assert.equal(upstreamHeaders.traceparent, `00-${traceId}-${parentId}-01`);
    assert.equal(upstreamHeaders['uber-trace-id'], `${traceId}:${parentId}:0:01`);
    assert.equal(upstreamHeaders.b3, `${traceId}-${parentId}-1`);
    assert.equal(upstreamHeaders['x-b3-traceid'], traceId);
    for (const dependency of [identity, permission]) {
      const headers = dependency.requests[0] ?? {};
      assert.match(String(headers.traceparent), new RegExp(`^00-${traceId}-`));
      assert.ok(headers['uber-trace-id'] && headers.b3, 'Jaeger and B3 on the dependency calls too');
    }
    assert.ok(
      !JSON.stringify(spans.map((span) => span.attributes)).includes('token-1'),
      'no session token in any span',
    );
  });

  it('proxies: streams the body, strip_path, preserve_host, X-Forwarded-*, no hop-by-hop headers, query kept', async () => {
    const chunks = ['{"part":1,', '"part2":"', 'x'.repeat(200_000), '"}'];
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${gatewayUrl}/api/items/7?q=1`, {
        method: 'POST',
        headers: {
          host: 'public.example:8080',
          connection: 'keep-alive, x-hop',
          'x-hop': 'secret-hop',
          'keep-alive': 'timeout=5',
          te: 'trailers',
          'x-forwarded-for': '203.0.113.9',
          'content-type': 'application/json',
        },
      });
      request.on('response', (answer) => {
        answer.resume();
        answer.on('end', () => resolve(answer.statusCode ?? 0));
      });
      request.on('error', reject);
      // Written in pieces (chunked): the gateway passes them on as they come.
      for (const chunk of chunks) request.write(chunk);
      request.end();
    });
    assert.equal(status, 200);
    const [received] = upstream.received;
    const headers = upstream.requests[0] ?? {};
    assert.equal(received?.method, 'POST');
    assert.equal(
      received?.url,
      '/base/items/7?q=1',
      'strip_path removed /api, the upstream base path was kept',
    );
    assert.equal(received?.body, chunks.join(''), 'the body arrived whole');
    assert.equal(headers.host, 'public.example:8080', 'preserve_host');
    assert.equal(headers['x-forwarded-host'], 'public.example:8080');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.match(String(headers['x-forwarded-for']), /^203\.0\.113\.9, (::ffff:)?127\.0\.0\.1$/);
    for (const hop of ['x-hop', 'keep-alive', 'te']) assert.equal(headers[hop], undefined, `${hop} dropped`);
  });
});

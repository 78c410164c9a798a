import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { startInMemoryTracing } from '@mesh/tracing';

// The SDK starts before the gateway loads express and its http clients, as `gateway serve` does.
const tracing = startInMemoryTracing({ name: 'gateway', version: 'test' });

import type { GatewayServers } from '../src/serve';
import { chunked, rawRequest } from './support/raw-http';

interface Received {
  method: string;
  url: string;
  body: string;
  headers: IncomingHttpHeaders;
}

/** A real server with the mesh's own listener (16 KB header limit), recording every request it parses. */
interface Recorder {
  port: number;
  received: Received[];
  server: Server;
}

const methods = ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST', 'PUT'] as const;

describe('gateway security: smuggling, Host splicing, trace header amplification (raw sockets)', () => {
  let upstream: Recorder;
  let identity: Recorder;
  let gateway: GatewayServers;
  let proxyPort: number;
  let apiPort: number;

  before(async () => {
    const [{ loadConfig }, { gatewaySchema }, { serve }, { listen, portOf }, { createLogger }] =
      await Promise.all([
        import('@mesh/config'),
        import('../src/config'),
        import('../src/serve'),
        import('@mesh/server'),
        import('@mesh/tracing'),
      ]);
    const log = createLogger('gateway', 'silent');
    const recorder = async (answer: (request: Received) => [number, string]): Promise<Recorder> => {
      const state: Recorder = { port: 0, received: [], server: undefined as unknown as Server };
      state.server = await listen(
        (request, response) => {
          const chunks: Buffer[] = [];
          request.on('data', (chunk: Buffer) => chunks.push(chunk));
          request.on('end', () => {
            const received = {
              method: request.method ?? '',
              url: request.url ?? '',
              body: Buffer.concat(chunks).toString('latin1'),
              headers: request.headers,
            };
            state.received.push(received);
            const [status, body] = answer(received);
            response.writeHead(status, {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              'x-answer-for': String(request.headers['x-client-id'] ?? ''),
              'x-answer-url': request.url ?? '',
            });
            response.end(body);
          });
        },
        { port: 0, log, name: 'recorder' },
      );
      state.port = portOf(state.server);
      return state;
    };
    upstream = await recorder((request) => [
      200,
      JSON.stringify({ url: request.url, client: request.headers['x-client-id'] ?? '' }),
    ]);
    identity = await recorder(() => [200, JSON.stringify({ identity: { id: 'user-1' } })]);
    const anyMethod = [...methods];
    const file = join(mkdtempSync(join(tmpdir(), 'gateway-security-')), 'rules.yml');
    writeFileSync(
      file,
      JSON.stringify([
        {
          id: 'documents',
          match: { url: 'http://<[^/]+>/documents/<.+>', methods: anyMethod },
          authenticators: [{ handler: 'anonymous' }],
          authorizer: { handler: 'allow' },
          mutators: [{ handler: 'header', config: { headers: { 'X-User': '{{ print .Subject }}' } } }],
          upstream: { url: `http://127.0.0.1:${upstream.port}` },
        },
        {
          id: 'public',
          match: { url: 'http://<[^/]+>/public/<.+>', methods: anyMethod },
          authenticators: [{ handler: 'noop' }],
          authorizer: { handler: 'allow' },
          mutators: [{ handler: 'noop' }],
          upstream: { url: `http://127.0.0.1:${upstream.port}` },
        },
        {
          id: 'private',
          match: { url: 'http://<[^/]+>/private/<.+>', methods: anyMethod },
          authenticators: [{ handler: 'noop' }],
          authorizer: { handler: 'deny' },
          mutators: [{ handler: 'noop' }],
          upstream: { url: `http://127.0.0.1:${upstream.port}` },
        },
        {
          id: 'traced',
          match: { url: 'http://<[^/]+>/traced/<.+>', methods: ['GET'] },
          authenticators: [
            {
              handler: 'cookie_session',
              config: {
                check_session_url: `http://127.0.0.1:${identity.port}/sessions/whoami`,
                preserve_path: true,
              },
            },
          ],
          authorizer: { handler: 'allow' },
          mutators: [{ handler: 'noop' }],
          upstream: { url: `http://127.0.0.1:${upstream.port}` },
        },
      ]),
    );
    const config = loadConfig<import('../src/config').GatewayConfig>({
      schema: gatewaySchema,
      env: {},
      flags: ['serve.proxy.port=0', 'serve.api.port=0', `access_rules.repositories=file://${file}`],
    });
    gateway = await serve(config, { log });
    proxyPort = portOf(gateway.proxyServer);
    apiPort = portOf(gateway.apiServer);
  });

  after(async () => {
    await gateway.stop();
    for (const recorder of [upstream, identity]) {
      recorder.server.closeAllConnections();
      recorder.server.close();
    }
  });

  beforeEach(() => {
    upstream.received.length = 0;
    identity.received.length = 0;
  });

  const smuggled =
    'GET /documents/doc-1 HTTP/1.1\r\nHost: gateway.test\r\nX-Client-Id: planted\r\nX-User: alice\r\n\r\n';

  for (const method of methods) {
    for (const framing of ['chunked', 'content-length'] as const) {
      it(`${method} with a ${framing} body carrying a second request: one upstream request per client request`, async () => {
        const framingHeader: [string, string] =
          framing === 'chunked'
            ? ['Transfer-Encoding', 'chunked']
            : ['Content-Length', String(Buffer.byteLength(smuggled))];
        const attack = await rawRequest(
          proxyPort,
          method,
          '/documents/doc-2',
          [['Host', 'gateway.test'], ['X-Client-Id', 'attacker'], framingHeader],
          framing === 'chunked' ? chunked(smuggled) : smuggled,
        );
        // The next callers reuse the gateway's pooled upstream connections.
        const followers = [];
        for (let index = 0; index < 3; index += 1) {
          followers.push(
            await rawRequest(proxyPort, 'GET', `/documents/next-${index}`, [
              ['Host', 'gateway.test'],
              ['X-Client-Id', `next-${index}`],
            ]),
          );
        }
        assert.ok(
          attack.status === 200 || attack.status === 400,
          `the attack is forwarded framed or refused, got ${attack.status}`,
        );
        if (attack.status === 200) assert.equal(attack.headers['x-answer-for'], 'attacker');
        for (const [index, follower] of followers.entries()) {
          assert.equal(follower.status, 200);
          assert.equal(follower.headers['x-answer-for'], `next-${index}`, 'no caller gets another answer');
          assert.equal(follower.headers['x-answer-url'], `/documents/next-${index}`);
        }
        const urls = upstream.received.map((request) => `${request.method} ${request.url}`);
        const expected = [0, 1, 2].map((index) => `GET /documents/next-${index}`);
        if (attack.status === 200) expected.unshift(`${method} /documents/doc-2`);
        assert.deepEqual(urls, expected, 'exactly one upstream request per client request');
        if (attack.status === 200)
          assert.equal(upstream.received[0]?.body, smuggled, 'the body arrived as a body, framed');
      });
    }
  }

  const unframed: [string, [string, string][]][] = [
    ['a transfer coding other than chunked', [['Transfer-Encoding', 'gzip']]],
    ['chunked not last', [['Transfer-Encoding', 'chunked, gzip']]],
    [
      'both Transfer-Encoding and Content-Length',
      [
        ['Transfer-Encoding', 'chunked'],
        ['Content-Length', '5'],
      ],
    ],
    ['a Content-Length that is not a number', [['Content-Length', '5x']]],
    [
      'two different Content-Lengths',
      [
        ['Content-Length', '5'],
        ['Content-Length', '6'],
      ],
    ],
  ];
  for (const [what, framing] of unframed) {
    it(`a body with ${what} gets 400 and reaches no upstream`, async () => {
      const response = await rawRequest(
        proxyPort,
        'POST',
        '/documents/doc-2',
        [['Host', 'gateway.test'], ...framing],
        chunked(smuggled),
      );
      assert.equal(response.status, 400, response.body);
      assert.equal(upstream.received.length, 0);
    });
  }

  const badAuthorities: [string, string][] = [
    ['a slash (splices the path)', 'x/public'],
    ['a question mark', 'x?y'],
    ['a hash', 'x#y'],
    ['userinfo', 'user@x'],
    ['a space', 'x y'],
    ['a tab', 'x\ty'],
    ['a control character', 'x\u0001y'],
    ['a backslash', 'x\\y'],
    ['a non-numeric port', 'x:80a'],
    ['an unclosed IPv6 literal', '[::1'],
  ];

  for (const [what, host] of badAuthorities) {
    it(`a Host with ${what} gets 400 and reaches no upstream`, async () => {
      const response = await rawRequest(proxyPort, 'GET', '/private/doc-1', [['Host', host]]);
      assert.equal(response.status, 400, response.body);
      assert.equal(upstream.received.length, 0);
    });

    it(`/decisions with an X-Forwarded-Host with ${what} gets 400`, async () => {
      const response = await rawRequest(apiPort, 'GET', '/decisions', [
        ['Host', 'gateway.test'],
        ['X-Forwarded-Host', host],
        ['X-Forwarded-Uri', '/private/doc-1'],
      ]);
      assert.equal(response.status, 400, response.body);
    });
  }

  it('/decisions with an X-Forwarded-Proto that is not a scheme gets 400', async () => {
    const response = await rawRequest(apiPort, 'GET', '/decisions', [
      ['Host', 'gateway.test'],
      ['X-Forwarded-Proto', 'http://x/public'],
      ['X-Forwarded-Uri', '/private/doc-1'],
    ]);
    assert.equal(response.status, 400, response.body);
  });

  for (const host of [
    'gateway.test',
    'gateway.test:4455',
    '127.0.0.1:4455',
    '[::1]:4455',
    'xn--bcher-kva.example',
  ]) {
    it(`a valid authority ${host} is matched as usual (public 200, private 403)`, async () => {
      const open = await rawRequest(proxyPort, 'GET', '/public/doc-1', [['Host', host]]);
      assert.equal(open.status, 200, open.body);
      const closed = await rawRequest(proxyPort, 'GET', '/private/doc-1', [['Host', host]]);
      assert.equal(closed.status, 403, closed.body);
      const decision = await rawRequest(apiPort, 'GET', '/decisions', [
        ['Host', 'gateway.test'],
        ['X-Forwarded-Host', host],
        ['X-Forwarded-Uri', '/public/doc-1'],
      ]);
      assert.equal(decision.status, 200, decision.body);
    });
  }

  it('an attack-shaped request leaves an error span with the reason and no header value', async () => {
    await tracing.reset();
    const response = await rawRequest(proxyPort, 'GET', '/private/doc-1', [['Host', 'evil/public']]);
    assert.equal(response.status, 400);
    const spans = await tracing.spans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER);
    assert.ok(server, 'the refused request has a server span');
    assert.equal(server.attributes.error, true);
    assert.match(String(server.attributes['gateway.error.reason']), /Host/);
    const everything = JSON.stringify(spans.map((span) => [span.name, span.attributes, span.status]));
    assert.ok(!everything.includes('evil'), `no header value in any span: ${everything}`);
  });

  const baggage = Array.from({ length: 150 }, (_, index) => `member${index}=${'v'.repeat(60)}`).join(',');
  const tracestate = Array.from({ length: 40 }, (_, index) => `vendor${index}=${'t'.repeat(30)}`).join(',');
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  const bounded = (headers: IncomingHttpHeaders) => {
    const sentBaggage = String(headers.baggage ?? '');
    assert.ok(Buffer.byteLength(sentBaggage) <= 8192, `baggage ${Buffer.byteLength(sentBaggage)} bytes`);
    assert.ok(sentBaggage.split(',').length <= 64, `baggage ${sentBaggage.split(',').length} members`);
    const sentState = String(headers.tracestate ?? '');
    assert.ok(sentState.length <= 512, `tracestate ${sentState.length} characters`);
    assert.ok(sentState.split(',').length <= 32, 'tracestate members');
    const extraHeaders = Object.keys(headers).filter((name) => name.startsWith('uberctx-'));
    assert.ok(extraHeaders.length <= 64, `${extraHeaders.length} uberctx-* headers`);
  };

  for (const [what, context] of [
    ['without a traceparent', []],
    ['with a valid traceparent', [['traceparent', traceparent]]],
  ] as [string, [string, string][]][]) {
    it(`oversized baggage and tracestate ${what}: the session check and the upstream get bounded headers and answer normally`, async () => {
      const response = await rawRequest(proxyPort, 'GET', '/traced/doc-1', [
        ['Host', 'gateway.test'],
        ['Cookie', 'ory_kratos_session=abc'],
        ...context,
        ['tracestate', tracestate],
        ['baggage', baggage],
      ]);
      assert.equal(response.status, 200, response.body);
      assert.equal(identity.received.length, 1);
      assert.equal(upstream.received.length, 1);
      bounded(identity.received[0]?.headers ?? {});
      bounded(upstream.received[0]?.headers ?? {});
      assert.ok(
        String(upstream.received[0]?.headers.baggage).startsWith('member0='),
        'the first members kept',
      );
    });
  }
});

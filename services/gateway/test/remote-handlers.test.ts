import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { startInMemoryTracing } from '@mesh/tracing';

// The SDK starts before the gateway loads its http clients, as `gateway serve` does.
const tracing = startInMemoryTracing({ name: 'gateway', version: 'test' });

import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import type { GatewayConfig } from '../src/config';
import type { GatewayServers } from '../src/serve';
import { minimalRule } from './support/minimal-rule';

const dir = mkdtempSync(join(tmpdir(), 'gateway-remote-'));
const writeRules = (name: string, rules: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(rules));
  return path;
};

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP endpoint that records every request and answers with `answer`. */
async function endpoint(
  answer: (seen: Seen, count: number) => { status: number; headers?: Record<string, string>; body?: string },
) {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      const { status, headers = {}, body = '' } = answer(entry, seen.length);
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A raw request to the gateway (explicit path, explicit framing). */
function send(
  port: number,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer | Buffer[];
  },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        headers: { host: 'gateway.test', ...options.headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    if (Array.isArray(options.body)) {
      for (const chunk of options.body) request.write(chunk);
      request.end();
    } else request.end(options.body);
  });
}

describe('remote authorizer, hydrator mutator, id_token with an http(s) JWKS', () => {
  let gateway: GatewayServers;
  let port: number;
  let apiPort: number;
  let configFor: (rules: unknown[], flags?: string[]) => GatewayConfig;
  let loadRules: typeof import('../src/rules/repository').loadRules;
  const servers: Server[] = [];
  let upstream: Awaited<ReturnType<typeof endpoint>>;
  let authorizer: Awaited<ReturnType<typeof endpoint>>;
  let hydrator: Awaited<ReturnType<typeof endpoint>>;
  let keys: Awaited<ReturnType<typeof endpoint>>;
  /** What the remote authorizer answers, by the request's X-Case header. */
  const attempts = new Map<string, number>();
  /** Calls of the hydrator's /flaky path: every odd one answers 503. */
  let flakyHydrations = 0;

  before(async () => {
    upstream = await endpoint(() => ({ status: 200, body: '{"ok":true}' }));
    authorizer = await endpoint((seen) => {
      const kase = String(seen.headers['x-case'] ?? 'allow');
      const count = (attempts.get(kase) ?? 0) + 1;
      attempts.set(kase, count);
      if (kase === 'deny') return { status: 403 };
      if (kase === 'broken') return { status: 500 };
      if (kase === 'busy') return { status: 429 };
      if (kase === 'flaky') return count === 1 ? { status: 503 } : { status: 200 };
      return { status: 200, headers: { 'x-foo': 'from-authorizer', 'x-other': 'not-listed' } };
    });
    const basic = `Basic ${Buffer.from('gateway:hydrator-s3cret').toString('base64')}`;
    hydrator = await endpoint((seen) => {
      if (seen.headers.authorization !== basic) return { status: 401 };
      const session = JSON.parse(seen.body) as {
        subject: string;
        extra: Record<string, unknown>;
        header: Record<string, string[]>;
      };
      if (seen.url.startsWith('/other-subject')) session.subject = 'mallory';
      if (seen.url.startsWith('/broken')) return { status: 500 };
      if (seen.url.startsWith('/flaky')) {
        flakyHydrations += 1;
        if (flakyHydrations % 2 === 1) return { status: 503 };
      }
      return {
        status: 200,
        body: JSON.stringify({
          ...session,
          extra: { ...session.extra, group: 'admins' },
          header: { ...session.header, 'X-Hydrated': ['yes'] },
        }),
      };
    });
    const signer = await generateKeyPair('ES256', { extractable: true });
    const privateSet = { keys: [{ ...(await exportJWK(signer.privateKey)), kid: 'remote-1', alg: 'ES256' }] };
    keys = await endpoint(() => ({ status: 200, body: JSON.stringify(privateSet) }));
    servers.push(upstream.server, authorizer.server, hydrator.server, keys.server);

    const rule = (id: string, extra: Record<string, unknown>) => ({
      id,
      match: { url: `http://<[^/]+>/${id}/<[^/]+>`, methods: ['GET', 'POST', 'PUT'] },
      authenticators: [{ handler: 'anonymous' }],
      authorizer: { handler: 'allow' },
      mutators: [{ handler: 'noop' }],
      upstream: { url: upstream.url },
      ...extra,
    });
    const remote = (config: Record<string, unknown> = {}) => ({
      handler: 'remote',
      config: {
        remote: `${authorizer.url}/authorize`,
        headers: {
          'X-Subject': '{{ print .Subject }}',
          'X-Case': '{{ printIndex .MatchContext.RegexpCaptureGroups 1 }}',
          'X-Empty': '{{ .Extra.missing }}',
        },
        forward_response_headers_to_upstream: ['X-Foo'],
        ...config,
      },
    });
    const hydrate = (path: string, extra: Record<string, unknown> = {}) => ({
      handler: 'hydrator',
      config: {
        api: {
          url: `${hydrator.url}${path}`,
          auth: { basic: { username: 'gateway', password: 'hydrator-s3cret' } },
        },
        ...extra,
      },
    });
    const rules = [
      rule('remote', {
        authenticators: [{ handler: 'anonymous' }, { handler: 'noop' }],
        authorizer: remote(),
      }),
      rule('remote-noretry', { authorizer: remote({ retry: { give_up_after: '0s' } }) }),
      rule('hydrate', {
        mutators: [
          { handler: 'header', config: { headers: { 'X-User': '{{ print .Subject }}' } } },
          hydrate('/hydrate'),
          { handler: 'header', config: { headers: { 'X-Group': '{{ .Extra.group }}' } } },
        ],
      }),
      rule('hydrate-cached', {
        mutators: [hydrate('/cached', { cache: { enabled: true, ttl: '1m' } })],
      }),
      rule('hydrate-other-subject', { mutators: [hydrate('/other-subject')] }),
      rule('hydrate-broken', { mutators: [hydrate('/broken')] }),
      rule('hydrate-flaky', { mutators: [hydrate('/flaky')] }),
      rule('hydrate-flaky-retried', {
        mutators: [
          {
            handler: 'hydrator',
            config: {
              api: {
                url: `${hydrator.url}/flaky`,
                auth: { basic: { username: 'gateway', password: 'hydrator-s3cret' } },
                retry: { max_delay: '50ms', give_up_after: '1s' },
              },
            },
          },
        ],
      }),
      rule('hydrate-wrong-password', {
        mutators: [
          {
            handler: 'hydrator',
            config: {
              api: {
                url: `${hydrator.url}/hydrate`,
                auth: { basic: { username: 'gateway', password: 'wrong' } },
              },
            },
          },
        ],
      }),
      rule('id-token-http', {
        mutators: [
          {
            handler: 'id_token',
            config: { jwks_url: `${keys.url}/private.json`, issuer_url: 'http://gateway.test/' },
          },
        ],
      }),
      rule('id-token-down', {
        mutators: [
          {
            handler: 'id_token',
            config: { jwks_url: 'http://127.0.0.1:1/private.json', issuer_url: 'http://gateway.test/' },
          },
        ],
      }),
    ];
    const [{ testGatewayConfig }, { serve }, { portOf }, { createLogger }, repository] = await Promise.all([
      import('./support/gateway-config'),
      import('../src/serve'),
      import('@mesh/server'),
      import('@mesh/tracing'),
      import('../src/rules/repository'),
    ]);
    loadRules = repository.loadRules;
    let count = 0;
    configFor = (list, flags = []) => {
      count += 1;
      return testGatewayConfig(writeRules(`rules-${count}.json`, list), ['timeouts.handlers=2s', ...flags]);
    };
    gateway = await serve(configFor(rules), { log: createLogger('gateway', 'silent') });
    port = portOf(gateway.proxyServer);
    apiPort = portOf(gateway.apiServer);
  });

  after(async () => {
    await gateway.stop();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  });

  it("remote: the client's body and Content-Type reach the authorizer, then the upstream unchanged", async () => {
    const body = JSON.stringify({ amount: 42, note: 'x'.repeat(70_000) });
    const before = upstream.seen.length;
    const answer = await send(port, {
      method: 'POST',
      path: '/remote/allow?q=1',
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
      },
      body,
    });
    assert.equal(answer.status, 200, answer.body);
    const asked = authorizer.seen.at(-1);
    assert.equal(asked?.method, 'POST');
    assert.equal(asked?.url, '/authorize');
    assert.equal(asked?.body, body);
    assert.equal(asked?.headers['content-type'], 'application/json');
    assert.equal(asked?.headers['x-subject'], 'anonymous');
    assert.equal(asked?.headers['x-empty'], undefined, 'a header empty once filled in is not sent');
    assert.equal(upstream.seen.length, before + 1);
    const forwarded = upstream.seen.at(-1);
    assert.equal(forwarded?.body, body);
    assert.equal(forwarded?.headers['content-length'], String(body.length));
    assert.equal(forwarded?.url, '/remote/allow?q=1');
    assert.equal(forwarded?.headers['x-foo'], 'from-authorizer', 'forward_response_headers_to_upstream');
    assert.equal(forwarded?.headers['x-other'], undefined, 'a header not listed stays behind');
  });

  it('remote: a chunked body is buffered, sent to the authorizer, and reaches the upstream whole', async () => {
    const parts = [Buffer.from('part-one,'), Buffer.from('part-two')];
    const answer = await send(port, {
      method: 'PUT',
      path: '/remote/allow',
      headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', authorization: 'Bearer abc' },
      body: parts,
    });
    assert.equal(answer.status, 200);
    const asked = authorizer.seen.at(-1);
    assert.equal(
      asked?.headers.authorization,
      'Bearer abc',
      "the client's Authorization, as Oathkeeper sends it",
    );
    assert.equal(
      asked?.headers['x-subject'],
      undefined,
      'noop authenticated: the empty subject header is not sent',
    );
    assert.equal(authorizer.seen.at(-1)?.body, 'part-one,part-two');
    assert.equal(upstream.seen.at(-1)?.body, 'part-one,part-two');
    assert.equal(upstream.seen.at(-1)?.headers['transfer-encoding'], undefined);
  });

  it('remote: statuses, retries and the body limit', async () => {
    const table: [string, string, number, string?][] = [
      ['403 denies', '/remote/deny', 403],
      ['429 is passed on', '/remote/busy', 429],
      ['any other status fails closed', '/remote/broken', 502],
      ['a 503 then a 200 is retried and allowed', '/remote/flaky', 200],
      ['give_up_after 0s: no retry', '/remote-noretry/broken', 502],
    ];
    for (const [what, path, status] of table) {
      const answer = await send(port, { method: 'GET', path });
      assert.equal(answer.status, status, `${what}: ${answer.body}`);
    }
    assert.ok((attempts.get('broken') ?? 0) >= 3, 'the retrying rule tried the 500 again');
    assert.equal(attempts.get('flaky'), 2);
    const before = attempts.get('allow') ?? 0;
    const large = Buffer.alloc(1024 * 1024 + 1, 0x61);
    const tooLarge = await send(port, {
      method: 'POST',
      path: '/remote/allow',
      headers: { 'content-length': String(large.length) },
      body: large,
    });
    assert.equal(tooLarge.status, 413);
    const chunkedTooLarge = await send(port, {
      method: 'POST',
      path: '/remote/allow',
      headers: { 'transfer-encoding': 'chunked' },
      body: [large.subarray(0, 600_000), large.subarray(600_000)],
    });
    assert.equal(chunkedTooLarge.status, 413);
    assert.equal(attempts.get('allow') ?? 0, before, 'the authorizer was not asked');
  });

  it('remote on /decisions: the decision request body goes to the authorizer', async () => {
    const answer = await send(apiPort, {
      method: 'POST',
      path: '/decisions/remote/allow',
      headers: { 'content-length': '5', 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(answer.status, 200);
    assert.equal(authorizer.seen.at(-1)?.body, 'hello');
    assert.equal(answer.headers['x-foo'], 'from-authorizer');
  });

  it('spans: authz.remote and mutate.hydrator, each with its http client span under it; no password anywhere', async () => {
    await tracing.reset();
    assert.equal((await send(port, { method: 'GET', path: '/remote/allow' })).status, 200);
    assert.equal((await send(port, { method: 'GET', path: '/hydrate/x' })).status, 200);
    const spans = await tracing.spans();
    for (const name of ['authz.remote', 'mutate.hydrator']) {
      const span = spans.find((candidate) => candidate.name === name);
      assert.ok(span, name);
      const client = spans.find(
        (candidate) =>
          candidate.kind === SpanKind.CLIENT &&
          candidate.parentSpanContext?.spanId === span.spanContext().spanId,
      );
      assert.ok(client, `an http client span under ${name}`);
    }
    const everything = JSON.stringify(spans.map((span) => [span.name, span.attributes, span.events]));
    assert.ok(!everything.includes('hydrator-s3cret'), 'the basic-auth password is in no span');
    assert.ok(!everything.includes(Buffer.from('gateway:hydrator-s3cret').toString('base64')));
  });

  it('hydrator: gets the session JSON; a later header mutator reads what it added to Extra', async () => {
    const answer = await send(port, {
      method: 'GET',
      path: '/hydrate/doc-9?a=1&b=2',
      headers: { 'x-client': 'c-1' },
    });
    assert.equal(answer.status, 200, answer.body);
    const asked = hydrator.seen.at(-1);
    assert.equal(asked?.method, 'POST');
    assert.equal(asked?.url, '/hydrate?a=1&b=2', "the client's query, as Oathkeeper sends it");
    assert.equal(asked?.headers['content-type'], 'application/json');
    assert.equal(asked?.headers['x-client'], 'c-1', "the client's headers are forwarded");
    const session = JSON.parse(asked?.body ?? '{}') as {
      subject: string;
      header: Record<string, string[]>;
      match_context: {
        regexp_capture_groups: string[];
        url: { Scheme: string; Host: string; Path: string; RawQuery: string };
        method: string;
        header: Record<string, string[]>;
      };
    };
    assert.equal(session.subject, 'anonymous');
    assert.deepEqual(session.header, { 'X-User': ['anonymous'] }, 'what the earlier header mutator set');
    assert.deepEqual(session.match_context.regexp_capture_groups, ['gateway.test', 'doc-9']);
    assert.equal(session.match_context.method, 'GET');
    assert.deepEqual(
      [session.match_context.url.Scheme, session.match_context.url.Host, session.match_context.url.Path],
      ['http', 'gateway.test', '/hydrate/doc-9'],
    );
    assert.equal(session.match_context.url.RawQuery, 'a=1&b=2');
    assert.deepEqual(session.match_context.header['X-Client'], ['c-1']);
    const forwarded = upstream.seen.at(-1)?.headers;
    assert.equal(forwarded?.['x-group'], 'admins', 'the later header mutator read .Extra.group');
    assert.equal(forwarded?.['x-hydrated'], 'yes', 'a header the hydrator added');
    assert.equal(forwarded?.['x-user'], 'anonymous');
  });

  it('hydrator: failures fail closed; the cache answers a repeated session', async () => {
    const table: [string, string, number][] = [
      ['another subject in the answer', '/hydrate-other-subject/x', 502],
      ['a 500', '/hydrate-broken/x', 502],
      ['a 401 for wrong credentials', '/hydrate-wrong-password/x', 502],
    ];
    for (const [what, path, status] of table)
      assert.equal((await send(port, { method: 'GET', path })).status, status, what);
    const before = hydrator.seen.length;
    assert.equal((await send(port, { method: 'GET', path: '/hydrate-cached/x' })).status, 200);
    assert.equal((await send(port, { method: 'GET', path: '/hydrate-cached/x' })).status, 200);
    assert.equal(hydrator.seen.length - before, 1, 'the second request was answered from the cache');
  });

  it('hydrator retry: without api.retry a 503 fails closed; with it the call is tried again', async () => {
    flakyHydrations = 0;
    assert.equal((await send(port, { method: 'GET', path: '/hydrate-flaky/x' })).status, 502);
    assert.equal(flakyHydrations, 1, 'no retry without api.retry');
    flakyHydrations = 0;
    assert.equal((await send(port, { method: 'GET', path: '/hydrate-flaky-retried/x' })).status, 200);
    assert.equal(flakyHydrations, 2, 'the 503 was retried once');
  });

  it('remote: a client that does not finish its body within timeouts.handlers gets 408', async () => {
    const started = Date.now();
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('POST /remote/allow HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 10\r\n\r\n01'),
      );
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        if (answer.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(answer);
        }
      });
    });
    assert.match(raw, /^HTTP\/1\.1 408 /);
    assert.ok(Date.now() - started < 2_000 + 5_000, 'cut at the handler deadline (2 s), plus slack');
  });

  it('id_token (http JWKS): fetched once, signs tokens that verify against /.well-known/jwks.json', async () => {
    const before = keys.seen.length;
    for (const path of ['/id-token-http/a', '/id-token-http/b'])
      assert.equal((await send(port, { method: 'GET', path })).status, 200);
    assert.equal(keys.seen.length - before, 1, 'the key set is cached');
    const authorization = String(upstream.seen.at(-1)?.headers.authorization ?? '');
    const published = JSON.parse(
      (await send(apiPort, { method: 'GET', path: '/.well-known/jwks.json' })).body,
    ) as {
      keys: JWK[];
    };
    assert.ok(
      published.keys.every((key) => key.d === undefined),
      'no private part is published',
    );
    const { protectedHeader, payload } = await jwtVerify(
      authorization.slice(7),
      createLocalJWKSet(published),
      {
        issuer: 'http://gateway.test/',
      },
    );
    assert.equal(protectedHeader.kid, 'remote-1');
    assert.equal(payload.sub, 'anonymous');
    assert.equal((await send(port, { method: 'GET', path: '/id-token-down/x' })).status, 503);
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    [
      'remote without remote',
      { authorizer: { handler: 'remote', config: {} } },
      /authorizer "remote": .*remote is required/,
    ],
    [
      'remote with a non-http URL',
      { authorizer: { handler: 'remote', config: { remote: 'ftp://x' } } },
      /authorizer "remote": remote "ftp:\/\/x" is not an http\(s\) URL/,
    ],
    [
      'remote with an unknown key',
      { authorizer: { handler: 'remote', config: { remote: 'http://x', payload: '{}' } } },
      /authorizer "remote": .*unknown property "payload"/,
    ],
    [
      'remote with a bad retry duration',
      { authorizer: { handler: 'remote', config: { remote: 'http://x', retry: { max_delay: 'soon' } } } },
      /authorizer "remote": .*max_delay/,
    ],
    [
      'remote with a template that cannot be evaluated',
      { authorizer: { handler: 'remote', config: { remote: 'http://x', headers: { A: '{{ .Nope }}' } } } },
      /authorizer "remote": .*cannot be evaluated/,
    ],
    [
      'hydrator without api.url',
      { mutators: [{ handler: 'hydrator', config: { api: {} } }] },
      /mutator "hydrator": api.url is required/,
    ],
    [
      'hydrator with a username but no password',
      {
        mutators: [
          { handler: 'hydrator', config: { api: { url: 'http://x', auth: { basic: { username: 'u' } } } } },
        ],
      },
      /mutator "hydrator": api.auth.basic needs both username and password/,
    ],
    [
      'hydrator with an unknown cache key',
      { mutators: [{ handler: 'hydrator', config: { api: { url: 'http://x' }, cache: { size: 1 } } }] },
      /mutator "hydrator": .*unknown property "size"/,
    ],
    [
      'id_token with an s3:// key set',
      { mutators: [{ handler: 'id_token', config: { jwks_url: 's3://bucket/keys.json', issuer_url: 'x' } }] },
      /mutator "id_token": jwks_url "s3:\/\/bucket\/keys.json" is not a file:\/\/ or http\(s\):\/\/ URL/,
    ],
  ];
  for (const [what, overrides, message] of refused) {
    it(`refuses ${what} when the rules load`, () => {
      assert.throws(() => loadRules(configFor([minimalRule(overrides)])), message);
    });
  }
});

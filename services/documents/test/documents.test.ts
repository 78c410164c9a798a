import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { startInMemoryTracing } from '@mesh/tracing';

const tracing = startInMemoryTracing({ name: 'documents', version: 'test' });

import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type KeyLike } from 'jose';
import type { DocumentsServer } from '../src/serve';

/** What the gateway's id_token mutator does: an ES256 key whose public half a JWKS endpoint serves. */
interface Issuer {
  url: string;
  server: Server;
  privateKey: KeyLike;
  /** How many times the key set was fetched. */
  fetches: number;
}

const issuerUrl = 'http://127.0.0.1:4455/';

async function startIssuer(): Promise<Issuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(publicKey)), kid: 'gateway-1', alg: 'ES256' }],
  });
  const issuer = { privateKey, fetches: 0 } as Issuer;
  issuer.server = createServer((request, response) => {
    if (request.url !== '/.well-known/jwks.json') return response.writeHead(404).end();
    issuer.fetches += 1;
    response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
  });
  await new Promise<void>((resolve) => issuer.server.listen(0, '127.0.0.1', resolve));
  issuer.url = `http://127.0.0.1:${(issuer.server.address() as AddressInfo).port}`;
  return issuer;
}

interface TokenOptions {
  key?: KeyLike;
  kid?: string;
  iss?: string;
  aud?: string;
  sub?: string | null;
  expiresIn?: number;
}

async function sign(issuer: Issuer, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ aud: options.aud ?? 'documents' })
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'gateway-1', typ: 'JWT' })
    .setIssuer(options.iss ?? issuerUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 60));
  if (options.sub !== null) jwt.setSubject(options.sub ?? 'alice-id');
  return jwt.sign(options.key ?? issuer.privateKey);
}

async function startDocuments(
  dsn: string,
  jwksUrl: string,
  extraFlags: readonly string[] = [],
): Promise<{ server: DocumentsServer; url: string; admin: string }> {
  const [{ loadConfig }, { documentsSchema }, { serve }, { portOf }, { createLogger }] = await Promise.all([
    import('@mesh/config'),
    import('../src/config'),
    import('../src/serve'),
    import('@mesh/server'),
    import('@mesh/tracing'),
  ]);
  const config = loadConfig<import('../src/config').DocumentsConfig>({
    schema: documentsSchema,
    env: {},
    flags: [
      `dsn=${dsn}`,
      'serve.public.port=0',
      'serve.admin.port=0',
      `id_token.jwks_url=${jwksUrl}`,
      ...extraFlags,
    ],
  });
  const server = await serve(config, { log: createLogger('documents', 'silent') });
  return {
    server,
    url: `http://127.0.0.1:${portOf(server.server)}`,
    admin: `http://127.0.0.1:${portOf(server.adminServer)}`,
  };
}

let issuer: Issuer;
before(async () => {
  issuer = await startIssuer();
});
after(async () => {
  issuer.server.close();
  await tracing.handle.shutdown();
});

const variants = [
  { name: 'SQLite', open: () => Promise.resolve({ dsn: 'memory', drop: async () => undefined }) },
  {
    name: 'PostgreSQL',
    open: async () =>
      (await import('@mesh/sql')).createIsolatedSchema(process.env.TEST_POSTGRES_DSN ?? '', 'documents'),
  },
];

for (const variant of variants) {
  const skip =
    variant.name === 'PostgreSQL' && !process.env.TEST_POSTGRES_DSN ? 'TEST_POSTGRES_DSN is not set' : false;
  describe(`documents on ${variant.name}`, { skip }, () => {
    let app: { server: DocumentsServer; url: string; admin: string };
    let drop: () => Promise<void>;
    before(async () => {
      const database = await variant.open();
      drop = database.drop;
      app = await startDocuments(database.dsn, `${issuer.url}/.well-known/jwks.json`);
    });
    after(async () => {
      await app.server.stop();
      await drop();
    });
    const put = (id: string, body: unknown) =>
      fetch(`${app.admin}/documents/${encodeURIComponent(id)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bearer = async (options?: TokenOptions) => ({
      authorization: `Bearer ${await sign(issuer, options)}`,
    });

    it('admin PUT creates (201) and updates (200), GET and the list read, DELETE removes (204), all without a token', async () => {
      assert.equal((await put('doc-1', { title: 'Plan', body: 'secret plan', owner: 'alice' })).status, 201);
      const updated = await put('doc-1', { title: 'Plan v2', body: 'secret plan', owner: 'alice' });
      assert.equal(updated.status, 200);
      const expected = { id: 'doc-1', title: 'Plan v2', body: 'secret plan', owner: 'alice' };
      assert.deepEqual(await updated.json(), expected);
      assert.deepEqual(await (await fetch(`${app.admin}/documents/doc-1`)).json(), expected);
      const list = (await (await fetch(`${app.admin}/documents`)).json()) as { id: string }[];
      assert.ok(list.some((document) => document.id === 'doc-1'));
      assert.equal((await put('doc-gone', { title: 'Gone', body: '' })).status, 201);
      assert.equal((await fetch(`${app.admin}/documents/doc-gone`, { method: 'DELETE' })).status, 204);
      assert.equal((await fetch(`${app.admin}/documents/doc-gone`)).status, 404);
      assert.equal((await fetch(`${app.admin}/documents/doc-gone`, { method: 'DELETE' })).status, 404);
    });

    it("public GET answers with viewed_by = the verified token's sub; unknown 404; no public PUT or DELETE", async () => {
      const response = await fetch(`${app.url}/documents/doc-1`, {
        headers: await bearer({ sub: 'alice-id' }),
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        id: 'doc-1',
        title: 'Plan v2',
        body: 'secret plan',
        owner: 'alice',
        viewed_by: 'alice-id',
      });
      const list = (await (
        await fetch(`${app.url}/documents`, { headers: await bearer({ sub: 'bob-id' }) })
      ).json()) as {
        viewed_by: string;
      }[];
      assert.ok(list.length > 0 && list.every((document) => document.viewed_by === 'bob-id'));
      assert.equal((await fetch(`${app.url}/documents/nope`, { headers: await bearer() })).status, 404);
      for (const method of ['PUT', 'DELETE']) {
        const refused = await fetch(`${app.url}/documents/doc-1`, {
          method,
          headers: { ...(await bearer()), 'content-type': 'application/json' },
          body: method === 'PUT' ? '{"title":"hijack","body":"x"}' : undefined,
        });
        assert.equal(refused.status, 404, `public ${method}`);
      }
      assert.equal(
        ((await (await fetch(`${app.admin}/documents/doc-1`)).json()) as { title: string }).title,
        'Plan v2',
      );
    });

    const other = generateKeyPair('ES256');
    const badRequests: { name: string; headers: () => Promise<Record<string, string>> }[] = [
      { name: 'no Authorization', headers: async () => ({}) },
      { name: 'a bare X-User header', headers: async () => ({ 'x-user': 'alice-id' }) },
      { name: 'Basic credentials', headers: async () => ({ authorization: 'Basic YWxpY2U6c2VjcmV0' }) },
      { name: 'a Bearer that is no JWT', headers: async () => ({ authorization: 'Bearer not-a-jwt' }) },
      {
        name: 'signed by another key (another kid)',
        headers: async () => bearer({ key: (await other).privateKey, kid: 'attacker' }),
      },
      {
        name: "signed by another key under the gateway's kid",
        headers: async () => bearer({ key: (await other).privateKey }),
      },
      { name: 'expired', headers: async () => bearer({ expiresIn: -120 }) },
      { name: 'from another issuer', headers: async () => bearer({ iss: 'http://evil.example/' }) },
      { name: 'for another audience', headers: async () => bearer({ aud: 'web' }) },
      { name: 'without a subject', headers: async () => bearer({ sub: null }) },
      {
        name: 'unsigned (alg none)',
        headers: async () => ({
          authorization: `Bearer ${new UnsecuredJWT({ aud: 'documents' }).setIssuer(issuerUrl).setSubject('alice-id').setIssuedAt().setExpirationTime('1m').encode()}`,
        }),
      },
    ];
    for (const bad of badRequests) {
      it(`401 in the Ory error shape, token never echoed: ${bad.name}`, async () => {
        const headers = await bad.headers();
        const response = await fetch(`${app.url}/documents/doc-1`, { headers });
        assert.equal(response.status, 401);
        assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
        const text = await response.text();
        const body = JSON.parse(text) as { error: { code: number; status: string; reason: string } };
        assert.equal(body.error.code, 401);
        assert.equal(body.error.status, 'Unauthorized');
        assert.equal(typeof body.error.reason, 'string');
        const token = headers.authorization?.split(' ')[1];
        if (token) assert.ok(!text.includes(token), 'the body does not quote the token');
      });
    }

    it('bad admin bodies get 400; SQL metacharacters stay unchanged', async () => {
      const id = "x'; DROP TABLE documents; --";
      assert.equal((await put(id, { title: 't\'"', body: '%_\\', owner: 'o' })).status, 201);
      const fetched = (await (
        await fetch(`${app.url}/documents/${encodeURIComponent(id)}`, { headers: await bearer() })
      ).json()) as { title: string; body: string };
      assert.deepEqual([fetched.title, fetched.body], ['t\'"', '%_\\']);
      for (const body of [{}, { title: 1, body: 'b' }, { title: '', body: 'b' }])
        assert.equal((await put('bad', body)).status, 400);
    });
  });
}

describe('documents without its key set', () => {
  it("503, not 401, when the gateway's key set cannot be fetched", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const app = await startDocuments('memory', `http://127.0.0.1:${port}/.well-known/jwks.json`);
    try {
      const response = await fetch(`${app.url}/documents/doc-1`, {
        headers: { authorization: `Bearer ${await sign(issuer)}` },
      });
      assert.equal(response.status, 503);
      assert.match(((await response.json()) as { error: { reason: string } }).error.reason, /key set/);
    } finally {
      await app.server.stop();
    }
  });
});

describe('documents spans', () => {
  it('GET /documents/:id: a server span with id_token.Verify (the JWKS fetch a client span under it), then one SQL span', async () => {
    const app = await startDocuments('memory', `${issuer.url}/.well-known/jwks.json`);
    try {
      await fetch(`${app.admin}/documents/doc-9`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{"title":"t","body":"b"}',
      });
      await tracing.reset();
      const token = await sign(issuer);
      const fetches = issuer.fetches;
      assert.equal(
        (await fetch(`${app.url}/documents/doc-9`, { headers: { authorization: `Bearer ${token}` } })).status,
        200,
      );
      assert.equal(issuer.fetches, fetches + 1, 'the first verification fetches the key set');
      const spans = await tracing.spans();
      const server = spans.find(
        (span) => span.kind === SpanKind.SERVER && span.name === 'GET /documents/:id',
      );
      assert.ok(server, 'the public server span');
      const childrenOf = (parent: (typeof spans)[number]) =>
        spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
      assert.deepEqual(
        childrenOf(server).map((span) => span.name),
        ['id_token.Verify', 'SELECT documents'],
      );
      const [verify, sql] = childrenOf(server);
      assert.equal(verify?.kind, SpanKind.INTERNAL);
      assert.equal(verify?.attributes['id_token.valid'], true);
      assert.equal(sql?.attributes['db.system.name'], 'sqlite');
      const jwksFetch = childrenOf(verify!);
      assert.deepEqual(
        jwksFetch.map((span) => [span.kind, span.attributes['url.full']]),
        [[SpanKind.CLIENT, `${issuer.url}/.well-known/jwks.json`]],
      );

      await tracing.reset();
      assert.equal(
        (await fetch(`${app.url}/documents/doc-9`, { headers: { 'x-user': 'alice' } })).status,
        401,
      );
      const refused = await tracing.spans();
      const failed = refused.find((span) => span.name === 'id_token.Verify');
      assert.equal(failed?.attributes['id_token.valid'], false);
      assert.equal(failed?.status.code, 2);
      assert.equal(
        refused.filter((span) => span.name.startsWith('SELECT')).length,
        0,
        'nothing is read for a refused request',
      );
      const everything = JSON.stringify(
        [...spans, ...refused].map((span) => [span.name, span.attributes, span.events, span.status]),
      );
      assert.ok(!everything.includes(token), 'no span carries the token');
    } finally {
      await app.server.stop();
    }
  });
});

describe('documents id_token cache', () => {
  const verifications = async () =>
    (await tracing.spans())
      .filter((span) => span.name === 'id_token.Verify')
      .map((span) => [span.attributes['id_token.cached'], span.attributes['id_token.valid']]);
  const cases = [
    {
      name: 'verifies a token once and then reuses it; a token one signature bit off is verified afresh and refused',
      flags: [],
      expected: [
        [false, true],
        [true, true],
        [true, true],
        [false, false],
      ],
    },
    {
      name: 'id_token.cache.enabled=false: every request verifies its token',
      flags: ['id_token.cache.enabled=false'],
      expected: [
        [false, true],
        [false, true],
        [false, true],
        [false, false],
      ],
    },
  ];
  for (const { name, flags, expected } of cases) {
    it(name, async () => {
      const app = await startDocuments('memory', `${issuer.url}/.well-known/jwks.json`, flags);
      try {
        await fetch(`${app.admin}/documents/doc-c`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: '{"title":"t","body":"b"}',
        });
        const read = (token: string) =>
          fetch(`${app.url}/documents/doc-c`, { headers: { authorization: `Bearer ${token}` } });
        await tracing.reset();
        const token = await sign(issuer, { sub: 'carol-id' });
        for (let request = 0; request < 3; request += 1) {
          const response = await read(token);
          assert.equal(response.status, 200);
          assert.equal(((await response.json()) as { viewed_by: string }).viewed_by, 'carol-id');
        }
        // The second-to-last character of an ES256 signature carries six of its bits: flip one.
        const flipped = token.at(-2) === 'A' ? 'B' : 'A';
        const tampered = `${token.slice(0, -2)}${flipped}${token.slice(-1)}`;
        assert.equal((await read(tampered)).status, 401);
        assert.deepEqual(await verifications(), expected);
      } finally {
        await app.server.stop();
      }
    });
  }
});

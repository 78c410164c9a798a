import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startInMemoryTracing } from '@mesh/tracing';

// The SDK starts before the service loads express and the database drivers, as `identity serve` does.
const tracing = startInMemoryTracing({ name: 'identity', version: 'test' });

import type { FrontendApi, IdentityApi } from '@ory/client';
import type { IdentityServers } from '../src/serve';

interface Running {
  servers: IdentityServers;
  publicUrl: string;
  adminUrl: string;
  frontend: FrontendApi;
  admin: IdentityApi;
}

async function startIdentity(dsn: string, extraFlags: string[] = []): Promise<Running> {
  const [{ loadConfig }, { identitySchema }, { serve }, { portOf }, ory, { createLogger }] =
    await Promise.all([
      import('@mesh/config'),
      import('../src/config'),
      import('../src/serve'),
      import('@mesh/server'),
      import('@ory/client'),
      import('@mesh/tracing'),
    ]);
  const config = loadConfig<import('../src/config').IdentityConfig>({
    schema: identitySchema,
    env: {},
    flags: [
      `dsn=${dsn}`,
      'serve.public.port=0',
      'serve.admin.port=0',
      'hashers.bcrypt.cost=4',
      ...extraFlags,
    ],
  });
  const servers = await serve(config, { log: createLogger('identity', 'silent') });
  const publicUrl = `http://127.0.0.1:${portOf(servers.publicServer)}`;
  const adminUrl = `http://127.0.0.1:${portOf(servers.adminServer)}`;
  return {
    servers,
    publicUrl,
    adminUrl,
    frontend: new ory.FrontendApi(new ory.Configuration({ basePath: publicUrl })),
    admin: new ory.IdentityApi(new ory.Configuration({ basePath: adminUrl })),
  };
}

/** The status of a failed SDK call (axios error), or 'ok'. */
async function statusOf(call: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    const response = (error as { response?: { status: number } }).response;
    if (!response) throw error;
    return response.status;
  }
}

async function login(identity: Running, identifier: string, password: string) {
  const { data: flow } = await identity.frontend.createNativeLoginFlow();
  return identity.frontend.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: 'password', identifier, password },
  });
}

after(() => tracing.handle.shutdown());

const variants = [
  { name: 'SQLite', dsn: () => Promise.resolve({ dsn: 'memory', drop: async () => undefined }) },
  {
    name: 'PostgreSQL',
    dsn: async () => {
      const { createIsolatedSchema } = await import('@mesh/sql');
      return createIsolatedSchema(process.env.TEST_POSTGRES_DSN ?? '', 'identity');
    },
  },
];

for (const variant of variants) {
  describe(
    `identity on ${variant.name}`,
    {
      skip:
        variant.name === 'PostgreSQL' && !process.env.TEST_POSTGRES_DSN
          ? 'TEST_POSTGRES_DSN is not set'
          : false,
    },
    () => {
      let identity: Running;
      let drop: () => Promise<void>;
      before(async () => {
        const database = await variant.dsn();
        drop = database.drop;
        identity = await startIdentity(database.dsn);
      });
      after(async () => {
        await identity.servers.stop();
        await drop();
      });

      it('createIdentity with a password, then getIdentity and listIdentities with pagination', async () => {
        const created = await identity.admin.createIdentity({
          createIdentityBody: {
            schema_id: 'default',
            traits: { email: 'Carol@Example.com' },
            credentials: { password: { config: { password: 'carol-password' } } },
          },
        });
        assert.equal(created.status, 201);
        assert.equal(created.data.state, 'active');
        assert.deepEqual(created.data.traits, { email: 'Carol@Example.com' });
        const fetched = await identity.admin.getIdentity({ id: created.data.id });
        assert.equal(fetched.data.id, created.data.id);
        await identity.admin.createIdentity({
          createIdentityBody: { schema_id: 'default', traits: { email: 'dave@example.com' } },
        });
        const first = await identity.admin.listIdentities({ pageSize: 1 });
        assert.equal(first.data.length, 1);
        const next = /page_token=([0-9a-f-]+)/.exec(String(first.headers.link))?.[1];
        assert.ok(next, 'a Link header points at the next page');
        const second = await identity.admin.listIdentities({ pageSize: 1, pageToken: next });
        assert.equal(second.data.length, 1);
        assert.notEqual(second.data[0]?.id, first.data[0]?.id);
        const all = await identity.admin.listIdentities({});
        assert.ok(all.data.length >= 2);
      });

      it('refuses a second identity with the same email in another case (409)', async () => {
        const body = { schema_id: 'default', traits: { email: 'erin@example.com' } };
        await identity.admin.createIdentity({ createIdentityBody: body });
        const status = await statusOf(
          identity.admin.createIdentity({
            createIdentityBody: { ...body, traits: { email: 'ERIN@example.com' } },
          }),
        );
        assert.equal(status, 409);
      });

      it('registration flow returns identity, session and token; whoami accepts the token three ways', async () => {
        const { data: flow } = await identity.frontend.createNativeRegistrationFlow();
        const fetched = await fetch(`${identity.publicUrl}/self-service/registration/flows?id=${flow.id}`);
        assert.equal(fetched.status, 200);
        const { data } = await identity.frontend.updateRegistrationFlow({
          flow: flow.id,
          updateRegistrationFlowBody: {
            method: 'password',
            password: 'frank-password',
            traits: { email: 'frank@example.com' },
          },
        });
        assert.ok(data.session_token);
        assert.equal(data.identity.traits.email, 'frank@example.com');
        const token = data.session_token;
        const viaHeader = await identity.frontend.toSession({ xSessionToken: token });
        assert.equal(viaHeader.data.identity?.id, data.identity.id);
        assert.equal(viaHeader.headers['x-kratos-authenticated-identity-id'], data.identity.id);
        const alternatives: Record<string, string>[] = [
          { cookie: `ory_kratos_session=${token}` },
          { authorization: `Bearer ${token}` },
        ];
        for (const headers of alternatives) {
          const response = await fetch(`${identity.publicUrl}/sessions/whoami`, { headers });
          assert.equal(response.status, 200);
          const session = (await response.json()) as {
            active: boolean;
            authenticator_assurance_level: string;
          };
          assert.equal(session.active, true);
          assert.equal(session.authenticator_assurance_level, 'aal1');
        }
      });

      it('login flow: right password gives a session; wrong password and unknown identifier give the same 400', async () => {
        await identity.admin.createIdentity({
          createIdentityBody: {
            schema_id: 'default',
            traits: { email: 'grace@example.com' },
            credentials: { password: { config: { password: 'grace-password' } } },
          },
        });
        const { data } = await login(identity, 'GRACE@example.com', 'grace-password');
        assert.ok(data.session_token);
        assert.equal(data.session.identity?.traits.email, 'grace@example.com');
        const { data: flow } = await identity.frontend.createNativeLoginFlow();
        const { data: sameFlow } = await identity.frontend.getLoginFlow({ id: flow.id });
        assert.equal(sameFlow.id, flow.id);
        const answers = await Promise.all(
          [
            ['grace@example.com', 'wrong-password'],
            ['nobody@example.com', 'grace-password'],
          ].map(async ([identifier, password]) => {
            const response = await fetch(`${identity.publicUrl}/self-service/login?flow=${flow.id}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ method: 'password', identifier, password }),
            });
            return { status: response.status, body: await response.text() };
          }),
        );
        assert.equal(answers[0]?.status, 400);
        assert.deepEqual(answers[0], answers[1]);
      });

      it('logout, disableSession and deleteIdentity each end the session (whoami 401)', async () => {
        const email = 'heidi@example.com';
        const created = await identity.admin.createIdentity({
          createIdentityBody: {
            schema_id: 'default',
            traits: { email },
            credentials: { password: { config: { password: 'heidi-password' } } },
          },
        });
        const first = (await login(identity, email, 'heidi-password')).data.session_token as string;
        await identity.frontend.performNativeLogout({ performNativeLogoutBody: { session_token: first } });
        assert.equal(await statusOf(identity.frontend.toSession({ xSessionToken: first })), 401);

        const second = (await login(identity, email, 'heidi-password')).data.session_token as string;
        const sessions = await identity.admin.listIdentitySessions({ id: created.data.id });
        const active = sessions.data.find((session) => session.active);
        assert.ok(active);
        await identity.admin.disableSession({ id: active.id });
        assert.equal(await statusOf(identity.frontend.toSession({ xSessionToken: second })), 401);

        const third = (await login(identity, email, 'heidi-password')).data.session_token as string;
        await identity.admin.deleteIdentity({ id: created.data.id });
        assert.equal(await statusOf(identity.frontend.toSession({ xSessionToken: third })), 401);
        assert.equal(await statusOf(identity.admin.getIdentity({ id: created.data.id })), 404);
      });

      it('answers bad input with a clear 4xx in the Ory shape', async () => {
        const { data: flow } = await identity.frontend.createNativeLoginFlow();
        const { data: registration } = await identity.frontend.createNativeRegistrationFlow();
        const json = { 'content-type': 'application/json' };
        await identity.admin.createIdentity({
          createIdentityBody: { schema_id: 'default', traits: { email: 'taken@example.com' } },
        });
        const cases: {
          name: string;
          url: string;
          method: string;
          body?: string;
          headers?: Record<string, string>;
          status: number;
        }[] = [
          {
            name: 'invalid JSON',
            url: `/self-service/login?flow=${flow.id}`,
            method: 'POST',
            body: '{"method":',
            headers: json,
            status: 400,
          },
          {
            name: 'missing password',
            url: `/self-service/login?flow=${flow.id}`,
            method: 'POST',
            body: '{"method":"password","identifier":"a@b.c"}',
            headers: json,
            status: 400,
          },
          {
            name: 'wrong type',
            url: `/self-service/login?flow=${flow.id}`,
            method: 'POST',
            body: '{"method":"password","identifier":5,"password":"x"}',
            headers: json,
            status: 400,
          },
          {
            name: 'wrong method',
            url: `/self-service/login?flow=${flow.id}`,
            method: 'POST',
            body: '{"method":"totp","identifier":"a","password":"x"}',
            headers: json,
            status: 400,
          },
          {
            name: 'no flow',
            url: '/self-service/login',
            method: 'POST',
            body: '{"method":"password","identifier":"a","password":"b"}',
            headers: json,
            status: 400,
          },
          {
            name: 'malformed flow id',
            url: '/self-service/login?flow=not-a-uuid',
            method: 'POST',
            body: '{"method":"password","identifier":"a","password":"b"}',
            headers: json,
            status: 400,
          },
          {
            name: 'unknown flow',
            url: '/self-service/login?flow=00000000-0000-4000-8000-000000000000',
            method: 'POST',
            body: '{"method":"password","identifier":"a","password":"b"}',
            headers: json,
            status: 400,
          },
          {
            name: 'login flow id used for registration',
            url: `/self-service/registration?flow=${flow.id}`,
            method: 'POST',
            body: '{"method":"password","password":"long-enough","traits":{"email":"x@example.com"}}',
            headers: json,
            status: 400,
          },
          {
            name: 'short password',
            url: `/self-service/registration?flow=${registration.id}`,
            method: 'POST',
            body: '{"method":"password","password":"short","traits":{"email":"y@example.com"}}',
            headers: json,
            status: 400,
          },
          {
            name: 'duplicate email in another case',
            url: `/self-service/registration?flow=${registration.id}`,
            method: 'POST',
            body: '{"method":"password","password":"long-enough","traits":{"email":"Taken@Example.com"}}',
            headers: json,
            status: 409,
          },
          {
            name: 'missing traits',
            url: `/self-service/registration?flow=${registration.id}`,
            method: 'POST',
            body: '{"method":"password","password":"long-enough"}',
            headers: json,
            status: 400,
          },
          {
            name: 'invalid email',
            url: `/self-service/registration?flow=${registration.id}`,
            method: 'POST',
            body: '{"method":"password","password":"long-enough","traits":{"email":"not-an-email"}}',
            headers: json,
            status: 400,
          },
          {
            name: 'unknown flow lookup',
            url: '/self-service/login/flows?id=00000000-0000-4000-8000-000000000000',
            method: 'GET',
            status: 404,
          },
          {
            name: 'oversized body',
            url: `/self-service/login?flow=${flow.id}`,
            method: 'POST',
            body: JSON.stringify({ method: 'password', identifier: 'a', password: 'x'.repeat(1_100_000) }),
            headers: json,
            status: 413,
          },
          { name: 'no token', url: '/sessions/whoami', method: 'GET', status: 401 },
          {
            name: 'unknown token',
            url: '/sessions/whoami',
            method: 'GET',
            headers: { 'x-session-token': 'ory_st_unknown' },
            status: 401,
          },
          {
            name: 'malformed bearer',
            url: '/sessions/whoami',
            method: 'GET',
            headers: { authorization: 'Bearer' },
            status: 401,
          },
          {
            name: 'garbage cookie',
            url: '/sessions/whoami',
            method: 'GET',
            headers: { cookie: 'ory_kratos_session=%E0%A4%A' },
            status: 401,
          },
          {
            name: 'SQL metacharacters in a token',
            url: '/sessions/whoami',
            method: 'GET',
            headers: { 'x-session-token': "' OR '1'='1" },
            status: 401,
          },
          {
            name: 'logout without token',
            url: '/self-service/logout/api',
            method: 'DELETE',
            body: '{}',
            headers: json,
            status: 400,
          },
          {
            name: 'logout unknown token',
            url: '/self-service/logout/api',
            method: 'DELETE',
            body: '{"session_token":"ory_st_nope"}',
            headers: json,
            status: 401,
          },
        ];
        for (const row of cases) {
          const response = await fetch(`${identity.publicUrl}${row.url}`, {
            method: row.method,
            body: row.body,
            headers: row.headers,
          });
          assert.equal(response.status, row.status, row.name);
          const body = (await response.json()) as { error?: { code: number; message: string } };
          assert.equal(body.error?.code, row.status, `${row.name}: Ory error shape`);
        }
        const adminCases = [
          {
            name: 'identity without traits',
            url: '/admin/identities',
            method: 'POST',
            body: '{}',
            status: 400,
          },
          {
            name: 'short admin password',
            url: '/admin/identities',
            method: 'POST',
            body: '{"traits":{"email":"z@example.com"},"credentials":{"password":{"config":{"password":"short"}}}}',
            status: 400,
          },
          { name: 'malformed id', url: '/admin/identities/not-a-uuid', method: 'GET', status: 400 },
          {
            name: 'unknown identity',
            url: '/admin/identities/00000000-0000-4000-8000-000000000000',
            method: 'GET',
            status: 404,
          },
          {
            name: 'unknown session',
            url: '/admin/sessions/00000000-0000-4000-8000-000000000000',
            method: 'DELETE',
            status: 404,
          },
          { name: 'bad page size', url: '/admin/identities?page_size=abc', method: 'GET', status: 400 },
          { name: 'bad page token', url: '/admin/identities?page_token=xyz', method: 'GET', status: 400 },
        ];
        for (const row of adminCases) {
          const response = await fetch(`${identity.adminUrl}${row.url}`, {
            method: row.method,
            body: row.body,
            headers: json,
          });
          assert.equal(response.status, row.status, row.name);
        }
      });

      it('stores SQL metacharacters in an email unchanged', async () => {
        const email = "o'brien+--drop@example.com";
        const created = await identity.admin.createIdentity({
          createIdentityBody: { schema_id: 'default', traits: { email } },
        });
        assert.equal((await identity.admin.getIdentity({ id: created.data.id })).data.traits.email, email);
      });
    },
  );
}

describe('identity lifespans', () => {
  it('an expired session gives 401 and an expired flow gives 410 on lookup and on submit', async () => {
    const identity = await startIdentity('memory', [
      'session.lifespan=1ms',
      'selfservice.flows.login.lifespan=1ms',
    ]);
    try {
      await identity.admin.createIdentity({
        createIdentityBody: {
          schema_id: 'default',
          traits: { email: 'ivan@example.com' },
          credentials: { password: { config: { password: 'ivan-password' } } },
        },
      });
      const { data: flow } = await identity.frontend.createNativeLoginFlow();
      assert.equal(await statusOf(identity.frontend.getLoginFlow({ id: flow.id })), 410);
      const response = await fetch(`${identity.publicUrl}/self-service/login?flow=${flow.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          method: 'password',
          identifier: 'ivan@example.com',
          password: 'ivan-password',
        }),
      });
      assert.equal(response.status, 410);
      assert.equal(
        ((await response.json()) as { error: { id: string } }).error.id,
        'self_service_flow_expired',
      );
    } finally {
      await identity.servers.stop();
    }
    const shortSessions = await startIdentity('memory', ['session.lifespan=1ms']);
    try {
      await shortSessions.admin.createIdentity({
        createIdentityBody: {
          schema_id: 'default',
          traits: { email: 'judy@example.com' },
          credentials: { password: { config: { password: 'judy-password' } } },
        },
      });
      const token = (await login(shortSessions, 'judy@example.com', 'judy-password')).data
        .session_token as string;
      assert.equal(await statusOf(shortSessions.frontend.toSession({ xSessionToken: token })), 401);
    } finally {
      await shortSessions.servers.stop();
    }
  });
});

const byStart = (a: ReadableSpan, b: ReadableSpan) =>
  a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];

const childrenOf = (spans: readonly ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId).sort(byStart);

/** The one server span of a request, and the trace's spans all in that trace. */
function serverSpanOf(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
  assert.deepEqual(
    servers.map((span) => span.name),
    [name],
  );
  const server = servers[0] as ReadableSpan;
  // The test's own HTTP client may pass a context along; the server span is still the service's top span.
  assert.ok(
    server.parentSpanContext === undefined || server.parentSpanContext.isRemote,
    'the server span is the top of the service',
  );
  for (const span of spans) {
    assert.equal(span.spanContext().traceId, server.spanContext().traceId, `${span.name} is in the trace`);
  }
  return server;
}

/** What tracing.md asks of every SQL span: the dialect, the parameterized text, operation, table, database. */
function assertSqlSpan(span: ReadableSpan, system: string, operation: string, collection: string): void {
  assert.equal(span.kind, SpanKind.CLIENT, `${span.name} is a CLIENT span`);
  assert.equal(span.name, `${operation} ${collection}`);
  assert.equal(span.attributes['db.system.name'], system);
  assert.equal(span.attributes['db.operation.name'], operation);
  assert.equal(span.attributes['db.collection.name'], collection);
  assert.ok(span.attributes['db.namespace'], `${span.name} names its database`);
  const text = String(span.attributes['db.query.text']);
  assert.match(text, new RegExp(`^${operation}\\b`, 'i'));
  // `$1` on PostgreSQL, `?` once the SQLite client has rewritten it: a placeholder, never a value.
  assert.match(text, /\$1|\?/, `${span.name} is parameterized`);
}

function assertNoSecret(spans: readonly ReadableSpan[], secrets: readonly string[]): void {
  const everything = JSON.stringify(
    spans.map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events,
      resource: span.resource.attributes,
      status: span.status,
    })),
  );
  for (const secret of secrets) assert.ok(!everything.includes(secret), 'no secret in any span');
}

for (const variant of variants) {
  const system = variant.name === 'SQLite' ? 'sqlite' : 'postgresql';
  describe(
    `identity spans on ${variant.name} (trace contract)`,
    {
      skip:
        variant.name === 'PostgreSQL' && !process.env.TEST_POSTGRES_DSN
          ? 'TEST_POSTGRES_DSN is not set'
          : false,
    },
    () => {
      let identity: Running;
      let drop: () => Promise<void>;
      const password = 'kim-secret-password';
      before(async () => {
        const database = await variant.dsn();
        drop = database.drop;
        identity = await startIdentity(database.dsn);
        await identity.admin.createIdentity({
          createIdentityBody: {
            schema_id: 'default',
            traits: { email: 'kim@example.com' },
            credentials: { password: { config: { password } } },
          },
        });
      });
      after(async () => {
        await identity.servers.stop();
        await drop();
      });

      it('login: server span, then SQL credential lookup, hash.Compare with the work factor, SQL session insert', async () => {
        const { data: flow } = await identity.frontend.createNativeLoginFlow();
        await tracing.reset();
        const { data } = await identity.frontend.updateLoginFlow({
          flow: flow.id,
          updateLoginFlowBody: { method: 'password', identifier: 'kim@example.com', password },
        });
        const spans = await tracing.spans();
        const server = serverSpanOf(spans, 'POST /self-service/login');
        assert.equal(server.attributes['http.route'], '/self-service/login');
        assert.equal(server.attributes['http.response.status_code'], 200);
        assert.equal(server.attributes.error, undefined);
        const children = childrenOf(spans, server);
        assert.deepEqual(
          children.map((span) => span.name),
          ['SELECT flows', 'SELECT credentials', 'hash.Compare', 'INSERT sessions'],
        );
        assert.deepEqual(
          spans
            .filter(
              (span) =>
                span !== server &&
                !children.includes(span) &&
                // The test's own SDK call is instrumented too: the caller's client span.
                span.spanContext().spanId !== server.parentSpanContext?.spanId,
            )
            .map((span) => span.name),
          [],
          'nothing else in the trace',
        );
        const [flowLookup, credentialLookup, compare, sessionInsert] = children as [
          ReadableSpan,
          ReadableSpan,
          ReadableSpan,
          ReadableSpan,
        ];
        assertSqlSpan(flowLookup, system, 'SELECT', 'flows');
        assertSqlSpan(credentialLookup, system, 'SELECT', 'credentials');
        assertSqlSpan(sessionInsert, system, 'INSERT', 'sessions');
        assert.equal(compare.kind, SpanKind.INTERNAL);
        assert.equal(compare.attributes['hash.type'], 'bcrypt');
        assert.equal(compare.attributes['bcrypt.workfactor'], 4);
        assert.equal(childrenOf(spans, compare).length, 0);
        assertNoSecret(spans, [password, data.session_token as string, 'kim@example.com']);
      });

      it('registration: hash.Generate with the work factor between the flow lookup and the inserts', async () => {
        const { data: flow } = await identity.frontend.createNativeRegistrationFlow();
        await tracing.reset();
        const newPassword = 'leo-secret-password';
        const { data } = await identity.frontend.updateRegistrationFlow({
          flow: flow.id,
          updateRegistrationFlowBody: {
            method: 'password',
            password: newPassword,
            traits: { email: 'leo@example.com' },
          },
        });
        const spans = await tracing.spans();
        const server = serverSpanOf(spans, 'POST /self-service/registration');
        const children = childrenOf(spans, server);
        assert.deepEqual(
          children.map((span) => span.name),
          [
            'SELECT flows',
            'hash.Generate',
            'BEGIN',
            'INSERT identities',
            'INSERT credentials',
            'COMMIT',
            'INSERT sessions',
          ],
        );
        const generate = children[1] as ReadableSpan;
        assert.equal(generate.kind, SpanKind.INTERNAL);
        assert.equal(generate.attributes['hash.type'], 'bcrypt');
        assert.equal(generate.attributes['bcrypt.workfactor'], 4);
        for (const sql of children.filter((span) => span.name.startsWith('INSERT'))) {
          const [operation, collection] = sql.name.split(' ') as [string, string];
          assertSqlSpan(sql, system, operation, collection);
        }
        assertNoSecret(spans, [newPassword, data.session_token as string]);
      });

      it('whoami: server span with SQL spans for the session and the identity, no token anywhere', async () => {
        const token = (await login(identity, 'kim@example.com', password)).data.session_token as string;
        await tracing.reset();
        const carriers: Record<string, string>[] = [
          { 'x-session-token': token },
          { cookie: `ory_kratos_session=${token}` },
          { authorization: `Bearer ${token}` },
        ];
        for (const headers of carriers) {
          const response = await fetch(`${identity.publicUrl}/sessions/whoami`, { headers });
          assert.equal(response.status, 200);
          const spans = await tracing.spans();
          const server = serverSpanOf(spans, 'GET /sessions/whoami');
          const children = childrenOf(spans, server);
          assert.deepEqual(
            children.map((span) => span.name),
            ['SELECT sessions', 'SELECT identities'],
          );
          assertSqlSpan(children[0] as ReadableSpan, system, 'SELECT', 'sessions');
          assertSqlSpan(children[1] as ReadableSpan, system, 'SELECT', 'identities');
          assertNoSecret(spans, [token]);
          await tracing.reset();
        }
      });

      it('a failed whoami marks the server span as an error (status >= 400 rule)', async () => {
        await tracing.reset();
        await statusOf(identity.frontend.toSession({ xSessionToken: 'ory_st_nope' }));
        const spans = await tracing.spans();
        const server = serverSpanOf(spans, 'GET /sessions/whoami');
        assert.equal(server.attributes.error, true);
        assert.equal(server.attributes['http.response.status_code'], 401);
        assertNoSecret(spans, ['ory_st_nope']);
      });
    },
  );
}

import { tracing, startIdentity, login, variants, type Running } from './support';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { sdkStatusOf as statusOf } from '@mesh/testkit';

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
            'INSERT identity_identifiers',
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

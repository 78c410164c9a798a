import {
  tracing,
  browserLogin,
  CookieJar,
  createPerson,
  csrfTokenOf,
  startIdentity,
  variants,
  type Running,
} from './support';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

const byStart = (a: ReadableSpan, b: ReadableSpan) =>
  a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];

/** The names of the spans under the one server span of `name`, in start order. */
function childNames(spans: readonly ReadableSpan[], name: string): string[] {
  const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
  assert.deepEqual(
    servers.map((span) => span.name),
    [name],
    'one request, one server span',
  );
  const server = servers[0] as ReadableSpan;
  return spans
    .filter((span) => span.parentSpanContext?.spanId === server.spanContext().spanId)
    .sort(byStart)
    .map((span) => span.name);
}

for (const variant of variants) {
  describe(
    `self-service flow spans on ${variant.name}`,
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
        await createPerson(identity, 'lena@example.com', 'lena-password-1');
      });
      after(async () => {
        await identity.servers.stop();
        await drop();
      });

      it('a browser login: the flow creation is its own trace; the submission shows the CSRF check, the credential lookup and hash.Compare', async () => {
        const jar = new CookieJar();
        await tracing.reset();
        const flow = await identity.frontend.createBrowserLoginFlow();
        jar.take(flow.headers['set-cookie']);
        assert.deepEqual(childNames(await tracing.spans(), 'GET /self-service/login/browser'), [
          'INSERT flows',
        ]);
        await tracing.reset();
        await identity.frontend.updateLoginFlow({
          flow: flow.data.id,
          cookie: jar.header(),
          updateLoginFlowBody: {
            method: 'password',
            identifier: 'lena@example.com',
            password: 'lena-password-1',
            csrf_token: csrfTokenOf(flow.data),
          },
        });
        const spans = await tracing.spans();
        assert.deepEqual(childNames(spans, 'POST /self-service/login'), [
          'SELECT flows',
          'csrf.Verify',
          'SELECT credentials',
          'hash.Compare',
          'INSERT sessions',
        ]);
        const csrf = spans.find((span) => span.name === 'csrf.Verify');
        assert.equal(csrf?.attributes['csrf.valid'], true);
        const everything = JSON.stringify(spans.map((span) => [span.attributes, span.events]));
        for (const secret of [
          'lena-password-1',
          csrfTokenOf(flow.data),
          String(jar.get('ory_kratos_session')),
        ])
          assert.ok(!everything.includes(secret), 'no secret in a span');
      });

      it('an unknown identifier costs the same bcrypt comparison (the decoy hash)', async () => {
        const flow = await identity.frontend.createNativeLoginFlow();
        await tracing.reset();
        const response = await fetch(`${identity.publicUrl}/self-service/login?flow=${flow.data.id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            method: 'password',
            identifier: 'nobody@example.com',
            password: 'whatever-pass',
          }),
        });
        assert.equal(response.status, 400);
        assert.deepEqual(childNames(await tracing.spans(), 'POST /self-service/login'), [
          'SELECT flows',
          'SELECT credentials',
          'hash.Compare',
          'UPDATE flows',
        ]);
      });

      it('a refused CSRF token: the csrf.Verify span, a 403, and no credential lookup', async () => {
        const flow = await identity.frontend.createBrowserLoginFlow();
        await tracing.reset();
        const response = await fetch(`${identity.publicUrl}/self-service/login?flow=${flow.data.id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            method: 'password',
            identifier: 'lena@example.com',
            password: 'lena-password-1',
          }),
        });
        assert.equal(response.status, 403);
        assert.deepEqual(childNames(await tracing.spans(), 'POST /self-service/login'), [
          'SELECT flows',
          'csrf.Verify',
        ]);
      });

      it('a settings password change shows hash.Generate and the credential write', async () => {
        const jar = new CookieJar();
        await browserLogin(identity, jar, 'lena@example.com', 'lena-password-1');
        const flow = await identity.frontend.createBrowserSettingsFlow({ cookie: jar.header() });
        jar.take(flow.headers['set-cookie']);
        await tracing.reset();
        await identity.frontend.updateSettingsFlow({
          flow: flow.data.id,
          cookie: jar.header(),
          updateSettingsFlowBody: {
            method: 'password',
            password: 'lena-password-2',
            csrf_token: csrfTokenOf(flow.data),
          },
        });
        const names = childNames(await tracing.spans(), 'POST /self-service/settings');
        assert.deepEqual(names.slice(0, 4), [
          'SELECT flows',
          'csrf.Verify',
          'SELECT sessions',
          'SELECT identities',
        ]);
        const generate = names.indexOf('hash.Generate');
        assert.ok(generate > 0, 'hash.Generate');
        assert.deepEqual(names.slice(generate + 1, generate + 5), [
          'BEGIN',
          'DELETE credentials',
          'INSERT credentials',
          'COMMIT',
        ]);
      });
    },
  );
}

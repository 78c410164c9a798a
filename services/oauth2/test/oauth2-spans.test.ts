import { requestToken, skipWithoutPostgres, startOAuth2, tracing, variants, type Running } from './support';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

const byStart = (a: ReadableSpan, b: ReadableSpan) =>
  a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];

const childrenOf = (spans: readonly ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId).sort(byStart);

/** The one server span of the request; every other span of the service is in its trace. */
function serverSpanOf(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
  assert.deepEqual(
    servers.map((span) => span.name),
    [name],
  );
  const server = servers[0] as ReadableSpan;
  for (const span of spans) assert.equal(span.spanContext().traceId, server.spanContext().traceId);
  return server;
}

function assertSqlSpan(span: ReadableSpan, system: string, operation: string, collection: string): void {
  assert.equal(span.kind, SpanKind.CLIENT, `${span.name} is a CLIENT span`);
  assert.equal(span.name, `${operation} ${collection}`);
  assert.equal(span.attributes['db.system.name'], system);
  assert.equal(span.attributes['db.operation.name'], operation);
  assert.equal(span.attributes['db.collection.name'], collection);
  assert.match(String(span.attributes['db.query.text']), /\$1|\?/, `${span.name} is parameterized`);
}

function assertNoSecret(spans: readonly ReadableSpan[], secrets: readonly string[]): void {
  const everything = JSON.stringify(
    spans.map((span) => [span.name, span.attributes, span.events, span.resource.attributes, span.status]),
  );
  for (const secret of secrets) assert.ok(!everything.includes(secret), 'no secret in any span');
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

for (const variant of variants) {
  const system = variant.name === 'SQLite' ? 'sqlite' : 'postgresql';
  describe(
    `oauth2 spans on ${variant.name} (the seed's trace)`,
    { skip: skipWithoutPostgres(variant) },
    () => {
      let oauth2: Running;
      let drop: () => Promise<void>;
      const secret = 'seed-example-secret';
      before(async () => {
        const database = await variant.dsn();
        drop = database.drop;
        oauth2 = await startOAuth2(database.dsn);
        const created = await post(`${oauth2.adminUrl}/admin/clients`, {
          client_id: 'seed-client',
          client_secret: secret,
          grant_types: ['client_credentials'],
          scope: 'documents.read',
        });
        assert.equal(created.status, 201);
      });
      after(async () => {
        await oauth2.servers.stop();
        await drop();
      });

      for (const path of ['/admin/clients', '/clients']) {
        it(`a duplicate POST ${path}: 409, error=true on the root span, hash.Generate, the failed INSERT`, async () => {
          await tracing.reset();
          const response = await post(`${oauth2.adminUrl}${path}`, {
            client_id: 'seed-client',
            client_secret: secret,
          });
          assert.equal(response.status, 409);
          const spans = await tracing.spans();
          const server = serverSpanOf(spans, `POST ${path}`);
          assert.equal(server.parentSpanContext, undefined, 'the request is the root of its trace');
          assert.equal(server.attributes['http.route'], path);
          assert.equal(server.attributes['http.response.status_code'], 409);
          assert.equal(server.attributes.error, true);
          assert.equal(server.status.code, SpanStatusCode.ERROR);
          const children = childrenOf(spans, server);
          assert.deepEqual(
            children.map((span) => span.name),
            ['hash.Generate', 'INSERT hydra_client'],
          );
          const [generate, insert] = children as [ReadableSpan, ReadableSpan];
          assert.equal(generate.attributes['hash.type'], 'bcrypt');
          assert.equal(generate.attributes['bcrypt.workfactor'], 4);
          assertSqlSpan(insert, system, 'INSERT', 'hydra_client');
          assert.equal(insert.status.code, SpanStatusCode.ERROR, 'the unique violation is on the SQL span');
          assertNoSecret(spans, [secret]);
        });
      }

      it('the token endpoint: client lookup, hash.Compare with bcrypt.workfactor, the token insert; no secret or token', async () => {
        await tracing.reset();
        const answer = await requestToken(
          oauth2.publicUrl,
          { grant_type: 'client_credentials', scope: 'documents.read' },
          { id: 'seed-client', secret },
        );
        assert.equal(answer.status, 200);
        const spans = await tracing.spans();
        const server = serverSpanOf(spans, 'POST /oauth2/token');
        assert.equal(server.attributes.error, undefined);
        const children = childrenOf(spans, server);
        assert.deepEqual(
          children.map((span) => span.name),
          ['SELECT hydra_client', 'hash.Compare', 'INSERT hydra_oauth2_access'],
        );
        const [lookup, compare, insert] = children as [ReadableSpan, ReadableSpan, ReadableSpan];
        assertSqlSpan(lookup, system, 'SELECT', 'hydra_client');
        assert.equal(compare.kind, SpanKind.INTERNAL);
        assert.equal(compare.attributes['hash.type'], 'bcrypt');
        assert.equal(compare.attributes['bcrypt.workfactor'], 4);
        assertSqlSpan(insert, system, 'INSERT', 'hydra_oauth2_access');
        const token = String(answer.body.access_token);
        assertNoSecret(spans, [secret, token, Buffer.from(`seed-client:${secret}`).toString('base64')]);

        await tracing.reset();
        const introspected = await oauth2.admin.introspectOAuth2Token({ token });
        assert.equal(introspected.data.active, true);
        const introspection = await tracing.spans();
        const introspectServer = serverSpanOf(
          introspection.filter((span) => span.resource.attributes['service.name'] === 'oauth2'),
          'POST /admin/oauth2/introspect',
        );
        assert.deepEqual(
          childrenOf(introspection, introspectServer).map((span) => span.name),
          ['SELECT hydra_oauth2_access'],
        );
        assertNoSecret(introspection, [token]);
      });

      it('a bad secret: 401 on the root span with error=true, and the comparison still ran', async () => {
        await tracing.reset();
        const answer = await requestToken(
          oauth2.publicUrl,
          { grant_type: 'client_credentials' },
          { id: 'seed-client', secret: 'not-the-secret' },
        );
        assert.equal(answer.status, 401);
        const spans = await tracing.spans();
        const server = serverSpanOf(spans, 'POST /oauth2/token');
        assert.equal(server.attributes.error, true);
        assert.deepEqual(
          childrenOf(spans, server).map((span) => span.name),
          ['SELECT hydra_client', 'hash.Compare'],
        );
        assertNoSecret(spans, ['not-the-secret']);
      });
    },
  );
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { startInMemoryTracing } from '@mesh/tracing';

const tracing = startInMemoryTracing({ name: 'documents', version: 'test' });

import type { DocumentsServer } from '../src/serve';

async function startDocuments(dsn: string): Promise<{ server: DocumentsServer; url: string }> {
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
    flags: [`dsn=${dsn}`, 'serve.public.port=0', 'serve.admin.port=0'],
  });
  const server = await serve(config, { log: createLogger('documents', 'silent') });
  return { server, url: `http://127.0.0.1:${portOf(server.server)}` };
}

after(() => tracing.handle.shutdown());

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
    let app: { server: DocumentsServer; url: string };
    let drop: () => Promise<void>;
    before(async () => {
      const database = await variant.open();
      drop = database.drop;
      app = await startDocuments(database.dsn);
    });
    after(async () => {
      await app.server.stop();
      await drop();
    });
    const put = (id: string, body: unknown) =>
      fetch(`${app.url}/documents/${encodeURIComponent(id)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('PUT creates (201) and updates (200); GET shows viewed_by from X-User; list; unknown 404', async () => {
      assert.equal((await put('doc-1', { title: 'Plan', body: 'secret plan', owner: 'alice' })).status, 201);
      assert.equal(
        (await put('doc-1', { title: 'Plan v2', body: 'secret plan', owner: 'alice' })).status,
        200,
      );
      const response = await fetch(`${app.url}/documents/doc-1`, { headers: { 'x-user': 'alice-id' } });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        id: 'doc-1',
        title: 'Plan v2',
        body: 'secret plan',
        owner: 'alice',
        viewed_by: 'alice-id',
      });
      const list = (await (await fetch(`${app.url}/documents`)).json()) as { id: string }[];
      assert.ok(list.some((document) => document.id === 'doc-1'));
      assert.equal((await fetch(`${app.url}/documents/nope`)).status, 404);
    });

    it('keeps SQL metacharacters unchanged and answers bad bodies with 400', async () => {
      const id = "x'; DROP TABLE documents; --";
      assert.equal((await put(id, { title: 't\'"', body: '%_\\', owner: 'o' })).status, 201);
      const fetched = (await (await fetch(`${app.url}/documents/${encodeURIComponent(id)}`)).json()) as {
        title: string;
        body: string;
      };
      assert.deepEqual([fetched.title, fetched.body], ['t\'"', '%_\\']);
      for (const body of [{}, { title: 1, body: 'b' }, { title: '', body: 'b' }])
        assert.equal((await put('bad', body)).status, 400);
    });
  });
}

describe('documents spans', () => {
  it('GET /documents/:id is one server span with one SQL span under it', async () => {
    const app = await startDocuments('memory');
    try {
      await fetch(`${app.url}/documents/doc-9`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{"title":"t","body":"b"}',
      });
      await tracing.reset();
      await fetch(`${app.url}/documents/doc-9`);
      const spans = await tracing.spans();
      const server = spans.find((span) => span.kind === SpanKind.SERVER);
      assert.equal(server?.name, 'GET /documents/:id');
      const children = spans.filter(
        (span) => span.parentSpanContext?.spanId === server?.spanContext().spanId,
      );
      assert.deepEqual(
        children.map((span) => span.name),
        ['SELECT documents'],
      );
      assert.equal(children[0]?.attributes['db.system.name'], 'sqlite');
    } finally {
      await app.server.stop();
    }
  });
});

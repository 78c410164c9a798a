import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startInMemoryTracing } from '../src';

// Started before @mesh/sql loads better-sqlite3 and pg, as in a service.
const tracing = startInMemoryTracing({ name: 'sql-test', version: '0.0.1' });

type Sql = typeof import('@mesh/sql');
let sql: Sql;
before(async () => {
  sql = await import('@mesh/sql');
});
after(() => tracing.handle.shutdown());

const secretValues = ['alice@example.com', "O'Brien; DROP TABLE t; --", 's3cret-value'];

async function exercise(db: import('@mesh/sql').SqlClient): Promise<void> {
  await db.execute('CREATE TABLE IF NOT EXISTS people (id TEXT PRIMARY KEY, email TEXT NOT NULL, note TEXT)');
  const tracer = trace.getTracer('sql-test');
  await tracer.startActiveSpan('request', async (span) => {
    await db.execute('INSERT INTO people (id, email, note) VALUES ($1, $2, $3)', [
      'p1',
      secretValues[0],
      secretValues[1],
    ]);
    const rows = await db.query<{ note: string }>('SELECT note FROM people WHERE email = $1', [
      secretValues[0],
    ]);
    assert.equal(rows[0]?.note, secretValues[1], 'metacharacters round-trip unchanged');
    await db.execute('UPDATE people SET note = $1 WHERE id = $2', [secretValues[2], 'p1']);
    await db.execute('DELETE FROM people WHERE id = $1', ['p1']);
    span.end();
  });
}

function assertSqlSpans(spans: readonly ReadableSpan[], system: string, namespace: string): void {
  const request = spans.find((span) => span.name === 'request');
  assert.ok(request, 'the parent span');
  const sqlSpans = spans.filter((span) => span.kind === SpanKind.CLIENT);
  assert.deepEqual(
    sqlSpans.map((span) => span.name),
    ['INSERT people', 'SELECT people', 'UPDATE people', 'DELETE people'],
    'exactly one span per statement, none for the CREATE outside a request',
  );
  for (const span of sqlSpans) {
    assert.equal(span.parentSpanContext?.spanId, request.spanContext().spanId);
    assert.equal(span.attributes['db.system.name'], system);
    assert.equal(span.attributes['db.namespace'], namespace);
    assert.equal(span.attributes['db.collection.name'], 'people');
    assert.match(String(span.attributes['db.query.text']), /\$1|\?/);
    assert.equal(span.attributes['db.operation.name'], span.name.split(' ')[0]);
    const everything = JSON.stringify({ attributes: span.attributes, events: span.events });
    for (const secret of secretValues)
      assert.ok(!everything.includes(secret), `no bound value in ${span.name}`);
  }
}

describe('SQL spans', () => {
  it('better-sqlite3: one CLIENT span per statement with the stable db attributes and no bound value', async () => {
    const db = sql.openDatabase('memory', { onIdleError: () => undefined });
    await tracing.reset();
    await exercise(db);
    assertSqlSpans(await tracing.spans(), 'sqlite', 'memory');
    await db.close();
  });

  it('pg: the same span shape as SQLite', async (t) => {
    const baseDsn = process.env.TEST_POSTGRES_DSN;
    if (!baseDsn) {
      t.skip('TEST_POSTGRES_DSN is not set');
      return;
    }
    const schema = await sql.createIsolatedSchema(baseDsn);
    const db = sql.openDatabase(schema.dsn, { onIdleError: () => undefined });
    try {
      await tracing.reset();
      await exercise(db);
      assertSqlSpans(await tracing.spans(), 'postgresql', new URL(baseDsn).pathname.slice(1));
    } finally {
      await db.close();
      await schema.drop();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderMetrics } from '@mesh/metrics';
import { createIsolatedSchema, openDatabase } from '../src';

const postgresDsn = process.env.TEST_POSTGRES_DSN;

const samples = async (name: string) =>
  (await renderMetrics()).body
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));

describe('database metrics', () => {
  test('SQLite: every statement is timed by system and operation, failures by their code', async () => {
    const db = openDatabase('memory', { onIdleError: () => undefined });
    await db.execute('CREATE TABLE things (id TEXT PRIMARY KEY)');
    await db.execute('INSERT INTO things VALUES ($1)', ['a']);
    await assert.rejects(db.execute('INSERT INTO things VALUES ($1)', ['a']));
    await db.close();
    const counts = await samples('db_client_operation_duration_seconds_count');
    assert.ok(
      counts.some((line) => /db_system_name="sqlite",db_operation_name="CREATE"\} 1$/.test(line)),
      counts.join('\n'),
    );
    assert.ok(
      counts.some((line) =>
        line.includes('db_operation_name="INSERT",error_type="SQLITE_CONSTRAINT_PRIMARYKEY"'),
      ),
      counts.join('\n'),
    );
  });

  test(
    'PostgreSQL: statements and the pool by state, named without credentials, gone once closed',
    { skip: !postgresDsn },
    async () => {
      const schema = await createIsolatedSchema(postgresDsn ?? '', 'metrics');
      const db = openDatabase(schema.dsn, { onIdleError: () => undefined });
      try {
        await Promise.all([db.query('SELECT pg_sleep(0.05)'), db.query('SELECT 1'), db.query('SELECT 2')]);
        const counts = await samples('db_client_operation_duration_seconds_count');
        assert.ok(
          counts.some((line) => line.includes('db_system_name="postgresql",db_operation_name="SELECT"')),
        );
        const pool = await samples('db_client_connection_count');
        const url = new URL(schema.dsn);
        const name = `${url.hostname}:${url.port || '5432'}${url.pathname}`;
        const idle = pool.find(
          (line) => line.includes(`pool_name="${name}"`) && line.includes('state="idle"'),
        );
        assert.ok(idle, pool.join('\n'));
        assert.ok(Number(idle.split(' ').at(-1)) >= 1, idle);
        assert.ok(!pool.some((line) => url.password && line.includes(url.password)));
        const max = await samples('db_client_connection_max');
        assert.ok(
          max.some(
            (line) => line === `db_client_connection_max{db_client_connection_pool_name="${name}"} 10`,
          ),
          max.join('\n'),
        );
      } finally {
        await db.close();
        await schema.drop();
      }
      assert.deepEqual(
        (await samples('db_client_connection_count')).filter((line) => line.includes('metrics')),
        [],
      );
    },
  );
});

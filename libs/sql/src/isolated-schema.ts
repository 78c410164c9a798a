import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface IsolatedSchema {
  /** The base DSN with `search_path` set to a fresh schema, so tests and instances never share tables. */
  dsn: string;
  schema: string;
  drop(): Promise<void>;
}

/**
 * A new PostgreSQL schema for one test run: every service's tests may share one database (CI has one,
 * `test`) without seeing each other's tables or migration records.
 */
export async function createIsolatedSchema(baseDsn: string, prefix = 'mesh'): Promise<IsolatedSchema> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: baseDsn });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseDsn);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    dsn: url.toString(),
    schema,
    async drop() {
      const client = new Client({ connectionString: baseDsn });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

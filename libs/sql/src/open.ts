import type { SqlClient } from './client';
import { parseDsn } from './dsn';
import { PostgresClient } from './postgres';
import { SqliteClient } from './sqlite';

export interface OpenOptions {
  /** Called when an idle PostgreSQL connection breaks; the pool replaces it on the next query. */
  onIdleError: (error: Error) => void;
}

export function openDatabase(dsn: string, options: OpenOptions): SqlClient {
  const parsed = parseDsn(dsn);
  if (parsed.dialect === 'sqlite') return new SqliteClient(parsed.filename);
  return new PostgresClient(parsed.connectionString, options.onIdleError);
}

import type { SqlClient } from './client';
import { PostgresClient } from './postgres';

export interface Migration {
  version: number;
  name: string;
  /** One or more statements; a dialect-specific form where SQLite and PostgreSQL differ. */
  up: string | { sqlite: string; postgres: string };
}

const migrationLockKey = 7_300_001;

function statementsOf(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
}

/**
 * Applies the migrations not yet recorded in `<service>_migrations`, each in its own transaction. Each
 * service keeps its own record, so services that share one database never mistake each other's versions.
 * Idempotent; on PostgreSQL an advisory lock makes two instances starting at once take turns,
 * on SQLite the transaction's write lock does the same. Returns the versions it applied.
 */
export async function migrate(
  db: SqlClient,
  migrations: readonly Migration[],
  service: string,
): Promise<number[]> {
  if (!/^[a-z][a-z0-9_]*$/.test(service)) throw new Error(`"${service}" cannot name a migrations table`);
  const table = `${service}_migrations`;
  const apply = async () => {
    await db.execute(
      `CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
    );
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      const done = await db.transaction(async (tx) => {
        const rows = await tx.query(`SELECT version FROM ${table} WHERE version = $1`, [migration.version]);
        if (rows.length > 0) return false;
        const sql = typeof migration.up === 'string' ? migration.up : migration.up[db.dialect];
        for (const statement of statementsOf(sql)) await tx.execute(statement);
        await tx.execute(`INSERT INTO ${table} (version, name, applied_at) VALUES ($1, $2, $3)`, [
          migration.version,
          migration.name,
          new Date().toISOString(),
        ]);
        return true;
      });
      if (done) applied.push(migration.version);
    }
    return applied;
  };
  return db instanceof PostgresClient ? db.withAdvisoryLock(migrationLockKey, apply) : apply();
}

import type { SqlClient } from './client';
import { migrate, type Migration } from './migrate';
import { openDatabase } from './open';
import { waitForDatabase } from './wait-for-database';

/** The two log calls start-up makes; every service's pino logger has them. */
export interface StartupLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface ServiceDatabaseOptions {
  dsn: string;
  /** `database.startup_timeout`, already parsed: how long an unreachable database is waited for. */
  startupTimeoutMs: number;
  migrations: readonly Migration[];
  /** Names the service's migrations table (`<service>_migrations`). */
  service: string;
  log: StartupLog;
}

/**
 * A service's start-up against its database, the same for every service: open it, wait for it with
 * backoff as Kratos and Keto do (one log line per wait), then apply the service's migrations.
 */
export async function openServiceDatabase(options: ServiceDatabaseOptions): Promise<SqlClient> {
  const { log } = options;
  const db = openDatabase(options.dsn, {
    onIdleError: (error) =>
      log.warn({ err: error.message }, 'an idle database connection failed; it will be replaced'),
  });
  await waitForDatabase(db, options.dsn, {
    timeoutMs: options.startupTimeoutMs,
    onWait: (wait) => log.warn(wait, 'the database is not reachable yet; waiting'),
  });
  const applied = await migrate(db, options.migrations, options.service);
  if (applied.length > 0) log.info({ versions: applied }, 'applied migrations');
  return db;
}

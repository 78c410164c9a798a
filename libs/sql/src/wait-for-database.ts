import { setTimeout as delay } from 'node:timers/promises';
import type { SqlClient } from './client';
import { isUnavailable } from './errors';

/** One wait before the next attempt, as a log line's fields. */
export interface DatabaseWait {
  /** The attempt that failed, from 1. */
  attempt: number;
  /** host:port/database, without the user or password. */
  target: string;
  retry_in_ms: number;
  elapsed_ms: number;
  /** Why the attempt failed. */
  err: string;
}

export interface WaitForDatabaseOptions {
  /** Give up after this long; 0 tries once. */
  timeoutMs: number;
  onWait: (wait: DatabaseWait) => void;
  /** The first wait; each next one is 1.5 times longer, at most `maxDelayMs` (Ory's backoff). */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** The database gave up answering within the start-up timeout. */
export class DatabaseStartupError extends Error {
  constructor(target: string, timeoutMs: number, attempts: number, cause: unknown) {
    const reason =
      cause instanceof Error ? cause.message || (cause as { code?: string }).code : String(cause);
    super(
      `the database at ${target} did not answer within ${timeoutMs} ms (${attempts} attempts; last: ${reason}); ` +
        'check that it is running and reachable, or raise database.startup_timeout (DATABASE_STARTUP_TIMEOUT)',
      { cause },
    );
    this.name = 'DatabaseStartupError';
  }
}

/** A DSN without its credentials, for logs and errors: `host:port/database`, or the SQLite file. */
export function dsnTarget(dsn: string): string {
  if (!/^postgres(ql)?:\/\//.test(dsn)) return dsn.split('?')[0] ?? dsn;
  const url = new URL(dsn);
  return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

/**
 * Waits at start until the database answers, as Kratos and Keto do: while it cannot be reached (connection
 * refused, host not resolvable yet, the server still starting, the database not created yet) it retries
 * with backoff, reporting each wait, and gives up with DatabaseStartupError after `timeoutMs`. Any other
 * error (a wrong password, say) is thrown at once: waiting would not fix it.
 */
export async function waitForDatabase(
  db: SqlClient,
  dsn: string,
  options: WaitForDatabaseOptions,
): Promise<void> {
  const started = Date.now();
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  let delayMs = options.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await db.ping();
      return;
    } catch (error) {
      if (!isUnavailable(error) && !isNotCreatedYet(error)) throw error;
      const elapsedMs = Date.now() - started;
      if (elapsedMs + delayMs > options.timeoutMs)
        throw new DatabaseStartupError(dsnTarget(dsn), options.timeoutMs, attempt, rootCause(error));
      options.onWait({
        attempt,
        target: dsnTarget(dsn),
        retry_in_ms: delayMs,
        elapsed_ms: elapsedMs,
        err: describe(rootCause(error)),
      });
      await delay(delayMs);
      delayMs = Math.min(Math.round(delayMs * 1.5), maxDelayMs);
    }
  }
}

/** 3D000 invalid_catalog_name: the server is up but its init scripts have not created the database yet. */
const isNotCreatedYet = (error: unknown) => (rootCause(error) as { code?: unknown } | null)?.code === '3D000';

const rootCause = (error: unknown): unknown =>
  error instanceof Error && error.cause !== undefined ? error.cause : error;

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return [typeof code === 'string' ? code : '', error.message].filter(Boolean).join(' ');
}

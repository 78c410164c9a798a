import { observeConnectionPool, recordDbOperation } from '@mesh/metrics';
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import type { ExecuteResult, SqlClient } from './client';
import { DatabaseUnavailableError, isUnavailable } from './errors';

function rethrow(error: unknown): never {
  throw isUnavailable(error) ? new DatabaseUnavailableError(error) : error;
}

type Queryable = Pick<Pool, 'query'> | PoolClient;

/** The failure's SQLSTATE or errno code, or its class name: the `error.type` of the statement's duration. */
const errorTypeOf = (error: unknown): string =>
  (error as { code?: unknown } | null)?.code?.toString() ?? (error as Error | null)?.name ?? 'Error';

async function run<Row>(target: Queryable, text: string, params: readonly unknown[]) {
  const started = performance.now();
  let failure: string | undefined;
  try {
    return await target.query<QueryResultRow & Row>(text, params as unknown[]);
  } catch (error) {
    failure = errorTypeOf(error);
    return rethrow(error);
  } finally {
    recordDbOperation('postgresql', text, (performance.now() - started) / 1000, failure);
  }
}

/** `host:port/database`: names the pool in the metrics without its credentials. */
function poolNameOf(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'postgresql';
  }
}

function clientOver(target: Queryable, transaction: SqlClient['transaction']): SqlClient {
  return {
    dialect: 'postgres',
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await run<Row>(target, text, params)).rows,
    execute: async (text: string, params: readonly unknown[] = []): Promise<ExecuteResult> => ({
      rowCount: (await run(target, text, params)).rowCount ?? 0,
    }),
    transaction,
    ping: async () => {
      await run(target, 'SELECT 1', []);
    },
    close: async () => undefined,
  };
}

/** A pool of PostgreSQL connections; a lost server surfaces as DatabaseUnavailableError and the pool reconnects. */
export class PostgresClient implements SqlClient {
  readonly dialect = 'postgres' as const;
  private readonly pool: Pool;
  private readonly direct: SqlClient;
  private readonly unobservePool: () => void;

  constructor(connectionString: string, onIdleError: (error: Error) => void) {
    this.pool = new Pool({
      connectionString,
      max: 10,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client that loses its server emits here; without a listener the process would crash.
    this.pool.on('error', onIdleError);
    this.direct = clientOver(this.pool, (work) => this.transaction(work));
    const pool = this.pool;
    this.unobservePool = observeConnectionPool(poolNameOf(connectionString), () => ({
      idle: pool.idleCount,
      used: pool.totalCount - pool.idleCount,
      pending: pool.waitingCount,
      max: pool.options.max ?? 10,
    }));
  }

  query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.direct.query<Row>(text, params);
  }

  execute(text: string, params?: readonly unknown[]): Promise<ExecuteResult> {
    return this.direct.execute(text, params);
  }

  async transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T> {
    let connection: PoolClient;
    try {
      connection = await this.pool.connect();
    } catch (error) {
      return rethrow(error);
    }
    const tx = clientOver(connection, (nested) => nested(tx));
    let broken = false;
    try {
      await tx.execute('BEGIN');
      const result = await work(tx);
      await tx.execute('COMMIT');
      return result;
    } catch (error) {
      broken = isUnavailable(error);
      if (!broken) await connection.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      connection.release(broken);
    }
  }

  ping(): Promise<void> {
    return this.direct.ping();
  }

  async close(): Promise<void> {
    this.unobservePool();
    await this.pool.end();
  }

  /** Runs `work` while holding a session-level advisory lock, so two instances never migrate at once. */
  async withAdvisoryLock<T>(key: number, work: () => Promise<T>): Promise<T> {
    const connection = await this.pool.connect().catch(rethrow);
    try {
      await connection.query('SELECT pg_advisory_lock($1)', [key]);
      try {
        return await work();
      } finally {
        await connection.query('SELECT pg_advisory_unlock($1)', [key]);
      }
    } finally {
      connection.release();
    }
  }
}

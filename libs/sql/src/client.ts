export type Dialect = 'sqlite' | 'postgres';

export interface ExecuteResult {
  rowCount: number;
}

/**
 * One interface over SQLite and PostgreSQL. Statements use `$1, $2 …` placeholders on both,
 * and every value travels as a bound parameter, never inside the SQL text.
 * Timestamps are stored as ISO-8601 TEXT so both databases return the same shapes.
 */
export interface SqlClient {
  readonly dialect: Dialect;
  query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  execute(text: string, params?: readonly unknown[]): Promise<ExecuteResult>;
  /** Runs `work` in one transaction; it commits when `work` resolves and rolls back when it throws. */
  transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T>;
  /** Resolves when the database answers; `/health/ready` uses it. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

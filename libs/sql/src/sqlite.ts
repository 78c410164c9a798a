import { recordDbOperation } from '@mesh/metrics';
import Database from 'better-sqlite3';
import type { ExecuteResult, SqlClient } from './client';

type Binding = string | number | bigint | Buffer | null;

function toBinding(value: unknown): Binding {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    Buffer.isBuffer(value)
  ) {
    return value;
  }
  return JSON.stringify(value);
}

/** `$1` is PostgreSQL's placeholder; SQLite's numbered form is `?1`, bound from an object keyed by number. */
function toSqliteText(text: string): string {
  return text.replace(/\$(\d+)/g, '?$1');
}

function bindingsOf(params: readonly unknown[]): Record<number, Binding> {
  const bound: Record<number, Binding> = {};
  params.forEach((value, index) => {
    bound[index + 1] = toBinding(value);
  });
  return bound;
}

/** Runs one synchronous statement and observes its duration. */
function timed<T>(sql: string, work: () => T): T {
  const started = performance.now();
  let failure: string | undefined;
  try {
    return work();
  } catch (error) {
    failure = (error as { code?: string }).code ?? 'Error';
    throw error;
  } finally {
    recordDbOperation('sqlite', sql, (performance.now() - started) / 1000, failure);
  }
}

/**
 * better-sqlite3 is synchronous, so one connection serves everything; an async transaction holds a lock
 * that every other statement waits for, so no statement of another request lands inside it.
 */
export class SqliteClient implements SqlClient {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private lock: Promise<void> = Promise.resolve();

  constructor(filename: string) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
  }

  /** Prepared once per statement text, keyed by the caller's (PostgreSQL-style) text. */
  private prepare(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(toSqliteText(text));
      this.statements.set(text, statement);
    }
    return statement;
  }

  private runQuery<Row>(text: string, params: readonly unknown[]): Row[] {
    const statement = this.prepare(text);
    const bound = bindingsOf(params);
    return timed(text, () =>
      statement.reader ? (statement.all(bound) as Row[]) : (statement.run(bound), []),
    );
  }

  private runExecute(text: string, params: readonly unknown[]): ExecuteResult {
    const statement = this.prepare(text);
    const bound = bindingsOf(params);
    return timed(text, () =>
      statement.reader
        ? { rowCount: statement.all(bound).length }
        : { rowCount: statement.run(bound).changes },
    );
  }

  async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    await this.lock;
    return this.runQuery<Row>(text, params);
  }

  async execute(text: string, params: readonly unknown[] = []): Promise<ExecuteResult> {
    await this.lock;
    return this.runExecute(text, params);
  }

  async transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T> {
    let release: () => void = () => undefined;
    const previous = this.lock;
    this.lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    const tx: SqlClient = {
      dialect: 'sqlite',
      query: async <Row>(text: string, params: readonly unknown[] = []) => this.runQuery<Row>(text, params),
      execute: async (text: string, params: readonly unknown[] = []) => this.runExecute(text, params),
      transaction: (nested) => nested(tx),
      ping: async () => undefined,
      close: async () => undefined,
    };
    try {
      this.prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await work(tx);
        this.prepare('COMMIT').run();
        return result;
      } catch (error) {
        this.prepare('ROLLBACK').run();
        throw error;
      }
    } finally {
      release();
    }
  }

  async ping(): Promise<void> {
    await this.lock;
    this.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.lock;
    this.db.close();
  }
}

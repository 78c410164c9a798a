import { SpanKind, SpanStatusCode, context, trace, type Attributes, type Span } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  type InstrumentationConfig,
} from '@opentelemetry/instrumentation';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
} from '@opentelemetry/semantic-conventions';
import type BetterSqlite3 from 'better-sqlite3';
import { basename } from 'node:path';
import { sqlSpanName, summarizeSql } from './summary';

type DatabaseConstructor = typeof BetterSqlite3;
// `iterate` is left alone: its rows arrive after the call returns, so a span around it would lie.
const statementMethods = ['run', 'get', 'all'] as const;
const tracerVersion = '1.0.0';
const maxSpanShapes = 1_000;

/** db.namespace of a SQLite database: its file's name, or `memory`. */
function namespaceOf(database: { name?: string; memory?: boolean }): string {
  return database.memory || !database.name || database.name === ':memory:'
    ? 'memory'
    : basename(database.name);
}

/**
 * better-sqlite3 has no maintained instrumentation for SDK 2.x, so this one wraps the driver the way
 * instrumentation-pg wraps pg: one CLIENT span per statement execution, the stable database attributes,
 * the parameterized text only (bound values are never read), and no span outside a request.
 */
export class BetterSqlite3Instrumentation extends InstrumentationBase<InstrumentationConfig> {
  constructor(config: InstrumentationConfig = {}) {
    super('mesh-instrumentation-better-sqlite3', tracerVersion, config);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      'better-sqlite3',
      ['>=9 <13'],
      (moduleExports: DatabaseConstructor) => {
        this.patchDatabase(moduleExports);
        return moduleExports;
      },
      (moduleExports: DatabaseConstructor) => {
        const proto = moduleExports.prototype as unknown as Record<string, unknown>;
        this._unwrap(proto as never, 'prepare' as never);
        this._unwrap(proto as never, 'exec' as never);
        return moduleExports;
      },
    );
  }

  /**
   * The span name and attributes of each statement text, worked out once: the services run a few dozen
   * prepared statements over and over, and reading the verb and table is regular expressions each time.
   */
  private readonly spanShapes = new Map<string, { name: string; attributes: Attributes }>();

  private spanShapeOf(sql: string, database: { name?: string; memory?: boolean }) {
    const namespace = namespaceOf(database);
    const key = `${namespace}\u0000${sql}`;
    let shape = this.spanShapes.get(key);
    if (!shape) {
      const summary = summarizeSql(sql);
      shape = {
        name: sqlSpanName(summary),
        attributes: {
          [ATTR_DB_SYSTEM_NAME]: 'sqlite',
          [ATTR_DB_NAMESPACE]: namespace,
          [ATTR_DB_QUERY_TEXT]: sql,
          [ATTR_DB_OPERATION_NAME]: summary.operation,
          ...(summary.collection ? { [ATTR_DB_COLLECTION_NAME]: summary.collection } : {}),
        },
      };
      // Ad hoc `exec` texts (migrations, tests) must not grow it without bound.
      if (this.spanShapes.size >= maxSpanShapes) this.spanShapes.clear();
      this.spanShapes.set(key, shape);
    }
    return shape;
  }

  private startSpan(sql: string, database: { name?: string; memory?: boolean }): Span | undefined {
    if (!trace.getSpan(context.active())) return undefined;
    const { name, attributes } = this.spanShapeOf(sql, database);
    // The SDK copies attributes into the span, so one shared object per statement is safe.
    return this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
  }

  private traced<T>(sql: string, database: { name?: string; memory?: boolean }, run: () => T): T {
    const span = this.startSpan(sql, database);
    if (!span) return run();
    try {
      return run();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  private patchDatabase(Database: DatabaseConstructor): void {
    const traced = this.traced.bind(this);
    const patchStatementPrototype = this.patchStatementPrototype.bind(this);
    const proto = Database.prototype as unknown as Record<string, unknown>;
    this._wrap(
      proto as never,
      'exec' as never,
      ((original: (sql: string) => unknown) =>
        function exec(this: BetterSqlite3.Database, sql: string) {
          return traced(sql, this, () => original.call(this, sql));
        }) as never,
    );
    this._wrap(
      proto as never,
      'prepare' as never,
      ((original: (sql: string) => BetterSqlite3.Statement) =>
        function prepare(this: BetterSqlite3.Database, sql: string) {
          const statement = original.call(this, sql);
          patchStatementPrototype(Object.getPrototypeOf(statement) as Record<string, unknown>);
          return statement;
        }) as never,
    );
  }

  private readonly patchedPrototypes = new WeakSet<object>();

  /** Statements share one prototype that better-sqlite3 does not export, so it is patched on first sight. */
  private patchStatementPrototype(proto: Record<string, unknown>): void {
    if (this.patchedPrototypes.has(proto)) return;
    this.patchedPrototypes.add(proto);
    const traced = this.traced.bind(this);
    for (const method of statementMethods) {
      this._wrap(
        proto as never,
        method as never,
        ((original: (...args: unknown[]) => unknown) =>
          function statementCall(this: BetterSqlite3.Statement, ...args: unknown[]) {
            return traced(this.source, this.database, () => original.apply(this, args));
          }) as never,
      );
    }
  }
}

import type { PgInstrumentationConfig } from '@opentelemetry/instrumentation-pg';
import { ATTR_DB_COLLECTION_NAME, ATTR_DB_OPERATION_NAME } from '@opentelemetry/semantic-conventions';
import { sqlSpanName, summarizeSql } from './summary';

/**
 * instrumentation-pg already records db.system.name, db.namespace and the parameterized db.query.text;
 * this adds db.operation.name and db.collection.name and the `{operation} {collection}` name, so a
 * PostgreSQL span reads exactly like a SQLite one. Connection spans and spans outside a request
 * (start-up migrations) are left out.
 */
export function pgInstrumentationConfig(): PgInstrumentationConfig {
  return {
    requireParentSpan: true,
    ignoreConnectSpans: true,
    enhancedDatabaseReporting: false,
    requestHook(span, info) {
      const summary = summarizeSql(info.query.text);
      span.setAttribute(ATTR_DB_OPERATION_NAME, summary.operation);
      if (summary.collection) span.setAttribute(ATTR_DB_COLLECTION_NAME, summary.collection);
      span.updateName(sqlSpanName(summary));
    },
  };
}

import { Gauge, Histogram } from 'prom-client';
import { durationBuckets } from './buckets';
import { exemplarOf } from './exemplar';
import { observeHistogram } from './observe';
import { registry } from './registry';

export type DbSystem = 'postgresql' | 'sqlite';

/** `db.client.operation.duration`: one statement, from the call until its rows or its error. */
const operationDuration = new Histogram({
  name: 'db_client_operation_duration_seconds',
  help: 'Duration of database client operations.',
  labelNames: ['db_system_name', 'db_operation_name', 'error_type'],
  buckets: [0.001, ...durationBuckets],
  enableExemplars: true,
  registers: [registry],
});

/** Statement keywords that become `db.operation.name`; anything else is `OTHER`, so SQL text never becomes a label. */
const operations = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'WITH',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'CREATE',
  'ALTER',
  'DROP',
  'PRAGMA',
]);

export function operationNameOf(sql: string): string {
  const keyword = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
  return operations.has(keyword) ? keyword : 'OTHER';
}

/** Observes one statement; `error` is the failure's code or name when it failed. */
export function recordDbOperation(system: DbSystem, sql: string, seconds: number, error?: string): void {
  const labels: Record<string, string> = { db_system_name: system, db_operation_name: operationNameOf(sql) };
  if (error) labels.error_type = error;
  observeHistogram(operationDuration, labels, seconds, exemplarOf());
}

export interface PoolStats {
  idle: number;
  used: number;
  /** Requests waiting for a connection. */
  pending: number;
  max: number;
}

const pools = new Map<string, () => PoolStats>();

new Gauge({
  name: 'db_client_connection_count',
  help: 'The number of connections that are currently in the state described by the state label.',
  labelNames: ['db_client_connection_pool_name', 'db_client_connection_state'],
  registers: [registry],
  collect() {
    this.reset();
    for (const [name, stats] of pools) {
      const { idle, used } = stats();
      this.set({ db_client_connection_pool_name: name, db_client_connection_state: 'idle' }, idle);
      this.set({ db_client_connection_pool_name: name, db_client_connection_state: 'used' }, used);
    }
  },
});

const poolGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
  new Gauge({
    name,
    help,
    labelNames: ['db_client_connection_pool_name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [pool, stats] of pools) this.set({ db_client_connection_pool_name: pool }, read(stats()));
    },
  });

poolGauge(
  'db_client_connection_max',
  'The maximum number of open connections allowed.',
  (stats) => stats.max,
);
poolGauge(
  'db_client_connection_pending_requests',
  'The number of current pending requests for an open connection.',
  (stats) => stats.pending,
);

/** Reports a connection pool's state at every scrape until the returned function is called (the pool closed). */
export function observeConnectionPool(name: string, stats: () => PoolStats): () => void {
  pools.set(name, stats);
  return () => {
    if (pools.get(name) === stats) pools.delete(name);
  };
}

export { registry, renderMetrics } from './registry';
export { exemplarOf, type ExemplarLabels } from './exemplar';
export { durationBuckets, methodLabel } from './buckets';
export { observeHistogram } from './observe';
export { recordServerDurations, type RouteOf } from './http-server';
export { recordClientDurations } from './http-client';
export {
  recordDbOperation,
  observeConnectionPool,
  operationNameOf,
  type DbSystem,
  type PoolStats,
} from './db';
export { recordBcrypt, observeBcryptQueue } from './bcrypt';
export { sdkSelfMetricsProvider } from './sdk-self-metrics';
export { serveMetrics } from './endpoint';
export { defineCounter } from './define';

export { tracingSchema, providerNames, type ProviderName, type TracingConfig } from './config/schema';
export { resolveTracing, type ResolvedTracing, type ServiceIdentity } from './config/resolve';
export { debugControls, tracingKeysMarkdown } from './config/debug-controls';
export { startTracing, batchLimits, type TracingHandle, type StartTracingOptions } from './start';
export { createPropagator } from './propagation';
export { InstanaPropagator } from './propagation-instana';
export { createLogger, type Logger } from './logger';
export { expressRouteOf, isUntracedPath, setServerRoute, untraceRequests } from './http/server-spans';
export { createBcryptHasher, workFactorOf, type PasswordHasher, type BcryptOptions } from './hash/bcrypt';
export { summarizeSql, sqlSpanName } from './sql/summary';
export {
  encodeEmitBatch,
  type JaegerBatch,
  type JaegerSpan,
  type JaegerTag,
} from './providers/jaeger-thrift';
export { bootService, type BootContext, type RunningService } from './boot';
export { startInMemoryTracing, type InMemoryTracing } from './testing';

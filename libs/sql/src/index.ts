export type { Dialect, ExecuteResult, SqlClient } from './client';
export { parseDsn, type ParsedDsn } from './dsn';
export { DatabaseUnavailableError, isUnavailable, isUniqueViolation } from './errors';
export { migrate, type Migration } from './migrate';
export { openDatabase, type OpenOptions } from './open';
export { openServiceDatabase, type ServiceDatabaseOptions, type StartupLog } from './open-service-database';
export { createIsolatedSchema, type IsolatedSchema } from './isolated-schema';
export { migrateCommand } from './migrate-command';
export {
  waitForDatabase,
  dsnTarget,
  DatabaseStartupError,
  type DatabaseWait,
  type WaitForDatabaseOptions,
} from './wait-for-database';

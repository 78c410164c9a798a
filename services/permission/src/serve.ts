import { packageVersion } from '@mesh/config';
import { createApp, closeServers, listen, listenMetrics } from '@mesh/server';
import { migrate, openDatabase } from '@mesh/sql';
import type { BootContext, RunningService } from '@mesh/tracing';
import type { Server } from 'node:http';
import { PermissionChecker } from './check';
import type { PermissionConfig } from './config';
import { addReadRoutes } from './routes/read';
import { addWriteRoutes } from './routes/write';
import { permissionMigrations } from './store/migrations';
import { TupleStore } from './store/tuple-store';

export interface PermissionServers extends RunningService {
  readServer: Server;
  writeServer: Server;
}

/** Opens the database, applies migrations, and serves the read and write APIs. */
export async function serve(
  config: PermissionConfig,
  { log }: Pick<BootContext, 'log'>,
): Promise<PermissionServers> {
  const db = openDatabase(config.dsn, {
    onIdleError: (error) =>
      log.warn({ err: error.message }, 'an idle database connection failed; it will be replaced'),
  });
  const applied = await migrate(db, permissionMigrations, 'permission');
  if (applied.length > 0) log.info({ versions: applied }, 'applied migrations');
  const namespaces = config.namespaces.map((namespace) => namespace.name);
  const store = new TupleStore(db);
  const checker = new PermissionChecker(store, new Set(namespaces), config.limit.max_read_depth);
  const common = { log, version: packageVersion(__dirname), checkReady: () => db.ping() };

  const readApp = createApp(common, (app) => addReadRoutes(app, checker, store, namespaces));
  const writeApp = createApp(common, (app) => addWriteRoutes(app, checker, store));
  const readServer = await listen(readApp, { ...config.serve.read, log, name: 'read' });
  const writeServer = await listen(writeApp, { ...config.serve.write, log, name: 'write' });
  const metricsServer = await listenMetrics({ ...config.serve.metrics, path: '/metrics/prometheus', log });
  return {
    readServer,
    writeServer,
    async stop() {
      await closeServers([readServer, writeServer, metricsServer]);
      await db.close();
    },
  };
}

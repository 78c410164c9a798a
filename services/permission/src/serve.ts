import { packageVersion, parseDuration } from '@mesh/config';
import { createApp, closeServers, listen, listenMetrics } from '@mesh/server';
import { openServiceDatabase } from '@mesh/sql';
import type { BootContext, RunningService } from '@mesh/tracing';
import type { Server } from 'node:http';
import { PermissionChecker } from './check';
import type { PermissionConfig } from './config';
import { NamespaceSource } from './opl/namespace-source';
import { addOplRoutes } from './routes/opl';
import { addReadRoutes } from './routes/read';
import { addWriteRoutes } from './routes/write';
import { permissionMigrations } from './store/migrations';
import { TupleStore } from './store/tuple-store';

export interface PermissionServers extends RunningService {
  readServer: Server;
  writeServer: Server;
  oplServer: Server;
}

/** Loads the namespaces, opens the database, applies migrations, and serves the read, write and OPL APIs. */
export async function serve(
  config: PermissionConfig,
  { log }: Pick<BootContext, 'log'>,
): Promise<PermissionServers> {
  const namespaces = await NamespaceSource.open(config.namespaces, log);
  const db = await openServiceDatabase({
    dsn: config.dsn,
    startupTimeoutMs: parseDuration('database.startup_timeout', config.database.startup_timeout),
    migrations: permissionMigrations,
    service: 'permission',
    log,
  });
  const store = new TupleStore(db);
  const checker = new PermissionChecker(store, () => namespaces.model, {
    maxReadDepth: config.limit.max_read_depth,
    maxSpans: config.limit.max_check_spans,
  });
  const common = { log, version: packageVersion(__dirname), checkReady: () => db.ping() };

  const readApp = createApp(common, (app) => addReadRoutes(app, checker, store));
  const writeApp = createApp(common, (app) => addWriteRoutes(app, checker, store));
  const oplApp = createApp(common, (app) => addOplRoutes(app));
  const readServer = await listen(readApp, { ...config.serve.read, log, name: 'read' });
  const writeServer = await listen(writeApp, { ...config.serve.write, log, name: 'write' });
  const oplServer = await listen(oplApp, { ...config.serve.opl, log, name: 'opl' });
  const metricsServer = await listenMetrics({ ...config.serve.metrics, path: '/metrics/prometheus', log });
  return {
    readServer,
    writeServer,
    oplServer,
    async stop() {
      namespaces.stop();
      await closeServers([readServer, writeServer, oplServer, metricsServer]);
      await db.close();
    },
  };
}

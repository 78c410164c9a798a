import { packageVersion, parseDuration } from '@mesh/config';
import { createApp, closeServers, listen } from '@mesh/server';
import { openServiceDatabase } from '@mesh/sql';
import type { BootContext, RunningService } from '@mesh/tracing';
import type { Server } from 'node:http';
import type { DocumentsConfig } from './config';
import { idTokenVerifier } from './id-token';
import { addAdminDocumentRoutes } from './routes/admin-documents';
import { addDocumentRoutes } from './routes/documents';
import { DocumentStore } from './store/document-store';
import { documentsMigrations } from './store/migrations';

export interface DocumentsServer extends RunningService {
  server: Server;
  adminServer: Server;
}

export async function serve(
  config: DocumentsConfig,
  { log }: Pick<BootContext, 'log'>,
): Promise<DocumentsServer> {
  const db = await openServiceDatabase({
    dsn: config.dsn,
    startupTimeoutMs: parseDuration('database.startup_timeout', config.database.startup_timeout),
    migrations: documentsMigrations,
    service: 'documents',
    log,
  });
  const store = new DocumentStore(db);
  const common = { log, version: packageVersion(__dirname), checkReady: () => db.ping() };
  const subjectOf = idTokenVerifier(config.id_token);
  const app = createApp(common, (routes) => addDocumentRoutes(routes, store, subjectOf));
  const adminApp = createApp({ ...common, metricsPath: '/admin/metrics/prometheus' }, (routes) =>
    addAdminDocumentRoutes(routes, store),
  );
  const server = await listen(app, { ...config.serve.public, log, name: 'public' });
  const adminServer = await listen(adminApp, { ...config.serve.admin, log, name: 'admin' });
  return {
    server,
    adminServer,
    async stop() {
      await closeServers([server, adminServer]);
      await db.close();
    },
  };
}

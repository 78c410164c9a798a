import { packageVersion } from '@mesh/config';
import { createApp, closeServers, listen } from '@mesh/server';
import { migrate, openDatabase } from '@mesh/sql';
import { createBcryptHasher, type BootContext, type RunningService } from '@mesh/tracing';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { IdentityConfig } from './config';
import { IdentityService } from './identity-service';
import { addAdminRoutes } from './routes/admin';
import { addPublicRoutes } from './routes/public';
import { IdentityStore } from './store/identity-store';
import { identityMigrations } from './store/migrations';

export interface IdentityServers extends RunningService {
  publicServer: Server;
  adminServer: Server;
}

/** Opens the database, applies migrations, and serves the public and admin APIs. */
export async function serve(
  config: IdentityConfig,
  { log }: Pick<BootContext, 'log'>,
): Promise<IdentityServers> {
  const db = openDatabase(config.dsn, {
    onIdleError: (error) =>
      log.warn({ err: error.message }, 'an idle database connection failed; it will be replaced'),
  });
  const applied = await migrate(db, identityMigrations, 'identity');
  if (applied.length > 0) log.info({ versions: applied }, 'applied migrations');
  const hasher = createBcryptHasher({ cost: config.hashers.bcrypt.cost });
  const decoyHash = await hasher.generate(randomBytes(24).toString('base64'));
  const store = new IdentityStore(db);
  const identities = new IdentityService(store, hasher, decoyHash, config);
  const common = { log, version: packageVersion(__dirname), checkReady: () => db.ping() };

  const publicApp = createApp(common, (app) => addPublicRoutes(app, identities));
  const adminApp = createApp({ ...common, metricsPath: '/admin/metrics/prometheus' }, (app) =>
    addAdminRoutes(app, identities, store),
  );
  const publicServer = await listen(publicApp, { ...config.serve.public, log, name: 'public' });
  const adminServer = await listen(adminApp, { ...config.serve.admin, log, name: 'admin' });
  return {
    publicServer,
    adminServer,
    async stop() {
      await closeServers([publicServer, adminServer]);
      await hasher.close();
      await db.close();
    },
  };
}

import { packageVersion, parseDuration } from '@mesh/config';
import { createApp, closeServers, listen } from '@mesh/server';
import { openServiceDatabase } from '@mesh/sql';
import { createBcryptHasher, type BootContext, type RunningService } from '@mesh/tracing';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { IdentityConfig } from './config';
import { CsrfProtection } from './csrf';
import { IdentityService } from './identity-service';
import { CredentialRateLimits } from './rate-limit';
import { addAdminIdentityRoutes } from './routes/admin';
import { addAdminSessionRoutes } from './routes/admin-sessions';
import { addPublicRoutes } from './routes/public';
import { addSchemaRoutes } from './routes/schemas';
import { addSelfServiceRoutes } from './routes/self-service';
import { IdentitySchemas } from './schemas/identity-schemas';
import { FlowService } from './selfservice/flow-service';
import { ReturnToPolicy } from './selfservice/return-to';
import { SessionCookie } from './session-cookie';
import { SessionService } from './session-service';
import { FlowStore } from './store/flow-store';
import { IdentityStore } from './store/identity-store';
import { identityMigrations } from './store/migrations';
import { SessionStore } from './store/session-store';

export interface IdentityServers extends RunningService {
  publicServer: Server;
  adminServer: Server;
}

/** Reads the identity schemas, opens the database, applies migrations, and serves the public and admin APIs. */
export async function serve(
  config: IdentityConfig,
  { log }: Pick<BootContext, 'log'>,
): Promise<IdentityServers> {
  const schemas = await IdentitySchemas.load(config.identity.schemas, config.identity.default_schema_id);
  const limits = new CredentialRateLimits(config.rate_limit);
  const returnTo = new ReturnToPolicy(
    config.selfservice.allowed_return_urls,
    config.selfservice.default_browser_return_url,
  );
  const cookie = new SessionCookie(config);
  if (cookie.ephemeral)
    log.warn(
      'secrets.cookie is not set: a random secret signs session cookies, and they stop working on restart',
    );
  const db = await openServiceDatabase({
    dsn: config.dsn,
    startupTimeoutMs: parseDuration('database.startup_timeout', config.database.startup_timeout),
    migrations: identityMigrations,
    service: 'identity',
    log,
  });
  const hasher = createBcryptHasher({ cost: config.hashers.bcrypt.cost });
  const decoyHash = await hasher.generate(randomBytes(24).toString('base64'));
  const identityStore = new IdentityStore(db);
  const sessionStore = new SessionStore(db);
  const identities = new IdentityService(identityStore, schemas, hasher);
  const sessions = new SessionService(sessionStore, identityStore, cookie, config);
  const csrf = new CsrfProtection(config.serve.public.base_url, !config.dev);
  const flows = new FlowService(new FlowStore(db), csrf, config);
  const views = { publicBaseUrl: config.serve.public.base_url, schemas };
  const strategies = {
    identities,
    identityStore,
    sessions,
    hasher,
    decoyHash,
    limits,
    privilegedMaxAgeMs: parseDuration(
      'selfservice.flows.settings.privileged_session_max_age',
      config.selfservice.flows.settings.privileged_session_max_age,
    ),
    publicBaseUrl: flows.publicBaseUrl,
  };
  const version = packageVersion(__dirname);
  const common = { log, version, checkReady: () => db.ping() };

  const publicApp = createApp(common, (app) => {
    addPublicRoutes(app, { config, sessions, sessionStore, returnTo, views });
    addSelfServiceRoutes(app, { config, flows, csrf, sessions, returnTo, strategies, views });
    addSchemaRoutes(app, schemas, '');
  });
  const adminApp = createApp({ ...common, metricsPath: '/admin/metrics/prometheus' }, (app) => {
    // Kratos serves health and version under /admin on its admin port too.
    app.get('/admin/health/alive', (_request, response) => {
      response.json({ status: 'ok' });
    });
    app.get('/admin/health/ready', async (_request, response) => {
      try {
        await db.ping();
        response.json({ status: 'ok' });
      } catch (error) {
        response
          .status(503)
          .json({ errors: { database: error instanceof Error ? error.message : 'not ready' } });
      }
    });
    app.get('/admin/version', (_request, response) => {
      response.json({ version });
    });
    addAdminIdentityRoutes(app, identities, identityStore, views);
    addAdminSessionRoutes(app, sessions, sessionStore, identityStore, views);
    addSchemaRoutes(app, schemas, '/admin');
  });
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

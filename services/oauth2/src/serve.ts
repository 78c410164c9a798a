import { packageVersion, parseDuration } from '@mesh/config';
import { closeServers, createApp, listen } from '@mesh/server';
import { openServiceDatabase } from '@mesh/sql';
import { createBcryptHasher, type BootContext, type RunningService } from '@mesh/tracing';
import type { Server } from 'node:http';
import { AccessTokens } from './access-tokens';
import { ClientAuthenticator } from './client-authentication';
import { newClientSecret } from './client-secret';
import { ClientService } from './client-service';
import type { OAuth2Config } from './config';
import { addAdminRoutes } from './routes/admin';
import { addPublicRoutes } from './routes/public';
import { loadSigningKey, publicKeySet } from './signing-keys';
import { ClientStore } from './store/client-store';
import { KeyStore } from './store/key-store';
import { oauth2Migrations } from './store/migrations';
import { TokenStore } from './store/token-store';
import { TokenEndpoint } from './token-endpoint';

export interface OAuth2Servers extends RunningService {
  publicServer: Server;
  adminServer: Server;
}

/** Opens the database, applies migrations, loads (or creates) the signing key, and serves both APIs. */
export async function serve(config: OAuth2Config, { log }: Pick<BootContext, 'log'>): Promise<OAuth2Servers> {
  const db = await openServiceDatabase({
    dsn: config.dsn,
    startupTimeoutMs: parseDuration('database.startup_timeout', config.database.startup_timeout),
    migrations: oauth2Migrations,
    service: 'oauth2',
    log,
  });
  const keys = new KeyStore(db);
  const signingKey = await loadSigningKey(keys);
  const hasher = createBcryptHasher({ cost: config.oauth2.hashers.bcrypt.cost });
  const decoyHash = await hasher.generate(newClientSecret());
  const store = new ClientStore(db);
  const issuer = config.urls.self.issuer.replace(/\/+$/, '');
  const tokens = new AccessTokens(new TokenStore(db), {
    strategy: config.strategies.access_token,
    lifespanMs: parseDuration('ttl.access_token', config.ttl.access_token),
    issuer,
    signingKey,
  });
  const clients = new ClientService(store, hasher);
  const endpoint = new TokenEndpoint(new ClientAuthenticator(store, hasher, decoyHash), tokens);
  const common = { log, version: packageVersion(__dirname), checkReady: () => db.ping() };

  const publicApp = createApp(common, (app) =>
    addPublicRoutes(app, endpoint, { issuer, jwks: () => publicKeySet(keys) }),
  );
  const adminApp = createApp({ ...common, metricsPath: '/admin/metrics/prometheus' }, (app) =>
    addAdminRoutes(app, clients, store, tokens),
  );
  const publicServer = await listen(publicApp, { ...config.serve.public, log, name: 'public' });
  const adminServer = await listen(adminApp, { ...config.serve.admin, log, name: 'admin' });
  log.info(
    { access_token_strategy: config.strategies.access_token, issuer, signing_key: signingKey.kid },
    'oauth2 ready',
  );
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

import { demoMachine } from '../demo-data';
import type { MeshUrls } from '../mesh-client';
import { benchSettings } from './access-mesh';
import type { LoadOptions } from './load';

/**
 * The machine's token request: client credentials with HTTP Basic, so one bcrypt comparison per request.
 * Bcrypt-bound like a login, so it runs at the login load's connection count: more would only queue.
 */
export const tokenLoad = (urls: MeshUrls, connections: number): LoadOptions => ({
  url: `${urls.oauth2Public}/oauth2/token`,
  connections,
  durationSeconds: benchSettings.durationSeconds,
  method: 'POST',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from(`${demoMachine.clientId}:${demoMachine.secret}`).toString('base64')}`,
  },
  body: new URLSearchParams({ grant_type: 'client_credentials', scope: demoMachine.scope }).toString(),
});

/** What the gateway's oauth2_introspection authenticator asks for every machine request. */
export const introspectionLoad = (urls: MeshUrls, accessToken: string): LoadOptions => ({
  url: `${urls.oauth2Admin}/admin/oauth2/introspect`,
  connections: benchSettings.connections,
  durationSeconds: benchSettings.durationSeconds,
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token: accessToken, scope: demoMachine.scope }).toString(),
});

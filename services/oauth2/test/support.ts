import { after } from 'node:test';
import { startInMemoryTracing } from '@mesh/tracing';

// Every test file imports this module first. The SDK starts before the service loads express and the database drivers, as `oauth2 serve` does.
export const tracing = startInMemoryTracing({ name: 'oauth2', version: 'test' });

import type { OAuth2Api } from '@ory/client';
import type { OAuth2Servers } from '../src/serve';

export interface Running {
  servers: OAuth2Servers;
  publicUrl: string;
  adminUrl: string;
  admin: OAuth2Api;
}

export async function startOAuth2(dsn: string, extraFlags: string[] = []): Promise<Running> {
  const [{ loadConfig }, { oauth2Schema }, { serve }, { portOf }, ory, { createLogger }] = await Promise.all([
    import('@mesh/config'),
    import('../src/config'),
    import('../src/serve'),
    import('@mesh/server'),
    import('@ory/client'),
    import('@mesh/tracing'),
  ]);
  const config = loadConfig<import('../src/config').OAuth2Config>({
    schema: oauth2Schema,
    env: {},
    flags: [
      `dsn=${dsn}`,
      'serve.public.port=0',
      'serve.admin.port=0',
      'oauth2.hashers.bcrypt.cost=4',
      'urls.self.issuer=https://auth.example.com/',
      ...extraFlags,
    ],
  });
  const servers = await serve(config, { log: createLogger('oauth2', 'silent') });
  const publicUrl = `http://127.0.0.1:${portOf(servers.publicServer)}`;
  const adminUrl = `http://127.0.0.1:${portOf(servers.adminServer)}`;
  return {
    servers,
    publicUrl,
    adminUrl,
    admin: new ory.OAuth2Api(new ory.Configuration({ basePath: adminUrl })),
  };
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** `POST /oauth2/token` as a form, with HTTP Basic credentials when given. */
export async function requestToken(
  publicUrl: string,
  form: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<TokenAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    const pair = `${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  const response = await fetch(`${publicUrl}/oauth2/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

after(() => tracing.handle.shutdown());

export const variants = [
  { name: 'SQLite', dsn: () => Promise.resolve({ dsn: 'memory', drop: async () => undefined }) },
  {
    name: 'PostgreSQL',
    dsn: async () => {
      const { createIsolatedSchema } = await import('@mesh/sql');
      return createIsolatedSchema(process.env.TEST_POSTGRES_DSN ?? '', 'oauth2');
    },
  },
];

export const skipWithoutPostgres = (variant: { name: string }) =>
  variant.name === 'PostgreSQL' && !process.env.TEST_POSTGRES_DSN ? 'TEST_POSTGRES_DSN is not set' : false;

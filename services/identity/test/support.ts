import { after } from 'node:test';
import { startInMemoryTracing } from '@mesh/tracing';

// Every test file imports this module first. The SDK starts before the service loads express and the database drivers, as `identity serve` does.
export const tracing = startInMemoryTracing({ name: 'identity', version: 'test' });

import type { FrontendApi, IdentityApi } from '@ory/client';
import type { IdentityServers } from '../src/serve';

export interface Running {
  servers: IdentityServers;
  publicUrl: string;
  adminUrl: string;
  frontend: FrontendApi;
  admin: IdentityApi;
}

export async function startIdentity(dsn: string, extraFlags: string[] = []): Promise<Running> {
  const [{ loadConfig }, { identitySchema }, { serve }, { portOf }, ory, { createLogger }] =
    await Promise.all([
      import('@mesh/config'),
      import('../src/config'),
      import('../src/serve'),
      import('@mesh/server'),
      import('@ory/client'),
      import('@mesh/tracing'),
    ]);
  const config = loadConfig<import('../src/config').IdentityConfig>({
    schema: identitySchema,
    env: {},
    flags: [
      `dsn=${dsn}`,
      'serve.public.port=0',
      'serve.admin.port=0',
      'hashers.bcrypt.cost=4',
      ...extraFlags,
    ],
  });
  const servers = await serve(config, { log: createLogger('identity', 'silent') });
  const publicUrl = `http://127.0.0.1:${portOf(servers.publicServer)}`;
  const adminUrl = `http://127.0.0.1:${portOf(servers.adminServer)}`;
  return {
    servers,
    publicUrl,
    adminUrl,
    frontend: new ory.FrontendApi(new ory.Configuration({ basePath: publicUrl })),
    admin: new ory.IdentityApi(new ory.Configuration({ basePath: adminUrl })),
  };
}

/** The status of a failed SDK call (axios error), or 'ok'. */

export async function login(identity: Running, identifier: string, password: string) {
  const { data: flow } = await identity.frontend.createNativeLoginFlow();
  return identity.frontend.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: 'password', identifier, password },
  });
}

after(() => tracing.handle.shutdown());

export const variants = [
  { name: 'SQLite', dsn: () => Promise.resolve({ dsn: 'memory', drop: async () => undefined }) },
  {
    name: 'PostgreSQL',
    dsn: async () => {
      const { createIsolatedSchema } = await import('@mesh/sql');
      return createIsolatedSchema(process.env.TEST_POSTGRES_DSN ?? '', 'identity');
    },
  },
];

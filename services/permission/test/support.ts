import { after } from 'node:test';
import { startInMemoryTracing } from '@mesh/tracing';

// Every test file imports this module first. The SDK starts before the service loads express and the database drivers, as `permission serve` does.
export const tracing = startInMemoryTracing({ name: 'permission', version: 'test' });

import type { PermissionApi, RelationshipApi } from '@ory/client';
import type { PermissionServers } from '../src/serve';

export interface Running {
  servers: PermissionServers;
  readUrl: string;
  writeUrl: string;
  oplUrl: string;
  permissions: PermissionApi;
  relationships: RelationshipApi;
  writeRelationships: RelationshipApi;
}

/** `onLog` receives every JSON log line (the service is silent otherwise). */
export async function startPermission(
  dsn: string,
  flags: string[] = [],
  onLog?: (line: string) => void,
): Promise<Running> {
  const [{ loadConfig }, { permissionSchema }, { serve }, { portOf }, ory, { createLogger }] =
    await Promise.all([
      import('@mesh/config'),
      import('../src/config'),
      import('../src/serve'),
      import('@mesh/server'),
      import('@ory/client'),
      import('@mesh/tracing'),
    ]);
  const config = loadConfig<import('../src/config').PermissionConfig>({
    schema: permissionSchema,
    env: {},
    flags: [
      `dsn=${dsn}`,
      'serve.read.port=0',
      'serve.write.port=0',
      'serve.opl.port=0',
      'serve.metrics.port=0',
      ...flags,
    ],
  });
  const log = onLog
    ? (await import('pino')).default({ level: 'info' }, { write: (line: string) => onLog(line) })
    : createLogger('permission', 'silent');
  const servers = await serve(config, { log });
  const readUrl = `http://127.0.0.1:${portOf(servers.readServer)}`;
  const writeUrl = `http://127.0.0.1:${portOf(servers.writeServer)}`;
  const oplUrl = `http://127.0.0.1:${portOf(servers.oplServer)}`;
  return {
    servers,
    readUrl,
    writeUrl,
    oplUrl,
    permissions: new ory.PermissionApi(new ory.Configuration({ basePath: readUrl })),
    relationships: new ory.RelationshipApi(new ory.Configuration({ basePath: readUrl })),
    writeRelationships: new ory.RelationshipApi(new ory.Configuration({ basePath: writeUrl })),
  };
}

after(() => tracing.handle.shutdown());

export const variants = [
  { name: 'SQLite', open: () => Promise.resolve({ dsn: 'memory', drop: async () => undefined }) },
  {
    name: 'PostgreSQL',
    open: async () =>
      (await import('@mesh/sql')).createIsolatedSchema(process.env.TEST_POSTGRES_DSN ?? '', 'permission'),
  },
];

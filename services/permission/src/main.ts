#!/usr/bin/env node
import { packageVersion, runServiceCli } from '@mesh/config';
import { bootService, debugControls } from '@mesh/tracing';
import { permissionSchema, type PermissionConfig } from './config';

const version = packageVersion(__dirname);

// Nothing here loads express, pg or better-sqlite3: the tracing SDK starts first, then ./serve loads them.
void runServiceCli<PermissionConfig>({
  name: 'permission',
  version,
  description: 'Relation tuples, checks with subject-set traversal, expand (Ory Keto style)',
  schema: permissionSchema,
  serveHelp: debugControls(permissionSchema),
  serve: (config) =>
    bootService(config, { name: 'permission', version }, async (context) =>
      (await import('./serve')).serve(config, context),
    ),
  migrate: async (config) => {
    const [{ migrateCommand }, { permissionMigrations }] = await Promise.all([
      import('@mesh/sql'),
      import('./store/migrations'),
    ]);
    await migrateCommand('permission', config.dsn, permissionMigrations);
  },
});

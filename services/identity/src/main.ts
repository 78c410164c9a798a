#!/usr/bin/env node
import { packageVersion, runServiceCli } from '@mesh/config';
import { bootService, debugControls } from '@mesh/tracing';
import { identitySchema, type IdentityConfig } from './config';

const version = packageVersion(__dirname);

// Nothing here loads express, pg or better-sqlite3: the tracing SDK starts first, then ./serve loads them.
void runServiceCli<IdentityConfig>({
  name: 'identity',
  version,
  description: 'Identities, password credentials, login and registration flows, sessions (Ory Kratos style)',
  schema: identitySchema,
  serveHelp: debugControls(identitySchema),
  serve: (config) =>
    bootService(config, { name: 'identity', version }, async (context) =>
      (await import('./serve')).serve(config, context),
    ),
  migrate: async (config) => {
    const [{ migrateCommand }, { identityMigrations }] = await Promise.all([
      import('@mesh/sql'),
      import('./store/migrations'),
    ]);
    await migrateCommand('identity', config.dsn, identityMigrations);
  },
});

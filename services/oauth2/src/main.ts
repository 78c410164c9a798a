#!/usr/bin/env node
import { packageVersion, runServiceCli } from '@mesh/config';
import { bootService, debugControls } from '@mesh/tracing';
import { oauth2Schema, type OAuth2Config } from './config';

const version = packageVersion(__dirname);

// Nothing here loads express, pg or better-sqlite3: the tracing SDK starts first, then ./serve loads them.
void runServiceCli<OAuth2Config>({
  name: 'oauth2',
  version,
  description:
    'OAuth2 clients, the client credentials grant, token introspection and revocation (Ory Hydra style)',
  schema: oauth2Schema,
  serveHelp: debugControls(oauth2Schema),
  serve: (config) =>
    bootService(config, { name: 'oauth2', version }, async (context) =>
      (await import('./serve')).serve(config, context),
    ),
  migrate: async (config) => {
    const [{ migrateCommand }, { oauth2Migrations }] = await Promise.all([
      import('@mesh/sql'),
      import('./store/migrations'),
    ]);
    await migrateCommand('oauth2', config.dsn, oauth2Migrations);
  },
});

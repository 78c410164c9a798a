#!/usr/bin/env node
import { packageVersion, runServiceCli } from '@mesh/config';
import { bootService, debugControls } from '@mesh/tracing';
import { documentsSchema, type DocumentsConfig } from './config';

const version = packageVersion(__dirname);

// Nothing here loads express, pg or better-sqlite3: the tracing SDK starts first, then ./serve loads them.
void runServiceCli<DocumentsConfig>({
  name: 'documents',
  version,
  description: 'The protected documents app behind the gateway',
  schema: documentsSchema,
  serveHelp: debugControls(documentsSchema),
  serve: (config) =>
    bootService(config, { name: 'documents', version }, async (context) =>
      (await import('./serve')).serve(config, context),
    ),
  migrate: async (config) => {
    const [{ migrateCommand }, { documentsMigrations }] = await Promise.all([
      import('@mesh/sql'),
      import('./store/migrations'),
    ]);
    await migrateCommand('documents', config.dsn, documentsMigrations);
  },
});

#!/usr/bin/env node
import { packageVersion, runServiceCli } from '@mesh/config';
import { bootService, debugControls } from '@mesh/tracing';
import { webSchema, type WebConfig } from './config';

const version = packageVersion(__dirname);

// Nothing here loads express: the tracing SDK starts first, then ./serve loads it.
void runServiceCli<WebConfig>({
  name: 'web',
  version,
  description: "The web app behind the gateway: sign-in, registration, settings and the documents' pages",
  schema: webSchema,
  serveHelp: debugControls(webSchema),
  serve: (config) =>
    bootService(config, { name: 'web', version }, async (context) =>
      (await import('./serve')).serve(config, context),
    ),
  migrate: async () => {
    process.stdout.write('web keeps no data of its own: nothing to migrate\n');
  },
});

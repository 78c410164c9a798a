#!/usr/bin/env node
import { packageVersion, runServiceCli } from '@mesh/config';
import { bootService, debugControls } from '@mesh/tracing';
import { gatewaySchema, type GatewayConfig } from './config';

const version = packageVersion(__dirname);

// Nothing here loads express or the http clients: the tracing SDK starts first, then ./serve loads them.
void runServiceCli<GatewayConfig>({
  name: 'gateway',
  version,
  description:
    'The access proxy: access rules, authenticators, authorizers, mutators, decisions (Ory Oathkeeper style)',
  schema: gatewaySchema,
  serveHelp: debugControls(gatewaySchema),
  serve: (config) =>
    bootService(config, { name: 'gateway', version }, async (context) =>
      (await import('./serve')).serve(config, context),
    ),
  migrate: async () => {
    process.stdout.write('gateway: no database; the access rules are read from access_rules.repositories\n');
  },
});

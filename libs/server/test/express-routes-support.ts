import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { startInMemoryTracing, type TracingConfig } from '@mesh/tracing';

/**
 * The server span's name and http.route for each kind of express route, the same whichever way
 * `tracing.express_instrumentation` names them: each mode runs this table in a test file (a process) of its own.
 */
export function describeExpressRouteNaming(mode: TracingConfig['express_instrumentation']): void {
  // The SDK starts before express and http are loaded, as in a service.
  const tracing = startInMemoryTracing(
    { name: 'routes-test', version: '0.0.1' },
    { express_instrumentation: mode },
  );
  let server: Server;
  let baseUrl: string;

  before(async () => {
    const { createApp, listen, portOf } = await import('../src');
    const { createLogger, setServerRoute } = await import('@mesh/tracing');
    const express = (await import('express')).default;
    const log = createLogger('routes-test', 'silent');
    const app = createApp({ log, version: '0.0.1' }, (routes) => {
      routes.get('/items/:id', (_request, response) => {
        response.json({});
      });
      const api = express.Router();
      api.get('/things/:thing', (_request, response) => {
        response.json({});
      });
      routes.use('/api', api);
      routes.use('/decisions', (_request, response) => {
        response.json({});
      });
      routes.get('/named/*rest', (_request, response) => {
        setServerRoute('/named/<**>');
        response.json({});
      });
    });
    server = await listen(app, { port: 0, log, name: 'test' });
    baseUrl = `http://127.0.0.1:${portOf(server)}`;
  });

  after(async () => {
    const { closeServers } = await import('../src');
    await closeServers([server]);
    await tracing.handle.shutdown();
  });

  const cases: { path: string; status: number; name: string; route: string | undefined }[] = [
    { path: '/items/42', status: 200, name: 'GET /items/:id', route: '/items/:id' },
    { path: '/api/things/7?q=1', status: 200, name: 'GET /api/things/:thing', route: '/api/things/:thing' },
    { path: '/decisions/documents/doc-1', status: 200, name: 'GET /decisions', route: '/decisions' },
    { path: '/named/a/b', status: 200, name: 'GET /named/<**>', route: '/named/<**>' },
    { path: '/nowhere', status: 404, name: 'GET', route: undefined },
  ];

  describe(`server span route naming (tracing.express_instrumentation: ${mode})`, () => {
    for (const { path, status, name, route } of cases) {
      it(`GET ${path} → ${name}`, async () => {
        await tracing.reset();
        const response = await fetch(`${baseUrl}${path}`);
        assert.equal(response.status, status);
        const spans = (await tracing.spans()).filter((span) => span.kind === SpanKind.SERVER);
        assert.equal(spans.length, 1);
        assert.equal(spans[0]?.name, name);
        assert.equal(spans[0]?.attributes['http.route'], route);
      });
    }
  });
}

import { serveMetrics } from '@mesh/metrics';
import { untraceRequests, type Logger } from '@mesh/tracing';
import type { Server } from 'node:http';
import { oryError } from './errors';
import { listen } from './listen';

export interface MetricsListenerOptions {
  port: number;
  host?: string;
  /** Where the scrape is answered: Keto's `/metrics/prometheus`, Oathkeeper's `serve.prometheus.metrics_path`. */
  path: string;
  log: Logger;
}

/**
 * A port of its own for the Prometheus scrape (Keto's `serve.metrics`, Oathkeeper's `serve.prometheus`):
 * the metrics path and the liveness probe, nothing else, and no span for any of it.
 */
export async function listenMetrics(options: MetricsListenerOptions): Promise<Server> {
  const server = await listen(
    (request, response) => {
      const path = (request.url ?? '').split('?')[0];
      if (path === options.path) {
        serveMetrics(request, response).catch((error: unknown) => {
          options.log.warn({ err: String(error) }, 'metrics exposition failed');
          if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify(oryError(500, 'The metrics could not be collected')));
        });
        return;
      }
      const body =
        path === '/health/alive'
          ? { status: 'ok' }
          : oryError(
              404,
              'The requested resource could not be found',
              `no route for ${request.method} ${path}`,
            );
      response.writeHead(path === '/health/alive' ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    },
    { port: options.port, host: options.host, log: options.log, name: 'metrics' },
  );
  untraceRequests({ server });
  return server;
}

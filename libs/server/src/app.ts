import { recordClientDurations, recordServerDurations, serveMetrics } from '@mesh/metrics';
import { expressRouteOf, untraceRequests, type Logger } from '@mesh/tracing';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { HttpError, oryError } from './errors';

export interface AppOptions {
  log: Logger;
  version: string;
  /** Throws when the service cannot serve (its database is down); /health/ready then answers 503. */
  checkReady?: () => Promise<void>;
  /** The JSON body limit; a larger body gets 413. */
  bodyLimit?: string;
  /** False for a proxy: bodies stay unread streams that are passed on as they arrive. */
  parseJson?: boolean;
  /** Serves the Prometheus metrics on this path (Ory's `/admin/metrics/prometheus` on an admin port), untraced. */
  metricsPath?: string;
}

/** An error from express, body-parser or a store that says which status it deserves. */
interface StatusError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message?: string;
}

const bodyParserReasons: Record<string, string> = {
  'entity.too.large': 'The request body is larger than the limit of 1 MB',
  'entity.parse.failed': 'The request body is not valid JSON',
  'encoding.unsupported': 'The request body has an unsupported content encoding',
  'charset.unsupported': 'The request body has an unsupported charset',
  'request.aborted': 'The request was aborted by the client',
};

function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    if (error instanceof HttpError) {
      if (error.status >= 500)
        log.warn({ status: error.status, reason: error.reason, path: request.path }, error.message);
      response.status(error.status).json(error.toBody());
      return;
    }
    const statusError = (typeof error === 'object' && error !== null ? error : {}) as StatusError;
    const status = statusError.status ?? statusError.statusCode;
    if (status && status >= 400 && status < 600 && statusError.expose !== false) {
      const reason = (statusError.type && bodyParserReasons[statusError.type]) ?? statusError.message;
      if (status >= 500) log.warn({ status, reason, path: request.path }, 'request failed');
      response
        .status(status)
        .json(
          oryError(
            status,
            status >= 500 ? 'The service is temporarily unavailable' : 'The request could not be processed',
            reason,
          ),
        );
      return;
    }
    log.error({ err: error, path: request.path }, 'unexpected error');
    response
      .status(500)
      .json(oryError(500, 'An internal server error occurred, please contact the system administrator'));
  };
}

/**
 * One express app per port, the same on every service: untraced `/health/alive`, `/health/ready` and
 * `/version`, the HTTP server duration histogram, a bounded JSON body, and errors in the Ory shape. (`traceresponse` on every traced response
 * is set by libs/tracing as the server span starts.)
 */
export function createApp(options: AppOptions, addRoutes: (app: Express) => void): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/health/alive', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/health/ready', async (_request, response) => {
    try {
      await options.checkReady?.();
      response.json({ status: 'ok' });
    } catch (error) {
      response
        .status(503)
        .json({ errors: { database: error instanceof Error ? error.message : 'not ready' } });
    }
  });
  app.get('/version', (_request, response) => {
    response.json({ version: options.version });
  });
  if (options.metricsPath) {
    untraceRequests({ path: options.metricsPath });
    const path = options.metricsPath;
    app.all(path, (request, response, next) => {
      serveMetrics(request, response).catch(next);
    });
  }
  // After the probes and the scrape: those are neither traced nor counted.
  recordClientDurations();
  app.use(recordServerDurations(expressRouteOf));
  if (options.parseJson !== false)
    app.use(express.json({ limit: options.bodyLimit ?? '1mb', strict: false }));
  addRoutes(app);
  app.use((request, response) => {
    response
      .status(404)
      .json(
        oryError(
          404,
          'The requested resource could not be found',
          `no route for ${request.method} ${request.path}`,
        ),
      );
  });
  app.use(errorHandler(options.log));
  return app;
}

export { createApp, type AppOptions } from './app';
export {
  HttpError,
  oryError,
  badRequest,
  notFound,
  unauthorized,
  forbidden,
  conflict,
  serviceUnavailable,
  type OryErrorBody,
} from './errors';
export { listen, closeServers, portOf, maxHeaderBytes, type ListenOptions } from './listen';
export { listenMetrics, type MetricsListenerOptions } from './metrics-listener';
export { schemaParser, type Parser } from './validate';

import type { ServiceName } from '@mesh/testkit';
import type { Mesh } from './mesh';

/**
 * Each service's Prometheus scrape URL, where Ory serves it: Kratos and Hydra on the admin port under
 * /admin/metrics/prometheus, Keto on its metrics port (serve.metrics) under /metrics/prometheus,
 * Oathkeeper on serve.prometheus under its metrics_path.
 */
export const metricsEndpoints = (mesh: Mesh): Partial<Record<ServiceName, string>> => ({
  identity: `${mesh.urls.identityAdmin}/admin/metrics/prometheus`,
  permission: `http://127.0.0.1:${mesh.ports.permissionMetrics}/metrics/prometheus`,
  gateway: `http://127.0.0.1:${mesh.ports.gatewayPrometheus}/metrics`,
  oauth2: `${mesh.urls.oauth2Admin}/admin/metrics/prometheus`,
});

/** The services with a metrics endpoint: every Ory-style one (the web front end has none). */
export type MeteredService = Exclude<ServiceName, 'web'>;

/** Where a service listens for the scrape, read from its loaded config: the port and the path. */
export interface MetricsListener {
  /** The config key of the port the scrape goes to. */
  portKey: string;
  /** The scrape path, given the service's loaded config. */
  path(config: Record<string, unknown>): string;
}

const gatewayMetricsPath = (config: Record<string, unknown>): string => {
  const serve = config.serve as { prometheus?: { metrics_path?: string } } | undefined;
  return serve?.prometheus?.metrics_path ?? '/metrics';
};

/**
 * The scrape listener of each Ory-style service, as the configs and Ory name them. The web front end has
 * no Ory model and no metrics port.
 */
export const metricsListeners: Record<MeteredService, MetricsListener> = {
  identity: { portKey: 'serve.admin.port', path: () => '/admin/metrics/prometheus' },
  permission: { portKey: 'serve.metrics.port', path: () => '/metrics/prometheus' },
  gateway: { portKey: 'serve.prometheus.port', path: gatewayMetricsPath },
  documents: { portKey: 'serve.admin.port', path: () => '/admin/metrics/prometheus' },
  oauth2: { portKey: 'serve.admin.port', path: () => '/admin/metrics/prometheus' },
};

/** A value at a dotted path of a loaded config. */
export function valueAt(config: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      config,
    );
}

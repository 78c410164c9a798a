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

import { collectDefaultMetrics, Registry, type OpenMetricsContentType } from 'prom-client';

/**
 * The process's one registry. OpenMetrics, because only that format carries exemplars (the Prometheus text
 * format 0.0.4 has none); Prometheus, the OpenTelemetry Collector's prometheus receiver and Grafana Agent
 * all read it. Node's process metrics (RSS, heap, event-loop lag, GC) come with it.
 */
export const registry = new Registry<OpenMetricsContentType>();
registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
collectDefaultMetrics({ register: registry });

/** The exposition, and the content type to answer it with. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

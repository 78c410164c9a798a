import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '@mesh/config';
import { bindMounts, hostPathOf, readComposeFile, repoRoot } from '../src/compose/compose-file';
import { metricsListeners, valueAt, type MeteredService } from '../src/metrics-endpoints';
import { serviceSchema } from '../src/service-config';

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs: { targets: string[] }[];
}

const compose = readComposeFile();
const prometheusService = compose.services.prometheus ?? {};
const prometheusConfigPath = hostPathOf(prometheusService, '/etc/prometheus/prometheus.yml');
const prometheus = parseYaml(readFileSync(prometheusConfigPath ?? '', 'utf8')) as {
  scrape_configs: ScrapeConfig[];
};
const jaeger = parseYaml(readFileSync(join(repoRoot, 'infra/compose/jaeger/config.yaml'), 'utf8')) as {
  service: { pipelines: Record<string, { receivers: string[]; exporters: string[] }> };
  extensions: {
    jaeger_query: { storage: { traces: string; metrics?: string } };
    jaeger_storage: { metric_backends?: Record<string, { prometheus?: { endpoint: string } }> };
  };
  connectors?: Record<string, unknown>;
  exporters: Record<string, { endpoint?: string }>;
};

const jobTargets = (job: ScrapeConfig | undefined) =>
  job?.static_configs.flatMap((group) => group.targets) ?? [];

describe('Prometheus and the Jaeger Monitor tab in docker-compose.yml', () => {
  test('Prometheus is pinned, keeps exemplars, and mounts its config from infra/compose/prometheus', () => {
    assert.match(prometheusService.image ?? '', /^prom\/prometheus:v3\.\d+\.\d+$/);
    assert.ok(prometheusConfigPath && existsSync(prometheusConfigPath));
    assert.ok(bindMounts(prometheusService).every((mount) => mount.readOnly));
    const command = Array.isArray(prometheusService.command) ? prometheusService.command : [];
    assert.ok(command.includes('--enable-feature=exemplar-storage'), command.join(' '));
  });

  const composed = Object.keys(metricsListeners).filter(
    (name) => compose.services[name]?.build,
  ) as MeteredService[];
  for (const name of composed) {
    test(`Prometheus scrapes ${name} on the port and path its compose config serves metrics on`, () => {
      const service = compose.services[name] ?? {};
      const command = Array.isArray(service.command) ? service.command : [];
      const file = hostPathOf(service, command[command.indexOf('-c') + 1] ?? '');
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value ?? '')]),
      );
      const config = loadConfig<Record<string, unknown>>({ schema: serviceSchema(name), file, env });
      const listener = metricsListeners[name];
      const port = valueAt(config, listener.portKey);
      assert.equal(typeof port, 'number', `${name}: ${listener.portKey}`);
      const job = prometheus.scrape_configs.find((candidate) => candidate.job_name === name);
      assert.deepEqual(jobTargets(job), [`${name}:${String(port)}`]);
      assert.equal(job?.metrics_path, listener.path(config));
    });
  }

  test('every mesh service has a scrape job, including those another compose change adds', () => {
    for (const name of Object.keys(metricsListeners))
      assert.ok(
        prometheus.scrape_configs.some((job) => job.job_name === name),
        name,
      );
  });

  test('Jaeger derives span metrics with the spanmetrics connector and reads them back from Prometheus', () => {
    const pipelines = jaeger.service.pipelines;
    assert.ok(jaeger.connectors && 'spanmetrics' in jaeger.connectors);
    assert.ok(pipelines.traces?.exporters.includes('spanmetrics'), 'traces feed the connector');
    const metrics = Object.entries(pipelines).find(([name]) => name.startsWith('metrics'))?.[1];
    assert.deepEqual(metrics?.receivers, ['spanmetrics']);
    const exporter = metrics?.exporters[0] ?? '';
    const exposed = jaeger.exporters[exporter]?.endpoint ?? '';
    const scrapedPort = exposed.split(':').at(-1);
    assert.ok(
      prometheus.scrape_configs.some((job) => jobTargets(job).includes(`jaeger:${scrapedPort}`)),
      `Prometheus scrapes the connector's output on jaeger:${scrapedPort}`,
    );
    const backend = jaeger.extensions.jaeger_query.storage.metrics ?? '';
    const endpoint = jaeger.extensions.jaeger_storage.metric_backends?.[backend]?.prometheus?.endpoint;
    const published = (prometheusService.ports ?? []).map((port) => port.split(':').at(-1));
    assert.equal(endpoint, `http://prometheus:${published[0]}`);
  });
});

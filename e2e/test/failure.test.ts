import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createIsolatedSchema, type IsolatedSchema } from '@mesh/sql';
import { freePort, waitFor, type ServiceName } from '@mesh/testkit';
import { demoUsers, type DemoUser } from '../src/demo-data';
import { freeMeshPorts, startMesh, type MeshOptions } from '../src/mesh';
import { getDocument, login, seedDemo } from '../src/mesh-client';
import { rssMb } from '../src/bench/process-stats';
import { findLeaks, machineSecrets } from '../src/secret-scan';
import { getDocumentAsMachine, machineToken, seedMachine } from '../src/machine-client';
import { demoMachine } from '../src/demo-data';
import { flattenSpans } from '../src/sink/otlp-json';

const services: ServiceName[] = ['gateway', 'identity', 'permission', 'documents'];

async function startSeeded(options: Partial<MeshOptions> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-faults-'));
  const mesh = await startMesh({
    ports: await freeMeshPorts(),
    dsn: (service) => `sqlite://${join(dataDir, `${service}.sqlite`)}`,
    bcryptCost: 4,
    ...options,
  });
  const ids = await seedDemo(mesh.urls);
  const tokens = {} as Record<DemoUser, string>;
  for (const user of ['alice', 'bob'] as const)
    tokens[user] = (await login(mesh.urls.gateway, user)).sessionToken;
  return {
    mesh,
    ids,
    tokens,
    async stop() {
      await mesh.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type Seeded = Awaited<ReturnType<typeof startSeeded>>;

interface RequestKind {
  name: string;
  allowed: boolean;
  user: DemoUser | undefined;
  doc: string;
  headers: Record<string, string>;
}

/** The kinds of request in the stream, and whether the gateway may let each reach documents. */
const kinds: RequestKind[] = [
  { name: 'alice → doc-1 (session, allowed)', allowed: true, user: 'alice', doc: 'doc-1', headers: {} },
  { name: 'anonymous → doc-1', allowed: false, user: undefined, doc: 'doc-1', headers: {} },
  { name: 'bob → doc-1 (denied)', allowed: false, user: 'bob', doc: 'doc-1', headers: {} },
  {
    name: 'anonymous with a forged X-User',
    allowed: false,
    user: undefined,
    doc: 'doc-1',
    headers: { 'x-user': 'forged' },
  },
];

interface StreamCounts {
  sent: number;
  byStatus: Record<number, number>;
  /** Requests that must not reach documents, answered 200 (by documents): must stay 0. */
  unauthorisedReached: number;
}

/** `workers` loops of requests until `stop` resolves. */
async function stream(target: Seeded, stop: Promise<void>, workers = 4): Promise<StreamCounts> {
  const counts: StreamCounts = { sent: 0, byStatus: {}, unauthorisedReached: 0 };
  let running = true;
  void stop.then(() => (running = false));
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let index = worker; running; index += 1) {
        const kind = kinds[index % kinds.length] ?? kinds[0];
        if (!kind) break;
        const response = await getDocument(
          target.mesh.urls.gateway,
          kind.doc,
          kind.user ? target.tokens[kind.user] : undefined,
          kind.headers,
        );
        counts.sent += 1;
        counts.byStatus[response.status] = (counts.byStatus[response.status] ?? 0) + 1;
        if (!kind.allowed && response.status === 200) counts.unauthorisedReached += 1;
        assert.ok(
          kind.allowed
            ? [200, 502, 503].includes(response.status)
            : [401, 403, 502, 503].includes(response.status),
          `${kind.name}: ${response.status}`,
        );
      }
    }),
  );
  return counts;
}

describe('failure: the mesh keeps working, fails closed and leaks nothing', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('identity, then permission, stop under a stream of requests: none reaches documents unauthorised; recovery <= 2 s', async (t) => {
    const target = await startSeeded();
    cleanups.push(() => target.stop());
    for (const service of ['identity', 'permission'] as const) {
      let release: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (release = resolve));
      const flowing = stream(target, done);
      await target.mesh.processes.get(service)?.stop();
      await waitFor(
        async () =>
          (await getDocument(target.mesh.urls.gateway, 'doc-1', target.tokens.alice)).status === 503
            ? true
            : undefined,
        `the gateway to notice ${service} is gone`,
      );
      await target.mesh.restart(service);
      const restarted = performance.now();
      await waitFor(
        async () =>
          (await getDocument(target.mesh.urls.gateway, 'doc-1', target.tokens.alice)).status === 200
            ? true
            : undefined,
        'a 200 after the restart',
        5_000,
        20,
      );
      const recoveryMs = performance.now() - restarted;
      release();
      const counts = await flowing;
      t.diagnostic(
        `${service}: ${counts.sent} requests, statuses ${JSON.stringify(counts.byStatus)}, unauthorised reached documents: ${counts.unauthorisedReached}, recovery ${recoveryMs.toFixed(0)} ms`,
      );
      assert.equal(counts.unauthorisedReached, 0);
      assert.ok((counts.byStatus[503] ?? 0) > 0, 'the outage was seen');
      assert.ok(recoveryMs <= 2_000, `recovered in ${recoveryMs.toFixed(0)} ms`);
    }
    const { leaks, spansScanned } = findLeaks(target.mesh, [
      demoUsers.alice.password,
      demoUsers.bob.password,
      target.tokens.alice,
      target.tokens.bob,
    ]);
    t.diagnostic(`secret scan: ${spansScanned} spans, ${target.mesh.logLines().length} log lines`);
    assert.deepEqual(leaks, []);
  });

  for (const mode of ['down', 'slow'] as const) {
    it(`the trace backend ${mode}: statuses unchanged, memory bounded, one warning per service`, async (t) => {
      let blackHole: Server | undefined;
      let port = await freePort();
      if (mode === 'slow') {
        blackHole = createServer(() => undefined);
        await new Promise<void>((resolve) => blackHole?.listen(0, '127.0.0.1', resolve));
        const address = blackHole.address();
        port = typeof address === 'object' && address ? address.port : port;
      }
      const target = await startSeeded({
        env: {
          TRACING_PROVIDERS_OTLP_SERVER_URL: `127.0.0.1:${port}`,
          OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '1000',
        },
      });
      cleanups.push(async () => {
        await target.stop();
        blackHole?.close();
      });
      const statuses: Record<string, number> = {};
      for (let index = 0; index < 400; index += 1) {
        const kind = kinds[index % kinds.length] ?? kinds[0];
        if (!kind) break;
        const response = await getDocument(
          target.mesh.urls.gateway,
          kind.doc,
          kind.user ? target.tokens[kind.user] : undefined,
          kind.headers,
        );
        statuses[`${kind.name} ${response.status}`] = (statuses[`${kind.name} ${response.status}`] ?? 0) + 1;
      }
      assert.deepEqual(Object.keys(statuses).sort(), [
        'alice → doc-1 (session, allowed) 200',
        'anonymous with a forged X-User 401',
        'anonymous → doc-1 401',
        'bob → doc-1 (denied) 403',
      ]);
      await waitFor(
        async () =>
          target.mesh.logLines().some(({ line }) => line.includes('trace export failed')) ? true : undefined,
        'the first export warning',
        15_000,
      );
      const warnings = new Map<string, number>();
      for (const { service, line } of target.mesh.logLines()) {
        if (line.includes('trace export failed')) warnings.set(service, (warnings.get(service) ?? 0) + 1);
      }
      const rss = Object.fromEntries(
        [...target.mesh.processes].map(([name, running]) => [
          name,
          Math.round(rssMb(running.child.pid ?? 0) ?? 0),
        ]),
      );
      t.diagnostic(
        `backend ${mode}: warnings per service ${JSON.stringify(Object.fromEntries(warnings))}, RSS MB ${JSON.stringify(rss)}`,
      );
      for (const count of warnings.values()) assert.equal(count, 1);
      for (const mb of Object.values(rss)) assert.ok(mb < 150, `RSS ${mb} MB`);
    });
  }

  it('SIGTERM during requests: in-flight logins complete, spans are flushed, the service exits 0', async (t) => {
    const target = await startSeeded({ bcryptCost: 10 });
    cleanups.push(() => target.stop());
    const { identityPublic } = target.mesh.urls;
    const flows = await Promise.all(
      Array.from(
        { length: 6 },
        async () =>
          ((await (await fetch(`${identityPublic}/self-service/login/api`)).json()) as { id: string }).id,
      ),
    );
    const logins = flows.map((flow) =>
      fetch(`${identityPublic}/self-service/login?flow=${flow}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          method: 'password',
          identifier: demoUsers.alice.email,
          password: demoUsers.alice.password,
        }),
      }),
    );
    // One answer means every request was sent and read (they queue for the single bcrypt worker).
    await Promise.race(logins);
    const identity = target.mesh.processes.get('identity');
    const exitCode = identity?.stop();
    const responses = await Promise.all(logins);
    const traceIds = responses.map((response) => response.headers.get('traceresponse')?.split('-')[1]);
    t.diagnostic(
      `in flight at SIGTERM: ${responses.length} logins, statuses ${responses.map((response) => response.status).join(',')}`,
    );
    for (const response of responses) assert.equal(response.status, 200);
    assert.equal(await exitCode, 0);
    for (const traceId of traceIds) {
      const spans = flattenSpans(target.mesh.sink.store.all()).filter((span) => span.traceId === traceId);
      assert.ok(
        spans.some((span) => span.name === 'hash.Compare'),
        `the spans of ${traceId} were flushed before exit`,
      );
    }
  });

  it('oauth2 stops under a stream of machine requests: none reaches documents unauthorised; recovery <= 2 s', async (t) => {
    const target = await startSeeded();
    cleanups.push(() => target.stop());
    await seedMachine(target.mesh.urls);
    const { accessToken } = await machineToken(target.mesh.urls);
    const machineKinds = [
      { document: demoMachine.allowed, token: accessToken, allowed: true },
      { document: demoMachine.denied, token: accessToken, allowed: false },
      { document: demoMachine.allowed, token: 'forged-token', allowed: false },
    ];
    const counts = { sent: 0, byStatus: {} as Record<number, number>, unauthorisedReached: 0 };
    let running = true;
    const flowing = Promise.all(
      Array.from({ length: 3 }, async (_, worker) => {
        for (let index = worker; running; index += 1) {
          const kind = machineKinds[index % machineKinds.length] ?? machineKinds[0];
          if (!kind) break;
          const response = await getDocumentAsMachine(target.mesh.urls, kind.document, kind.token);
          counts.sent += 1;
          counts.byStatus[response.status] = (counts.byStatus[response.status] ?? 0) + 1;
          if (!kind.allowed && response.status === 200) counts.unauthorisedReached += 1;
        }
      }),
    );
    await target.mesh.processes.get('oauth2')?.stop();
    await waitFor(
      async () =>
        (await getDocumentAsMachine(target.mesh.urls, demoMachine.allowed, accessToken)).status >= 500
          ? true
          : undefined,
      'the gateway to notice oauth2 is gone',
    );
    await target.mesh.restart('oauth2');
    const restarted = performance.now();
    await waitFor(
      async () =>
        (await getDocumentAsMachine(target.mesh.urls, demoMachine.allowed, accessToken)).status === 200
          ? true
          : undefined,
      'a 200 after the restart',
      5_000,
      20,
    );
    const recoveryMs = performance.now() - restarted;
    running = false;
    await flowing;
    t.diagnostic(
      `oauth2: ${counts.sent} machine requests, statuses ${JSON.stringify(counts.byStatus)}, unauthorised reached documents: ${counts.unauthorisedReached}, recovery ${recoveryMs.toFixed(0)} ms`,
    );
    assert.equal(counts.unauthorisedReached, 0);
    assert.ok(
      Object.keys(counts.byStatus).some((status) => Number(status) >= 500),
      'the outage was seen',
    );
    assert.ok(recoveryMs <= 2_000, `recovered in ${recoveryMs.toFixed(0)} ms`);
    assert.deepEqual(findLeaks(target.mesh, machineSecrets([accessToken])).leaks, []);
  });

  it('SIGTERM during token requests: in-flight client credentials grants complete, spans are flushed, oauth2 exits 0', async (t) => {
    const target = await startSeeded({ bcryptCost: 10 });
    cleanups.push(() => target.stop());
    await seedMachine(target.mesh.urls);
    // Each request waits for one bcrypt comparison at cost 10: several are still queued when SIGTERM lands.
    const requests = Array.from({ length: 6 }, () => machineToken(target.mesh.urls));
    await Promise.race(requests);
    const exitCode = target.mesh.processes.get('oauth2')?.stop();
    const tokens = await Promise.all(requests);
    t.diagnostic(`in flight at SIGTERM: ${tokens.length} token requests, all answered 200`);
    assert.equal(await exitCode, 0);
    for (const { traceId } of tokens) {
      const spans = flattenSpans(target.mesh.sink.store.all()).filter((span) => span.traceId === traceId);
      assert.ok(
        spans.some((span) => span.name === 'hash.Compare'),
        `the spans of ${traceId} were flushed before exit`,
      );
    }
    assert.deepEqual(
      findLeaks(target.mesh, machineSecrets(tokens.map((token) => token.accessToken))).leaks,
      [],
    );
  });

  const pgCluster =
    process.env.TEST_POSTGRES_DSN && existsSync('/etc/postgresql')
      ? readdirSync('/etc/postgresql')[0]
      : undefined;
  it(
    'PostgreSQL restarts under the services: 503 while away, recovery after, no acknowledged write lost',
    { skip: pgCluster ? false : 'needs TEST_POSTGRES_DSN and a local pg_ctlcluster' },
    async (t) => {
      const schemas = new Map<ServiceName, IsolatedSchema>();
      for (const service of services)
        schemas.set(
          service,
          await createIsolatedSchema(process.env.TEST_POSTGRES_DSN ?? '', `faults_${service}`),
        );
      const target = await startSeeded({ dsn: (service) => schemas.get(service)?.dsn ?? 'memory' });
      cleanups.push(async () => {
        await target.stop();
        for (const schema of schemas.values()) await schema.drop();
      });
      const pg = (action: 'stop' | 'start') =>
        execFileSync(
          'pg_ctlcluster',
          [
            '--skip-systemctl-redirect',
            pgCluster ?? '',
            'main',
            action,
            ...(action === 'stop' ? ['-m', 'fast'] : []),
          ],
          { stdio: 'ignore' },
        );
      const acknowledged: string[] = [];
      const statuses: Record<number, number> = {};
      let writing = true;
      const writer = (async () => {
        for (let index = 0; writing; index += 1) {
          const id = `w-${index}`;
          const response = await fetch(`${target.mesh.urls.documentsAdmin}/documents/${id}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ title: id, body: 'written during a database restart' }),
          }).catch(() => undefined);
          const status = response?.status ?? 0;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === 200 || status === 201) acknowledged.push(id);
          assert.ok([0, 200, 201, 503].includes(status), `a write during the restart answered ${status}`);
        }
      })();
      await waitFor(
        async () => (acknowledged.length >= 5 ? true : undefined),
        'a few writes before the restart',
      );
      pg('stop');
      try {
        await waitFor(
          async () =>
            (await fetch(`${target.mesh.urls.documents}/health/ready`)).status === 503 ? true : undefined,
          'documents not ready',
        );
        const away = await fetch(`${target.mesh.urls.documentsAdmin}/documents/doc-1`);
        assert.equal(away.status, 503);
        assert.equal(((await away.json()) as { error: { code: number } }).error.code, 503);
      } finally {
        pg('start');
      }
      const restarted = performance.now();
      await waitFor(
        async () =>
          (await fetch(`${target.mesh.urls.documentsAdmin}/documents/doc-1`)).status === 200
            ? true
            : undefined,
        'documents back',
        20_000,
      );
      await waitFor(
        async () =>
          (await getDocument(target.mesh.urls.gateway, 'doc-1', target.tokens.alice)).status === 200
            ? true
            : undefined,
        'the whole chain back',
        20_000,
      );
      const recoveryMs = performance.now() - restarted;
      writing = false;
      await writer;
      let lost = 0;
      for (const id of acknowledged)
        if ((await fetch(`${target.mesh.urls.documentsAdmin}/documents/${id}`)).status !== 200) lost += 1;
      t.diagnostic(
        `writes: ${JSON.stringify(statuses)}; acknowledged ${acknowledged.length}, read back ${acknowledged.length - lost}; recovery ${recoveryMs.toFixed(0)} ms after PostgreSQL started`,
      );
      assert.equal(lost, 0);
      assert.ok((statuses[503] ?? 0) + (statuses[0] ?? 0) > 0 || acknowledged.length > 0);
    },
  );
});

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { GatewayServers } from '../src/serve';
import { faults, respond, startFaultServer, type Fault, type FaultServer } from './support/fault-server';
import { parseResponse } from './support/raw-http';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

interface Exchange {
  raw: string;
  elapsedMs: number;
  /** How the connection ended: the gateway closed it, or the client's own limit passed. */
  ended: 'closed' | 'client limit';
  bytes: number;
}

/**
 * One request over a raw socket. `halfClose` shuts the client's write side right after the request;
 * `abortWhen` destroys the socket once it resolves. Reads until the gateway closes the connection.
 */
function exchange(
  port: number,
  raw: string,
  options: {
    halfClose?: boolean;
    abortWhen?: Promise<unknown>;
    /** Abort with a TCP reset instead of a close. */
    reset?: boolean;
    keepBytes?: boolean;
    limitMs?: number;
  } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let bytes = 0;
    const finish = (ended: Exchange['ended']) => {
      clearTimeout(limit);
      socket.destroy();
      resolve({
        raw: Buffer.concat(chunks).toString('latin1'),
        elapsedMs: Date.now() - started,
        ended,
        bytes,
      });
    };
    const limit = setTimeout(() => finish('client limit'), options.limitMs ?? 8_000);
    socket.on('connect', () => {
      socket.write(raw);
      if (options.halfClose) socket.end();
      void options.abortWhen?.then(() => {
        if (options.reset) socket.resetAndDestroy();
        finish('closed');
      });
    });
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (options.keepBytes !== false || chunks.length === 0) chunks.push(chunk);
    });
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
  });
}

const get = (path: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: gateway.test\r\nCookie: ory_kratos_session=s\r\nConnection: close\r\n${extra}\r\n`;

const session = JSON.stringify({ identity: { id: 'user-1' } });

describe('fault table: misbehaving upstream, session check and the remote_json and remote authorizers', () => {
  let upstream: FaultServer;
  let identity: FaultServer;
  let permission: FaultServer;
  let gateway: GatewayServers;
  let port: number;
  let patient: GatewayServers;
  let patientPort: number;
  let httpAgent: typeof import('../src/outbound').httpAgent;

  const hold: Fault = (socket) => {
    [upstream, identity, permission].find((server) => server.open.has(socket))?.held.add(socket);
  };
  /** Answers the first request on a connection, and closes the connection when a second one arrives on it. */
  const servedOn = new WeakSet<object>();
  let staleCloses = 0;
  const closeWhenReused: Fault = (socket, request) => {
    if (servedOn.has(socket)) {
      staleCloses += 1;
      socket.destroy();
      return;
    }
    servedOn.add(socket);
    respond(200, '{"ok":true}')(socket, request);
  };
  const byName: Record<string, Fault> = { ...faults, hold, closeWhenReused };

  before(async () => {
    upstream = await startFaultServer((request) =>
      request.path.startsWith('/up/')
        ? (byName[request.path.slice(4)] ?? respond(200, '{"ok":true}'))
        : respond(200, '{"ok":true}'),
    );
    identity = await startFaultServer((request) => byName[request.path.slice(9)] ?? respond(200, session));
    // remote_json names the case in its payload; remote (whose body is the client's) in a templated header.
    permission = await startFaultServer((request) => {
      const wanted =
        request.headers['x-case'] ?? (JSON.parse(request.body || '{}') as { case?: string }).case ?? '';
      return byName[wanted] ?? respond(200, '{"allowed":true}');
    });
    const file = join(mkdtempSync(join(tmpdir(), 'gateway-faults-')), 'rules.yml');
    const common = {
      authorizer: { handler: 'allow' },
      mutators: [{ handler: 'noop' }],
      upstream: { url: `http://127.0.0.1:${upstream.port}` },
    };
    writeFileSync(
      file,
      JSON.stringify([
        {
          ...common,
          id: 'up',
          match: { url: 'http://<[^/]+>/up/<[A-Za-z]+>', methods: ['GET', 'POST'] },
          authenticators: [{ handler: 'noop' }],
        },
        {
          ...common,
          id: 'session',
          match: { url: 'http://<[^/]+>/session/<[A-Za-z]+>', methods: ['GET', 'POST'] },
          authenticators: [
            {
              handler: 'cookie_session',
              config: { check_session_url: `http://127.0.0.1:${identity.port}/` },
            },
          ],
        },
        {
          ...common,
          id: 'authz',
          match: { url: 'http://<[^/]+>/authz/<[A-Za-z]+>', methods: ['GET', 'POST'] },
          authenticators: [{ handler: 'noop' }],
          authorizer: {
            handler: 'remote_json',
            config: {
              remote: `http://127.0.0.1:${permission.port}/check`,
              payload: '{"case":"{{ printIndex .MatchContext.RegexpCaptureGroups 1 }}"}',
            },
          },
        },
        {
          ...common,
          id: 'remote',
          match: { url: 'http://<[^/]+>/remote/<[A-Za-z]+>', methods: ['GET', 'POST'] },
          authenticators: [{ handler: 'noop' }],
          authorizer: {
            handler: 'remote',
            config: {
              remote: `http://127.0.0.1:${permission.port}/check`,
              headers: { 'X-Case': '{{ printIndex .MatchContext.RegexpCaptureGroups 1 }}' },
            },
          },
        },
      ]),
    );
    const [{ testGatewayConfig }, { serve }, { portOf }, { createLogger }, outbound] = await Promise.all([
      import('./support/gateway-config'),
      import('../src/serve'),
      import('@mesh/server'),
      import('@mesh/tracing'),
      import('../src/outbound'),
    ]);
    httpAgent = outbound.httpAgent;
    const config = testGatewayConfig(file, [
      'timeouts.handlers=1s',
      'timeouts.upstream=1s',
      'timeouts.upstream_idle=500ms',
    ]);
    gateway = await serve(config, { log: createLogger('gateway', 'silent') });
    port = portOf(gateway.proxyServer);
    // The abort cases need deadlines far beyond the test, so that only the abort can close a held call.
    patient = await serve(testGatewayConfig(file, ['timeouts.handlers=60s', 'timeouts.upstream=60s']), {
      log: createLogger('gateway', 'silent'),
    });
    patientPort = portOf(patient.proxyServer);
  });

  after(async () => {
    await gateway.stop();
    await patient.stop();
    await Promise.all([upstream, identity, permission].map((server) => server.close()));
  });

  /** [path, what the client must see, the deadline it must see it by] */
  type Expectation = { status: number | number[]; complete?: boolean; withinMs: number };
  const table: [string, Expectation][] = [
    ['/up/midBodyClose', { status: 200, complete: false, withinMs: 1_000 }],
    ['/up/midBodyReset', { status: 200, complete: false, withinMs: 1_000 }],
    ['/up/trickleStatus', { status: 504, withinMs: 1_000 }],
    ['/up/silentMidBody', { status: 200, complete: false, withinMs: 500 }],
    ['/up/reset', { status: 502, withinMs: 1_000 }],
    ['/up/never', { status: 504, withinMs: 1_000 }],
    ['/up/slowFlowing', { status: 200, complete: true, withinMs: 1_500 }],
    ['/session/midBodyClose', { status: 503, withinMs: 1_000 }],
    ['/session/midBodyReset', { status: 503, withinMs: 1_000 }],
    ['/session/trickleStatus', { status: 503, withinMs: 1_000 }],
    ['/session/silentMidBody', { status: 503, withinMs: 1_000 }],
    ['/session/reset', { status: 503, withinMs: 1_000 }],
    ['/session/never', { status: 503, withinMs: 1_000 }],
    // Over 1 MB is refused (502); on an overloaded machine the 1 s deadline may pass first (503).
    ['/session/huge', { status: [502, 503], withinMs: 1_000 }],
    // The same cases for both remote authorizers: remote_json (/authz) and remote (/remote).
    ...['/authz', '/remote'].flatMap((prefix): [string, Expectation][] => [
      [`${prefix}/midBodyClose`, { status: 503, withinMs: 1_000 }],
      [`${prefix}/midBodyReset`, { status: 503, withinMs: 1_000 }],
      [`${prefix}/trickleStatus`, { status: 503, withinMs: 1_000 }],
      [`${prefix}/silentMidBody`, { status: 503, withinMs: 1_000 }],
      [`${prefix}/reset`, { status: 503, withinMs: 1_000 }],
      [`${prefix}/never`, { status: 503, withinMs: 1_000 }],
      [`${prefix}/huge`, { status: [502, 503], withinMs: 1_000 }],
    ]),
  ];
  // The machine is shared (load far above its cores): a case may finish this much after its deadline and
  // still count as cut by it. Without the deadlines they would hang: a trickled status line takes 34 s.
  const slackMs = 5_000;

  const check = async (path: string, expected: Expectation) => {
    const result = await exchange(port, get(path));
    assert.equal(result.ended, 'closed', `${path}: the gateway closed the connection`);
    assert.ok(
      result.elapsedMs <= expected.withinMs + slackMs,
      `${path}: finished in ${result.elapsedMs} ms, deadline ${expected.withinMs} ms`,
    );
    const response = parseResponse(result.raw, 'GET');
    const allowed = Array.isArray(expected.status) ? expected.status : [expected.status];
    assert.ok(allowed.includes(response.status), `${path}: ${response.status} ${response.body}`);
    if (expected.complete !== undefined) {
      const length = Number(response.headers['content-length']);
      assert.equal(
        response.body.length === length,
        expected.complete,
        `${path}: body ${response.body.length}/${length}`,
      );
    }
  };

  const socketsInUse = () =>
    Object.values(httpAgent.sockets).reduce((sum, list) => sum + (list?.length ?? 0), 0) +
    Object.values(httpAgent.requests).reduce((sum, list) => sum + (list?.length ?? 0), 0);

  const settled = async (what: string, probe: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!probe()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await delay(50);
    }
  };

  it('each case, 50 times, concurrently: a clear status within its deadline, then no socket or memory left behind', async () => {
    const waves = 10;
    const perWave = 5;
    let heapAfterFirstWave = 0;
    for (let wave = 0; wave < waves; wave += 1) {
      await Promise.all(
        Array.from({ length: perWave }, () => table.map(([path, expected]) => check(path, expected))).flat(),
      );
      await settled('the gateway to release every outbound socket', () => socketsInUse() === 0);
      collectGarbage();
      if (wave === 0) heapAfterFirstWave = process.memoryUsage().heapUsed;
    }
    let open = -1;
    await settled('the client connections to close', () => {
      gateway.proxyServer.getConnections((_error, count) => (open = count));
      return open === 0;
    });
    for (const server of [upstream, identity, permission]) {
      assert.ok(server.open.size <= 64, `at most the pool's free sockets stay open, got ${server.open.size}`);
    }
    collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapAfterFirstWave;
    assert.ok(growth < 16 * 1024 * 1024, `heap grew ${Math.round(growth / 1024)} KB over ${waves - 1} waves`);
  });

  it('a 100 MB upstream body streams through whole', async () => {
    const result = await exchange(port, get('/up/huge'), { keepBytes: false, limitMs: 60_000 });
    assert.equal(result.ended, 'closed');
    assert.match(result.raw, /^HTTP\/1\.1 200/);
    const headerBytes = result.raw.indexOf('\r\n\r\n') + 4;
    assert.ok(headerBytes > 4);
    assert.equal(result.bytes - headerBytes, 100 * 1024 * 1024);
  });

  it('a request on a pooled connection the upstream just closed is retried once (idempotent, no body)', async () => {
    // Warm the pool; then every request rides a connection the peer closes when it sees the request.
    for (let round = 0; round < 3; round += 1) {
      const before = staleCloses;
      const answer = parseResponse((await exchange(patientPort, get('/up/closeWhenReused'))).raw, 'GET');
      assert.equal(answer.status, 200, answer.body);
      if (round > 0) assert.equal(staleCloses - before, 1, 'the stale connection was hit, then retried');
    }
  });

  for (const [prefix, server] of [
    ['/up', () => upstream],
    ['/session', () => identity],
    ['/authz', () => permission],
    ['/remote', () => permission],
  ] as const) {
    it(`${prefix}: 500 clients that abort mid-request (close mid-body, or reset) destroy their outbound calls; the pool stays usable`, async () => {
      const before = server().closedWhileHeld;
      // remote reads the whole client body before it calls out, so its clients send a complete body (a
      // partial one never reaches the peer: see the next case) and reset: a plain close after a complete
      // request cannot be told from a half-close (docs/gateway.md).
      const partialPost = `POST ${prefix}/hold HTTP/1.1\r\nHost: gateway.test\r\nCookie: ory_kratos_session=s\r\nContent-Length: ${prefix === '/remote' ? 10 : 100}\r\n\r\n0123456789`;
      // Two waves (the pool has 256 sockets), each aborted once the peer holds all of its calls: half
      // close the connection mid-body, half reset it after a complete request.
      for (const size of [256, 244]) {
        const heldBefore = server().held.size;
        let release: () => void = () => undefined;
        const released = new Promise<void>((resolve) => (release = resolve));
        const clients = Array.from({ length: size }, (_, index) =>
          index % 2 === 0
            ? exchange(patientPort, partialPost, {
                abortWhen: released,
                reset: prefix === '/remote',
                limitMs: 60_000,
              })
            : exchange(patientPort, get(`${prefix}/hold`), {
                abortWhen: released,
                reset: true,
                limitMs: 60_000,
              }),
        );
        await settled(
          `the peer to hold ${size} calls`,
          () => server().held.size - heldBefore >= size,
          30_000,
        );
        release();
        await Promise.all(clients);
        await settled('the gateway to close the held calls', () => server().held.size === 0, 30_000);
      }
      await settled(
        'every held call to be closed by the gateway',
        () => server().held.size === 0 && server().closedWhileHeld - before >= 500,
        30_000,
      );
      await settled('the pool to be empty', () => {
        if (process.env.FAULTS_DEBUG)
          console.log(
            JSON.stringify(Object.entries(httpAgent.sockets).map(([k, v]) => [k, v?.length])),
            JSON.stringify(Object.entries(httpAgent.requests).map(([k, v]) => [k, v?.length])),
            server().held.size,
            server().open.size,
          );
        return socketsInUse() === 0;
      });
      const started = Date.now();
      const next = parseResponse((await exchange(patientPort, get(`${prefix}/ok`))).raw, 'GET');
      assert.equal(next.status, 200, next.body);
      assert.ok(
        Date.now() - started < 1_000 + slackMs,
        'the next request is not stuck behind abandoned ones',
      );
    });

    if (prefix === '/remote')
      it('/remote: 200 clients that abort mid-body while the gateway reads it for the authorizer leave nothing behind', async () => {
        const calledBefore = permission.open.size + permission.held.size;
        const partial = `POST /remote/hold HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 100\r\n\r\n0123456789`;
        let release: () => void = () => undefined;
        const released = new Promise<void>((resolve) => (release = resolve));
        const clients = Array.from({ length: 200 }, () =>
          exchange(patientPort, partial, { abortWhen: released, limitMs: 60_000 }),
        );
        let open = -1;
        await settled('every client to be connected', () => {
          patient.proxyServer.getConnections((_error, count) => (open = count));
          return open >= 200;
        });
        release();
        await Promise.all(clients);
        await settled('the gateway to close every client connection', () => {
          patient.proxyServer.getConnections((_error, count) => (open = count));
          return open === 0;
        });
        assert.equal(permission.held.size, 0, 'the authorizer was never called with a partial body');
        assert.ok(permission.open.size + permission.held.size <= calledBefore + 64);
        assert.equal(socketsInUse(), 0);
      });

    it(`${prefix}: a client that half-closes after a complete request still gets its answer`, async () => {
      const result = await exchange(port, get(`${prefix}/ok`), { halfClose: true });
      assert.equal(parseResponse(result.raw, 'GET').status, 200);
    });
  }
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { freePort, serviceBin, serviceNodeFlags, startProcess, waitFor } from '@mesh/testkit';

const postgresDsn = process.env.TEST_POSTGRES_DSN;

/** A TCP proxy on `port` to PostgreSQL, opened late: the database "comes up" then. */
async function openProxy(port: number, target: URL): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('close', () => sockets.forEach((socket) => socket.destroy()));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const documentsEnv = (dsn: string, port: number, timeout: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  DSN: dsn,
  SERVE_PUBLIC_PORT: String(port),
  SERVE_ADMIN_PORT: '0',
  DATABASE_STARTUP_TIMEOUT: timeout,
  TRACING_PROVIDER: '',
});

interface LogLine {
  level: number | string;
  msg: string;
  attempt?: number;
  target?: string;
  retry_in_ms?: number;
}

const parsed = (lines: readonly string[]): LogLine[] =>
  lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });

describe(
  'a service starting before its database',
  { skip: !postgresDsn && 'TEST_POSTGRES_DSN is not set' },
  () => {
    test('waits for the database port to open, one log line per wait, then serves', async () => {
      const base = new URL(postgresDsn ?? '');
      const dbPort = await freePort();
      const port = await freePort();
      const dsn = `postgres://${base.username}:not-logged@127.0.0.1:${dbPort}${base.pathname}`;
      let proxy: Server | undefined;
      const lines: string[] = [];
      const opening = waitFor(
        async () =>
          parsed(lines).filter((line) => line.msg.includes('not reachable yet')).length >= 2
            ? true
            : undefined,
        'two waits logged',
        20_000,
      ).then(async () => (proxy = await openProxy(dbPort, base)));
      const service = await startProcess({
        name: 'documents',
        command: process.execPath,
        args: [...serviceNodeFlags, serviceBin('documents'), 'serve'],
        env: documentsEnv(dsn, port, '1m'),
        readyUrl: `http://127.0.0.1:${port}/health/ready`,
        readyTimeoutMs: 30_000,
        onLine: (line) => lines.push(line),
      });
      try {
        await opening;
        const waits = parsed(lines).filter((line) => line.msg.includes('not reachable yet'));
        assert.ok(waits.length >= 2);
        assert.deepEqual(
          waits.slice(0, 2).map((line) => [line.attempt, line.target]),
          [
            [1, `127.0.0.1:${dbPort}${base.pathname}`],
            [2, `127.0.0.1:${dbPort}${base.pathname}`],
          ],
        );
        assert.ok((waits[1]?.retry_in_ms ?? 0) > (waits[0]?.retry_in_ms ?? 0), 'the backoff grows');
        assert.doesNotMatch(lines.join('\n'), /not-logged/);
      } finally {
        await service.stop();
        await new Promise((resolve) => proxy?.close(resolve) ?? resolve(undefined));
      }
    });

    test('gives up after database.startup_timeout with a clear error and exit code 1', async () => {
      const dbPort = await freePort();
      const child = spawn(process.execPath, [...serviceNodeFlags, serviceBin('documents'), 'serve'], {
        env: documentsEnv(`postgres://mesh:not-logged@127.0.0.1:${dbPort}/documents`, await freePort(), '2s'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 1, output);
      assert.match(
        output,
        new RegExp(`the database at 127\\.0\\.0\\.1:${dbPort}/documents did not answer within 2000 ms`),
      );
      assert.match(output, /DATABASE_STARTUP_TIMEOUT/);
      assert.doesNotMatch(output, /not-logged/);
    });
  },
);

import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { SqlClient } from '../src/client';
import { openDatabase } from '../src/open';
import {
  DatabaseStartupError,
  dsnTarget,
  waitForDatabase,
  type DatabaseWait,
} from '../src/wait-for-database';

const postgresDsn = process.env.TEST_POSTGRES_DSN;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP proxy on `port` to PostgreSQL: the server "comes up" when this starts listening. */
async function openProxy(port: number, target: URL): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A client whose ping fails `failures` times with `error`, then answers. */
function flakyClient(failures: number, error: () => Error): SqlClient & { pings: number } {
  const client = {
    dialect: 'postgres' as const,
    pings: 0,
    query: () => Promise.resolve([]),
    execute: () => Promise.resolve({ rowCount: 0 }),
    transaction: () => Promise.reject(new Error('unused')),
    close: () => Promise.resolve(),
    ping: () => {
      client.pings += 1;
      return client.pings <= failures ? Promise.reject(error()) : Promise.resolve();
    },
  };
  return client;
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

describe('waitForDatabase', () => {
  test('retries an unreachable database with a growing backoff, one report per wait, then goes on', async () => {
    const db = flakyClient(3, refused);
    const waits: DatabaseWait[] = [];
    await waitForDatabase(db, 'postgres://mesh:secret-pw@postgres:5432/identity', {
      timeoutMs: 10_000,
      initialDelayMs: 10,
      onWait: (wait) => waits.push(wait),
    });
    assert.equal(db.pings, 4);
    assert.deepEqual(
      waits.map((wait) => [wait.attempt, wait.retry_in_ms, wait.target]),
      [
        [1, 10, 'postgres:5432/identity'],
        [2, 15, 'postgres:5432/identity'],
        [3, 23, 'postgres:5432/identity'],
      ],
    );
    assert.match(waits[0]?.err ?? '', /ECONNREFUSED/);
    assert.doesNotMatch(JSON.stringify(waits), /secret-pw/);
  });

  test('gives up after the timeout with an error that says where and which key to raise, without the password', async () => {
    const db = flakyClient(Number.POSITIVE_INFINITY, refused);
    const waits: DatabaseWait[] = [];
    const error = await waitForDatabase(db, 'postgres://mesh:secret-pw@postgres:5432/identity', {
      timeoutMs: 200,
      initialDelayMs: 20,
      onWait: (wait) => waits.push(wait),
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof DatabaseStartupError, String(error));
    assert.match(error.message, /postgres:5432\/identity did not answer within 200 ms/);
    assert.match(error.message, /DATABASE_STARTUP_TIMEOUT/);
    assert.doesNotMatch(error.message, /secret-pw/);
    assert.ok(waits.length >= 2 && waits.every((wait) => wait.elapsed_ms + wait.retry_in_ms <= 200));
  });

  test('a timeout of 0 tries once', async () => {
    const db = flakyClient(1, refused);
    await assert.rejects(
      waitForDatabase(db, 'postgres://postgres:5432/x', { timeoutMs: 0, onWait: () => undefined }),
      DatabaseStartupError,
    );
    assert.equal(db.pings, 1);
  });

  const notRetried: [string, () => Error][] = [
    ['a wrong password', () => Object.assign(new Error('password authentication failed'), { code: '28P01' })],
    ['a programming error', () => new TypeError('boom')],
  ];
  for (const [what, error] of notRetried) {
    test(`${what} is thrown at once: waiting would not fix it`, async () => {
      const db = flakyClient(1, error);
      await assert.rejects(
        waitForDatabase(db, 'memory', { timeoutMs: 10_000, onWait: () => assert.fail('no wait') }),
        (caught: Error) => caught.message === error().message,
      );
      assert.equal(db.pings, 1);
    });
  }

  test('the target never shows credentials', () => {
    assert.equal(dsnTarget('postgres://u:p@db.internal:6543/app?sslmode=disable'), 'db.internal:6543/app');
    assert.equal(dsnTarget('postgresql://u:p@db/app'), 'db:5432/app');
    assert.equal(dsnTarget('sqlite://./data/x.sqlite?_fk=true'), 'sqlite://./data/x.sqlite');
  });

  test(
    'PostgreSQL: waits for a server whose port opens later, then queries it',
    { skip: !postgresDsn && 'TEST_POSTGRES_DSN is not set' },
    async () => {
      const base = new URL(postgresDsn ?? '');
      const port = await freePort();
      const dsn = `postgres://${base.username}@127.0.0.1:${port}${base.pathname}`;
      const db = openDatabase(dsn, { onIdleError: () => undefined });
      const waits: DatabaseWait[] = [];
      let proxy: { close(): Promise<void> } | undefined;
      try {
        await waitForDatabase(db, dsn, {
          timeoutMs: 30_000,
          initialDelayMs: 50,
          onWait: (wait) => {
            waits.push(wait);
            if (waits.length === 3) void openProxy(port, base).then((opened) => (proxy = opened));
          },
        });
        assert.ok(waits.length >= 3, `waited ${waits.length} times`);
        assert.match(waits[0]?.err ?? '', /ECONNREFUSED/);
        assert.deepEqual(await db.query<{ one: number }>('SELECT 1 AS one'), [{ one: 1 }]);
      } finally {
        await db.close();
        await proxy?.close();
      }
    },
  );
});

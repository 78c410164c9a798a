import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, serviceBin, startService } from '@mesh/testkit';

/** The built `identity` command, with nothing from this process's env but PATH. */
const runIdentity = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [serviceBin('identity'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 20_000,
  });

describe('identity CLI', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'identity-cli-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('serve --help lists the identity keys and the DEBUG CONTROLS section', () => {
    const result = runIdentity(['serve', '--help']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /DEBUG CONTROLS:/);
    for (const env of ['TRACING_PROVIDER', 'TRACING_PROVIDERS_OTLP_SERVER_URL']) {
      assert.ok(result.stdout.includes(env), `the help names ${env}`);
    }
  });

  const badValues: { name: string; env?: NodeJS.ProcessEnv; file?: string; line: RegExp }[] = [
    {
      name: 'a bcrypt cost that is not a number',
      env: { HASHERS_BCRYPT_COST: 'ten' },
      line: /^identity: invalid configuration: hashers\.bcrypt\.cost/,
    },
    {
      name: 'a bcrypt cost below 4',
      env: { HASHERS_BCRYPT_COST: '3' },
      line: /^identity: invalid configuration: hashers\.bcrypt\.cost/,
    },
    {
      name: 'a lifespan that is not a duration',
      env: { SESSION_LIFESPAN: 'one day' },
      line: /^identity: invalid configuration: session\.lifespan/,
    },
    {
      name: 'a port out of range',
      env: { SERVE_PUBLIC_PORT: '70000' },
      line: /^identity: invalid configuration: serve\.public\.port/,
    },
    {
      name: 'an unknown key in the config file',
      file: 'hashers:\n  bcrypt:\n    cost: 10\n    rounds: 12\n',
      line: /^identity: invalid configuration: .*rounds/,
    },
  ];
  for (const row of badValues) {
    it(`serve exits 1 with one line on ${row.name}`, () => {
      const args = ['serve'];
      if (row.file !== undefined) {
        const path = join(directory, 'bad.yml');
        writeFileSync(path, row.file);
        args.push('-c', path);
      }
      const result = runIdentity(args, row.env);
      assert.equal(result.status, 1, result.stdout);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', row.line);
    });
  }

  it('serve -c file.yml with env overrides serves a login on both ports, logs no secret, stops cleanly on SIGTERM', async () => {
    const json = { 'content-type': 'application/json' };
    const [publicPort, adminPort, fileAdminPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const configFile = join(directory, 'identity.yml');
    writeFileSync(
      configFile,
      [
        `dsn: sqlite://${join(directory, 'identity.sqlite')}`,
        'serve:',
        `  public: { port: ${publicPort}, host: 127.0.0.1 }`,
        `  admin: { port: ${fileAdminPort}, host: 127.0.0.1 }`,
        'hashers: { bcrypt: { cost: 4 } }',
        'log: { level: debug }',
        '',
      ].join('\n'),
    );
    const identity = await startService('identity', {
      args: ['-c', configFile],
      // The env var wins over the file, as in Ory's services.
      env: { PATH: process.env.PATH ?? '', SERVE_ADMIN_PORT: String(adminPort) },
      readyUrl: `http://127.0.0.1:${adminPort}/health/ready`,
    });
    try {
      const ready = await fetch(`http://127.0.0.1:${publicPort}/health/ready`);
      assert.equal(ready.status, 200);
      const publicUrl = `http://127.0.0.1:${publicPort}`;
      const password = 'cli-secret-password';
      const created = await fetch(`http://127.0.0.1:${adminPort}/admin/identities`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          traits: { email: 'cli@example.com' },
          credentials: { password: { config: { password } } },
        }),
      });
      assert.equal(created.status, 201);
      const flow = (await (await fetch(`${publicUrl}/self-service/login/api`)).json()) as { id: string };
      const login = await fetch(`${publicUrl}/self-service/login?flow=${flow.id}`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ method: 'password', identifier: 'cli@example.com', password }),
      });
      assert.equal(login.status, 200);
      const { session_token: token } = (await login.json()) as { session_token: string };
      const whoami = await fetch(`${publicUrl}/sessions/whoami`, {
        headers: { cookie: `ory_kratos_session=${token}`, authorization: `Bearer ${token}` },
      });
      assert.equal(whoami.status, 200);
      const stranger = await fetch(`${publicUrl}/sessions/whoami`, {
        headers: { 'x-session-token': 'ory_st_forged-token' },
      });
      assert.equal(stranger.status, 401);
      assert.ok(identity.lines.length > 0, 'the service logs at debug level');
      const log = identity.lines.join('\n');
      for (const secret of [password, token, 'ory_st_forged-token']) {
        assert.ok(!log.includes(secret), 'no password or session token in the log');
      }
    } finally {
      assert.equal(await identity.stop(), 0);
    }
    const migrate = runIdentity(['migrate', '-c', configFile]);
    assert.equal(migrate.status, 0, migrate.stderr);
    assert.match(migrate.stdout, /up to date/, 'serve applied the migrations already');
  });

  const sharedDatabases = [
    {
      name: 'one SQLite file',
      skip: false as string | false,
      open: async () => ({
        dsn: `sqlite://${join(directory, 'twins.sqlite')}`,
        drop: async () => undefined,
      }),
    },
    {
      name: 'one PostgreSQL schema',
      skip: process.env.TEST_POSTGRES_DSN ? false : 'TEST_POSTGRES_DSN is not set',
      open: async () => {
        const { createIsolatedSchema } = await import('@mesh/sql');
        return createIsolatedSchema(process.env.TEST_POSTGRES_DSN ?? '', 'identity');
      },
    },
  ];
  for (const database of sharedDatabases) {
    it(
      `two instances starting at once on ${database.name} both migrate, serve and share data`,
      { skip: database.skip },
      async () => {
        const { dsn, drop } = await database.open();
        const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
        const started = await Promise.allSettled(
          [0, 1].map((index) =>
            startService('identity', {
              env: {
                PATH: process.env.PATH ?? '',
                DSN: dsn,
                SERVE_PUBLIC_PORT: String(ports[index * 2]),
                SERVE_ADMIN_PORT: String(ports[index * 2 + 1]),
                HASHERS_BCRYPT_COST: '4',
                LOG_LEVEL: 'warn',
              },
              readyUrl: `http://127.0.0.1:${ports[index * 2 + 1]}/health/ready`,
            }),
          ),
        );
        const twins = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
        try {
          assert.deepEqual(
            started.map((result) => (result.status === 'rejected' ? String(result.reason) : 'ready')),
            ['ready', 'ready'],
          );
          const json = { 'content-type': 'application/json' };
          const created = await fetch(`http://127.0.0.1:${ports[1]}/admin/identities`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ traits: { email: 'twin@example.com' } }),
          });
          assert.equal(created.status, 201);
          const { id } = (await created.json()) as { id: string };
          const seen = await fetch(`http://127.0.0.1:${ports[3]}/admin/identities/${id}`);
          assert.equal(seen.status, 200, 'the second instance reads what the first wrote');
        } finally {
          await Promise.all(twins.map((twin) => twin.stop()));
          await drop();
        }
      },
    );
  }
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, serviceBin, startService } from '@mesh/testkit';

/** The built `oauth2` command, with nothing from this process's env but PATH. */
const runOAuth2 = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [serviceBin('oauth2'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 20_000,
  });

describe('oauth2 CLI', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'oauth2-cli-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  it("serve --help lists Hydra's keys and the DEBUG CONTROLS section", () => {
    const result = runOAuth2(['serve', '--help']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /DEBUG CONTROLS:/);
    for (const env of ['TRACING_PROVIDER', 'TRACING_PROVIDERS_OTLP_SERVER_URL']) {
      assert.ok(result.stdout.includes(env), `the help names ${env}`);
    }
  });

  const badValues: { name: string; env?: NodeJS.ProcessEnv; file?: string; line: RegExp }[] = [
    {
      name: 'a hasher Hydra has but this service has not',
      env: { OAUTH2_HASHERS_ALGORITHM: 'pbkdf2' },
      line: /^oauth2: invalid configuration: oauth2\.hashers\.algorithm: "pbkdf2" is not one of bcrypt/,
    },
    {
      name: 'a bcrypt cost below 4',
      env: { OAUTH2_HASHERS_BCRYPT_COST: '3' },
      line: /^oauth2: invalid configuration: oauth2\.hashers\.bcrypt\.cost/,
    },
    {
      name: 'an unknown access token strategy',
      env: { STRATEGIES_ACCESS_TOKEN: 'paseto' },
      line: /^oauth2: invalid configuration: strategies\.access_token: "paseto" is not one of opaque, jwt/,
    },
    {
      name: 'an issuer that is not a URL',
      env: { URLS_SELF_ISSUER: 'auth.example.com' },
      line: /^oauth2: invalid configuration: urls\.self\.issuer/,
    },
    {
      name: 'a token lifespan that is not a duration',
      env: { TTL_ACCESS_TOKEN: 'an hour' },
      line: /^oauth2: invalid configuration: ttl\.access_token/,
    },
    {
      name: 'an unknown key in the config file',
      file: 'oauth2:\n  hashers:\n    bcrypt:\n      rounds: 12\n',
      line: /^oauth2: invalid configuration: .*rounds/,
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
      const result = runOAuth2(args, row.env);
      assert.equal(result.status, 1, result.stdout);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', row.line);
    });
  }

  it('serve -c file.yml with env overrides issues a token, logs no secret or token, stops cleanly; migrate is then up to date', async () => {
    const [publicPort, adminPort, fileAdminPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const configFile = join(directory, 'oauth2.yml');
    writeFileSync(
      configFile,
      [
        `dsn: sqlite://${join(directory, 'oauth2.sqlite')}`,
        'serve:',
        `  public: { port: ${publicPort}, host: 127.0.0.1 }`,
        `  admin: { port: ${fileAdminPort}, host: 127.0.0.1 }`,
        'oauth2: { hashers: { algorithm: bcrypt, bcrypt: { cost: 4 } } }',
        'strategies: { access_token: jwt }',
        'log: { level: debug }',
        '',
      ].join('\n'),
    );
    const oauth2 = await startService('oauth2', {
      args: ['-c', configFile],
      // The env var wins over the file, as in Hydra.
      env: { PATH: process.env.PATH ?? '', SERVE_ADMIN_PORT: String(adminPort) },
      readyUrl: `http://127.0.0.1:${adminPort}/health/ready`,
    });
    try {
      const secret = 'cli-client-secret';
      const created = await fetch(`http://127.0.0.1:${adminPort}/admin/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: 'cli',
          client_secret: secret,
          grant_types: ['client_credentials'],
        }),
      });
      assert.equal(created.status, 201);
      const token = await fetch(`http://127.0.0.1:${publicPort}/oauth2/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`cli:${secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(token.status, 200);
      const { access_token: accessToken } = (await token.json()) as { access_token: string };
      assert.equal(accessToken.split('.').length, 3, 'strategies.access_token from the file: a JWT');
      const log = oauth2.lines.join('\n');
      assert.match(log, /"access_token_strategy":"jwt"/);
      for (const leaked of [secret, accessToken, Buffer.from(`cli:${secret}`).toString('base64')])
        assert.ok(!log.includes(leaked), 'no client secret or access token in the log');
    } finally {
      assert.equal(await oauth2.stop(), 0);
    }
    const migrate = runOAuth2(['migrate', '-c', configFile]);
    assert.equal(migrate.status, 0, migrate.stderr);
    assert.match(migrate.stdout, /up to date/, 'serve applied the migrations already');
  });
});

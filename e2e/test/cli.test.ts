import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serviceBin, type ServiceName } from '@mesh/testkit';

const services: ServiceName[] = ['gateway', 'identity', 'permission', 'documents', 'oauth2'];
const run = (service: ServiceName, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [serviceBin(service), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 20_000,
  });

describe('every service CLI', () => {
  for (const service of services) {
    it(`${service} serve --help prints the DEBUG CONTROLS section with every tracing key`, () => {
      const result = run(service, ['serve', '--help']);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /DEBUG CONTROLS:/);
      for (const env of [
        'TRACING_PROVIDER',
        'TRACING_PROVIDERS_OTLP_SERVER_URL',
        'TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS',
        'TRACING_PROVIDERS_ZIPKIN_SERVER_URL',
      ]) {
        assert.ok(result.stdout.includes(env), `${service} help names ${env}`);
      }
      assert.match(
        result.stdout,
        /Precedence: --set flags, then env vars, then the config file, then defaults/,
      );
    });

    it(`${service} serve stops with exit 1 and one line on a bad config value`, () => {
      const result = run(service, ['serve'], { TRACING_PROVIDER: 'jagger' });
      assert.equal(result.status, 1);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.equal(
        lines[0],
        `${service}: invalid configuration: tracing.provider: "jagger" is not one of jaeger, otel, zipkin, elastic-apm, datadog, instana`,
      );
    });
  }

  it('identity migrate applies the migrations once, then reports the database up to date', () => {
    const directory = mkdtempSync(join(tmpdir(), 'mesh-cli-'));
    try {
      const dsn = `sqlite://${join(directory, 'identity.sqlite')}`;
      const first = run('identity', ['migrate'], { DSN: dsn });
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /applied migrations 1/);
      const second = run('identity', ['migrate'], { DSN: dsn });
      assert.match(second.stdout, /up to date/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../src/service-config';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** Every line of the README's shell blocks that runs `npx <name> … --help`, exactly as written. */
const helpCommands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((block) => block[1]!.split('\n'))
  .map((line) => line.replace(/\s+#.*$/, '').trim())
  .filter((line) => /^npx [a-z0-9-]+ .*--help$/.test(line));

/** Every `npx <name>` the README mentions anywhere. */
const npxNames = [
  ...new Set([...readme.matchAll(/\bnpx ([a-z][a-z0-9-]*)/g)].map((match) => match[1]!)),
].filter((name) => !['tsc', 'eslint', 'prettier', 'nx'].includes(name));

const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8' }).split('\n'));

describe("the README's commands work on a fresh clone", () => {
  it('the README shows `npx <service> serve --help` for every service', () => {
    for (const service of ['gateway', 'identity', 'permission', 'documents']) {
      assert.ok(
        helpCommands.includes(`npx ${service} serve --help`),
        `README runs npx ${service} serve --help`,
      );
    }
  });

  for (const command of helpCommands) {
    it(`\`${command}\` exits 0 and prints the usage`, () => {
      const result = spawnSync('sh', ['-c', command], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^Usage: /m);
    });
  }

  for (const name of npxNames) {
    it(`the bin of \`npx ${name}\` is a file in git, so npm links it before the build`, () => {
      const owner = readdirSync(join(repoRoot, 'services'))
        .map((service) => ({ service, manifest: join('services', service, 'package.json') }))
        .filter(({ manifest }) => tracked.has(manifest))
        .map(({ service, manifest }) => ({
          service,
          bin: (
            JSON.parse(readFileSync(join(repoRoot, manifest), 'utf8')) as { bin?: Record<string, string> }
          ).bin?.[name],
        }))
        .find(({ bin }) => bin !== undefined);
      assert.ok(owner?.bin, `a workspace package declares the bin ${name}`);
      const path = join('services', owner.service, owner.bin).replace(/\\/g, '/');
      assert.ok(tracked.has(path), `${path} is committed (not build output)`);
    });
  }

  it('a bin run before the build says how to build, in one line, with exit 1', () => {
    const directory = mkdtempSync(join(tmpdir(), 'mesh-bin-'));
    try {
      cpSync(join(repoRoot, 'services', 'gateway', 'bin'), join(directory, 'bin'), { recursive: true });
      const result = spawnSync(process.execPath, [join(directory, 'bin', 'gateway.js'), 'serve', '--help'], {
        encoding: 'utf8',
      });
      assert.equal(result.status, 1);
      assert.equal(
        result.stderr,
        'gateway: not built yet; run `npm run build` in the repository root first\n',
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

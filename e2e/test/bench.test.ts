import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cpuMs, ProcessSampler, rssMb } from '../src/bench/process-stats';

const benchMain = join(__dirname, '..', 'src', 'bench', 'main.js');

describe('bench process sampling', () => {
  test('reads RSS and CPU time of a live process, and nothing for one that is gone', async () => {
    assert.ok((rssMb(process.pid) ?? 0) > 10);
    assert.ok((cpuMs(process.pid) ?? -1) >= 0);
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end);']);
    const pids = () => new Map([['spinner', child.pid ?? 0]]);
    const sampler = new ProcessSampler(pids, 50);
    sampler.start();
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    const stats = sampler.stop();
    assert.equal(rssMb(child.pid ?? 0), undefined, 'an exited process has no RSS');
    assert.equal(cpuMs(child.pid ?? 0), undefined, 'an exited process has no CPU time');
    assert.ok((stats.peakRssMb.spinner ?? 0) > 10, `peak RSS sampled: ${JSON.stringify(stats)}`);
  });

  test('counts the CPU a busy process used between start and stop', async () => {
    const child = spawn(process.execPath, [
      '-e',
      'process.stdin.once("data", () => { const end = Date.now() + 300; while (Date.now() < end); console.log("done"); });',
    ]);
    const sampler = new ProcessSampler(() => new Map([['spinner', child.pid ?? 0]]), 50);
    sampler.start();
    child.stdin.write('go\n');
    await once(child.stdout, 'data');
    const stats = sampler.stop();
    child.kill();
    assert.ok((stats.cpuMs.spinner ?? 0) >= 200, `CPU ms: ${JSON.stringify(stats.cpuMs)}`);
  });
});

describe('npm run bench', () => {
  test('runs every scenario, prints the table with ratios and targets, and writes the results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-'));
    try {
      const output = join(dir, 'results.json');
      const run = spawnSync(process.execPath, [benchMain], {
        env: { ...process.env, BENCH_DURATION: '1', BENCH_WARMUP: '1', BENCH_OUTPUT: output },
        encoding: 'utf8',
        timeout: 150_000,
      });
      assert.equal(run.status, 0, run.stderr);
      const scenarios = [
        'baseline',
        'access-off',
        'access-on',
        'whoami',
        'check',
        'login-contention',
        'access-unsampled',
      ];
      for (const scenario of scenarios) assert.match(run.stdout, new RegExp(`^\\| ${scenario} \\|`, 'm'));
      assert.match(run.stdout, /^access-on \/ access-off: [\d.]+$/m);
      assert.match(run.stdout, /^(met {3}|MISSED) peak RSS <= 150 MB per service$/m);

      const report = JSON.parse(readFileSync(output, 'utf8')) as {
        scenarios: {
          scenario: string;
          requests: number;
          errors: number;
          peakRssMb: Record<string, number>;
          cpuMsPerRequest: Record<string, number>;
        }[];
        ratios: Record<string, number>;
        targets: Record<string, boolean>;
      };
      assert.deepEqual(
        report.scenarios.map((result) => result.scenario),
        scenarios,
      );
      const services = ['documents', 'gateway', 'identity', 'permission'];
      for (const result of report.scenarios.filter((entry) => entry.scenario !== 'baseline')) {
        assert.ok(result.requests > 0, `${result.scenario} served requests`);
        assert.deepEqual(
          Object.keys(result.peakRssMb).sort(),
          services,
          `${result.scenario}: RSS of each service`,
        );
        assert.deepEqual(
          Object.keys(result.cpuMsPerRequest).sort(),
          services,
          `${result.scenario}: CPU of each`,
        );
        // Every service works for an access request; whoami or check alone leave the others idle.
        const busy = result.scenario.startsWith('access') ? services : [];
        for (const service of busy)
          assert.ok((result.cpuMsPerRequest[service] ?? 0) > 0, `${service} used CPU`);
      }
      for (const name of ['access-off', 'access-on', 'whoami', 'check', 'access-unsampled'])
        assert.equal(
          report.scenarios.find((result) => result.scenario === name)?.errors,
          0,
          `${name}: no errors`,
        );
      assert.equal(Object.keys(report.targets).length, 5);
      assert.ok(report.ratios['access-on / access-off'] !== undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cpuMs, ProcessSampler, rssMb } from '../src/bench/process-stats';
import { isCpuProfile, summarizeProfile } from '../src/bench/profile-summary';

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

describe('profile summary', () => {
  const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url } });
  const cases: { frame: ReturnType<typeof frame>; category: string }[] = [
    {
      frame: frame(
        1,
        'startSpan',
        'file:///app/node_modules/@opentelemetry/sdk-trace-base/build/src/Tracer.js',
      ),
      category: 'OpenTelemetry: spans and batch processor',
    },
    {
      frame: frame(
        2,
        'incomingRequest',
        'file:///app/node_modules/@opentelemetry/instrumentation-http/build/src/http.js',
      ),
      category: 'OpenTelemetry: http instrumentation',
    },
    {
      frame: frame(
        3,
        'inject',
        'file:///app/node_modules/@opentelemetry/propagator-b3/build/src/B3Propagator.js',
      ),
      category: 'OpenTelemetry: propagators',
    },
    {
      frame: frame(
        4,
        'with',
        'file:///app/node_modules/@opentelemetry/context-async-hooks/build/src/AsyncLocalStorageContextManager.js',
      ),
      category: 'OpenTelemetry: context (AsyncLocalStorage)',
    },
    {
      frame: frame(
        5,
        'send',
        'file:///app/node_modules/@opentelemetry/otlp-exporter-base/build/src/index.js',
      ),
      category: 'OpenTelemetry: OTLP export',
    },
    { frame: frame(6, '(garbage collector)', ''), category: 'garbage collection' },
    {
      frame: frame(7, 'handle', 'file:///app/node_modules/router/index.js'),
      category: 'the services, their libraries and Node',
    },
    {
      frame: frame(8, 'traced', 'file:///app/libs/tracing/dist/src/sql/sqlite-instrumentation.js'),
      category: 'libs/tracing wrappers (with the native SQLite calls inside them)',
    },
  ];
  for (const { frame: node, category } of cases) {
    test(`${node.callFrame.functionName} counts as ${category}`, () => {
      const shares = summarizeProfile({ nodes: [node, frame(99, '(idle)', '')], samples: [node.id, 99, 99] });
      assert.deepEqual(shares, [{ category, percent: 100 }], 'idle time is left out of the busy time');
    });
  }

  test('shares add up over the busy samples, largest first; start-up module loading is left out', () => {
    const shares = summarizeProfile({
      nodes: [
        frame(1, '(garbage collector)', ''),
        frame(2, 'handle', 'node:_http_server'),
        frame(3, 'wrapSafe', 'node:internal/modules/cjs/loader'),
      ],
      samples: [1, 2, 2, 2, 3, 3],
    });
    assert.deepEqual(shares, [
      { category: 'the services, their libraries and Node', percent: 75 },
      { category: 'garbage collection', percent: 25 },
    ]);
  });

  test('anything but a CPU profile is refused', () => {
    for (const value of [
      null,
      {},
      { nodes: [], samples: 'x' },
      { nodes: [{ id: 'a' }], samples: [] },
      [1, 2],
    ])
      assert.equal(isCpuProfile(value), false, JSON.stringify(value));
    assert.equal(isCpuProfile({ nodes: [frame(1, 'f', '')], samples: [1] }), true);
  });
});

describe('npm run bench:profile', () => {
  test('profiles every service during access-on and prints where its busy time goes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
    try {
      const run = spawnSync(process.execPath, [join(__dirname, '..', 'src', 'bench', 'profile.js')], {
        env: { ...process.env, BENCH_DURATION: '1', BENCH_WARMUP: '1', BENCH_PROFILE_DIR: dir },
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(run.status, 0, run.stderr);
      for (const service of ['gateway', 'identity', 'permission', 'documents']) {
        const profile: unknown = JSON.parse(readFileSync(join(dir, `${service}.cpuprofile`), 'utf8'));
        assert.ok(isCpuProfile(profile), `${service}: a CPU profile`);
        assert.match(run.stdout, new RegExp(`^${service} \\(`, 'm'));
      }
      assert.match(run.stdout, /^ +[\d.]+% {2}OpenTelemetry: http instrumentation$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isCpuProfile, summarizeProfile } from '../src/bench/profile-summary';

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
  test(
    'profiles every service during access-on and prints where its busy time goes',
    { timeout: 320_000 },
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
      try {
        const run = spawnSync(process.execPath, [join(__dirname, '..', 'src', 'bench', 'profile.js')], {
          env: {
            ...process.env,
            BENCH_DURATION: '1',
            BENCH_WARMUP: '1',
            BENCH_ACCESS_WARMUP: '1',
            BENCH_PROFILE_DIR: dir,
          },
          encoding: 'utf8',
          timeout: 300_000,
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
    },
  );
});

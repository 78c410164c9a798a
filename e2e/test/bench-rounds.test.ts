import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { measureInRounds, RoundTotals, type RoundSubject } from '../src/bench/rounds';

const load = (requests: number, p50Ms: number, p99Ms: number, errors = 0) => ({
  requests,
  requestsPerSecond: 0,
  p50Ms,
  p99Ms,
  errors,
  non2xx: errors,
});

describe('bench rounds: pooling the windows of a subject', () => {
  const cases: {
    name: string;
    windows: [
      ReturnType<typeof load>,
      { cpuMs: Record<string, number>; peakRssMb: Record<string, number> },
    ][];
    expected: ReturnType<RoundTotals['get']>;
  }[] = [
    {
      name: 'one window is itself, with its rate over its seconds',
      windows: [[load(500, 3, 9), { cpuMs: { a: 100 }, peakRssMb: { a: 80 } }]],
      expected: {
        load: { requests: 500, requestsPerSecond: 100, p50Ms: 3, p99Ms: 9, errors: 0, non2xx: 0 },
        stats: { cpuMs: { a: 100 }, peakRssMb: { a: 80 } },
        windows: 1,
      },
    },
    {
      name: 'requests, errors and CPU add up; RSS and p99 take the largest; p50 the median window',
      windows: [
        [load(400, 4, 20), { cpuMs: { a: 100, b: 10 }, peakRssMb: { a: 80, b: 50 } }],
        [load(600, 2, 30, 1), { cpuMs: { a: 150, b: 20 }, peakRssMb: { a: 90, b: 40 } }],
        [load(500, 3, 10), { cpuMs: { a: 120 }, peakRssMb: { a: 70 } }],
      ],
      expected: {
        load: { requests: 1500, requestsPerSecond: 100, p50Ms: 3, p99Ms: 30, errors: 1, non2xx: 1 },
        stats: { cpuMs: { a: 370, b: 30 }, peakRssMb: { a: 90, b: 50 } },
        windows: 3,
      },
    },
  ];
  for (const { name, windows, expected } of cases) {
    test(name, () => {
      const totals = new RoundTotals();
      for (const [result, stats] of windows) totals.add('subject', result, stats, 5);
      assert.deepEqual(totals.get('subject'), expected);
    });
  }

  test('a subject that was never measured is an error, not zeros', () => {
    assert.throws(() => new RoundTotals().get('nobody'), /nobody was not measured/);
    assert.throws(() => new RoundTotals().perWindow('nobody'), /nobody was not measured/);
  });

  test('each window keeps its own CPU per request, summed over the processes, in measuring order', () => {
    const totals = new RoundTotals();
    totals.add('subject', load(400, 4, 20), { cpuMs: { a: 100, b: 10 }, peakRssMb: {} }, 5);
    totals.add('subject', load(600, 2, 30), { cpuMs: { a: 150, b: 30 }, peakRssMb: {} }, 5);
    totals.add('subject', load(0, 0, 0, 3), { cpuMs: { a: 5 }, peakRssMb: {} }, 5);
    totals.add('other', load(100, 1, 2), { cpuMs: { c: 50 }, peakRssMb: {} }, 5);
    // A window that served nothing reports 0 rather than dividing by zero.
    assert.deepEqual(totals.perWindow('subject'), [110 / 400, 180 / 600, 0]);
    assert.deepEqual(totals.perWindow('other'), [0.5]);
  });
});

describe('bench rounds: measuring in alternating rounds', () => {
  test('takes the subjects in turn, every other round in reverse, and pools each one', async () => {
    const server = createServer((_request, response) => response.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // Which subject's processes the sampler reads, in order: it reads them as each window starts and ends.
    const reads: string[] = [];
    // What each subject is told, and how many requests the server had answered by then.
    const told: string[] = [];
    let answered = 0;
    server.on('request', () => (answered += 1));
    const subject = (name: string): RoundSubject => ({
      name,
      pids: () => {
        if (reads.at(-1) !== name) reads.push(name);
        return new Map([['server', process.pid]]);
      },
      load: { url, connections: 2, durationSeconds: 60 },
      measuring: (measuring) => told.push(`${name} ${measuring ? 'measured' : 'done'} after ${answered}`),
    });
    try {
      const settings = { rounds: 3, windowSeconds: 0.3, rewarmSeconds: 0.2 };
      const totals = await measureInRounds([subject('A'), subject('B')], settings);
      assert.deepEqual(reads, ['A', 'B', 'A', 'B'], 'A B, then B A, then A B');
      // Told of each window as it starts and ends, never of a re-warm: a re-warm's requests come between a
      // `done` and the next `measured`, a window's between a `measured` and its `done`.
      const steps = told.map((line) => line.split(' '));
      assert.deepEqual(
        steps.map(([name, step]) => `${name} ${step}`),
        ['A', 'B', 'B', 'A', 'A', 'B'].flatMap((name) => [`${name} measured`, `${name} done`]),
      );
      const counts = steps.map(([, , , count]) => Number(count));
      for (let index = 0; index < counts.length; index += 1)
        assert.ok(
          (counts[index] ?? 0) > (counts[index - 1] ?? 0),
          `requests between "${told[index - 1] ?? 'the start'}" and "${told[index] ?? ''}"`,
        );
      for (const name of ['A', 'B']) {
        const pooled = totals.get(name);
        assert.equal(pooled.windows, 3, `${name}: one window per round`);
        assert.ok(pooled.load.requests > 0, `${name}: requests of its three windows`);
        assert.equal(pooled.load.errors, 0, `${name}: errors`);
        assert.ok((pooled.stats.cpuMs.server ?? -1) >= 0, `${name}: CPU of the measured process`);
      }
    } finally {
      server.close();
    }
  });
});

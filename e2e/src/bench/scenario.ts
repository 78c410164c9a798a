import type { Mesh } from '../mesh';
import type { LoadResult } from './load';
import { ProcessSampler, type ProcessStats } from './process-stats';
import type { RoundTotals } from './rounds';

/** One scenario of the bench: its load result, each process's peak RSS and CPU per request. */
export interface ScenarioResult extends LoadResult {
  scenario: string;
  peakRssMb: Record<string, number>;
  /** CPU time (user + system) each process used per request of the scenario, in ms. */
  cpuMsPerRequest: Record<string, number>;
  /** Measured windows pooled into the result: 1, or the rounds of an alternating measurement. */
  windows: number;
}

export const pidsOf = (mesh: Mesh) => () =>
  new Map(
    [...mesh.processes].flatMap(([name, running]) =>
      running.child.pid ? [[name, running.child.pid] as [string, number]] : [],
    ),
  );

function scenarioResult(
  scenario: string,
  result: LoadResult,
  stats: ProcessStats,
  windows: number,
): ScenarioResult {
  const perRequest = (ms: number) =>
    result.requests === 0 ? 0 : Math.round((ms / result.requests) * 1000) / 1000;
  return {
    scenario,
    ...result,
    peakRssMb: stats.peakRssMb,
    cpuMsPerRequest: Object.fromEntries(
      Object.entries(stats.cpuMs).map(([name, ms]) => [name, perRequest(ms)]),
    ),
    windows,
  };
}

/** Warms up (unmeasured), then runs the scenario while sampling each process's RSS and CPU time. */
export async function measured(
  scenario: string,
  pids: () => ReadonlyMap<string, number>,
  load: { warmup?: () => Promise<unknown>; run: () => Promise<LoadResult> },
): Promise<ScenarioResult> {
  process.stdout.write(`  ${scenario} …\n`);
  await load.warmup?.();
  const sampler = new ProcessSampler(pids);
  sampler.start();
  const result = await load.run();
  return scenarioResult(scenario, result, sampler.stop(), 1);
}

/** A scenario measured in alternating rounds, its windows pooled. */
export function pooledScenario(scenario: string, totals: RoundTotals): ScenarioResult {
  const { load, stats, windows } = totals.get(scenario);
  return scenarioResult(scenario, load, stats, windows);
}

/** The results as a Markdown table: throughput, latency, errors, peak RSS and CPU per request. */
export function table(results: readonly ScenarioResult[]): string {
  const rows = results.map((result) => {
    const peak = Math.max(0, ...Object.values(result.peakRssMb));
    const cpu = Object.values(result.cpuMsPerRequest).reduce((sum, ms) => sum + ms, 0);
    return `| ${result.scenario} | ${result.requestsPerSecond} | ${result.p50Ms} | ${result.p99Ms} | ${result.non2xx} | ${result.errors - result.non2xx} | ${peak || '-'} | ${cpu.toFixed(2)} |`;
  });
  return [
    '| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | peak RSS MB (max service) | CPU ms per request (all services) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

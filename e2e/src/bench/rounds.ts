import { runLoad, type LoadOptions, type LoadResult } from './load';
import { ProcessSampler, type ProcessStats } from './process-stats';

/** Something the bench loads and measures: a load, and the processes whose CPU and RSS it reads. */
export interface RoundSubject {
  name: string;
  pids: () => ReadonlyMap<string, number>;
  /** The load; its `durationSeconds` is replaced by the round's window. */
  load: LoadOptions;
  /** Called with `true` just before each measured window and `false` right after it (not around re-warms). */
  measuring?: (measuring: boolean) => void;
}

export interface RoundSettings {
  rounds: number;
  /** Measured seconds of each subject per round. */
  windowSeconds: number;
  /** Unmeasured load of the same shape just before each window (0: none). */
  rewarmSeconds: number;
}

/** A subject's measured windows, pooled. */
export interface PooledMeasurement {
  load: LoadResult;
  stats: ProcessStats;
  windows: number;
}

interface Pool {
  requests: number;
  seconds: number;
  errors: number;
  non2xx: number;
  p50s: number[];
  p99s: number[];
  cpuMs: Record<string, number>;
  peakRssMb: Record<string, number>;
  /** CPU ms per request summed over the subject's processes, one entry per window, in measuring order. */
  windowCpuMsPerRequest: number[];
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
};

/**
 * Sums what each subject did over its windows: requests, errors and each process's CPU time add up, the
 * peak RSS is the largest seen; p50 is the median of the windows' p50 and p99 the largest window p99
 * (autocannon reports percentiles, not a histogram that could be merged).
 */
export class RoundTotals {
  private readonly pools = new Map<string, Pool>();

  add(name: string, load: LoadResult, stats: ProcessStats, seconds: number): void {
    const pool = this.pools.get(name) ?? {
      requests: 0,
      seconds: 0,
      errors: 0,
      non2xx: 0,
      p50s: [],
      p99s: [],
      cpuMs: {},
      peakRssMb: {},
      windowCpuMsPerRequest: [],
    };
    pool.requests += load.requests;
    pool.seconds += seconds;
    pool.errors += load.errors;
    pool.non2xx += load.non2xx;
    pool.p50s.push(load.p50Ms);
    pool.p99s.push(load.p99Ms);
    for (const [process, ms] of Object.entries(stats.cpuMs))
      pool.cpuMs[process] = (pool.cpuMs[process] ?? 0) + ms;
    for (const [process, mb] of Object.entries(stats.peakRssMb))
      pool.peakRssMb[process] = Math.max(pool.peakRssMb[process] ?? 0, mb);
    const windowCpuMs = Object.values(stats.cpuMs).reduce((sum, ms) => sum + ms, 0);
    pool.windowCpuMsPerRequest.push(load.requests === 0 ? 0 : windowCpuMs / load.requests);
    this.pools.set(name, pool);
  }

  /**
   * The subject's CPU ms per request (all its processes) in each of its windows, in measuring order: window
   * i of two subjects measured in the same rounds is round i of both.
   */
  perWindow(name: string): readonly number[] {
    const pool = this.pools.get(name);
    if (!pool) throw new Error(`${name} was not measured`);
    return [...pool.windowCpuMsPerRequest];
  }

  get(name: string): PooledMeasurement {
    const pool = this.pools.get(name);
    if (!pool) throw new Error(`${name} was not measured`);
    return {
      load: {
        requests: pool.requests,
        requestsPerSecond: pool.seconds === 0 ? 0 : Math.round(pool.requests / pool.seconds),
        p50Ms: median(pool.p50s),
        p99Ms: Math.max(0, ...pool.p99s),
        errors: pool.errors,
        non2xx: pool.non2xx,
      },
      stats: { cpuMs: { ...pool.cpuMs }, peakRssMb: { ...pool.peakRssMb } },
      windows: pool.p50s.length,
    };
  }
}

/** One measured window of a subject: its load, and its processes' CPU and RSS over exactly that time. */
async function measureWindow(
  subject: RoundSubject,
  seconds: number,
): Promise<{ load: LoadResult; stats: ProcessStats }> {
  const sampler = new ProcessSampler(subject.pids);
  subject.measuring?.(true);
  sampler.start();
  try {
    const load = await runLoad({ ...subject.load, durationSeconds: seconds });
    return { load, stats: sampler.stop() };
  } catch (error) {
    sampler.stop();
    throw error;
  } finally {
    subject.measuring?.(false);
  }
}

/**
 * Measures the subjects in alternating rounds: in each round every subject in turn gets its re-warm, then
 * its measured window, and every other round takes them in reverse order (A B, B A, …), so that a steady
 * drift weighs on each alike. The machine's speed drifts by more than the differences the bench divides (a
 * VM here moved ±15% within minutes); what is measured in short turns sees the same drift, one scenario
 * after the other does not. Adds to `totals` (new if not given) and returns it.
 */
export async function measureInRounds(
  subjects: readonly RoundSubject[],
  settings: RoundSettings,
  totals = new RoundTotals(),
): Promise<RoundTotals> {
  for (let round = 0; round < settings.rounds; round += 1) {
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const subject of order) {
      if (settings.rewarmSeconds > 0)
        await runLoad({ ...subject.load, durationSeconds: settings.rewarmSeconds });
      const { load, stats } = await measureWindow(subject, settings.windowSeconds);
      totals.add(subject.name, load, stats, settings.windowSeconds);
    }
  }
  return totals;
}

/**
 * Warms the subjects up in turns of `turnSeconds` until each has had `seconds` of unmeasured load, so that
 * none sits idle for longer than the others' turns while they warm up (an idle V8 shrinks its heap after
 * 8 s, and the next seconds of load cost more).
 */
export async function warmUpInTurns(
  subjects: readonly RoundSubject[],
  seconds: number,
  turnSeconds: number,
): Promise<void> {
  for (let done = 0; done < seconds; done += turnSeconds) {
    const turn = Math.min(turnSeconds, seconds - done);
    for (const subject of subjects) await runLoad({ ...subject.load, durationSeconds: turn });
  }
}

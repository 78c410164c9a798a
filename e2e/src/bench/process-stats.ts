import { readFileSync } from 'node:fs';

/** Resident set size of a live process in MB, from /proc (Linux). */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    // The process has exited between two samples; it has no RSS to report.
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat on Linux (USER_HZ). */
const ticksPerSecond = 100;

/** User plus system CPU time a live process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces) start at `state`; utime and stime are 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

export interface ProcessStats {
  peakRssMb: Record<string, number>;
  /** CPU time each process used during the measurement, in ms. */
  cpuMs: Record<string, number>;
}

/** Samples the RSS of named processes every `everyMs` and keeps each one's peak, and their CPU time used. */
export class ProcessSampler {
  private readonly peaks = new Map<string, number>();
  private readonly cpuAtStart = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly processes: () => ReadonlyMap<string, number>,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    for (const [name, pid] of this.processes()) {
      const used = cpuMs(pid);
      if (used !== undefined) this.cpuAtStart.set(name, used);
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  stop(): ProcessStats {
    clearInterval(this.timer);
    this.sample();
    const cpu: Record<string, number> = {};
    for (const [name, pid] of this.processes()) {
      const atStart = this.cpuAtStart.get(name);
      const used = cpuMs(pid);
      if (atStart !== undefined && used !== undefined) cpu[name] = used - atStart;
    }
    return {
      peakRssMb: Object.fromEntries([...this.peaks].map(([name, mb]) => [name, Math.round(mb * 10) / 10])),
      cpuMs: cpu,
    };
  }

  private sample(): void {
    for (const [name, pid] of this.processes()) {
      const mb = rssMb(pid);
      if (mb !== undefined) this.peaks.set(name, Math.max(mb, this.peaks.get(name) ?? 0));
    }
  }
}

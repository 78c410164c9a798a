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

/** Samples the RSS of named processes every `everyMs` and keeps each one's peak. */
export class RssSampler {
  private readonly peaks = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly processes: () => ReadonlyMap<string, number>,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  stop(): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    return Object.fromEntries([...this.peaks].map(([name, mb]) => [name, Math.round(mb * 10) / 10]));
  }

  private sample(): void {
    for (const [name, pid] of this.processes()) {
      const mb = rssMb(pid);
      if (mb !== undefined) this.peaks.set(name, Math.max(mb, this.peaks.get(name) ?? 0));
    }
  }
}

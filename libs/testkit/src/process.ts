import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { waitForHttpOk } from './wait';

/** How long a started service may take to answer /health/ready before it counts as failed. */
const serviceReadyTimeoutMs = 60_000;

/** The repo root, from `libs/testkit/dist/src`. */
export const repoRoot = join(__dirname, '..', '..', '..', '..');

export type ServiceName = 'gateway' | 'identity' | 'permission' | 'documents' | 'oauth2' | 'web';

/** The built CLI of a service, as `npx <name>` runs it. */
export const serviceBin = (name: ServiceName): string =>
  join(repoRoot, 'services', name, 'dist', 'src', 'main.js');

export interface ProcessOptions {
  /** Label for logs and errors. */
  name: string;
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** A URL that answers 200 once the process is ready (for a service: /health/ready). */
  readyUrl: string;
  readyTimeoutMs?: number;
  /** Receives each stdout/stderr line (JSON logs from the services). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines the process wrote (at least the last 1,000). */
  readonly lines: string[];
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: a crash, for fault tests. */
  kill(): Promise<void>;
}

/** How many recent lines a RunningProcess keeps (between this and twice this). */
const maxKeptLines = 1_000;

function collectLines(child: ChildProcess, lines: string[], onLine: ProcessOptions['onLine']): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    let buffered = '';
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        // A long-running process (npm start) must not keep every line: the last ones tell why it failed.
        if (lines.length >= maxKeptLines * 2) lines.splice(0, lines.length - maxKeptLines);
        onLine?.(line, stream);
      }
    });
  }
}

/** Spawns a process and resolves once it is ready; rejects (and kills it) if it exits or never gets ready. */
export async function startProcess(options: ProcessOptions): Promise<RunningProcess> {
  const child = spawn(options.command, [...options.args], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  collectLines(child, lines, options.onLine);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const running: RunningProcess = {
    name: options.name,
    child,
    lines,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  const failedEarly = exited.then((code) => {
    throw new Error(
      `${options.name} exited with code ${code} before it was ready:\n${lines.slice(-20).join('\n')}`,
    );
  });
  try {
    // Readiness, not a timing target: a crash ends the wait at once through `failedEarly`, so the
    // deadline only has to outlast a slow start on a loaded two-core machine.
    await Promise.race([
      waitForHttpOk(options.readyUrl, options.readyTimeoutMs ?? serviceReadyTimeoutMs),
      failedEarly,
    ]);
  } catch (error) {
    await running.kill();
    throw error;
  }
  failedEarly.catch(() => undefined);
  return running;
}

/**
 * The V8 heap settings every service runs with, here and in infra/Dockerfile. By default V8 lets the young
 * generation take 3 x 16 MB and grows the old one by up to 4x its live size before a full collection, which
 * put each service at 155-200 MB under the benchmark's load. A semi-space of 8 MB and an old generation that
 * may double before a full collection keep every service under 145 MB there (README, "Benchmark"); growing
 * by only 50% saved another 10-14 MB but cost 2-5% more CPU per request in garbage collection.
 * `--heap-growing-percent` is not allowed in NODE_OPTIONS, so it is an argument of `node` itself.
 */
export const serviceNodeFlags: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=100'];

/** Starts a built service: `node <serviceNodeFlags> services/<name>/dist/src/main.js serve [args]`. */
export function startService(
  name: ServiceName,
  options: {
    env: NodeJS.ProcessEnv;
    readyUrl: string;
    args?: readonly string[];
    /** More `node` flags after serviceNodeFlags (the profiler's, say). */
    nodeFlags?: readonly string[];
    onLine?: ProcessOptions['onLine'];
    readyTimeoutMs?: number;
  },
): Promise<RunningProcess> {
  return startProcess({
    name,
    command: process.execPath,
    args: [
      ...serviceNodeFlags,
      ...(options.nodeFlags ?? []),
      serviceBin(name),
      'serve',
      ...(options.args ?? []),
    ],
    env: options.env,
    readyUrl: options.readyUrl,
    readyTimeoutMs: options.readyTimeoutMs,
    onLine: options.onLine,
  });
}

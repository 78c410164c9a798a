import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { observeBcryptQueue, recordBcrypt } from '@mesh/metrics';
import type { HashTask } from './worker';

export interface PasswordHasher {
  /** A bcrypt hash of `password` at the configured cost, under a `hash.Generate` span. */
  generate(password: string): Promise<string>;
  /** Whether `password` matches `hash`, under a `hash.Compare` span. */
  compare(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface BcryptOptions {
  cost: number;
  /** Worker threads; by default one less than the cores, so the event loop keeps a core of its own. */
  threads?: number;
}

const tracer = trace.getTracer('mesh-hash');

/** The cost is part of the hash (`$2b$10$…`); the span records the factor actually paid. */
export function workFactorOf(hash: string): number | undefined {
  const match = /^\$2[abxy]?\$(\d{2})\$/.exec(hash);
  return match ? Number(match[1]) : undefined;
}

/** Times the work (queue wait included) into `bcrypt_duration_seconds`, with the hash span as exemplar. */
async function timed<T>(operation: 'generate' | 'compare', work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    recordBcrypt(operation, (performance.now() - started) / 1000);
  }
}

async function inSpan<T>(name: string, workFactor: number | undefined, work: () => Promise<T>): Promise<T> {
  // Like the SQL spans: only inside a request, so start-up work (the login decoy hash) makes no lone trace.
  if (!trace.getActiveSpan()) return work();
  return tracer.startActiveSpan(name, async (span: Span) => {
    span.setAttribute('hash.type', 'bcrypt');
    if (workFactor !== undefined) span.setAttribute('bcrypt.workfactor', workFactor);
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

export function createBcryptHasher(options: BcryptOptions): PasswordHasher {
  const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
  const pool = new Piscina<HashTask, string | boolean>({
    filename: join(__dirname, 'worker.js'),
    minThreads: 1,
    maxThreads: threads,
    // Piscina puts a task it could not hand to a worker back at the tail of its queue by default: with one
    // worker (two cores) and concurrent logins or token requests, the first task could wait behind every
    // later one, 15 to 20 s under four concurrent callers. `stricterFIFO` puts it back at the head.
    stricterFIFO: true,
  });
  const unobserveQueue = observeBcryptQueue(() => pool.queueSize);
  return {
    generate: (password) =>
      inSpan('hash.Generate', options.cost, () =>
        timed('generate', async () => {
          const hash = await pool.run({ op: 'generate', password, cost: options.cost });
          return hash as string;
        }),
      ),
    compare: (password, hash) =>
      inSpan('hash.Compare', workFactorOf(hash), () =>
        timed('compare', async () => {
          const matches = await pool.run({ op: 'compare', password, hash });
          return matches === true;
        }),
      ),
    close: () => {
      unobserveQueue();
      return pool.destroy();
    },
  };
}

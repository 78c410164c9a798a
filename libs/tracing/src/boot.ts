import type { ServiceIdentity } from './config/resolve';
import type { TracingConfig } from './config/schema';
import { createLogger, type Logger } from './logger';
import { startTracing, type TracingHandle } from './start';

export interface RunningService {
  /** Stops accepting, lets in-flight requests finish, closes the database. */
  stop(): Promise<void>;
}

export interface BootContext {
  log: Logger;
  tracing: TracingHandle;
}

const shutdownDeadlineMs = 10_000;

/**
 * The start-up order every service shares: logger, then the tracing SDK, and only then the module that
 * loads express, http clients, pg and better-sqlite3 (passed as `start`, which imports it lazily), so the
 * instrumentations patch them. SIGTERM or SIGINT stops the service, flushes the spans and exits 0.
 */
export async function bootService(
  config: { tracing: TracingConfig; log?: { level: string } },
  service: ServiceIdentity,
  start: (context: BootContext) => Promise<RunningService>,
): Promise<void> {
  const log = createLogger(service.name, config.log?.level);
  const tracing = startTracing(config.tracing, service, { log });
  if (!tracing.enabled) log.info(tracing.description);
  let running: RunningService;
  try {
    running = await start({ log, tracing });
  } catch (error) {
    log.error(
      { err: error instanceof Error ? error.message : String(error) },
      `${service.name} failed to start`,
    );
    await tracing.shutdown(2_000);
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests and flushing spans');
    const deadline = setTimeout(() => {
      log.error({ deadline_ms: shutdownDeadlineMs }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, shutdownDeadlineMs + 2_000);
    deadline.unref();
    await running.stop();
    await tracing.shutdown(shutdownDeadlineMs / 2);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}

import { startTraceSink } from './server';

/**
 * `node e2e/dist/src/sink/main.js`: the trace sink alone. Ports from SINK_OTLP_PORT (4318) and
 * SINK_QUERY_PORT (16686), bind address from SINK_HOST (127.0.0.1).
 */
function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`${name}: ${JSON.stringify(raw)} is not a port (0-65535)\n`);
    process.exit(1);
  }
  return port;
}

async function main(): Promise<void> {
  const sink = await startTraceSink({
    otlpPort: portFrom('SINK_OTLP_PORT', 4318),
    queryPort: portFrom('SINK_QUERY_PORT', 16686),
    host: process.env.SINK_HOST || '127.0.0.1',
  });
  process.stdout.write(
    `trace sink: OTLP/HTTP on ${sink.otlpUrl}/v1/traces, traces on ${sink.queryUrl}/api/v3/traces/{trace_id}\n`,
  );
  const stop = () => void sink.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `trace sink failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

/** The env names of the tracing config: Ory's keys, OpenTelemetry's and the vendors' own. */
const tracingEnvName = /^(TRACING_|OTEL_|DD_|ELASTIC_APM_|INSTANA_)/;

/**
 * The user's tracing env for every service, when the shell sets `TRACING_PROVIDER` (empty turns tracing
 * off); undefined otherwise, and the services trace to the local sink.
 */
export function userTracingEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv | undefined {
  if (env.TRACING_PROVIDER === undefined) return undefined;
  return Object.fromEntries(Object.entries(env).filter(([name]) => tracingEnvName.test(name)));
}

/**
 * Where a service sends its spans, from its start-up log line (`tracing started` with provider and target,
 * or `tracing off: …`); undefined for any other line.
 */
export function tracingTargetOf(line: string): string | undefined {
  let entry: { msg?: unknown; provider?: unknown; target?: unknown };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return undefined;
  }
  if (entry.msg === 'tracing started') return `${String(entry.provider)} → ${String(entry.target)}`;
  if (typeof entry.msg === 'string' && entry.msg.startsWith('tracing off')) return entry.msg;
  return undefined;
}

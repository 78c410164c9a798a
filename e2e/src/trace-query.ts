import { setTimeout as delay } from 'node:timers/promises';
import { flattenSpans, type FlatSpan, type TraceQueryResponse } from './sink/otlp-json';
import { flattenZipkinSpans, type ZipkinSpan } from './zipkin-trace';

/** The query API a trace backend speaks: Jaeger v2's `/api/v3/traces/{id}` or Zipkin's `/api/v2/trace/{id}`. */
export type TraceQueryApi = 'jaeger' | 'zipkin';

/** The trace id of a response's `traceresponse: 00-<trace_id>-<span_id>-<flags>` header. */
export function traceIdOf(headers: Headers): string | undefined {
  return headers.get('traceresponse')?.match(/^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/)?.[1];
}

/** One fetch of `GET {queryUrl}/api/v3/traces/{id}`; undefined while the backend does not know the trace. */
export async function fetchTrace(
  queryUrl: string,
  traceId: string,
  api: TraceQueryApi = 'jaeger',
): Promise<FlatSpan[] | undefined> {
  if (api === 'zipkin') return fetchZipkinTrace(queryUrl, traceId);
  const response = await fetch(`${queryUrl.replace(/\/$/, '')}/api/v3/traces/${traceId}`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET /api/v3/traces/${traceId} answered ${response.status}`);
  const body = (await response.json()) as TraceQueryResponse;
  return flattenSpans(body.result);
}

/** One fetch of Zipkin's `GET {queryUrl}/api/v2/trace/{id}`; undefined while Zipkin does not know the trace. */
async function fetchZipkinTrace(queryUrl: string, traceId: string): Promise<FlatSpan[] | undefined> {
  const response = await fetch(`${queryUrl.replace(/\/$/, '')}/api/v2/trace/${traceId}`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET /api/v2/trace/${traceId} answered ${response.status}`);
  return flattenZipkinSpans((await response.json()) as ZipkinSpan[]);
}

export interface PollOptions {
  api?: TraceQueryApi;
  /** Give up after this long. */
  timeoutMs?: number;
  /** The span count must hold this long (longer than the services' export delay) to count as complete. */
  quietMs?: number;
  everyMs?: number;
}

/**
 * Polls the query API until the trace stops growing: spans from several services arrive in separate
 * batches, so the first answer is rarely the whole trace.
 */
export async function pollTrace(
  queryUrl: string,
  traceId: string,
  options: PollOptions = {},
): Promise<FlatSpan[]> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const quietMs = options.quietMs ?? 1_500;
  const everyMs = options.everyMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let spans: FlatSpan[] = [];
  let stableSince = Date.now();
  for (;;) {
    let latest: FlatSpan[] = [];
    try {
      latest = (await fetchTrace(queryUrl, traceId, options.api)) ?? [];
    } catch (error) {
      // Nothing listens there: say so now rather than after the whole timeout.
      if (spans.length === 0 && isRefused(error))
        throw new Error(
          `no trace backend answers at ${queryUrl}; set TRACE_QUERY_URL to where the traces go`,
        );
    }
    if (latest.length !== spans.length) {
      spans = latest;
      stableSince = Date.now();
    } else if (spans.length > 0 && Date.now() - stableSince >= quietMs) {
      return spans;
    }
    if (Date.now() > deadline) {
      if (spans.length > 0) return spans;
      throw new Error(`trace ${traceId} did not reach ${queryUrl} within ${timeoutMs} ms`);
    }
    await delay(everyMs);
  }
}

const isRefused = (error: unknown): boolean =>
  error instanceof TypeError &&
  ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(String((error.cause as { code?: unknown })?.code));

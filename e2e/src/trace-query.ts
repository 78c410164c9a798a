import { setTimeout as delay } from 'node:timers/promises';
import { flattenSpans, type FlatSpan, type TraceQueryResponse } from './sink/otlp-json';

/** The trace id of a response's `traceresponse: 00-<trace_id>-<span_id>-<flags>` header. */
export function traceIdOf(headers: Headers): string | undefined {
  return headers.get('traceresponse')?.match(/^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/)?.[1];
}

/** One fetch of `GET {queryUrl}/api/v3/traces/{id}`; undefined while the backend does not know the trace. */
export async function fetchTrace(queryUrl: string, traceId: string): Promise<FlatSpan[] | undefined> {
  const response = await fetch(`${queryUrl.replace(/\/$/, '')}/api/v3/traces/${traceId}`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET /api/v3/traces/${traceId} answered ${response.status}`);
  const body = (await response.json()) as TraceQueryResponse;
  return flattenSpans(body.result);
}

export interface PollOptions {
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
    const latest = (await fetchTrace(queryUrl, traceId).catch(() => undefined)) ?? [];
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

import { trace } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import type { Answer } from './outbound';

/** What a page shows about its own request: status, latency, trace id, and the calls it made. */
export class PageLog {
  private readonly started = performance.now();
  readonly calls: Answer[] = [];
  /** The trace of this request: the gateway's, continued here; undefined when tracing is off. */
  readonly traceId: string | undefined;

  constructor(
    readonly method: string,
    readonly path: string,
  ) {
    const context = trace.getActiveSpan()?.spanContext();
    this.traceId =
      context && /^[0-9a-f]{32}$/.test(context.traceId) && !/^0+$/.test(context.traceId)
        ? context.traceId
        : undefined;
  }

  record(answer: Answer): Answer {
    this.calls.push(answer);
    return answer;
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }
}

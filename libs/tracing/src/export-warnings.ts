import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';

/**
 * Wraps an exporter so that a backend outage yields one warning, not one per batch, and one line
 * when it recovers. Requests never wait for it: the BatchSpanProcessor in front of it is bounded.
 */
export class WarnOnceExporter implements SpanExporter {
  private failing = false;
  private dropped = 0;

  constructor(
    private readonly inner: SpanExporter,
    private readonly log: Logger,
    private readonly target: string,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        if (this.failing)
          this.log.info({ target: this.target, dropped_spans: this.dropped }, 'trace export recovered');
        this.failing = false;
        this.dropped = 0;
      } else {
        this.dropped += spans.length;
        if (!this.failing) {
          this.failing = true;
          this.log.warn(
            { target: this.target, err: result.error?.message },
            'trace export failed; spans are dropped until the backend answers again (requests are not affected)',
          );
        }
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

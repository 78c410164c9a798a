import type { Context } from '@opentelemetry/api';
import {
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';

/** ParentBased(TraceIdRatio): a caller's sampled flag is respected; new roots are sampled at `ratio`. */
export function ratioSampler(ratio: number): Sampler {
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
}

/** The parts of Jaeger's sampling strategy response (api_v2 SamplingStrategyResponse, JSON) that map to a ratio. */
interface StrategyResponse {
  strategyType?: string | number;
  probabilisticSampling?: { samplingRate?: number };
  operationSampling?: { defaultSamplingProbability?: number };
}

function ratioOf(strategy: StrategyResponse): number | undefined {
  const ratio =
    strategy.operationSampling?.defaultSamplingProbability ?? strategy.probabilisticSampling?.samplingRate;
  return typeof ratio === 'number' && ratio >= 0 && ratio <= 1 ? ratio : undefined;
}

/**
 * The root sampler of the `jaeger` provider: TraceIdRatio whose ratio comes from Jaeger's remote sampling
 * endpoint, polled as `{server_url}?service={service_name}` at start and then every `pollMs`.
 * @opentelemetry/sampler-jaeger-remote does the same but its poll timer can be neither stopped nor
 * unref'd, which would keep a stopping service alive; this one stops with the SDK.
 */
export class JaegerRemoteRatioSampler implements Sampler {
  private current: TraceIdRatioBasedSampler;
  private readonly timer: NodeJS.Timeout;
  private warned = false;

  constructor(
    private readonly options: {
      serverUrl: string;
      serviceName: string;
      initialRatio: number;
      pollMs: number;
      log: Logger;
    },
  ) {
    this.current = new TraceIdRatioBasedSampler(options.initialRatio);
    this.timer = setInterval(() => void this.poll(), options.pollMs);
    this.timer.unref();
    void this.poll();
  }

  /** The URL polled, exactly as Ory's `sampling.server_url` documents it. */
  get strategyUrl(): string {
    const url = new URL(this.options.serverUrl);
    url.searchParams.set('service', this.options.serviceName);
    return url.toString();
  }

  async poll(): Promise<void> {
    try {
      const response = await fetch(this.strategyUrl, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const ratio = ratioOf((await response.json()) as StrategyResponse);
      if (ratio === undefined) throw new Error('the strategy has no probabilistic sampling rate');
      this.current = new TraceIdRatioBasedSampler(ratio);
      this.warned = false;
    } catch (error) {
      if (!this.warned) {
        this.warned = true;
        this.options.log.warn(
          { url: this.strategyUrl, err: error instanceof Error ? error.message : String(error) },
          'jaeger remote sampling unavailable; keeping the current ratio',
        );
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  shouldSample(context: Context, traceId: string): SamplingResult {
    return this.current.shouldSample(context, traceId);
  }

  toString(): string {
    return `JaegerRemoteRatioSampler{${this.strategyUrl}, ${this.current.toString()}}`;
  }
}

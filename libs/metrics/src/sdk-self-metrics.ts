import {
  createNoopMeter,
  type Attributes,
  type Counter as OtelCounter,
  type Meter,
  type MeterProvider,
  type MetricOptions,
  type ObservableCallback,
  type ObservableUpDownCounter,
  type UpDownCounter,
} from '@opentelemetry/api';
import { Counter, Gauge } from 'prom-client';
import { registry } from './registry';

/** The attributes the SDK puts on its own metrics (semantic conventions, "SDK metrics"). */
const labelNames = ['otel_component_type', 'otel_component_name', 'error_type'] as const;
type Labels = Partial<Record<(typeof labelNames)[number], string>>;

/** `otel.component.type` → `otel_component_type`; attributes outside the list are not labels. */
function labelsOf(attributes: Attributes | undefined): Labels {
  const labels: Labels = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    const name = key.replaceAll('.', '_') as (typeof labelNames)[number];
    if (labelNames.includes(name) && value !== undefined) labels[name] = String(value);
  }
  return labels;
}

/** `otel.sdk.processor.span.queue.size` → `otel_sdk_processor_span_queue_size`. */
const promName = (name: string) => name.replaceAll('.', '_');

const counters = new Map<string, Counter<string>>();
const gauges = new Map<string, Gauge<string>>();
const observers = new Map<string, Set<ObservableCallback>>();

function counterFor(name: string, options?: MetricOptions): Counter<string> {
  let counter = counters.get(name);
  if (!counter) {
    counter = new Counter({
      name: promName(name),
      help: options?.description ?? name,
      labelNames,
      registers: [registry],
    });
    counters.set(name, counter);
  }
  return counter;
}

function gaugeFor(name: string, options?: MetricOptions, collect?: () => void): Gauge<string> {
  let gauge = gauges.get(name);
  if (!gauge) {
    gauge = new Gauge({
      name: promName(name),
      help: options?.description ?? name,
      labelNames,
      registers: [registry],
      collect,
    });
    gauges.set(name, gauge);
  }
  return gauge;
}

const processedSpans = 'otel.sdk.processor.span.processed';
const queueCapacity = 'otel.sdk.processor.span.queue.capacity';

/**
 * A MeterProvider over the process registry, for the OpenTelemetry trace SDK's own metrics (the
 * BatchSpanProcessor's `selfObsMeterProvider`): queue size and capacity, and spans processed, where
 * `error_type="queue_full"` counts the spans dropped because the queue was full. Only the instrument kinds
 * the SDK uses are real; the rest are no-ops. The dropped series is there from the start at 0, so an
 * alert on it never waits for a first drop.
 */
export function sdkSelfMetricsProvider(): MeterProvider {
  const noop = createNoopMeter();
  const meter: Meter = {
    ...noop,
    createCounter: (name: string, options?: MetricOptions): OtelCounter => {
      const counter = counterFor(name, options);
      return { add: (value, attributes) => counter.inc(labelsOf(attributes), value) };
    },
    createUpDownCounter: (name: string, options?: MetricOptions): UpDownCounter => {
      const gauge = gaugeFor(name, options);
      return {
        add: (value, attributes) => {
          const labels = labelsOf(attributes);
          gauge.inc(labels, value);
          if (name === queueCapacity)
            counterFor(processedSpans).inc({ ...labels, error_type: 'queue_full' }, 0);
        },
      };
    },
    createObservableUpDownCounter: (name: string, options?: MetricOptions): ObservableUpDownCounter => {
      const callbacks = observers.get(name) ?? new Set<ObservableCallback>();
      observers.set(name, callbacks);
      const gauge = gaugeFor(name, options, () => {
        gauge.reset();
        for (const callback of callbacks)
          void callback({ observe: (value, attributes) => gauge.set(labelsOf(attributes), value) });
      });
      return {
        addCallback: (callback) => callbacks.add(callback),
        removeCallback: (callback) => callbacks.delete(callback),
      };
    },
  };
  return { getMeter: () => meter };
}
